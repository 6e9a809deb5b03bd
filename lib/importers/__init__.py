"""Survey-tool exports → ``reponses.csv`` rows, through a column mapping the user checks.

Reads the files KoboToolbox, LimeSurvey, Framaforms (Drupal webform),
Google Forms and spreadsheets really produce (see
``tests/fixtures/enquetes/make_fixtures.py`` for each format and its source),
guesses which column holds which field and which code each answer text means,
and turns the rows into a preview: nothing is written here.

One survey row is one respondent's view of one link: the respondent's
structure, the partner structure, and the answers. A :class:`Mapping` says
where each field is in the file; it is saved by name (``to_json``) so that
next month's export of the same form imports in one click.

Decisions:
- an answer that maps to no code is left out of its row, with an error naming
  line, column and value (the loader's rule for unknown codes); the row stays;
- a row whose structure or partner is unknown, ambiguous, or not one school
  and one centre, is rejected; so are drafts (Framaforms) and unfinished
  responses (LimeSurvey, empty submit date);
- only mapped columns reach the data set: names, e-mails, IP addresses… in
  other columns are never read into rows, and e-mails or phone numbers typed
  in a mapped free text are masked as the loader masks them.

The package is split by job: ``reading`` (files → :class:`SourceTable`),
``tools`` (which tool, its ids and times), ``mapping`` (the saved mapping),
``ticks`` (per-option tick values), ``options`` (option groups, separators),
``dates``, ``suggest`` (first guess), ``rows`` (row builder) and ``preview``.
Every public name is re-exported here.
"""

from lib.dataset import Dataset
from lib.importers.dates import AMBIGUOUS, DMY, MDY, YMD, infer_order, parse_date, parse_moment
from lib.importers.mapping import (
    CLOSED_FIELDS, CONSTANT_FIELDS, DATE_ORDERS, DEFAULT_MODE, FIELDS, MULTI_FIELDS, OUTPUT_COLUMN, SEPARATORS,
    TEXT_FIELDS, Mapping, MultiChoice, mapping_filename,
)
from lib.importers.options import (
    folded, guess_separator, known_texts, option_groups, split_answers, split_option_header,
)
from lib.importers.preview import (
    NO_STRUCTURE, check_mapping, compare, preview_export, preview_survey, structure_choice, structure_matches,
    structures_table, unknown_ticks,
)
from lib.importers.reading import ExportRefused, SourceTable, read_export
from lib.importers.rows import RowBuilder, StructureIndex, answer_digest, date_column_order
from lib.importers.suggest import (
    KEYWORDS, column_scores, distinct_answers, suggest_mapping, suggest_option_code, suggest_values,
    unmapped_answers,
)
from lib.importers.ticks import CHECKED, MEANINGS, NO_ANSWER, UNCHECKED, column_meanings, unknown_tick_values
from lib.importers.tools import (
    FRAMAFORMS, GOOGLE, KOBO, LIMESURVEY, PLAIN, TARGET, TOOL_DATE_COLUMNS, TOOL_ID_COLUMNS, TOOLS, detect_tool,
)
from lib.imports import MAX_IMPORT_BYTES

__all__ = [
    "AMBIGUOUS", "CHECKED", "CLOSED_FIELDS", "CONSTANT_FIELDS", "DATE_ORDERS", "DEFAULT_MODE", "DMY", "Dataset",
    "ExportRefused", "FIELDS", "FRAMAFORMS", "GOOGLE", "KEYWORDS", "KOBO", "LIMESURVEY", "MAX_IMPORT_BYTES", "MDY",
    "MEANINGS", "MULTI_FIELDS", "Mapping", "MultiChoice", "NO_ANSWER", "NO_STRUCTURE", "OUTPUT_COLUMN", "PLAIN",
    "RowBuilder", "SEPARATORS", "SourceTable", "StructureIndex", "TARGET", "TEXT_FIELDS", "TOOLS",
    "TOOL_DATE_COLUMNS", "TOOL_ID_COLUMNS", "UNCHECKED", "YMD", "answer_digest", "check_mapping", "column_meanings",
    "column_scores", "compare", "date_column_order", "detect_tool", "distinct_answers", "folded", "guess_separator",
    "infer_order", "known_texts", "mapping_filename", "option_groups", "parse_date", "parse_moment",
    "preview_export", "preview_survey", "read_export", "split_answers", "split_option_header", "structure_choice",
    "structure_matches", "structures_table", "suggest_mapping", "suggest_option_code", "suggest_values",
    "unknown_tick_values", "unknown_ticks", "unmapped_answers",
]
