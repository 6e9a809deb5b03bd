"""The questionnaire: codes, French labels and order of every closed answer.

Everything that shows or checks a code reads it from ``data/questionnaire.toml``
through this module, so that adding a choice there needs no code change.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from lib.text import fold

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE_PATH = ROOT / "data" / "questionnaire.toml"

# Separator of multi-valued codes in the CSV files (formes, objets, leviers, freins).
MULTI_SEPARATOR = ";"


@dataclass(frozen=True)
class Choice:
    """One possible answer: its stored code, its French label and its extras."""

    code: str
    label: str
    rank: int
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class ChoiceList:
    """A closed question: its title, where it is stored and its ordered choices."""

    name: str
    title: str
    file: str
    column: str
    multiple: bool
    ordered: bool
    choices: tuple[Choice, ...]

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.choices]

    @property
    def labels(self) -> dict[str, str]:
        """Code → label, in questionnaire order."""
        return {c.code: c.label for c in self.choices}

    def label(self, code: str) -> str:
        """The French label of a code; the code itself when it is unknown."""
        return self.labels.get(code, code)

    def by_extra(self, key: str, value: str) -> list[str]:
        """Codes whose extra ``key`` equals ``value`` (e.g. famille = ecole)."""
        return [c.code for c in self.choices if c.extra.get(key) == value]

    def dtype(self) -> pd.CategoricalDtype:
        """A pandas categorical type with the questionnaire's order."""
        return pd.CategoricalDtype(self.codes, ordered=self.ordered)

    def suggest(self, value: str) -> str | None:
        """The valid code closest to ``value`` (a mistyped code or a label), or None.

        Labels count as well as codes, so "Périscolaire" or "periscolair"
        both suggest ``periscolaire``.
        """
        wanted = fold(value)
        if not wanted:
            return None
        candidates: dict[str, str] = {}
        for choice in self.choices:
            candidates[fold(choice.code)] = choice.code
            candidates[fold(choice.label)] = choice.code
        if wanted in candidates:
            return candidates[wanted]
        close = difflib.get_close_matches(wanted, list(candidates), n=1, cutoff=0.6)
        return candidates[close[0]] if close else None


@dataclass(frozen=True)
class Questionnaire:
    """All the closed questions, by name (``formes``, ``frequences``…)."""

    lists: dict[str, ChoiceList]

    def __getitem__(self, name: str) -> ChoiceList:
        return self.lists[name]

    def label(self, name: str, code: str) -> str:
        return self.lists[name].label(code)

    def for_column(self, file: str, column: str) -> ChoiceList | None:
        """The list that checks ``column`` of ``file`` (e.g. reponses / formes)."""
        for choice_list in self.lists.values():
            if choice_list.file == file and choice_list.column == column:
                return choice_list
        return None

    def columns_of(self, file: str) -> dict[str, ChoiceList]:
        """Column → list, for every closed question stored in ``file``."""
        return {c.column: c for c in self.lists.values() if c.file == file}

    @property
    def school_types(self) -> list[str]:
        return self["types_structure"].by_extra("famille", "ecole")

    @property
    def centre_types(self) -> list[str]:
        return self["types_structure"].by_extra("famille", "centre")


def parse_questionnaire(raw: dict) -> Questionnaire:
    """Build a :class:`Questionnaire` from the parsed TOML document.

    Raises:
        ValueError: a list lacks a key, or repeats a code.
    """
    lists: dict[str, ChoiceList] = {}
    for name, spec in raw.items():
        try:
            choices = []
            for rank, item in enumerate(spec["choix"], start=1):
                extra = {k: str(v) for k, v in item.items() if k not in ("code", "label")}
                choices.append(Choice(str(item["code"]), str(item["label"]), rank, extra))
            codes = [c.code for c in choices]
            if len(set(codes)) != len(codes):
                raise ValueError(f"codes en double dans [{name}]")
            lists[name] = ChoiceList(
                name=name,
                title=str(spec["titre"]),
                file=str(spec["fichier"]),
                column=str(spec["colonne"]),
                multiple=bool(spec.get("multiple", False)),
                ordered=bool(spec.get("ordonne", False)),
                choices=tuple(choices),
            )
        except KeyError as missing:
            raise ValueError(f"questionnaire : clé {missing} absente dans [{name}]") from None
    return Questionnaire(lists)


@lru_cache(maxsize=4)
def load_questionnaire(path: Path = QUESTIONNAIRE_PATH) -> Questionnaire:
    """Read and parse the questionnaire file (cached: it does not change at run time)."""
    with open(path, "rb") as handle:
        return parse_questionnaire(tomllib.load(handle))


def split_codes(value: object) -> list[str]:
    """``"clas; fetes"`` → ``["clas", "fetes"]``; empty or missing → ``[]``."""
    if not isinstance(value, str) or not value:
        return []
    return [code for code in (part.strip() for part in value.split(MULTI_SEPARATOR)) if code]
