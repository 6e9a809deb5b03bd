"""Which survey tool wrote an export: the columns each tool adds itself, its ids and times."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lib.text import fold_cached as fold

if TYPE_CHECKING:
    from lib.importers.reading import SourceTable

KOBO, LIMESURVEY, FRAMAFORMS, GOOGLE, PLAIN = "KoboToolbox", "LimeSurvey", "Framaforms", "Google Forms", "CSV"
TOOLS = (KOBO, LIMESURVEY, FRAMAFORMS, GOOGLE, PLAIN)
TARGET = "reponses"

# Columns the tools add themselves. Kobo (exact names: folding would make "_status" a plain "status"): the
# kpi export's copy fields and the XLSForm metadata questions.
KOBO_MARKERS = {"_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
                "__version__", "_tags", "_index"}
KOBO_META = KOBO_MARKERS | {"start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
                            "phonenumber", "audit", "meta/instanceID", "formhub/uuid"}
# LimeSurvey, webform and Google Forms markers are folded (see lib.text.fold).
# LimeSurvey: question codes, or the French / English full-text headings of the same fields.
LIMESURVEY_MARKERS = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
                      "refurl", "token", "id de la reponse", "date de soumission", "derniere page",
                      "langue de depart", "tete de serie", "date de lancement", "date de la derniere action",
                      "adresse ip", "response id", "date submitted", "last page", "start language",
                      "date started", "date last action", "ip address",
                      # German and Spanish full-text headings
                      "antwort id", "antwort-id", "datum abgeschickt", "letzte seite", "start-sprache",
                      "startsprache", "zufallsstartwert", "datum gestartet", "datum letzte aktivitat", "ip-adresse",
                      "id de respuesta", "fecha de envio", "ultima pagina", "lenguaje inicial", "idioma inicial",
                      "semilla", "fecha de inicio", "fecha de la ultima accion", "direccion ip"}
# Drupal webform 7.x-4 "submission information" columns (labels, or field keys when exported as keys).
WEBFORM_MARKERS = {"serial", "sid", "time", "submitted time", "completed time", "modified time", "draft",
                   "ip address", "uid", "username", "webform serial", "webform sid", "webform time",
                   "webform completed time", "webform modified time", "webform draft", "webform ip address",
                   "webform uid", "webform username",
                   # French Drupal / Framaforms labels
                   "sequentiel", "heure de soumission", "heure de finalisation", "heure de modification",
                   "brouillon", "nom d'utilisateur", "adresse ip"}
WEBFORM_DETAILS_ROW = {"submission details", "details de la soumission"}
GOOGLE_MARKERS = {"horodateur", "horodatage", "timestamp", "marca temporal"}
# Column names that hold personal data (folded, matched at a word start): never suggested for any field.
PERSONAL_HINTS = ("mail", "courriel", "telephone", "portable", "prenom", "votre nom", "nom du repondant",
                  "nom et prenom", "ip address", "ipaddr", "adresse ip", "submitted by", "username", "uid",
                  "nom d'utilisateur", "adresse ip", "ip-adresse", "direccion ip")


# Where each tool keeps the submission's identifier and time (folded headers, first found wins).
# Kobo's _uuid changes at each edit of a submission (kobotoolbox/kobocat#572); meta/rootUuid does not
# (kobotoolbox/kpi#5435) and neither does _id.
# Kobo's names are matched exactly: folded, "_id" would be a question the user named "ID".
TOOL_ID_COLUMNS = {KOBO: ("meta/rootUuid", "_id", "_uuid"),
                   LIMESURVEY: ("id", "id de la reponse", "response id", "antwort id", "antwort-id", "id de respuesta"),
                   FRAMAFORMS: ("sid", "webform sid", "serial", "webform serial", "sequentiel")}
TOOL_DATE_COLUMNS = {KOBO: ("_submission_time",),
                     LIMESURVEY: ("submitdate", "date de soumission", "date submitted", "datum abgeschickt",
                                  "fecha de envio"),
                     FRAMAFORMS: ("submitted time", "time", "webform time", "completed time", "heure de soumission"),
                     GOOGLE: tuple(GOOGLE_MARKERS)}
DRAFT_COLUMNS = ("draft", "webform draft", "brouillon")
# How each tool writes a numeric date whose day and month the values leave open (the page's default answer).
# Kobo and LimeSurvey's own columns are ISO; French Framaforms, Google Forms in French and spreadsheets write
# day first.
TOOL_DATE_ORDER = {KOBO: "dmy", LIMESURVEY: "dmy", FRAMAFORMS: "dmy", GOOGLE: "dmy", PLAIN: "dmy"}
TOOL_PREFIX = {KOBO: "KOBO-", LIMESURVEY: "LS-", FRAMAFORMS: "FRAMA-", GOOGLE: "GF-", PLAIN: "CSV-"}


# LimeSurvey's "question code & question text" headings: "id. Antwort ID", "Q3[SQ001]. Formes du lien [CLAS]".
_CODE_HEADING = re.compile(r"^([A-Za-z][\w]*(?:\[[\w#]+\])?)\.\s+(\S.*)$")


def split_heading(header: str) -> tuple[str, str]:
    """``(code, text)`` of a "code. text" heading; ``("", header)`` for any other."""
    match = _CODE_HEADING.match(header.strip())
    return (match.group(1), match.group(2)) if match else ("", header)


def heading_text(header: str) -> str:
    """The question text of a heading (the heading itself unless it is "code. text")."""
    return split_heading(header)[1]


def heading_names(header: str) -> set[str]:
    """The folded names a heading answers to: itself, and its code and text when it is "code. text"."""
    code, text = split_heading(header)
    return {fold(header), fold(text), *([fold(code)] if code else [])}


def detect_tool(table: SourceTable) -> str:
    """Which tool wrote the export, from the columns each tool adds itself; ``"CSV"`` when none."""
    exact = {h.strip() for h in table.headers}
    folded = {name for h in table.headers for name in heading_names(h)}
    if {"_uuid", "_submission_time"} & exact or len(KOBO_MARKERS & exact) >= 2:
        return KOBO
    if len(WEBFORM_MARKERS & folded) >= 3:
        return FRAMAFORMS
    if len(LIMESURVEY_MARKERS & folded) >= 3:
        return LIMESURVEY
    if table.headers and fold(table.headers[0]) in GOOGLE_MARKERS:
        return GOOGLE
    return PLAIN


def tool_columns(table: SourceTable, tool: str) -> set[str]:
    """Columns the tool adds (ids, times, IP…): never guessed as answers."""
    if tool == KOBO:
        return {h for h in table.headers if h.strip() in KOBO_META}
    markers = {LIMESURVEY: LIMESURVEY_MARKERS, FRAMAFORMS: WEBFORM_MARKERS, GOOGLE: GOOGLE_MARKERS}.get(tool, set())
    return {h for h in table.headers if heading_names(h) & markers}


def first_header(table: SourceTable, folded_names: Iterable[str], exact: bool = False) -> str | None:
    """The first of ``folded_names`` the table has (folded comparison, or exact after trimming)."""
    if exact:
        stripped = {h.strip(): h for h in reversed(table.headers)}
        return next((stripped[n] for n in folded_names if n in stripped), None)
    by_fold = {name: h for h in reversed(table.headers) for name in heading_names(h)}
    return next((by_fold[fold(n)] for n in folded_names if fold(n) in by_fold), None)


def default_prefix(table: SourceTable, tool: str) -> str:
    survey = re.search(r"survey_?(\d+)", table.file)
    if tool == LIMESURVEY and survey:
        return f"LS{survey.group(1)}-"
    return TOOL_PREFIX[tool]

