"""The statistical secret for counts of structures by territory (« Où agir ? » for funders).

``lib.secrecy`` decides the figures that rest on answers; this decides counts of *structures* (schools with
no known link near a centre, communes whose schools have none) by territory — département, intercommunalités,
communes, the project's territories — with the same rule: a count resting on 1 to K − 1 structures is not
printed (« secret »), and neither is one that would give such a count by subtraction, from the same count of
a territory enclosing it, or from an enclosing total once its other parts are known.
"""

from __future__ import annotations

from collections.abc import Mapping

from lib.secrecy import DEPARTEMENT, SECRET

Node = tuple[str, str]  # (level, territory); DEPARTEMENT for the whole département


def _unsafe(size: int, k: int) -> bool:
    return 0 < size < k


def protect_structure_counts(populations: Mapping[Node, frozenset], parents: Mapping[Node, tuple[Node, ...]],
                             k: int, values: Mapping[Node, int] | None = None) -> dict[Node, int | str]:
    """Each territory's number of concerned structures (or its ``values``), or SECRET.

    Args:
        populations: territory → the structures it counts (every territory of a level, so that the
            children of an enclosing territory are known in full).
        parents: territory → the territories enclosing it (a commune: its intercommunalité and the
            département; an intercommunalité or a project territory: the département).
        k: the threshold.
        values: what is printed for a territory when it is not secret (e.g. a number of communes resting on
            the structures of ``populations``); by default the number of structures.

    Hidden: (1) 1 to K − 1 structures; (2) a territory whose difference with an enclosing published one
    rests on 1 to K − 1 structures; (3) while the hidden parts (at one level) of a published territory together hold
    1 to K − 1 structures, the smallest published non-empty child with them (the enclosing total minus its
    published children would give them), else the enclosing territory itself.
    """
    hidden = {node: _unsafe(len(members), k) for node, members in populations.items()}
    children: dict[tuple[Node, str], list[Node]] = {}  # (parent, level) → its parts at that level
    for node, enclosing in parents.items():
        for parent in enclosing:
            if parent in populations:
                children.setdefault((parent, node[0]), []).append(node)
    changed = True
    while changed:
        changed = False
        for node, enclosing in parents.items():
            if hidden.get(node, True):
                continue
            for parent in enclosing:
                if parent in populations and not hidden[parent] \
                        and _unsafe(len(populations[parent] - populations[node]), k):
                    hidden[node] = changed = True
                    break
        for (parent, _level), kids in children.items():
            if hidden[parent]:
                continue
            secret_kids = [kid for kid in kids if hidden[kid]]
            together = frozenset().union(*(populations[kid] for kid in secret_kids)) if secret_kids else frozenset()
            if not _unsafe(len(together), k):
                continue
            shown = sorted((kid for kid in kids if not hidden[kid] and populations[kid]),
                           key=lambda kid: (len(populations[kid]), kid))
            hidden[shown[0] if shown else parent] = changed = True
    return {node: SECRET if hidden[node] else (len(members) if values is None else values[node])
            for node, members in populations.items()}

