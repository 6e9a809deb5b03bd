"""Browser test harness: a real ``streamlit run`` server and Debian's Chromium driven by Playwright.

Fixtures:
    app_server      base URL of the app on the demo data set (session-wide); parametrise it
                    indirectly with a data-set folder to serve another one.
    start_app       factory: ``start_app(folder)`` serves another data set, one server per folder.
    browser         Chromium launched once per session (skips, or fails under REQUIRE_BROWSER=1).
    page            a fresh 1280×720 fr-FR page per test; screenshot on failure.
    offline_page    the same page with every request outside the app's origin aborted.

Helpers:
    wait_for_app, expect_rerun, block_outside_requests, save_screenshot, assert_no_exception.

No fixed sleeps anywhere: waits follow what the server says (health check, the
``script_finished`` message on the websocket) and what the page shows.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DEMO_DIR = ROOT / "data" / "demo"

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 720}

START_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.1
# Playwright timeouts (ms). The first run of a server loads the data set (a few seconds).
APP_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 15_000

# ForwardMsg.script_finished statuses that end a run (FINISHED_EARLY_FOR_RERUN is followed by another run).
_FINISHED_EARLY_FOR_RERUN = 2


def _artifact_path(name: str, suffix: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return ARTIFACTS / f"{safe}{suffix}"


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def server_env(data_dir: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the caller's, minus anything that would choose the data or the server options.

    ``data_dir=None`` leaves ``PASSERELLES_DATA`` unset (the app then picks
    ``data/local/`` or the demo itself); a folder pins it, which keeps the
    demo tests on the demo even on a machine that has ``data/local/``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_") and k != "PASSERELLES_DATA"}
    env["PYTHONUNBUFFERED"] = "1"
    if data_dir is not None:
        env["PASSERELLES_DATA"] = str(Path(data_dir).resolve())
    # No users unless a test gives its own secrets file: a developer's .streamlit/secrets.toml stays out.
    env["PASSERELLES_SECRETS"] = str(ARTIFACTS / "pas-de-secrets.toml")
    env.update(extra or {})
    return env


@dataclass
class AppServer:
    """One ``streamlit run app.py`` process on 127.0.0.1."""

    name: str
    data_dir: Path | None
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, attempts: int = 3) -> str:
        """Start the server and wait for its health check; ``pytest.fail`` with the log tail if it won't."""
        for _ in range(attempts):
            problem = self._try_start()
            if problem is None:
                return self.base_url
            # Another process may have taken the port between _free_port() and the bind: try another one.
            if "already in use" not in _log_tail(self.log_path, 200):
                break
        pytest.fail(
            f"Streamlit server {self.name!r} on port {self.port} {problem} (log: {self.log_path}).\n"
            f"--- log tail ---\n{_log_tail(self.log_path)}",
            pytrace=False,
        )

    def _try_start(self) -> str | None:
        """Start once; None when healthy, else what went wrong."""
        self.port = _free_port()
        self.log_path = _artifact_path(f"streamlit-{self.name}", ".log")
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            # Others edit the repository while tests run: never let a file change touch a running test.
            "--server.fileWatcherType", "none",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=server_env(self.data_dir, self.extra_env),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        health = f"{self.base_url}/_stcore/health"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                return f"exited with code {code} before answering its health check"
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.read().strip() == b"ok":
                        return None
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(POLL_INTERVAL_S)  # poll interval, not a wait for readiness
        self.stop()
        return f"did not answer {health} with 'ok' within {START_TIMEOUT_S:.0f} s"

    def stop(self) -> None:
        """Terminate the process; kill it if it does not stop within 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def start_app() -> Iterator[Callable[..., str]]:
    """Factory: ``start_app(data_dir, name=..., extra_env=...)`` → base URL; one server per folder and env.

    ``data_dir`` defaults to the demo data set; ``None`` leaves
    ``PASSERELLES_DATA`` unset. Servers stop at the end of the session.
    """
    servers: dict[tuple, AppServer] = {}
    failures: dict[tuple, str] = {}

    def start(data_dir: Path | None = DEMO_DIR, name: str | None = None,
              extra_env: dict[str, str] | None = None) -> str:
        key = (str(Path(data_dir).resolve()) if data_dir is not None else None,
               tuple(sorted((extra_env or {}).items())))
        if key in failures:  # don't wait for a broken server once per test
            pytest.fail(failures[key], pytrace=False)
        if key not in servers:
            label = name or ("demo" if data_dir is not None and Path(data_dir).resolve() == DEMO_DIR.resolve()
                             else Path(data_dir).name if data_dir is not None else "default")
            if any(server.name == label for server in servers.values()):
                label = f"{label}-{len(servers)}"  # one log file per server
            server = AppServer(label, Path(data_dir) if data_dir is not None else None, dict(extra_env or {}))
            try:
                server.start()
            except pytest.fail.Exception as error:
                failures[key] = str(error)
                raise
            servers[key] = server
        return servers[key].base_url

    yield start
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def app_server(request: pytest.FixtureRequest, start_app: Callable[..., str]) -> str:
    """Base URL (``http://127.0.0.1:<port>``) of the app on the demo data set.

    Parametrise indirectly to serve another folder:
    ``@pytest.mark.parametrize("app_server", [folder], indirect=True)``.
    """
    data_dir = getattr(request, "param", DEMO_DIR)
    if data_dir == DEMO_DIR:
        demo_files = [DEMO_DIR / "structures.csv", DEMO_DIR / "reponses.csv"]
        missing = [p.name for p in demo_files if not p.is_file()]
        if missing:
            pytest.fail(f"the demo data set is incomplete (missing {', '.join(missing)} in {DEMO_DIR}); "
                        "run `make demo`", pytrace=False)
    return start_app(data_dir)


# --------------------------------------------------------------------------- browser


def chromium_path() -> str:
    """Debian's Chromium, or ``$CHROMIUM_PATH``."""
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def browser_unavailable(reason: str) -> None:
    """Skip the browser tests, or fail them when the run requires a browser (CI sets REQUIRE_BROWSER=1)."""
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but no usable browser: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason} (set REQUIRE_BROWSER=1 to make this a failure)")


@pytest.fixture(scope="session")
def browser():
    """Chromium through Playwright's bundled driver (no browser is downloaded)."""
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        browser_unavailable(f"no Chromium executable at {path}")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        browser_unavailable(f"Playwright is not installed ({error})")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
    except PlaywrightError as error:
        playwright.stop()
        browser_unavailable(f"Playwright could not launch {path}: {str(error).splitlines()[0]}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item so that fixtures can tell a failed test in their teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class _RunTracker:
    """Follows the app's websocket and counts the script runs the server reports as finished."""

    def __init__(self, page) -> None:
        self.socket = None
        self.finished_runs = 0
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, websocket) -> None:
        if websocket.url.endswith("/_stcore/stream"):
            self.socket = websocket
            websocket.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if is_run_finished(payload):
            self.finished_runs += 1


def is_run_finished(payload: str | bytes) -> bool:
    """True for the server's ``script_finished`` message of a complete run (not one cut short by a rerun)."""
    if not isinstance(payload, bytes):
        return False
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # not a ForwardMsg: ignore it
        return False
    return message.WhichOneof("type") == "script_finished" and message.script_finished != _FINISHED_EARLY_FOR_RERUN


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A new browser context and page per test (1280×720, fr-FR, Paris time); screenshot if the test fails."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris",
                                  service_workers="block")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    new_page = context.new_page()
    new_page.runs = _RunTracker(new_page)  # type: ignore[attr-defined]
    new_page.page_errors = []  # type: ignore[attr-defined]
    new_page.on("pageerror", lambda error: new_page.page_errors.append(str(error)))
    yield new_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            save_screenshot(new_page, f"FAILED-{request.node.name}")
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
    context.close()


# --------------------------------------------------------------------------- offline


@dataclass
class BlockedRequests:
    """URLs the page tried to load outside the app's origin (all aborted)."""

    allowed_prefix: str
    urls: list[str] = field(default_factory=list)

    def __call__(self, route) -> None:
        url = route.request.url
        if url.startswith(self.allowed_prefix) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.urls.append(url)
            route.abort("internetdisconnected")


def block_outside_requests(page, base_url: str) -> BlockedRequests:
    """Abort every request of the page's context that does not go to the app; returns the record of them.

    Routed on the context, so iframes (components, maps) are covered too.
    The app's websocket (same origin) is not routed and keeps working.
    """
    blocked = BlockedRequests(base_url.rstrip("/") + "/")
    page.context.route("**/*", blocked)
    return blocked


@pytest.fixture
def offline_page(page, app_server: str):
    """``page`` with the outside world cut off; ``offline_page.blocked.urls`` lists what was refused."""
    page.blocked = block_outside_requests(page, app_server)  # type: ignore[attr-defined]
    return page


# --------------------------------------------------------------------------- helpers


def wait_for_app(page, *expected, timeout: int = APP_TIMEOUT_MS, allow_exception: bool = False) -> None:
    """Wait until Streamlit has finished the script run and drawn its result.

    Waits for the ``stApp`` root to be connected with ``data-test-script-state``
    "notRunning" and the status widget's running icon to be gone, then for each
    ``expected`` (a Playwright locator or a text) to be visible, then for no
    element left stale from a previous run and no lazy-loading skeleton.
    Without ``expected``, waits for the page title (every page has an
    ``st.title``). A Streamlit exception box fails the test at once with its
    text (unless ``allow_exception``) instead of waiting for the timeout.

    After an interaction, prefer ``expect_rerun`` or pass something only the
    new run shows: until the browser has processed the new run, the page is
    still the old, settled one.
    """
    from playwright.sync_api import expect

    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.locator('[data-testid="stStatusWidgetRunningIcon"]')).to_have_count(0, timeout=timeout)
    if not expected:
        expected = (page.locator('[data-testid="stMain"] h1').first,)
    exceptions = page.locator('[data-testid="stException"]')
    for item in expected:
        locator = page.get_by_text(item).first if isinstance(item, str) else item
        if allow_exception:
            expect(locator).to_be_visible(timeout=timeout)
            continue
        expect(locator.or_(exceptions).first).to_be_visible(timeout=timeout)
        if exceptions.count():
            assert_no_exception(page)
    expect(page.locator('[data-testid="stElementContainer"][data-stale="true"]')).to_have_count(0, timeout=timeout)
    expect(page.locator('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')).to_have_count(0, timeout=timeout)
    # What was expected may show in the middle of a run (right after a reload, before the run had started,
    # the state read "notRunning"): the run must be over too.
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def open_app(page, url: str, *expected, timeout: int = APP_TIMEOUT_MS) -> None:
    """Go to ``url`` and wait for the first run to be drawn."""
    page.goto(url, wait_until="commit")  # wait_for_app below waits for what matters
    wait_for_app(page, *expected, timeout=timeout)


@contextmanager
def expect_rerun(page, *expected, timeout: int = APP_TIMEOUT_MS) -> Iterator[None]:
    """Around an interaction: wait for the server to finish the run it causes, then for the page to settle.

    ``with expect_rerun(page): page.get_by_role("option", name="Vague 2017").click()``
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    runs: _RunTracker = page.runs
    before = runs.finished_runs
    if runs.socket is None:
        raise AssertionError("expect_rerun needs a page already connected to the app (use open_app first)")
    yield
    deadline = time.monotonic() + timeout / 1000
    while runs.finished_runs <= before:
        remaining_ms = (deadline - time.monotonic()) * 1000
        if remaining_ms <= 0:
            raise AssertionError(f"no script run finished within {timeout} ms after the interaction")
        # Blocks until the next frame arrives on the app's websocket (no polling, no sleep);
        # the tracker, registered first, has counted it by the time this returns.
        try:
            runs.socket.wait_for_event("framereceived", timeout=remaining_ms)
        except PlaywrightTimeoutError:
            raise AssertionError(f"no script run finished within {timeout} ms after the interaction") from None
    wait_for_app(page, *expected, timeout=timeout)


def save_screenshot(page, name: str) -> Path:
    """Save the page (the viewport) to ``tests/artifacts/<name>.png`` and return the path."""
    path = _artifact_path(name, ".png")
    page.screenshot(path=str(path))
    return path


def assert_no_exception(page) -> None:
    """Fail the test if the page shows a Streamlit exception box, with its text."""
    boxes = page.locator('[data-testid="stException"]')
    count = boxes.count()
    if count:
        texts = "\n---\n".join(boxes.nth(i).inner_text() for i in range(count))
        pytest.fail(f"the page shows {count} Streamlit exception(s) at {page.url}:\n{texts}", pytrace=False)


# --------------------------------------------------------------------------- users and login

sys.path.insert(0, str(ROOT / "tests"))
from conftest import TEST_USERS, USER_OF_ROLE, write_users  # noqa: E402  (the unit tests' users)


def users_env(folder: Path) -> dict[str, str]:
    """``extra_env`` for ``start_app``: users configured (one per role, see tests/conftest.py TEST_USERS)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"PASSERELLES_SECRETS": str(write_users(folder / "secrets.toml"))}


def log_in(page, role: str, *expected, timeout: int = APP_TIMEOUT_MS) -> None:
    """On the login form the app shows: type the test user of ``role`` and its password, submit, wait."""
    from playwright.sync_api import expect

    name = USER_OF_ROLE[role]
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_label("Identifiant")).to_be_visible(timeout=timeout)
    main.get_by_label("Identifiant").fill(name)
    main.get_by_label("Mot de passe").fill(TEST_USERS[name][1])
    with expect_rerun(page, *expected, timeout=timeout):
        main.get_by_role("button", name="Se connecter").click()


def open_logged_in(page, url: str, role: str, *expected, timeout: int = APP_TIMEOUT_MS) -> None:
    """Go to ``url`` (a new session: the login form), log in as ``role`` and wait for the page."""
    open_app(page, url, page.locator('[data-testid="stMain"]').get_by_label("Identifiant"), timeout=timeout)
    log_in(page, role, *expected, timeout=timeout)
