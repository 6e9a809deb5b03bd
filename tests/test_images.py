"""Chart and map images drawn by the installed Chromium: valid files that hold their legend."""

from __future__ import annotations

import io
import os
from datetime import date

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from lib.images import DEFAULT_CHROMIUM, ImageExportError, chromium_path, figure_png, figure_svg

pytestmark = pytest.mark.skipif(not os.access(os.environ.get("PASSERELLES_CHROMIUM") or DEFAULT_CHROMIUM, os.X_OK)
                                and os.environ.get("REQUIRE_BROWSER") != "1", reason="no Chromium")


def _figure(legend: bool) -> go.Figure:
    return go.Figure([go.Bar(x=["Argenteuil", "Cergy"], y=[3, 5], name="Liens très satisfaisants"),
                      go.Bar(x=["Argenteuil", "Cergy"], y=[1, 2], name="Liens difficiles")],
                     layout={"title": "Liens par territoire", "showlegend": legend})


def test_chart_svg_holds_the_legend_text_and_png_is_a_valid_image():
    svg = figure_svg(_figure(True)).decode("utf-8")
    assert svg.startswith("<svg") and "Liens très satisfaisants" in svg and "Liens difficiles" in svg
    png = figure_png(_figure(True), width=800, height=450, scale=1)
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (800, 450))


def test_chart_png_draws_its_legend():
    """The same chart with and without its legend: the legend's corner differs, drawn in dark pixels."""
    with_legend = np.asarray(Image.open(io.BytesIO(figure_png(_figure(True), width=800, height=450, scale=1)))
                             .convert("L"))
    without = np.asarray(Image.open(io.BytesIO(figure_png(_figure(False), width=800, height=450, scale=1)))
                         .convert("L"))
    corner = (slice(60, 160), slice(620, 800))  # plotly's legend: top right, beside the plot
    assert (with_legend[corner] < 100).sum() > 50
    assert (without[corner] < 100).sum() == 0


def test_missing_chromium_says_so_in_french(monkeypatch):
    monkeypatch.setenv("PASSERELLES_CHROMIUM", "/nulle/part/chromium")
    with pytest.raises(ImageExportError, match="Chromium est introuvable"):
        chromium_path()
    with pytest.raises(ImageExportError):
        figure_png(_figure(True))


def test_map_png_holds_title_and_legend_at_the_given_view():
    from lib.dataset import DEMO_DIR, load_dataset
    from lib.filters import apply_filters, filters_from_query
    from lib.map_image import LEGEND_PX, HEADER_PX, MAP_WIDTH, MapView, map_png, source_line, static_assets_uri
    from lib.maps import MapOptions, build_map, symbols_legend_html
    from lib.metrics import aggregate_links, indicators_by_territory
    from lib.territories import territory_column

    dataset = load_dataset(DEMO_DIR)
    view = apply_filters(dataset, filters_from_query({}, dataset))
    links = aggregate_links(view.reponses, with_codes=False)
    table = indicators_by_territory(view, links, territory_column("commune"), proximity=False)

    def image(legend: str | None, at: MapView | None = None) -> np.ndarray:
        fmap = build_map(dataset.reference, view.structures, links, table,
                         MapOptions(indicator="liens", basemap="aucun", level="commune", opportunities=False),
                         custom=dataset.territoires, assets_url=static_assets_uri())
        png = map_png(fmap, "Carte des partenariats", legend, source_line("aucun", "démonstration"),
                      date(2026, 12, 5), view=at)
        picture = Image.open(io.BytesIO(png))
        assert picture.format == "PNG"
        return np.asarray(picture.convert("L"))

    with_legend, without = image(symbols_legend_html()), image(None)
    panel = (slice(HEADER_PX + 10, HEADER_PX + 300), slice(MAP_WIDTH - LEGEND_PX + 10, MAP_WIDTH - 10))
    assert (with_legend[panel] < 100).sum() > 500  # the legend's words and symbols
    assert not np.array_equal(with_legend[panel], without[panel])
    assert (with_legend[:HEADER_PX] < 100).sum() > 200  # the title
    zoomed = image(None, MapView(49.0, 2.2, 12))
    assert not np.array_equal(zoomed[HEADER_PX:-60], without[HEADER_PX:-60])  # the view given is the one drawn
    assert "OpenStreetMap" in source_line("osm", "x") and "OpenStreetMap" not in source_line("aucun", "x")
