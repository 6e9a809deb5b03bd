"""Which territorial contrasts the fictional demo draws, for the Val d'Oise or any other département.

The Val d'Oise profile is set by hand (:data:`VAL_D_OISE_PRIORITY_COMMUNES`,
the « good » EPCI of Cergy-Pontoise and Val Parisis, the rural Vexin, the real
kick-off of 5 June 2018). Any other département gets one chosen from its
reference alone, deterministically (:func:`derived_profile`): éducation
prioritaire in its most populous communes, a rural EPCI when its least dense
one is sparse, one or more « good » EPCI picked by a seeded rule, sizes scaled
by population. Nothing in it is real but the communes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from lib.demo_model import VAL_D_OISE_LATITUDE, Commune
from lib.demo_vocabulary import (DEMO_SUFFIX, N_CENTRES_SOCIAUX, N_EVS, TARGET_COLLEGES, TARGET_ECOLES,
                                 TARGET_LYCEES, DemoError)

VAL_D_OISE = "95"
# Éducation prioritaire: commune INSEE code → (share of REP+, share of REP) among
# its écoles and collèges. REP+ is concentrated in a few big towns.
VAL_D_OISE_PRIORITY_COMMUNES: dict[str, tuple[float, float]] = {
    "95585": (0.45, 0.28),  # Sarcelles
    "95268": (0.52, 0.28),  # Garges-lès-Gonesse
    "95680": (0.50, 0.30),  # Villiers-le-Bel
    "95018": (0.16, 0.24),  # Argenteuil
    "95127": (0.18, 0.24),  # Cergy
    "95280": (0.00, 0.55),  # Goussainville
    "95277": (0.00, 0.42),  # Gonesse
    "95500": (0.00, 0.36),  # Pontoise
    "95063": (0.00, 0.45),  # Bezons
    "95487": (0.00, 0.45),  # Persan
    "95250": (0.00, 0.45),  # Fosses
    "95427": (0.00, 0.35),  # Montmagny
    "95572": (0.00, 0.32),  # Saint-Ouen-l'Aumône
    "95019": (0.00, 0.35),  # Arnouville
    "95197": (0.00, 0.22),  # Deuil-la-Barre
    "95052": (0.00, 0.35),  # Beaumont-sur-Oise
    "95351": (0.00, 0.25),  # Louvres
    "95218": (0.00, 0.18),  # Éragny
    "95219": (0.00, 0.12),  # Ermont
    "95252": (0.00, 0.12),  # Franconville
}
# EPCI (matched on a fragment of their name) whose links are better and more
# often weekly; the rural Vexin has few, occasional links.
GOOD_EPCI_FRAGMENTS = ("Cergy-Pontoise", "Val Parisis")
RURAL_EPCI_FRAGMENT = "Vexin"
# The one real event of the Val-d'Oise demo.
VAL_D_OISE_KICKOFF = {
    "date": date(2018, 6, 5),
    "titre": "Tour d'horizon des liens École – Centres sociaux",
    "type": "lancement",
    "lieu": "Maison Pour Tous, 8 place de la Commune de Paris, Argenteuil",
    "commune_insee": "95018",
    "heure_debut": "09:00",
    "heure_fin": "12:30",
}

# Derived profiles. The Val d'Oise's population (about 1.25 million) is the scale of the target sizes.
VAL_D_OISE_POPULATION = 1_250_000
# Éducation prioritaire: the most populous communes until they hold this share of the population…
PRIORITY_POPULATION_SHARE = 0.3
MAX_PRIORITY_COMMUNES = 20
# … among towns of at least this size (the largest commune always counts).
MIN_PRIORITY_POPULATION = 10_000
# An EPCI is rural below this density (inhabitants per km²; the Vexin is under 100).
RURAL_DENSITY = 150.0
# About one EPCI in six has « good » links (2 of the Val d'Oise's 12).
EPCI_PER_GOOD = 6
KM_PER_DEGREE = 111.2
# A reference without populations (Mayotte's has none): communes get this many inhabitants per km², for the demo only.
DENSITY_WHEN_UNKNOWN = 600.0


@dataclass(frozen=True)
class DemoProfile:
    """The contrasts and sizes of one département's demo."""

    departement: str  # INSEE code: « 95 », « 2A », « 974 »
    priority_communes: Mapping[str, tuple[float, float]]
    good_epci: frozenset[str]  # EPCI codes
    rural_epci: frozenset[str]
    kickoff: Mapping[str, object]
    latitude: float = VAL_D_OISE_LATITUDE  # for distances in km
    ecoles: int = TARGET_ECOLES
    colleges: int = TARGET_COLLEGES
    lycees: int = TARGET_LYCEES
    centres_sociaux: int = N_CENTRES_SOCIAUX
    evs: int = N_EVS
    # The Val d'Oise's hand-made profile: its README tells the real kick-off and the chosen towns.
    hand_made: bool = False
    priority_names: tuple[str, ...] = field(default=())  # for the README

    @property
    def uai_prefix(self) -> str:
        """The 3 digits UAI codes start with: 095, 974; Corse's are 620 (2A) and 720 (2B)."""
        return {"2A": "620", "2B": "720"}.get(self.departement, self.departement.zfill(3))

    @property
    def qpv_prefix(self) -> str:
        """« QN0950 », « QN9740 », « QN02A0 »: fictional QPV codes of the département."""
        return f"QN{self.departement.zfill(3)}0"

    def apply(self, communes: Mapping[str, Commune]) -> None:
        """Give each commune its EPCI traits and éducation-prioritaire shares."""
        for code, commune in communes.items():
            commune.good_epci = commune.epci_code in self.good_epci
            commune.rural = commune.epci_code in self.rural_epci
            commune.rep_plus_share, commune.rep_share = self.priority_communes.get(code, (0.0, 0.0))


def val_d_oise_profile(communes: Mapping[str, Commune]) -> DemoProfile:
    """The hand-made Val-d'Oise profile, its EPCI found by name fragment in the reference."""
    good = frozenset(c.epci_code for c in communes.values() if any(f in c.epci_nom for f in GOOD_EPCI_FRAGMENTS))
    rural = frozenset(c.epci_code for c in communes.values() if RURAL_EPCI_FRAGMENT in c.epci_nom)
    missing = [f for f in (*GOOD_EPCI_FRAGMENTS, RURAL_EPCI_FRAGMENT)
               if not any(f in c.epci_nom for c in communes.values())]
    if missing:
        raise DemoError(f"démonstration : aucun EPCI ne contient {missing}")
    return DemoProfile(VAL_D_OISE, VAL_D_OISE_PRIORITY_COMMUNES, good, rural, VAL_D_OISE_KICKOFF, hand_made=True)


def area_km2(commune: Commune) -> float:
    """The commune's area, from its outline in degrees (equal-area enough at the scale of a commune)."""
    minx, miny, maxx, maxy = commune.polygon.bounds
    return commune.polygon.area * KM_PER_DEGREE ** 2 * math.cos(math.radians((miny + maxy) / 2))


def fill_missing_populations(communes: Mapping[str, Commune]) -> bool:
    """When the reference gives no commune a population, estimate each from its area; True when it did."""
    if any(c.population > 0 for c in communes.values()):
        return False
    for commune in communes.values():
        commune.population = round(area_km2(commune) * DENSITY_WHEN_UNKNOWN)
    return True


def priority_shares(rng: random.Random, communes: Mapping[str, Commune]) -> dict[str, tuple[float, float]]:
    """(REP+, REP) shares for the most populous communes; REP+ in the first quarter of them."""
    by_size = sorted(communes.values(), key=lambda c: (-c.population, c.code))
    total = sum(c.population for c in by_size) or 1
    chosen: list[Commune] = []
    for commune in by_size:
        covered = sum(c.population for c in chosen)
        if chosen and (covered >= PRIORITY_POPULATION_SHARE * total or len(chosen) >= MAX_PRIORITY_COMMUNES
                       or commune.population < MIN_PRIORITY_POPULATION):
            break
        chosen.append(commune)
    n_plus = max(1, round(len(chosen) / 4))
    shares = {}
    for rank, commune in enumerate(chosen):
        if rank < n_plus:
            shares[commune.code] = (round(rng.uniform(0.3, 0.5), 2), round(rng.uniform(0.2, 0.3), 2))
        else:
            shares[commune.code] = (0.0, round(rng.uniform(0.15, 0.45), 2))
    return shares


def epci_roles(rng: random.Random, communes: Mapping[str, Commune]) -> tuple[frozenset[str], frozenset[str]]:
    """(« good » EPCI, rural EPCI): the least dense is rural when sparse; good ones drawn among the others.

    One EPCI: no contrast (neither good nor rural). Two: the sparser is rural if
    sparse, the other good. Communes outside any EPCI take no part.
    """
    population: dict[str, int] = {}
    area: dict[str, float] = {}
    for commune in communes.values():
        if commune.epci_code:
            population[commune.epci_code] = population.get(commune.epci_code, 0) + commune.population
            area[commune.epci_code] = area.get(commune.epci_code, 0.0) + area_km2(commune)
    if len(population) < 2:
        return frozenset(), frozenset()
    density = {code: population[code] / max(area[code], 1e-9) for code in population}
    by_density = sorted(density, key=lambda code: (density[code], code))
    rural = frozenset(by_density[:1]) if density[by_density[0]] < RURAL_DENSITY else frozenset()
    others = [code for code in by_density if code not in rural]
    n_good = max(1, round(len(population) / EPCI_PER_GOOD))
    good = frozenset(rng.sample(sorted(others), min(n_good, len(others))))
    return good, rural


def derived_profile(departement: str, communes: Mapping[str, Commune], seed: int) -> DemoProfile:
    """A profile for any département, from its communes alone; the same seed gives the same profile."""
    if not communes:
        raise DemoError(f"démonstration : aucune commune dans la référence du département {departement}.")
    rng = random.Random(f"passerelles-demo-profile:{departement}:{seed}")
    priority = priority_shares(rng, communes)
    good, rural = epci_roles(rng, communes)
    population = sum(c.population for c in communes.values())
    scale = population / VAL_D_OISE_POPULATION
    biggest = min(communes.values(), key=lambda c: (-c.population, c.code))
    kickoff = {
        "date": VAL_D_OISE_KICKOFF["date"],
        "titre": f"Lancement : les liens École – Centres sociaux{DEMO_SUFFIX}",
        "type": "lancement",
        "lieu": f"Maison des associations{DEMO_SUFFIX}, {biggest.nom}",
        "commune_insee": biggest.code,
        "heure_debut": "09:00",
        "heure_fin": "12:30",
    }
    bounds = [c.polygon.bounds for c in communes.values()]
    latitude = round((min(b[1] for b in bounds) + max(b[3] for b in bounds)) / 2, 2)
    big_towns = sum(1 for c in communes.values() if c.population >= 20_000)
    return DemoProfile(
        departement, priority, good, rural, kickoff, latitude=latitude,
        ecoles=max(1, round(TARGET_ECOLES * scale)), colleges=max(1, round(TARGET_COLLEGES * scale)),
        lycees=max(1, round(TARGET_LYCEES * scale)),
        centres_sociaux=max(3, round(N_CENTRES_SOCIAUX * scale), big_towns), evs=max(2, round(N_EVS * scale)),
        priority_names=tuple(communes[code].nom for code in priority),
    )


def profile_for(departement: str, communes: Mapping[str, Commune], seed: int) -> DemoProfile:
    """The Val d'Oise's hand-made profile for 95, a derived one elsewhere."""
    if departement == VAL_D_OISE:
        return val_d_oise_profile(communes)
    return derived_profile(departement, communes, seed)
