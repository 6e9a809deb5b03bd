"""Reading a funder's PDF as the adversary does (tests/test_secrecy.py): every number of its text and of the
texts its charts and maps draw, against the figures audited by ``tests.secrecy_adversary.published`` for the
territory the passage is about, the public directory's counts, and a short, explained list of numbers that are
no figure of the answers (dates, page and section numbers, the scale of a question, K…).

Shared by the check of the fiche territoire and of the département report.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from lib.metrics import MIN_ANSWERS
from lib.reports import Scope, short_epci
from lib.secrecy_audit import Publication
from lib.territories import territory_column, territory_options

GENERATED_ON = date(2026, 1, 5)  # the PDF's « document généré le … »: the day the file is made, not data
# A number as lib/formatting.py prints it: thousands after a no-break space, a decimal comma, « % » after a
# share; a sign (+, −) and « point(s) » on a change since the previous wave (lib/impact.py). pdfium reads the
# no-break space back as a plain space: « 1 110 » is one number, or two counts side by side in a table's row
# (« Réponses 125 113 »: one per wave): ``unexplained_numbers`` accepts either reading.
PDF_NUMBER = re.compile(r"(?<![\w,.])(?P<sign>[+−])?(?P<whole>\d{1,3}(?:[\u00a0\u202f ]\d{3}(?!\d))+|\d+)"
                        r"(?:,(?P<decimals>\d+))?(?P<percent>[\u00a0\u202f ]?%)?(?P<points>[\u00a0\u202f ]points?\b)?")


def scope_values(pubs: list[Publication], scope: str) -> list[float]:
    """Every published (not blank) value of one scope (``level:territory``)."""
    found = []
    for pub in pubs:
        if f" {scope} " in f" {pub.where} " and isinstance(pub.value, (int, float, np.number)) \
                and not isinstance(pub.value, bool) and pub.value == pub.value:
            found.append(float(pub.value))
    return found


def pdf_texts(pdf: bytes) -> list[str]:
    """The text of each page of a PDF, as pdfium reads it back."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def non_data_numbers(public, k: int) -> list[tuple[str, str]]:
    """The numbers a fiche prints that are no figure of the answers: (pattern, why). Kept short on purpose:
    each is matched in its words, so that the same digits elsewhere are still checked."""
    waves = "|".join(re.escape(w) for w in public.waves)
    return [
        (rf"document généré le {GENERATED_ON:%d/%m/%Y}", "the day the file is made"),
        (rf"communes\s+et\s+contours\s+{public.reference.meta.get('millesime')}", "the vintage of the INSEE/IGN maps"),
        (r"Licence\s+Ouverte\s+2\.0", "the open licence's version"),
        (r"d'au moins 3 sur 4", "the definition of a satisfying link, on the questionnaire's 1–4 scale"),
        (r"(?<=moyenne \d,\d\d) sur 4", "the top of that scale, after a mean"),
        (rf"moins de {k} structures", "K, the rule written in the method and the footer"),
        (rf"(?:[Vv]agues?(?: d'enquête)?|depuis|avec|en)\s+(?:{waves})\b", "a wave's name"),
        (r"à\s+moins\s+de\s+\d+(?:,\d+)?[\u00a0\u202f ]?km", "« Où agir »: the radius of « near », a setting"),
    ]


REPORT_SECTIONS = ("Évolution d'une vague à l'autre", "Les intercommunalités", "Chaque intercommunalité",
                   "Leviers, freins", "Pistes proposées", "Méthode et définitions")  # lib.reports.departement_pdf


def report_non_data_numbers(public, k: int, numbers: dict[str, int]) -> list[tuple[str, str]]:
    """The fiche's non-data numbers, and those the département report adds (``numbers``: EPCI → its number)."""
    waves = "|".join(re.escape(w) for w in public.waves)
    titles = "|".join(re.escape(t) for t in REPORT_SECTIONS)
    return non_data_numbers(public, k) + [
        (r"page \d+ sur \d+", "the page number and the page count (footer)"),
        (rf"(?m)^\d\. (?=(?:{titles}))", "a section's number (summary and headings)"),
        *[(rf"(?m)^{n}\.? (?={re.escape(short_epci(name))})", "an intercommunalité's number (table, heading)")
          for name, n in numbers.items()],
        (r"\(1\s+à\s+4\)", "the 1–4 scale of the quality, in a column heading"),
        (rf"(?:moins\s+de|sous|<)\s+{MIN_ANSWERS}\s+(?:réponses|rép\.)",
         "the fixed rule for shares and means (lib.metrics.MIN_ANSWERS), written in the text and the charts"),
        (rf"produit par Passerelles le {GENERATED_ON:%d/%m/%Y}", "the day the file is made (sources)"),
        (rf"disponibles : (?:{waves})(?:, (?:{waves}))*", "the waves' names"),
        (rf"^(?:{waves})$", "a wave's name, a chart's category (evolution bars)"),
    ]


def legend_classes() -> set[str]:
    """The map legend's classes (fixed fifths of the share of schools with a link: not data)."""
    from lib.maps import colour_classes
    from lib.metrics import INDICATORS

    return {c.label for c in colour_classes(pd.Series(dtype=float), INDICATORS["couverture"])}


def directory_counts(public, scope) -> set[int]:
    """The public counts a PDF prints: the scope's schools (all, REP/REP+) and centres in the directory."""
    structures = public.structures
    inside = structures[territory_column(scope.level)].isin(scope.territories).to_numpy(dtype=bool) \
        if scope.territories else np.ones(len(structures), dtype=bool)
    schools = structures[inside & (structures["famille"] == "ecole").to_numpy(dtype=bool)]
    centres = structures[inside & (structures["famille"] == "centre").to_numpy(dtype=bool)]
    return {len(schools), int(schools["education_prioritaire"].isin(["REP", "REP+"]).sum()), len(centres)}


def scope_names(scope) -> list[str]:
    """The adversary's names of a report scope (the département is read at both levels)."""
    return [f"{scope.level}:{scope.territories[0]}"] if scope.territories else ["commune:département",
                                                                                 "epci:département"]


def printable(pubs: list[Publication], scope, public, extra_counts: set[int] = frozenset()) -> dict[str, set[str]]:
    """What a passage about ``scope`` may print, by kind, as formatted strings (``.`` for the decimal comma).

    Counts, shares and means are the audited figures of the scope; the changes since the previous wave are
    differences of two audited headline figures of the scope (each published: their difference tells nothing
    more); the public counts are the directory's (``extra_counts``: other public counts the passage prints)."""
    values = [v for name in scope_names(scope) for v in scope_values(pubs, name)]
    by_wave: dict[str, dict[str, float]] = {}
    for name in scope_names(scope):
        for pub in pubs:
            if pub.where.startswith(f"impact {name} ") and isinstance(pub.value, (int, float, np.number)) \
                    and pub.value == pub.value:
                wave, figure = pub.where[len(f"impact {name} "):].split(" ", 1)
                by_wave.setdefault(figure, {})[wave] = float(pub.value)
    changes = [(shown[after] - shown[before]) for shown in by_wave.values()
               for before, after in zip(public.waves, public.waves[1:]) if before in shown and after in shown]
    public_counts = directory_counts(public, scope) | set(extra_counts)
    return {
        "count": {f"{v:.0f}" for v in values if v == int(v)} | {str(n) for n in public_counts},
        "share": {f"{100 * v:.{d}f}" for v in values if 0 <= v <= 1 for d in (0, 1)},
        "mean": {f"{v:.2f}" for v in values},
        "count change": {f"{c:+.0f}" for c in changes if c == int(c)},
        "share change": {f"{100 * c:+.1f}" for c in changes if -1 <= c <= 1},
    }


def _side_by_side(groups: list[str], allowed: set[str]) -> bool:
    """Whether digit groups read as one number (« 1 110 ») or as counts side by side (« 1 110 447 » =
    1 110 and 447) are all allowed."""
    if not groups:
        return True
    return any("".join(groups[:j]) in allowed and _side_by_side(groups[j:], allowed) for j in range(1, len(groups) + 1))


def unexplained_numbers(texts: list[str], allowed: dict[str, set[str]], non_data: list[tuple[str, str]]) -> list[str]:
    """Numbers of a PDF's texts that are neither a figure it may print (``allowed``, from ``printable``) nor a
    listed non-data number."""
    found = []
    for text in texts:
        for pattern, _why in non_data:
            text = re.sub(pattern, " ", text)
        for match in PDF_NUMBER.finditer(text):
            number = re.sub(r"\D", "", match["whole"])
            number += f".{match['decimals']}" if match["decimals"] else ""
            sign = {"+": "+", "−": "-"}.get(match["sign"] or "", "")
            kind = ("share change" if match["points"] else "count change") if sign else \
                "share" if match["percent"] else "mean" if match["decimals"] else "count"
            groups = match["whole"].split() if kind == "count" and not match["decimals"] else []
            if f"{sign}{number}" not in allowed[kind] and not (len(groups) > 1 and
                                                               _side_by_side(groups, allowed[kind])):
                context = " ".join(text[max(0, match.start() - 50):match.end() + 20].split())
                found.append(f"« {match.group(0).strip()} » ({kind}, non audité) : …{context}…")
    return found


# --------------------------------------------------------------------------- the département report's passages


def report_epcis(public) -> dict[str, int]:
    """The intercommunalités the département report prints, with their numbers (as lib.reports numbers them)."""
    from lib.text import fold

    names = territory_options(public.structures, "epci")
    return {name: i for i, name in enumerate(sorted(names, key=lambda n: fold(short_epci(n))), start=1)}


def _heading(text: str, title: str) -> int:
    """Where a section's heading starts (its second occurrence: the first is the summary's)."""
    first = text.index(title)
    return text.index(title, first + 1)


def report_passages(public, text: str) -> list[tuple[str, Scope, set[int]]]:
    """The département report's text cut by what each passage is about: (text, scope, other public counts).

    Section 2 (the table of the intercommunalités) prints each one's school count from the directory; section 3
    is cut at each intercommunalité's heading, and each part is read against that intercommunalité's figures;
    the rest is about the département.
    """
    departement = Scope("epci", (), "département")
    numbers = report_epcis(public)
    epci_counts = {n for name in numbers for n in directory_counts(public, Scope("epci", (name,), name, ""))}
    two, three, four = (_heading(text, f"{i}. {REPORT_SECTIONS[i - 1]}") for i in (2, 3, 4))
    passages = [(text[:two], departement, set()), (text[two:three], departement, epci_counts)]
    starts = []
    for name, n in sorted(numbers.items(), key=lambda item: item[1]):
        found = re.compile(rf"(?m)^{n}\. {re.escape(short_epci(name))}").search(text, three, four)
        assert found, f"pas de titre pour l'intercommunalité {n}. {short_epci(name)}"
        starts.append((found.start(), name))
    passages.append((text[three:starts[0][0]] if starts else text[three:four], departement, set()))
    for (start, name), (end, _next) in zip(starts, [*starts[1:], (four, None)]):
        passages.append((text[start:end], Scope("epci", (name,), name, ""), set()))
    passages.append((text[four:], departement, set()))
    return passages
