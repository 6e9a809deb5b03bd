"""The fiche territoire's « Où agir » section (lib/report_where.py): named opportunities for the comité de
pilotage, counts only under the statistical secret for funders (lib/secrecy_counts.py)."""

from __future__ import annotations

import re

import pytest

from lib.dataset import DEMO_DIR, load_dataset
from lib.report_where import comite_section, funder_figures, funder_section
from lib.reports import fiche_pdf, resolve_scope, scope_choices
from lib.secrecy import DEPARTEMENT, SECRET, public_dataset
from lib.secrecy_counts import protect_structure_counts
from test_reports import normalise, pdf_text

WAVE = "2019"
K = 5


@pytest.fixture(scope="module")
def demo():
    return load_dataset(DEMO_DIR)


@pytest.fixture(scope="module")
def public(demo):
    return public_dataset(demo, K)


def where_part(text: str) -> str:
    """The PDF text from the « Où agir » heading to the method."""
    return text.split("Où agir ", 1)[1].split("Méthode.", 1)[0]


def test_the_comite_fiche_names_the_territorys_first_opportunities(demo):
    scope = resolve_scope(demo, "Sarcelles")
    section = comite_section(demo, scope, WAVE)
    assert 3 <= len(section.lines) <= 5
    first = section.lines[0]
    assert re.match(r"École .+ \(Sarcelles\), REP\+ — école sans lien près d'un centre : \d+ centre\(s\) à moins "
                    r"de 1,5\u00a0km, le plus proche à .+ ; aucun lien recensé\.$", first), first
    part = where_part(pdf_text(fiche_pdf(demo, scope, WAVE, True)))
    for line in section.lines:
        assert normalise(line.split(" — ")[0]) in part  # each named item is printed
    assert "autre(s) occasion(s) : page « Où agir ? »" in part


def test_the_funders_fiche_prints_counts_and_no_name(demo, public):
    scope = next(s for s in scope_choices(public) if s.name == "CA Val Parisis")
    figures = funder_figures(public, scope, WAVE)
    assert isinstance(figures["ecoles"], int) and figures["ecoles"] >= K
    part = where_part(pdf_text(fiche_pdf(public, scope, WAVE, False)))
    assert f"d'un centre social ou d'un espace de vie sociale : {figures['ecoles']}" in part
    assert f"Communes dont aucune école n'a de lien connu : {figures['communes']}" in part
    names = set(demo.structures["nom"]) | set(public.structures["nom"])
    assert not [name for name in names if normalise(name) in part]
    assert "(démo)" not in part  # every demo structure's name ends so


def test_a_count_on_fewer_than_k_structures_is_not_printed(public):
    hidden = [s for s in scope_choices(public) if funder_figures(public, s, WAVE)["ecoles"] == SECRET]
    assert hidden  # the demo has such a territory (« Autres intercommunalités »)
    lines = funder_section(public, hidden[0], WAVE).lines
    assert lines[0].endswith(" : secret") and not re.search(r"\d+$", lines[0])
    part = where_part(pdf_text(fiche_pdf(public, hidden[0], WAVE, False)))
    assert "sociale : secret" in part


def test_the_secret_of_counts_hides_small_counts_and_what_subtraction_would_give():
    def ids(n: int, prefix: str) -> frozenset:
        return frozenset(f"{prefix}{i}" for i in range(n))

    a, b, c = ids(9, "a"), ids(2, "b"), ids(8, "c")
    populations = {DEPARTEMENT: a | b | c, ("epci", "A"): a, ("epci", "B"): b, ("epci", "C"): c}
    parents = {("epci", name): (DEPARTEMENT,) for name in "ABC"}
    shown = protect_structure_counts(populations, parents, K)
    # B rests on 2 structures: secret; the département minus A and C would give it: C (the smaller) goes too.
    assert shown == {DEPARTEMENT: 19, ("epci", "A"): 9, ("epci", "B"): SECRET, ("epci", "C"): SECRET}
    # A commune holding all but 3 of its intercommunalité's structures: its difference would give them.
    populations = {DEPARTEMENT: ids(40, "x"), ("epci", "E"): ids(20, "x"), ("commune", "V"): ids(17, "x")}
    parents = {("epci", "E"): (DEPARTEMENT,), ("commune", "V"): (("epci", "E"), DEPARTEMENT)}
    assert protect_structure_counts(populations, parents, K)[("commune", "V")] == SECRET
    assert protect_structure_counts(populations, parents, K)[("epci", "E")] == 20
    assert protect_structure_counts({DEPARTEMENT: frozenset()}, {}, K) == {DEPARTEMENT: 0}  # zero is no secret
