"""Presentations: saved views (page + URL query) played one after the other in a meeting.

A step is one row of ``presentations.csv`` in the data set, written through
:class:`lib.store.Store` (atomic, locked, journaled, with versions), like every
other write. A step reopens its view as a shared link does: the page and the
query string of its URL (filters, map view, chart choices). Presentations are
for the comité de pilotage (roles pilotage and saisie): a step names
structures and territories as the page showed them, so funders are never
offered them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import pandas as pd

from lib.access import COMITE, PAGES, may_open
from lib.store import Store, StoreError

FILE = "presentations"
PAGE_SCRIPT = "pages/14_Presentation.py"
NAME_MAX, TITLE_MAX, COMMENT_MAX, QUERY_MAX = 80, 120, 1000, 2000
COLUMNS = ["etape_id", "presentation", "ordre", "titre", "commentaire", "page", "requete", "cree_le"]


@dataclass(frozen=True)
class Step:
    """One saved view of a presentation."""

    id: str
    presentation: str
    order: int
    title: str
    comment: str
    page: str
    query: str  # URL-encoded, as in the address bar

    @property
    def query_params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    @property
    def page_label(self) -> str:
        return next((p.label for p in PAGES if p.script == self.page), self.page)


def may_present(role: str | None) -> bool:
    """Presentations are made and played by the comité de pilotage; never offered to funders."""
    return role in COMITE


def presentable_pages(role: str | None) -> list[str]:
    """Scripts a step may open: the role's pages, except the presentation page itself."""
    return [p.script for p in PAGES if may_open(p, role) and p.script != PAGE_SCRIPT]


def query_string(params: dict[str, list[str] | str]) -> str:
    """A query dict (``st.query_params``-like) as the URL writes it."""
    pairs = [(key, value) for key, values in params.items()
             for value in ([values] if isinstance(values, str) else values)]
    return urlencode(pairs)


def steps_from_table(table: pd.DataFrame) -> list[Step]:
    """Every step of a ``presentations.csv`` table (strings), by presentation then order."""
    steps = []
    for row in table.fillna("").to_dict("records"):
        try:
            order = int(row.get("ordre") or 0)
        except ValueError:
            order = 0
        steps.append(Step(row["etape_id"], row["presentation"], order, row["titre"], row.get("commentaire", ""),
                          row["page"], row.get("requete", "")))
    return sorted(steps, key=lambda s: (s.presentation, s.order, s.id))


def read_steps(store: Store) -> list[Step]:
    """The steps stored in the data set (none when it has no ``presentations.csv``)."""
    return steps_from_table(store.read(FILE))


def presentation_names(steps: list[Step]) -> list[str]:
    return sorted({s.presentation for s in steps})


def steps_of(steps: list[Step], name: str) -> list[Step]:
    """The steps of one presentation, in their order."""
    return [s for s in steps if s.presentation == name]


def _clean(text: str, maximum: int, what: str, required: bool = True) -> str:
    text = " ".join(str(text or "").split()) if what != "commentaire" else str(text or "").strip()
    if required and not text:
        raise StoreError(f"Le {what} est obligatoire ; rien n'a été enregistré.")
    if len(text) > maximum:
        raise StoreError(f"Le {what} dépasse {maximum} caractères ; rien n'a été enregistré.")
    return text


def _rows(steps: list[Step], created: str = "") -> pd.DataFrame:
    return pd.DataFrame([[s.id, s.presentation, str(s.order), s.title, s.comment, s.page, s.query, created]
                         for s in steps], columns=COLUMNS)


def add_step(store: Store, presentation: str, title: str, comment: str, page: str,
             query: dict[str, list[str] | str] | str, role: str | None) -> Step:
    """Add a step at the end of ``presentation`` (created by its first step); returns it.

    Raises:
        StoreError: a missing or too long text, a page the role may not present, a read-only data set.
    """
    presentation = _clean(presentation, NAME_MAX, "nom de la présentation")
    title = _clean(title, TITLE_MAX, "titre")
    comment = _clean(comment, COMMENT_MAX, "commentaire", required=False)
    if not may_present(role) or page not in presentable_pages(role):
        raise StoreError("Cette page ne peut pas être ajoutée à une présentation ; rien n'a été enregistré.")
    text = query if isinstance(query, str) else query_string(query)
    if len(text) > QUERY_MAX:
        raise StoreError("L'adresse de cette vue est trop longue ; rien n'a été enregistré.")
    existing = steps_of(read_steps(store), presentation)
    step = Step(secrets.token_hex(6), presentation, max((s.order for s in existing), default=0) + 1, title, comment,
                page, text)
    store.append(FILE, _rows([step], datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
                 f"présentation « {presentation} » : étape « {title} » ajoutée")
    return step


def move_step(store: Store, steps: list[Step], step_id: str, delta: int) -> bool:
    """Move a step up (-1) or down (+1) in its presentation; the steps are renumbered 1…n. False at an end."""
    step = next(s for s in steps if s.id == step_id)
    ordered = steps_of(steps, step.presentation)
    index = ordered.index(step)
    target = index + delta
    if not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    renumbered = [Step(s.id, s.presentation, i + 1, s.title, s.comment, s.page, s.query) for i, s in enumerate(ordered)]
    changed = [s for s, old in zip(renumbered, ordered) if s.order != old.order]
    rows = _rows(changed).drop(columns=["cree_le"])
    store.upsert(FILE, rows, ["etape_id"], f"présentation « {step.presentation} » : étapes réordonnées",
                 action="modification")
    return True


def delete_step(store: Store, step: Step) -> int:
    return store.delete(FILE, ["etape_id"], [(step.id,)],
                        f"présentation « {step.presentation} » : étape « {step.title} » supprimée")
