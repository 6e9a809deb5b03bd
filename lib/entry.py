"""The interview entry form's logic: form values → a reponses.csv row, checked like any import.

Kept out of the page so that building and checking an answer is a plain
function with tests. The widgets themselves come from data/questionnaire.toml.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date, datetime, timezone

import pandas as pd

from lib.dataset import FILES, Dataset, Problem, check_rows
from lib.questionnaire import ChoiceList, load_questionnaire

FORM_LABEL = "formulaire de saisie"
FREE_TEXT_FIELDS = {"ressources": "Ressources", "outils": "Outils", "pistes": "Pistes",
                    "commentaire": "Commentaire"}


def answer_lists() -> list[ChoiceList]:
    """The closed questions of reponses.csv, in questionnaire order (the form asks them all)."""
    return list(load_questionnaire().columns_of("reponses").values())


def new_answer_id(now: datetime | None = None) -> str:
    """An identifier for an answer typed in the form: ``S20181005-143012-9f2c``."""
    now = now or datetime.now(timezone.utc)
    return f"S{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def answer_row(values: dict, dataset: Dataset, answer_id: str) -> dict[str, str]:
    """The reponses.csv row (strings) for the form's values.

    ``values`` holds ``vague``, ``date`` (a date or None), ``repondant_id``,
    ``partenaire_id``, one entry per column of the questionnaire's answer
    lists (a code, or a list of codes for multi-valued ones) and the free
    texts. The respondent's and the partner's families decide which is the
    school and which the centre.
    """
    families = dict(zip(dataset.structures["id"], dataset.structures["famille"]))
    respondent, partner = values.get("repondant_id") or "", values.get("partenaire_id") or ""
    school, centre = (respondent, partner) if families.get(respondent) == "ecole" else (partner, respondent)
    row = {column: "" for column in FILES["reponses"].columns}
    when = values.get("date")
    row.update(
        reponse_id=answer_id,
        vague=str(values.get("vague") or "").strip(),
        date=when.isoformat() if isinstance(when, date) else "",
        repondant_id=respondent,
        ecole_id=school,
        centre_id=centre,
    )
    for choices in answer_lists():
        value = values.get(choices.column)
        if isinstance(value, (list, tuple)):
            row[choices.column] = ";".join(value)
        else:
            row[choices.column] = "" if value is None else str(value)
    for column in FREE_TEXT_FIELDS:
        row[column] = str(values.get(column) or "").strip()
    return row


def check_answer(row: dict[str, str], dataset: Dataset) -> list[Problem]:
    """The loader's rules on one typed answer, plus what the form requires (partner, forms, quality)."""
    problems = []
    if not row["repondant_id"]:
        problems.append(Problem(FORM_LABEL, None, "repondant_id", None, "choisissez la structure qui répond"))
    if not row["ecole_id"] or not row["centre_id"] or row["ecole_id"] == row["centre_id"]:
        problems.append(Problem(FORM_LABEL, None, "partenaire_id", None,
                                "choisissez le partenaire : une école si un centre répond, un centre sinon"))
    families = dict(zip(dataset.structures["id"], dataset.structures["famille"]))
    if row["ecole_id"] and row["centre_id"] and families.get(row["ecole_id"]) == families.get(row["centre_id"]):
        problems.append(Problem(FORM_LABEL, None, "partenaire_id", None,
                                "un lien relie une école et un centre social : le partenaire est du même côté"))
    if problems:
        return problems
    _ok, found = check_rows("reponses", pd.DataFrame([row]), dataset, FORM_LABEL)
    # In a form nothing is "ignored": an error blocks the saving until it is corrected.
    return [Problem(p.file, None, p.column, p.value,
                    p.message.replace(" (ligne ignorée)", "").replace(" (valeur ignorée)", ""),
                    p.severity, p.row_dropped) for p in found]


def problems_by_field(problems: list[Problem]) -> dict[str, list[str]]:
    """Messages grouped by the form field they belong to, to show them next to it."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        grouped[problem.column or ""].append(problem.message)
    return dict(grouped)
