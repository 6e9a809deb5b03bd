"""Streamlit widgets shared by the analysis pages: the view line, cached analyses, charts, tables and images."""

from __future__ import annotations

from dataclasses import astuple
import html
from urllib.parse import quote

import pandas as pd
import streamlit as st

from lib.charts import Chart
from lib.charts.layout import PNG_HINT
from lib.screen_tables import fitted_widths, is_read_long, screen_table, short_names
from lib.dataset import Dataset, dataset_signature
from lib.export import XLSX_MIME, to_csv_bytes, to_xlsx_bytes
from lib.filters import Filters, view_line
from lib.formatting import format_percent
from lib.images import ImageExportError, figure_png, figure_svg
from lib.metrics import key_figures
from lib.text import markdown_escape
from lib.ui.views import cached_view

IMAGE_MIMES = {"PNG": "image/png", "SVG": "image/svg+xml"}


def show_view_line(dataset: Dataset, filters: Filters, with_wave: bool = True) -> None:
    """Under a page's title, what it shows in one line (``lib.filters.view_line``): wave, territory, links.

    Funders get no count here: their figures come from lib/secrecy.py only.
    """
    links = None if dataset.secret is not None or not with_wave else cached_analysis(key_figures, dataset, filters).links
    line = view_line(filters, dataset.reference.departement_name, links, with_wave,
                     dataset.reference.meta.get("departement_tncc"))
    st.markdown(f":material/filter_alt: **{markdown_escape(line)}**")


def cached_analysis(compute, dataset: Dataset, filters: Filters, *options):
    """``compute(view, *options)`` for the view of ``filters``, cached on the data set's files, filters and options.

    The tables are small: ``st.cache_data`` hands each rerun a cheap copy.
    ``compute`` must depend on nothing else (a pure function of ``lib/``).
    """
    secret = getattr(dataset.secret, "k", None)  # the funders' copy never shares a cache entry with the comité's
    key = (str(dataset.folder), dataset_signature(dataset.folder), secret, astuple(filters), options)
    return _cached_analysis(f"{compute.__module__}.{compute.__qualname__}", key, compute, dataset, filters, options)


@st.cache_data(show_spinner="Calcul des analyses…", max_entries=64)
def _cached_analysis(name: str, key: tuple, _compute, _dataset: Dataset, _filters: Filters, _options: tuple):
    del name, key  # the cache key
    return _compute(cached_view(_dataset, _filters), *_options)


def chart_config(name: str) -> dict:
    """Plotly's toolbar kept to its PNG button (drawn in the browser: works offline), named after the chart."""
    return {
        "displaylogo": False,
        "displayModeBar": True,
        "modeBarButtonsToRemove": ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d",
                                   "autoScale2d", "resetScale2d"],
        "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2},
    }


def download_buttons(table: pd.DataFrame, name: str) -> None:
    """CSV and Excel downloads of a table (made when clicked, not on every run)."""
    left, right, _ = st.columns([1, 1, 2])
    left.download_button("Tableau CSV", data=lambda: to_csv_bytes(table), file_name=f"{name}.csv", mime="text/csv",
                         on_click="ignore", key=f"csv_{name}", icon=":material/download:")
    right.download_button("Tableau Excel", data=lambda: to_xlsx_bytes({name: table}), file_name=f"{name}.xlsx",
                          mime=XLSX_MIME, on_click="ignore", key=f"xlsx_{name}", icon=":material/download:")


def show_table(table: pd.DataFrame, key: str, column_config: dict | None = None,
               fixed: dict[str, int] | None = None, **options) -> None:
    """A reading table fitted to the page's width (``lib.screen_tables``), EPCI by their short names.

    When long texts had to end in « … », choosing a row shows it whole under the table. ``fixed``: widths of
    columns drawn otherwise than their text (a link shown as « Voir sur la carte »).
    """
    shown = short_names(table)
    widths = fitted_widths(shown, fixed=fixed)
    config = dict(column_config or {})
    for column, width in widths.items():
        config[column] = {**config[column], "width": width} if column in config else \
            st.column_config.Column(width=width)
    if not widths:
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key=key, **options)
        return
    event = st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key=key,
                         on_select="rerun", selection_mode="single-row", **options)
    rows = event.selection.rows if event is not None else []
    if not rows:
        st.caption("Les textes trop longs finissent par « … » : cochez une ligne pour la lire en entier.")
        return
    row = shown.iloc[rows[0]]
    lines = [f"- **{markdown_escape(str(column))}** : {cell_text(value, config.get(column) or {})}"
             for column, value in row.items() if not (value is None or value != value or value == "")]
    with st.container(border=True):
        st.markdown("\n".join(lines))


def cell_text(value, column_config: dict) -> str:
    """One cell of a chosen row as Markdown: a link column as its link, a share as a percentage, text escaped."""
    kind = column_config.get("type_config") or {}
    if kind.get("type") == "link":
        label = markdown_escape(str(kind.get("display_text") or value))
        return f"[{label}]({quote(str(value), safe='?=&/:')})"
    if kind.get("format") == "percent" and isinstance(value, (int, float)):
        return format_percent(float(value), 0)
    return markdown_escape(str(value))


def show_chart(chart: Chart) -> None:
    """A chart, then « Voir les données »: the table behind it and its downloads (CSV, Excel; PNG on the chart)."""
    figure = chart.to_figure()  # built once: drawn here, and made into an image only when asked
    st.plotly_chart(figure, theme=None, config=chart_config(chart.name), key=f"graphique_{chart.name}",
                    alt=chart.title)
    with st.expander("Voir les données · télécharger"):
        show_table(screen_table(chart.shown), f"donnees_{chart.name}")
        if is_read_long(chart.shown):
            st.caption("Une ligne par territoire et par catégorie, pour tenir dans l'écran ; les tableaux "
                       "téléchargés gardent une colonne par catégorie.")
        download_buttons(chart.table, chart.name)
        st.caption(PNG_HINT)
        image_downloads(f"graphique_{chart.name}", chart.name,
                        {"PNG": lambda: figure_png(figure), "SVG": lambda: figure_svg(figure)})


def nothing_to_show(reason: str | None) -> None:
    """Stop the page with the reason there is nothing to show."""
    if reason:
        # The reason names waves and territories (data), HTML-escaped for plotly: plain text again, then Markdown.
        st.info(f"Rien à afficher : {markdown_escape(html.unescape(reason))}", icon=":material/info:")
        st.stop()


# --- « Où agir ? » (page 13 and the map's layer)


def cached_where(dataset: Dataset, filters: Filters, radius_m: int, with_pistes: bool):
    """``opportunities.where_analysis``, cached on the data set's files, the filters, the radius and the version."""
    key = (str(dataset.folder), dataset_signature(dataset.folder), astuple(filters))
    return _cached_where(key, dataset, filters, radius_m, with_pistes)


@st.cache_data(show_spinner="Calcul des occasions de lien…", max_entries=32)
def _cached_where(key: tuple, _dataset: Dataset, _filters: Filters, radius_m: int, with_pistes: bool):
    del key  # the cache key
    from lib.opportunities import where_analysis  # noqa: PLC0415  (only the pages that need it pay the import)

    return where_analysis(_dataset, _filters, radius_m, with_pistes)



# --- images


def image_downloads(key: str, name: str, makers: dict) -> None:
    """« Préparer l'image » then one download button per format (``makers``: format → function of no argument).

    Made on demand (a browser draws them: a few seconds), kept for the session; a failure is said in French.
    """
    state = st.session_state
    made_key = f"_images_{key}"
    if st.button("Préparer l'image (" + ", ".join(makers) + ")", key=f"preparer_{key}", icon=":material/image:"):
        made, error = {}, None
        with st.spinner("Dessin de l'image…"):
            for fmt, make in makers.items():
                try:
                    made[fmt] = make()
                except ImageExportError as err:
                    error = str(err)
                    break
        if error:
            st.error(error, icon=":material/error:")
        else:
            state[made_key] = made
    made = state.get(made_key) or {}
    if made:
        columns = st.columns(max(len(made), 2) + 1)
        for column, (fmt, data) in zip(columns, made.items()):
            column.download_button(f"Image {fmt}", data=data, file_name=f"{name}.{fmt.lower()}",
                                   mime=IMAGE_MIMES[fmt], on_click="ignore", key=f"image_{fmt}_{key}",
                                   icon=":material/download:")
