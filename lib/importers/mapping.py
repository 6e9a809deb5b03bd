"""The column mapping: where each field is in an export, saved by name as JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from lib.dataset import FREE_TEXT_COLUMNS
from lib.importers.ticks import MEANINGS as TICK_MEANINGS
from lib.importers.tools import PLAIN, TOOLS
from lib.text import fold_cached as fold

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
#: Separators of one-column multiple answers, with the label the page shows.
SEPARATORS = {";": "point-virgule (;)", ", ": "virgule et espace (, )", ",": "virgule (,)", " ": "espace",
              "|": "barre verticale (|)", "\n": "retour à la ligne"}
#: Day/month orders of a date column, with the label the page shows.
DATE_ORDERS = {"dmy": "jour/mois/année (05/06/2018 = 5 juin)", "mdy": "mois/jour/année (06/05/2018 = 5 juin)",
               "ymd": "année-mois-jour (2018-06-05)"}
FORMAT_VERSION = 2  # 2 added ticks, date_orders and keep_incomplete; version 1 files still load


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
        ticks: per-option values the vocabularies do not know → what the user says they mean
            (folded value → ``coche`` / ``non_coche`` / ``sans_reponse``, see :mod:`lib.importers.ticks`).
        date_orders: date column → day/month order the user chose (``dmy``, ``mdy``, ``ymd``) for a column
            whose values leave it open.
        keep_incomplete: import LimeSurvey answers without a submit date instead of skipping them.
    """

    tool: str = PLAIN
    columns: dict[str, str] = field(default_factory=dict)
    multi: dict[str, MultiChoice] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    id_prefix: str = ""
    ticks: dict[str, str] = field(default_factory=dict)
    date_orders: dict[str, str] = field(default_factory=dict)
    keep_incomplete: bool = False

    def set_column(self, field_name: str, column: str | None) -> None:
        """Put a field in one column (None: in none); a multiple field then reads that one column."""
        if field_name in MULTI_FIELDS:
            choice = self.multi.setdefault(field_name, MultiChoice())
            choice.column = column or None
            if column:
                choice.options = {}
            if not choice.column and not choice.options:
                del self.multi[field_name]
        elif column:
            self.columns[field_name] = column
        else:
            self.columns.pop(field_name, None)

    def add_option_column(self, field_name: str, column: str, code: str | None = None) -> None:
        """Make ``column`` one of ``field_name``'s per-option columns (taken out of any other group)."""
        for choice in self.multi.values():
            choice.options.pop(column, None)
        choice = self.multi.setdefault(field_name, MultiChoice())
        choice.column = None
        choice.options[column] = code

    def remove_option_column(self, field_name: str, column: str) -> None:
        """Take ``column`` out of ``field_name``'s per-option columns."""
        choice = self.multi.get(field_name)
        if choice:
            choice.options.pop(column, None)
            if not choice.options and not choice.column:
                del self.multi[field_name]

    def set_separator(self, field_name: str, separator: str) -> None:
        """The separator of a one-column multiple answer (one of :data:`SEPARATORS`)."""
        if separator not in SEPARATORS:
            raise ValueError(f"séparateur « {separator} » non pris en charge")
        self.multi.setdefault(field_name, MultiChoice()).separator = separator

    def source_columns(self) -> list[str]:
        """Every column of the file the mapping reads."""
        used = list(self.columns.values())
        for choice in self.multi.values():
            used += choice.columns
        return list(dict.fromkeys(used))

    def to_json(self) -> str:
        document = {
            "format": "passerelles-correspondance", "version": FORMAT_VERSION, "tool": self.tool,
            "columns": self.columns,
            "multi": {f: {"column": m.column, "separator": m.separator, "options": m.options}
                      for f, m in self.multi.items()},
            "values": self.values, "constants": self.constants, "id_prefix": self.id_prefix,
            "ticks": self.ticks, "date_orders": self.date_orders, "keep_incomplete": self.keep_incomplete,
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
        if doc.get("version") not in (1, FORMAT_VERSION):
            raise ValueError(f"version de correspondance {doc.get('version')!r} non prise en charge")
        try:
            multi = {f: MultiChoice(m.get("column"), str(m.get("separator", ";")), dict(m.get("options") or {}))
                     for f, m in dict(doc.get("multi") or {}).items()}
            mapping = cls(tool=str(doc.get("tool", PLAIN)), columns=dict(doc.get("columns") or {}), multi=multi,
                          values={f: dict(v) for f, v in dict(doc.get("values") or {}).items()},
                          constants=dict(doc.get("constants") or {}), id_prefix=str(doc.get("id_prefix", "")),
                          ticks={str(k): str(v) for k, v in dict(doc.get("ticks") or {}).items()},
                          date_orders={str(k): str(v) for k, v in dict(doc.get("date_orders") or {}).items()},
                          keep_incomplete=bool(doc.get("keep_incomplete", False)))
        except (AttributeError, TypeError, ValueError):
            raise ValueError("correspondance mal formée") from None
        unknown = [f for f in [*mapping.columns, *mapping.multi, *mapping.values, *mapping.constants]
                   if f not in FIELDS]
        if unknown or mapping.tool not in TOOLS or any(f not in MULTI_FIELDS for f in mapping.multi):
            raise ValueError(f"correspondance mal formée (champs inconnus : {', '.join(unknown) or mapping.tool})")
        bad = [v for v in [*mapping.ticks.values(), *mapping.date_orders.values()]
               if v not in (*TICK_MEANINGS, *DATE_ORDERS)]
        if bad:
            raise ValueError(f"correspondance mal formée (valeurs inconnues : {', '.join(bad)})")
        for field_name in MULTI_FIELDS:  # pages before version 2 stored a hand-picked column here
            if field_name in mapping.columns:
                mapping.set_column(field_name, mapping.columns.pop(field_name))
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

