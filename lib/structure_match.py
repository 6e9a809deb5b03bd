"""Who answered, about whom: match what a survey file says of a structure to the data set's structures.

Survey files rarely hold UAI codes. Respondents type a name ("Ecole elem. Jules
Ferry"), a name and its commune ("CS La Rencontre (Sarcelles)") or pick a name
next to a commune column. :class:`StructureMatcher` finds, in this order:

1. the structure whose id is the value (any case), or whose UAI appears in it;
2. the structure whose normalised name is the value's, in its commune when one
   is given (commune column, "(commune)" or "- commune" suffix);
3. the closest names by fuzzy score (rapidfuzz), in that commune first.

Normalised names drop accents, case and punctuation and read the usual
abbreviations: "EE" / "Ecole Elem." / "Élém." = École élémentaire, "EM" / "Mat."
= École maternelle, "EP" = École primaire, "Clg" / "Coll." = Collège, "LGT" /
"LP" / "LPO" = Lycée, "St" / "Ste" = Saint / Sainte, "CS" / "Centre
socio-culturel" = Centre social, "EVS" = Espace de vie sociale. The kind of
structure ("École élémentaire", "Collège"…) is compared apart from the rest of
the name: "EE Jules Ferry" is close to "École maternelle Jules Ferry" by its
letters, but it is another school.

A match is *sure* only when nobody would hesitate: exact id or UAI; an exact
normalised name that no other structure of the scope shares (its commune, or
the whole data set without a commune); or a fuzzy best score of at least
:data:`SURE_SCORE` that leads the second by at least :data:`SURE_MARGIN`.
Everything else is the user's choice among the candidates, best first.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process

from lib.text import fold

SURE_SCORE = 94.0
"""Lowest fuzzy score accepted without asking.

Measured on names as people type them (tests/test_structure_match.py): one
letter missing or doubled ("Jules Fery", "Les Couture", "Moliere") scores 95–97
on names of ten letters or more; one letter changed in a short name ("Les
Merisiers" for "Les Cerisiers", two different schools) scores 92. The
threshold sits between them: a near-miss on a short name is asked, not guessed.
"""
SURE_MARGIN = 6.0
"""The sure best must lead the second candidate by this much (homonyms tie at 0)."""
MAX_CANDIDATES = 5
OUTSIDE_COMMUNE_PENALTY = 20.0
"""Score taken off a candidate found outside the commune the file gives (shown, never sure)."""
_SEARCH_LIMIT = 60
_SCORE_CUTOFF = 50.0

# Kinds of structure, longest phrase first: (folded phrase, kind, sub-kind).
_KIND_PHRASES: list[tuple[str, str, str]] = [
    ("lycee general et technologique", "lycee", "gt"),
    ("lycee d enseignement general et technologique", "lycee", "gt"),
    ("lycee professionnel", "lycee", "pro"),
    ("lycee polyvalent", "lycee", "poly"),
    ("lycee general", "lycee", "gt"),
    ("lycee technologique", "lycee", "gt"),
    ("lycee pro", "lycee", "pro"),
    ("lgt", "lycee", "gt"),
    ("lpo", "lycee", "poly"),
    ("lp", "lycee", "pro"),
    ("lycee", "lycee", ""),
    ("lyc", "lycee", ""),
    ("ecole elementaire", "ee", ""),
    ("ecole elem", "ee", ""),
    ("elementaire", "ee", ""),
    ("elem", "ee", ""),
    ("ee", "ee", ""),
    ("ecole maternelle", "em", ""),
    ("ecole mat", "em", ""),
    ("maternelle", "em", ""),
    ("mat", "em", ""),
    ("em", "em", ""),
    ("ecole primaire", "ep", ""),
    ("primaire", "ep", ""),
    ("ep", "ep", ""),
    ("college", "clg", ""),
    ("coll", "clg", ""),
    ("clg", "clg", ""),
    ("centre socio culturel", "cs", ""),
    ("centre socioculturel", "cs", ""),
    ("centre social", "cs", ""),
    ("csc", "cs", ""),
    ("cs", "cs", ""),
    ("espace de vie sociale", "evs", ""),
    ("evs", "evs", ""),
]
_KIND_BY_PHRASE = {phrase: (kind, sub) for phrase, kind, sub in _KIND_PHRASES}
_KIND_PATTERN = re.compile(r"\b(" + "|".join(re.escape(p) for p, _, _ in _KIND_PHRASES) + r")\b")
_KIND_OF_TYPE = {"ecole_maternelle": "em", "ecole_elementaire": "ee", "ecole_primaire": "ep", "college": "clg",
                 "lycee": "lycee", "centre_social": "cs", "espace_vie_sociale": "evs"}
# Words that say nothing about which structure it is.
_NOISE = {"ecole", "publique", "public", "privee", "prive"}
_WORD_FORMS = {"st": "saint", "ste": "sainte"}
_NEAR_KINDS = {frozenset({"ep", "ee"}), frozenset({"ep", "em"}), frozenset({"cs", "evs"})}
_COMBINING = re.compile("[\u0300-\u036f]")  # accents once NFKD has taken them off their letters
_NOT_WORD = re.compile(r"[\W_]+")
_SAINT = re.compile(r"\bste?\b")
_UAI_IN_TEXT = re.compile(r"\b(\d{7}[A-Z])\b")
_BRACKETS_SUFFIX = re.compile(r"^(.+?)\s*\(([^()]+)\)\s*$")
_SEPARATORS = re.compile(r"\s+[-–—/]\s*|\s*,\s*")
_POSTCODE = re.compile(r"^\s*\d{5}\s+")


@dataclass(frozen=True)
class Candidate:
    """A structure that may be the one meant, with its fuzzy score (0–100) and its commune's name."""

    id: str
    nom: str
    commune: str
    score: float


@dataclass
class StructureMatch:
    """What a value of the file is matched to.

    ``chosen`` is the structure id kept (None: none yet, or "aucune" when
    ``sure`` is True); ``sure`` means nothing is left for the user to decide.
    """

    value: str
    commune: str
    candidates: list[Candidate] = field(default_factory=list)
    chosen: str | None = None
    sure: bool = False


def structure_key(value: str, commune: str = "") -> str:
    """The key of a value (and its commune column's) in ``Mapping.values``: ``value`` or ``"value || commune"``."""
    value, commune = value.strip(), commune.strip()
    return f"{value} || {commune}" if commune else value


def normalise_words(text: str) -> str:
    """Folded words: no accents, case or punctuation; "St"/"Ste" spelt out.

    ``"St-Ouen l'Aumône"`` → ``"saint ouen l aumone"``.
    """
    plain = _COMBINING.sub("", unicodedata.normalize("NFKD", str(text))).lower()
    words = _NOT_WORD.sub(" ", plain).strip()
    return _SAINT.sub(lambda m: _WORD_FORMS[m.group()], words) if "st" in words else words


@functools.lru_cache(maxsize=200_000)
def split_name(text: str) -> tuple[str, str, str]:
    """``(kind, sub-kind, rest)`` of a structure name, rest's words sorted.

    ``"Ecole Elem. Saint-Exupéry"`` → ``("ee", "", "exupery saint")``; the
    first kind named wins, later ones stay in the rest.
    """
    words = normalise_words(text)
    kind = sub = ""
    match = _KIND_PATTERN.search(words)
    if match:
        kind, sub = _KIND_BY_PHRASE[match.group(1)]
        words = words[:match.start()] + " " + words[match.end():]
    rest = sorted(w for w in words.split() if w not in _NOISE)
    return kind, sub, " ".join(rest)


def _kind_penalty(wanted: tuple[str, str], found: tuple[str, str]) -> float:
    """Score taken off when the kinds differ: none when the value names no kind."""
    (kind, sub), (other, other_sub) = wanted, found
    if not kind or not other:
        return 0.0
    if kind != other:
        return 10.0 if frozenset({kind, other}) in _NEAR_KINDS else 15.0 if {kind, other} == {"ee", "em"} else 25.0
    if sub and other_sub and sub != other_sub:
        return 10.0
    if sub != other_sub:  # "LP X" against a plain "Lycée X": same school most likely, the exact one first
        return 3.0
    return 0.0


class StructureMatcher:
    """The data set's structures indexed once by id, commune and normalised name."""

    def __init__(self, structures: pd.DataFrame, communes: pd.DataFrame):
        frame = structures.reset_index(drop=True)
        n = len(frame)
        self.ids: list[str] = frame["id"].astype(str).tolist()
        self.names: list[str] = frame["nom"].astype(str).tolist()
        self.commune_codes: list[str] = (frame["commune_insee"].astype(str).tolist() if "commune_insee" in frame
                                         else [""] * n)
        self.closed: list[bool] = ((frame["statut"].astype(str) == "ferme").tolist() if "statut" in frame
                                   else [False] * n)
        self.commune_name: dict[str, str] = dict(zip(communes["code_insee"].astype(str), communes["nom"].astype(str)))
        self._commune_by_words = {normalise_words(name): code for code, name in self.commune_name.items()}
        self._commune_words = list(self._commune_by_words)
        self.by_id = {i.upper(): k for k, i in enumerate(self.ids)}

        types = frame["type"].astype(str).tolist() if "type" in frame else [""] * n
        self.kinds: list[tuple[str, str]] = []
        rests: list[str] = []
        # Names may carry a note in brackets ("… (démo)", "… (annexe)") that nobody types: indexed both ways.
        self.exact: dict[tuple[str, str, str], list[int]] = {}
        for k, (name, type_code) in enumerate(zip(self.names, types)):
            kind, sub, rest = split_name(name)
            kind = _KIND_OF_TYPE.get(type_code, kind)
            bare_kind, bare_sub, bare = split_name(re.sub(r"\([^()]*\)", " ", name)) if "(" in name else (
                kind, sub, rest)
            self.kinds.append((kind, sub or bare_sub))
            rests.append(bare or rest)
            for key in {(kind, sub or bare_sub, rest), (kind, sub or bare_sub, bare)}:
                self.exact.setdefault(key, []).append(k)
        self.rests = rests
        self.by_commune: dict[str, list[int]] = {}
        for k, code in enumerate(self.commune_codes):
            self.by_commune.setdefault(code, []).append(k)
        self._commune_rests = {code: [rests[k] for k in members] for code, members in self.by_commune.items()}
        self._cache: dict[str, StructureMatch] = {}

    # ------------------------------------------------------------------ communes

    def commune_code(self, text: str) -> str | None:
        """The INSEE code of a commune given as a code, a name, "95310 Saint-Ouen…", or a near spelling."""
        text = text.strip()
        if not text:
            return None
        if text in self.commune_name:
            return text
        words = normalise_words(_POSTCODE.sub("", text))
        if words in self._commune_by_words:
            return self._commune_by_words[words]
        best = process.extractOne(words, self._commune_words, scorer=fuzz.ratio, processor=None, score_cutoff=90)
        return self._commune_by_words[best[0]] if best else None

    def split_commune(self, value: str) -> tuple[str, str | None]:
        """``("Centre social X", "95585")`` from "Centre social X (Sarcelles)", "… - Sarcelles", "…, Sarcelles".

        The commune may hold hyphens ("… - Saint-Ouen-l'Aumône"); without a commune suffix: ``(value, None)``.
        """
        brackets = _BRACKETS_SUFFIX.match(value)
        if brackets:
            code = self.commune_code(brackets.group(2))
            if code:
                return brackets.group(1), code
        for separator in reversed(list(_SEPARATORS.finditer(value))):
            code = self.commune_code(value[separator.end():])
            if code and value[:separator.start()].strip():
                return value[:separator.start()].strip(), code
        return value, None

    # ------------------------------------------------------------------ matching

    def match(self, value: str, commune: str = "") -> StructureMatch:
        """The structure meant by ``value`` (and the commune column's ``commune``): see the module's rules."""
        key = structure_key(value, commune)
        if key not in self._cache:
            self._cache[key] = self._match(value.strip(), commune.strip())
        cached = self._cache[key]
        return StructureMatch(cached.value, cached.commune, list(cached.candidates), cached.chosen, cached.sure)

    def candidate(self, k: int, score: float) -> Candidate:
        """The candidate for the structure at position ``k`` (see :attr:`by_id`)."""
        code = self.commune_codes[k]
        return Candidate(self.ids[k], self.names[k], self.commune_name.get(code, code), round(float(score), 1))

    def _match(self, value: str, commune: str) -> StructureMatch:
        result = StructureMatch(value, commune)
        if not value:  # an empty cell: nothing to choose (the row builder reports it)
            result.sure = True
            return result
        name, code = value, self.commune_code(commune) if commune else None
        rest, found = self.split_commune(value)
        if found:
            name, code = rest, code or found
        for text in (value, name):
            k = self.by_id.get(text.upper())
            if k is None:
                uai = _UAI_IN_TEXT.search(text.upper())
                k = self.by_id.get(uai.group(1)) if uai else None
            if k is not None:
                result.candidates, result.chosen, result.sure = [self.candidate(k, 100.0)], self.ids[k], True
                return result

        kind, sub, rest = split_name(name)
        scored = self._scored(kind, sub, rest, code)
        order = sorted(scored, key=lambda ks: (-ks[1], self.closed[ks[0]], self.names[ks[0]], self.ids[ks[0]]))
        result.candidates = [self.candidate(k, s) for k, s in order[:MAX_CANDIDATES]]
        if not order:
            return result
        exact = [k for k in self.exact.get((kind, sub, rest), []) if not code or self.commune_codes[k] == code]
        if rest and len(exact) == 1:
            result.chosen, result.sure = self.ids[exact[0]], True
            result.candidates = [self.candidate(exact[0], 100.0)] + [
                c for c in result.candidates if c.id != self.ids[exact[0]]][:MAX_CANDIDATES - 1]
            return result
        best_k, best = order[0]
        second = order[1][1] if len(order) > 1 else 0.0
        inside = not code or self.commune_codes[best_k] == code
        if inside and best >= SURE_SCORE and best - second >= SURE_MARGIN:
            result.chosen, result.sure = self.ids[best_k], True
        return result

    def _scored(self, kind: str, sub: str, rest: str, code: str | None) -> list[tuple[int, float]]:
        """(structure index, score) of the closest names: the commune's first, others after a penalty."""
        if not rest:
            return []
        found: dict[int, float] = {}

        def search(members: list[int] | None, choices: list[str], penalty: float) -> None:
            hits = process.extract(rest, choices, scorer=fuzz.ratio, processor=None, limit=_SEARCH_LIMIT,
                                   score_cutoff=_SCORE_CUTOFF)
            for _, score, position in hits:
                k = members[position] if members is not None else position
                adjusted = max(0.0, score - penalty - _kind_penalty((kind, sub), self.kinds[k]))
                if adjusted > found.get(k, -1.0):
                    found[k] = adjusted

        if code and code in self.by_commune:
            search(self.by_commune[code], self._commune_rests[code], 0.0)
            if not found or max(found.values()) < SURE_SCORE:
                search(None, self.rests, OUTSIDE_COMMUNE_PENALTY)
        else:
            search(None, self.rests, 0.0)
        return list(found.items())


def match_values(matcher: StructureMatcher, pairs: Iterable[tuple[str, str]],
                 decided: dict[str, str | None]) -> list[StructureMatch]:
    """One match per distinct ``(value, commune)``, in the order first met; empty values are left out.

    ``decided`` holds the user's choices by :func:`structure_key`: a structure
    id, or ``""`` for "aucune" (no structure: the rows are rejected). A choice
    always wins and makes the match sure; ``None`` means "not decided".
    """
    folded_decided = {fold(k): v for k, v in decided.items()}
    seen: set[str] = set()
    matches: list[StructureMatch] = []
    for value, commune in pairs:
        value, commune = str(value or "").strip(), str(commune or "").strip()
        key = structure_key(value, commune)
        if not value or key in seen:
            continue
        seen.add(key)
        found = matcher.match(value, commune)
        choice = decided.get(key, folded_decided.get(fold(key)))
        if choice is not None:
            choice = choice.strip()
            found.chosen, found.sure = (choice or None), True
            if choice and choice not in {c.id for c in found.candidates}:
                k = matcher.by_id.get(choice.upper())
                if k is not None:
                    found.candidates = [matcher.candidate(k, 100.0), *found.candidates][:MAX_CANDIDATES]
        matches.append(found)
    return matches
