"""Tables as the screen shows them (lib/screen_tables.py): share tables read long, widths that fit the box."""

from __future__ import annotations

import pandas as pd

from lib.screen_tables import (CATEGORY_COLUMN, MIN_COLUMN_PX, SCREEN_BOX_PX, SHARE_COLUMN, fitted_widths,
                               is_read_long, natural_width, screen_table, short_names)


def share_table(categories: int) -> pd.DataFrame:
    rows = []
    for group, n in (("Val d'Oise", "120"), ("Cergy", "4")):
        row = {"Territoire": group, "Liens (n)": n}
        row.update({f"Catégorie {i} (%)": f"{10 * i + len(group)} %" for i in range(categories)})
        row["Note"] = "moins de 5 réponses" if n == "4" else ""
        rows.append(row)
    return pd.DataFrame(rows)


def test_a_share_table_with_few_categories_stays_wide() -> None:
    table = share_table(4)
    assert not is_read_long(table)
    assert screen_table(table) is table


def test_a_share_table_with_many_categories_is_read_one_row_per_group_and_category() -> None:
    table = share_table(11)
    assert is_read_long(table)
    long = screen_table(table)
    assert list(long.columns) == ["Territoire", "Liens (n)", CATEGORY_COLUMN, SHARE_COLUMN, "Note"]
    assert len(long) == 2 * 11
    # groups in their order, categories in the columns' order, each value where it was
    assert long["Territoire"].tolist() == ["Val d'Oise"] * 11 + ["Cergy"] * 11
    assert long[CATEGORY_COLUMN].tolist()[:3] == ["Catégorie 0", "Catégorie 1", "Catégorie 2"]
    for row in long.itertuples(index=False):
        source = table[table["Territoire"] == row[0]].iloc[0]
        assert source[f"{row[2]} (%)"] == row[3]
        assert source["Note"] == row[4] and source["Liens (n)"] == row[1]


def test_a_narrow_table_is_left_to_the_grid() -> None:
    table = pd.DataFrame({"Commune": ["Cergy", "Pontoise"], "Écoles": [12, 3]})
    assert fitted_widths(table) == {}


def test_a_wide_table_gets_widths_that_fit_and_its_short_columns_keep_theirs() -> None:
    table = pd.DataFrame({
        "Priorité": ["REP+", "REP"],
        "Qui": ["École élémentaire Les Mimosas (Argenteuil) et Centre social Les Sources (Argenteuil)"] * 2,
        "Pourquoi": ["4 centre(s) à moins de 1,5 km, le plus proche à 0,2 km ; aucun lien recensé ; REP+"] * 2,
        "Pistes citées": ["Mieux faire connaître les actions du centre aux familles de l'école. " * 3] * 2,
        "Fiche": ["Carte?structure=0959179L"] * 2,
    })
    widths = fitted_widths(table, fixed={"Fiche": 140})
    assert set(widths) == set(table.columns)
    assert sum(widths.values()) <= SCREEN_BOX_PX
    assert widths["Priorité"] == natural_width("Priorité", table["Priorité"]) >= MIN_COLUMN_PX
    assert widths["Fiche"] == 140
    assert widths["Pistes citées"] < natural_width("Pistes citées", table["Pistes citées"])
    assert min(widths.values()) >= MIN_COLUMN_PX


def test_epci_names_are_short_on_screen_and_other_columns_untouched() -> None:
    table = pd.DataFrame({"Intercommunalité": ["Communauté d'agglomération Val Parisis", None],
                          "Commune": ["Communauté d'agglomération Val Parisis", "Cergy"]})
    shown = short_names(table)
    assert shown["Intercommunalité"].tolist()[0] == "CA Val Parisis"
    assert pd.isna(shown["Intercommunalité"].tolist()[1])
    assert shown["Commune"].tolist() == table["Commune"].tolist()
    assert table["Intercommunalité"].tolist()[0] == "Communauté d'agglomération Val Parisis"  # a copy
