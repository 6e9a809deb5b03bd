"""What each session-state value of the app may be, so that a forged one is dropped instead of crashing a page.

Plain Python (no streamlit). A browser only sends widget values, but a forged
message (or a test) can put a list where a text is expected, a text where a
date is expected… ``lib/ui.page_setup`` drops every value of the wrong type
before any widget reads it and says so in French; values of the right type
but outside a widget's options are dealt with where the options are known
(``lib/ui.sidebar_filters``, ``url_choice``; Streamlit itself ignores them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from lib.entry import FREE_TEXT_FIELDS, answer_lists


@dataclass(frozen=True)
class Expected:
    """The types a value may have (``None`` included when ``optional``); for a list, its items' types."""

    types: tuple[type, ...]
    items: tuple[type, ...] | None = None
    optional: bool = True
    label: str = "un réglage de la page"

    def accepts(self, value: object) -> bool:
        if value is None:
            return self.optional
        if isinstance(value, bool) and bool not in self.types:
            return False  # True is an int to Python, not to a number field
        if not isinstance(value, self.types):
            return False
        if self.items is not None:
            return all(isinstance(item, self.items) and not isinstance(item, bool) for item in value)
        return True


TEXT = Expected((str,))
TEXTS = Expected((list, tuple), items=(str,), optional=False)
FLAG = Expected((bool,), optional=False)
NUMBER = Expected((int, float))
DATE = Expected((dt.date,))
TIME = Expected((dt.time,))
EDITS = Expected((dict,))  # a data editor's own record of edits
PAIR = Expected((tuple, list))


def _rules() -> list[tuple[str, Expected]]:
    """(key pattern, expected) for every key the app's pages and lib/ui/__init__.py keep; the first match applies."""
    multiple = {c.column for c in answer_lists() if c.multiple}
    single = {c.column for c in answer_lists() if not c.multiple}
    saisie = "|".join(sorted({*single, *FREE_TEXT_FIELDS, "vague", "repondant_id", "partenaire_id", "choix",
                              "edition"}))
    return [
        # the sidebar filters and the demo's role preview
        (r"f_vague", Expected((str,), label="la vague d'enquête")),
        (r"f_niveau", Expected((str,), label="le regroupement des territoires")),
        (r"f_territoires", Expected((list, tuple), (str,), False, "les territoires")),
        (r"f_types", Expected((list, tuple), (str,), False, "les types de structure")),
        (r"f_(formes|frequences|qualites)", Expected((list, tuple), (str,), False, "les filtres sur les réponses")),
        (r"_?voir_comme", Expected((str,), label="le rôle de la démonstration")),
        (r"_filters_folder|_passerelles_user", TEXT),
        (r"_passerelles_jeu|jeu_choisi", Expected((str,), label="le jeu de données")),
        (r"(url|kept)_.+", TEXT),
        # pages
        (r"carte_(structure|zone|recherche)", TEXT),
        (r"_carte_dernier_clic", Expected((dict,))),
        (r"rencontres_periode|paroles_territoire|paroles_recherche", TEXT),
        (r"version_financeurs|saisie_confirmer|saisie_envoi|rc_envoi", Expected((bool,))),
        (r"version_choisie|enquete_parametrage|enquete_nom|rapport_territoire", TEXT),
        (r"rc_(titre|lieu|type|commune)", TEXT),
        (r"rc_structures", Expected((list, tuple), (str,))),
        (r"rc_date", DATE),
        (r"rc_heure_(debut|fin)", TIME),
        (r"rc_participants_.+", NUMBER),
        (r"rc_enregistree", PAIR),
        (r"saisie_date", DATE),
        (rf"saisie_({'|'.join(sorted(multiple))})", Expected((list, tuple), (str,))),
        (rf"saisie_({saisie})", TEXT),
        (r"centres_editeur", EDITS),
        (r"enquete_mapping::.+::(col::.+|vague|mode)", TEXT),
        (r"enquete_mapping::.+::val::.+", EDITS),
    ]


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[re.Pattern, Expected]]:
    return [(re.compile(pattern + r"\Z"), expected) for pattern, expected in _rules()]


def expected_for(key: str) -> Expected | None:
    """What the value of ``key`` may be, or None for a key the app does not describe (left alone)."""
    return next((expected for pattern, expected in _compiled() if pattern.match(key)), None)


def forged(state: Mapping[str, object], extra: Mapping[str, Expected] | None = None) -> list[tuple[str, str]]:
    """The keys whose value has the wrong type, with what they set (French), in the state's order."""
    found = []
    for key, value in list(state.items()):
        expected = (extra or {}).get(key) or expected_for(str(key))
        if expected is not None and not expected.accepts(value):
            found.append((str(key), expected.label))
    return found


def notice(labels: Iterable[str]) -> str:
    """What a visitor whose forged settings were dropped is told."""
    unique = list(dict.fromkeys(labels))
    return ("Des réglages reçus n'étaient pas valides et ont été remis à leur valeur par défaut : "
            + ", ".join(unique) + ".")


def outside_options(values: Mapping[str, object], options: Mapping[str, list]) -> dict[str, object]:
    """The values (a choice or a list of choices) holding something outside their options, and what to keep:
    the known part of a list, ``None`` for a single choice (the caller puts its default back)."""
    fixed: dict[str, object] = {}
    for key, allowed in options.items():
        value = values.get(key)
        if isinstance(value, str) and value not in allowed:
            fixed[key] = None
        elif isinstance(value, (list, tuple)) and any(v not in allowed for v in value):
            fixed[key] = [v for v in value if v in allowed]
    return fixed
