"""Chart builders (lib/charts/): French, n visible, small counts hidden, readable, valid plotly; XLSX export."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from lib import charts
from lib.charts import layout, levers, links
from lib.dataset import DEMO_DIR, load_dataset
from lib.export import to_xlsx_bytes
from lib.filters import ALL_WAVES, Filters, apply_filters
from lib.formatting import NBSP
from lib.metrics import OVERALL, SMALL_COUNT_NOTE, link_analyses, lever_analyses
from lib.palette import QUALITY_COLOURS, quality_colour

FRENCH_PERCENT = re.compile(r"^\d{1,3}(,\d)?\u00a0%$")


@pytest.fixture(scope="module")
def demo():
    return load_dataset(DEMO_DIR)


@pytest.fixture(scope="module")
def pages(demo):
    """Every chart of the three pages, on the demo, by commune (many territories) and by EPCI."""
    found = {}
    for level in ("commune", "epci"):
        view = apply_filters(demo, Filters(wave="2019", level=level))
        every = apply_filters(demo, Filters(wave=ALL_WAVES, level=level))
        found[level] = {"liens": charts.link_charts(view), "leviers": charts.lever_charts(view),
                        "evolution": charts.evolution_charts(every),
                        "changements": {"2018-2019": charts.changes_chart(every, "2018", "2019")}}
    return found


def all_charts(pages) -> list[charts.Chart]:
    return [c for level in pages.values() for page in level.values() for c in page.values()
            if isinstance(c, charts.Chart)]


def font_sizes(node) -> list[float]:
    """Every font size set anywhere in a figure's JSON."""
    sizes = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("font", "textfont", "tickfont", "insidetextfont") and isinstance(value, dict) \
                    and "size" in value:
                sizes.append(value["size"])
            if key == "uniformtext" and isinstance(value, dict):
                sizes.append(value.get("minsize", 99))
            sizes += font_sizes(value)
    elif isinstance(node, list):
        for item in node:
            sizes += font_sizes(item)
    return sizes


def test_every_chart_is_valid_plotly(pages):
    """Figures are built without validation for speed: here each one goes through plotly's validation."""
    for chart in all_charts(pages):
        go.Figure(chart.figure)  # raises on any unknown property or wrong value
        json.loads(chart.to_figure().to_json())


def test_every_chart_asks_its_question_in_french_shows_n_and_is_big_enough_to_project(pages):
    for chart in all_charts(pages):
        layout = chart.figure["layout"]
        title = layout["title"]["text"]
        assert title.endswith("?</b>"), title
        subtitle = layout["title"]["subtitle"]["text"]
        assert "n\u00a0=\u00a0" in subtitle or "réponses par vague" in subtitle, (title, subtitle)
        sizes = font_sizes(chart.figure)
        assert sizes and min(sizes) >= 14, (title, sorted(set(sizes)))
        assert layout["separators"] == ", "  # 1 234,5 in plotly's own formats too


def test_frequency_by_territory_sorted_by_weekly_links_with_the_whole_view_first(demo):
    view = apply_filters(demo, Filters(wave="2019", level="epci"))
    table = link_analyses(view, "epci_nom")["frequence"]
    figure = links.frequency_chart(table, layout.context_for(view.filters))
    bars = figure.data
    assert [b.name for b in bars] == ["Ponctuelle", "Trimestrielle", "Mensuelle", "Hebdomadaire ou plus"]
    rows = list(bars[0].y)
    assert rows[0] == "<b>Ensemble</b>"
    weekly = table[table["code"] == "hebdomadaire"].set_index("groupe")["part"]
    shown = [weekly[t] for t in table["groupe"].unique() if t != OVERALL and not np.isnan(weekly[t])]
    assert list(bars[-1].x[1:]) == pytest.approx(sorted((s * 100 for s in shown), reverse=True))
    total = sum(np.array(b.x, dtype=float) for b in bars)
    assert total == pytest.approx(np.full(len(rows), 100.0))
    masked = table[table["masque"]]["groupe"].unique()
    assert len(masked) and all(layout.short_territory(t) not in rows for t in masked)
    note = figure.layout.xaxis.title.text
    assert SMALL_COUNT_NOTE in note and "CC Sausseron Impressionnistes" in note
    assert all(FRENCH_PERCENT.match(t) for b in bars for t in b.text if t)
    hover = [b.customdata for b in bars][3]
    assert any(f"{NBSP}%" in row[3] and "," in row[3] for row in hover)  # "34,9 %" in the hover


def test_many_communes_show_the_25_with_most_answers_and_say_so(pages):
    figure = pages["commune"]["liens"]["frequence"].to_figure()
    rows = figure.data[0].y
    assert len(rows) == layout.MAX_TERRITORIES + 1  # and "Ensemble"
    assert "Les 25 communes comptant le plus de réponses" in figure.layout.xaxis.title.text


def test_quality_diverges_around_the_middle_with_the_maps_colours(pages):
    figure = pages["epci"]["liens"]["qualite"].to_figure()
    by_name = {b.name: b for b in figure.data}
    assert [b.marker.color for b in figure.data] == [QUALITY_COLOURS[2], QUALITY_COLOURS[1], QUALITY_COLOURS[3],
                                                    QUALITY_COLOURS[4]]
    assert all(x <= 0 for x in by_name["Difficile"].x) and all(x <= 0 for x in by_name["À améliorer"].x)
    assert all(x >= 0 for x in by_name["Très satisfaisante"].x)
    right = [a.text for a in figure.layout.annotations if a.xref == "paper" and a.yref == "y"]
    assert right[0] == "3,09 · n\u00a0=\u00a0815"  # the mean and n of each row, in French


def test_heatmap_of_forms_by_territory_ordered_by_the_most_common_form(pages, demo):
    chart = pages["epci"]["liens"]["formes"]
    heat = chart.to_figure().data[0]
    overall = pages["epci"]["liens"]["formes_ensemble"].to_figure().data[0]
    assert [label.replace("<br>", " ") for label in heat.y] == [label.replace("<br>", " ") for label in overall.y]
    assert all("(n\u00a0=\u00a0" in column for column in heat.x)
    z = np.array(heat.z, dtype=float)
    assert np.nanmax(z) <= 100 and np.nanmin(z) >= 0
    assert chart.table.columns[0] == "Intercommunalité (EPCI)" and "Liens (n)" in chart.table.columns


def test_coverage_panels_side_by_side_with_n_schools(pages):
    figure = pages["epci"]["liens"]["couverture"].to_figure()
    assert [b.name for b in figure.data] == ["Tous", "REP+", "REP", "Hors EP"]
    assert len({b.xaxis for b in figure.data}) == 4
    assert any(a.text == "n\u00a0=\u00a01\u00a0110" for a in figure.layout.annotations)


def test_side_comparison_says_who_answered_and_how_many(pages):
    figure = pages["epci"]["leviers"]["leviers_cote"].to_figure()
    names = [f"Côté école ({layout.N_EQ}346)", f"Côté centre social ({layout.N_EQ}469)"]
    assert [b.name for b in figure.data] == names


def test_lever_quality_heatmap_puts_the_leviers_of_good_links_first(pages, demo):
    view = apply_filters(demo, Filters(wave="2019", level="epci"))
    table = lever_analyses(view, "epci_nom")["leviers_qualite"]
    heat = pages["epci"]["leviers"]["leviers_qualite"].to_figure().data[0]
    z = np.array(heat.z, dtype=float)
    good_minus_bad = z[:, 2:].mean(axis=1) - z[:, :2].mean(axis=1)
    assert good_minus_bad[0] > good_minus_bad[-1]
    assert [c.split("<br>")[0] for c in heat.x] == ["Difficile", "À améliorer", "Satisfaisante", "Très"]
    assert set(table["groupe"]) == {"Difficile", "À améliorer", "Satisfaisante", "Très satisfaisante"}


def test_gap_chart_colours_who_is_more_positive_and_hides_small_counts(pages, demo):
    figure = pages["epci"]["leviers"]["ecarts"].to_figure()
    bar = figure.data[0]
    assert list(bar.x)[:3] == ["−3", "−2", "−1"] and "0" in bar.x and "+3" in bar.x
    view = apply_filters(demo, Filters(wave="2019", territories=("Ableiges",)))
    small = lever_analyses(view, "commune")["ecarts_distribution"]
    empty = levers.gap_chart(small, layout.context_for(view.filters))
    assert not empty.data and "Rien à afficher" in empty.layout.annotations[0].text


def test_evolution_shows_waves_side_by_side_with_quality_in_the_maps_colours(pages):
    quality = pages["epci"]["evolution"]["qualite"].to_figure()
    assert [b.name for b in quality.data] == ["Vague 2017", "Vague 2018", "Vague 2019"]
    for bar in quality.data:
        for value, colour in zip(bar.x, bar.marker.color):
            assert colour == quality_colour(value + 1.0)  # bars start at 1 (« difficile »)
    key = quality.layout.title.subtitle.text  # the colours have their legend, in the exported image too
    assert all(f"<span style='color:{colour}'>\u25a0</span>\u00a0{label}" in key
               for colour, label in zip(QUALITY_COLOURS.values(),
                                        ("difficile", "à améliorer", "satisfaisante", "très satisfaisante")))
    links = pages["epci"]["evolution"]["liens"].to_figure()
    assert "<b>Ensemble</b>" not in links.data[0].y  # a count of the whole would crush the territories' bars
    assert "Ensemble : 640 en 2017, 626 en 2018, 642 en 2019" in "".join(a.text for a in links.layout.annotations)


def test_link_changes_lost_on_the_left(pages):
    figure = pages["epci"]["changements"]["2018-2019"].to_figure()
    lost, kept, new = figure.data
    assert all(x <= 0 for x in lost.x) and all(x >= 0 for x in new.x)
    assert "626 liens en 2018, 642 en 2019 (503 maintenus, 139 nouveaux, 123 perdus)" in \
        figure.layout.title.subtitle.text
    assert all(not t.startswith("−") for t in figure.layout.xaxis.ticktext)


def test_tables_behind_the_charts_keep_numbers_and_show_them_in_french(pages):
    chart = pages["epci"]["liens"]["frequence"]
    table = chart.table
    assert list(table.columns) == ["Intercommunalité (EPCI)", "Liens (n)", "Réponses", "Ponctuelle (%)",
                                   "Trimestrielle (%)", "Mensuelle (%)", "Hebdomadaire ou plus (%)", "Note"]
    overall = table.iloc[0]
    assert overall["Liens (n)"] == 642 and overall["Hebdomadaire ou plus (%)"] == 34.9
    assert chart.shown.iloc[0]["Hebdomadaire ou plus (%)"] == f"34,9{NBSP}%"
    masked = table[table["Note"] == SMALL_COUNT_NOTE]
    assert len(masked) and masked["Mensuelle (%)"].isna().all()
    assert (chart.shown.loc[masked.index, "Mensuelle (%)"] == "–").all()


def test_empty_tables_give_a_figure_that_says_so():
    context = layout.ChartContext("commune", "vague 2019")
    empty = pd.DataFrame(columns=["groupe", "code", "n", "base", "reponses", "part", "masque", "moyenne"])
    for figure in (links.frequency_chart(empty, context), links.quality_chart(empty, context)):
        assert "Rien à afficher" in figure.layout.annotations[0].text


def test_why_there_is_nothing_to_show():
    filters = Filters(wave="2018", territories=("Cergy",))
    assert "aucune réponse d'enquête" in layout.empty_reason(filters, 3, 0, 0)
    assert "aucun établissement scolaire" in layout.empty_reason(filters, 0, 0, 10)
    reason = layout.empty_reason(filters, 3, 0, 10)
    assert "vague 2018" in reason and "Cergy" in reason
    assert layout.empty_reason(filters, 3, 1, 10) is None


def test_names_and_scope_in_french():
    assert layout.short_territory("Communauté d'agglomération de Cergy-Pontoise") == "CA de Cergy-Pontoise"
    assert layout.short_territory("Métropole du Grand Paris") == "Métropole du Grand Paris"
    scope = layout.describe_scope(Filters(wave=ALL_WAVES, territories=("A", "B", "C"), qualities=("4",)))
    assert scope == "toutes vagues · 3 territoires choisis · réponses filtrées (forme, fréquence ou qualité)"
    assert layout.ChartContext("epci", "").sorted_by("par x") == "intercommunalités triées par x"


def test_xlsx_export_one_sheet_per_table_formulas_neutralised():
    tables = {"formes/par:territoire": pd.DataFrame({"Commune": ["=HYPERLINK(\"http://x\")", "Cergy\x07"],
                                                      "Part (%)": [12.5, np.nan]}),
              "formes par territoire": pd.DataFrame({"n": [1]})}
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(tables)))
    assert book.sheetnames == ["formes par territoire", "formes par territoire (2)"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["Commune", "Part (%)"]
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "Cergy" and sheet["B2"].value == 12.5 and sheet["B3"].value is None
    assert sheet.freeze_panes == "A2"


def test_territory_names_from_the_data_are_escaped_in_charts(tmp_path):
    """Plotly reads chart texts as HTML: a custom territory's name is shown, never interpreted."""
    from conftest import small_tables, write_tables

    tables = small_tables()
    hostile = "<a href='http://x'>Nord</a> & <b>Cie</b>"
    tables["territoires"] = pd.DataFrame({"commune_insee": ["95018", "95127", "95585"],
                                          "territoire": [hostile, hostile, "Sud"]})
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, level="territoire", territories=(hostile,)))
    found = charts.link_charts(view)
    text = json.dumps([c.figure for c in found.values()], ensure_ascii=False)
    assert "&lt;a href='http://x'&gt;Nord&lt;/a&gt; &amp; &lt;b&gt;Cie&lt;/b&gt;" in text
    assert "<a href" not in text and "<b>Cie" not in text
    assert hostile in set(found["couverture"].table.iloc[:, 0])  # tables keep it as it is: st.dataframe shows text


# --------------------------------------------------------------------------- heatmaps and labels (issue 13)

SPAN = re.compile(r"^<span style='color:(#[0-9a-f]{6})'>(.*)</span>$")


def heatmaps(pages) -> list[tuple[charts.Chart, dict]]:
    return [(chart, trace) for chart in all_charts(pages) for trace in chart.figure["data"]
            if trace.get("type") == "heatmap"]


def test_every_heatmap_cell_shows_its_value_in_french(pages):
    found = heatmaps(pages)
    assert len(found) >= 10  # formes, objets, leviers, freins × (territoire, qualité), two levels
    for chart, trace in found:
        assert trace["texttemplate"] == "%{text}", chart.name
        for z_row, text_row in zip(trace["z"], trace["text"]):
            assert len(text_row) == len(z_row)
            for value, text in zip(z_row, text_row):
                match = SPAN.match(text)
                shown = match.group(2) if match else text
                if value is None:
                    assert shown in ("–", "secret"), (chart.name, text)
                else:
                    assert FRENCH_PERCENT.match(shown), (chart.name, text)
                    assert shown.removesuffix("\u00a0%") == f"{value:.0f}", (chart.name, value, text)


def test_dark_heatmap_cells_have_white_text_and_light_cells_dark_text(pages):
    dark = light = 0
    for chart, trace in heatmaps(pages):
        assert trace["textfont"]["color"] == layout.TEXT_DARK
        assert trace["showscale"] is False  # the values are written: the colour bar's room goes to the columns
        for z_row, text_row in zip(trace["z"], trace["text"]):
            for value, text in zip(z_row, text_row):
                if value is None:
                    continue
                position = value / trace["zmax"]
                match = SPAN.match(text)
                if position >= 0.75:  # the two darkest purples of the scale
                    assert match and match.group(1) == layout.TEXT_LIGHT, (chart.name, value, text)
                    dark += 1
                elif position <= 0.25:
                    assert not match, (chart.name, value, text)
                    light += 1
    assert dark and light


def test_heatmap_column_labels_are_horizontal_and_wrapped(pages):
    for chart, _trace in heatmaps(pages):
        figure = chart.to_figure()
        assert figure.layout.xaxis.tickangle in (None, 0), chart.name
        heat = figure.data[0]
        assert len(heat.x) <= layout.HEATMAP_COLUMNS
        for label in heat.x:
            lines = label.split("<br>")
            assert lines[-1].startswith("(n\u00a0=\u00a0"), label  # n on a line of its own
            assert all(len(line) <= layout.COLUMN_LABEL_WIDTH or " " not in line for line in lines[:-1]), label
        for label in heat.y:
            assert all(len(line) <= layout.HEATMAP_ROW_WIDTH or " " not in line for line in label.split("<br>")), label


def test_many_communes_heatmap_shows_the_largest_and_says_so(pages):
    figure = pages["commune"]["liens"]["formes"].to_figure()
    assert len(figure.data[0].x) == layout.HEATMAP_COLUMNS
    assert f"Les {layout.HEATMAP_COLUMNS} communes comptant le plus de liens" in figure.layout.xaxis.title.text


def test_no_chart_rotates_its_labels(pages):
    """Rotated labels cannot be read from the back of a room: every axis keeps its labels horizontal."""
    for chart in all_charts(pages):
        layout = chart.figure["layout"]
        for name, axis in layout.items():
            if re.fullmatch(r"[xy]axis\d*", name):
                assert axis.get("tickangle", 0) == 0, (chart.name, name, axis.get("tickangle"))


# --------------------------------------------------------------------------- the sides in the order drawn


def test_side_comparison_subtitle_names_the_sides_in_the_order_drawn(pages):
    from lib.metrics import SIDES
    for question in ("leviers", "freins"):
        figure = pages["epci"]["leviers"][f"{question}_cote"].to_figure()
        drawn = [b.name.split(" (")[0] for b in figure.data]
        assert drawn == [SIDES[code] for code in levers.SIDE_ORDER]
        assert figure.layout.yaxis.autorange == "reversed"  # so the first trace is the top bar of each pair
        subtitle = figure.layout.title.subtitle.text.replace("<br>", " ")
        top, bottom = (f"en haut, {drawn[0].lower()}", f"en bas, {drawn[1].lower()}")
        assert top in subtitle and bottom in subtitle and subtitle.index(top) < subtitle.index(bottom), subtitle


def test_side_order_drives_both_the_bars_and_the_subtitle(demo, monkeypatch):
    view = apply_filters(demo, Filters(wave="2019", level="epci"))
    table = lever_analyses(view, "epci_nom")["leviers_cote"]
    monkeypatch.setattr(levers, "SIDE_ORDER", ("centre", "ecole"))
    figure = levers.side_comparison_chart(table, "leviers", layout.context_for(view.filters))
    assert [b.name.split(" (")[0] for b in figure.data] == ["Côté centre social", "Côté école"]
    assert "en haut, côté centre social ; en bas, côté école" in figure.layout.title.subtitle.text.replace("<br>", " ")


def test_gap_chart_subtitle_says_which_side_is_left_as_drawn(pages, demo):
    from lib.palette import SIDE_COLOURS
    figure = pages["epci"]["leviers"]["ecarts"].to_figure()
    bar = figure.data[0]
    left, right = levers.GAP_SIDES
    assert bar.marker.color[0] == SIDE_COLOURS[left] and bar.marker.color[-1] == SIDE_COLOURS[right]
    subtitle = figure.layout.title.subtitle.text.replace("<br>", " ")
    expected = f"à gauche, {levers.GAP_SIDE_PHRASES[left]} ; à droite, {levers.GAP_SIDE_PHRASES[right]}"
    assert expected in subtitle, subtitle
    view = apply_filters(demo, Filters(wave="2019", level="epci"))
    distribution = lever_analyses(view, "epci_nom")["ecarts_distribution"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(levers, "GAP_SIDES", ("ecole", "centre"))
        flipped = levers.gap_chart(distribution, layout.context_for(view.filters))
    assert flipped.data[0].marker.color[0] == SIDE_COLOURS["ecole"]
    assert "à gauche, l'école est plus positive" in flipped.layout.title.subtitle.text.replace("<br>", " ")
