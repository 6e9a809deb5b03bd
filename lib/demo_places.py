"""Where the fictional demo puts things: real communes, fictional QPV, schools and centres inside their communes."""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

from shapely.geometry import shape

from lib.demo_model import (Commune, Quartier, Structure, allocate, distance_km, fictional_address, random_point,
                            uai_code, weighted_choice, weighted_sample)
from lib.demo_profile import DemoProfile
from lib.demo_vocabulary import (CENTRE_NAMES, COLLEGE_PATRONS, DEMO_SUFFIX, LYCEE_KINDS, LYCEE_PATRONS,
                                 QPV_WITHOUT_EP_POPULATION, SCHOOL_PATRONS, SHARE_WITHOUT_POSITION, DemoError)


def load_communes(reference: Path) -> dict[str, Commune]:
    """Read the real communes (CSV + GeoJSON), sorted by code; :meth:`DemoProfile.apply` gives them their traits."""
    csv_path, geo_path = reference / "communes.csv", reference / "communes.geojson"
    for path in (csv_path, geo_path):
        if not path.exists():
            raise DemoError(f"démonstration : fichier de référence introuvable : {path}")
    with open(geo_path, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    polygons = {str(f["properties"]["code_insee"]): shape(f["geometry"]) for f in features}
    communes: dict[str, Commune] = {}
    with open(csv_path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["code_insee"]
            if code not in polygons:
                raise DemoError(f"démonstration : commune {code} sans contour dans {geo_path}")
            commune = Commune(code, row["nom"], int(float(row["population"] or 0)),
                              row["epci_code"], row["epci_nom"], polygons[code])
            communes[code] = commune
    return dict(sorted(communes.items()))


def place_quartiers(rng: random.Random, communes: dict[str, Commune],
                    profile: DemoProfile) -> dict[str, list[Quartier]]:
    """Fictional QPV: 1–3 per éducation-prioritaire town, one in other big towns."""
    quartiers: dict[str, list[Quartier]] = {}
    number = 0
    for code, commune in communes.items():
        ep = commune.rep_plus_share + commune.rep_share
        if ep > 0:
            count = min(3, 1 + commune.population // 30_000 + (commune.rep_plus_share > 0))
        elif commune.population >= QPV_WITHOUT_EP_POPULATION:
            count = 1
        else:
            continue
        for _ in range(count):
            number += 1
            lat, lon = random_point(rng, commune.polygon)
            radius = 0.6 + 0.6 * ep + rng.uniform(0.0, 0.3)
            quartiers.setdefault(code, []).append(Quartier(f"{profile.qpv_prefix}{number:02d}", code, lat, lon, radius))
    return quartiers


def nearest_quartier(lat: float, lon: float, quartiers: list[Quartier],
                     lat0: float) -> tuple[Quartier | None, float]:
    """The closest QPV of the commune and its distance in km."""
    best, best_d = None, math.inf
    for quartier in quartiers:
        d = distance_km(lat, lon, quartier.lat, quartier.lon, lat0)
        if d < best_d:
            best, best_d = quartier, d
    return best, best_d


def school_counts(rng: random.Random, communes: dict[str, Commune],
                  profile: DemoProfile) -> dict[str, dict[str, int]]:
    """How many écoles, collèges and lycées each commune gets, by population."""
    village_ecoles = {
        code: 1 for code, c in communes.items()
        if c.population < 1000 and rng.random() < min(0.8, c.population / 900) * 0.7
    }
    towns = {code: c.population for code, c in communes.items() if c.population >= 1000}
    ecoles = allocate(towns, profile.ecoles, {**village_ecoles, **{code: 1 for code in towns}})
    colleges = allocate(
        {code: c.population ** 0.9 for code, c in communes.items() if c.population >= 3500},
        profile.colleges, {code: 1 for code, c in communes.items() if c.population >= 6000},
    )
    lycees = allocate(
        {code: c.population for code, c in communes.items() if c.population >= 9000},
        profile.lycees, {code: 1 for code, c in communes.items() if c.population >= 20000},
    )
    return {code: {"ecole": ecoles.get(code, 0), "college": colleges.get(code, 0),
                   "lycee": lycees.get(code, 0)} for code in communes}


def ecole_types(rng: random.Random, count: int) -> list[str]:
    """Types of a commune's écoles: villages have primaires, towns maternelles + élémentaires."""
    if count == 1:
        return ["ecole_primaire" if rng.random() < 0.75 else "ecole_elementaire"]
    if count == 2:
        return (["ecole_maternelle", "ecole_elementaire"] if rng.random() < 0.7
                else ["ecole_primaire", "ecole_primaire"])
    return [weighted_choice(rng, {"ecole_maternelle": 0.43, "ecole_elementaire": 0.46,
                                  "ecole_primaire": 0.11}) for _ in range(count)]


def place_schools(rng: random.Random, communes: dict[str, Commune], quartiers: dict[str, list[Quartier]],
                  profile: DemoProfile) -> list[Structure]:
    """Écoles, collèges and lycées, with UAI ids, demo names and positions."""
    counts = school_counts(rng, communes, profile)
    total = sum(sum(c.values()) for c in counts.values())
    numbers = rng.sample(range(min(8000, 10000 - total), 10000), total)
    schools: list[Structure] = []
    for code, commune in communes.items():
        types = ecole_types(rng, counts[code]["ecole"]) if counts[code]["ecole"] else []
        types += ["college"] * counts[code]["college"] + ["lycee"] * counts[code]["lycee"]
        used_names: set[str] = set()
        for school_type in types:
            nom = school_name(rng, school_type, used_names)
            lat, lon = random_point(rng, commune.polygon)
            schools.append(Structure(
                uai_code(numbers[len(schools)], profile.uai_prefix), school_type, nom, code,
                fictional_address(rng, commune.population > 15000), lat, lon,
            ))
    assign_priority_education(rng, schools, communes, quartiers, profile.latitude)
    return schools


def school_name(rng: random.Random, school_type: str, used: set[str]) -> str:
    """A plausible school name, unique in its commune, marked as demo."""
    if school_type == "college":
        prefix, patrons = "Collège", COLLEGE_PATRONS
    elif school_type == "lycee":
        prefix, patrons = rng.choice(LYCEE_KINDS), LYCEE_PATRONS
    else:
        prefix = {"ecole_maternelle": "École maternelle", "ecole_elementaire": "École élémentaire",
                  "ecole_primaire": "École primaire"}[school_type]
        patrons = SCHOOL_PATRONS
    for _ in range(50):
        nom = f"{prefix} {rng.choice(patrons)}{DEMO_SUFFIX}"
        if nom not in used:
            break
    else:
        nom = f"{prefix} {rng.choice(patrons)} {len(used) + 1}{DEMO_SUFFIX}"
    used.add(nom)
    return nom


def assign_priority_education(rng: random.Random, schools: list[Structure], communes: dict[str, Commune],
                              quartiers: dict[str, list[Quartier]], lat0: float) -> None:
    """REP+/REP for écoles and collèges closest to the QPV; QPV code for those inside one."""
    rep_plus, rep = "REP+", "REP"
    by_commune: dict[str, list[Structure]] = {}
    for school in schools:
        by_commune.setdefault(school.commune, []).append(school)
    for code, members in by_commune.items():
        commune, local_qpv = communes[code], quartiers.get(code, [])
        if not local_qpv:
            continue
        distances = {s.id: nearest_quartier(s.lat, s.lon, local_qpv, lat0) for s in members}
        eligible = sorted((s for s in members if s.type != "lycee"),
                          key=lambda s: (distances[s.id][1] * rng.uniform(0.7, 1.4), s.id))
        n_plus = round(commune.rep_plus_share * len(eligible))
        n_rep = round(commune.rep_share * len(eligible))
        for rank, school in enumerate(eligible[:n_plus + n_rep]):
            school.education_prioritaire = rep_plus if rank < n_plus else rep
        for school in members:
            quartier, d = distances[school.id]
            inside = d <= quartier.radius_km
            if inside or (school.education_prioritaire and rng.random() < 0.6):
                school.qpv = quartier.qpv


def place_centres(rng: random.Random, communes: dict[str, Commune], quartiers: dict[str, list[Quartier]],
                  profile: DemoProfile) -> list[Structure]:
    """Centres sociaux in the bigger towns (near the QPV), EVS in mid-size or rural communes."""
    weights = {code: c.population * (1 + 1.5 * (c.rep_plus_share + c.rep_share))
               for code, c in communes.items() if c.population >= 7000}
    if not weights:  # no town: the largest communes host the centres
        largest = sorted(communes.values(), key=lambda c: (-c.population, c.code))[:3]
        weights = {c.code: float(c.population) for c in largest}
    counts = allocate(weights, profile.centres_sociaux,
                      {code: 1 for code, c in communes.items() if c.population >= 20000})
    n_centres = sum(counts.values())
    names = centre_names(rng, n_centres + profile.evs)
    centres: list[Structure] = []
    for code, count in sorted(counts.items()):
        commune, local_qpv = communes[code], quartiers.get(code, [])
        for index in range(count):
            if local_qpv and rng.random() < 0.85:
                quartier = local_qpv[index % len(local_qpv)]
                lat, lon = random_point(rng, commune.polygon, (quartier.lat, quartier.lon, quartier.radius_km * 0.8),
                                        profile.latitude)
                qpv = quartier.qpv
            else:
                lat, lon = random_point(rng, commune.polygon)
                quartier, d = nearest_quartier(lat, lon, local_qpv, profile.latitude)
                qpv = quartier.qpv if quartier and d <= quartier.radius_km else ""
            number = len(centres) + 1
            centres.append(Structure(
                f"CS-{profile.departement}-{number:03d}", "centre_social",
                f"Centre social {names[number - 1]}{DEMO_SUFFIX}", code,
                fictional_address(rng, commune.population > 15000), lat, lon, qpv=qpv,
            ))
    rural = [code for code, c in communes.items() if c.rural and c.population >= 800]
    others = {code: c.population for code, c in communes.items()
              if not c.rural and 1500 <= c.population <= 9000 and code not in counts}
    n_rural = min(3, len(rural), profile.evs)
    evs_communes = rng.sample(rural, n_rural) + weighted_sample(rng, others, profile.evs - n_rural)
    for number, code in enumerate(sorted(evs_communes), start=1):
        commune = communes[code]
        lat, lon = random_point(rng, commune.polygon)
        centres.append(Structure(
            f"EVS-{profile.departement}-{number:03d}", "espace_vie_sociale",
            f"Espace de vie sociale {names[n_centres + number - 1]}{DEMO_SUFFIX}",
            code, fictional_address(rng, False), lat, lon,
        ))
    return centres


def hide_some_positions(rng: random.Random, structures: list[Structure]) -> None:
    """About 3 % of structures lose their coordinates (the app uses the town hall)."""
    for structure in sorted(structures, key=lambda s: s.id):
        structure.position_shown = rng.random() >= SHARE_WITHOUT_POSITION


def centre_names(rng: random.Random, count: int) -> list[str]:
    """``count`` centre names drawn from the list; past its length, the names again with a number (« … 2 »)."""
    if count <= len(CENTRE_NAMES):
        return rng.sample(CENTRE_NAMES, count)
    names = rng.sample(CENTRE_NAMES, len(CENTRE_NAMES))
    return [names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "") for i in range(count)]
