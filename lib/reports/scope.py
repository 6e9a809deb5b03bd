"""The territory a report is about: resolved from what people type, offered to choose, named in file names."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from lib.dataset import Dataset
from lib.filters import ALL_WAVES
from lib.territories import EPCI_PREFIXES, LEVELS, NO_TERRITORY, short_territory_name, territory_options
from lib.text import fold


LEVEL_KINDS = {"commune": "Commune", "epci": "Intercommunalité", "territoire": "Territoire du projet"}


@dataclass(frozen=True)
class Scope:
    """The territory a report is about.

    ``level`` is a key of ``LEVELS``; ``territories`` the values of the structures' territory column at that
    level (empty: the whole département); ``name`` the French display name; ``code`` the INSEE code, SIREN
    or département code when there is one.
    """

    level: str
    territories: tuple[str, ...]
    name: str
    code: str = ""

    @property
    def is_departement(self) -> bool:
        return not self.territories

    @property
    def kind(self) -> str:
        """``Commune``, ``Intercommunalité``, ``Département``…"""
        if self.is_departement:
            return "Département"
        return LEVEL_KINDS.get(self.level, LEVELS.get(self.level, "Territoire"))


def short_epci(name: object) -> str:
    """An EPCI's name with its legal form abbreviated: ``CA Val Parisis`` (plain text, not escaped)."""
    return short_territory_name(name)


def _bare_epci(name: str) -> str:
    """An EPCI's name without its legal form and article: ``Val Parisis``, ``Cergy-Pontoise``."""
    text = str(name)
    for long, _short in EPCI_PREFIXES:
        if text.startswith(long):
            text = text[len(long):]
            break
    return re.sub(r"^(de la |de l'|du |des |de |d')", "", text)


def _key(text: object) -> str:
    """What people type, compared loosely: accents, case, hyphens and apostrophes ignored."""
    return " ".join(re.sub(r"[-'’ʼ‘`_.,()]", " ", fold(text)).split())


def departement_scope(dataset: Dataset) -> Scope:
    """The scope of the whole département."""
    reference = dataset.reference
    name = reference.departement_name or "Département"
    return Scope("epci", (), f"{name} (département)", reference.departement)


def _scope_index(dataset: Dataset) -> tuple[dict[str, Scope], dict[str, str]]:
    """Every way of naming a scope (folded key → scope), most exact first, and the names to suggest."""
    reference = dataset.reference
    departement = departement_scope(dataset)
    index: dict[str, Scope] = {}
    names: dict[str, str] = {}

    def add(text: object, scope: Scope, suggest: bool = True) -> None:
        key = _key(text)
        if key:
            index.setdefault(key, scope)
            if suggest:
                names.setdefault(key, scope.name)

    for alias in ("département", "tout le département", "departement " + reference.departement,
                  reference.departement, reference.departement_name, departement.name):
        add(alias, departement, suggest=alias in ("département", reference.departement_name))
    communes = [Scope("commune", (name,), name, code)
                for code, name in zip(reference.communes["code_insee"], reference.communes["nom"])]
    epcis = [Scope("epci", (name,), short_epci(name), code)
             for code, name in zip(reference.epci["epci_code"], reference.epci["epci_nom"])]
    custom = [Scope("territoire", (label,), label) for label in sorted(set(dataset.territoires.values()), key=fold)]
    for scope in [*communes, *epcis]:
        add(scope.code, scope, suggest=False)
    for scope in communes:
        add(scope.name, scope)
    for scope in epcis:
        add(scope.territories[0], scope)
        add(scope.name, scope)
    for scope in custom:
        add(scope.name, scope)
    for scope in epcis:
        add(_bare_epci(scope.territories[0]), scope, suggest=False)
    return index, names


def resolve_scope(dataset: Dataset, territoire: str | None) -> Scope:
    """The scope named by ``territoire``: département, commune (INSEE code or name), EPCI (SIREN or name), custom.

    Names are matched ignoring accents, case, hyphens and apostrophes; None or "" mean the whole département.

    Raises:
        ValueError: unknown territory (French message with close matches).
    """
    text = "" if territoire is None else str(territoire).strip()
    if not text:
        return departement_scope(dataset)
    index, names = _scope_index(dataset)
    found = index.get(_key(text))
    if found is not None:
        return found
    close = difflib.get_close_matches(_key(text), list(names), n=8, cutoff=0.6)
    suggestions = list(dict.fromkeys(names[key] for key in close))[:5]
    message = f"Territoire inconnu : « {text} »."
    if suggestions:
        message += " Territoires proches : " + ", ".join(f"« {s} »" for s in suggestions) + "."
    message += (" Indiquez « département », un code INSEE ou un nom de commune, un numéro SIREN ou un nom "
                "d'intercommunalité (EPCI)" + (", ou un territoire du projet" if dataset.territoires else "") + ".")
    raise ValueError(message)


def funder_scope(public: Dataset, scope: Scope) -> tuple[Scope, str | None]:
    """The scope a funders' document is about: the one asked for when it is offered, else the enclosing one
    (intercommunalité, else département), with the reason in French (None when unchanged)."""
    secret = public.secret
    if secret is None or scope.is_departement:
        return scope, None
    name = scope.territories[0]
    level, shown = secret.enclosing(scope.level, name)
    if shown is not None and (level, shown) == (scope.level, name):
        return scope, None
    if shown is None:
        enclosing = departement_scope(public)
    else:
        codes = dict(zip(public.reference.epci["epci_nom"], public.reference.epci["epci_code"]))
        enclosing = Scope(level, (shown,), short_epci(shown), codes.get(shown, "")) if level == "epci" else \
            Scope(level, (shown,), shown)
    return enclosing, (f"« {scope.name} » : trop peu de structures y ont répondu pour en publier les chiffres sans "
                       f"risque de désigner l'une d'elles (secret statistique, moins de {secret.k} structures) ; "
                       f"le document porte sur « {enclosing.name} ».")


def scope_choices(dataset: Dataset) -> list[Scope]:
    """Scopes to choose from: the département, then the EPCI, the communes (holding structures), custom territories."""
    reference = dataset.reference
    structures = dataset.structures
    epci_codes = dict(zip(reference.epci["epci_nom"], reference.epci["epci_code"]))
    commune_codes = dict(zip(reference.communes["nom"], reference.communes["code_insee"]))
    epcis = [Scope("epci", (name,), short_epci(name), epci_codes.get(name, ""))
             for name in territory_options(structures, "epci")]
    communes = [Scope("commune", (name,), name, commune_codes.get(name, ""))
                for name in territory_options(structures, "commune")]
    custom = [Scope("territoire", (label,), label) for label in territory_options(structures, "territoire")
              if dataset.territoires and label != NO_TERRITORY]
    by_name = lambda scope: fold(scope.name)  # noqa: E731
    scopes = [*sorted(epcis, key=by_name), *sorted(communes, key=by_name), *sorted(custom, key=by_name)]
    if dataset.secret is not None:  # funders: only the territories offered under the statistical secret
        scopes = [s for s in scopes if s.territories[0] in dataset.secret.offered.get(s.level, ())]
    return [departement_scope(dataset), *scopes]


def scope_communes(dataset: Dataset, scope: Scope) -> list[str]:
    """INSEE codes of the scope's communes."""
    communes = dataset.reference.communes
    if scope.is_departement:
        return communes["code_insee"].tolist()
    if scope.level == "commune":
        keep = communes["nom"].isin(scope.territories)
    elif scope.level == "epci":
        keep = communes["epci_nom"].isin(scope.territories)
    elif scope.level == "territoire":
        keep = communes["code_insee"].map(lambda c: dataset.territoires.get(c, NO_TERRITORY)).isin(scope.territories)
    else:
        return communes["code_insee"].tolist()
    return communes.loc[keep.to_numpy(dtype=bool), "code_insee"].tolist()


def _slug(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60].strip("-")


def report_filename(kind: str, scope: Scope | None, wave: str, suffix: str) -> str:
    """``fiche-argenteuil-2019.pdf``: an ASCII file name for a report (no scope: the département)."""
    parts = [_slug(kind), _slug(scope.name) if scope is not None else "departement",
             _slug("toutes vagues" if wave == ALL_WAVES else wave)]
    return "-".join(p for p in parts if p) + "." + (_slug(suffix) or "pdf")
