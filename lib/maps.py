"""The partnership map: folium builders, DataFrames in, ``folium.Map`` out.

Built for speed at any scale: points and links travel as compact JSON arrays
and are drawn by a few lines of Leaflet on a canvas (one ``folium.Marker``
per point costs 10× more to build and 40× more to draw). Every asset the map
needs is served by the app itself (``static/``), so it works with no internet
when the basemap is "aucun fond".
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.plugins import Fullscreen
from folium.template import Template
from shapely.geometry import mapping, shape

from lib.filters import View
from lib.formatting import format_int
from lib.map_classes import ColourClass, colour_classes, colour_for, format_indicator  # noqa: F401
from lib.map_legend import (Legend, escape, map_legend_html, script_json, symbols_legend_html,  # noqa: F401
                            where_legend_body)
from lib.map_wall import FULLSCREEN_CANCEL_TITLE, FULLSCREEN_TITLE, LARGE_SCALE, MAX_ZOOM, MIN_ZOOM, WallView
from lib.metrics import INDICATORS, SMALL_COUNT_NOTE, Indicator, aggregate_links, indicators_by_territory
from lib.palette import (
    NO_DATA_COLOUR,
    NO_QUALITY_COLOUR,
    OTHER_TYPE_COLOUR,
    QUALITY_COLOURS,
    TERRITORY_MASKED,
    TYPE_COLOURS,
)
from lib.questionnaire import load_questionnaire
from lib.territories import Reference, territory_column

ASSETS_URL = "/app/static/node_modules"

BASEMAPS: dict[str, str] = {
    "clair": "Fond clair",
    "osm": "OpenStreetMap",
    "aucun": "Aucun fond (hors ligne)",
}
TILES = {
    "clair": ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
              '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> &copy; '
              '<a href="https://carto.com/attributions">CARTO</a>'),
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'),
}
# Line width by frequency rank (ponctuelle → hebdomadaire).
FREQUENCY_WIDTHS = [1.0, 2.0, 3.5, 5.0]
# Two sides disagreeing by this much or more on quality: dashed line.
GAP_DASHED = 2
# « Où agir ? »: point radius grows by SIZE_STEP px per √partner, at most SIZE_MAX_EXTRA px; brokers' flag.
SIZE_STEP = 2.5
SIZE_MAX_EXTRA = 12
BROKER_FLAG = 32
BLANK_ZONES_LAYER = "Zones blanches (écoles sans aucun lien)"



class _RawScript(Element):
    """Script text added to the page as is (never compiled as a Jinja template)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


# --------------------------------------------------------------------------- map and assets


class OfflineMap(folium.Map):
    """A folium map whose scripts and styles come from the app, not from CDNs."""

    def __init__(self, *args, assets_url: str = ASSETS_URL, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_js = [("leaflet", f"{assets_url}/leaflet/dist/leaflet.js")]
        self.default_css = [("leaflet_css", f"{assets_url}/leaflet/dist/leaflet.css")]


class OfflineFullscreen(Fullscreen):
    """The fullscreen button, served by the app."""

    def __init__(self, assets_url: str = ASSETS_URL, **kwargs):
        super().__init__(**kwargs)
        self.default_js = [("Control.Fullscreen.js", f"{assets_url}/leaflet.fullscreen/Control.FullScreen.js")]
        self.default_css = [("Control.FullScreen.css", f"{assets_url}/leaflet.fullscreen/Control.FullScreen.css")]


class _JsonLayer(folium.map.Layer):
    """A layer drawn by a small Leaflet script from a compact JSON payload.

    Its script is built in Python, never compiled as a Jinja template: folium
    would otherwise compile the whole payload (megabytes at national scale)
    as a template on every build. streamlit-folium reads the ``script``
    macro, which just returns that text.
    """

    _script = ""
    _template = Template("{% macro script(this, kwargs) %}{{ this.script_text() }}{% endmacro %}")

    def __init__(self, name: str, payload: object, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "JsonLayer"
        self.payload = script_json(payload)

    def script_text(self) -> str:
        name, parent = self.get_name(), self._parent.get_name()
        script = f"var {name} = (function (map, data) {{\n{self._script}\n}})({parent}, {self.payload});\n"
        if self.show:
            script += f"{name}.addTo({parent});\n"
        return script

    def render(self, **kwargs) -> None:
        self.get_root().script.add_child(_RawScript(self.script_text()), name=self.get_name())


class AreasLayer(_JsonLayer):
    """Territory polygons coloured by an indicator; a click reports the territory.

    The payload is {"geometries": [...], "properties": [...]}, in the same
    order: the geometries' JSON is made once per data set and level (it is
    most of the page and never changes with the filters).
    """

    _script = """
var features = data.geometries.map(function (g, i) {
  return {type: 'Feature', geometry: g, properties: data.properties[i]};
});
var layer = L.geoJSON(features, {
  style: function (f) {
    return {color: '#555555', weight: 1, fillColor: f.properties.fill, fillOpacity: 0.6,
            dashArray: f.properties.nodata ? '3 3' : null};
  },
  onEachFeature: function (f, l) {
    l.bindTooltip(f.properties.tip, {sticky: true});
  }
});
return layer;"""

    def __init__(self, name: str, geometries_json: str, properties: list[dict]):
        super().__init__(name, None)
        # Geometry JSON holds numbers only: nothing in it can close a script or open a template.
        self.payload = '{"geometries":' + geometries_json + ',"properties":' + script_json(properties) + "}"


class BlankZonesLayer(_JsonLayer):
    """« Zones blanches »: territories of :class:`AreasLayer` with schools and no link, hatched and outlined in
    dashes over their colour. The payload is their indices among the areas' features: no geometry twice.

    Hatching on the map's canvas (``prefer_canvas``): Leaflet's canvas renderer hands ``fillColor`` to
    ``ctx.fillStyle`` as is, so a ``CanvasPattern`` fills the polygon (an SVG pattern would need an SVG
    renderer of its own, whose layer would sit over the canvas and its clicks). Not interactive: a click
    still reaches the territory below.
    """

    _script = """
var tile = document.createElement('canvas');
tile.width = tile.height = 8;
var pen = tile.getContext('2d');
pen.strokeStyle = '#1b1f23'; pen.lineWidth = 1.3;
pen.beginPath(); pen.moveTo(0, 8); pen.lineTo(8, 0); pen.moveTo(-1, 1); pen.lineTo(1, -1);
pen.moveTo(7, 9); pen.lineTo(9, 7); pen.stroke();
var hatch = pen.createPattern(tile, 'repeat'), shapes = areas.getLayers();
var layer = L.geoJSON(data.map(function (i) { return shapes[i].feature; }), {
  interactive: false,
  style: {color: '#1b1f23', weight: 2.5, opacity: 0.9, dashArray: '7 4', fill: true, fillColor: hatch,
          fillOpacity: 0.55}
});
layer.passerellesBlank = data.map(function (i) { return shapes[i].feature.properties.id; });
return layer;"""

    def __init__(self, name: str, areas: AreasLayer, indices: list[int]):
        super().__init__(name, indices)
        self.areas = areas

    def script_text(self) -> str:
        name, parent, areas = self.get_name(), self._parent.get_name(), self.areas.get_name()
        return (f"var {name} = (function (map, areas, data) {{\n{self._script}\n}})({parent}, {areas}, "
                f"{self.payload});\n{name}.addTo({parent});\n")


class PointsLayer(_JsonLayer):
    """Structures as circles on the shared canvas, from :func:`structure_points`.

    A point is [lat, lon, kind, place, flags, id, name] and, optionally, a
    radius in pixels (else 8 for a centre, 5 for a school); kinds are [colour,
    label] by structure type, places the commune names; an optional ``scale``
    enlarges every point (projection). flags: 1 = position
    approximative (dashed, faded), 2 = REP, 4 = REP+ (thicker outline),
    16 = centre (bigger, white outline), 32 = structure-relais (a halo
    under the point; « Où agir ? »). Names and labels are escaped by the
    builder; tooltips are made on first hover (62,000 bound tooltips cost
    seconds to create).
    """

    _script = """
var group = L.featureGroup(), kinds = data.kinds, places = data.places, points = data.points;
var scale = data.scale || 1;
function tip(p) {
  var f = p[4], ep = (f & 4) ? ' · REP+' : ((f & 2) ? ' · REP' : '');
  return '<b>' + p[6] + '</b><br>' + kinds[p[2]][1] + ' · ' + places[p[3]] + ep
    + ((f & 1) ? '<br><i>position approximative (mairie)</i>' : '')
    + (p.length > 8 ? '<br>' + p[8] + ' partenaire(s)' + ((f & 32) ? ' · structure-relais' : '') : '');
}
// One canvas for every layer (the map's, preferCanvas): a canvas on top of
// another would swallow the mouse events meant for the one below.
for (var i = 0; i < points.length; i++) {
  var p = points[i], f = p[4], centre = f & 16, radius = (p[7] || (centre ? 8 : 5)) * scale;
  if (f & 32) {  // structure-relais: a halo under the point, drawn first (never catches the mouse)
    group.addLayer(L.circleMarker([p[0], p[1]], {radius: radius + 5 * scale, stroke: true, color: '#000000',
      weight: 1.5 * scale, fillColor: '#ffd400', fillOpacity: 0.75, interactive: false}));
  }
  var m = L.circleMarker([p[0], p[1]], {
    radius: radius, color: centre ? '#ffffff' : '#222222',
    weight: ((f & 4) ? 3 : ((f & 2) ? 2 : 1)) * scale,
    fillColor: kinds[p[2]][0], fillOpacity: (f & 1) ? 0.35 : 0.9, dashArray: (f & 1) ? '2 2' : null
  });
  m.feature = {type: 'Feature', properties: {kind: 'structure', id: p[5]}};
  m.passerellesPoint = p;  // not _point: Leaflet keeps the projected position there
  group.addLayer(m);
}
group.on('mouseover', function (e) {
  var m = e.layer;
  if (m.passerellesPoint && !m.getTooltip()) { m.bindTooltip(tip(m.passerellesPoint)).openTooltip(); }
});
return group;"""


class LinksLayer(_JsonLayer):
    """Links as a few multi-polylines, one per style: {colour, weight, dashed, coords: [lat1, lon1, lat2, lon2, …]}."""

    _script = """
var group = L.featureGroup();
data.forEach(function (s) {
  var lines = [];
  for (var i = 0; i < s.coords.length; i += 4) {
    lines.push([[s.coords[i], s.coords[i + 1]], [s.coords[i + 2], s.coords[i + 3]]]);
  }
  group.addLayer(L.polyline(lines, {color: s.colour, weight: s.weight, opacity: 0.6,
                                    dashArray: s.dashed ? '6 6' : null, interactive: false}));
});
return group;"""


class OpportunitiesLayer(_JsonLayer):
    """« Où agir ? »: rings around schools to link (orange), centres with few partners (purple) and structures
    that hold groups together (black, dashed). A point is [lat, lon, id, name, reason, kind]; texts escaped by
    :func:`opportunity_layer`. A click opens the structure's card, as on its own point."""

    _script = """
var group = L.featureGroup(), colours = ['#e66100', '#5e3c99', '#000000'];
data.forEach(function (p) {
  var m = L.circleMarker([p[0], p[1]], {radius: 12, color: colours[p[5]], weight: 3, fill: true, fillOpacity: 0.05,
                                        dashArray: p[5] === 2 ? '4 3' : null});
  m.feature = {type: 'Feature', properties: {kind: 'structure', id: p[2], opportunity: p[5]}};
  m.bindTooltip('<b>' + p[3] + '</b><br>' + p[4]);
  group.addLayer(m);
});
return group;"""


def opportunity_layer(points: list[list]) -> OpportunitiesLayer:
    """The « Où agir ? » layer from ``where_map.opportunity_points`` (names and reasons escaped here)."""
    safe = [[lat, lon, sid, escape(name), escape(why), kind] for lat, lon, sid, name, why, kind in points]
    return OpportunitiesLayer("Où agir ? (occasions de lien)", safe)


# --------------------------------------------------------------------------- geometry


def territory_geojson(reference: Reference, level: str, custom: dict[str, str] | None = None) -> list[dict]:
    """Features ``{"name", "geometry"}`` of the territories at ``level``.

    Communes and EPCI come from the reference; custom territories are the
    union of their communes. Éducation prioritaire and QPV are not areas:
    they are drawn by commune.
    """
    if level == "epci":
        return [{"name": f["properties"]["epci_nom"], "geometry": f["geometry"]}
                for f in reference.epci_geojson["features"]]
    communes = [{"name": f["properties"]["nom"], "code": f["properties"]["code_insee"], "geometry": f["geometry"]}
                for f in reference.communes_geojson["features"]]
    if level != "territoire" or not custom:
        return communes
    groups: dict[str, list] = {}
    for commune in communes:
        label = custom.get(commune["code"])
        if label:
            groups.setdefault(label, []).append(shape(commune["geometry"]))
    return [{"name": label, "geometry": mapping(shapely.union_all(shapes))} for label, shapes in sorted(groups.items())]


_GEOMETRY_CACHE: dict[tuple, tuple[list[str], str]] = {}


def territory_geometries(reference: Reference, level: str, custom: dict[str, str] | None) -> tuple[list[str], str]:
    """Territory names and their geometries as one JSON array, made once per reference and level."""
    key = (str(reference.folder), reference.meta.get("departement_code"), level,
           tuple(sorted((custom or {}).items())) if level == "territoire" else ())
    if key not in _GEOMETRY_CACHE:
        areas = territory_geojson(reference, level, custom)
        _GEOMETRY_CACHE[key] = ([a["name"] for a in areas],
                                json.dumps([a["geometry"] for a in areas], separators=(",", ":")))
    return _GEOMETRY_CACHE[key]


# --------------------------------------------------------------------------- the builder


@dataclass(frozen=True)
class MapOptions:
    """What the page lets the user choose about the map."""

    indicator: str = "liens"
    basemap: str = "clair"
    level: str = "commune"
    opportunities: bool = False  # the « Où agir ? » layer
    large: bool = False  # « grands caractères » for projection: bigger type, points and lines
    fill_window: bool = False  # the page's map takes the window's height (the images keep their frame)


def partner_radius(base: float, partners) -> np.ndarray:
    """Radius in pixels of points with ``partners`` partners: ``base`` plus SIZE_STEP × √partners, capped.

    The square root keeps a centre of 20 schools from hiding its street; a
    structure with no partner keeps its usual size.
    """
    extra = np.minimum(SIZE_STEP * np.sqrt(np.asarray(partners, dtype=float)), SIZE_MAX_EXTRA)
    return np.round(base + extra, 1)


def structure_points(structures: pd.DataFrame, network: pd.DataFrame | None = None) -> dict:
    """The compact payload of :class:`PointsLayer` (see its docstring); centres come last, on top.

    Args:
        network: ``network.network_figures`` (``id``, ``partenaires``, ``courtier``) for « Où agir ? »:
            each point then carries its radius by number of partners and that number, and brokers
            (structures-relais) their flag.
    """
    q = load_questionnaire()
    types = q["types_structure"]
    kinds = [[TYPE_COLOURS.get(code, OTHER_TYPE_COLOUR), escape(label)] for code, label in types.labels.items()]
    if structures.empty:
        return {"kinds": kinds, "places": [], "points": []}
    ordered = structures.assign(_centre=structures["famille"] == "centre").sort_values("_centre", kind="stable")
    kind = pd.Categorical(ordered["type"].astype(str), categories=types.codes).codes
    place, places = pd.factorize(ordered["commune"].fillna(""))
    ep = ordered["education_prioritaire"].astype(object).fillna("").to_numpy()
    flags = (ordered["position_approximative"].to_numpy(dtype=bool) * 1 + (ep == "REP") * 2 + (ep == "REP+") * 4
             + ordered["_centre"].to_numpy(dtype=bool) * 16)
    columns = [ordered["latitude"].round(5).tolist(), ordered["longitude"].round(5).tolist(), kind.tolist(),
               place.tolist(), None, ordered["id"].tolist(), ordered["nom"].map(escape).tolist()]
    if network is not None:
        figures = network.drop_duplicates("id").set_index("id")
        ids = ordered["id"].to_numpy(dtype=object)
        partners = figures["partenaires"].reindex(ids).fillna(0).to_numpy(dtype=np.int64)
        flags = flags + figures["courtier"].reindex(ids).fillna(False).to_numpy(dtype=bool) * BROKER_FLAG
        base = np.where(ordered["_centre"].to_numpy(dtype=bool), 8, 5)
        columns += [partner_radius(base, partners).tolist(), partners.tolist()]
    columns[4] = flags.tolist()
    points = list(zip(*columns))
    return {"kinds": kinds, "places": [escape(p) for p in places], "points": points}


def link_styles(links: pd.DataFrame, structures: pd.DataFrame, scale: float = 1.0) -> list[dict]:
    """Links grouped by style (quality colour, frequency width × ``scale``, dashed on disagreement)."""
    if links.empty:
        return []
    positions = structures.drop_duplicates("id").set_index("id")
    school = positions.reindex(links["ecole_id"])
    centre = positions.reindex(links["centre_id"])
    coords = np.column_stack([school["latitude"].to_numpy(float), school["longitude"].to_numpy(float),
                              centre["latitude"].to_numpy(float), centre["longitude"].to_numpy(float)]).round(5)
    placed = ~np.isnan(coords).any(axis=1)
    quality = links["qualite"].astype("Float64").round().clip(1, 4).fillna(0).astype(int).to_numpy()
    rank = pd.Categorical(links["frequence"].astype(object),
                          categories=load_questionnaire()["frequences"].codes).codes  # -1: none given
    dashed = (links["ecart_perception"].astype("Float64") >= GAP_DASHED).fillna(False).to_numpy(dtype=bool)
    # One style per (quality, frequency, dashed): at most 5 × 5 × 2 polylines, whatever the number of links.
    key = (quality * 5 + (rank + 1)) * 2 + dashed
    palette = [NO_QUALITY_COLOUR, *(QUALITY_COLOURS[level] for level in (1, 2, 3, 4))]
    widths = [1.0, *FREQUENCY_WIDTHS]
    styles = []
    for value in np.unique(key[placed]):
        chosen = placed & (key == value)
        q, rest = divmod(int(value), 10)
        styles.append({"colour": palette[q], "weight": widths[rest // 2] * scale, "dashed": bool(rest % 2),
                       "coords": coords[chosen].ravel().tolist()})
    return styles


def area_properties(names: list[str], table: pd.DataFrame, indicator: Indicator,
                    classes: list[ColourClass]) -> list[dict]:
    """Each territory's colour, an escaped tooltip, and whether it has data (in ``names`` order)."""
    rows = table.set_index("territoire").to_dict("index") if not table.empty else {}
    properties = []
    for name in names:
        row = rows.get(name)
        masked = bool(row is not None and row["masque"] and indicator.needs_answers)
        value = None if row is None else row[indicator.code]
        colour = colour_for(value, classes)
        if row is None:
            fill, text = NO_DATA_COLOUR, "pas de donnée (aucun établissement scolaire retenu)"
        elif masked:
            fill, text = TERRITORY_MASKED, SMALL_COUNT_NOTE
        elif colour is None:
            fill, text = NO_DATA_COLOUR, "pas de donnée"
        else:
            fill, text = colour, format_indicator(value, indicator)
        tip = f"<b>{escape(name)}</b><br>{escape(indicator.label)} : {escape(text)}"
        if row is not None:
            tip += f"<br>{escape(format_int(row['reponses']))} réponse(s)"
        properties.append({"kind": "territoire", "id": name, "fill": fill, "tip": tip,
                           "nodata": row is None or masked})
    return properties


def build_map(
    reference: Reference,
    structures: pd.DataFrame,
    links: pd.DataFrame,
    territory_table: pd.DataFrame,
    options: MapOptions,
    custom: dict[str, str] | None = None,
    level_label: str = "commune",
    assets_url: str = ASSETS_URL,
    bounds: list[list[float]] | None = None,
    opportunity_points: list[list] | None = None,
    network: pd.DataFrame | None = None,
    blank_zones: list[str] | None = None,
    start: tuple[float, float, float] | None = None,
) -> folium.Map:
    """The whole map: territories, links, schools, centres, legend and controls.

    Args:
        reference: communes and EPCI (geometry).
        structures: the view's structures, with territories assigned.
        links: ``metrics.aggregate_links`` of the view's answers.
        territory_table: ``metrics.indicators_by_territory`` at the map's level.
        options: indicator, basemap, level.
        custom: the data set's custom territories (commune → label).
        level_label: French name of the level, for the legend.
        assets_url: where the app serves Leaflet (``static/node_modules``).
        bounds: [[south, west], [north, east]] to show; default the département.
        opportunity_points: ``where_map.opportunity_points``, drawn when ``options.opportunities``.
        network: ``network.network_figures`` (when ``options.opportunities``): points sized by their number
            of partners, structures-relais haloed.
        blank_zones: names of the map's territories with schools and no link (when ``options.opportunities``),
            hatched and listed in the legend in that order (the most urgent first).
        start: (lat, lon, zoom) to open at instead of fitting ``bounds`` (a view from a link or a reload): the
            map is drawn there at once, with no fit to undo and no re-fit when its frame is resized.
    """
    indicator = INDICATORS[options.indicator]
    west, south, east, north = reference.meta["bbox"]
    fmap = OfflineMap(
        location=[start[0], start[1]] if start else [(south + north) / 2, (west + east) / 2],
        zoom_start=start[2] if start else 10,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,  # WallView adds a metric-only scale (folium's shows miles too)
        max_zoom=MAX_ZOOM,
        min_zoom=MIN_ZOOM,
        assets_url=assets_url,
    )
    # keyboard: Leaflet focuses the map on mousedown, which scrolls the page when the map
    # reaches below the screen (a projector at 1280×720) and shifts the first click.
    # trackResize: WallView watches the map's own size (window, frame or full screen) and re-fits.
    fmap.options.update(maxZoom=MAX_ZOOM, zoomSnap=0.25, zoomDelta=0.5, keyboard=False, trackResize=False)
    if options.basemap in TILES:
        url, attribution = TILES[options.basemap]
        folium.TileLayer(url, attr=attribution, name=BASEMAPS[options.basemap], control=False,
                         max_zoom=18).add_to(fmap)

    values = territory_table[indicator.code] if not territory_table.empty else pd.Series(dtype=float)
    unmasked = values[~territory_table["masque"]] if indicator.needs_answers and not territory_table.empty else values
    classes = colour_classes(unmasked, indicator)
    area_level = options.level if options.level in ("commune", "epci", "territoire") else "commune"
    area_name = {"commune": "Communes", "epci": "Intercommunalités", "territoire": "Territoires"}[area_level]
    names, geometries = territory_geometries(reference, area_level, custom)
    areas = AreasLayer(area_name, geometries, area_properties(names, territory_table, indicator, classes))
    areas.add_to(fmap)
    where_on = options.opportunities
    at = {name: i for i, name in enumerate(names)}
    blank = [name for name in dict.fromkeys(blank_zones or ()) if name in at] if where_on else []  # ranked
    if blank:
        BlankZonesLayer(BLANK_ZONES_LAYER, areas, [at[name] for name in blank]).add_to(fmap)

    families = structures["famille"] if not structures.empty else pd.Series(dtype=object)
    scale = LARGE_SCALE if options.large else 1.0
    LinksLayer("Liens", link_styles(links, structures, scale)).add_to(fmap)
    for name, family in (("Établissements scolaires", "ecole"), ("Centres sociaux et EVS", "centre")):
        sized = network if where_on else None
        PointsLayer(name, {**structure_points(structures[families == family], sized), "scale": scale}).add_to(fmap)
    if where_on and opportunity_points is not None:
        opportunity_layer(opportunity_points).add_to(fmap)

    # The whole legend inside the map: it stays on screen in full screen (a legend beside the map would not).
    where_legend = where_legend_body(network is not None, blank, area_name) if where_on else ""
    Legend(map_legend_html(indicator, classes, level_label, where_legend)).add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    OfflineFullscreen(assets_url=assets_url, position="topleft", title=FULLSCREEN_TITLE,
                      title_cancel=FULLSCREEN_CANCEL_TITLE).add_to(fmap)
    first_view = None if start else bounds or [[south, west], [north, east]]
    if first_view:
        fmap.fit_bounds(first_view)
    # Last: it renames the controls above.
    WallView(first_view, large=options.large, fill_window=options.fill_window).add_to(fmap)
    return fmap


def view_bounds(view) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the chosen territories' schools; None for the whole map."""
    if not view.filters.territories or view.schools.empty:
        return None
    lat, lon = view.schools["latitude"], view.schools["longitude"]
    margin = 0.01
    return [[lat.min() - margin, lon.min() - margin], [lat.max() + margin, lon.max() + margin]]


def selection_layer(structures: pd.DataFrame, links: pd.DataFrame, selected: str | None) -> folium.FeatureGroup:
    """A ring around the selected structure and bold lines to its partners (geometry only, no text)."""
    layer = folium.FeatureGroup(name="Sélection", control=False)
    positions = structures.drop_duplicates("id").set_index("id")
    if not selected or selected not in positions.index:
        return layer
    here = positions.loc[selected]
    own, other = ("ecole_id", "centre_id") if here["famille"] == "ecole" else ("centre_id", "ecole_id")
    for partner in links.loc[links[own] == selected, other].unique():
        if partner in positions.index:
            there = positions.loc[partner]
            line = folium.PolyLine([[here["latitude"], here["longitude"]], [there["latitude"], there["longitude"]]],
                                   color="#000000", weight=3, opacity=0.9)
            line.options["interactive"] = False
            line.add_to(layer)
    ring = folium.CircleMarker([here["latitude"], here["longitude"]], radius=14, color="#000000", weight=3, fill=False)
    # Not interactive (folium drops the keyword): the ring must not hide the structure's own tooltip and click.
    ring.options["interactive"] = False
    ring.add_to(layer)
    return layer


def map_inputs(view: View, area_level: str, proximity: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the map draws from a view: its links (``aggregate_links``) and the indicators of the territories of
    ``area_level`` (``indicators_by_territory``). Pure, so that the Carte page caches it: at France scale the two
    take 0.3 s, on every rerun the map's own moves trigger."""
    links = aggregate_links(view.reponses, with_codes=False)
    return links, indicators_by_territory(view, links, territory_column(area_level), proximity=proximity)
