"""The view's filters, how they travel in the URL, and what they keep of a data set.

Kept apart from ``lib/ui/__init__.py`` (which draws the widgets) so that parsing a
shared link and filtering the tables are plain functions with tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pandas as pd

from lib.dataset import Dataset
from lib.formatting import format_int
from lib.questionnaire import load_questionnaire
from lib.reference_pack import all_of_departement
from lib.territories import LEVELS, short_territory_name, territory_column, territory_options

ALL_WAVES = "toutes"
# URL parameters of the shared filters (pages may add their own).
QUERY_KEYS = ("vague", "niveau", "territoire", "type", "forme", "frequence", "qualite")
# Answer filters: Filters field → (URL key, questionnaire list).
ANSWER_FILTERS = {"forms": ("forme", "formes"), "frequencies": ("frequence", "frequences"),
                  "qualities": ("qualite", "qualites")}


@dataclass(frozen=True)
class Filters:
    """What the user chose in the sidebar. Empty tuples mean "all".

    ``forms`` keeps answers naming at least one of the forms; ``frequencies``
    and ``qualities`` (codes "1"–"4") keep answers with one of those values.
    """

    wave: str = ALL_WAVES
    level: str = "commune"
    territories: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    frequencies: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()


@dataclass(frozen=True)
class View:
    """The part of a data set that the filters keep."""

    filters: Filters
    structures: pd.DataFrame
    reponses: pd.DataFrame
    schools: pd.DataFrame = field(repr=False)
    # The data set's meetings and attendance, whole: who counts is decided with ``structures``.
    rencontres: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    participations: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    # The funders' statistical secret (lib.secrecy.Secret) when the view is of their copy of the data set.
    secret: object | None = field(default=None, repr=False)


def available_levels(dataset: Dataset) -> list[str]:
    """Territory levels the data set can group by (custom territories only when defined)."""
    return [level for level in LEVELS if level != "territoire" or dataset.territoires]


def default_filters(dataset: Dataset) -> Filters:
    """The latest wave, communes, everything else open."""
    waves = dataset.waves
    return Filters(wave=waves[-1] if waves else ALL_WAVES)


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[union-attr]


def filters_from_query(params: Mapping[str, object], dataset: Dataset) -> Filters:
    """Read filters from URL query parameters, silently dropping values the data set lacks.

    ``params`` maps a key to a string or a list of strings (as
    ``st.query_params.to_dict()`` / ``get_all`` give them). A missing key
    takes its default; a shared link from another data set degrades to the
    defaults rather than failing.
    """
    defaults = default_filters(dataset)
    wave = (_as_list(params.get("vague")) or [defaults.wave])[0]
    if wave != ALL_WAVES and wave not in dataset.waves:
        wave = defaults.wave
    level = (_as_list(params.get("niveau")) or [defaults.level])[0]
    if level not in available_levels(dataset):
        level = defaults.level
    known_territories = set(territory_options(dataset.structures, level))
    territories = tuple(t for t in _as_list(params.get("territoire")) if t in known_territories)
    known_types = set(dataset.structures["type"].cat.categories)
    types = tuple(t for t in _as_list(params.get("type")) if t in known_types)
    q = load_questionnaire()
    answers = {name: tuple(v for v in _as_list(params.get(key)) if v in q[list_name].codes)
               for name, (key, list_name) in ANSWER_FILTERS.items()}
    return Filters(wave=wave, level=level, territories=territories, types=types, **answers)


def filters_to_query(filters: Filters, dataset: Dataset) -> dict[str, str | list[str]]:
    """Query parameters for ``filters``; defaults are left out to keep links short."""
    defaults = default_filters(dataset)
    query: dict[str, str | list[str]] = {}
    if filters.wave != defaults.wave:
        query["vague"] = filters.wave
    if filters.level != defaults.level:
        query["niveau"] = filters.level
    if filters.territories:
        query["territoire"] = list(filters.territories)
    if filters.types:
        query["type"] = list(filters.types)
    for name, (key, _list_name) in ANSWER_FILTERS.items():
        if getattr(filters, name):
            query[key] = list(getattr(filters, name))
    return query


# How several territories of a level are counted in the view line.
_LEVEL_PLURALS = {"commune": "communes", "epci": "intercommunalités", "territoire": "territoires",
                  "education_prioritaire": "groupes d'éducation prioritaire", "qpv": "groupes QPV"}


def view_line(filters: Filters, departement: str, links: int | str | None = None, with_wave: bool = True,
              tncc: str | None = "2") -> str:
    """What a page shows, in one French line: ``Vague 2019 · CA Val Parisis · 412 liens``.

    Every page that shows figures states it at its top, so that a room reading
    the wall knows which wave and territory the figures are about. Plain text
    (not escaped: territory names are data). ``links`` is left out when None
    (a funder's page: counts go through lib/secrecy.py only); the wave when
    ``with_wave`` is False (a page the wave does not apply to). ``tncc``: which article the département's
    name takes (INSEE; « 2 », le, for the Val-d'Oise).
    """
    parts = ["Toutes les vagues" if filters.wave == ALL_WAVES else f"Vague {filters.wave}"] if with_wave else []
    names = [short_territory_name(t) for t in filters.territories]
    if not names:
        whole = all_of_departement(departement, tncc) if departement else "tout le département"
        parts.append(whole[0].upper() + whole[1:] if not parts else whole)
    elif len(names) <= 2:
        parts.append(", ".join(names))
    else:
        parts.append(f"{format_int(len(names))} {_LEVEL_PLURALS.get(filters.level, 'territoires')}")
    if filters.types:
        labels = load_questionnaire()["types_structure"].labels
        parts.append(", ".join(labels.get(t, t) for t in filters.types))
    if filters.forms or filters.frequencies or filters.qualities:
        parts.append("réponses filtrées")
    if links is not None:
        parts.append(f"{format_int(links)} lien" + ("" if isinstance(links, int) and links <= 1 else "s"))
    return " · ".join(parts)


def with_level(filters: Filters, level: str) -> Filters:
    """Changing the level empties the territory choice (its names belong to the old level)."""
    return filters if level == filters.level else replace(filters, level=level, territories=())


def apply_filters(dataset: Dataset, filters: Filters) -> View:
    """Keep the structures and answers the filters select.

    A link belongs to the territory of its school (the school is where the
    families are; a centre works with schools of several communes). The type
    filter works per family: choosing only "Collège" keeps collèges with all
    their centres; choosing only "Centre social" keeps every school type.
    """
    structures = dataset.structures
    column = territory_column(filters.level)
    in_territory = structures[column].isin(filters.territories) if filters.territories else True
    school_family = load_questionnaire().school_types
    school_types = [t for t in filters.types if t in school_family]
    centre_types = [t for t in filters.types if t not in school_family]
    is_school = structures["famille"] == "ecole"
    type_ok_school = structures["type"].isin(school_types) if school_types else True
    type_ok_centre = structures["type"].isin(centre_types) if centre_types else True
    schools = structures[is_school & in_territory & type_ok_school]
    centres = structures[~is_school & type_ok_centre & (in_territory if filters.territories else True)]

    reponses = dataset.reponses
    if filters.wave != ALL_WAVES:
        reponses = reponses[reponses["vague"] == filters.wave]
    if filters.forms:
        chosen = set(filters.forms)
        reponses = reponses[reponses["formes"].map(lambda codes: not chosen.isdisjoint(codes)).to_numpy(dtype=bool)]
    if filters.frequencies:
        reponses = reponses[reponses["frequence"].isin(filters.frequencies).to_numpy(dtype=bool)]
    if filters.qualities:
        wanted = [int(q) for q in filters.qualities]
        reponses = reponses[reponses["qualite"].isin(wanted).fillna(False).to_numpy(dtype=bool)]
    allowed_centres = structures.loc[~is_school & type_ok_centre, "id"]
    reponses = reponses[among(reponses["ecole_id"], schools["id"]) & among(reponses["centre_id"], allowed_centres)]
    # Centres outside the chosen territory still show when they work with its schools.
    partner_centres = structures[among(structures["id"], reponses["centre_id"])]
    kept = pd.concat([schools, centres, partner_centres]).drop_duplicates("id")
    return View(filters=filters, structures=kept, reponses=reponses, schools=schools,
                rencontres=dataset.rencontres, participations=dataset.participations, secret=dataset.secret)



def among(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """``values.isin(allowed)`` for identifiers.

    pandas 3's Arrow-backed ``isin`` converts every allowed value to an Arrow
    scalar: 7 ms for a thousand ids, seconds at national scale. Two
    Arrow-backed string columns go through ``pyarrow.compute.is_in`` (a
    fifth of the time of a Python set at national scale); anything else
    through a Python set (a missing value matches a missing value, either way).
    """
    arrow_values, arrow_allowed = _arrow_strings(values), _arrow_strings(allowed)
    if arrow_values is not None and arrow_allowed is not None:
        found = pc.is_in(arrow_values, value_set=arrow_allowed.combine_chunks(), skip_nulls=False)
        return found.to_numpy(zero_copy_only=False).astype(bool, copy=False)
    allowed_set = set(allowed.tolist())
    return np.fromiter((v in allowed_set for v in values.tolist()), dtype=bool, count=len(values))


def _arrow_strings(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow string data behind a pandas string column, or None."""
    data = getattr(values.array, "_pa_array", None)
    if data is None or not (pa.types.is_string(data.type) or pa.types.is_large_string(data.type)):
        return None
    return data if data.type == pa.string() else data.cast(pa.string())
