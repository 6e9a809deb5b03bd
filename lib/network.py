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
from itertools import chain

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

    Returns:
        (groups, each a list of structures; cut vertex → sizes of the pieces
        its removal leaves, two or more).
    """
    nodes = list(adjacency)
    number = {node: i for i, node in enumerate(nodes)}
    for node in adjacency:  # neighbours that are not keys of their own (a one-sided mapping)
        for other in adjacency[node]:
            if other not in number:
                number[other] = len(nodes)
                nodes.append(other)
    neighbours = [[number[other] for other in adjacency.get(node, ())] for node in nodes]
    components, pieces = indexed_groups(neighbours)
    return ([[nodes[i] for i in members] for members in components],
            {nodes[i]: sizes for i, sizes in pieces.items()})


def indexed_groups(neighbours: list[list[int]]) -> tuple[list[list[int]], dict[int, list[int]]]:
    """:func:`groups` of nodes ``0 … n − 1``, ``neighbours[i]`` listing those of ``i``.

    Tarjan's lowpoint depth-first search, iterative (no recursion limit),
    which also counts each subtree: networkx finds cut vertices but not the
    sizes of what they separate, and its biconnected components cost twice
    the time at national scale. The same pass gives the groups. Plain lists
    indexed by integers: a third of the time of dictionaries keyed by ids.
    """
    count = len(neighbours)
    disc = [-1] * count
    low = [0] * count
    size = [1] * count
    pieces: dict[int, list[int]] = {}
    components: list[list[int]] = []
    clock = 0
    for root in range(count):
        if disc[root] >= 0:
            continue
        disc[root] = low[root] = clock
        clock += 1
        members = [root]
        stack = [(root, -1, iter(neighbours[root]))]
        while stack:
            node, parent, around = stack[-1]
            for other in around:
                if other == parent:
                    continue
                seen = disc[other]
                if seen >= 0:
                    if seen < low[node]:
                        low[node] = seen
                    continue
                disc[other] = low[other] = clock
                clock += 1
                members.append(other)
                stack.append((other, node, iter(neighbours[other])))
                break
            else:
                stack.pop()
                if stack:
                    up = stack[-1][0]
                    if low[node] < low[up]:
                        low[up] = low[node]
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


def link_adjacency(links: pd.DataFrame) -> tuple[np.ndarray, list[list[int]]]:
    """The structures of ``links`` and, for each, the numbers of its partners.

    The same order as :func:`partnership_graph` (structures by first
    appearance, a school before its centre; partners in link order), built
    in numpy: the graph object costs more than the search at national scale.

    Returns:
        (identifiers, partner numbers of each).
    """
    pairs = links[["ecole_id", "centre_id"]].drop_duplicates()
    edges = len(pairs)
    interleaved = np.empty(2 * edges, dtype=object)
    interleaved[0::2] = pairs["ecole_id"].to_numpy(dtype=object)
    interleaved[1::2] = pairs["centre_id"].to_numpy(dtype=object)
    codes, ids = pd.factorize(interleaved)
    source = codes
    target = codes.reshape(-1, 2)[:, ::-1].reshape(-1)
    order = np.argsort(source, kind="stable")
    bounds = np.cumsum(np.bincount(source, minlength=len(ids)))[:-1]
    neighbours = [part.tolist() for part in np.split(target[order], bounds)]
    return np.asarray(ids, dtype=object), neighbours


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
    ids_of, neighbours = link_adjacency(links)
    components, pieces = indexed_groups(neighbours)
    components.sort(key=len, reverse=True)
    order = np.fromiter(chain.from_iterable(components), dtype=np.int64, count=len(neighbours))
    sizes = np.fromiter(map(len, components), dtype=np.int64, count=len(components))
    degree = np.fromiter(map(len, neighbours), dtype=np.int64, count=len(neighbours))
    held = np.zeros(len(neighbours), dtype=np.int64)  # groups of MIN_GROUP or more each structure holds together
    depending = np.zeros(len(neighbours), dtype=np.int64)
    for node, parts in pieces.items():
        held[node] = sum(1 for part in parts if part >= MIN_GROUP)
        depending[node] = sum(parts) - max(parts)
    table = pd.DataFrame({
        "id": ids_of[order],
        "partenaires": degree[order],
        "groupe": np.repeat(np.arange(1, len(components) + 1, dtype=np.int64), sizes),
        "taille_groupe": np.repeat(sizes, sizes),
    })
    table["paire_isolee"] = table["taille_groupe"] == 2
    table["groupes_relies"] = held[order]
    table["courtier"] = table["groupes_relies"] >= 2
    table["structures_dependantes"] = np.where(table["courtier"], depending[order], 0)
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
