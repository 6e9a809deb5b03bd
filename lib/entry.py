"""The interview entry form's logic: form values → a reponses.csv row, checked like any import.

Kept out of the page so that building and checking an answer is a plain
function with tests. The widgets themselves come from data/questionnaire.toml.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timezone

import pandas as pd

from lib.dataset import FILES, Dataset, Problem, check_rows
from lib.formatting import format_date
from lib.questionnaire import ChoiceList, load_questionnaire
from lib.textlimits import ENTRY_MAX_CHARS, preview, too_long_message

FORM_LABEL = "formulaire de saisie"
FREE_TEXT_FIELDS = {"ressources": "Ressources", "outils": "Outils", "pistes": "Pistes",
                    "commentaire": "Commentaire"}
# The form's text fields and their labels, for the messages naming them.
TEXT_FIELD_LABELS = {"vague": "Vague d'enquête", **FREE_TEXT_FIELDS}


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
    """The loader's rules on one typed answer, plus what the form requires (partner, forms, quality, lengths)."""
    problems = too_long_fields(row)
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


def too_long_fields(row: dict[str, str]) -> list[Problem]:
    """A field longer than the form allows (:data:`lib.textlimits.ENTRY_MAX_CHARS`), named in the message.

    The form stops typing at the maximum; this check also holds for a value
    that reached the server another way.
    """
    return [Problem(FORM_LABEL, None, field, preview(row[field]),
                    f"{TEXT_FIELD_LABELS[field]} : {too_long_message(len(row[field]), maximum)} ; "
                    "raccourcissez ce texte")
            for field, maximum in ENTRY_MAX_CHARS.items() if len(row.get(field, "")) > maximum]


def problems_by_field(problems: list[Problem]) -> dict[str, list[str]]:
    """Messages grouped by the form field they belong to, to show them next to it."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        grouped[problem.column or ""].append(problem.message)
    return dict(grouped)


# --------------------------------------------------------------------------- answers already typed


def structure_names(dataset: Dataset) -> dict[str, str]:
    """Structure id → « nom — commune », sorted by name: what the form's lists and tables show."""
    structures = dataset.structures.sort_values("nom")
    return dict(zip(structures["id"], structures["nom"] + " — " + structures["commune"].fillna("")))


def french_date(text: str) -> str:
    """A stored date (``2018-06-05``, with or without time, or already ``05/06/2018``) as ``05/06/2018``."""
    try:
        return format_date(date.fromisoformat(text[:10]))
    except ValueError:
        return text


def same_answer(stored: dict[str, str], row: dict[str, str]) -> bool:
    """True when ``row`` says exactly what ``stored`` says (the identifier aside): a second click, not a new answer."""
    return all(stored.get(column, "") == value for column, value in row.items() if column != "reponse_id")


def partner_of(row: Mapping[str, str]) -> str:
    """The other structure of the link, seen from the respondent."""
    return row["centre_id"] if row["repondant_id"] == row["ecole_id"] else row["ecole_id"]


def answer_label(row: Mapping[str, str], names: Mapping[str, str]) -> str:
    """« 05/06/2018 · vague 2018 · Centre social Un — Argenteuil »: an answer as a person recognises it."""
    partner = partner_of(row)
    return f"{french_date(row['date']) or 'sans date'} · vague {row['vague']} · {names.get(partner, partner)}"


def answers_table(answers: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Stored answers (strings) as the page shows them: names, labels and French dates; no identifier, no code."""
    lists = {c.column: c for c in answer_lists()}
    rows = answers.to_dict("records")
    return pd.DataFrame({
        "Date": [french_date(r["date"]) for r in rows],
        "Vague": [r["vague"] for r in rows],
        "Partenaire": [names.get(partner_of(r), partner_of(r)) for r in rows],
        "Mode": [lists["mode"].label(r["mode"]) if r["mode"] else "" for r in rows],
        "Fréquence": [lists["frequence"].label(r["frequence"]) if r["frequence"] else "" for r in rows],
        "Qualité": [lists["qualite"].label(r["qualite"]) if r["qualite"] else "" for r in rows],
    }, columns=["Date", "Vague", "Partenaire", "Mode", "Fréquence", "Qualité"])
