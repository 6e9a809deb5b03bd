"""Colours shared by the map and the charts, chosen to stay readable with colour-blindness."""

from __future__ import annotations

# Link quality 1–4: ColorBrewer RdBu (4 classes), colour-blind safe, diverging
# between "à améliorer" and "satisfaisante".
QUALITY_COLOURS: dict[int, str] = {1: "#ca0020", 2: "#f4a582", 3: "#92c5de", 4: "#0571b0"}
NO_QUALITY_COLOUR = "#9e9e9e"

# Structure types: Okabe–Ito palette (colour-blind safe), by questionnaire code.
TYPE_COLOURS: dict[str, str] = {
    "ecole_maternelle": "#CC79A7",
    "ecole_elementaire": "#56B4E9",
    "ecole_primaire": "#0072B2",
    "college": "#E69F00",
    "lycee": "#D55E00",
    "centre_social": "#009E73",
    "espace_vie_sociale": "#F0E442",
}
OTHER_TYPE_COLOUR = "#777777"

# Sequential classes for counts and shares: ColorBrewer Purples (5 classes),
# apart from the link-quality reds and blues drawn on top of them.
SEQUENTIAL: list[str] = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"]
NO_DATA_COLOUR = "#ffffff"
SMALL_COUNT_COLOUR = "#d9d9d9"

# Territory fills on the map, for every indicator (mean quality included): a grey ramp. Links carry hue
# (quality reds and blues), territories only lightness, so a fill never hides a link of any colour and the
# ramp reads the same under every colour-vision deficiency (ColorBrewer Greys, its darkest class left out:
# dark links stay visible on the top class).
TERRITORY_FILLS: list[str] = ["#f7f7f7", "#d9d9d9", "#bdbdbd", "#969696", "#636363"]
# A territory whose figure is masked (too few answers): a pale sand no link or class uses, dashed on the map.
TERRITORY_MASKED = "#efe2b4"


def quality_colour(quality: float | None) -> str:
    """Colour of a (possibly mean) quality, by its nearest level."""
    if quality is None or quality != quality:  # NaN
        return NO_QUALITY_COLOUR
    level = min(4, max(1, int(round(float(quality)))))
    return QUALITY_COLOURS[level]


# --- analyses (charts of the analysis pages), Okabe–Ito colours, colour-blind safe.
# Who answered: the school side and the centre-social side (the centre as on the map).
SIDE_COLOURS: dict[str, str] = {"ecole": "#E69F00", "centre": "#009E73"}
# Éducation prioritaire groups, by the labels of lib.territories (REP+, REP, OUTSIDE_EP).
EP_COLOURS: dict[str, str] = {"REP+": "#D55E00", "REP": "#E69F00", "Hors éducation prioritaire": "#56B4E9"}
# Links between two waves: lost, kept, new.
CHANGE_COLOURS: dict[str, str] = {"perdus": "#D55E00", "maintenus": "#BBBBBB", "nouveaux": "#0072B2"}

# Meeting types, Okabe–Ito (colour-blind safe): the centres' group green and the schools' group orange,
# as the two sides everywhere else.
MEETING_TYPE_COLOURS: dict[str, str] = {
    "lancement": "#CC79A7",
    "rencontre_departementale": "#D55E00",
    "groupe_centres_sociaux": "#009E73",
    "groupe_acteurs_scolaires": "#E69F00",
    "pilotage": "#0072B2",
}
