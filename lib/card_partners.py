"""The partners on a structure's card beside the map: one row per partner and wave, with quality and frequency badges.

Plain Python (no streamlit): ``partner_rows`` turns the card's links into rows, ``partners_html`` draws them
as a narrow list (one partner a line, badges that wrap: no horizontal scroll in a column a quarter of the
screen wide). Every text from the data is HTML-escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as html_escape
from itertools import groupby

import pandas as pd

from lib.formatting import format_decimal, format_int
from lib.palette import NO_QUALITY_COLOUR, quality_colour
from lib.text import fold

DARK_TEXT = "#1b1f23"
LIGHT_TEXT = "#ffffff"
# Frequency is drawn by line width on the map, not by colour: its badge stays neutral.
FREQUENCY_BACKGROUND = "#eceff3"
NOT_GIVEN = "non renseignée"


@dataclass(frozen=True)
class Badge:
    """A short label on a coloured background; its text says everything (the colour only repeats it)."""

    text: str
    background: str
    colour: str
    title: str = ""  # shown on hover


@dataclass(frozen=True)
class PartnerRow:
    """A partner of the structure in one wave, as its card lists it."""

    wave: str
    partner_id: str
    name: str
    commune: str
    type_label: str
    quality: Badge
    frequency: Badge
    sides: str  # « Qualité selon l'école 2,0, selon le centre 4,0 » when both sides answered, else ""
    forms: str
    answers: int


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_text_colour(background: str) -> str:
    """Dark or white text, whichever contrasts more with ``background``."""
    dark, white = contrast_ratio(background, DARK_TEXT), contrast_ratio(background, LIGHT_TEXT)
    return DARK_TEXT if dark >= white else LIGHT_TEXT


def escape(text: object) -> str:
    """Data text for HTML: the same characters, never markup."""
    return html_escape(str(text), quote=True)


def quality_badge(quality: float | None, labels: dict[str, str]) -> Badge:
    """The link's quality (mean of its answers) in the map's link colour: « Qualité : Satisfaisante (3,2) »."""
    if quality is None or pd.isna(quality):
        return Badge(f"Qualité {NOT_GIVEN}", NO_QUALITY_COLOUR, readable_text_colour(NO_QUALITY_COLOUR))
    level = str(min(4, max(1, int(round(float(quality))))))
    background = quality_colour(float(quality))
    return Badge(f"Qualité : {labels.get(level, level)} ({format_decimal(float(quality), 1)})", background,
                 readable_text_colour(background), "Qualité moyenne des réponses, de 1 (difficile) à 4 "
                                                   "(très satisfaisante) ; même couleur que le lien sur la carte")


def frequency_badge(code: object, labels: dict[str, str]) -> Badge:
    """The link's frequency (the highest answered): « Fréquence : mensuelle »."""
    given = code is not None and not pd.isna(code) and str(code) in labels
    text = labels[str(code)].lower() if given else NOT_GIVEN
    return Badge(f"Fréquence : {text}", FREQUENCY_BACKGROUND, DARK_TEXT,
                 "Sur la carte, l'épaisseur du lien dit la fréquence")


def partner_rows(links: pd.DataFrame, other: str, structures: pd.DataFrame, questionnaire: dict) -> tuple[PartnerRow, ...]:
    """One row per link of ``links`` (``lib.metrics.aggregate_links``), newest wave first, partners by name.

    Args:
        links: the structure's links, one per partner and wave.
        other: the column holding the partner (``centre_id`` for a school, ``ecole_id`` for a centre).
        structures: the data set's structures indexed by ``id`` (name, commune, type).
        questionnaire: ``lib.questionnaire.load_questionnaire()`` (labels).
    """
    q = questionnaire
    forms, frequencies, qualities = q["formes"].labels, q["frequences"].labels, q["qualites"].labels
    types = q["types_structure"].labels
    rows = []
    for link in links.to_dict("records"):
        partner = str(link[other])
        known = partner in structures.index
        info = structures.loc[partner] if known else None
        sides = ""
        if link["deux_cotes"] and pd.notna(link["qualite_ecole"]) and pd.notna(link["qualite_centre"]):
            sides = (f"Qualité selon l'école {format_decimal(float(link['qualite_ecole']), 1)}, "
                     f"selon le centre {format_decimal(float(link['qualite_centre']), 1)}")
        rows.append(PartnerRow(
            wave=str(link["vague"]), partner_id=partner,
            name=str(info["nom"]) if known else partner,
            commune="" if not known or pd.isna(info["commune"]) else str(info["commune"]),
            type_label=types.get(str(info["type"]), str(info["type"])) if known else "",
            quality=quality_badge(link["qualite"], qualities),
            frequency=frequency_badge(link["frequence"], frequencies),
            sides=sides, forms=", ".join(forms.get(c, c) for c in link["formes"]),
            answers=int(link["n_reponses"]),
        ))
    rows.sort(key=lambda row: fold(row.name))  # « École » with the e's, not after z
    rows.sort(key=lambda row: row.wave, reverse=True)
    return tuple(rows)


PARTNERS_STYLE = """<style>
.passerelles-partners {font-family: inherit; font-size: 14px; line-height: 1.35; color: #1b1f23; max-width: 100%;
  overflow-wrap: anywhere;}
.passerelles-partners h4 {font-size: 14px; margin: 10px 0 2px; padding: 0;}
.passerelles-partners ul {list-style: none; margin: 0; padding: 0;}
.passerelles-partners li {margin: 0; padding: 5px 0; border-bottom: 1px solid #e3e6ea;}
.passerelles-partners .where {color: #4a5058;}
.passerelles-partners .badges {display: flex; flex-wrap: wrap; gap: 4px; margin-top: 3px;}
.passerelles-partners .badge {display: inline-block; border-radius: 9px; padding: 0 7px; font-size: 12.5px;
  line-height: 1.5; border: 1px solid rgba(0, 0, 0, .25); max-width: 100%;}
.passerelles-partners .more {font-size: 12.5px; color: #4a5058; margin-top: 2px;}
</style>"""


def _badge_html(badge: Badge, kind: str) -> str:
    title = f" title='{escape(badge.title)}'" if badge.title else ""
    return (f"<span class='badge {kind}' style='background:{badge.background};color:{badge.colour}'{title}>"
            f"{escape(badge.text)}</span>")


def partners_html(rows: tuple[PartnerRow, ...]) -> str:
    """The partners grouped by wave (newest first), one per line: name, commune, badges, then forms."""
    parts = [PARTNERS_STYLE, "<div class='passerelles-partners'>"]
    for wave, in_wave in groupby(rows, key=lambda row: row.wave):
        in_wave = list(in_wave)
        parts.append(f"<h4>Vague {escape(wave)} · {format_int(len(in_wave))} partenaire(s)</h4><ul>")
        for row in in_wave:
            where = " · ".join(text for text in (row.commune, row.type_label) if text)
            parts.append(f"<li class='partner'><div><strong>{escape(row.name)}</strong>"
                         + (f" <span class='where'>— {escape(where)}</span>" if where else "") + "</div>"
                         "<div class='badges'>" + _badge_html(row.quality, "quality")
                         + _badge_html(row.frequency, "frequency") + "</div>")
            details = [text for text in (row.sides, row.forms and f"Formes : {row.forms}") if text]
            if details:
                parts.append(f"<div class='more'>{escape(' · '.join(details))}</div>")
            parts.append("</li>")
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)
