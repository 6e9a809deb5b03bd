"""The fictional demo's building blocks: what it draws (communes, structures, links) and how it draws.

Only the standard library's ``random.Random`` draws numbers, in a fixed order,
so the output does not depend on numpy's version (see :mod:`lib.demo_generator`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import shapely

from lib.demo_vocabulary import DEFAULT_WEIGHT, STREET_KINDS, STREET_NAMES, UAI_CHECK_LETTERS

# The Val-d'Oise latitude the distances were first computed at; each profile gives its own.
VAL_D_OISE_LATITUDE = 49.05


@dataclass
class Commune:
    """A real commune of the département, with the profile the generator gives it."""

    code: str
    nom: str
    population: int
    epci_code: str
    epci_nom: str
    polygon: object
    good_epci: bool = False
    rural: bool = False
    rep_plus_share: float = 0.0
    rep_share: float = 0.0


@dataclass
class Quartier:
    """A fictional QPV: a centre point and a radius in km."""

    qpv: str
    commune: str
    lat: float
    lon: float
    radius_km: float


@dataclass
class Structure:
    """One row of structures.csv; ``lat``/``lon`` are kept even when not shown."""

    id: str
    type: str
    nom: str
    commune: str
    adresse: str
    lat: float
    lon: float
    education_prioritaire: str = ""
    qpv: str = ""
    position_shown: bool = True


@dataclass
class Link:
    """A school–centre link and its hidden traits, wave by wave."""

    ecole_id: str
    centre_id: str
    intensity: float
    formes: list[str]
    quality: dict[str, float] = field(default_factory=dict)


@dataclass
class Interview:
    """One structure's interview in one wave: it covers all its links."""

    date: date
    mode: str
    fonction: str


def weighted_choice(rng: random.Random, weights: dict[str, float]) -> str:
    """One key drawn with probability proportional to its weight."""
    keys = [k for k, w in weights.items() if w > 0]
    return rng.choices(keys, [weights[k] for k in keys])[0]


def weighted_sample(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    """Up to ``k`` distinct keys, drawn one by one proportionally to their weights."""
    pool = {key: w for key, w in weights.items() if w > 0}
    picked: list[str] = []
    while pool and len(picked) < k:
        key = weighted_choice(rng, pool)
        picked.append(key)
        del pool[key]
    return picked


def code_weights(codes: list[str], table: dict[str, float], boosts: list[dict[str, float]] = ()) -> dict[str, float]:
    """Weights for every questionnaire code: table value (or default) times boosts."""
    weights = {}
    for code in codes:
        w = table.get(code, DEFAULT_WEIGHT)
        for boost in boosts:
            w *= boost.get(code, 1.0)
        weights[code] = round(w, 6)
    return weights


def allocate(weights: dict[str, float], total: int, minimum: dict[str, int]) -> dict[str, int]:
    """Share ``total`` items out by weight (largest remainder), honouring minimums."""
    counts = dict(minimum)
    rest = total - sum(counts.values())
    weight_sum = sum(weights.values())
    if rest <= 0 or weight_sum <= 0:
        return counts
    quotas = {k: rest * w / weight_sum for k, w in weights.items()}
    for k, q in quotas.items():
        counts[k] = counts.get(k, 0) + int(q)
    left = total - sum(counts.values())
    by_remainder = sorted(quotas, key=lambda k: (-(quotas[k] - int(quotas[k])), k))
    for k in by_remainder[:left]:
        counts[k] += 1
    return counts


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float, lat0: float = VAL_D_OISE_LATITUDE) -> float:
    """Equirectangular distance at latitude ``lat0``, plenty for a département."""
    dy = (lat2 - lat1) * 111.2
    dx = (lon2 - lon1) * 111.2 * math.cos(math.radians(lat0))
    return math.hypot(dx, dy)


def random_point(rng: random.Random, polygon, near: tuple[float, float, float] | None = None,
                 lat0: float = VAL_D_OISE_LATITUDE) -> tuple[float, float]:
    """A uniform random (lat, lon) inside ``polygon``, optionally within ``near`` = (lat, lon, km)."""
    minx, miny, maxx, maxy = polygon.bounds
    if near is not None:
        lat, lon, km = near
        dlat, dlon = km / 111.2, km / (111.2 * math.cos(math.radians(lat)))
        for _ in range(200):
            y, x = rng.uniform(lat - dlat, lat + dlat), rng.uniform(lon - dlon, lon + dlon)
            if distance_km(lat, lon, y, x, lat0) <= km and shapely.contains_xy(polygon, x, y):
                return y, x
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, x, y):
            return y, x


def uai_code(number: int, prefix: str = "095") -> str:
    """The département's 3-digit prefix + 4 digits + check letter, e.g. 0958123K."""
    digits = f"{prefix}{number:04d}"
    return digits + UAI_CHECK_LETTERS[int(digits) % 23]


def fictional_address(rng: random.Random, big_town: bool) -> str:
    """A made-up street address such as "12 rue des Lilas"."""
    kinds = STREET_KINDS if big_town else [k for k in STREET_KINDS if k != "boulevard"]
    kind = rng.choice(kinds)
    name = rng.choice(STREET_NAMES)
    return f"{rng.randint(1, 120)} {kind} {name}"


def working_days(periods: list[tuple[date, date]]) -> list[date]:
    """Every Monday–Friday inside the periods."""
    days = []
    for start, end in periods:
        day = start
        while day <= end:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
    return days


