"""The column mapping: where each field is in an export, saved by name as JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from lib.dataset import FREE_TEXT_COLUMNS
from lib.importers.tools import PLAIN, TOOLS
from lib.text import fold

# --------------------------------------------------------------------------- fields

#: What a survey row can fill, with the French label the mapping screen shows.
FIELDS: dict[str, str] = {
    "id": "Identifiant de la réponse dans l'outil",
    "structure": "Structure qui répond",
    "structure_commune": "Commune de la structure qui répond",
    "partenaire": "Structure partenaire",
    "partenaire_commune": "Commune de la structure partenaire",
    "fonction": "Fonction de la personne interrogée",
    "date": "Date de l'entretien ou de la réponse",
    "vague": "Vague d'enquête",
    "mode": "Mode de recueil",
    "formes": "Formes du lien",
    "frequence": "Fréquence du lien",
    "objets": "Objet du lien",
    "qualite": "Qualité du lien",
    "leviers": "Leviers",
    "freins": "Freins",
    "ressources": "Ressources",
    "outils": "Outils",
    "pistes": "Pistes",
    "commentaire": "Commentaire",
    "brouillon": "Brouillon (réponse non envoyée si 1)",
    "date_envoi": "Date d'envoi (vide : réponse inachevée)",
}
MULTI_FIELDS = ("formes", "objets", "leviers", "freins")
CLOSED_FIELDS = {"fonction": "fonctions", "frequence": "frequences", "qualite": "qualites", "mode": "modes",
                 **{f: f for f in MULTI_FIELDS}}
TEXT_FIELDS = FREE_TEXT_COLUMNS
CONSTANT_FIELDS = ("vague", "mode")
DEFAULT_MODE = "formulaire"
OUTPUT_COLUMN = {"fonction": "repondant_fonction"}


@dataclass
class MultiChoice:
    """Where a multiple-choice answer is: one column and its separator, or one column per option.

    ``options`` maps a per-option column to the code it stands for (None: not
    chosen yet; "": ignore that column).
    """

    column: str | None = None
    separator: str = ";"
    options: dict[str, str | None] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.options) if self.options else ([self.column] if self.column else [])


@dataclass
class Mapping:
    """How one form's export becomes ``reponses.csv`` rows (JSON-serialisable, saved by name).

    Attributes:
        tool: the tool the export comes from (one of :data:`TOOLS`).
        columns: field → source column, for every field but the multiple choices.
        multi: multiple-choice field (formes, objets, leviers, freins) → where it is.
        values: field → {answer text in the file, or option column → code}; a
            code None is "not chosen yet" (reported), "" is "ignore this answer".
            ``structure``/``partenaire`` may map texts to structure ids too.
        constants: values given once for the whole file (vague, mode).
        id_prefix: put before the tool's submission id to make ``reponse_id``.
    """

    tool: str = PLAIN
    columns: dict[str, str] = field(default_factory=dict)
    multi: dict[str, MultiChoice] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    id_prefix: str = ""

    def source_columns(self) -> list[str]:
        """Every column of the file the mapping reads."""
        used = list(self.columns.values())
        for choice in self.multi.values():
            used += choice.columns
        return list(dict.fromkeys(used))

    def to_json(self) -> str:
        document = {
            "format": "passerelles-correspondance", "version": 1, "tool": self.tool, "columns": self.columns,
            "multi": {f: {"column": m.column, "separator": m.separator, "options": m.options}
                      for f, m in self.multi.items()},
            "values": self.values, "constants": self.constants, "id_prefix": self.id_prefix,
        }
        return json.dumps(document, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """Read a saved mapping.

        Raises:
            ValueError: not a mapping, or one this version cannot read (French message).
        """
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"correspondance illisible (JSON invalide, ligne {err.lineno})") from None
        if not isinstance(doc, dict) or doc.get("format") != "passerelles-correspondance":
            raise ValueError("ce fichier n'est pas une correspondance de colonnes Passerelles")
        if doc.get("version") != 1:
            raise ValueError(f"version de correspondance {doc.get('version')!r} non prise en charge")
        try:
            multi = {f: MultiChoice(m.get("column"), str(m.get("separator", ";")), dict(m.get("options") or {}))
                     for f, m in dict(doc.get("multi") or {}).items()}
            mapping = cls(tool=str(doc.get("tool", PLAIN)), columns=dict(doc.get("columns") or {}), multi=multi,
                          values={f: dict(v) for f, v in dict(doc.get("values") or {}).items()},
                          constants=dict(doc.get("constants") or {}), id_prefix=str(doc.get("id_prefix", "")))
        except (AttributeError, TypeError, ValueError):
            raise ValueError("correspondance mal formée") from None
        unknown = [f for f in [*mapping.columns, *mapping.multi, *mapping.values, *mapping.constants]
                   if f not in FIELDS]
        if unknown or mapping.tool not in TOOLS or any(f not in MULTI_FIELDS for f in mapping.multi):
            raise ValueError(f"correspondance mal formée (champs inconnus : {', '.join(unknown) or mapping.tool})")
        return mapping


_NAME_PATTERN = re.compile(r"^[\w][\w ()'’-]*$")


def mapping_filename(name: str) -> str:
    """The file name a mapping called ``name`` is saved under (``"Kobo mars 2024"`` → ``kobo-mars-2024.json``).

    Raises:
        ValueError: an empty, too long or unsafe name (French message).
    """
    clean = " ".join(str(name).split())
    if not clean:
        raise ValueError("donnez un nom à la correspondance")
    if len(clean) > 60:
        raise ValueError("nom de correspondance trop long (60 caractères au plus)")
    if not _NAME_PATTERN.match(clean):
        raise ValueError("nom de correspondance invalide : lettres, chiffres, espaces, tirets, apostrophes "
                         "et parenthèses seulement (pas de / \\ ni de point)")
    slug = re.sub(r"[^a-z0-9]+", "-", fold(clean)).strip("-")
    if not slug:
        raise ValueError("nom de correspondance invalide : il faut au moins une lettre ou un chiffre")
    return f"{slug}.json"

