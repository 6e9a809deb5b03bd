"""Find a structure on the map by name, commune or UAI, forgiving accents and typos."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from lib.structure_match import normalise_words

# Below this score (0–100) a structure is not offered: "rosa" should not list every "Rosny".
MIN_SCORE = 75.0


@dataclass(frozen=True)
class Found:
    """A structure the search offers, best first."""

    id: str
    label: str  # « Collège Rosa Parks — Argenteuil »
    score: float


def _word_scores(query_words: list[str], vocabulary: list[str]) -> np.ndarray:
    """For each query word (rows), how well each vocabulary word (columns) matches it, 0–100.

    A typo costs a little (``fuzz.ratio``: "colege" ~ "college" 92); a word begun counts in full
    ("lyc" → "lycee").
    """
    scores = process.cdist(query_words, vocabulary, scorer=fuzz.ratio, dtype=np.float32)
    for row, word in enumerate(query_words):
        if len(word) >= 3:
            begun = np.fromiter((v.startswith(word) for v in vocabulary), dtype=bool, count=len(vocabulary))
            scores[row, begun] = 100.0
    return scores


def search_structures(structures: pd.DataFrame, query: str, limit: int = 8) -> list[Found]:
    """Structures matching ``query``, best first: an exact UAI or identifier, else names and communes.

    "college rosa" finds « Collège Rosa Parks »; "argenteuil" the structures of Argenteuil;
    "0958362y" the school with that UAI.
    """
    text = normalise_words(query)
    if not text or structures.empty:
        return []
    names = structures["nom"].astype(str)
    communes = structures["commune"].fillna("").astype(str) if "commune" in structures else pd.Series("", index=names.index)
    labels = (names + " — " + communes).str.rstrip(" —").tolist()
    ids = structures["id"].astype(str).tolist()
    wanted = query.strip().upper()
    exact = [Found(i, label, 100.0) for i, label in zip(ids, labels) if i.upper() == wanted]
    if exact:
        return exact[:limit]
    choices = [normalise_words(f"{n} {c}").split() for n, c in zip(names, communes)]
    vocabulary = sorted({word for words in choices for word in words})
    position = {word: i for i, word in enumerate(vocabulary)}
    best = _word_scores(text.split(), vocabulary)  # query word × vocabulary word
    # A structure's score: every word typed, matched to its closest word of the name or commune, on average.
    scores = np.array([best[:, [position[w] for w in words]].max(axis=1).mean() if words else 0.0
                       for words in choices])
    kept = np.flatnonzero(scores >= MIN_SCORE)
    # Best first; ties: the shorter label (« Collège Rosa Parks » before « Collège Rosa Parks-Jaurès »).
    order = sorted(kept, key=lambda i: (-scores[i], len(labels[i]), labels[i]))[:limit]
    return [Found(ids[i], labels[i], round(float(scores[i]), 1)) for i in order]
