"""Statistical secret for funders (lib/secrecy.py): the rule, and an adversary reading every published figure.

The adversary (tests/secrecy_adversary.py) enumerates what a funder can read through the pure functions the pages, the PDF, the XLSX and
the command line call (every offered level, territory and wave), recomputes on its own, from the answers, the
population each figure rests on, and checks that none rests on 1 to K − 1 answering structures, directly or as
the difference of two published figures. It runs on the demo data and on a generated small département with
single-school communes, and it finds the leaks of the unprotected figures (it can fail).
"""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from lib import secrecy
from lib.dataset import DEMO_DIR, load_dataset
from lib.filters import ALL_WAVES, Filters, apply_filters
from lib.impact import impact_by_wave
from lib.metrics import link_analyses
from lib.secrecy import public_dataset, secrecy_threshold
from lib.secrecy_audit import Publication, check_publications
from lib.territories import territory_column
from tests.secrecy_adversary import published, respondents, small_departement
from tests.secrecy_reading import (GENERATED_ON, legend_classes, non_data_numbers, pdf_texts, printable,
                                   report_epcis, report_non_data_numbers, report_passages, scope_values,
                                   unexplained_numbers)

K = 5


# --------------------------------------------------------------------------- the setting


def test_the_threshold_defaults_to_5_and_never_goes_below_3():
    assert secrecy_threshold({}) == 5
    assert secrecy_threshold({"secret_statistique": {"seuil": 8}}) == 8
    assert secrecy_threshold({"secret_statistique": {"seuil": 1}}) == 3
    assert secrecy_threshold({"secret_statistique": {"seuil": "deux"}}) == 5
    assert secrecy_threshold({"secret_statistique": {"seuil": 4.5}}) == 5


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    dataset = load_dataset(small_departement(tmp_path_factory.mktemp("petit-departement")))
    assert not dataset.errors, dataset.errors[:3]
    return dataset


@pytest.fixture(scope="module")
def demo():
    return load_dataset(DEMO_DIR)


@pytest.fixture(scope="module")
def demo_public(demo):
    return public_dataset(demo, K)


@pytest.fixture(scope="module")
def generated_public(generated):
    return public_dataset(generated, K)


def test_no_published_figure_rests_on_fewer_than_k_structures_on_the_generated_departement(generated,
                                                                                            generated_public):
    pubs = published(generated_public)
    assert len(pubs) > 2000
    assert any("Autres communes" in p.where for p in pubs)  # the villages are grouped, not dropped
    assert check_publications(pubs, respondents(generated), K) == []


def test_no_published_figure_rests_on_fewer_than_k_structures_on_the_demo(demo, demo_public):
    pubs = published(demo_public)
    assert len(pubs) > 20000
    assert check_publications(pubs, respondents(demo), K, limit=5) == []


def test_the_adversary_finds_the_leaks_of_the_unprotected_figures(generated):
    """The same enumeration on the comité's figures (5 answers, no secret) finds figures resting on a few
    structures: a single-school commune's quality, among others."""
    leaks = check_publications(published(generated, levels=["commune"]), respondents(generated), K, limit=50)
    assert leaks and any("repose sur 1 structure" in leak for leak in leaks), leaks[:5]


def test_the_adversary_finds_the_attendance_of_a_few_structures_by_subtraction(generated):
    """Meeting attendance published per territory: the département's minus a territory's counts the few
    structures present from elsewhere. The funders' copy publishes it for the département only."""
    leaks = check_publications([p for p in published(generated, levels=["epci"]) if "rencontres" in p.where],
                               respondents(generated), K, limit=50)
    assert leaks, "the unprotected attendance should leak"
    public = public_dataset(generated, K)
    shown = [p for p in published(public, levels=["epci"]) if "structures_rencontres" in p.where
             and p.value == p.value and p.value is not None]
    assert shown and all(":département " in p.where for p in shown), [p.where for p in shown][:5]


def test_the_adversary_finds_what_the_secondary_suppression_prevents(generated, monkeypatch):
    """With the primary threshold only (no secondary suppression), a hidden figure can be recomputed
    by subtracting two published ones: the adversary says so."""
    monkeypatch.setattr(secrecy, "_decide", lambda engine, relations: {
        node for node, size in engine.sizes.items() if 0 < size < engine.k})
    primary_only = public_dataset(generated, K)
    leaks = check_publications(published(primary_only, levels=["commune", "epci"]), respondents(generated), K)
    assert leaks and all(" moins " in leak for leak in leaks), leaks[:5]


# --------------------------------------------------------------------------- what the funder is offered


def test_a_single_school_commune_is_not_offered_and_a_link_to_it_shows_the_enclosing_level(generated,
                                                                                           generated_public):
    schools = generated.structures[generated.structures["famille"] == "ecole"]
    per_commune = schools.groupby("commune").size()
    village = per_commune[per_commune == 1].index[0]
    assert village not in generated_public.secret.offered["commune"]
    filters, notes = secrecy.funder_filters({"territoire": [village], "qualite": ["2"], "vague": ["toutes"]},
                                            generated_public)
    assert village not in filters.territories and filters.qualities == () and filters.wave == "2019"
    assert any(village in note and "secret statistique" in note and "Les chiffres affichés sont ceux" in note
               for note in notes)
    assert any("qualités" in note for note in notes) and any("une vague à la fois" in note for note in notes)


def test_the_funders_copy_holds_no_date_mode_function_or_free_text(demo_public):
    answers = demo_public.reponses
    assert answers["date"].isna().all() and answers["mode"].isna().all()
    assert answers["repondant_fonction"].isna().all()
    assert (answers[["ressources", "outils", "pistes", "commentaire"]] == "").all().all()


def test_the_funders_method_gives_no_interview_date_or_mode(demo_public):
    from lib.impact import method_facts

    facts = method_facts(apply_filters(demo_public, Filters(wave="2019")))
    assert facts["debut"] is None and facts["modes"] == {} and facts["reponses"] is None


# --------------------------------------------------------------------------- the surfaces use the rule


def test_the_xlsx_a_funder_downloads_holds_the_checked_tables(demo, demo_public):
    """The XLSX (page and command line) is made of the chart tables of the protected analyses: its cells
    show « secret » where the analyses hide a figure, never a count below K structures of a hidden cell."""
    from lib.reports import aggregates_xlsx, scope_choices

    scope = next(s for s in scope_choices(demo_public) if s.level == "commune")
    workbook = load_workbook(io.BytesIO(aggregates_xlsx(demo_public, scope, "2019")))
    cells = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row]
    assert secrecy.SECRET in cells
    view = apply_filters(demo_public, Filters(wave="2019", level="commune", territories=scope.territories))
    quality = link_analyses(view, "commune")["qualite"]
    hidden = quality[quality["part"].isna()]
    assert len(hidden)  # something is secret in this territory, and the workbook says so rather than a number


def test_the_funders_pdf_prints_the_rule_and_no_interview_date(demo_public):
    import pypdfium2 as pdfium

    from lib.reports import fiche_pdf, resolve_scope

    document = pdfium.PdfDocument(fiche_pdf(demo_public, resolve_scope(demo_public, "departement"), "2019", False))
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    assert "Secret statistique" in text and "structures ayant répondu" in text
    assert not re.search(r"entre le \d\d/\d\d/\d{4}", text)
    assert "Version financeurs : aucune réponse libre, secret statistique (moins de 5 structures)." in text


def test_the_funders_pdf_states_the_threshold_in_force(generated):
    """With K = 7 the method and the footer say 7 structures: never the comité's « moins de 5 réponses »."""
    import pypdfium2 as pdfium

    from lib.reports import fiche_pdf, resolve_scope

    public = public_dataset(generated, 7)
    document = pdfium.PdfDocument(fiche_pdf(public, resolve_scope(public, "departement"), "2019", False))
    text = " ".join(" ".join(page.get_textpage().get_text_range() for page in document).split())
    assert "moins de 7 structures ayant répondu" in text and "(moins de 7 structures)." in text
    assert "moins de 5" not in text


def test_the_command_line_report_for_funders_shows_the_enclosing_level(tmp_path, generated, monkeypatch):
    from lib.cli import report

    monkeypatch.setenv("PASSERELLES_SECRETS", str(tmp_path / "aucun.toml"))
    schools = generated.structures[generated.structures["famille"] == "ecole"]
    village = schools.groupby("commune").size().pipe(lambda s: s[s == 1]).index[0]
    out = io.StringIO()
    assert report(village, "2019", "financeur", tmp_path / "fiche.pdf", generated.folder, out=out) == 0
    assert f"« {village} » : trop peu de structures" in out.getvalue()


@pytest.mark.usefixtures("with_users")
def test_a_funders_shared_link_to_a_small_commune_with_a_quality_filter_shows_the_enclosing_level(demo_public):
    """The issue's finding: a single-school commune with ``?qualite=2``. The page narrows the link, says why,
    and its tables are those of the protected analyses."""
    from conftest import app_test
    from lib.access import FINANCEUR
    from lib.charts import lever_charts

    village = next(name for name in sorted(demo_public.secret.public_name["commune"])
                   if name not in demo_public.secret.offered["commune"])
    at = app_test("pages/10_Impact.py", FINANCEUR)
    # Then a shared link opened in a new session of that browser (the app's home redirect drops a URL).
    for key, value in {"territoire": village, "qualite": "2", "vague": "2019"}.items():
        at.query_params[key] = value
    del at.session_state["filters"]
    at.switch_page("pages/3_Leviers_et_freins.py").run()
    assert not at.exception, [e.value for e in at.exception]
    notes = " ".join(i.value for i in at.info)
    assert f"« {village} »" in notes and "secret statistique" in notes and "qualités" in notes
    filters = at.session_state["filters"]
    assert village not in filters.territories and filters.qualities == () and filters.wave == "2019"
    from lib.screen_tables import screen_table, short_names

    expected = short_names(screen_table(lever_charts(apply_filters(demo_public, filters))["leviers_qualite"].shown))
    shown = [df.value for df in at.dataframe]
    assert any(table.shape == expected.shape and (table.astype(str).values == expected.astype(str).values).all()
               for table in shown)


# --------------------------------------------------------------------------- every cell of every table


PUBLIC_COUNTS = ("Écoles du périmètre", "Établissements")  # the school directory's counts: not answers
# Counts of answers, links or answering structures (a count of linked schools rests on the answers of the
# territory, schools and centres: its value is audited with the others, not held to K itself).
COUNT_HEADERS = ("(n)", "Réponses", "Liens", "Structures")


def _audited_values(pubs: list[Publication], scope: str) -> set[float]:
    """Every published value of one scope (``level:territory``), in the forms a table prints it."""
    values: set[float] = set()
    for value in scope_values(pubs, scope):
        values |= {round(value, 2), round(value, 1), round(100 * value, 1)}
    return values


def _unaudited_cells(tables: dict[str, pd.DataFrame], audited: set[float], k: int) -> list[str]:
    """Cells of the tables a funder reads that no audited figure accounts for, or counting 1 to K − 1."""
    found = []
    for name, table in tables.items():
        for column in table.columns:
            if column in PUBLIC_COUNTS:
                continue
            for row, cell in enumerate(table[column].tolist()):
                if isinstance(cell, bool) or not isinstance(cell, (int, float, np.number)) or cell != cell:
                    continue
                if any(h in str(column) for h in COUNT_HEADERS) and 0 < cell < k:
                    found.append(f"{name} · {column} · ligne {row + 1} : {cell} (moins de {k})")
                elif round(float(cell), 2) not in audited and round(float(cell), 1) not in audited:
                    found.append(f"{name} · {column} · ligne {row + 1} : {cell} (chiffre non audité)")
    return found


@pytest.fixture(scope="module")
def generated_published(generated_public):
    return published(generated_public)


@pytest.fixture(scope="module")
def demo_published(demo_public):
    """The demo's published figures at the intercommunalités and the département (the communes are audited by
    the enumeration above; this keeps the suite short)."""
    return published(demo_public, levels=["epci"])


@pytest.mark.parametrize("which", ["generated", "demo"])
def test_every_cell_of_every_table_a_funder_reads_is_an_audited_figure(which, request):
    """Cell by cell, the tables of the pages, of the XLSX and of the PDF (``report_charts`` and the impact table,
    what ``aggregates_xlsx`` writes, sheet for sheet) for every offered scope and every wave: each number is one
    the adversary audited for that scope, and no count is below K. On the demo, the département and its
    intercommunalités (the communes are audited by the enumeration above; this keeps the suite short)."""
    from lib.impact import impact_table
    from lib.reports import report_charts, scope_choices

    public = request.getfixturevalue(f"{which}_public")
    pubs = request.getfixturevalue(f"{which}_published")
    scopes = [s for s in scope_choices(public) if which == "generated" or s.level in ("departement", "epci")
              or not s.territories]
    assert len(scopes) > 3
    checked, problems = 0, []
    for scope in scopes:
        name = f"{scope.level}:{scope.territories[0]}" if scope.territories else ":département"
        audited = _audited_values(pubs, name) if scope.territories else {
            v for lv in ("commune", "epci") for v in _audited_values(pubs, f"{lv}:département")}
        view_all = apply_filters(public, Filters(wave=ALL_WAVES, level=scope.level if scope.territories else "epci",
                                                 territories=scope.territories))
        tables = {"chiffres clés": impact_table(impact_by_wave(view_all))}
        for wave in public.waves:
            view = apply_filters(public, Filters(wave=wave, level=view_all.filters.level,
                                                 territories=scope.territories))
            tables |= {f"{chart.name} {wave}": chart.table for chart in report_charts(view, view_all)}
        checked += sum(table.size for table in tables.values())
        problems += [f"{scope.name} · {p}" for p in _unaudited_cells(tables, audited, K)]
    assert checked > 1000
    assert problems == [], "\n".join(problems[:40])


def test_the_cell_check_finds_a_small_count_and_an_unaudited_figure():
    tables = {"t": pd.DataFrame({"Réponses (n)": [12, 3], "Part (%)": [25.0, 41.7]})}
    found = _unaudited_cells(tables, {12.0, 25.0}, K)
    assert len(found) == 2 and "3 (moins de 5)" in found[0] and "41.7 (chiffre non audité)" in found[1]


# --------------------------------------------------------------------------- every number of the funders' PDF


class DrawnTexts(list):
    """The texts matplotlib drew, in order; ``map_labels`` apart: the numbers written on a map's areas (the
    département report's intercommunalités, drawn with a white halo), which are no figure."""

    map_labels: list[str]


@pytest.fixture
def drawn_texts(monkeypatch):
    """Every text the PDF's charts and maps draw (they are images in the PDF: pdfium cannot read them), as
    matplotlib renders it; the images themselves at a low resolution (only their texts are checked)."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    texts = DrawnTexts()
    texts.map_labels = []
    draw, save = Text.draw, Figure.savefig

    def recording_draw(artist, renderer):
        if artist.get_visible() and artist.get_text():
            (texts.map_labels if artist.get_path_effects() else texts).append(artist.get_text())
        return draw(artist, renderer)

    monkeypatch.setattr(Text, "draw", recording_draw)
    monkeypatch.setattr(Figure, "savefig", lambda fig, *args, **kwargs: save(fig, *args, **{**kwargs, "dpi": 20}))
    return texts


def _fiche_numbers(public, scope, wave: str, drawn_texts: DrawnTexts, pubs: list[Publication],
                   made_from=None) -> list[str]:
    """The unexplained numbers of the funders' fiche of ``scope`` and ``wave`` (its text and its images).

    Args:
        made_from: the data set the fiche is made from (the funders' copy ``public`` unless a test plants a leak).
    """
    from lib.reports import fiche_pdf

    drawn_texts.clear()
    texts = pdf_texts(fiche_pdf(public if made_from is None else made_from, scope, wave, False, GENERATED_ON))
    legend = legend_classes()
    texts += [text for text in drawn_texts if text not in legend]
    return unexplained_numbers(texts, printable(pubs, scope, public), non_data_numbers(public, public.secret.k))


@pytest.mark.parametrize("which", ["generated", "demo"])
def test_every_number_of_the_funders_pdf_is_an_audited_figure(which, request, drawn_texts):
    """The funders' fiche (PDF) of every scope a funder is offered and every wave, read as a funder reads it:
    each number of its text and of its charts and map is an audited figure of that scope, a change between
    two of them, a directory count, or a non-data number listed in ``non_data_numbers``. On the demo: the
    département and three intercommunalités."""
    from lib.reports import scope_choices

    public = request.getfixturevalue(f"{which}_public")
    pubs = request.getfixturevalue(f"{which}_published")
    scopes = scope_choices(public)
    if which == "demo":
        scopes = scopes[:1] + [s for s in scopes if s.level == "epci"][:3]
    assert len(scopes) >= 4
    problems, read = [], 0
    for scope in scopes:
        for wave in public.waves:
            found = _fiche_numbers(public, scope, wave, drawn_texts, pubs)
            read += len(drawn_texts)
            problems += [f"{scope.name} · vague {wave} · {p}" for p in found]
    assert read > 100  # the charts' and the map's texts were read
    assert problems == [], "\n".join(problems[:40])


def test_the_pdf_check_finds_a_leak_planted_in_the_funders_fiche(generated, generated_public, generated_published,
                                                                 drawn_texts, monkeypatch):
    """Two leaks planted in an intercommunalité's fiche, each found: the headline figures without their
    secret (the REP/REP+ schools and the attendance at meetings, hidden there), then the whole fiche made from
    the comité's copy (its method counts the answers per mode and dates the interviews)."""
    import lib.impact
    from lib.reports import scope_choices

    scope = next(s for s in scope_choices(generated_public) if s.level == "epci" and "Val Parisis" in s.name)
    assert _fiche_numbers(generated_public, scope, "2018", drawn_texts, generated_published) == []
    with monkeypatch.context() as patch:
        patch.setattr(lib.impact, "protect_impact", lambda view, table: table)
        found = _fiche_numbers(generated_public, scope, "2018", drawn_texts, generated_published)
    assert any("REP / REP+ liées" in problem for problem in found), found
    assert any("Structures aux rencontres" in problem for problem in found), found
    found = _fiche_numbers(generated_public, scope, "2018", drawn_texts, generated_published, made_from=generated)
    assert any("réponses recueillies entre le" in problem for problem in found), found


def _report_numbers(public, wave: str, drawn_texts: DrawnTexts, pubs: list[Publication]) -> list[str]:
    """The unexplained numbers of the funders' département report of ``wave``: each passage of its text against
    the figures of the territory it is about (``report_passages``: an intercommunalité's table against that
    intercommunalité's), the texts its charts and maps draw against the département's (its only chart about
    the intercommunalités is the map, whose numbers must be theirs)."""
    from lib.reports import Scope, departement_pdf

    drawn_texts.clear()
    drawn_texts.map_labels.clear()
    text = "\n".join(pdf_texts(departement_pdf(public, wave, False, GENERATED_ON)))
    numbers = report_epcis(public)
    non_data = report_non_data_numbers(public, public.secret.k, numbers)
    found = []
    for passage, scope, counts in report_passages(public, text):
        found += [f"{scope.name} · {p}" for p in unexplained_numbers([passage], printable(pubs, scope, public, counts),
                                                                    non_data)]
    legend = legend_classes()
    departement = Scope("epci", (), "département")
    found += [f"graphiques · {p}" for p in unexplained_numbers([t for t in drawn_texts if t not in legend],
                                                              printable(pubs, departement, public), non_data)]
    found += [f"carte · numéro « {label} » inconnu" for label in drawn_texts.map_labels
              if label not in {str(n) for n in numbers.values()}]
    return found


@pytest.mark.parametrize("which", ["generated", "demo"])
def test_every_number_of_the_funders_departement_report_is_an_audited_figure(which, request, drawn_texts):
    """The funders' département report (PDF) of every wave (on the demo: the latest), read as a funder reads it:
    each number of its text is an audited figure of the territory its passage is about (the département, or the
    intercommunalité of section 3's table), a change between two of them, a directory count, or a non-data number
    listed in ``report_non_data_numbers``; each number its charts draw is one of the département's."""
    public = request.getfixturevalue(f"{which}_public")
    pubs = request.getfixturevalue(f"{which}_published")
    read_by_adversary = {name for name in report_epcis(public)
                         if any(p.where.startswith(f"impact epci:{name} ") for p in pubs)}
    assert read_by_adversary == set(report_epcis(public))  # the adversary reads every one the report prints
    problems, read = [], 0
    for wave in public.waves if which == "generated" else public.waves[-1:]:
        problems += [f"vague {wave} · {p}" for p in _report_numbers(public, wave, drawn_texts, pubs)]
        read += len(drawn_texts)
        assert drawn_texts.map_labels and set(drawn_texts.map_labels) <= {str(n) for n in report_epcis(public).values()}
    assert read > 100  # the charts' and the maps' texts were read
    assert problems == [], "\n".join(problems[:40])


def test_the_report_check_finds_a_leak_planted_in_the_funders_departement_report(generated_public,
                                                                                  generated_published, drawn_texts,
                                                                                  monkeypatch):
    """The headline figures without their secret: in section 3, the check finds the hidden figures of the
    intercommunalités (Val Parisis' REP/REP+ schools, the attendance at meetings), each read against that
    intercommunalité's own audited figures, not the département's."""
    import lib.impact

    assert _report_numbers(generated_public, "2018", drawn_texts, generated_published) == []
    with monkeypatch.context() as patch:
        patch.setattr(lib.impact, "protect_impact", lambda view, table: table)
        found = _report_numbers(generated_public, "2018", drawn_texts, generated_published)
    assert any(p.startswith("Communauté d'agglomération Val Parisis") and "REP / REP+ liées" in p
               for p in found), found
    assert any(p.startswith("Communauté de communes") and "Structures aux rencontres" in p for p in found), found
