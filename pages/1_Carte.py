"""Carte des partenariats: territories coloured by an indicator, structures, links, a card on click."""

from dataclasses import replace

import streamlit as st
from streamlit_folium import st_folium

from lib.formatting import format_int
from lib.map_image import MapView, carte_png
from lib.map_search import search_structures
from lib.map_wall import format_view, parse_view, read_report, returned_view
from lib.maps import BASEMAPS, MapOptions, build_map, map_inputs, selection_layer, view_bounds
from lib.metrics import INDICATORS, PROXIMITY_INDICATORS, structure_card
from lib.opportunities import RADIUS_M
from lib.where_map import map_layers, structure_lines
from lib.territories import LEVELS
from lib.text import markdown_escape
from lib.ui import assets_url, can_see_free_text, page_setup, set_url_params, url_choice
from lib.ui.callbacks import live_callback
from lib.ui.cards import show_structure_card, show_territory_card
from lib.ui.charts import cached_analysis, cached_where, image_downloads, show_view_line

FOUND_ZOOM = 15  # the zoom a found structure is shown at: its street and its neighbours

dataset, view = page_setup(__file__)
state = st.session_state

st.title("Carte des partenariats")
show_view_line(dataset, view.filters)

# The map's own controls above it, on the first screen even at 1280×720 (not at the foot of the sidebar).
search_box, indicator_box, basemap_box, where_box, large_box = st.columns([2.2, 2, 1.3, 1.8, 1.2],
                                                                          vertical_alignment="bottom")
indicator = url_choice("Colorer les territoires selon", list(INDICATORS), "indicateur", "liens",
                       format_func=lambda code: INDICATORS[code].label, container=indicator_box)
basemap = url_choice("Fond de carte", list(BASEMAPS), "fond", "clair", format_func=BASEMAPS.get,
                     container=basemap_box)
# « Où agir ? »: a layer of opportunities and the network figures on the cards (off by default: distances).
where_on = url_choice("Où agir ?", ["non", "oui"], "occasions", "non", container=where_box,
                      format_func={"non": "Sans les occasions de lien",
                                   "oui": "Occasions de lien et réseau (écoles, centres, structures-relais)"}.get)
large = url_choice("Taille du texte", ["normal", "grand"], "texte", "normal", container=large_box,
                   format_func={"normal": "Normale", "grand": "Grande (projection)"}.get) == "grand"
where = cached_where(dataset, view.filters, RADIUS_M, False) if where_on == "oui" else None

if "carte_structure" not in state:
    state["carte_structure"] = st.query_params.get("structure")
    state["carte_zone"] = st.query_params.get("zone")
    state["carte_vue"] = parse_view(st.query_params.get("zoom"), st.query_params.get("centre"))
    state["_carte_cible"] = (state["carte_vue"], 3)  # a view chosen here, until the map reports it (3 reports)
    # A view from the link (or a reload) is where the map is drawn, as long as the filters are the link's: a map
    # fitted to the département first, then moved, reported the département's centre at the view's zoom on a
    # loaded machine, and that report could win.
    state["_carte_depart"] = (state["carte_vue"], view.filters)
state.setdefault("carte_vue", None)
positions = view.structures.drop_duplicates("id").set_index("id")


def select_structure(structure_id: str | None) -> None:
    state["carte_structure"], state["carte_zone"] = structure_id, None


def go_to(structure_id: str) -> None:
    """Open a structure's card and centre the map on it."""
    select_structure(structure_id)
    if structure_id in positions.index:
        here = positions.loc[structure_id]
        state["carte_vue"] = (float(here["latitude"]), float(here["longitude"]), FOUND_ZOOM)
        state["_carte_cible"] = (state["carte_vue"], 3)


def search() -> None:
    found = search_structures(view.structures, state["carte_recherche"] or "")
    state["carte_trouvees"] = {f.id: f.label for f in found}
    if found:
        go_to(found[0].id)


search_box.text_input("Chercher une structure", key="carte_recherche", on_change=live_callback(search),
                      placeholder="Nom, commune ou UAI…")
selected = state["carte_structure"] if state["carte_structure"] in positions.index else None

level = view.filters.level
start, start_filters = state.get("_carte_depart") or (None, None)
start = start if start_filters == view.filters else None  # the link's view, while the filters are the link's
area_level = level if level in ("commune", "epci", "territoire") else "commune"
links, table = cached_analysis(map_inputs, dataset, view.filters, area_level,
                               indicator in PROXIMITY_INDICATORS or bool(state["carte_zone"]))
# « Où agir ? »: opportunity rings, points sized by partners, structures-relais, blank zones hatched.
where_layers = map_layers(where, dataset.structures, area_level) if where is not None else {}
fmap = build_map(dataset.reference, view.structures, links, table,
                 MapOptions(indicator=indicator, basemap=basemap, level=area_level, opportunities=where is not None,
                            large=large, fill_window=True),
                 custom=dataset.territoires, level_label=LEVELS[area_level], assets_url=assets_url(),
                 bounds=view_bounds(view), start=start,
                 **where_layers)

# The selection is drawn in a layer of its own, so clicking does not reload (and re-centre) the map.
highlight = selection_layer(view.structures, links, selected)

# The map's report of its view is read before the map is drawn: st_folium's on_change copies it to
# st.session_state["carte"] before this run starts. Drawn with the view of the report before (read after
# the draw, as it was), the map was sent back one move after each move of the user, and the two views then
# took turns every half-second. Only a new report counts, and a view chosen here (URL, search) holds until
# the map reports it (lib.map_wall.read_report): taking a stale or early report for the user's move would
# undo that view.
moved = returned_view(state.get("carte"))
reading = read_report(moved, state.get("_carte_vue_lue"), *(state.get("_carte_cible") or (None, 0)))
if moved is not None:
    state["_carte_vue_lue"] = moved
state["_carte_cible"] = (reading.target, reading.patience) if reading.target is not None else None
if reading.resend:  # the map missed the view chosen here: the same view, nudged, moves it again
    state["_carte_renvoi"] = state.get("_carte_renvoi", 0) + 1
if reading.accept:
    state["carte_vue"] = moved
    zoom, centre = format_view(moved)
    set_url_params({"zoom": zoom, "centre": centre})  # together: a URL never holds one view's zoom, another's centre

left, right = st.columns([3, 1])
with left:
    # The frame takes the window's height (WallView); zoom and centre come back to the URL, and a view
    # chosen here (URL, search) moves the map without drawing it again.
    shown = state["carte_vue"]
    # st_folium moves the map only when its centre or zoom argument changes: a view sent again is nudged
    # by a few micrometres (see above).
    nudge = state.get("_carte_renvoi", 0) * 1e-9
    clicked = st_folium(fmap, height=500, use_container_width=True, key="carte",
                        returned_objects=["last_active_drawing", "zoom", "center"], feature_group_to_add=highlight,
                        center=[shown[0] + nudge, shown[1]] if shown else None, zoom=shown[2] if shown else None)
drawing = (clicked or {}).get("last_active_drawing") or {}
properties = drawing.get("properties") or {}
if properties and properties != state.get("_carte_dernier_clic"):
    state["_carte_dernier_clic"] = properties
    if properties.get("kind") == "structure":
        select_structure(properties.get("id"))
    elif properties.get("kind") == "territoire":
        state["carte_structure"], state["carte_zone"] = None, properties.get("id")
    st.rerun()
set_url_params({"structure": selected, "zone": state["carte_zone"]})

with right:
    others = {key: label for key, label in state.get("carte_trouvees", {}).items() if key in positions.index}
    if state.get("carte_recherche") and not others:
        st.warning(f"Aucune structure ne correspond à « {markdown_escape(state['carte_recherche'])} ».")
    elif len(others) > 1:
        st.selectbox("Résultats de la recherche", list(others), format_func=others.get, key="carte_resultat",
                     index=list(others).index(selected) if selected in others else None,
                     on_change=live_callback(lambda: go_to(state["carte_resultat"])))
    if selected:
        card = structure_card(dataset.structures, dataset.reponses, selected)
        if card is not None and where is not None:
            card = replace(card, network_lines=structure_lines(where.figures, selected))
        show_structure_card(card, free_text=can_see_free_text())
    elif state["carte_zone"]:
        show_territory_card(state["carte_zone"], table)
    else:
        st.info("Cliquez sur une école, un centre social ou un territoire pour voir sa fiche, "
                "ou cherchez-la par son nom.", icon=":material/touch_app:")

approx = int(view.structures["position_approximative"].sum())
st.caption(
    f"{format_int(len(view.structures))} structures et {format_int(len(links))} liens affichés · "
    f"{format_int(approx)} structure(s) placée(s) à la mairie faute de coordonnées (contour pointillé) · "
    "un lien compte dans le territoire de son école."
)



def map_image() -> bytes:
    shown = state["carte_vue"]
    return carte_png(dataset, view, indicator, MapView(*shown) if shown else None, large, where_layers)


image_downloads("carte", "carte_partenariats", {"PNG": map_image})
