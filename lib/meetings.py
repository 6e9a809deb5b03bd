"""Meetings and reflection groups (« Rencontres »): who came, from where, when; and adding a meeting.

Tables in (``rencontres``, ``participations`` and the view's structures),
tables, plotly figures and a folium map out; plus the entry form's logic:
form values → one ``rencontres.csv`` row and its ``participations.csv`` rows,
checked with the loader's own rules, then written through the store.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from datetime import date, datetime, time

import folium
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.charts.layout import (LABEL_WIDTH, MAX_TERRITORIES, N_EQ, SMALL_SIZE, ChartContext, FigureSpec,
                               chart_layout, short_territory, title_lines, wrap)
from lib.dataset import (ERROR, FILES, Dataset, Problem, check_participations,
                         check_rencontres)
from lib.filters import Filters
from lib.formatting import format_date, format_int
from lib.maps import (ASSETS_URL, BASEMAPS, TILES, AreasLayer, Legend, OfflineFullscreen, OfflineMap, PointsLayer,
                      escape, structure_points, territory_geometries)
from lib.palette import (MEETING_TYPE_COLOURS, NO_DATA_COLOUR, OTHER_TYPE_COLOUR, SEQUENTIAL, SIDE_COLOURS,
                         TYPE_COLOURS)
from lib.questionnaire import ChoiceList, load_questionnaire
from lib.store import Store, StoreError
from lib.territories import LEVELS, Reference, territory_column
from lib.text import fold

FORM_LABEL = "formulaire des rencontres"
FAMILIES = {"ecole": "Établissements scolaires", "centre": "Centres sociaux et EVS"}
FRENCH_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
PERIODS = {"seance": "Par séance", "trimestre": "Par trimestre"}
# Titles and places are short labels, not notes.
MAX_LABEL_LENGTH = 200
# Names listed in a session's hover before « et N autres ».
HOVER_NAMES = 8
MEETING_ID_PATTERN = re.compile(r"^RC-(\d{4})-(\d+)$")


def _chosen(filters: Filters) -> list[str]:
    q = load_questionnaire()
    parts = []
    if filters.territories:
        names = list(filters.territories)
        parts.append(", ".join(names) if len(names) <= 3 else f"{len(names)} territoires choisis")
    if filters.types:
        parts.append("types : " + ", ".join(q["types_structure"].label(t) for t in filters.types))
    return parts


def meeting_scope(filters: Filters) -> str:
    """The filters that change this page's figures, for chart subtitles (escaped: plotly reads HTML)."""
    parts = _chosen(filters)
    return html.escape("structures retenues : " + " · ".join(parts), quote=False) if parts else ""


def filters_note(filters: Filters) -> str:
    """What the sidebar filters do to the meetings, in a French sentence (plain text)."""
    parts = _chosen(filters)
    if not parts:
        counted = ("Toutes les séances et toutes les structures présentes sont comptées ; choisissez des "
                   "territoires ou des types de structure dans les filtres pour ne compter que celles-là.")
    else:
        partners = " (et les centres sociaux partenaires de leurs écoles)" if filters.territories else ""
        counted = (f"Toutes les séances sont listées, mais seules les structures retenues par les filtres "
                   f"sont comptées : {' · '.join(parts)}{partners}.")
    return counted + " La vague d'enquête ne s'applique pas aux rencontres."


def meeting_types() -> ChoiceList:
    """The meeting types of the questionnaire (codes, French labels, order)."""
    return load_questionnaire()["types_rencontre"]


# --------------------------------------------------------------------------- tables


def attendance(rencontres: pd.DataFrame, participations: pd.DataFrame, structures: pd.DataFrame) -> pd.DataFrame:
    """One row per attendance of one of ``structures`` at a meeting, with the meeting and the structure.

    Attendances of structures not in ``structures`` (the filters' view) are
    left out. Columns: ``rencontre_id``, ``date``, ``type`` (code),
    ``structure_id``, ``participants``, then the structure's ``nom``,
    ``famille``, ``type_structure``, position and territory columns.
    """
    meetings = rencontres[["rencontre_id", "date", "type"]].assign(type=rencontres["type"].astype(str))
    keep = [c for c in ("nom", "famille", "type", "commune", "epci_nom", "territoire", "education_prioritaire",
                        "education_prioritaire_groupe", "qpv", "qpv_groupe", "latitude", "longitude",
                        "position_approximative") if c in structures.columns]
    people = structures[["id", *keep]].drop_duplicates("id").rename(columns={"id": "structure_id",
                                                                            "type": "type_structure"})
    people = people.assign(type_structure=people["type_structure"].astype(str))
    found = participations[["rencontre_id", "structure_id", "participants"]].merge(meetings, on="rencontre_id")
    found = found.merge(people, on="structure_id")
    columns = ["rencontre_id", "date", "type", "structure_id", "participants",
               *[c if c != "type" else "type_structure" for c in keep]]
    return found[columns].sort_values(["date", "rencontre_id", "nom"], kind="stable").reset_index(drop=True)


def sessions_table(rencontres: pd.DataFrame, attended: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Every meeting, by date, with the structures and participants of ``attended`` it counts.

    Columns: ``rencontre_id``, ``date``, ``type``, ``type_label``, ``titre``,
    ``lieu``, ``commune_insee``, ``commune``, ``heure_debut``, ``heure_fin``,
    ``structures``, ``ecoles``, ``centres``, ``participants`` and ``noms``
    (the structures' names, alphabetical).
    """
    labels = meeting_types().labels
    communes = dict(zip(reference.communes["code_insee"], reference.communes["nom"]))
    table = rencontres[["rencontre_id", "date", "type", "titre", "lieu", "commune_insee", "heure_debut",
                        "heure_fin"]].copy()
    table["type"] = table["type"].astype(str)
    table.insert(3, "type_label", table["type"].map(lambda code: labels.get(code, code)))
    table.insert(7, "commune", table["commune_insee"].map(communes).fillna(""))
    grouped = attended.groupby("rencontre_id")
    counts = pd.DataFrame({
        "structures": grouped["structure_id"].nunique(),
        "ecoles": attended[attended["famille"] == "ecole"].groupby("rencontre_id")["structure_id"].nunique(),
        "participants": grouped["participants"].sum(),
        "noms": grouped["nom"].agg(lambda names: sorted(set(names), key=fold)),
    })
    table = table.join(counts, on="rencontre_id")
    for column in ("structures", "ecoles", "participants"):
        table[column] = table[column].fillna(0).astype(int)
    table["centres"] = table["structures"] - table["ecoles"]
    table["noms"] = table["noms"].map(lambda names: names if isinstance(names, list) else [])
    columns = ["rencontre_id", "date", "type", "type_label", "titre", "lieu", "commune_insee", "commune",
               "heure_debut", "heure_fin", "structures", "ecoles", "centres", "participants", "noms"]
    return table[columns].sort_values(["date", "rencontre_id"], kind="stable").reset_index(drop=True)


def sessions_display(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions as people read them: date (05/06/2018), type, title, place, commune, counts."""
    return pd.DataFrame({
        "Date": sessions["date"].map(format_date).to_numpy(dtype=object),
        "Type de rencontre": sessions["type_label"].to_numpy(dtype=object),
        "Titre": sessions["titre"].to_numpy(dtype=object),
        "Lieu": sessions["lieu"].to_numpy(dtype=object),
        "Commune": sessions["commune"].to_numpy(dtype=object),
        "Structures": sessions["structures"].astype(int).to_numpy(),
        "Participants": sessions["participants"].astype(int).to_numpy(),
    })


def participation_by_type(sessions: pd.DataFrame, attended: pd.DataFrame) -> pd.DataFrame:
    """Per meeting type (questionnaire order): sessions, distinct structures (schools, centres), participants."""
    types = meeting_types()
    rows = []
    for code in types.codes:
        held = sessions[sessions["type"] == code]
        if held.empty:
            continue
        came = attended[attended["type"] == code]
        rows.append({
            "Type de rencontre": types.label(code),
            "Séances": len(held),
            "Structures différentes": came["structure_id"].nunique(),
            "dont établissements scolaires": came.loc[came["famille"] == "ecole", "structure_id"].nunique(),
            "dont centres sociaux et EVS": came.loc[came["famille"] == "centre", "structure_id"].nunique(),
            "Participants": int(came["participants"].sum()),
        })
    columns = ["Type de rencontre", "Séances", "Structures différentes", "dont établissements scolaires",
               "dont centres sociaux et EVS", "Participants"]
    return pd.DataFrame(rows, columns=columns).astype({c: int for c in columns[1:]})


def participation_by_territory(attended: pd.DataFrame, level: str) -> pd.DataFrame:
    """Per territory at ``level``: distinct structures (schools, centres), sessions attended, participants.

    Sorted by distinct structures, then name. The first column is named after
    the level (« Commune », « Intercommunalité (EPCI) »…).
    """
    label = LEVELS.get(level, level)
    column = territory_column(level)
    columns = [label, "Structures différentes", "Établissements scolaires", "Centres sociaux et EVS",
               "Séances représentées", "Participants"]
    if attended.empty:
        return pd.DataFrame(columns=columns).astype({c: int for c in columns[1:]})
    rows = []
    for territory, group in attended.groupby(attended[column].fillna("").astype(str)):
        rows.append({
            label: territory or "Hors département",
            "Structures différentes": group["structure_id"].nunique(),
            "Établissements scolaires": group.loc[group["famille"] == "ecole", "structure_id"].nunique(),
            "Centres sociaux et EVS": group.loc[group["famille"] == "centre", "structure_id"].nunique(),
            "Séances représentées": group["rencontre_id"].nunique(),
            "Participants": int(group["participants"].sum()),
        })
    table = pd.DataFrame(rows, columns=columns)
    table = table.assign(_key=table[label].map(fold)).sort_values(["Structures différentes", "_key"],
                                                                  ascending=[False, True])
    return table.drop(columns="_key").reset_index(drop=True).astype({c: int for c in columns[1:]})


def structures_attendance(attended: pd.DataFrame, level: str = "commune") -> pd.DataFrame:
    """One row per structure that came: sessions attended, participants, first and last session.

    Sorted by sessions attended (most first), then name. Has the territory
    at ``level`` when it is not the commune (shown anyway).
    """
    type_labels = load_questionnaire()["types_structure"].labels
    label = LEVELS.get(level, level)
    columns = ["Identifiant", "Structure", "Type", "Commune", *([label] if level != "commune" else []),
               "Séances suivies", "Participants", "Première séance", "Dernière séance"]
    if attended.empty:
        return pd.DataFrame(columns=columns).astype({"Séances suivies": int, "Participants": int})
    grouped = attended.groupby("structure_id", sort=False)
    first = grouped.first()
    table = pd.DataFrame({
        "Identifiant": first.index.to_numpy(dtype=object),
        "Structure": first["nom"].to_numpy(dtype=object),
        "Type": first["type_structure"].map(lambda code: type_labels.get(code, code)).to_numpy(dtype=object),
        "Commune": first["commune"].fillna("").to_numpy(dtype=object),
        "Séances suivies": grouped["rencontre_id"].nunique().to_numpy(dtype=int),
        "Participants": grouped["participants"].sum().to_numpy(dtype=int),
        "Première séance": grouped["date"].min().map(format_date).to_numpy(dtype=object),
        "Dernière séance": grouped["date"].max().map(format_date).to_numpy(dtype=object),
    })
    if level != "commune":
        table.insert(4, label, first[territory_column(level)].fillna("").to_numpy(dtype=object))
    table = table.assign(_key=table["Structure"].map(fold)).sort_values(["Séances suivies", "_key"],
                                                                       ascending=[False, True])
    return table.drop(columns="_key").reset_index(drop=True)[columns]


def quarter_label(day: pd.Timestamp) -> str:
    """``2018-10-09`` → ``T4 2018``."""
    return f"T{(day.month - 1) // 3 + 1} {day.year}"


def participation_over_time(sessions: pd.DataFrame, attended: pd.DataFrame, period: str = "seance") -> pd.DataFrame:
    """Participants and distinct structures per session (or quarter) and family, in time order.

    Every session (or quarter with a session) has its rows, at zero when no
    structure of the view came. Columns: ``periode`` (label), ``ordre``,
    ``famille``, ``participants``, ``structures``, ``seances`` (how many
    sessions the period holds) and ``titres`` (the sessions' titles).
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r} (expected one of {', '.join(PERIODS)})")
    held = sessions.sort_values(["date", "rencontre_id"], kind="stable")
    days = held["date"].tolist()
    if period == "seance":
        labels, seen = [], defaultdict(int)
        for day in map(format_date, days):
            seen[day] += 1  # two sessions on one day keep a bar each
            labels.append(day if seen[day] == 1 else f"{day} ({seen[day]})")
    else:
        labels = [quarter_label(day) for day in days]
    key = dict(zip(held["rencontre_id"], labels))
    order = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    titles: dict[str, list[str]] = defaultdict(list)
    for label, title in zip(labels, held["titre"]):
        titles[label].append(title)
    came = attended.assign(periode=attended["rencontre_id"].map(key))
    rows = []
    for label in order:
        for family in FAMILIES:
            mine = came[(came["periode"] == label) & (came["famille"] == family)]
            rows.append({"periode": label, "ordre": order[label], "famille": family,
                         "participants": int(mine["participants"].sum()),
                         "structures": mine["structure_id"].nunique(),
                         "seances": len(titles[label]), "titres": titles[label]})
    columns = ["periode", "ordre", "famille", "participants", "structures", "seances", "titres"]
    return pd.DataFrame(rows, columns=columns)


def over_time_table(table: pd.DataFrame, period: str) -> pd.DataFrame:
    """The participation over time in French, one row per session or quarter."""
    first = "Séance" if period == "seance" else "Trimestre"
    rows = []
    for _order, group in table.groupby("ordre", sort=True):
        by_family = group.set_index("famille")
        rows.append({
            first: group["periode"].iloc[0],
            "Séances": int(group["seances"].iloc[0]),
            "Participants des établissements scolaires": int(by_family.at["ecole", "participants"]),
            "Participants des centres sociaux et EVS": int(by_family.at["centre", "participants"]),
            "Participants": int(group["participants"].sum()),
            "Structures": int(group["structures"].sum()),
        })
    columns = [first, "Séances", "Participants des établissements scolaires",
               "Participants des centres sociaux et EVS", "Participants", "Structures"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- charts


def _type_colour(code: str) -> str:
    return MEETING_TYPE_COLOURS.get(code, OTHER_TYPE_COLOUR)


def _month_ticks(first: pd.Timestamp, last: pd.Timestamp) -> tuple[list[str], list[str]]:
    """Ticks on the first of a month, at most eight of them, labelled the French way (« oct. 2018 »)."""
    start = pd.Timestamp(first.year, first.month, 1)
    months = (last.year - start.year) * 12 + last.month - start.month + 1
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8)
    if step >= 3:  # quarters, half-years and years start in January
        start = pd.Timestamp(start.year, ((start.month - 1) // step) * step + 1 if step < 12 else 1, 1)
    ticks = pd.date_range(start, last + pd.offsets.MonthBegin(1), freq=f"{step}MS")
    return ([t.strftime("%Y-%m-%d") for t in ticks],
            [f"{FRENCH_MONTHS[t.month - 1]} {t.year}" for t in ticks])


def _names_text(names: list[str]) -> str:
    if not names:
        return "aucune structure"
    shown = [escape(n) for n in names[:HOVER_NAMES]]
    more = f"<br>… et {len(names) - HOVER_NAMES} autre(s)" if len(names) > HOVER_NAMES else ""
    return "<br>".join(shown) + more


def place_text(lieu: str, commune: str) -> str:
    """« Maison Pour Tous, Argenteuil »; the commune only once when the place already names it."""
    if commune and fold(commune) not in fold(lieu):
        return ", ".join(p for p in (lieu, commune) if p)
    return lieu


def calendar_chart(sessions: pd.DataFrame, scope: str = "") -> go.Figure:
    """The calendar: one marker per session, date across, meeting type down, size by participants.

    Hover: date (05/06/2018), title, place, structures and participants (and
    their names). Every text from data is escaped (plotly reads HTML).
    """
    types = meeting_types()
    title = "Quand les rencontres ont-elles eu lieu, et qui est venu ?"
    total = int(sessions["participants"].sum()) if len(sessions) else 0
    subtitle = title_lines(f"{N_EQ}{format_int(len(sessions))} séance(s), {format_int(total)} participant(s)",
                      "taille des points : participants", scope)
    fig = FigureSpec()
    present = [code for code in types.codes if code in set(sessions["type"])]
    present += sorted(set(sessions["type"]) - set(present))
    if not present:
        fig.add_annotation(text="Rien à afficher : aucune rencontre", x=0.5, y=0.5, xref="paper", yref="paper",
                           showarrow=False, font=dict(size=18))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return chart_layout(fig, title, subtitle, 200, legend=False)
    rows = [wrap(html.escape(types.label(code), quote=False), LABEL_WIDTH) for code in present]
    for code, row in zip(present, rows):
        held = sessions[sessions["type"] == code]
        if held.empty:
            continue
        custom = [[format_date(day), escape(titre), escape(place_text(lieu, commune)) or "lieu non précisé",
                   format_int(n_struct), format_int(n_people), _names_text(names),
                   escape(f" · {debut}–{fin}" if debut and fin else f" · {debut}" if debut else "")]
                  for day, titre, lieu, commune, n_struct, n_people, names, debut, fin in zip(
                      held["date"], held["titre"], held["lieu"], held["commune"], held["structures"],
                      held["participants"], held["noms"], held["heure_debut"], held["heure_fin"])]
        sizes = [12 + 3 * math.sqrt(max(int(n), 0)) for n in held["participants"]]
        fig.data.append({
            "type": "scatter", "mode": "markers", "name": types.label(code),
            "x": held["date"].dt.strftime("%Y-%m-%d").tolist(), "y": [row] * len(held),
            "cliponaxis": False,  # the biggest sessions stay whole at the ends of the axis
            "marker": {"size": sizes, "color": _type_colour(code), "opacity": 0.9,
                       "line": {"color": "#222222", "width": 1}},
            "customdata": custom,
            "hovertemplate": ("<b>%{customdata[1]}</b><br>%{customdata[0]}%{customdata[6]}<br>%{customdata[2]}"
                              "<br>%{customdata[3]} structure(s), %{customdata[4]} participant(s)"
                              "<br><span style='font-size:13px'>%{customdata[5]}</span><extra></extra>"),
            "showlegend": False,
        })
    first, last = sessions["date"].min(), sessions["date"].max()
    tickvals, ticktext = _month_ticks(first, last)
    margin = pd.Timedelta(days=max(15, (last - first).days // 25))
    fig.update_xaxes(type="date", tickvals=tickvals, ticktext=ticktext, showgrid=True,
                     range=[(first - margin).strftime("%Y-%m-%d"), (last + margin).strftime("%Y-%m-%d")])
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=rows, autorange="reversed",
                     showgrid=True)
    return chart_layout(fig, title, subtitle, 60 + 62 * len(rows), legend=False)


def territory_chart(table: pd.DataFrame, context: ChartContext) -> go.Figure:
    """Distinct structures that came, per territory: schools and centres side by side in one bar."""
    label = context.label
    title = "Quels territoires ont participé aux rencontres ?"
    total = int(table["Structures différentes"].sum()) if len(table) else 0
    subtitle = title_lines(f"structures différentes venues au moins une fois, par {context.noun}",
                      f"{N_EQ}{format_int(total)} structure(s)", context.scope)
    fig = FigureSpec()
    if table.empty:
        fig.add_annotation(text="Rien à afficher : aucune structure retenue n'a participé", x=0.5, y=0.5,
                           xref="paper", yref="paper", showarrow=False, font=dict(size=18))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return chart_layout(fig, title, subtitle, 200, legend=False)
    shown = table.head(MAX_TERRITORIES)
    note = (f"Les {MAX_TERRITORIES} {context.plural} comptant le plus de structures sur {len(table)}."
            if len(table) > MAX_TERRITORIES else "")
    rows = [short_territory(name) for name in shown[label]]
    for family, column in (("ecole", "Établissements scolaires"), ("centre", "Centres sociaux et EVS")):
        values = shown[column].astype(int).tolist()
        fig.add_bar(y=rows, x=values, orientation="h", name=FAMILIES[family], marker_color=SIDE_COLOURS[family],
                    text=[format_int(v) if v else "" for v in values], textposition="inside",
                    insidetextanchor="middle", textfont=dict(size=SMALL_SIZE),
                    customdata=[[r, format_int(v), format_int(p), format_int(s)] for r, v, p, s in
                                zip(rows, values, shown["Participants"], shown["Séances représentées"])],
                    hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{FAMILIES[family]} : %{{customdata[1]}}"
                                   "<br>%{customdata[2]} participant(s) en tout, %{customdata[3]} séance(s) "
                                   "représentée(s)<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.3)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    fig.update_xaxes(title_text="structures différentes", rangemode="tozero")
    return chart_layout(fig, title, subtitle, 120 + 34 * len(rows), note)


def over_time_chart(table: pd.DataFrame, period: str, scope: str = "") -> go.Figure:
    """Participants per session (or quarter), stacked by family: schools and centres."""
    title = "La participation aux rencontres a-t-elle évolué ?"
    total = int(table["participants"].sum()) if len(table) else 0
    unit = "séance" if period == "seance" else "trimestre"
    subtitle = title_lines(f"participants par {unit}, établissements scolaires et centres sociaux",
                      f"{N_EQ}{format_int(total)} participant(s)", scope)
    fig = FigureSpec()
    if table.empty:
        fig.add_annotation(text="Rien à afficher : aucune rencontre", x=0.5, y=0.5, xref="paper", yref="paper",
                           showarrow=False, font=dict(size=18))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return chart_layout(fig, title, subtitle, 200, legend=False)
    ordered = table.sort_values("ordre", kind="stable")
    periods = list(dict.fromkeys(ordered["periode"]))
    for family in FAMILIES:
        mine = ordered[ordered["famille"] == family]
        titles = ["<br>".join(escape(t) for t in titres[:4]) + ("<br>…" if len(titres) > 4 else "")
                  for titres in mine["titres"]]
        fig.add_bar(x=mine["periode"].tolist(), y=mine["participants"].tolist(), name=FAMILIES[family],
                    marker_color=SIDE_COLOURS[family],
                    customdata=[[p, format_int(n), format_int(s), t] for p, n, s, t in
                                zip(mine["periode"], mine["participants"], mine["structures"], titles)],
                    hovertemplate=(f"<b>%{{customdata[0]}}</b> — {FAMILIES[family]}<br>%{{customdata[1]}} "
                                   "participant(s), %{customdata[2]} structure(s)"
                                   "<br><span style='font-size:13px'>%{customdata[3]}</span><extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=periods,
                     tickangle=-45 if period == "seance" and len(periods) > 6 else 0)
    fig.update_yaxes(title_text="participants", rangemode="tozero")
    return chart_layout(fig, title, subtitle, 360)


# --------------------------------------------------------------------------- map


def attendance_points(structures: pd.DataFrame, counts: pd.DataFrame) -> dict:
    """:func:`lib.maps.structure_points` of the structures that came, with sessions and participants.

    ``counts`` is :func:`structures_attendance`. The tooltip adds « 3 séance(s)
    suivie(s) · 7 participant(s) » under the (escaped) name; the radius grows
    with the square root of the sessions attended.
    """
    by_id = counts.set_index("Identifiant")
    came = structures[structures["id"].isin(by_id.index)]
    payload = structure_points(came)
    payload["points"] = [list(p) for p in payload["points"]]
    for point in payload["points"]:
        sessions = int(by_id.at[point[5], "Séances suivies"])
        people = int(by_id.at[point[5], "Participants"])
        point[6] = (f"{point[6]}<br>{escape(format_int(sessions))} séance(s) suivie(s) · "
                    f"{escape(format_int(people))} participant(s)")
        point.append(round(4 + 3 * math.sqrt(sessions), 1))
    return payload


def attendance_legend_html(structures: pd.DataFrame) -> str:
    """The map's legend: the structure types shown, and what the size means."""
    types = load_questionnaire()["types_structure"]
    present = set(structures["type"].astype(str)) if len(structures) else set()
    parts = ["<h4>Structures venues</h4>"]
    for code, label in types.labels.items():
        if code in present:
            colour = TYPE_COLOURS.get(code, OTHER_TYPE_COLOUR)
            parts.append(f"<div class='row'><span class='sw' style='background:{colour};border-radius:50%'></span>"
                         f"{escape(label)}</div>")
    parts.append("<div style='font-size:11px'>taille : séances suivies</div>")
    return "".join(parts)


def attendance_map(reference: Reference, structures: pd.DataFrame, counts: pd.DataFrame, basemap: str = "aucun",
                   assets_url: str = ASSETS_URL) -> folium.Map:
    """The structures that came to the meetings, on the communes of the département.

    Same style as the main map (:func:`lib.maps.build_map`): the app's own
    Leaflet (works offline with ``basemap="aucun"``), commune outlines, the
    structure points; a point's size says how many sessions it attended.
    """
    west, south, east, north = reference.meta["bbox"]
    fmap = OfflineMap(location=[(south + north) / 2, (west + east) / 2], zoom_start=10, tiles=None,
                      prefer_canvas=True, control_scale=True, max_zoom=18, min_zoom=7, assets_url=assets_url)
    fmap.options.update(maxZoom=18, zoomSnap=0.25, zoomDelta=0.5, keyboard=False)
    if basemap in TILES:
        url, attribution = TILES[basemap]
        folium.TileLayer(url, attr=attribution, name=BASEMAPS[basemap], control=False, max_zoom=18).add_to(fmap)
    names, geometries = territory_geometries(reference, "commune", None)
    per_commune = counts.groupby("Commune")["Identifiant"].nunique().to_dict() if len(counts) else {}
    properties = [{"kind": "territoire", "id": name, "fill": SEQUENTIAL[1] if per_commune.get(name) else NO_DATA_COLOUR,
                   "tip": (f"<b>{escape(name)}</b><br>{escape(format_int(per_commune.get(name, 0)))} "
                           "structure(s) venue(s)"),
                   "nodata": False} for name in names]
    AreasLayer("Communes", geometries, properties).add_to(fmap)
    came = structures[structures["id"].isin(counts["Identifiant"])] if len(counts) else structures.iloc[0:0]
    families = came["famille"] if len(came) else pd.Series(dtype=object)
    PointsLayer("Établissements scolaires",
                          attendance_points(came[families == "ecole"], counts)).add_to(fmap)
    PointsLayer("Centres sociaux et EVS",
                          attendance_points(came[families == "centre"], counts)).add_to(fmap)
    Legend(attendance_legend_html(came)).add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    OfflineFullscreen(assets_url=assets_url, position="topleft", title="Plein écran",
                      title_cancel="Quitter le plein écran").add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


# --------------------------------------------------------------------------- adding a meeting


def new_meeting_id(existing: list[str] | pd.Series, year: int) -> str:
    """The next free identifier of ``year``: ``RC-2019-08`` after ``RC-2019-07`` (two digits at least)."""
    taken = set(map(str, existing))
    numbers = [int(m.group(2)) for m in map(MEETING_ID_PATTERN.match, taken) if m and int(m.group(1)) == year]
    number = max(numbers, default=0) + 1
    while f"RC-{year}-{number:02d}" in taken:  # e.g. a hand-made « RC-2019-8 » beside « RC-2019-08 »
        number += 1
    return f"RC-{year}-{number:02d}"


def _commune_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def resolve_commune(text: str | None, reference: Reference) -> str:
    """The INSEE code of a commune typed or chosen: a code, a name (« cergy », « Saint-Ouen-l'Aumône »)
    or a label « Cergy (95127) ». Anything else comes back as typed, for the checks to refuse it."""
    value = (text or "").strip()
    if not value:
        return ""
    codes = set(reference.communes["code_insee"])
    if value in codes:
        return value
    labelled = re.fullmatch(r".*\((\w{5})\)\s*", value)
    if labelled and labelled.group(1) in codes:
        return labelled.group(1)
    names = {_commune_key(name): code for code, name in zip(reference.communes["code_insee"],
                                                            reference.communes["nom"])}
    return names.get(_commune_key(value), value)


def _time_text(value: time | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).strip()


def meeting_rows(values: dict, meeting_id: str, reference: Reference) -> tuple[dict[str, str], pd.DataFrame]:
    """The ``rencontres.csv`` row and the ``participations.csv`` rows (strings) of the form's values.

    ``values`` holds ``date`` (a date or None), ``titre``, ``type``, ``lieu``,
    ``commune`` (a code, a name or a label: see :func:`resolve_commune`),
    ``heure_debut`` and ``heure_fin`` (times or None) and ``presences``: structure id → participants.
    """
    when = values.get("date")
    row = {column: "" for column in FILES["rencontres"].columns}
    row.update(
        rencontre_id=meeting_id,
        date=when.isoformat() if isinstance(when, (date, datetime)) else str(when or "").strip(),
        titre=" ".join(str(values.get("titre") or "").split()),
        type=str(values.get("type") or "").strip(),
        lieu=" ".join(str(values.get("lieu") or "").split()),
        commune_insee=resolve_commune(values.get("commune"), reference),
        heure_debut=_time_text(values.get("heure_debut")),
        heure_fin=_time_text(values.get("heure_fin")),
    )
    presences = values.get("presences") or {}
    participations = pd.DataFrame(
        [[meeting_id, str(sid), "" if n is None else str(int(n)) if isinstance(n, float) and n.is_integer()
          else str(n)] for sid, n in presences.items()],
        columns=list(FILES["participations"].columns), dtype=object)
    return row, participations


def _plain_message(problem: Problem, column: str | None = None) -> Problem:
    """A loader problem as the form shows it: nothing is "ignored", an error blocks the saving."""
    message = problem.message.replace(" (ligne ignorée)", "").replace(" (valeur ignorée)", "")
    return Problem(FORM_LABEL, None, column if column is not None else problem.column, problem.value, message,
                   problem.severity, problem.row_dropped)


def _loader_frame(name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows as the loader's checks take them: every column a stripped string, and ``_line``."""
    frame = rows.reindex(columns=list(FILES[name].columns)).fillna("").astype(str).map(str.strip)
    frame["_line"] = np.arange(2, len(frame) + 2)
    return frame.reset_index(drop=True)


def check_meeting(row: dict[str, str], participations: pd.DataFrame, dataset: Dataset) -> list[Problem]:
    """The loader's rules on a typed meeting and its attendance, plus what the form requires.

    Problems name the form field they belong to: ``titre``, ``date``,
    ``type``, ``lieu``, ``commune_insee``, ``heure_debut``, ``heure_fin``,
    ``presences`` (no structure chosen) and ``participants_<structure id>``.
    """
    problems: list[Problem] = []
    found: list[Problem] = []
    check_rencontres(_loader_frame("rencontres", pd.DataFrame([row])), load_questionnaire(), dataset.reference,
                      found)
    problems += [_plain_message(p) for p in found]
    for column, what in (("titre", "le titre"), ("lieu", "le lieu")):
        text = row.get(column, "")  # an e-mail address or a phone number: the loader's rule, above
        if len(text) > MAX_LABEL_LENGTH:
            problems.append(Problem(FORM_LABEL, None, column, None,
                                    f"{what} est trop long ({format_int(len(text))} caractères, "
                                    f"{MAX_LABEL_LENGTH} au plus) : un intitulé court suffit"))
    start, end = row.get("heure_debut", ""), row.get("heure_fin", "")
    if start and end and start.replace("h", ":") >= end.replace("h", ":"):
        problems.append(Problem(FORM_LABEL, None, "heure_fin", end,
                                f"l'heure de fin ({end}) doit être après l'heure de début ({start})"))
    if participations.empty:
        problems.append(Problem(FORM_LABEL, None, "presences", None,
                                "choisissez au moins une structure présente à la rencontre"))
        return problems
    found = []
    frame = _loader_frame("participations", participations)
    check_participations(frame, pd.DataFrame({"rencontre_id": [row["rencontre_id"]]}), dataset.structures, found)
    by_line = dict(zip(frame["_line"], frame["structure_id"]))
    for problem in found:
        field = f"participants_{by_line.get(problem.line, '')}" if problem.column == "participants" else "presences"
        problems.append(_plain_message(problem, field))
    return problems


def problems_by_field(problems: list[Problem]) -> dict[str, list[str]]:
    """Messages grouped by the form field they belong to, to show them next to it."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        grouped[problem.column or ""].append(problem.message)
    return dict(grouped)


def blocking(problems: list[Problem]) -> bool:
    """Whether one of ``problems`` stops the saving (an error, not a warning)."""
    return any(p.severity == ERROR for p in problems)


def save_meeting(store: Store, row: dict[str, str], participations: pd.DataFrame) -> int:
    """Write the meeting, then its attendance; returns how many attendances were written.

    When the attendance cannot be written (someone else holds the data set,
    disk full…), the meeting just added is taken out again, so the data set
    never keeps a meeting without the attendance that was typed with it.

    Raises:
        StoreError: nothing was written (French message).
    """
    label = f"« {row['titre']} » du {format_date(date.fromisoformat(row['date']))}" \
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"]) else f"« {row['titre']} »"
    store.append("rencontres", pd.DataFrame([row], dtype=object), f"Rencontre ajoutée : {label}")
    try:
        return store.append("participations", participations.astype(str),
                            f"Présences à la rencontre {row['rencontre_id']} : {len(participations)} structure(s)")
    except StoreError as err:
        try:
            store.delete("rencontres", ["rencontre_id"], [(row["rencontre_id"],)],
                         f"Annulation de l'ajout de la rencontre {row['rencontre_id']} (présences non enregistrées)")
        except StoreError:
            raise StoreError(f"{err} La rencontre {row['rencontre_id']} a été enregistrée sans ses présences : "
                             "supprimez-la (page « Structures et versions ») puis saisissez-la de nouveau.") from err
        raise StoreError(f"{err} La rencontre n'a donc pas été enregistrée non plus.") from err
