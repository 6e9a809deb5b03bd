"""Statistical secrecy for funders: what a funder may read, decided in one place.

The rule (official statistics' « secret statistique », applied to the survey):

1. **Primary threshold.** A published figure rests on a population of answers;
   its size is the number of **distinct answering structures** (``repondant_id``)
   among them. A figure resting on 1 to K − 1 structures is not published
   (K: ``seuil`` of ``[secret_statistique]`` in the secrets file, default 5,
   never below 3). Zero is published (nothing to hide).
2. **Secondary suppression.** Figures are cells of a system of additive
   relations: a territory is the sum of the territories it holds (commune →
   intercommunalité → département; each level, the éducation prioritaire and
   QPV groups each partition the département), the whole is the sum of its
   breakdowns (côté école + côté centre; quality levels; REP+ + REP + hors EP),
   a question's base is the sum of its answers (citing a code + not citing it;
   each frequency…), and every figure is part of the territory's answers.
   When a published total's hidden parts (plus its never-published
   remainder) rest on 1 to K − 1 structures, the smallest published part is
   hidden too (or the total, when it has no other part), until no relation
   lets a hidden figure be recomputed by subtraction.
3. **Coarser territories and no slicing filters.** Funders see one wave at a
   time and one territory at a time; territories come from a public grouping
   where every commune (intercommunalité, territoire du projet) whose answers
   rest on 1 to K − 1 structures in some wave is merged with the other small
   ones of its enclosing level (« Autres communes · CA … »), so that each
   offered territory and its complement within the enclosing level rest on 0 or
   at least K structures. Filters on the answers (forme, fréquence, qualité)
   and on structure types are not offered: the complement « all minus the
   filter » would have to be checked cell by cell. A URL asking for what is not
   offered shows the enclosing level, and says so.
4. **No individual detail.** The funders' copy of the data set has no date,
   mode, respondent function or free text: the figures are made from it alone.

``public_dataset`` builds that copy once per data set; ``lib.filters.apply_filters``
carries its ``Secret`` into every ``View``, and the analysis functions of
``lib.metrics`` and ``lib.impact`` blank what ``Secret.hidden`` says
(``lib.secrecy_tables``), so pages, PDF, XLSX and the command line all say the
same thing. ``lib.secrecy_audit.check_publications`` is the auditor the tests
use on what comes out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from lib.dataset import Dataset
from lib.filters import ALL_WAVES, Filters, filters_from_query
from lib.questionnaire import load_questionnaire
from lib.territories import NO_TERRITORY, OUTSIDE_EP

DEFAULT_K = 5
MIN_K = 3
SETTINGS_TABLE = "secret_statistique"
SETTINGS_KEY = "seuil"
SECRET = "secret"  # what a hidden cell shows

DEPARTEMENT = ("D", "")
# Levels whose small territories are merged with their neighbours for funders (level → column, enclosing).
GROUPED = {"commune": ("commune", "epci_nom"), "epci": ("epci_nom", None), "territoire": ("territoire", None)}
FAMILIES = {"commune": "commune", "epci": "epci_nom", "territoire": "territoire",
            "education_prioritaire": "education_prioritaire_groupe", "qpv": "qpv_groupe"}
OTHERS = {"commune": "Autres communes · {parent}", "epci": "Autres intercommunalités",
          "territoire": "Autres territoires"}
SIDE_BREAKDOWNS = ("ecole", "centre")
QUALITY_BREAKDOWNS = ("q1", "q2", "q3", "q4")
EP_BREAKDOWNS = ("REP+", "REP", "EP", "hors_ep")
ANY = "reponses"  # the item « every answer of the territory »
# Questions a funder sees, how their unit is counted and which breakdowns they are shown by.
QUESTIONS = {
    "leviers": ("answer", "multi", ("all", *SIDE_BREAKDOWNS, *QUALITY_BREAKDOWNS)),
    "freins": ("answer", "multi", ("all", *SIDE_BREAKDOWNS, *QUALITY_BREAKDOWNS)),
    "formes": ("link", "multi", ("all",)),
    "objets": ("link", "multi", ("all",)),
    "frequence": ("link", "single", ("all",)),
    "qualite": ("answer", "single", ("all",)),
    "satisfaction": ("link", "single", ("all",)),  # links rated satisfaisant or better (impact)
}
SATISFYING = 3


def secrecy_threshold(settings: Mapping) -> int:
    """K, the least number of answering structures behind a funder's figure.

    Read from ``[secret_statistique] seuil`` of the settings (the secrets file):
    default 5, never below 3; a value that is not a whole number is ignored.
    """
    table = settings.get(SETTINGS_TABLE) if isinstance(settings, Mapping) else None
    value = table.get(SETTINGS_KEY) if isinstance(table, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        return DEFAULT_K
    return max(MIN_K, int(value))


def secret_note(k: int) -> str:
    """What a funder reads beside a hidden figure."""
    return f"secret statistique (moins de {k} structures)"


# --------------------------------------------------------------------------- public grouping


def _unsafe(counts: pd.Series | pd.DataFrame, k: int) -> bool:
    values = np.asarray(counts, dtype=np.int64).reshape(-1)
    return bool(((values > 0) & (values < k)).any())


def _merge_small(members: list[str], per_label: Callable[[list[str]], np.ndarray], k: int,
                 other: str) -> dict[str, str]:
    """Members whose answers rest on 1 to K − 1 structures in some wave go to ``other``, with as many more
    (smallest first) as it takes for ``other`` itself to rest on 0 or at least K structures in every wave."""
    small = [m for m in members if _unsafe(per_label([m]), k)]
    if not small:
        return {m: m for m in members}
    merged = list(small)
    rest = sorted((m for m in members if m not in small), key=lambda m: (int(per_label([m]).min()), m))
    while _unsafe(per_label(merged), k) and rest:
        merged.append(rest.pop(0))
    return {m: (other if m in merged else m) for m in members}


def public_groups(structures: pd.DataFrame, reponses: pd.DataFrame, k: int) -> dict[str, dict[str, str]]:
    """For commune, EPCI and territoire du projet: each name → the public group it is shown in.

    A group rests on 0 or at least K answering structures in every wave, and so
    does its complement within the enclosing level (the other groups).
    """
    schools = structures[structures["famille"] == "ecole"].set_index("id")
    respondents = reponses[["vague", "repondant_id", "ecole_id"]]
    out: dict[str, dict[str, str]] = {}

    def counter(column: str) -> Callable[[list[str]], np.ndarray]:
        labels = respondents["ecole_id"].map(schools[column])
        cache: dict[tuple[str, ...], np.ndarray] = {}

        def per_label(names: list[str]) -> np.ndarray:
            key = tuple(sorted(names))
            if key not in cache:
                chosen = labels.isin(names).to_numpy(dtype=bool)
                cache[key] = respondents[chosen].groupby("vague")["repondant_id"].nunique().to_numpy(dtype=np.int64)
            return cache[key] if len(cache[key]) else np.zeros(1, dtype=np.int64)
        return per_label

    for level, (column, parent) in GROUPED.items():
        names = structures[column].dropna().astype(str)
        per_label = counter(column)
        mapping: dict[str, str] = {}
        if parent is None:
            mapping = _merge_small(sorted(set(names)), per_label, k, OTHERS[level])
        else:
            pairs = structures[[column, parent]].dropna().astype(str).drop_duplicates()
            for parent_name, members in pairs.groupby(parent)[column]:
                mapping.update(_merge_small(sorted(set(members)), per_label, k,
                                            OTHERS[level].format(parent=_short(parent_name))))
        out[level] = mapping
    return out


def _short(epci: str) -> str:
    for long, short in (("Communauté d'agglomération ", "CA "), ("Communauté de communes ", "CC "),
                        ("Communauté urbaine ", "CU "), ("Métropole ", "")):
        if epci.startswith(long):
            return short + epci[len(long):]
    return epci


# --------------------------------------------------------------------------- decisions


Node = tuple[tuple[str, str], str, str]  # (territory node, breakdown, item)


@dataclass
class _Engine:
    """The populations of one wave's candidate figures and the additive relations between them."""

    respondent: np.ndarray
    k: int
    territories: dict[tuple[str, str], np.ndarray]
    breakdowns: dict[str, np.ndarray]
    items: dict[str, np.ndarray]
    sizes: dict[Node, int] = field(default_factory=dict)
    masks: dict[Node, np.ndarray] = field(default_factory=dict)

    def size_of(self, mask: np.ndarray) -> int:
        """Distinct answering structures among the answers of ``mask`` (``respondent`` holds small ints)."""
        return int(np.count_nonzero(np.bincount(self.respondent[mask], minlength=1))) if mask.any() else 0

    def mask(self, node: Node) -> np.ndarray:
        found = self.masks.get(node)
        if found is None:
            territory, breakdown, item = node
            found = self.territories[territory] & self.breakdowns[breakdown] & self.items[item]
            self.masks[node] = found
            self.sizes[node] = self.size_of(found)
        return found

    def size(self, node: Node) -> int:
        self.mask(node)
        return self.sizes[node]


def _answer_arrays(structures: pd.DataFrame, reponses: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per answer: its school's public territory at every level, its link id, its rating."""
    schools = structures[structures["famille"] == "ecole"].set_index("id")
    out = {level: reponses["ecole_id"].map(schools[column]).astype(object).to_numpy()
           for level, column in FAMILIES.items()}
    out["link"] = reponses.groupby(["ecole_id", "centre_id"], sort=False, observed=True).ngroup().to_numpy()
    out["rating"] = reponses["qualite"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return out


def _link_any(link: np.ndarray, per_answer: np.ndarray) -> np.ndarray:
    """Per answer: whether some answer of its link has ``per_answer``."""
    if not len(link):
        return per_answer
    hit = np.zeros(int(link.max()) + 1, dtype=bool)
    hit[link[per_answer]] = True
    return hit[link]


def _items(reponses: pd.DataFrame, arrays: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict]:
    """Answer masks of every item (question base and codes), and each question's codes."""
    q = load_questionnaire()
    n = len(reponses)
    link = arrays["link"]
    items: dict[str, np.ndarray] = {ANY: np.ones(n, dtype=bool)}
    codes_of: dict[str, list[str]] = {}
    for question, (unit, _kind, _b) in QUESTIONS.items():
        if question == "satisfaction":
            rating = arrays["rating"]
            rated = ~np.isnan(rating)
            sums = np.bincount(link, weights=np.where(rated, rating, 0.0), minlength=int(link.max()) + 1 if n else 0)
            counts = np.bincount(link, weights=rated.astype(float), minlength=len(sums))
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = sums / counts
            base = (counts > 0)[link] if n else rated
            sat = (mean >= SATISFYING)[link] & base if n else rated
            cells = {"sat": sat, "non_sat": base & ~sat}
        elif question == "qualite":
            rating = arrays["rating"]
            cells = {code: rating == float(code) for code in q["qualites"].codes}
            base = ~np.isnan(rating)
        elif question == "frequence":
            level = reponses["frequence"].cat.codes.to_numpy(dtype=np.int64)
            highest = np.full(int(link.max()) + 1 if n else 0, -1, dtype=np.int64)
            np.maximum.at(highest, link, level)
            per_link = highest[link] if n else level
            codes = list(reponses["frequence"].cat.categories)
            cells = {code: per_link == i for i, code in enumerate(codes)}
            base = per_link >= 0
        else:
            codes = load_questionnaire().for_column("reponses", question).codes
            cited = reponses[question].tolist()
            cells = {}
            for code in codes:
                own = np.fromiter((code in c for c in cited), dtype=bool, count=n)
                cells[code] = _link_any(link, own) if unit == "link" else own
            known = set(codes)
            own_base = np.fromiter((not known.isdisjoint(c) for c in cited), dtype=bool, count=n)
            base = _link_any(link, own_base) if unit == "link" else own_base
        items[f"{question}:BASE"] = base
        for code, mask in cells.items():
            items[f"{question}:{code}"] = mask & base
        codes_of[question] = list(cells)
    return items, codes_of


def _breakdowns(reponses: pd.DataFrame, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = len(reponses)
    side = reponses["cote"].astype(object).to_numpy()
    ep = arrays["education_prioritaire"]
    out = {"all": np.ones(n, dtype=bool), "ecole": side == "ecole", "centre": side == "centre",
           "REP+": ep == "REP+", "REP": ep == "REP", "hors_ep": ep == OUTSIDE_EP}
    out["EP"] = out["REP+"] | out["REP"]
    for i, name in enumerate(QUALITY_BREAKDOWNS, start=1):
        out[name] = arrays["rating"] == float(i)
    return out


def _relations(engine: _Engine, families: dict[str, list[tuple[str, str]]], nesting: dict[tuple, list[tuple]],
               codes_of: dict[str, list[str]]) -> list[tuple[Node, list[Node], np.ndarray | None]]:
    """Every additive relation: (total, its published parts, the never-published remainder)."""
    relations = []
    territories = list(engine.territories)
    item_breakdowns: dict[str, tuple[str, ...]] = {ANY: ("all", *SIDE_BREAKDOWNS, *EP_BREAKDOWNS)}
    for question, (_u, _kind, breakdowns) in QUESTIONS.items():
        for item in [f"{question}:BASE", *(f"{question}:{c}" for c in codes_of[question])]:
            item_breakdowns[item] = breakdowns

    def remainder(total: Node, parts: list[Node]) -> np.ndarray | None:
        rest = engine.mask(total).copy()
        for part in parts:
            rest &= ~engine.mask(part)
        return rest if rest.any() else None

    def add(total: Node, parts: list[Node]) -> None:
        if engine.size(total) == 0:
            return
        relations.append((total, parts, remainder(total, parts)))

    for item, breakdowns in item_breakdowns.items():
        for b in breakdowns:
            for members in families.values():  # each level partitions the département
                add((DEPARTEMENT, b, item), [(t, b, item) for t in members])
            for parent, members in nesting.items():  # communes within their intercommunalité
                add((parent, b, item), [(t, b, item) for t in members])
    for t in territories:
        for item, breakdowns in item_breakdowns.items():
            if set(SIDE_BREAKDOWNS) <= set(breakdowns):
                add((t, "all", item), [(t, b, item) for b in SIDE_BREAKDOWNS])
            if set(QUALITY_BREAKDOWNS) <= set(breakdowns):
                add((t, "all", item), [(t, b, item) for b in QUALITY_BREAKDOWNS])
            if "EP" in breakdowns:
                add((t, "all", item), [(t, b, item) for b in ("REP+", "REP", "hors_ep")])
                add((t, "EP", item), [(t, b, item) for b in ("REP+", "REP")])
                add((t, "all", item), [(t, b, item) for b in ("EP", "hors_ep")])
        for question, (_u, kind, breakdowns) in QUESTIONS.items():
            for b in breakdowns:
                base = (t, b, f"{question}:BASE")
                cells = [(t, b, f"{question}:{c}") for c in codes_of[question]]
                if kind == "single":
                    add(base, cells)
                for cell in cells:
                    add(base, [cell])
                    add((t, b, ANY), [cell])
                add((t, b, ANY), [base])
    return relations


def _nested_pairs(engine: _Engine) -> list[tuple[Node, Node]]:
    """Pairs (part, whole) of figures of the same kind whose answers nest and whose difference rests on 1 to
    K − 1 structures, whatever the reason (a commune holding every REP+ school, a quality level everyone in a
    group gave…): if both were published, subtracting one from the other would give a secret figure."""
    k = engine.k
    by_item: dict[str, list[Node]] = {}
    for node, size in engine.sizes.items():
        if size > 0:
            by_item.setdefault(node[2], []).append(node)
    n_structures = int(engine.respondent.max()) + 1 if len(engine.respondent) else 0
    one_hot = np.zeros((len(engine.respondent), n_structures), dtype=np.float32)
    one_hot[np.arange(len(engine.respondent)), engine.respondent] = 1.0
    pairs: list[tuple[Node, Node]] = []
    for nodes in by_item.values():
        if len(nodes) < 2:
            continue
        matrix = np.array([engine.masks[n] for n in nodes], dtype=np.float32)
        per_structure = matrix @ one_hot  # answers per structure: a difference of nested populations subtracts
        count = matrix.sum(axis=1)
        nested = (np.abs(matrix @ matrix.T - count[:, None]) < 0.5) & (count[:, None] < count[None, :])
        small, large = np.nonzero(nested)
        rest = ((per_structure[large] - per_structure[small]) > 0.5).sum(axis=1)
        keep = (rest > 0) & (rest < k)
        pairs += [(nodes[i], nodes[j]) for i, j in zip(small[keep], large[keep])]
    return pairs


def _decide(engine: _Engine, relations: list) -> set[Node]:
    """Primary then secondary suppression: the figures a funder must not read.

    Figures resting on the same answers are one figure (a commune group holding a whole intercommunalité,
    a question everyone answered…): hiding one hides all of them, or the other would still publish it.
    Secondary suppression runs until stable: the additive relations (a hidden part and the published total),
    then any two published figures of the same kind whose answers happen to nest.
    """
    k = engine.k
    aliases: dict[bytes, list[Node]] = {}
    for node, mask in engine.masks.items():
        aliases.setdefault(np.packbits(mask).tobytes(), []).append(node)
    hidden: set[Node] = set()

    def hide(node: Node) -> None:
        hidden.update(aliases.get(np.packbits(engine.mask(node)).tobytes(), [node]))

    for node, size in list(engine.sizes.items()):
        if 0 < size < k:
            hide(node)
    nested_pairs = _nested_pairs(engine)
    while True:
        changed = True
        while changed:
            changed = False
            for total, parts, rest in relations:
                if total in hidden:
                    continue
                masks = [engine.mask(p) for p in parts if p in hidden]
                if rest is not None:
                    masks.append(rest)
                if not masks:
                    continue
                union = np.logical_or.reduce(masks) if len(masks) > 1 else masks[0]
                size = engine.size_of(union)
                if 0 < size < k:
                    shown = [p for p in parts if p not in hidden and engine.size(p) > 0]
                    hide(min(shown, key=lambda p: (engine.size(p), p)) if shown else total)
                    changed = True
        nested = [part for part, whole in nested_pairs if part not in hidden and whole not in hidden]
        if not nested:
            return hidden
        for node in nested:
            hide(node)


def wave_decisions(structures: pd.DataFrame, reponses: pd.DataFrame, k: int) -> tuple[set[Node], dict[Node, int]]:
    """The hidden figures of one wave of a (public) data set, and every candidate's number of structures."""
    arrays = _answer_arrays(structures, reponses)
    items, codes_of = _items(reponses, arrays)
    families: dict[str, list[tuple[str, str]]] = {}
    territories: dict[tuple[str, str], np.ndarray] = {DEPARTEMENT: np.ones(len(reponses), dtype=bool)}
    for level in FAMILIES:
        labels = arrays[level]
        names = sorted({str(v) for v in labels if v is not None and v == v})
        families[level] = [(level, name) for name in names]
        for name in names:
            territories[(level, name)] = labels == name
    nesting: dict[tuple, list[tuple]] = {}
    for commune, epci in zip(arrays["commune"], arrays["epci"]):
        if commune is None or epci is None or commune != commune or epci != epci:
            continue
        members = nesting.setdefault(("epci", str(epci)), [])
        if ("commune", str(commune)) not in members:
            members.append(("commune", str(commune)))
    _names, respondent = np.unique(reponses["repondant_id"].astype(str).to_numpy(), return_inverse=True)
    engine = _Engine(respondent.astype(np.int64), k, territories,
                     _breakdowns(reponses, arrays), items)
    relations = _relations(engine, families, nesting, codes_of)
    for t in territories:  # every candidate's size, for the primary rule
        for item in items:
            engine.size((t, "all", item))
    return _decide(engine, relations), dict(engine.sizes)


# --------------------------------------------------------------------------- the funders' data set


@dataclass(frozen=True)
class Secret:
    """What the funders' copy of a data set may show: K, hidden figures per wave, territories offered."""

    k: int
    hidden_by_wave: dict[str, frozenset]
    offered: dict[str, tuple[str, ...]]  # level → public territories a funder may choose
    public_name: dict[str, dict[str, str]]  # level → real name → public group
    epci_of: dict[str, str] = field(default_factory=dict)  # real commune → real EPCI

    def hidden(self, wave: str, territory: tuple[str, str], breakdown: str, item: str) -> bool:
        """Whether the figure is secret; fails closed on a wave it does not know (e.g. every wave pooled)."""
        found = self.hidden_by_wave.get(str(wave))
        if found is None:
            return True
        return (territory, breakdown, item) in found

    @property
    def note(self) -> str:
        return secret_note(self.k)

    def enclosing(self, level: str, name: str) -> tuple[str, str | None]:
        """Where a territory asked for is shown: itself when offered, else its intercommunalité, else the
        département (``(level, None)``)."""
        public = self.public_name.get(level, {}).get(name, name)
        if public in self.offered.get(level, ()):
            return level, public
        if level == "commune":
            epci = self.public_name.get("epci", {}).get(self.epci_of.get(name, ""), "")
            if epci in self.offered.get("epci", ()):
                return "epci", epci
        return level, None


_PUBLIC_COPIES: dict[tuple, Dataset] = {}


def public_dataset_cached(dataset: Dataset, signature: tuple, k: int) -> Dataset:
    """``public_dataset`` once per data set version (folder, files' signature) and threshold, for the process.

    The decisions take seconds; Streamlit's caches are cleared by tests and restarts of a session, not this.
    """
    key = (str(dataset.folder), signature, k)
    if key not in _PUBLIC_COPIES:
        while len(_PUBLIC_COPIES) >= 4:
            _PUBLIC_COPIES.pop(next(iter(_PUBLIC_COPIES)))
        _PUBLIC_COPIES[key] = public_dataset(dataset, k)
    return _PUBLIC_COPIES[key]


def public_dataset(dataset: Dataset, k: int) -> Dataset:
    """The funders' copy of a data set: public territories, no individual detail, the hidden figures decided."""
    groups = public_groups(dataset.structures, dataset.reponses, k)
    structures = dataset.structures.copy()
    for level, (column, _parent) in GROUPED.items():
        structures[column] = structures[column].map(lambda v, m=groups[level]: m.get(str(v), v) if v == v else v)
    reponses = dataset.reponses.copy()
    n = len(reponses)
    for column in ("date", "mode", "repondant_fonction"):
        if column in reponses:
            dtype = reponses[column].dtype
            reponses[column] = pd.Series([None] * n, index=reponses.index, dtype=object).astype(dtype) \
                if not isinstance(dtype, pd.CategoricalDtype) else pd.Categorical([None] * n, dtype=dtype)
    for column in ("ressources", "outils", "pistes", "commentaire"):
        if column in reponses:
            reponses[column] = ""
    hidden: dict[str, frozenset] = {}
    offered: dict[str, set[str]] = {level: set() for level in FAMILIES}
    refused: dict[str, set[str]] = {level: set() for level in FAMILIES}
    for wave in dataset.waves:
        in_wave = reponses[(reponses["vague"] == wave).to_numpy(dtype=bool)]
        decided, sizes = wave_decisions(structures, in_wave, k)
        hidden[str(wave)] = frozenset(decided)
        for (territory, breakdown, item), size in sizes.items():
            if breakdown == "all" and item == ANY and territory != DEPARTEMENT:
                level, name = territory
                (refused if (territory, "all", ANY) in decided else offered)[level].add(name)
    territoires = {code: groups["territoire"].get(label, label) for code, label in dataset.territoires.items()}
    secret = Secret(k, hidden, {level: tuple(sorted(offered[level] - refused[level] - {NO_TERRITORY}))
                                for level in FAMILIES}, groups,
                    dict(dataset.structures[["commune", "epci_nom"]].dropna().astype(str).drop_duplicates()
                         .itertuples(index=False, name=None)))
    return replace(dataset, structures=structures, reponses=reponses, territoires=territoires, secret=secret)


def secret_method_text(k: int) -> str:
    """The rule, in French, for the « Méthode » of every funder surface (page, PDF)."""
    return (f"Secret statistique : un chiffre qui repose sur moins de {k} structures ayant répondu est masqué "
            f"(« {SECRET} ») ; un autre chiffre l'est aussi quand il permettrait de le retrouver par soustraction "
            "(à partir d'un total, d'un territoire englobant ou d'une autre répartition). Les communes (et "
            "intercommunalités) où trop peu de structures ont répondu sont regroupées (« Autres communes · … ») ; "
            "les chiffres sont donnés une vague à la fois, sans filtre sur les réponses ; aucune date, aucun mode "
            "d'entretien ni aucune fonction de répondant n'est publié.")


# --------------------------------------------------------------------------- what a funder may choose


def funder_filters(params: Mapping[str, object], public: Dataset) -> tuple[Filters, list[str]]:
    """A funder's filters from URL parameters, and what was changed and why (French, for the page).

    One wave (the latest when none or every wave is asked), one territory among
    those offered (else its intercommunalité, else the département), no filter on
    structure types or answers.
    """
    secret: Secret = public.secret
    asked = filters_from_query(params, public)
    notes: list[str] = []
    waves = public.waves
    wave = asked.wave
    if wave == ALL_WAVES and waves:
        wave = waves[-1]
        if ALL_WAVES in _values(params.get("vague")):
            notes.append(f"Les chiffres sont donnés une vague à la fois (ici la vague {wave}) : additionner les "
                         "vagues permettrait de retrouver par soustraction des chiffres masqués.")
    dropped = [label for key, label in (("type", "types de structure"), ("forme", "formes"),
                                        ("frequence", "fréquences"), ("qualite", "qualités"))
               if _values(params.get(key))]
    if dropped:
        notes.append(f"Le filtre sur les {', '.join(dropped)} n'est pas proposé aux financeurs : il isolerait trop "
                     "peu de structures (secret statistique). Les chiffres portent sur toutes les réponses.")
    level, territories = asked.level, ()
    requested = _values(params.get("territoire"))
    if requested:
        name = requested[0]
        shown_level, shown = secret.enclosing(level, name)
        if shown is not None and (shown_level, shown) == (level, name):
            territories = (name,)
        else:
            where = (f"de l'intercommunalité « {shown} »" if shown_level == "epci" and shown is not None
                     else f"du territoire « {shown} »" if shown is not None else "du département")
            notes.append(f"« {name} » : trop peu de structures y ont répondu pour en publier les chiffres sans "
                         f"risque de désigner l'une d'elles (secret statistique, moins de {secret.k} structures). "
                         f"Les chiffres affichés sont ceux {where}.")
            level, territories = shown_level, ((shown,) if shown is not None else ())
        if len(requested) > 1:
            notes.append("Un seul territoire à la fois : la somme de plusieurs territoires permettrait de retrouver "
                         "par soustraction des chiffres masqués.")
    return Filters(wave=wave, level=level, territories=territories), notes


def _values(value: object) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[union-attr]
