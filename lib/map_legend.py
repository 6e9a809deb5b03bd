"""The map's legend, drawn inside the map (a Leaflet control): it stays on screen in full screen.

Bodies are HTML built from escaped parts; :class:`Legend` embeds them as JSON in the script.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import TYPE_CHECKING

from branca.element import MacroElement
from folium.template import Template

from lib.metrics import SMALL_COUNT_NOTE, Indicator
from lib.palette import NO_DATA_COLOUR, OTHER_TYPE_COLOUR, QUALITY_COLOURS, TERRITORY_MASKED, TYPE_COLOURS
from lib.questionnaire import load_questionnaire

if TYPE_CHECKING:
    from lib.map_classes import ColourClass


def escape(text: object) -> str:
    """Data text for HTML (tooltips, legends): escaped, never markup."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return html.escape(str(text), quote=True)


_JINJA_OPENERS = re.compile(r"(?<=\{)([{%#])")


def script_json(value: object) -> str:
    """JSON safe to embed in a <script>.

    No "</script>" or HTML comment can close the script, and no Jinja
    delimiter ("{{", "{%", "{#") survives: folium feeds rendered scripts to
    Jinja again, which would run a structure named "{{ … }}" as code. A JSON
    brace is never followed by one of those characters outside a string, so
    escaping the second character is always valid JSON.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _JINJA_OPENERS.sub(lambda m: f"\\u{ord(m.group(1)):04x}", text)


class Legend(MacroElement):
    """A legend box in the map's corner; ``body`` is HTML built from escaped parts.

    It scrolls when taller than the map (a projector's 720 px) and its <details> sections fold.
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
  .passerelles-legend {background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 4px;
    font: 12px/1.3 "Source Sans Pro", Arial, sans-serif; color: #1b1f23; box-shadow: 0 1px 4px rgba(0,0,0,.3);
    max-width: 240px; max-height: calc(100vh - 150px); overflow-y: auto;}
  .passerelles-legend h4 {margin: 0 0 3px; font-size: 12px;}
  .passerelles-legend summary {cursor: pointer; font-weight: 600; margin-top: 5px;}
  .passerelles-legend .row {display: flex; align-items: center; gap: 6px; margin: 1px 0;}
  .passerelles-legend .sw {width: 16px; height: 11px; border: 1px solid #555; flex: none;}
  .passerelles-legend .dot {width: 11px; height: 11px; border-radius: 50%; flex: none; border: 1px solid #333;}
  .passerelles-legend .line {width: 22px; flex: none;}
  .passerelles-legend .note {font-size: 11px;}
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: 'bottomleft'});
{{ this.get_name() }}.onAdd = function () {
  var div = L.DomUtil.create('div', 'passerelles-legend');
  div.innerHTML = {{ this.body }};
  L.DomEvent.disableClickPropagation(div);
  L.DomEvent.disableScrollPropagation(div);
  return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, body: str):
        super().__init__()
        self._name = "Legend"
        self.body = script_json(body)


_LEGEND_STYLE = """<style>
.passerelles-legend {font: 13px/1.35 "Source Sans Pro", Arial, sans-serif; color: #1b1f23;}
.passerelles-legend h4 {margin: 6px 0 3px; font-size: 13px;}
.passerelles-legend .row {display: flex; align-items: center; gap: 6px; margin: 1px 0;}
.passerelles-legend .sw {width: 16px; height: 12px; border: 1px solid #555; flex: none;}
.passerelles-legend .dot {width: 11px; height: 11px; border-radius: 50%; flex: none; border: 1px solid #333;}
.passerelles-legend .line {width: 22px; flex: none;}
</style>"""


def legend_html(indicator: Indicator, classes: list[ColourClass], level_label: str) -> str:
    """The indicator's classes (territory fills)."""
    parts = [f"<h4>{escape(indicator.label)}</h4><div class='note'>par {escape(level_label.lower())}"
             f" · {escape(indicator.unit)}</div>"]
    for cls in classes:
        parts.append(f"<div class='row'><span class='sw' style='background:{cls.colour}'></span>{escape(cls.label)}</div>")
    parts.append(f"<div class='row'><span class='sw' style='background:{NO_DATA_COLOUR};border-style:dashed'></span>"
                 "pas de donnée</div>")
    if indicator.needs_answers:
        parts.append(f"<div class='row'><span class='sw' style='background:{TERRITORY_MASKED};"
                     f"border-style:dashed'></span>{escape(SMALL_COUNT_NOTE)}</div>")
    return "".join(parts)


def symbols_legend_body() -> str:
    """Points and lines: structure types, EP, approximate positions, link quality, width and dashes."""
    q = load_questionnaire()
    parts = ["<h4>Structures</h4>"]
    for code, label in q["types_structure"].labels.items():
        colour = TYPE_COLOURS.get(code, OTHER_TYPE_COLOUR)
        parts.append(f"<div class='row'><span class='dot' style='background:{colour}'></span>{escape(label)}</div>")
    parts.append("<div class='row'><span class='dot' style='border-width:2px'></span>REP (contour épais)</div>")
    parts.append("<div class='row'><span class='dot' style='border-width:3px'></span>REP+ (contour très épais)</div>")
    parts.append("<div class='row'><span class='dot' style='border-style:dashed;opacity:.5'></span>"
                 "position approximative (mairie)</div>")
    parts.append("<h4>Liens : qualité</h4>")
    for code, label in q["qualites"].labels.items():
        parts.append(f"<div class='row'><span class='line' style='border-top:4px solid {QUALITY_COLOURS[int(code)]}'>"
                     f"</span>{escape(label)}</div>")
    parts.append("<div class='note'>Épaisseur : fréquence (de ponctuelle à hebdomadaire). "
                 "Pointillés : l'école et le centre divergent d'au moins 2 niveaux de qualité.</div>")
    return "".join(parts)


def symbols_legend_html() -> str:
    """The symbols' legend as a block of its own, for a page beside a map."""
    return _LEGEND_STYLE + "<div class='passerelles-legend'>" + symbols_legend_body() + "</div>"


# The hatching of blank zones, as the legend's swatch (the map draws it on its canvas).
HATCH_SWATCH = ("background: repeating-linear-gradient(135deg, #1b1f23 0 1px, transparent 1px 5px);"
                "border: 2px dashed #1b1f23")
BLANK_ZONES_LISTED = 8  # names listed in the legend; the others are counted (the full list is on « Où agir ? »)
SIZE_EXAMPLES = (1, 4, 16)  # partner counts drawn as examples of point sizes


def where_legend_body(sized: bool, blank: list[str], area_name: str) -> str:
    """The « Où agir ? » section: point sizes, structures-relais, the opportunity rings and the blank zones.

    Args:
        sized: points are sized by partners and brokers haloed.
        blank: the territories hatched (schools, no link), in the map's order.
        area_name: the areas' plural French name (« Communes », « Intercommunalités »…).
    """
    from lib.maps import partner_radius  # noqa: PLC0415  (maps imports this module)
    from lib.network import BROKER_EXPLANATION  # noqa: PLC0415  (networkx: only when « Où agir ? » is on)

    parts: list[str] = []
    if sized:
        parts.append("<div class='note'>Taille du point : nombre de partenaires (écoles d'un centre, centres "
                     "d'une école) dans la vague.</div><div class='row'>")
        for count in SIZE_EXAMPLES:
            diameter = 2 * float(partner_radius(5, count))
            parts.append(f"<span class='dot' style='width:{diameter:g}px;height:{diameter:g}px;background:#bbb'>"
                         f"</span>{count}")
        parts.append("</div>")
        parts.append("<div class='row'><span class='dot' style='background:#888;box-shadow:0 0 0 4px #ffd400,"
                     f"0 0 0 5px #000'></span>structure-relais : {escape(BROKER_EXPLANATION)}</div>")
    for colour, dashed, label in (("#e66100", False, "école sans lien, un centre à proximité"),
                                  ("#5e3c99", False, "centre avec peu d'écoles partenaires autour de lui"),
                                  ("#000000", True, "structure-relais, à conforter")):
        style = f"background:transparent;border:2px {'dashed' if dashed else 'solid'} {colour}"
        parts.append(f"<div class='row'><span class='dot' style='{style}'></span>{escape(label)}</div>")
    if blank:
        parts.append(f"<div class='row'><span class='sw' style='{HATCH_SWATCH}'></span>"
                     f"{escape(area_name)} avec des écoles et aucun lien : {len(blank)}</div>")
        listed = ", ".join(escape(name) for name in blank[:BLANK_ZONES_LISTED])
        more = len(blank) - BLANK_ZONES_LISTED
        parts.append(f"<div class='note'>{listed}"
                     + (f" et {more} autre(s) (liste complète : page « Où agir ? »)" if more > 0 else "")
                     + "</div>")
    return "".join(parts)


def map_legend_html(indicator: Indicator, classes: list[ColourClass], level_label: str, where: str = "") -> str:
    """The whole legend inside the map: territory classes, « Où agir ? » when shown, then structures and links
    (sections that fold)."""
    return (legend_html(indicator, classes, level_label)
            + (f"<details open><summary>Où agir ?</summary>{where}</details>" if where else "")
            + "<details open><summary>Structures et liens</summary>" + symbols_legend_body() + "</details>")
