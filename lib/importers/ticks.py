"""Per-option tick columns: which values mean checked, unchecked or not answered."""

from __future__ import annotations

# An option column is ticked unless it holds one of these (folded): Kobo 1/0, LimeSurvey Y/"" (or Oui/Non in
# "full answers"), webform X/"".
UNTICKED = {"", "0", "n", "non", "no", "false", "faux"}
BINARY = UNTICKED | {"1", "y", "x", "oui", "yes", "true", "vrai"}
