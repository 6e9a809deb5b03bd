"""Measure what anonymous PUTs to ``/_stcore/upload_file`` cost the server (issue 12 §3).

Starts the app with accounts configured (a visitor sees only the login form, no upload widget), opens a
websocket like a browser (that alone makes a session), then sends ``--count`` uploads of ``--mb`` MB each to
made-up file ids of that session and prints the server's resident memory before and after (JSON).

    .venv/bin/python scripts/measure_upload_memory.py --count 20 --mb 49
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import websockets
from argon2 import PasswordHasher
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def session_id(port: int, token: str, race: bool) -> tuple[str, object]:
    """Open a websocket as a browser does and ask for a first run; the server names the session.

    With ``race``, return as soon as the session exists (before the app's first run has ended)."""
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit", token],
                                  additional_headers={"Cookie": f"_streamlit_xsrf={token}",
                                                      "Origin": f"http://127.0.0.1:{port}"},
                                  max_size=None)
    back = BackMsg()
    back.rerun_script.query_string = ""
    back.rerun_script.page_script_hash = ""
    await ws.send(back.SerializeToString())
    session = None
    while True:
        message = ForwardMsg()
        message.ParseFromString(await ws.recv())
        if message.HasField("new_session"):
            session = message.new_session.initialize.session_id
            if race:
                return session, ws
        if session and message.HasField("script_finished"):
            return session, ws


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--mb", type=int, default=49)
    parser.add_argument("--race", action="store_true", help="upload before the first run of the app has ended")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="passerelles-upload-"))
    secrets = folder / "secrets.toml"
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("un-mot-de-passe-long")
    secrets.write_text(f'[users.enquetes]\nrole = "saisie"\npassword_hash = "{hashed}"\n', encoding="utf-8")
    port = free_port()
    env = dict(os.environ, PASSERELLES_SECRETS=str(secrets))
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                               str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = "2c" + uuid.uuid4().hex  # double-submit: any value the client sends as both cookie and header
        loop = asyncio.new_event_loop()
        session, ws = loop.run_until_complete(asyncio.wait_for(session_id(port, token, args.race), 60))
        before = rss_mb(server.pid)
        body = os.urandom(args.mb * 1024 * 1024)
        statuses, started = [], time.perf_counter()
        for _ in range(args.count):
            answer = requests.put(f"http://127.0.0.1:{port}/_stcore/upload_file/{session}/{uuid.uuid4().hex}",
                                  files={"file": ("x.csv", body, "text/csv")},
                                  headers={"X-Xsrftoken": token}, cookies={"_streamlit_xsrf": token}, timeout=120)
            statuses.append(answer.status_code)
        after = rss_mb(server.pid)
        print(json.dumps({"uploads": args.count, "mb_each": args.mb, "statuses": sorted(set(statuses)),
                          "accepted": statuses.count(204), "seconds": round(time.perf_counter() - started, 1),
                          "server_rss_mb_before": round(before), "server_rss_mb_after": round(after),
                          "added_mb": round(after - before), "race": args.race}, indent=2))
        loop.run_until_complete(ws.close())
        loop.close()
    finally:
        server.terminate()
        server.wait(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
