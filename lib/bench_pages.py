"""``python -m lib.cli bench pages | concurrent``: the app's pages in headless Chromium, timed (JSON, not a test).

A real ``streamlit run app.py`` serves the demo data set (open access) on a
free port of 127.0.0.1; Playwright drives Debian's Chromium (``/usr/bin/chromium``
or ``$PASSERELLES_CHROMIUM``; no browser is ever downloaded). A page is ready
when Streamlit's script run has ended and its result is drawn: the ``stApp``
root connected and ``notRunning``, no running icon, the page's title shown, no
element left stale from a run and no loading skeleton; on « Carte », also the
structures' Leaflet layers on the map in the ``st_folium`` iframe.

- ``bench pages``: each page opened ``repeat`` times in a new tab (a new
  Streamlit session; the browser's cache of the app's scripts kept, as a user's
  new tab), after one untimed visit that loads the data set into the server.
- ``bench concurrent``: ``sessions`` browser contexts at once against one
  server, each opening « Carte » then « Impact »; per-page median and 90th
  percentile, and the errors.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from lib.access import PAGES

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 720}
START_TIMEOUT_S = 90.0
PAGE_TIMEOUT_MS = 120_000
MAP_PAGE = "pages/1_Carte.py"
CONCURRENT_PAGES = ("pages/1_Carte.py", "pages/10_Impact.py")
CONCURRENT_POLLING_MS = 100  # 20 tabs checking on every frame would take CPU from the server they measure

# Streamlit's run is over and drawn: what tests/browser/conftest.py wait_for_app waits for, as one predicate.
READY_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (document.querySelector('[data-testid="stException"]')) return 'exception';
    return !!app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
        && !!document.querySelector('[data-testid="stMain"] h1')
        && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')
        && !document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]');
}"""
# The structures are on the map (their GeoJSON layers), and drawn: canvas layers paint on the next frames.
MAP_DRAWN_JS = """() => window.map && Object.values(window.map._layers).some(
    l => l.feature && l.feature.properties && l.feature.properties.kind === 'structure')"""
TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
# Installed in every tab before the app's scripts: when (ms since the navigation) the browser saw the server
# connected, the script run start and end. Split a page's time into the app's start-up, the run, and drawing.
PHASES_INIT_JS = """(() => {
    const seen = window.__passerellesPhases = {};
    new MutationObserver(() => {
        const app = document.querySelector('[data-testid="stApp"]');
        if (!app) return;
        const now = performance.now();
        const state = app.getAttribute('data-test-script-state');
        if (seen.connected === undefined && app.getAttribute('data-test-connection-state') === 'CONNECTED')
            seen.connected = now;
        if (state === 'running') {
            if (seen.run_start === undefined) seen.run_start = now;
            seen.running = true;
        }
        if (state === 'notRunning' && seen.running) { seen.run_end = now; seen.running = false; }
    }).observe(document, {subtree: true, childList: true, attributes: true});
})()"""
PHASES_JS = "() => ({...window.__passerellesPhases, ready: performance.now()})"
PHASE_NAMES = ("demarrage_ms", "script_ms", "dessin_ms")


class BenchError(RuntimeError):
    """The app or the browser could not be measured; the message says why, in French."""


def url_path(script: str) -> str:
    """The URL path Streamlit gives a page script: ``pages/1_Carte.py`` → ``/Carte``, ``app.py`` → ``/``."""
    if script == "app.py":
        return "/"
    return "/" + re.sub(r"^\d+_", "", Path(script).stem)


def summary(times_ms: list[float]) -> dict:
    """Median and 90th percentile (inclusive, interpolated) of some timings, rounded to the ms, and their count."""
    if not times_ms:
        return {"n": 0, "median_ms": None, "p90_ms": None}
    p90 = times_ms[0] if len(times_ms) == 1 else statistics.quantiles(times_ms, n=10, method="inclusive")[8]
    return {"n": len(times_ms), "median_ms": round(statistics.median(times_ms)),
            "p90_ms": round(p90), "max_ms": round(max(times_ms))}


def chromium_path() -> Path:
    """The Chromium that Playwright drives (``$PASSERELLES_CHROMIUM``, else Debian's); BenchError when absent."""
    path = Path(os.environ.get("PASSERELLES_CHROMIUM") or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise BenchError(f"pas de navigateur : {path} absent (paquet « chromium », ou PASSERELLES_CHROMIUM)")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The floor: what Streamlit and this browser cost with (almost) nothing of ours, served and measured as the
# app's pages are (same configuration, same browser): a title alone, or a title and one small plotly chart.
FLOOR_SCRIPT = """import streamlit as st
st.title("Plancher")
if st.query_params.get("avec") == "plotly":
    import plotly.graph_objects as go
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[1, 3, 2])))
"""
FLOOR_PAGES = {"plancher : titre seul": "/", "plancher : titre et un graphique plotly": "/?avec=plotly"}


@contextmanager
def app_server(data_dir: Path, script: str = "app.py", pid: list | None = None) -> Iterator[str]:
    """``streamlit run app.py`` on ``data_dir`` in open access (no users), headless on a free port; its URL.

    ``script``: another script to serve (run from the project's folder, so with its configuration).
    ``pid``: if given, the server's process id is appended to it.
    Waits for the health check; the process is always stopped on the way out (terminated, killed after 10 s).
    """
    with tempfile.TemporaryDirectory() as temporary:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
        env.update(PYTHONUNBUFFERED="1", PASSERELLES_DATA=str(Path(data_dir).resolve()),
                   PASSERELLES_SECRETS=str(Path(temporary) / "pas-de-secrets.toml"))
        log_path = Path(temporary) / "streamlit.log"
        command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--server.headless", "true",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT)
        if pid is not None:
            pid.append(process.pid)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise BenchError(f"le serveur Streamlit s'est arrêté (code {process.returncode}) : "
                                     + log_path.read_text(errors="replace")[-500:])
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                        if response.read().strip() == b"ok":
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"le serveur Streamlit ne répond pas après {START_TIMEOUT_S:.0f} s")
                time.sleep(0.1)  # poll interval of the health check
            yield base
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def phases_of(seen: dict) -> dict[str, float]:
    """A page's time split in three (ms): ``demarrage_ms`` from the navigation until the server is connected
    (the browser loads and starts Streamlit's own scripts), ``script_ms`` until the browser sees the script run
    end (the server runs the page while the browser draws what arrives), ``dessin_ms`` from there until ready
    (the last elements drawn: plotly's and the grids' scripts, the map). Missing marks give ``None``."""
    connected, start, end, ready = (seen.get(k) for k in ("connected", "run_start", "run_end", "ready"))
    if None in (connected, start, end, ready):
        return dict.fromkeys(PHASE_NAMES)
    return {"demarrage_ms": connected, "script_ms": end - connected, "dessin_ms": ready - end}


async def open_page_ms(context, url: str, with_map: bool, polling: str | int = "raf",
                       phases: list | None = None) -> float:
    """Open ``url`` in a new tab of ``context``; ms from the navigation until the page is ready (and mapped).

    ``polling``: how often the page checks (every frame; or every N ms, lighter when many tabs share the cores).
    ``phases``: if given, the page's ``phases_of`` is appended to it.
    """
    page = await context.new_page()
    try:
        if phases is not None:
            await page.add_init_script(PHASES_INIT_JS)
        start = time.perf_counter()
        await page.goto(url, wait_until="commit")
        ready = await page.wait_for_function(READY_JS, polling=polling, timeout=PAGE_TIMEOUT_MS)
        state = await ready.json_value()
        if state == "exception":
            raise BenchError(f"{url} : la page montre une exception Streamlit")
        if with_map:
            await page.locator('iframe[title="streamlit_folium.st_folium"]').wait_for(timeout=PAGE_TIMEOUT_MS)
            frame = next(f for f in page.frames if "st_folium" in f.url)
            await frame.wait_for_function(MAP_DRAWN_JS, polling=polling, timeout=PAGE_TIMEOUT_MS)
            await frame.evaluate(TWO_FRAMES_JS)
        elapsed = (time.perf_counter() - start) * 1000
        if phases is not None:
            phases.append(phases_of(await page.evaluate(PHASES_JS)))
        return elapsed
    finally:
        await page.close()


async def _pages_ms(base: str, scripts: list[str], repeat: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_FLAGS)
        try:
            context = await browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
            first = {}
            for script in scripts:  # untimed: the server loads the data set, the browser caches the app's scripts
                first[script] = round(await open_page_ms(context, base + url_path(script), script == MAP_PAGE))
            results = {}
            for script in scripts:
                results[script] = {**await _timed_visits(context, base + url_path(script), script == MAP_PAGE,
                                                         repeat), "first_visit_ms": first[script]}
            return results
        finally:
            await browser.close()


async def _timed_visits(context, url: str, with_map: bool, repeat: int) -> dict:
    """``repeat`` visits of ``url``: the summary, each run, and the median of each phase (``phases_of``)."""
    phases: list[dict] = []
    times = [await open_page_ms(context, url, with_map, phases=phases) for _ in range(repeat)]
    return {**summary(times), "runs_ms": [round(t) for t in times], "phases": median_phases(phases)}


def median_phases(phases: list[dict]) -> dict:
    """The median of each phase over the visits that recorded it (ms, rounded), ``None`` if none did."""
    found = {}
    for name in PHASE_NAMES:
        values = [p[name] for p in phases if p.get(name) is not None]
        found[name] = round(statistics.median(values)) if values else None
    return found


async def _floor_ms(base: str, repeat: int) -> dict:
    """The floor pages (FLOOR_SCRIPT), measured as the app's pages are, after one untimed visit each."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_FLAGS)
        try:
            context = await browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
            found = {}
            for name, path in FLOOR_PAGES.items():
                await open_page_ms(context, base + path, False)
                found[name] = await _timed_visits(context, base + path, False, repeat)
            return found
        finally:
            await browser.close()


def bench_floor(repeat: int = 3) -> dict:
    """The floor pages on a Streamlit server of their own (FLOOR_SCRIPT in a temporary file)."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "plancher.py"
        script.write_text(FLOOR_SCRIPT, encoding="utf-8")
        with app_server(Path(folder), str(script)) as base:
            return run_coroutine(_floor_ms(base, repeat))


async def _session(browser, base: str, scripts: tuple[str, ...]) -> dict[str, float | str]:
    """One user: a context of their own, the pages one after the other; each page's ms, or the error."""
    context = await browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
    found: dict[str, float | str] = {}
    try:
        for script in scripts:
            try:
                found[script] = await open_page_ms(context, base + url_path(script), script == MAP_PAGE,
                                                   CONCURRENT_POLLING_MS)
            except Exception as error:  # counted and reported, the other sessions go on
                found[script] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    finally:
        await context.close()
    return found


async def _concurrent_ms(base: str, sessions: int, scripts: tuple[str, ...],
                         at_start=lambda: None) -> tuple[list[dict], float]:
    """Every session's timings, and the wall time of all of them (s), after one untimed session;
    ``at_start`` is called when the timed part starts."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_FLAGS)
        try:
            await _session(browser, base, scripts)  # untimed: data set loaded, caches warm, as for bench pages
            at_start()
            start = time.perf_counter()
            found = await asyncio.gather(*(_session(browser, base, scripts) for _ in range(sessions)))
            return list(found), time.perf_counter() - start
        finally:
            await browser.close()


def chosen_pages(names: str | None) -> list[str]:
    """The page scripts to measure: every page of the menu, or those whose URL path is in ``names``
    (comma-separated, e.g. ``Carte,Impact``; ``Accueil`` for the home page)."""
    scripts = [page.script for page in PAGES]
    if not names:
        return scripts
    wanted = {name.strip().strip("/").lower() for name in names.split(",")}
    chosen = [s for s in scripts if (url_path(s).strip("/") or "accueil").lower() in wanted]
    if len(chosen) != len(wanted):
        raise BenchError(f"pages inconnues : {names} (possibles : "
                         + ", ".join(url_path(s).strip("/") or "Accueil" for s in scripts) + ")")
    return chosen


def _loaded(data_dir: Path) -> dict:
    from lib.bench import loaded_counts
    from lib.dataset import load_dataset

    return loaded_counts(load_dataset(data_dir), "demo")


def run_coroutine(coroutine):
    """``asyncio.run`` in this thread, or in a thread of its own when this one already runs an event loop
    (a caller driving Playwright's sync API, as the browser tests do)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def bench_pages(repeat: int = 3, pages: str | None = None, data_dir: Path | None = None) -> dict:
    """``bench pages``: each page, new tab → ready, median of ``repeat`` (ms)."""
    from lib.dataset import DEMO_DIR

    data_dir = data_dir or DEMO_DIR
    scripts = chosen_pages(pages)
    chromium = chromium_path()
    with app_server(data_dir) as base:
        results = run_coroutine(_pages_ms(base, scripts, repeat))
    floor = bench_floor(repeat)
    return {"benchmark": "pages", "repeat": repeat, "cpu_count": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 1), "browser": str(chromium),
            "loaded": _loaded(data_dir),
            "note": "ms d'un nouvel onglet jusqu'à la fin du script Streamlit (stApp notRunning, rien de périmé) "
                    "et, sur la carte, les structures dessinées ; médiane de repeat, après une visite non chronométrée "
                    "(first_visit_ms). phases (médianes) : demarrage_ms jusqu'à la connexion au serveur (scripts de "
                    "Streamlit), script_ms jusqu'à la fin du script vue par le navigateur, dessin_ms jusqu'à la page "
                    "prête. plancher : une page Streamlit presque vide, servie et mesurée de même.",
            "pages": {url_path(script): figures for script, figures in results.items()},
            "plancher": floor}


def concurrent_summary(sessions: list[dict]) -> dict:
    """Per page: summary of the timings of every session, and the errors counted (with up to 3 of them)."""
    pages = {}
    for script in dict.fromkeys(s for found in sessions for s in found):
        values = [found[script] for found in sessions if script in found]
        times = [v for v in values if isinstance(v, float | int)]
        errors = [v for v in values if isinstance(v, str)]
        pages[url_path(script)] = {**summary(times), "errors": len(errors), "error_examples": errors[:3]}
    return pages


def process_cpu_s(pid: int) -> float:
    """CPU time (user + system, s) used so far by process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> float:
    """CPU time (s) the whole machine has spent busy since boot, every core summed (Linux ``/proc/stat``)."""
    jiffies = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = jiffies[3] + (jiffies[4] if len(jiffies) > 4 else 0)  # idle and iowait
    return (sum(jiffies[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_split(server_s: float, machine_s: float, wall_s: float, pages: int) -> dict:
    """Where the cores went during the timed part: the Streamlit server, everything else (the browser and
    this benchmark, and any other work on the machine), per page opened, and the cores' capacity."""
    return {"serveur_s": round(server_s, 1), "reste_s": round(machine_s - server_s, 1),
            "serveur_par_page_ms": round(1000 * server_s / pages) if pages else None,
            "capacite_s": round(wall_s * (os.cpu_count() or 1), 1)}


def bench_concurrent(sessions: int = 20, data_dir: Path | None = None) -> dict:
    """``bench concurrent``: ``sessions`` users at once, each opening « Carte » then « Impact » (ms per page),
    and the CPU time of the server and of the rest of the machine (the browser) while they do."""
    from lib.dataset import DEMO_DIR

    data_dir = data_dir or DEMO_DIR
    chromium = chromium_path()
    server: list[int] = []
    with app_server(data_dir, pid=server) as base:
        before: list[float] = []
        found, wall = run_coroutine(_concurrent_ms(base, sessions, CONCURRENT_PAGES,
                                                   lambda: before.extend([process_cpu_s(server[0]),
                                                                          machine_cpu_s()])))
        cpu = cpu_split(process_cpu_s(server[0]) - before[0], machine_cpu_s() - before[1], wall,
                        sessions * len(CONCURRENT_PAGES))
    pages = concurrent_summary(found)
    return {"benchmark": "concurrent", "sessions": sessions, "cpu_count": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 1), "browser": str(chromium),
            "loaded": _loaded(data_dir), "wall_s": round(wall, 1), "cpu": cpu,
            "note": "chaque session : un contexte de navigateur qui ouvre Carte puis Impact ; un serveur ; médiane "
                    "et 90e centile par page ; le navigateur (20 contextes) partage les cœurs avec le serveur. cpu : "
                    "temps de calcul pendant la partie chronométrée, du serveur Streamlit et du reste de la machine "
                    "(le navigateur surtout), et ce que les cœurs pouvaient donner (capacite_s).",
            "pages": pages, "errors": sum(p["errors"] for p in pages.values())}
