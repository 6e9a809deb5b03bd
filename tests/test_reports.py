"""PDF and XLSX reports (the package lib/reports/): same figures as the app, no free text for funders, one-page fiche.

Every PDF is rendered with pdfium: its text is checked and its pages saved as PNG under tests/artifacts/
(git-ignored) so that the layout can be looked at.
"""

from __future__ import annotations

import ast
import io
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest

from lib.dataset import load_dataset
from lib.filters import ALL_WAVES, Filters, apply_filters
from lib.formatting import format_date, format_int
from lib.impact import headlines, impact_by_wave, method_facts
from lib.metrics import SMALL_COUNT_NOTE, indicators_by_wave
from lib.export import SIGNED_FIGURE
from lib.reports import (COMITE_LINE, DEMO_LABEL, FUNDER_LINE, Scope, aggregates_xlsx, departement_pdf, fiche_pdf,
                         report_charts, report_filename, resolve_scope, scope_choices, short_epci)
from lib.text import fold

from conftest import small_tables, write_tables

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
WAVE = "2019"
HOSTILE = "<b>gras</b> & {{ 7*7 }} <script>"
FORMULA = "=1+1"
FREE_TEXT_COLUMNS = ("ressources", "outils", "pistes", "commentaire")


def normalise(text: str) -> str:
    """PDF text as one line: non-breaking spaces as spaces, line breaks and runs of spaces as one space."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_pages(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    return normalise(" ".join(pdf_pages(pdf)))


def save_pngs(pdf: bytes, stem: str, numbered: bool = False) -> int:
    """Every page as a PNG in tests/artifacts/ (``stem.png``, or ``stem-p1.png``…); returns the page count."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(document)):
            name = f"{stem}-p{i + 1}.png" if numbered else f"{stem}.png"
            document[i].render(scale=1.6).to_pil().save(ARTIFACTS / name)
        return len(document)
    finally:
        document.close()


def expected_headlines(dataset, scope: Scope, wave: str):
    """What the impact page shows for this scope and wave."""
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, level=scope.level, territories=scope.territories))
    return headlines(impact_by_wave(view), wave)


def free_text_sentences(reponses: pd.DataFrame) -> set[str]:
    """Every free-text value longer than 15 characters, and each of its sentences of 20 characters or more."""
    found: set[str] = set()
    for column in FREE_TEXT_COLUMNS:
        for value in reponses[column].fillna("").astype(str):
            value = normalise(value)
            if len(value) > 15:
                found.add(value)
                found.update(s for s in re.split(r"(?<=[.!?])\s+", value) if len(s) >= 20)
    return found


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo():
    return load_dataset(ROOT / "data" / "demo")


@pytest.fixture(scope="module")
def fiches(demo) -> dict[str, bytes]:
    """The demo fiches: commune, EPCI, département (funders) and a commune for the comité de pilotage."""
    return {name: fiche_pdf(demo, resolve_scope(demo, territoire), WAVE, free_text)
            for name, territoire, free_text in [("commune", "Argenteuil", False), ("epci", "CA Val Parisis", False),
                                                ("departement", None, False), ("commune-comite", "Cergy", True)]}


@pytest.fixture(scope="module")
def rapports(demo) -> dict[bool, bytes]:
    return {free_text: departement_pdf(demo, WAVE, free_text) for free_text in (False, True)}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A small data set with a custom territory and a structure named with markup, a piste holding markup,
    and a custom territory whose name is a formula."""
    tables = small_tables()
    tables["territoires"] = pd.DataFrame({"commune_insee": ["95018", "95127"], "territoire": [HOSTILE, FORMULA]})
    structures = tables["structures"]
    structures.loc[len(structures)] = ["CS-3", "centre_social", HOSTILE, "95018", "7 rue G", "", "", "", ""]
    reponses = tables["reponses"]
    reponses.loc[reponses["reponse_id"] == "R5", "pistes"] = f"{HOSTILE} : se retrouver chaque trimestre."
    dataset = load_dataset(write_tables(tmp_path_factory.mktemp("hostile") / "jeu", tables))
    assert not dataset.errors
    return dataset


# --------------------------------------------------------------------------- scope


def test_resolve_scope_by_code_name_epci_and_departement(demo):
    argenteuil = resolve_scope(demo, "95018")
    assert argenteuil == Scope("commune", ("Argenteuil",), "Argenteuil", "95018")
    assert resolve_scope(demo, "  ARGENTEUIL ") == argenteuil
    assert resolve_scope(demo, "saint ouen l aumone").territories == ("Saint-Ouen-l'Aumône",)
    assert resolve_scope(demo, "Saint-Ouen-l'Aumône") == resolve_scope(demo, "SAINT-OUEN-L’AUMONE")

    val_parisis = resolve_scope(demo, "CA Val Parisis")
    assert val_parisis == Scope("epci", ("Communauté d'agglomération Val Parisis",), "CA Val Parisis", "200058485")
    for name in ("Communauté d'agglomération Val Parisis", "communaute d agglomeration val parisis", "Val Parisis",
                 "200058485"):
        assert resolve_scope(demo, name) == val_parisis

    for name in (None, "", "departement", "Département", "95", "Val-d'Oise", "val d oise",
                 "Val-d'Oise (département)"):
        scope = resolve_scope(demo, name)
        assert scope.is_departement and scope.territories == () and scope.name == "Val-d'Oise (département)"
    # Every structure of the data set in the département's view.
    scope = resolve_scope(demo, None)
    assert len(apply_filters(demo, Filters(level=scope.level, territories=scope.territories)).schools) == \
        int((demo.structures["famille"] == "ecole").sum())


def test_unknown_territory_is_a_french_error_with_close_matches(demo):
    with pytest.raises(ValueError, match="Territoire inconnu : « Argentueil »") as error:
        resolve_scope(demo, "Argentueil")
    assert "Argenteuil" in str(error.value)
    with pytest.raises(ValueError, match="commune"):
        resolve_scope(demo, "Xyzzy-sur-Mer")


def test_custom_territory_scope(hostile):
    scope = resolve_scope(hostile, HOSTILE)
    assert scope == Scope("territoire", (HOSTILE,), HOSTILE)
    # Custom territories come last in the choices (the communes without one are not a territory).
    assert {s.name for s in scope_choices(hostile)[-2:]} == {HOSTILE, FORMULA}
    assert resolve_scope(hostile, FORMULA) in scope_choices(hostile)


def test_scope_choices_departement_then_epci_then_communes(demo):
    choices = scope_choices(demo)
    assert choices[0].is_departement
    levels = [c.level for c in choices[1:]]
    assert levels == sorted(levels, key=lambda level: level != "epci")  # EPCI first, then communes
    epcis = [c for c in choices[1:] if c.level == "epci"]
    communes = [c for c in choices if c.level == "commune"]
    assert len(epcis) == 12 and "CA Val Parisis" in [c.name for c in epcis]
    assert [fold(c.name) for c in communes] == sorted(fold(c.name) for c in communes)
    assert all(resolve_scope(demo, c.code) == c for c in communes[:5] + epcis[:3])


def test_report_filename_is_an_ascii_slug(demo):
    assert report_filename("fiche", resolve_scope(demo, "Argenteuil"), "2019", "pdf") == "fiche-argenteuil-2019.pdf"
    assert report_filename("rapport", None, "2019", ".pdf") == "rapport-departement-2019.pdf"
    assert report_filename("agregats", resolve_scope(demo, "Saint-Ouen-l'Aumône"), "2018", "xlsx") == \
        "agregats-saint-ouen-l-aumone-2018.xlsx"
    name = report_filename("fiche", Scope("territoire", (HOSTILE,), HOSTILE), "2019", "pdf")
    assert name.isascii() and re.fullmatch(r"[a-z0-9.-]+", name)


# --------------------------------------------------------------------------- fiche


@pytest.mark.parametrize("name, territoire", [("commune", "Argenteuil"), ("epci", "CA Val Parisis"),
                                              ("departement", None)])
def test_fiche_is_one_page_with_the_impact_page_figures(demo, fiches, name, territoire):
    pdf = fiches[name]
    assert pdf.startswith(b"%PDF")
    assert save_pngs(pdf, f"fiche-{name}-financeur") == 1
    text = pdf_text(pdf)
    scope = resolve_scope(demo, territoire)
    assert normalise(scope.name) in text and f"vague {WAVE}" in text
    items = expected_headlines(demo, scope, WAVE)
    assert len(items) == 6
    for item in items:
        for part in (item.label, item.value, item.detail, item.delta):
            assert normalise(part) in text, part
    assert DEMO_LABEL in text
    assert FUNDER_LINE in text
    for chart in ("À quel rythme les liens se font-ils ?", "Les liens sont-ils jugés satisfaisants ?",
                  "les leviers les plus cités", "les freins les plus cités", "Où sont les établissements"):
        assert chart in text
    assert "n = " in text and "Méthode." in text


def test_funder_versions_hold_no_free_text(demo, fiches, rapports):
    sentences = free_text_sentences(demo.reponses)
    assert len(sentences) > 50
    for pdf in (fiches["commune"], fiches["epci"], fiches["departement"], rapports[False]):
        text = pdf_text(pdf)
        leaked = [s for s in sentences if s in text]
        assert not leaked, leaked[:3]
        assert "Pistes proposées" not in text


def test_comite_versions_count_and_date_the_interviews_in_their_method(demo, fiches, rapports):
    """The comité's « Méthode » says how many answers were collected, when, how and from which side (as at
    4a57471); the funders' copy never does (tests/test_secrecy.py)."""
    for pdf, filters in ((fiches["commune-comite"], Filters(wave=WAVE, level="commune", territories=("Cergy",))),
                         (rapports[True], Filters(wave=WAVE))):
        facts = method_facts(apply_filters(demo, filters))
        assert facts["reponses"] > 1 and facts["modes"]
        method = pdf_text(pdf).split("Méthode", 1)[1]
        assert (f"{normalise(format_int(facts['reponses']))} réponses recueillies entre le "
                f"{format_date(facts['debut'])} et le {format_date(facts['fin'])}") in method
        assert f"{facts['cote_ecole']} côté école, {facts['cote_centre']} côté centre social" in method
        assert all(f"{label[1:]} {n}" in method for label, n in facts["modes"].items())


def test_comite_versions_quote_a_few_pistes(demo, fiches, rapports):
    pistes = {s for s in free_text_sentences(demo.reponses[["pistes"]].assign(ressources="", outils="",
                                                                               commentaire=""))}
    fiche = pdf_text(fiches["commune-comite"])
    save_pngs(fiches["commune-comite"], "fiche-commune-comite")
    assert len(pdf_pages(fiches["commune-comite"])) == 1
    assert "Pistes proposées par les répondants" in fiche and COMITE_LINE in fiche
    assert any(p in fiche for p in pistes)
    report = pdf_text(rapports[True])
    assert sum(p in report for p in pistes) >= 3
    # Pistes only: never the other free texts.
    others = free_text_sentences(demo.reponses.assign(pistes="")) - pistes
    assert not [s for s in others if s in fiche or s in report]


def test_names_and_pistes_with_markup_show_literally(hostile):
    scope = resolve_scope(hostile, HOSTILE)
    comite = fiche_pdf(hostile, scope, WAVE, free_text=True)
    save_pngs(comite, "fiche-nom-hostile-comite")
    text = pdf_text(comite)
    assert HOSTILE in text  # the territory's name, as typed
    assert f"« {HOSTILE} : se retrouver chaque trimestre. »" in text
    assert DEMO_LABEL not in text  # not the demo data set
    funder = pdf_text(fiche_pdf(hostile, scope, WAVE, free_text=False))
    assert HOSTILE in funder and "se retrouver chaque trimestre" not in funder


def test_small_counts_show_the_note_not_a_quality(hostile):
    # Argenteuil has one answer in 2019: no share of satisfying links, no mean quality.
    scope = resolve_scope(hostile, "Argenteuil")
    items = {h.code: h for h in expected_headlines(hostile, scope, WAVE)}
    assert items["part_satisfaisants"].value == SMALL_COUNT_NOTE
    text = pdf_text(fiche_pdf(hostile, scope, WAVE, free_text=False))
    assert f"Liens jugés satisfaisants ou mieux {SMALL_COUNT_NOTE}" in text
    assert not re.search(r"qualité moyenne \d", text)  # the quality chart's n line gives no mean
    assert text.count(SMALL_COUNT_NOTE) >= 4  # card, its detail, the quality and frequency charts


def test_a_territory_without_answers_still_gets_its_page(demo):
    surveyed = set(demo.structures["commune"])
    empty = next(name for name in demo.reference.communes["nom"] if name not in surveyed)
    pdf = fiche_pdf(demo, resolve_scope(demo, empty), WAVE, free_text=False)
    text = pdf_text(pdf)
    assert len(pdf_pages(pdf)) == 1 and empty in text
    assert "Aucune réponse d'enquête dans ce territoire pour cette vague" in text


def test_fiches_built_in_parallel_threads_are_identical(hostile):
    # Streamlit serves each session from its own thread: drawing must not share state between them.
    from concurrent.futures import ThreadPoolExecutor

    scopes = [resolve_scope(hostile, name) for name in ("Argenteuil", "Cergy", HOSTILE, None)]
    day = date(2019, 7, 1)
    alone = [pdf_text(fiche_pdf(hostile, scope, WAVE, False, generated=day)) for scope in scopes]
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = pool.map(lambda scope: fiche_pdf(hostile, scope, WAVE, False, generated=day), scopes)
        together = [pdf_text(pdf) for pdf in built]
    assert together == alone


def test_unknown_wave_is_refused(demo):
    with pytest.raises(ValueError, match="Vague inconnue"):
        fiche_pdf(demo, resolve_scope(demo, "Argenteuil"), "2031", False)


# --------------------------------------------------------------------------- département report


def test_departement_report(demo, rapports):
    pdf = rapports[False]
    pages = save_pngs(pdf, "rapport-departement", numbered=True)
    assert pages >= 5
    save_pngs(rapports[True], "rapport-departement-comite", numbered=True)
    text = pdf_text(pdf)
    for item in expected_headlines(demo, resolve_scope(demo, None), WAVE):
        for part in (item.label, item.value, item.detail, item.delta):
            assert normalise(part) in text, part
    for heading in ("Évolution d'une vague à l'autre", "Les intercommunalités", "Chaque intercommunalité",
                    "Leviers, freins, fréquence et qualité des liens", "Méthode et définitions"):
        assert heading in text
    assert f"page 1 sur {pages}" in text and DEMO_LABEL in text and FUNDER_LINE in text
    # One table per EPCI, with that EPCI's own headlines (as on the impact page with the EPCI chosen).
    for epci in demo.structures["epci_nom"].dropna().unique():
        assert short_epci(epci) in text
    cergy = resolve_scope(demo, "CA de Cergy-Pontoise")
    for item in expected_headlines(demo, cergy, WAVE):
        assert normalise(f"{item.label} {item.value} {item.detail}") in text


def test_departement_report_masks_small_epci(demo, rapports):
    view = apply_filters(demo, Filters(wave=ALL_WAVES, level="epci"))
    table = indicators_by_wave(view, "epci_nom")
    small = table[(table["vague"] == WAVE) & table["masque"].astype(bool) & (table["reponses"] > 0)]
    assert len(small), "the demo should hold an EPCI with fewer than 5 answers"
    lines = [normalise(line) for page in pdf_pages(rapports[False]) for line in page.splitlines()]
    for name in small["territoire"]:
        row = [line for line in lines if line.startswith(tuple(f"{n} {short_epci(name)}" for n in range(1, 20)))]
        assert row and row[0].endswith(SMALL_COUNT_NOTE), row


def test_departement_report_on_a_small_data_set(hostile):
    pdf = departement_pdf(hostile, WAVE, free_text=False)
    text = pdf_text(pdf)
    assert "Ensemble du département" in text and SMALL_COUNT_NOTE in text
    assert HOSTILE not in text  # structure names never appear
    assert DEMO_LABEL not in text


# --------------------------------------------------------------------------- XLSX


def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content), read_only=True)


def cells(book: openpyxl.Workbook):
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            yield from (value for value in row if value is not None)


def test_xlsx_one_sheet_per_chart_no_free_text(demo):
    scope = resolve_scope(demo, "CA Val Parisis")
    content = aggregates_xlsx(demo, scope, WAVE)
    book = workbook(content)
    filters = Filters(wave=ALL_WAVES, level=scope.level, territories=scope.territories)
    charts = report_charts(apply_filters(demo, replace(filters, wave=WAVE)), apply_filters(demo, filters))
    names = book.sheetnames
    assert names[:2] == ["À lire", "Chiffres clés par vague"]
    assert len(names) == 2 + len(charts) and len(charts) >= 15
    assert len({n.lower() for n in names}) == len(names) and all(len(n) <= 31 for n in names)
    assert "Fréquence par intercommunalité" in names and "Évolution de la couverture" in names
    assert not any("ecarts-liste" in c.name or "liste" in c.name for c in charts)
    for sheet in book.worksheets:
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        assert not {"École", "Centre social", "Commentaire", "Pistes"} & set(header), sheet.title
    values = [v for v in cells(book) if isinstance(v, str)]
    assert DEMO_LABEL in values
    sentences = free_text_sentences(demo.reponses)
    assert not [v for v in values if normalise(v) in sentences or any(s in v for s in sentences if len(s) > 40)]
    # Only the app's signed figures (perception gaps « +1 ») start like a formula: text cells, no apostrophe.
    assert not [v for v in values if v.startswith(("=", "+", "-", "@", "\t")) and not SIGNED_FIGURE.match(v)]
    impact = pd.read_excel(io.BytesIO(content), sheet_name="Chiffres clés par vague")
    assert impact["Vague"].astype(str).tolist() == ["2017", "2018", "2019"]


def test_xlsx_neutralises_formula_like_names(hostile):
    book = workbook(aggregates_xlsx(hostile, resolve_scope(hostile, FORMULA), WAVE))
    values = [v for v in cells(book) if isinstance(v, str)]
    assert "'" + FORMULA in values
    assert not [v for v in values if v.startswith(("=", "+", "-", "@", "\t")) and not SIGNED_FIGURE.match(v)]


def test_the_reports_package_stays_split_by_job():
    """Each module of lib/reports/ stays under the house limit and imports no other module's private name."""
    folder = ROOT / "lib" / "reports"
    modules = sorted(folder.glob("*.py"))
    assert len(modules) > 5
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert source.count("\n") <= 600, module.name
        private = [alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
                   and (node.module or "").startswith("lib") for alias in node.names if alias.name.startswith("_")]
        assert not private, (module.name, private)
