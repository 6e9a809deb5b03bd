"""The fiche territoire's « Où agir » section (``reports.fiche_pdf`` lays it out).

For the comité de pilotage: the territory's first opportunities (``opportunities.where_analysis``, ranked
as on the page « Où agir ? »), one sentence each, with the rule and its figures. For funders: counts only —
schools with no known link near a centre, communes where no school has one — under the statistical secret
(``lib.secrecy_counts``): never a name, never a count resting on 1 to K − 1 structures.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import pandas as pd

from lib.filters import Filters, apply_filters, among
from lib.formatting import format_int
from lib.opportunities import CARD_URL, KINDS, RADIUS_M, format_km, where_analysis
from lib.secrecy import DEFAULT_K, DEPARTEMENT, SECRET
from lib.secrecy_counts import Node, protect_structure_counts
from lib.territories import NO_TERRITORY

WHERE_ITEMS = 5  # the comité's fiche lists at most this many opportunities
HEADING = "Où agir"


@dataclass(frozen=True)
class WhereSection:
    """What the fiche prints: a heading, its lines, and a closing note."""

    heading: str
    lines: list[str]
    note: str


def opportunity_sentence(row: dict) -> str:
    """One opportunity of ``where_analysis(...).opportunities`` as the comité reads it.

    « École X (Sarcelles), REP+ — école sans lien près d'un centre : 3 centre(s) à moins de 1,5 km… »
    """
    priority, why, who, kind = row["Priorité"] or "", row["Pourquoi"], row["Qui"], row["Occasion"]
    if kind == KINDS["ecole_sans_lien"] and priority:
        why = why.removesuffix(f" ; {priority}")
        who = f"{who}, {priority}"
    elif kind == KINDS["centre_peu_partenaire"] and priority:
        why += f" ; des écoles {priority} proches ne sont pas partenaires"
    return f"{who} — {kind[:1].lower()}{kind[1:]} : {why}."


def comite_section(dataset, scope, wave: str, radius_m: float = RADIUS_M, limit: int = WHERE_ITEMS
                   ) -> WhereSection:
    """The territory's first ``limit`` opportunities (comité de pilotage: names and figures)."""
    analysis = where_analysis(dataset, Filters(wave=wave, level=scope.level, territories=scope.territories),
                              radius_m, with_pistes=False)
    ranked = analysis.opportunities
    lines = [opportunity_sentence(row) for row in ranked.head(limit).to_dict("records")]
    if not lines:
        lines = ["Aucune occasion relevée dans ce territoire pour cette vague."]
    more = len(ranked) - len(lines) if len(ranked) > limit else 0
    note = ("Priorité à l'éducation prioritaire (REP+, puis REP), puis au nombre de centres proches. "
            + (f"{format_int(more)} autre(s) occasion(s) : page « Où agir ? » de Passerelles." if more else ""))
    return WhereSection(HEADING, lines, note.strip())


# --------------------------------------------------------------------------- funders: counts under the secret


def scope_node(scope) -> Node:
    """The territory a fiche is about, as the secret's node."""
    return DEPARTEMENT if scope.is_departement else (scope.level, str(scope.territories[0]))


def school_nodes(schools: pd.DataFrame) -> tuple[list[list[Node]], dict[Node, tuple[Node, ...]]]:
    """Each school's territories (the département, its commune, intercommunalité, project territory) and
    each territory's enclosing ones (a commune: its intercommunalité and the département)."""
    nodes: list[list[Node]] = []
    parents: dict[Node, set[Node]] = {}
    for commune, epci, territory in zip(schools["commune"].tolist(), schools["epci_nom"].tolist(),
                                        schools["territoire"].tolist() if "territoire" in schools
                                        else [None] * len(schools)):
        own: list[Node] = [DEPARTEMENT]
        if commune == commune and commune is not None:
            own.append(("commune", str(commune)))
        if epci == epci and epci is not None:
            own.append(("epci", str(epci)))
            if len(own) == 3:
                parents.setdefault(own[1], set()).add(own[2])
        if territory == territory and territory not in (None, NO_TERRITORY):
            own.append(("territoire", str(territory)))
        nodes.append(own)
        for node in own[1:]:
            parents.setdefault(node, set()).add(DEPARTEMENT)
    return nodes, {node: tuple(sorted(enclosing)) for node, enclosing in parents.items()}


_POPULATIONS: dict[tuple, tuple[weakref.ref, dict]] = {}


def where_populations(dataset, wave: str, radius_m: float = RADIUS_M) -> dict[str, object]:
    """:func:`department_populations`, kept while ``dataset`` lives: every fiche of a wave needs the whole
    département's (its territory's enclosing ones and their other parts), one analysis for them all."""
    key = (id(dataset), str(wave), float(radius_m))
    held = _POPULATIONS.get(key)
    if held is not None and held[0]() is dataset:
        return held[1]
    found = department_populations(dataset, wave, radius_m)
    for old in [k for k, (ref, _v) in _POPULATIONS.items() if ref() is None] + list(_POPULATIONS)[:-15]:
        _POPULATIONS.pop(old, None)
    _POPULATIONS[key] = (weakref.ref(dataset), found)
    return found


def department_populations(dataset, wave: str, radius_m: float = RADIUS_M) -> dict[str, object]:
    """Per territory of the département: the schools with no known link near a centre, and the schools of
    communes where no school has a link (with the number of those communes).

    Returns:
        ``{"ecoles": node → ids, "communes": node → ids, "n_communes": node → count, "parents": …}``.
    """
    view = apply_filters(dataset, Filters(wave=wave))
    schools = view.schools.drop_duplicates("id").reset_index(drop=True)
    analysis = where_analysis(dataset, Filters(wave=wave), radius_m)
    near_unlinked = {link[len(CARD_URL):] for link in analysis.schools["Fiche"].tolist()}
    linked = among(schools["id"], view.reponses["ecole_id"])
    insee = schools["commune_insee"].astype(str)
    blank_insee = set(insee) - set(insee[linked])  # communes (INSEE: the funders' copy groups small ones)
    nodes, parents = school_nodes(schools)
    unlinked: dict[Node, set] = {}
    blank: dict[Node, set] = {}
    communes: dict[Node, set] = {}
    for sid, code, own in zip(schools["id"].tolist(), insee.tolist(), nodes):
        for node in own:
            unlinked.setdefault(node, set())
            blank.setdefault(node, set())
            communes.setdefault(node, set())
            if sid in near_unlinked:
                unlinked[node].add(sid)
            if code in blank_insee:
                blank[node].add(sid)
                communes[node].add(code)
    return {"ecoles": {n: frozenset(v) for n, v in unlinked.items()},
            "communes": {n: frozenset(v) for n, v in blank.items()},
            "n_communes": {n: len(v) for n, v in communes.items()}, "parents": parents}


def funder_figures(dataset, scope, wave: str, radius_m: float = RADIUS_M) -> dict[str, int | str | None]:
    """The counts a funder's fiche prints for ``scope`` (``None``: not printed; SECRET: hidden).

    ``ecoles``: schools with no known link and a centre within ``radius_m``; ``communes``: communes where no
    school has a link (not for a commune's own fiche, where it would only repeat its linked schools).
    """
    k = dataset.secret.k if dataset.secret is not None else DEFAULT_K
    found = where_populations(dataset, wave, radius_m)
    node = scope_node(scope)
    schools = protect_structure_counts(found["ecoles"], found["parents"], k)
    communes = protect_structure_counts(found["communes"], found["parents"], k, values=found["n_communes"])
    return {"ecoles": schools.get(node, 0),
            "communes": None if scope.level == "commune" and not scope.is_departement else communes.get(node, 0)}


def funder_section(dataset, scope, wave: str, radius_m: float = RADIUS_M) -> WhereSection:
    """Counts only, under the statistical secret (no name, no list)."""
    figures = funder_figures(dataset, scope, wave, radius_m)

    def shown(value: int | str) -> str:
        return SECRET if value == SECRET else format_int(value)

    lines = [f"Écoles sans lien connu à moins de {format_km(radius_m)} d'un centre social ou d'un espace de vie "
             f"sociale : {shown(figures['ecoles'])}"]
    if figures["communes"] is not None:
        lines.append(f"Communes dont aucune école n'a de lien connu : {shown(figures['communes'])}")
    hidden = " « secret » : le compte concerne trop peu de structures (voir la méthode)." \
        if SECRET in figures.values() else ""
    return WhereSection(HEADING, lines, "Le détail par structure est réservé au comité de pilotage." + hidden)


def where_section(dataset, scope, wave: str, free_text: bool, radius_m: float = RADIUS_M) -> WhereSection:
    """The comité's named opportunities, or the funders' counts."""
    if free_text:
        return comite_section(dataset, scope, wave, radius_m)
    return funder_section(dataset, scope, wave, radius_m)
