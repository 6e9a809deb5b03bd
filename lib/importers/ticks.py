"""Per-option tick columns: which values mean checked, unchecked or not answered.

Tools write one column per option of a multiple choice: Kobo 1/0, LimeSurvey
Y/"" (codes) or Oui/"" / Ja/"" / Sí/"" (full answers) and N/A for a question
not shown, webform X/"", spreadsheets Vrai/Faux or TRUE/FALSE. The meaning
of a value is decided per column, from the column's whole set of values:

- a value of the checked vocabulary (or mapped so by the user) is a tick;
- a value of the unchecked or not-answered vocabulary is not;
- an empty cell is "unchecked", unless the column also holds an explicit
  unchecked value (N, Non, 0…): then the tool writes unchecked itself and an
  empty cell is "not answered";
- any other value is unknown: never a tick; the preview lists it and the user
  says what it means (:data:`CHECKED`, :data:`UNCHECKED`, :data:`NO_ANSWER`),
  saved in the mapping (``Mapping.ticks``, folded value → meaning).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping as MappingType

from lib.text import fold_cached as fold

CHECKED, UNCHECKED, NO_ANSWER = "coche", "non_coche", "sans_reponse"
#: The meanings a user can give a value, with the label the page shows.
MEANINGS = {CHECKED: "coché", UNCHECKED: "non coché", NO_ANSWER: "sans réponse"}

# Folded vocabularies (lib.text.fold: lower case, no accents) in French, English, German, Spanish and Italian.
CHECKED_WORDS = frozenset({
    "1", "x", "y", "o", "j", "oui", "yes", "ja", "si", "vrai", "true", "vero", "verdadero", "wahr", "coche",
    "cochee", "checked", "selected", "selectionne", "selectionnee", "ausgewahlt", "angekreuzt", "seleccionado",
    "marcado", "selezionato", "on",
})
UNCHECKED_WORDS = frozenset({
    "0", "n", "non", "no", "nein", "faux", "false", "falso", "falsch", "non coche", "non cochee", "not checked",
    "unchecked", "not selected", "nicht ausgewahlt", "no seleccionado", "non selezionato", "off",
})
NO_ANSWER_WORDS = frozenset({
    "n/a", "na", "n.a.", "nsp", "ns/nc", "ns nc", "nc", "ne sait pas", "sans reponse", "pas de reponse",
    "non renseigne", "keine antwort", "k.a.", "k. a.", "weiss nicht", "no answer", "not answered", "no response",
    "don't know", "sin respuesta", "ns/nr", "nr", "no sabe", "no contesta", "nessuna risposta", "non so", "-", "--",
    "(null)", "null",
})
VOCABULARY = {**{w: NO_ANSWER for w in NO_ANSWER_WORDS}, **{w: UNCHECKED for w in UNCHECKED_WORDS},
              **{w: CHECKED for w in CHECKED_WORDS}}


def known_meaning(value: str, chosen: MappingType[str, str] | None = None) -> str | None:
    """What a non-empty value means from the vocabularies and the user's choices (folded keys); None: unknown."""
    key = fold(value)
    if chosen and chosen.get(key) in MEANINGS:
        return chosen[key]
    return VOCABULARY.get(key)


def column_meanings(values: Iterable[str], chosen: MappingType[str, str] | None = None) -> dict[str, str | None]:
    """Each distinct folded value of one option column → its meaning (None: unknown, never a tick).

    Args:
        values: every cell of the column.
        chosen: the user's meanings for values the vocabularies do not know (folded value → meaning).
    """
    distinct = {fold(v) for v in values}
    meanings: dict[str, str | None] = {v: known_meaning(v, chosen) for v in distinct if v}
    explicit_unchecked = UNCHECKED in meanings.values()
    meanings[""] = NO_ANSWER if explicit_unchecked else UNCHECKED
    return meanings


def unknown_tick_values(columns: MappingType[str, Iterable[str]],
                        chosen: MappingType[str, str] | None = None) -> dict[str, list[str]]:
    """Values of option columns no vocabulary knows and the user has not decided: value → columns holding it.

    Values are returned as written in the file (first spelling met).
    """
    unknown: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for column, values in columns.items():
        for value in values:
            key = fold(value)
            if key and known_meaning(value, chosen) is None:
                spelling.setdefault(key, value.strip())
                holders = unknown.setdefault(spelling[key], [])
                if column not in holders:
                    holders.append(column)
    return unknown


def looks_like_ticks(values: Iterable[str]) -> bool:
    """Whether a column holds only tick-box values (any vocabulary, or empty): a per-option column."""
    return all(not fold(v) or fold(v) in VOCABULARY for v in values)


def is_draft(value: str) -> bool:
    """A webform "Brouillon"/"Draft" cell: 1, Oui, Yes… (empty or 0 / Non: sent)."""
    return known_meaning(value) == CHECKED
