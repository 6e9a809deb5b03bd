"""Real territories (communes, EPCI) and the territory every structure belongs to.

The reference files are built by ``scripts/build_reference.py`` (see
``data/reference/README.md``). A data-set folder may hold its own
``reference/`` (another département); otherwise ``data/reference/`` is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from lib.reference_pack import in_departement, of_departement
from lib.text import fold

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE_DIR = ROOT / "data" / "reference"

# Tolerance around the département's outline for "outside the département"
# (degrees; about 500 m), so a school on the border is not rejected.
BORDER_TOLERANCE_DEG = 0.005

# Territory levels offered everywhere, in the order of the selector.
LEVELS: dict[str, str] = {
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "territoire": "Territoire (défini par le projet)",
    "education_prioritaire": "Éducation prioritaire",
    "qpv": "Quartier prioritaire (QPV)",
}
OUTSIDE_EP = "Hors éducation prioritaire"
IN_QPV = "En QPV"
OUTSIDE_QPV = "Hors QPV"
NO_TERRITORY = "Sans territoire"
# An EPCI's legal form, abbreviated on screen (« CA Val Parisis »); the long official name is for fiches and hovers.
EPCI_PREFIXES = (("Communauté d'agglomération ", "CA "), ("Communauté de communes ", "CC "),
                 ("Communauté urbaine ", "CU "))


@dataclass(frozen=True)
class Reference:
    """Communes and EPCI of one département, with their outlines."""

    folder: Path
    meta: dict
    communes: pd.DataFrame
    epci: pd.DataFrame
    communes_geojson: dict
    epci_geojson: dict

    @property
    def departement(self) -> str:
        return str(self.meta.get("departement_code", ""))

    @property
    def departement_name(self) -> str:
        return str(self.meta.get("departement_nom", ""))

    @property
    def of_departement(self) -> str:
        """« du Val-d'Oise », « de La Réunion », « de la Seine-Saint-Denis » (from meta's INSEE type of name)."""
        return of_departement(self.departement_name or "département", self.meta.get("departement_tncc"))

    @property
    def in_departement(self) -> str:
        """« dans le Val-d'Oise », « à La Réunion », « en Seine-Saint-Denis »."""
        return in_departement(self.departement_name or "département", self.meta.get("departement_tncc"))

    @cached_property
    def commune_shapes(self) -> dict[str, shapely.Geometry]:
        """INSEE code → commune polygon (for placing and checking points)."""
        return {f["properties"]["code_insee"]: shape(f["geometry"]) for f in self.communes_geojson["features"]}

    @cached_property
    def outline(self) -> shapely.Geometry:
        """The département's outline, slightly widened (see BORDER_TOLERANCE_DEG)."""
        merged = shapely.union_all(list(self.commune_shapes.values()))
        widened = merged.buffer(BORDER_TOLERANCE_DEG)
        shapely.prepare(widened)
        return widened

    def inside(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which points fall inside the (widened) département."""
        return shapely.contains_xy(self.outline, lon, lat)


def reference_dir_for(data_dir: Path | None) -> Path:
    """The data set's own ``reference/`` when it has one, else the project's."""
    if data_dir is not None and (data_dir / "reference" / "communes.csv").is_file():
        return data_dir / "reference"
    return DEFAULT_REFERENCE_DIR


def load_reference(folder: Path = DEFAULT_REFERENCE_DIR) -> Reference:
    """Read a reference folder (communes.csv, epci.csv, *.geojson, meta.json).

    Cached per process while its files are unchanged: reference data never
    changes at run time, and its outline takes a while to compute.
    """
    files = sorted(folder.glob("*"))
    return _load_reference(folder, tuple((f.name, f.stat().st_mtime_ns) for f in files))


@lru_cache(maxsize=4)
def _load_reference(folder: Path, signature: tuple) -> Reference:
    del signature  # only part of the cache key
    communes = pd.read_csv(
        folder / "communes.csv",
        dtype={"code_insee": str, "epci_code": str, "nom": str, "epci_nom": str, "mairie_source": str},
    )
    epci = pd.read_csv(folder / "epci.csv", dtype={"epci_code": str, "epci_nom": str, "epci_type": str})
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    communes_geojson = json.loads((folder / "communes.geojson").read_text(encoding="utf-8"))
    epci_geojson = json.loads((folder / "epci.geojson").read_text(encoding="utf-8"))
    return Reference(folder, meta, communes, epci, communes_geojson, epci_geojson)


def read_custom_territories(raw: pd.DataFrame) -> dict[str, str]:
    """``territoires.csv`` rows (commune_insee, territoire) → commune → label."""
    return dict(zip(raw["commune_insee"], raw["territoire"]))


def assign_territories(
    structures: pd.DataFrame,
    reference: Reference,
    custom: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Add to each structure its commune name, EPCI, custom territory, EP and QPV group.

    Structures without coordinates are placed at their commune's town hall and
    flagged ``position_approximative``.

    Returns:
        A copy of ``structures`` with columns ``commune``, ``epci``,
        ``epci_nom``, ``territoire``, ``education_prioritaire_groupe``,
        ``qpv_groupe`` and ``position_approximative``.
    """
    out = structures.copy()
    communes = reference.communes.set_index("code_insee")
    out["commune"] = out["commune_insee"].map(communes["nom"])
    out["epci"] = out["commune_insee"].map(communes["epci_code"])
    out["epci_nom"] = out["commune_insee"].map(communes["epci_nom"])
    custom = custom or {}
    out["territoire"] = out["commune_insee"].map(lambda code: custom.get(code, NO_TERRITORY))
    ep = out["education_prioritaire"].astype("object")
    out["education_prioritaire_groupe"] = ep.where(ep.notna() & (ep != ""), OUTSIDE_EP)
    qpv = out["qpv"].fillna("").astype(str)
    out["qpv_groupe"] = np.where(qpv.str.strip() != "", IN_QPV, OUTSIDE_QPV)
    missing = out["latitude"].isna() | out["longitude"].isna()
    out["position_approximative"] = missing
    for axis in ("latitude", "longitude"):
        town_hall = out["commune_insee"].map(communes[f"mairie_{axis}"]).astype(float)
        out[axis] = out[axis].astype(float).where(~missing, town_hall)
    return out


def short_territory_name(name: object) -> str:
    """The name shown on screen: an EPCI's legal form abbreviated (``CA Val Parisis``), other names unchanged.

    Plain text (not escaped). The long official name stays in the data, the URL, the fiches and the hovers.
    """
    text = str(name)
    for long, short in EPCI_PREFIXES:
        if text.startswith(long):
            return short + text[len(long):]
    return text


def territory_column(level: str) -> str:
    """The column of an assigned structures table holding the territory at ``level``."""
    return {
        "commune": "commune",
        "epci": "epci_nom",
        "territoire": "territoire",
        "education_prioritaire": "education_prioritaire_groupe",
        "qpv": "qpv_groupe",
    }[level]


def territory_options(structures: pd.DataFrame, level: str) -> list[str]:
    """The territories of ``level`` that hold at least one structure, in display order."""
    values = structures[territory_column(level)].dropna().unique().tolist()
    if level == "education_prioritaire":
        order = ["REP+", "REP", OUTSIDE_EP]
        return [v for v in order if v in values]
    if level == "qpv":
        return [v for v in (IN_QPV, OUTSIDE_QPV) if v in values]
    return sorted(values, key=fold)
