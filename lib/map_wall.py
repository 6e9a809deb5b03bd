"""The map made for the wall: Leaflet in French, a map that fills its frame and re-fits, large type.

Leaflet elements added to :func:`lib.maps.build_map`'s map. They hold no data (only
constants and numbers), so nothing here needs escaping.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from branca.element import MacroElement
from folium.template import Template

# Leaflet's own texts, in French. Leaflet 1.9 writes English titles and aria-labels
# ("Zoom in", "Layers", the attribution's "A JavaScript library for interactive maps").
ZOOM_IN_TITLE = "Zoom avant"
ZOOM_OUT_TITLE = "Zoom arrière"
LAYERS_TITLE = "Couches de la carte"
FULLSCREEN_TITLE = "Plein écran"
FULLSCREEN_CANCEL_TITLE = "Quitter le plein écran"
# Text, not a link: the map's page names no outside address (it runs offline).
ATTRIBUTION_PREFIX = '<span title="Bibliothèque libre de cartes interactives">Leaflet</span>'

# The zooms the map allows: a département at least, a street at most.
MIN_ZOOM, MAX_ZOOM = 7, 18

# Sizes for projection (« grands caractères »): points and lines grow by this factor.
LARGE_SCALE = 1.6

_NORMAL_CSS = """
  .leaflet-container {font: 13px/1.4 "Source Sans Pro", Arial, sans-serif;}
  .leaflet-tooltip {font-size: 13px;}
"""
_LARGE_CSS = """
  .leaflet-container {font: 18px/1.4 "Source Sans Pro", Arial, sans-serif;}
  .leaflet-control-layers {font-size: 18px;}
  .leaflet-tooltip {font-size: 19px;}
  .passerelles-legend {font-size: 17px !important; max-width: 340px !important;}
  .passerelles-legend h4 {font-size: 18px !important;}
  .passerelles-legend .sw {width: 24px !important; height: 16px !important;}
  .passerelles-legend .dot {width: 16px !important; height: 16px !important;}
  .leaflet-control-zoom a, .leaflet-control-zoom-fullscreen {width: 44px !important; height: 44px !important;
    line-height: 44px !important; font-size: 26px !important;}
  .leaflet-control-scale-line {font-size: 15px;}
"""


class WallView(MacroElement):
    """French controls, a metric scale, a map filling its frame, and a re-fit when the frame's size changes.

    The map fills the whole iframe (the page sizes the iframe to the window). Until the user moves
    the map (drag, zoom, a view from the URL or the search), a change of size — window, frame, full
    screen — fits the first view's bounds again; afterwards it keeps the chosen centre and zoom.
    With ``fill_window`` (the Carte page), the map's iframe takes the window's height below its top.
    Must be added after the layer control and the fullscreen button (it renames their buttons).
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
  html, body {margin: 0; padding: 0; overflow: hidden;}
  body > span {display: none;}
  #map_div {height: 100vh !important;}
  .leaflet-control-layers label {margin: 0;}
  {{ this.css }}
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function (fit, map) {
  document.documentElement.lang = 'fr';
  function name(el, text) { if (el) { el.title = text; el.setAttribute('aria-label', text); } }
  if (map.zoomControl) {
    name(map.zoomControl._zoomInButton, {{ this.zoom_in }});
    name(map.zoomControl._zoomOutButton, {{ this.zoom_out }});
  }
  var container = map.getContainer();
  container.querySelectorAll('.leaflet-control-layers-toggle').forEach(function (a) { name(a, {{ this.layers }}); });
  if (map.attributionControl) { map.attributionControl.setPrefix({{ this.prefix }}); }
  L.control.scale({imperial: false, metric: true, position: 'bottomright'}).addTo(map);
  // Re-fit: 'ours' marks the moves made here, any other zoom or drag is the user's choice of view.
  var ours = false;
  map.on('zoomstart dragstart', function () { if (!ours) { fit = null; } });
  function resized() {
    ours = true;
    try {
      map.invalidateSize({animate: false});
      if (fit) { map.fitBounds(fit, {animate: false}); }
    } finally { ours = false; }
  }
  if (window.ResizeObserver) { new ResizeObserver(resized).observe(container); }
  else { L.DomEvent.on(window, 'resize', resized); }
  map.passerellesRefit = function () { return fit; };
  // In the page, the map's frame takes the rest of the window's height (never less than 360 px).
  var frame = null;
  try { frame = {{ this.fill }} ? window.frameElement : null; } catch (e) { frame = null; }
  if (frame) {
    var fill = function () {
      if (!frame.isConnected) { window.parent.removeEventListener('resize', fill); return; }
      var before = frame.style.height;
      var top = frame.getBoundingClientRect().top + window.parent.scrollY;
      var height = Math.max(360, Math.floor(window.parent.innerHeight - top - 16));
      if (before !== height + 'px') { frame.style.setProperty('height', height + 'px', 'important'); }
    };
    fill();
    window.parent.addEventListener('resize', fill);
    // The page above the map settles after the map is drawn (titles, widgets): fill again when it moves.
    var page = window.parent.document.querySelector('[data-testid="stMainBlockContainer"]');
    if (page && window.parent.ResizeObserver) { new window.parent.ResizeObserver(fill).observe(page); }
  }
})({{ this.fit }}, {{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, fit: list[list[float]] | None, large: bool = False, fill_window: bool = False):
        super().__init__()
        self._name = "WallView"
        self.fit = json.dumps(fit)
        self.fill = json.dumps(fill_window)
        self.css = _LARGE_CSS if large else _NORMAL_CSS
        self.zoom_in, self.zoom_out = json.dumps(ZOOM_IN_TITLE), json.dumps(ZOOM_OUT_TITLE)
        self.layers, self.prefix = json.dumps(LAYERS_TITLE), json.dumps(ATTRIBUTION_PREFIX)


def parse_view(zoom: str | None, centre: str | None) -> tuple[float, float, float] | None:
    """A view from the URL (``zoom=12.5&centre=49.05,2.2``): (lat, lon, zoom), None when missing or not a view."""
    try:
        z = float(zoom)  # type: ignore[arg-type]
        lat, lon = (float(part) for part in str(centre).split(","))
    except (TypeError, ValueError):
        return None
    if not (MIN_ZOOM <= z <= MAX_ZOOM and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon, z


def returned_view(returned: dict | None) -> tuple[float, float, float] | None:
    """The view st_folium reports (``zoom`` and ``center``), rounded for the URL.

    None before the map reported, and for the zoom 0 a map reports while its frame has no size yet.
    """
    returned = returned or {}
    centre, zoom = returned.get("center"), returned.get("zoom")
    if not isinstance(centre, dict) or zoom is None:
        return None
    try:
        view = round(float(centre["lat"]), 5), round(float(centre["lng"]), 5), round(float(zoom), 2)
    except (KeyError, TypeError, ValueError):
        return None
    return view if MIN_ZOOM <= view[2] <= MAX_ZOOM else None


def format_view(view: tuple[float, float, float]) -> tuple[str, str]:
    """The URL values (zoom, centre) of a view."""
    lat, lon, zoom = view
    return f"{zoom:g}", f"{lat:.5f},{lon:.5f}"


def near_view(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    """Two views that are the same to a few pixels: same zoom, centres within 0.001° (~100 m)."""
    return abs(a[2] - b[2]) < 0.01 and abs(a[0] - b[0]) < 1e-3 and abs(a[1] - b[1]) < 1e-3


View = tuple[float, float, float]


@dataclass(frozen=True)
class ReportReading:
    """What the Carte page makes of the map's report of its view (``read_report``).

    ``accept``: the report is the user's move (it goes to the URL); ``target``, ``patience``: the view chosen
    by the URL or the search still awaited, and how many more disagreeing reports are put down to the map not
    having reached it yet; ``resend``: the map missed the view chosen, send it again.
    """

    accept: bool
    target: View | None
    patience: int
    resend: bool = False


def read_report(moved: View | None, last_read: View | None, target: View | None, patience: int) -> ReportReading:
    """Whether a view reported by the map is the user's, while a view chosen here may still be on its way.

    The component keeps its last value: only a report different from the last one read counts. A new report
    far from the view awaited is the map on its way there (its first fit, before it moved), up to ``patience``
    reports; one at the awaited zoom but elsewhere means the map missed the centre (seen once after a reload
    on a loaded machine: the département's centre at the structure's zoom), and the view is sent again.
    A report near the view awaited, or any once patience is spent, is taken as it is.
    """
    if moved is None or moved == last_read:
        return ReportReading(False, target, patience)
    if target is not None and patience > 0 and not near_view(moved, target):
        return ReportReading(False, target, patience - 1, resend=abs(moved[2] - target[2]) < 0.01)
    return ReportReading(True, None, 0)
