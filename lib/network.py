"""The shape of the partnership network: partners, groups, brokers, isolated pairs.

The network has a node per structure and an edge per school–centre link.
A **broker** is a structure whose departure would split its group into at
least two groups of ``MIN_GROUP`` structures or more: in plain French, it
« relie des groupes qui sans elle seraient séparés ». That is the literal
meaning of a cut vertex (articulation point) whose pieces are not lone
structures; unlike betweenness centrality (O(nodes × links), minutes at
national scale) it is found in one depth-first pass, and a centre with many
schools that know no one else (a hub, not a broker) is not counted.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

# A group is at least a school and a centre linked together.
MIN_GROUP = 2
# Said on screen instead of "betweenness" or "articulation point".
BROKER_EXPLANATION = "relie des groupes qui sans elle seraient séparés"


def partnership_graph(links: pd.DataFrame) -> nx.Graph:
    """The undirected graph of the school–centre pairs of ``links`` (``ecole_id``, ``centre_id``)."""
    graph = nx.Graph()
    graph.add_edges_from(zip(links["ecole_id"].tolist(), links["centre_id"].tolist()))
    return graph


def separated_groups(adjacency: Mapping[Hashable, Iterable[Hashable]]) -> dict[Hashable, list[int]]:
    """For each structure whose removal splits its group, the sizes of the groups left (see :func:`groups`)."""
    return groups(adjacency)[1]


def groups(adjacency: Mapping[Hashable, Iterable[Hashable]]) -> tuple[list[list[Hashable]], dict[Hashable, list[int]]]:
    """The connected groups, and for each structure whose removal splits its group, the sizes of the groups left.

    Tarjan's lowpoint depth-first search, iterative (no recursion limit),
    which also counts each subtree: networkx finds cut vertices but not the
    sizes of what they separate, and its biconnected components cost twice
    the time at national scale. The same pass gives the groups.

    Returns:
        (groups, each a list of structures; cut vertex → sizes of the pieces
        its removal leaves, two or more).
    """
    disc: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    size: dict[Hashable, int] = {}
    pieces: dict[Hashable, list[int]] = {}
    components: list[list[Hashable]] = []
    clock = 0
    for root in adjacency:
        if root in disc:
            continue
        disc[root] = low[root] = clock
        clock += 1
        size[root] = 1
        members = [root]
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, parent, neighbours = stack[-1]
            for other in neighbours:
                if other == parent:
                    continue
                if other in disc:
                    low[node] = min(low[node], disc[other])
                    continue
                disc[other] = low[other] = clock
                clock += 1
                size[other] = 1
                members.append(other)
                stack.append((other, node, iter(adjacency[other])))
                break
            else:
                stack.pop()
                if stack:
                    up = stack[-1][0]
                    low[up] = min(low[up], low[node])
                    size[up] += size[node]
                    if low[node] >= disc[up]:
                        pieces.setdefault(up, []).append(size[node])
        components.append(members)
        total = len(members)
        for node in members:
            if node in pieces:
                rest = total - 1 - sum(pieces[node])
                if rest > 0:  # the side of its parent in the search (never for the root)
                    pieces[node].append(rest)
    return components, {node: sizes for node, sizes in pieces.items() if len(sizes) >= 2}


def network_figures(links: pd.DataFrame) -> pd.DataFrame:
    """Per structure of the network: partners, its group, and whether it is a broker.

    Args:
        links: one row per school–centre pair (``ecole_id``, ``centre_id``; duplicates allowed).

    Returns:
        One row per linked structure: ``id``, ``partenaires`` (distinct
        partners), ``groupe`` (component number, largest first),
        ``taille_groupe`` (structures in it), ``paire_isolee`` (a school and
        a centre linked to no one else), ``courtier``, ``groupes_relies``
        (groups of MIN_GROUP or more it holds together) and
        ``structures_dependantes`` (structures cut off from the largest
        remaining group if it left).
    """
    columns = ["id", "partenaires", "groupe", "taille_groupe", "paire_isolee", "courtier", "groupes_relies",
               "structures_dependantes"]
    if links.empty:
        return pd.DataFrame(columns=columns)
    graph = partnership_graph(links)
    components, pieces = groups(graph.adj)
    components.sort(key=len, reverse=True)
    ids, group, group_size = [], [], []
    for number, members in enumerate(components, start=1):
        ids.extend(members)
        group.extend([number] * len(members))
        group_size.extend([len(members)] * len(members))
    degree = dict(graph.degree())
    big = {node: sum(1 for s in sizes if s >= MIN_GROUP) for node, sizes in pieces.items()}
    depending = {node: sum(sizes) - max(sizes) for node, sizes in pieces.items()}
    table = pd.DataFrame({
        "id": ids,
        "partenaires": [degree[node] for node in ids],
        "groupe": np.asarray(group, dtype=np.int64),
        "taille_groupe": np.asarray(group_size, dtype=np.int64),
    })
    table["paire_isolee"] = table["taille_groupe"] == 2
    table["groupes_relies"] = [big.get(node, 0) for node in ids]
    table["courtier"] = table["groupes_relies"] >= 2
    table["structures_dependantes"] = [depending.get(node, 0) if big.get(node, 0) >= 2 else 0 for node in ids]
    return table[columns]


def network_by_territory(figures: pd.DataFrame, schools: pd.DataFrame, structures: pd.DataFrame,
                         column: str) -> pd.DataFrame:
    """Per territory: groups its linked schools belong to, isolated pairs (by school), brokers located there.

    Returns:
        ``territoire``, ``groupes``, ``paires_isolees`` and ``courtiers``
        (brokers whose own territory it is: a centre counts where it stands).
    """
    school_territory = dict(zip(schools["id"].tolist(), schools[column].tolist()))
    own_territory = dict(zip(structures["id"].tolist(), structures[column].tolist()))
    rows = figures.assign(territoire=figures["id"].map(school_territory))
    in_territory = rows[rows["territoire"].notna()]
    groups = in_territory.groupby("territoire")["groupe"].nunique().rename("groupes")
    pairs = in_territory[in_territory["paire_isolee"]].groupby("territoire").size().rename("paires_isolees")
    brokers = figures.loc[figures["courtier"], "id"].map(own_territory).value_counts().rename("courtiers")
    out = pd.concat([groups, pairs, brokers], axis=1).fillna(0).astype(int)
    out.index.name = "territoire"
    return out.reset_index()
