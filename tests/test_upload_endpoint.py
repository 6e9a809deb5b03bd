"""Streamlit's upload route against a visitor who is not a logged-in writer (issue 12 §3).

Streamlit 1.67 keeps any PUT to ``/_stcore/upload_file/<session>/<any id>`` of any open session: it checks
the session, not that an upload widget exists (measured without the guard: 20 × 49 MB from the login form
added 1 GB). ``lib/ui/__init__.py`` wraps the upload manager so that only a logged-in writer's files are kept.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lib.access import UPLOAD_BYTES_PER_SESSION, may_store_upload
from lib.imports import MAX_IMPORT_BYTES

ROOT = Path(__file__).resolve().parents[1]


def test_only_a_writer_may_keep_uploads_and_within_an_allowance():
    assert may_store_upload(True, 0, MAX_IMPORT_BYTES) and may_store_upload(True, MAX_IMPORT_BYTES, MAX_IMPORT_BYTES)
    assert not may_store_upload(True, UPLOAD_BYTES_PER_SESSION, 1)
    assert not may_store_upload(False, 0, 1)


def test_a_visitor_at_the_login_form_cannot_fill_the_servers_memory():
    """A real server, a websocket session as a browser opens it, then uploads to made-up file ids."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "measure_upload_memory.py"), "--count", "5",
                             "--mb", "8"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    measured = json.loads(result.stdout)
    assert measured["statuses"] == [403] and measured["accepted"] == 0
    assert measured["added_mb"] < 30  # 40 MB sent: not kept
