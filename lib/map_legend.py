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
    from lib.maps import ColourClass


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


def map_legend_html(indicator: Indicator, classes: list[ColourClass], level_label: str) -> str:
    """The whole legend inside the map: territory classes, then structures and links (a section that folds)."""
    return (legend_html(indicator, classes, level_label)
            + "<details open><summary>Structures et liens</summary>" + symbols_legend_body() + "</details>")
