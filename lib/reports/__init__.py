"""Reports for funders and the comité de pilotage: « fiche territoire », département report, XLSX aggregates.

Every figure comes from the tables the app's pages show (``lib.impact``, ``lib.metrics``, ``lib.charts``), so a
number in a PDF is the number on screen. Plain Python, DataFrames in, bytes out: charts and maps are drawn with
matplotlib's object API (no pyplot global state, safe in Streamlit's threads) and laid out with reportlab.

Funder versions (``free_text=False``) hold no free text at all; the comité de pilotage versions add a few
short, anonymous « pistes ». Every text from the data set (territory names, pistes) is escaped before it
reaches reportlab's paragraph markup.

One module per job: ``scope`` (which territory), ``figures`` (what is shown), ``wording`` (shared French text),
``styles`` (fonts, colours, house tables), ``drawings`` (matplotlib charts and maps), ``panels`` (a drawing with
its title and n), ``furniture`` (footers, page numbers), ``fiche``, ``departement``, ``xlsx`` (the documents).
This package re-exports what callers use.
"""

from lib.reports.departement import departement_pdf
from lib.reports.fiche import fiche_pdf
from lib.reports.scope import Scope, funder_scope, report_filename, resolve_scope, scope_choices, short_epci
from lib.reports.styles import FONT, FONT_BOLD, report_styles
from lib.reports.wording import COMITE_LINE, DEMO_LABEL, FUNDER_LINE, PDF_MIME, PROJECT
from lib.reports.xlsx import aggregates_xlsx, report_charts

__all__ = ["COMITE_LINE", "DEMO_LABEL", "FONT", "FONT_BOLD", "FUNDER_LINE", "PDF_MIME", "PROJECT", "Scope",
           "aggregates_xlsx", "departement_pdf", "fiche_pdf", "funder_scope", "report_charts", "report_filename",
           "report_styles", "resolve_scope", "scope_choices", "short_epci"]
