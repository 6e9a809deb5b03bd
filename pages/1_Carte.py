"""Carte des partenariats: territories coloured by an indicator, structures, links, a card on click."""

from dataclasses import replace

import streamlit as st
from streamlit_folium import st_folium

from lib.formatting import format_int
from lib.maps import BASEMAPS, MapOptions, build_map, selection_layer, symbols_legend_html, view_bounds
from lib.metrics import INDICATORS, PROXIMITY_INDICATORS, aggregate_links, indicators_by_territory, structure_card
from lib.opportunities import RADIUS_M
from lib.where_map import opportunity_points, structure_lines
from lib.territories import LEVELS, territory_column
from lib.ui import assets_url, can_see_free_text, page_setup, set_url_param, url_choice
from lib.ui_cards import show_structure_card, show_territory_card
from lib.ui_charts import cached_where, show_view_line

dataset, view = page_setup(__file__)
state = st.session_state

st.title("Carte des partenariats")
show_view_line(dataset, view.filters)
with st.sidebar:
    st.markdown("**Carte**")
    indicator = url_choice("Colorer les territoires selon", list(INDICATORS), "indicateur", "liens",
                           format_func=lambda code: INDICATORS[code].label)
    basemap = url_choice("Fond de carte", list(BASEMAPS), "fond", "clair", format_func=BASEMAPS.get)
    # « Où agir ? »: a layer of opportunities and the network figures on the cards (off by default: distances).
    where_on = url_choice("Où agir ?", ["non", "oui"], "occasions", "non",
                          format_func={"non": "Sans les occasions de lien",
                                       "oui": "Occasions de lien et réseau (écoles, centres, structures-relais)"}.get)
    where = cached_where(dataset, view.filters, RADIUS_M, False) if where_on == "oui" else None

if "carte_structure" not in state:
    state["carte_structure"] = st.query_params.get("structure")
    state["carte_zone"] = st.query_params.get("zone")


def select_structure(structure_id: str | None) -> None:
    state["carte_structure"], state["carte_zone"] = structure_id, None


# Choose a structure without clicking: by name or commune.
names = view.structures.sort_values("nom")
labels = dict(zip(names["id"], names["nom"] + " — " + names["commune"].fillna("")))
st.sidebar.selectbox("Trouver une structure", list(labels), index=None, format_func=labels.get,
                      placeholder="Nom ou commune…", key="carte_recherche",
                      on_change=lambda: select_structure(state["carte_recherche"]))
selected = state["carte_structure"] if state["carte_structure"] in labels else None

level = view.filters.level
area_level = level if level in ("commune", "epci", "territoire") else "commune"
links = aggregate_links(view.reponses, with_codes=False)
table = indicators_by_territory(view, links, territory_column(area_level),
                                proximity=indicator in PROXIMITY_INDICATORS or bool(state["carte_zone"]))
fmap = build_map(dataset.reference, view.structures, links, table,
                 MapOptions(indicator=indicator, basemap=basemap, level=area_level, opportunities=where is not None),
                 custom=dataset.territoires, level_label=LEVELS[area_level], assets_url=assets_url(),
                 bounds=view_bounds(view),
                 opportunity_points=opportunity_points(where, dataset.structures) if where is not None else None)

# The selection is drawn in a layer of its own, so clicking does not reload (and re-centre) the map.
highlight = selection_layer(view.structures, links, selected)

left, right = st.columns([3, 1])
with left:
    clicked = st_folium(fmap, height=500, use_container_width=True, key="carte",
                        returned_objects=["last_active_drawing"], feature_group_to_add=highlight)
drawing = (clicked or {}).get("last_active_drawing") or {}
properties = drawing.get("properties") or {}
if properties and properties != state.get("_carte_dernier_clic"):
    state["_carte_dernier_clic"] = properties
    if properties.get("kind") == "structure":
        select_structure(properties.get("id"))
    elif properties.get("kind") == "territoire":
        state["carte_structure"], state["carte_zone"] = None, properties.get("id")
    st.rerun()
set_url_param("structure", selected)
set_url_param("zone", state["carte_zone"])

with right:
    if selected:
        card = structure_card(dataset.structures, dataset.reponses, selected)
        if card is not None and where is not None:
            card = replace(card, network_lines=structure_lines(where.figures, selected))
        show_structure_card(card, free_text=can_see_free_text())
    elif state["carte_zone"]:
        show_territory_card(state["carte_zone"], table)
    else:
        st.info("Cliquez sur une école, un centre social ou un territoire pour voir sa fiche.",
                icon=":material/touch_app:")
        st.html(symbols_legend_html())

approx = int(view.structures["position_approximative"].sum())
st.caption(
    f"{format_int(len(view.structures))} structures et {format_int(len(links))} liens affichés · "
    f"{format_int(approx)} structure(s) placée(s) à la mairie faute de coordonnées (contour pointillé) · "
    "un lien compte dans le territoire de son école."
)
