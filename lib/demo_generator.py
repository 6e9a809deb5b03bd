"""The FICTIONAL demo data set, for the Val d'Oise (``data/demo/``) or any département, at run time.

:func:`generate_demo` writes the demo's tables beside a reference folder's
real communes; :func:`create_demo_dataset` (``python -m lib.cli demo``, the
first-run steps) makes a whole demo data set for one département from the
packaged national reference, labelled as a demo by its :data:`DEMO_MARKER`
file. ``scripts/make_demo.py`` regenerates ``data/demo/``.

Every structure, answer and meeting is invented (names end with « (démo) »),
except the communes and, in the Val d'Oise, the kick-off meeting of 5 June
2018. The same seed and reference give byte-identical files. Only the
standard library's ``random.Random`` draws numbers, in a fixed order. The
parts: :mod:`lib.demo_vocabulary` (names, weights, texts),
:mod:`lib.demo_profile` (which contrasts, for which département),
:mod:`lib.demo_places` (structures), :mod:`lib.demo_links` (links, meetings,
answers).
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

from lib import reference_pack
from lib.dataset import DEMO_MARKER
from lib.dataset_init import create_in_place
from lib.demo_links import draw_answers, draw_first_links, draw_rencontres, groups_attendees, next_wave_links
from lib.demo_model import Structure
from lib.demo_places import hide_some_positions, load_communes, place_centres, place_quartiers, place_schools
from lib.demo_profile import DENSITY_WHEN_UNKNOWN, DemoProfile, fill_missing_populations, profile_for
from lib.demo_vocabulary import DEFAULT_SEED, WAVES, DemoError, check_codes
from lib.questionnaire import load_questionnaire
from lib.reference_pack import PACK_DIR, DepartementEntry, ReferencePackError

REFERENCE_DIR = "reference"
MARKER_TEXT = ("Jeu de données de démonstration (FICTIF), fabriqué par « python -m lib.cli demo » : Passerelles "
               "l'affiche comme tel et ne le modifie jamais. Supprimer ce fichier n'en fait pas des données réelles.\n")


STRUCTURE_COLUMNS = ["id", "type", "nom", "commune_insee", "adresse", "latitude", "longitude",
                     "education_prioritaire", "qpv"]
REPONSE_COLUMNS = ["reponse_id", "vague", "date", "mode", "repondant_id", "repondant_fonction",
                   "ecole_id", "centre_id", "formes", "frequence", "objets", "qualite", "leviers",
                   "freins", "ressources", "outils", "pistes", "commentaire"]
RENCONTRE_COLUMNS = ["rencontre_id", "date", "titre", "type", "lieu", "commune_insee",
                     "heure_debut", "heure_fin"]
PARTICIPATION_COLUMNS = ["rencontre_id", "structure_id", "participants"]


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """UTF-8 without BOM, comma, LF, header row."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def structure_rows(structures: list[Structure]) -> list[dict]:
    """Rows of structures.csv sorted by id, coordinates rounded to 5 decimals."""
    return [{
        "id": s.id, "type": s.type, "nom": s.nom, "commune_insee": s.commune, "adresse": s.adresse,
        "latitude": f"{s.lat:.5f}" if s.position_shown else "",
        "longitude": f"{s.lon:.5f}" if s.position_shown else "",
        "education_prioritaire": s.education_prioritaire, "qpv": s.qpv,
    } for s in sorted(structures, key=lambda s: s.id)]


def val_d_oise_readme(seed: int, counts: dict[str, int], per_wave: dict[str, int], kinds: dict[str, int],
                      without_position: int) -> str:
    """The French README of the Val-d'Oise demo (``data/demo/``), which tells its real kick-off."""
    waves = ", ".join(f"{w} : {n}" for w, n in per_wave.items())
    detail = (f"{kinds['ecole']} écoles, {kinds['college']} collèges, {kinds['lycee']} lycées, "
              f"{kinds['centre_social']} centres sociaux, {kinds['espace_vie_sociale']} espaces de vie sociale")
    return f"""# Jeu de données de démonstration (FICTIF)

Ce dossier contient des données **inventées** pour présenter le tableau de bord
Passerelles. Aucune école, aucun centre social, aucune réponse ni aucune
participation n'est réelle : chaque nom de structure et chaque titre de
rencontre inventé se termine par « (démo) ».

## Ce qui est réel

- Les **183 communes du Val d'Oise** (code INSEE, population, EPCI, contours),
  lues dans `data/reference/` : les structures fictives sont placées à
  l'intérieur de vraies communes, en proportion de leur population.
- La **réunion de lancement du 5 juin 2018** (9h00–12h30, Maison Pour Tous,
  Argenteuil) : sa date, son lieu et son titre sont réels ; la liste des
  structures présentes est inventée.

## Ce qui est inventé

- Les structures : identifiants UAI au bon format mais pris dans la plage
  0958xxx–0959xxx (peu probables), `CS-95-…` et `EVS-95-…` pour les centres
  sociaux et espaces de vie sociale ; noms, adresses, positions (point tiré au
  hasard dans la commune ; {without_position} structures sans coordonnées, à placer
  en mairie) ;
  éducation prioritaire (REP+ concentrés à Sarcelles, Garges-lès-Gonesse,
  Villiers-le-Bel, Argenteuil, Cergy) ; codes QPV fictifs `QN0950…`.
- Les réponses aux enquêtes des vagues 2017, 2018 et 2019, dont les textes
  libres (assemblés à partir de phrases types, sans nom, téléphone ni courriel).
- Les rencontres autres que le lancement et toutes les participations.

Contrastes voulus, pour vérifier les graphiques : liens plus fréquents et plus
souvent CLAS / parentalité en éducation prioritaire ; qualité meilleure et plus
de liens hebdomadaires dans les EPCI de Cergy-Pontoise et du Val Parisis ;
liens rares et ponctuels dans le Vexin rural ; qualité en hausse en 2019 pour
les liens des structures venues au lancement ou aux groupes de réflexion.

## Contenu

| fichier | lignes |
|---|---|
| `structures.csv` | {counts['structures']} ({detail}) |
| `reponses.csv` | {counts['reponses']} ({waves}) |
| `rencontres.csv` | {counts['rencontres']} |
| `participations.csv` | {counts['participations']} |

## Régénérer

Depuis la racine du dépôt :

```
python scripts/make_demo.py --seed {seed}
```

Le générateur est déterministe : la même graine et les mêmes fichiers de
référence donnent des fichiers identiques octet pour octet (un test le
vérifie). Options : `--out` (dossier de sortie, `data/demo` par défaut),
`--reference` (dossier des communes, `data/reference` par défaut). Ne pas
modifier ces fichiers à la main : l'application ne les modifie jamais.
"""


def departement_readme(seed: int, counts: dict[str, int], per_wave: dict[str, int], kinds: dict[str, int],
                       without_position: int, profile: DemoProfile, of_departement: str, n_communes: int,
                       estimated_population: bool = False) -> str:
    """The French README of a demo made for any département (contrasts chosen by :func:`derived_profile`)."""
    waves = ", ".join(f"{w} : {n}" for w, n in per_wave.items())
    detail = (f"{kinds['ecole']} écoles, {kinds['college']} collèges, {kinds['lycee']} lycées, "
              f"{kinds['centre_social']} centres sociaux, {kinds['espace_vie_sociale']} espaces de vie sociale")
    code = profile.departement
    priority = ", ".join(profile.priority_names) or "aucune commune"
    epci = ("qualité meilleure et plus de liens hebdomadaires dans une ou plusieurs intercommunalités tirées au "
            "sort" if profile.good_epci else "pas de contraste entre intercommunalités (moins de deux dans le "
            "département)")
    population = (f" La référence ne donne pas la population des communes : pour la démonstration, elle est "
                  f"estimée d'après leur surface ({DENSITY_WHEN_UNKNOWN:.0f} habitants au km²)."
                  if estimated_population else "")
    rural = ("; liens rares et ponctuels dans l'intercommunalité la moins dense" if profile.rural_epci else "")
    return f"""# Jeu de données de démonstration (FICTIF)

Ce dossier contient des données **inventées** pour essayer le tableau de bord
Passerelles avant la première enquête. Aucune école, aucun centre social, aucune
réponse, aucune rencontre ni aucune participation n'est réelle : chaque nom de
structure et chaque titre de rencontre se termine par « (démo) ».

## Ce qui est réel

- Les **{n_communes} communes {of_departement}** (code INSEE, population, EPCI,
  contours), lues dans `reference/` : les structures fictives sont placées à
  l'intérieur de vraies communes, en proportion de leur population.{population}

## Ce qui est inventé

- Les structures : identifiants UAI au bon format mais tirés au hasard,
  `CS-{code}-…` et `EVS-{code}-…` pour les centres sociaux et espaces de vie
  sociale ; noms, adresses, positions (point tiré au hasard dans la commune ;
  {without_position} structures sans coordonnées, à placer en mairie) ;
  éducation prioritaire dans les communes les plus peuplées ({priority}) ;
  codes QPV fictifs `{profile.qpv_prefix}…`.
- Les réponses aux enquêtes des vagues {", ".join(WAVES)}, dont les textes libres
  (assemblés à partir de phrases types, sans nom, téléphone ni courriel).
- Toutes les rencontres, lancement compris, et toutes les participations.

Contrastes voulus, pour vérifier les graphiques : liens plus fréquents et plus
souvent CLAS / parentalité en éducation prioritaire ; {epci}{rural} ; qualité en
hausse en {WAVES[-1]} pour les liens des structures venues au lancement ou aux
groupes de réflexion.

## Contenu

| fichier | lignes |
|---|---|
| `structures.csv` | {counts['structures']} ({detail}) |
| `reponses.csv` | {counts['reponses']} ({waves}) |
| `rencontres.csv` | {counts['rencontres']} |
| `participations.csv` | {counts['participations']} |

## Régénérer

Depuis la racine de Passerelles, dans un dossier vide ou qui n'existe pas encore :

```
python -m lib.cli demo --departement {code} --out DOSSIER --seed {seed}
```

La même graine donne des fichiers identiques octet pour octet. Le fichier
`{DEMO_MARKER}` signale à l'application un jeu de démonstration : elle
l'affiche comme tel et ne le modifie jamais.
"""


def reference_departement(reference_dir: Path) -> tuple[str, str]:
    """(INSEE code, « du Val-d'Oise ») of a reference folder, from its ``meta.json`` (else its communes' codes)."""
    try:
        meta = json.loads((reference_dir / "meta.json").read_text(encoding="utf-8"))
        code = str(meta["departement_code"])
        return code, reference_pack.of_departement(str(meta.get("departement_nom", code)),
                                                   meta.get("departement_tncc"))
    except (OSError, ValueError, KeyError):
        with open(reference_dir / "communes.csv", encoding="utf-8", newline="") as handle:
            first = next(csv.DictReader(handle), {}).get("code_insee", "")
        code = first[:3] if first.startswith("97") else first[:2]
        return code, f"du département {code}"


def generate_demo(reference_dir: Path, out_dir: Path, seed: int = DEFAULT_SEED,
                  departement_profile: DemoProfile | None = None) -> dict[str, int]:
    """Draw a fictional demo on the communes of ``reference_dir`` and write its tables and README to ``out_dir``.

    Args:
        reference_dir: a reference folder (``communes.csv``, ``communes.geojson``, ``meta.json``…).
        out_dir: where ``structures.csv``, ``reponses.csv``, ``rencontres.csv``, ``participations.csv``
            and ``README.md`` go (created if needed; those files are replaced).
        seed: the same seed and reference give byte-identical files.
        departement_profile: the contrasts to draw; by default the Val d'Oise's hand-made one for 95,
            else one derived from the reference (:func:`lib.demo_profile.derived_profile`).

    Returns:
        Row counts (structures, reponses, rencontres, participations, reponses_<wave>).

    Raises:
        DemoError: the reference or the questionnaire cannot carry the demo (French message).
    """
    reference_dir, out_dir = Path(reference_dir), Path(out_dir)
    rng = random.Random(seed)
    questionnaire = load_questionnaire()
    check_codes(questionnaire)
    communes = load_communes(reference_dir)
    code, of_departement = reference_departement(reference_dir)
    estimated = fill_missing_populations(communes)
    profile = departement_profile or profile_for(code, communes, seed)
    profile.apply(communes)
    quartiers = place_quartiers(rng, communes, profile)
    schools = place_schools(rng, communes, quartiers, profile)
    centres = place_centres(rng, communes, quartiers, profile)
    if not schools or not any(c.type == "centre_social" for c in centres):
        raise DemoError(f"démonstration : les communes {of_departement} ne suffisent pas à placer écoles et centres.")
    hide_some_positions(rng, [*schools, *centres])
    pools, links, effects = draw_first_links(rng, centres, schools, communes, questionnaire, profile.latitude)
    next_wave_links(rng, "2018", "2017", pools, links, effects, centres, schools, communes, questionnaire, set(), 0.0)
    rencontres, participations = draw_rencontres(rng, communes, centres, schools, links, profile)
    met_before_2019 = groups_attendees(rencontres, participations, "2019-03-25")
    next_wave_links(rng, "2019", "2018", pools, links, effects, centres, schools, communes, questionnaire,
                    met_before_2019, 0.45)
    answers = draw_answers(rng, links, schools, centres, communes, questionnaire)

    out_dir.mkdir(parents=True, exist_ok=True)
    structures = structure_rows([*schools, *centres])
    write_csv(out_dir / "structures.csv", STRUCTURE_COLUMNS, structures)
    write_csv(out_dir / "reponses.csv", REPONSE_COLUMNS, answers)
    write_csv(out_dir / "rencontres.csv", RENCONTRE_COLUMNS, rencontres)
    write_csv(out_dir / "participations.csv", PARTICIPATION_COLUMNS, participations)
    counts = {"structures": len(structures), "reponses": len(answers),
              "rencontres": len(rencontres), "participations": len(participations)}
    per_wave = {w: sum(1 for a in answers if a["vague"] == w) for w in WAVES}
    kinds = {k: 0 for k in ("ecole", "college", "lycee", "centre_social", "espace_vie_sociale")}
    for s in structures:
        kinds["ecole" if s["type"].startswith("ecole_") else s["type"]] += 1
    without_position = sum(1 for s in structures if not s["latitude"])
    if profile.hand_made:
        readme = val_d_oise_readme(seed, counts, per_wave, kinds, without_position)
    else:
        readme = departement_readme(seed, counts, per_wave, kinds, without_position, profile, of_departement,
                                    len(communes), estimated)
    (out_dir / "README.md").write_text(readme, encoding="utf-8", newline="\n")
    return {**counts, **{f"reponses_{w}": n for w, n in per_wave.items()}}


@dataclass(frozen=True)
class DemoDataset:
    """What :func:`create_demo_dataset` made."""

    folder: Path
    departement: DepartementEntry
    seed: int
    counts: dict[str, int]


def create_demo_dataset(folder: Path, departement: str, seed: int = DEFAULT_SEED, *,
                        pack_dir: Path = PACK_DIR) -> DemoDataset:
    """Make a fictional demo data set for one département in ``folder`` (empty or not existing yet).

    It holds its own ``reference/`` (from the packaged national reference), the
    generated tables, a README and the :data:`DEMO_MARKER` file that makes the
    app label it « démonstration » and never write to it. Everything is made in
    a temporary folder beside ``folder`` and renamed into place at the end: a
    failure leaves nothing half made. No network.

    Raises:
        DemoError: unknown département, folder not empty, or a write that failed (French message).
    """
    folder = Path(folder).expanduser().absolute()
    try:
        entry = reference_pack.find_departement(departement, pack_dir)
    except ReferencePackError as err:
        raise DemoError(str(err)) from None
    counts = {}

    def build(staging: Path) -> None:
        reference_pack.write_departement_reference(entry.code, staging / REFERENCE_DIR, pack_dir)
        counts.update(generate_demo(staging / REFERENCE_DIR, staging, seed))
        (staging / DEMO_MARKER).write_text(MARKER_TEXT, encoding="utf-8", newline="\n")

    create_in_place(folder, build, DemoError, "la démonstration", "de la démonstration")
    return DemoDataset(folder, entry, seed, counts)


