"""Still images of the app's views: charts as PNG and SVG, any HTML page (the map) as PNG.

Both are drawn by the Chromium already on the machine (``/usr/bin/chromium``,
or ``$PASSERELLES_CHROMIUM``); no browser is ever downloaded and nothing is
fetched from the network: kaleido loads plotly.js from the plotly package and
MathJax is turned off (its default is a CDN). Every export is bounded in time
and fails with :class:`ImageExportError`, whose message is French and meant
for the page.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# One export (browser start included: ~3 s here) never holds a page longer than this.
EXPORT_TIMEOUT_S = 45.0
# Chart images: the size of a projected slide, twice as dense for print.
CHART_WIDTH, CHART_HEIGHT, CHART_SCALE = 1200, 675, 2
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


class ImageExportError(RuntimeError):
    """An image could not be made; the message says why, in French."""


def chromium_path() -> Path:
    """The Chromium that draws images; :class:`ImageExportError` when it is not there."""
    path = Path(os.environ.get("PASSERELLES_CHROMIUM") or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ImageExportError(
            f"Export d'image indisponible : le navigateur Chromium est introuvable ({path}). "
            "Installez le paquet « chromium » sur le serveur (ou indiquez son chemin dans la variable "
            "PASSERELLES_CHROMIUM) ; les tableaux CSV et Excel restent disponibles.")
    return path


def run_bounded(coroutine_factory, timeout_s: float, what: str) -> Any:
    """Run ``coroutine_factory()`` in a thread of its own (its own event loop), for ``timeout_s`` at most.

    A thread: Streamlit's script thread may already run an event loop. On
    timeout the coroutine is cancelled, which closes the browser it opened.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = asyncio.run(asyncio.wait_for(coroutine_factory(), timeout_s))
        except BaseException as err:  # noqa: BLE001  (handed to the caller's thread)
            outcome["error"] = err

    thread = threading.Thread(target=work, name=f"passerelles-{what}", daemon=True)
    thread.start()
    thread.join(timeout_s + 15)  # the cancellation itself may take a moment to close the browser
    if thread.is_alive() or isinstance(outcome.get("error"), (TimeoutError, asyncio.TimeoutError)):
        raise ImageExportError(f"L'image ({what}) n'a pas pu être faite en {timeout_s:g} s : "
                               "réessayez, ou téléchargez le tableau.")
    if "error" in outcome:
        err = outcome["error"]
        if isinstance(err, ImageExportError):
            raise err
        raise ImageExportError(f"L'image ({what}) n'a pas pu être faite : {type(err).__name__}.") from err
    return outcome["value"]


def _figure_dict(figure) -> dict:
    return figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)


def figure_image(figure, fmt: str, width: int = CHART_WIDTH, height: int = CHART_HEIGHT,
                 scale: float = CHART_SCALE, timeout_s: float = EXPORT_TIMEOUT_S) -> bytes:
    """A plotly figure (object or dict) as ``fmt`` ("png" or "svg") bytes, drawn by kaleido in Chromium."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown image format {fmt!r}")
    browser = chromium_path()
    import kaleido  # noqa: PLC0415  (a heavy import, for the few who export)

    spec = _figure_dict(figure)
    options = {"format": fmt, "width": width, "height": height, "scale": scale}
    browser_options = {"path": str(browser), "mathjax": False, "timeout": timeout_s}

    async def draw() -> bytes:
        return await kaleido.calc_fig(spec, opts=options, kopts=browser_options)

    data = run_bounded(draw, timeout_s, f"graphique {fmt.upper()}")
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def figure_png(figure, **size) -> bytes:
    """The figure as a PNG (1200×675 drawn at twice the density unless told otherwise)."""
    return figure_image(figure, "png", **size)


def figure_svg(figure, **size) -> bytes:
    """The figure as an SVG (text stays text: it can be edited and searched)."""
    return figure_image(figure, "svg", **size)


def html_png(html: str, width: int, height: int, ready_js: str = "true", scale: float = 1.0,
             allow_network: bool = False, timeout_s: float = EXPORT_TIMEOUT_S) -> bytes:
    """A PNG of ``html`` (a whole page, may load ``file://`` assets) at ``width``×``height`` CSS pixels.

    ``ready_js`` is an expression the page makes true when drawn. Without
    ``allow_network`` every request other than ``file:``/``data:`` is aborted
    (the map's tiles: allowed when the map shows them, then waited for at most
    a few seconds — a map without its tiles still has its data).
    """
    browser = chromium_path()
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async def draw() -> bytes:
        async with async_playwright() as playwright:
            chromium = await playwright.chromium.launch(executable_path=str(browser), args=CHROMIUM_FLAGS)
            try:
                context = await chromium.new_context(viewport={"width": width, "height": height},
                                                     device_scale_factor=scale, locale="fr-FR")

                async def route(request_route) -> None:
                    url = request_route.request.url
                    if allow_network or url.startswith(("file:", "data:", "blob:")):
                        await request_route.continue_()
                    else:
                        await request_route.abort("internetdisconnected")

                await context.route("**/*", route)
                page = await context.new_page()
                with tempfile.TemporaryDirectory(prefix="passerelles-image-") as folder:
                    # A file, not set_content: a page at about:blank may not load file:// assets.
                    index = Path(folder) / "index.html"
                    index.write_text(html, encoding="utf-8")
                    await page.goto(index.as_uri(), wait_until="load", timeout=timeout_s * 1000)
                await page.wait_for_function(ready_js, timeout=timeout_s * 1000)
                if allow_network:
                    try:
                        await page.wait_for_load_state("networkidle", timeout=8000)
                    except Exception:  # noqa: BLE001  (tiles late or unreachable: the image is made without them)
                        pass
                return await page.screenshot(type="png", full_page=False)
            finally:
                await chromium.close()

    return run_bounded(draw, timeout_s, "carte PNG")
