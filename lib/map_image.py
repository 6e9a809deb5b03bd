"""The map as a still image: the same folium map, framed with its title, legend, source and date.

The map the page shows is built again with its assets read from ``static/``
on disk (``file://``) and drawn by headless Chromium (:func:`lib.images.html_png`)
at the view the page shows. The frame — title above, legend at the right,
source and date below — is plain HTML around the map, every text escaped.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import folium
from branca.element import Element

from lib.formatting import format_date
from lib.images import html_png

STATIC_ASSETS = Path(__file__).resolve().parents[1] / "static" / "node_modules"
# A 16:9 image, readable on a slide and on a wall.
MAP_WIDTH, MAP_HEIGHT = 1600, 900
HEADER_PX, FOOTER_PX, LEGEND_PX = 64, 40, 300
TILE_CREDIT = {"osm": "Fond : © contributeurs OpenStreetMap",
               "clair": "Fond : © contributeurs OpenStreetMap, © CARTO"}
READY = "window.passerellesMapReady === true"


@dataclass(frozen=True)
class MapView:
    """Where the map looks: a centre and a zoom level (Leaflet's)."""

    latitude: float
    longitude: float
    zoom: float


def static_assets_uri() -> str:
    """``static/node_modules`` as a ``file://`` URL, for a map drawn outside the app."""
    return STATIC_ASSETS.as_uri()


def source_line(basemap: str, dataset_label: str) -> str:
    """« Fond : © contributeurs OpenStreetMap · Données : Passerelles, <data set> » (no basemap: no credit)."""
    parts = [TILE_CREDIT[basemap]] if basemap in TILE_CREDIT else []
    parts.append(f"Données : Passerelles, {dataset_label}")
    return " · ".join(parts)


class _Raw(Element):
    """Text added to the page as is: never compiled as a Jinja template (data may hold "{{")."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def framed_map_html(fmap: folium.Map, title: str, legend_html: str | None, source: str, when: date,
                    view: MapView | None = None) -> str:
    """The whole page of the image: ``fmap`` (built with :func:`static_assets_uri`) inside its frame.

    Args:
        fmap: the map, as the page builds it but with assets on disk.
        title: the first line (what the map shows); escaped here.
        legend_html: HTML of the legend panel (built from escaped parts, e.g. ``maps.symbols_legend_html``);
            None leaves the panel empty.
        source: the source line; escaped here.
        when: the date written under the map.
        view: the view to show; None keeps the map's own bounds.
    """
    name = fmap.get_name()
    # No animation: a zoom animation waits for a CSS transition, and a view set meanwhile is dropped.
    fmap.options.update(zoomAnimation=False, fadeAnimation=False, markerZoomAnimation=False)
    root = fmap.get_root()
    right = LEGEND_PX if legend_html is not None else 0
    root.header.add_child(_Raw(f"""<style>
  html, body {{background: #ffffff;}}
  #{name} {{position: absolute !important; top: {HEADER_PX}px !important; bottom: {FOOTER_PX}px !important;
    left: 0 !important; right: {right}px !important; width: auto !important; height: auto !important;}}
  .passerelles-frame {{position: absolute; font-family: "Source Sans Pro", "DejaVu Sans", Arial, sans-serif;
    color: #1b1f23; box-sizing: border-box;}}
  #passerelles-title {{top: 0; left: 0; right: 0; height: {HEADER_PX}px; padding: 12px 18px; font-size: 28px;
    font-weight: 700; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}}
  #passerelles-legend-panel {{top: {HEADER_PX}px; right: 0; width: {LEGEND_PX}px; bottom: {FOOTER_PX}px;
    padding: 8px 12px; font-size: 14px; overflow: hidden;}}
  #passerelles-source {{bottom: 0; left: 0; right: 0; height: {FOOTER_PX}px; padding: 10px 18px; font-size: 15px;
    color: #3d4349; border-top: 1px solid #d0d4d9;}}
  .leaflet-control-layers, .leaflet-control-zoom, .leaflet-control-fullscreen {{display: none !important;}}
</style>"""), name="passerelles_frame_style")
    panel = (f"<div id='passerelles-legend-panel' class='passerelles-frame'>{legend_html}</div>"
             if legend_html is not None else "")
    root.html.add_child(_Raw(
        f"<div id='passerelles-title' class='passerelles-frame'>{html.escape(title)}</div>{panel}"
        f"<div id='passerelles-source' class='passerelles-frame'>{html.escape(source)} · "
        f"{html.escape(format_date(when))}</div>"), name="passerelles_frame")
    move = (f"{name}.setView([{json.dumps(view.latitude)}, {json.dumps(view.longitude)}], {json.dumps(view.zoom)},"
            " {reset: true});" if view is not None else "")
    # On load (folium writes the map's own script at render time, after this one): lay out at the frame's
    # size, set the view, and say "ready" once a frame has been drawn after that.
    root.script.add_child(_Raw(
        f"window.addEventListener('load', function () {{ {name}.invalidateSize(false); {move}"
        f"{name}.whenReady(function () {{ requestAnimationFrame(function () {{ requestAnimationFrame(function () "
        "{ window.passerellesMapReady = true; }); }); }); });"), name="passerelles_ready")
    return root.render()


def map_png(fmap: folium.Map, title: str, legend_html: str | None, source: str, when: date,
            view: MapView | None = None, with_tiles: bool = False,
            width: int = MAP_WIDTH, height: int = MAP_HEIGHT) -> bytes:
    """The framed map as a PNG (see :func:`framed_map_html`); tiles are fetched only when ``with_tiles``."""
    page = framed_map_html(fmap, title, legend_html, source, when, view)
    return html_png(page, width, height, ready_js=READY, allow_network=with_tiles)


def carte_png(dataset, view, indicator: str, at: MapView | None, large: bool = False,
              where_layers: dict | None = None, when: date | None = None) -> bytes:
    """The Carte page's map as an image: the view's structures, links and territories at ``at``.

    Framed with its title (wave, territory, links: ``lib.filters.view_line``), the legend inside the map,
    the source and the date; without the basemap, so it is made offline from the app's own Leaflet files.

    Args:
        dataset: the data set (``lib.dataset.Dataset``).
        view: ``lib.filters.apply_filters`` of the page's filters; its level sets the territories drawn.
        indicator: the territories' colour (``lib.metrics.INDICATORS`` code; unknown → « liens »).
        at: the view shown (centre and zoom), None for the view's own bounds.
        large: large type (projection).
        where_layers: ``lib.where_map.map_layers`` when the page shows « Où agir ? » (opportunities, partner
            sizes, structures-relais, blank zones); None or empty without it.
    """
    from lib.filters import view_line  # noqa: PLC0415  (the page's modules: imported when drawing)
    from lib.maps import MapOptions, build_map, view_bounds  # noqa: PLC0415
    from lib.metrics import INDICATORS, PROXIMITY_INDICATORS, aggregate_links, indicators_by_territory  # noqa: PLC0415
    from lib.territories import LEVELS, territory_column  # noqa: PLC0415

    indicator = indicator if indicator in INDICATORS else "liens"
    level = view.filters.level if view.filters.level in ("commune", "epci", "territoire") else "commune"
    links = aggregate_links(view.reponses, with_codes=False)
    table = indicators_by_territory(view, links, territory_column(level), proximity=indicator in PROXIMITY_INDICATORS)
    fmap = build_map(dataset.reference, view.structures, links, table,
                     MapOptions(indicator=indicator, basemap="aucun", level=level,
                                opportunities=bool(where_layers), large=large),
                     custom=dataset.territoires, level_label=LEVELS[level], assets_url=static_assets_uri(),
                     bounds=view_bounds(view), **(where_layers or {}))
    line = view_line(view.filters, dataset.reference.departement_name, len(links),
                     tncc=dataset.reference.meta.get("departement_tncc"))
    origin = "données de démonstration (fictives)" if dataset.is_demo else "enquêtes du projet"
    return map_png(fmap, f"Carte des partenariats · {line}", None, source_line("aucun", origin),
                   when or date.today(), view=at)
