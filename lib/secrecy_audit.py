"""The auditor of the statistical secret: what an adversary can compute from every published figure.

The tests enumerate what a funder reads (``tests/test_secrecy.py``) and hand it to ``check_publications``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from lib.secrecy import ANY, SECRET

# --------------------------------------------------------------------------- the auditor


@dataclass(frozen=True)
class Publication:
    """A published figure: where it appears, the answers it rests on (their ids), its value, and what it
    counts (``measure``: ``reponses`` for every answer of a territory, ``question:BASE`` for those answering a
    question, ``question:code`` for those citing a code)."""

    where: str
    population: frozenset
    value: object
    measure: str = ANY
    group: str = ""  # figures of one row of one table (a share and its base): always compared


def check_publications(publications: Iterable[Publication], respondent_of: Mapping[str, str], k: int,
                       limit: int = 20) -> list[str]:
    """Leaks among published figures: a population resting on 1 to K − 1 structures, or two nested
    populations of comparable figures (same measure, or one row of one table) whose difference does (one
    figure minus the other gives a secret one).

    Args:
        publications: every figure shown, with the answer ids it rests on (a blank value is not shown).
        respondent_of: answer id → answering structure.
        limit: stop after this many leaks.

    Returns:
        French descriptions of the leaks (empty: nothing leaks).
    """
    shown: dict[tuple, str] = {}
    for publication in publications:
        value = publication.value
        if value is None or value == SECRET or (isinstance(value, float) and value != value):
            continue
        shown.setdefault((publication.population, publication.measure, publication.group), publication.where)
    structures = sorted({respondent_of[a] for population, _m, _g in shown for a in population})
    structure_index = {r: j for j, r in enumerate(structures)}
    leaks: list[str] = []
    sizes: dict[frozenset, int] = {}
    for population, _measure, _group in shown:
        if population not in sizes:
            sizes[population] = len({respondent_of[a] for a in population})
    for (population, _measure, _group), where in shown.items():
        if 0 < sizes[population] < k:
            leaks.append(f"{where} : repose sur {sizes[population]} structure(s)")
            if len(leaks) >= limit:
                return leaks
    # Comparable figures: the same measure anywhere; within one row, a code and the base of its question
    # (two codes of one row only nest by chance: their difference counts nothing).
    families: dict[tuple, dict[frozenset, str]] = {}
    for (population, measure, group), where in shown.items():
        if population:
            families.setdefault(("measure", measure), {}).setdefault(population, where)
            if group and measure.endswith(":BASE"):
                families.setdefault(("row", group), {}).setdefault(population, where)
    for (population, measure, group), where in shown.items():
        if population and group and ("row", group) in families:
            for base in [p for p in families[("row", group)] if p != population]:
                families.setdefault(("pair", group, measure, base), {base: families[("row", group)][base]}) \
                    .setdefault(population, where)
    for family in families.values():
        populations = list(family)
        if len(populations) < 2:
            continue
        answers = sorted({a for population in populations for a in population})
        index = {a: i for i, a in enumerate(answers)}
        member = np.zeros((len(populations), len(answers)), dtype=np.float32)
        per_structure = np.zeros((len(populations), len(structures)), dtype=np.float32)
        for row, population in enumerate(populations):
            member[row, [index[a] for a in population]] = 1.0
            np.add.at(per_structure[row], [structure_index[respondent_of[a]] for a in population], 1.0)
        counts = member.sum(axis=1)
        nested = (np.abs(member @ member.T - counts[:, None]) < 0.5) & (counts[:, None] < counts[None, :])
        for small, large in zip(*np.nonzero(nested)):
            rest = int(((per_structure[large] - per_structure[small]) > 0.5).sum())
            if 0 < rest < k:
                leaks.append(f"{family[populations[large]]} moins {family[populations[small]]} : "
                             f"repose sur {rest} structure(s)")
                if len(leaks) >= limit:
                    return leaks
    return leaks
