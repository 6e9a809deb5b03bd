"""Generate the FICTIONAL demo data set ``data/demo/`` on the real communes of Val d'Oise.

Every structure, answer and meeting is invented (names end with " (démo)"),
except the communes (``data/reference/``) and the kick-off meeting of
5 June 2018. The same seed gives byte-identical files:

    python scripts/make_demo.py [--seed 2018] [--out data/demo] [--reference data/reference]

Only the standard library's ``random.Random`` draws numbers, in a fixed order,
so the output does not depend on numpy's version. The territorial contrasts
the charts should show are set in the constants below (``PRIORITY_COMMUNES``,
``GOOD_EPCI_FRAGMENTS``, ``RURAL_EPCI_FRAGMENT``) and in ``link_profile``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.questionnaire import MULTI_SEPARATOR, Questionnaire, load_questionnaire

DEFAULT_SEED = 2018
DEMO_SUFFIX = " (démo)"
UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

# Target sizes (the generator lands close to them, not exactly on them).
TARGET_ECOLES = 900
TARGET_COLLEGES = 150
TARGET_LYCEES = 60
N_CENTRES_SOCIAUX = 45
N_EVS = 8
SHARE_WITHOUT_POSITION = 0.03

# Éducation prioritaire: commune INSEE code → (share of REP+, share of REP) among
# its écoles and collèges. REP+ is concentrated in a few big towns.
PRIORITY_COMMUNES: dict[str, tuple[float, float]] = {
    "95585": (0.45, 0.28),  # Sarcelles
    "95268": (0.52, 0.28),  # Garges-lès-Gonesse
    "95680": (0.50, 0.30),  # Villiers-le-Bel
    "95018": (0.16, 0.24),  # Argenteuil
    "95127": (0.18, 0.24),  # Cergy
    "95280": (0.00, 0.55),  # Goussainville
    "95277": (0.00, 0.42),  # Gonesse
    "95500": (0.00, 0.36),  # Pontoise
    "95063": (0.00, 0.45),  # Bezons
    "95487": (0.00, 0.45),  # Persan
    "95250": (0.00, 0.45),  # Fosses
    "95427": (0.00, 0.35),  # Montmagny
    "95572": (0.00, 0.32),  # Saint-Ouen-l'Aumône
    "95019": (0.00, 0.35),  # Arnouville
    "95197": (0.00, 0.22),  # Deuil-la-Barre
    "95052": (0.00, 0.35),  # Beaumont-sur-Oise
    "95351": (0.00, 0.25),  # Louvres
    "95218": (0.00, 0.18),  # Éragny
    "95219": (0.00, 0.12),  # Ermont
    "95252": (0.00, 0.12),  # Franconville
}
# Towns above this size get a fictional QPV even without éducation prioritaire.
QPV_WITHOUT_EP_POPULATION = 20_000

# EPCI (matched on a fragment of their name) whose links are better and more
# often weekly; the rural Vexin has few, occasional links.
GOOD_EPCI_FRAGMENTS = ("Cergy-Pontoise", "Val Parisis")
RURAL_EPCI_FRAGMENT = "Vexin"

WAVES = ("2017", "2018", "2019")
# Survey periods (inclusive): the 2018 wave starts after the kick-off of 5 June 2018.
WAVE_PERIODS: dict[str, list[tuple[date, date]]] = {
    "2017": [(date(2017, 3, 13), date(2017, 6, 30))],
    "2018": [(date(2018, 6, 11), date(2018, 7, 6)), (date(2018, 9, 10), date(2018, 12, 14))],
    "2019": [(date(2019, 3, 25), date(2019, 6, 28))],
}
MODE_WEIGHTS = {
    "2017": {"telephone": 0.58, "sur_site": 0.42},
    "2018": {"telephone": 0.55, "sur_site": 0.41, "formulaire": 0.04},
    "2019": {"telephone": 0.50, "sur_site": 0.42, "formulaire": 0.08},
}

KICKOFF = {
    "date": date(2018, 6, 5),
    "titre": "Tour d'horizon des liens École – Centres sociaux",
    "type": "lancement",
    "lieu": "Maison Pour Tous, 8 place de la Commune de Paris, Argenteuil",
    "commune_insee": "95018",
    "heure_debut": "09:00",
    "heure_fin": "12:30",
}

# --------------------------------------------------------------------------
# Names and addresses (fictional; famous people only as school patrons)
# --------------------------------------------------------------------------

SCHOOL_PATRONS = [
    "Les Tilleuls", "Jean Jaurès", "Jules Ferry", "Paul Langevin", "Pasteur",
    "Victor Hugo", "Les Marronniers", "Le Village", "Les Cerisiers", "Marie Curie",
    "Jean Moulin", "Anatole France", "Jean de La Fontaine", "Les Coquelicots",
    "Le Bois", "Les Prés", "Le Centre", "Camille Claudel", "Paul Éluard",
    "Louise Michel", "George Sand", "Jacques Prévert", "Saint-Exupéry",
    "Charles Perrault", "Albert Camus", "Joliot-Curie", "Les Glycines",
    "Les Noyers", "Le Clos", "Les Charmes", "Les Sablons", "La Source",
    "Les Vignes", "Le Moulin", "Les Bleuets", "Les Hirondelles", "Simone Veil",
    "Pablo Picasso", "Henri Wallon", "Paul Bert", "Condorcet", "Jean Macé",
    "Ferdinand Buisson", "Romain Rolland", "Lucie Aubrac", "Les Écureuils",
    "Les Lilas", "Les Peupliers", "Les Châtaigniers", "La Roseraie", "Le Parc",
    "La Butte", "Les Genêts", "Arc-en-ciel", "Le Petit Prince", "Françoise Dolto",
    "Gérard Philipe", "Jules Verne", "Alphonse Daudet", "Marcel Pagnol",
    "Pierre Brossolette", "Jean Zay", "Olympe de Gouges", "Rosa Parks",
    "Nelson Mandela", "Louis Pergaud", "Robert Desnos", "Paul Fort", "Émile Zola",
    "Hector Berlioz", "Claude Monet", "Camille Pissarro", "Les Acacias",
    "Les Érables", "Le Verger", "Les Sources", "La Fontaine Bertin", "Le Plateau",
    "Les Tournesols", "Les Mimosas", "Le Chemin Vert", "Les Trois Ormes",
    "La Garenne", "Le Val", "Les Merisiers", "Les Rossignols", "Le Bel Air",
    "Les Pâquerettes", "La Colline", "Les Aulnes", "Les Saules", "Louis Pasteur",
    "Denis Diderot", "Voltaire", "Jean Racine", "Molière",
]
COLLEGE_PATRONS = [
    "Simone Veil", "Jean Moulin", "Pablo Picasso", "Voltaire", "Albert Camus",
    "Gérard Philipe", "Jules Vallès", "Léon Blum", "Paul Éluard", "Louise Michel",
    "Victor Hugo", "Marie Curie", "Jean Zay", "Claude Monet", "Anne Frank",
    "Aimé Césaire", "Olympe de Gouges", "Jacques Prévert", "Romain Rolland",
    "Pierre Mendès France", "Camille Claudel", "Émile Zola", "Lucie Aubrac",
    "Nelson Mandela", "Condorcet", "Rosa Parks", "Les Hauts du Val",
    "La Bruyère", "Les Coutures", "Le Moulin à Vent", "Jean Jaurès",
    "Françoise Dolto", "Guy de Maupassant", "Jean-Jacques Rousseau",
    "Paul Langevin", "Denis Diderot", "Montesquieu", "Molière", "Gustave Eiffel",
    "Jean de La Fontaine", "Antoine de Saint-Exupéry", "Les Explorateurs",
    "Les Touleuses", "La Justice", "Le Parc", "Hector Berlioz", "Alexandre Dumas",
    "Georges Brassens", "Marcel Pagnol", "Gabriel Péri",
]
LYCEE_KINDS = ["Lycée", "Lycée", "Lycée polyvalent", "Lycée professionnel"]
LYCEE_PATRONS = [
    "Camille Pissarro", "Jean Jaurès", "Simone de Beauvoir", "Alfred Kastler",
    "Galilée", "Louis Armand", "Paul-Émile Victor", "René Cassin", "Jules Verne",
    "Van Gogh", "Évariste Galois", "Fragonard", "Julie-Victoire Daubié",
    "Gustave Monod", "Montesquieu", "Jean Perrin", "Ferdinand Buisson",
    "Arthur Rimbaud", "Romain Rolland", "Charles Baudelaire", "Pierre Mendès France",
    "Jacques Prévert", "Édouard Branly", "George Sand", "Marie Curie",
    "Condorcet", "Jean Monnet", "Le Corbusier", "Auguste Renoir", "Paul Cézanne",
]
CENTRE_NAMES = [
    "Les Coteaux", "La Passerelle", "L'Escale", "Le Phare", "La Ruche",
    "Le Trait d'Union", "L'Agora", "Les Hauts de Val", "La Boussole",
    "Le Colombier", "La Clé des Champs", "Horizons", "Arc-en-ciel", "Le Carrefour",
    "Les Quatre Saisons", "La Croisée", "Le Kiosque", "L'Oasis", "Les Tournesols",
    "Le Lien", "La Marelle", "Les Sources", "L'Envol", "La Canopée", "Le Relais",
    "Les Acacias", "La Terrasse", "Le Square", "Les Jardins", "La Maison des Familles",
    "L'Étoile", "Le Fil d'Ariane", "La Rencontre", "Les Trois Rivières",
    "La Fontaine", "Le Belvédère", "L'Olivier", "Le Nouveau Monde", "Mosaïque",
    "La Roseraie", "Les Chênes", "Le Pont", "La Clairière", "L'Archipel",
    "Les Tilleuls", "Le Moulin", "La Cité", "Les Bosquets", "Le Village",
    "L'Atelier", "La Source", "Les Vergers", "Le Prieuré", "La Voie Verte",
]
STREET_KINDS = ["rue", "rue", "rue", "avenue", "allée", "chemin", "place", "boulevard", "impasse"]
STREET_NAMES = [
    "des Lilas", "des Écoles", "Jean Jaurès", "de la République", "Victor Hugo",
    "du Moulin", "des Prés", "de la Gare", "Pasteur", "des Tilleuls",
    "du Général Leclerc", "de la Paix", "des Sablons", "du Château", "de l'Église",
    "des Vignes", "de la Libération", "des Acacias", "du Stade", "des Peupliers",
    "de Paris", "des Jardins", "du Parc", "de la Mairie", "Gabriel Péri",
    "des Tournelles", "de la Fontaine", "des Bleuets", "du Val", "des Roses",
    "du 8 Mai 1945", "des Frères Lumière", "Paul Vaillant-Couturier", "des Glycines",
    "de la Croix Blanche", "du Bois", "des Coquelicots", "de la Division Leclerc",
]

# --------------------------------------------------------------------------
# Answer model: weights by code. Codes are checked against the questionnaire
# (check_codes); a questionnaire code missing here gets DEFAULT_WEIGHT.
# --------------------------------------------------------------------------

DEFAULT_WEIGHT = 0.2
FORME_WEIGHTS = {
    "clas": 1.0, "periscolaire": 0.8, "parentalite": 0.7, "fetes": 0.8,
    "projets_citoyens": 0.5, "instances": 0.35, "orientation_familles": 0.5,
    "ateliers_langue": 0.3, "pret_locaux": 0.35, "echanges_information": 0.9,
    "autre": 0.04,
}
# Multipliers of FORME_WEIGHTS by situation.
FORME_BOOSTS = {
    "ep": {"clas": 2.4, "parentalite": 2.4, "ateliers_langue": 2.2, "instances": 1.8},
    "rural": {"fetes": 2.2, "pret_locaux": 2.2, "periscolaire": 1.6, "clas": 0.35,
              "parentalite": 0.5, "ateliers_langue": 0.2},
    "ecole_maternelle": {"clas": 0.05, "parentalite": 1.6, "fetes": 1.3, "orientation_familles": 0.6},
    "college": {"clas": 1.3, "orientation_familles": 1.6, "periscolaire": 0.15, "fetes": 0.5},
    "lycee": {"clas": 0.4, "periscolaire": 0.0, "projets_citoyens": 2.2,
              "orientation_familles": 1.6, "echanges_information": 1.3, "fetes": 0.3,
              "parentalite": 0.4},
    "espace_vie_sociale": {"clas": 0.5, "fetes": 1.6, "pret_locaux": 1.5},
}
OBJET_WEIGHTS = {"autre": 0.03}
# Objets a forme leads to.
OBJETS_BY_FORME = {
    "clas": {"reussite_scolaire": 3.0, "decrochage": 0.6, "numerique": 0.3},
    "periscolaire": {"culture_loisirs": 2.0, "reussite_scolaire": 0.5, "sante_bien_etre": 0.4},
    "parentalite": {"soutien_parentalite": 3.0, "relation_familles_ecole": 2.0},
    "fetes": {"culture_loisirs": 2.0, "citoyennete": 1.0, "relation_familles_ecole": 1.0},
    "projets_citoyens": {"citoyennete": 3.0, "culture_loisirs": 0.5},
    "instances": {"relation_familles_ecole": 1.5, "reussite_scolaire": 1.0},
    "orientation_familles": {"relation_familles_ecole": 2.0, "numerique": 1.0, "decrochage": 0.7},
    "ateliers_langue": {"langue_francaise": 3.0, "relation_familles_ecole": 1.0},
    "pret_locaux": {"culture_loisirs": 1.0},
    "echanges_information": {"reussite_scolaire": 1.0, "relation_familles_ecole": 1.0,
                             "sante_bien_etre": 0.7},
}
# Leviers that come with good links (weight grows with quality) and the others.
GOOD_LEVIERS = {
    "interconnaissance": 1.3, "personne_relais": 1.2, "projet_commun": 0.9,
    "rencontres_regulieres": 0.9, "soutien_direction": 0.8, "convention": 0.5,
    "confiance_familles": 0.7,
}
OTHER_LEVIERS = {"proximite": 0.8, "financement": 0.5, "cadre_rep": 0.05, "autre": 0.04}
# Freins that come with poor links (weight grows as quality falls) and the others.
POOR_FREINS = {
    "meconnaissance": 1.1, "pas_interlocuteur": 1.0, "renouvellement_equipes": 0.9,
    "cultures_professionnelles": 0.8, "partage_information": 0.5,
}
OTHER_FREINS = {
    "manque_temps": 1.0, "calendriers": 0.7, "financement_incertain": 0.4,
    "locaux": 0.3, "mobilisation_familles": 0.5, "autre": 0.04,
}
SCHOOL_FONCTIONS = {
    "premier_degre": {"direction_ecole": 0.72, "enseignant": 0.18, "coordination_rep": 0.0,
                      "social_scolaire": 0.02},
    "college": {"chef_etablissement": 0.45, "cpe": 0.25, "enseignant": 0.1,
                "coordination_rep": 0.0, "social_scolaire": 0.1},
    "lycee": {"chef_etablissement": 0.4, "cpe": 0.35, "enseignant": 0.1, "social_scolaire": 0.15},
}
CENTRE_FONCTIONS = {
    "centre_social": {"direction_centre": 0.35, "referent_famille": 0.3,
                      "coordination_clas": 0.2, "animation": 0.12, "benevole": 0.03},
    "espace_vie_sociale": {"direction_centre": 0.35, "animation": 0.3, "benevole": 0.35},
}
OTHER_FONCTION_WEIGHT = 0.02

# --------------------------------------------------------------------------
# Free text fragments. Conditions: any, good, poor, ep, rural, clas,
# parentalite, ecole, centre, secondaire. No people, no phone, no e-mail.
# --------------------------------------------------------------------------

RESSOURCES = [
    ("any", "Un local partagé pour l'accompagnement à la scolarité."),
    ("any", "La salle polyvalente de la mairie pour les temps forts."),
    ("any", "Des bénévoles retraités, dont d'anciens enseignants."),
    ("any", "Le réseau des parents relais du quartier."),
    ("any", "La ludothèque du centre, ouverte aux classes sur réservation."),
    ("any", "Le service jeunesse de la ville, qui fait le lien."),
    ("ep", "Le soutien de la coordination REP."),
    ("ep", "Les crédits de la politique de la ville."),
    ("ep", "Des interprètes bénévoles pour les familles non francophones."),
    ("clas", "Le financement CLAS de la CAF."),
    ("clas", "Une équipe stable d'animateurs sur l'accompagnement scolaire."),
    ("parentalite", "Un espace parents dans l'école, prêté un matin par semaine."),
    ("parentalite", "Le réseau d'écoute et d'appui aux parents."),
    ("rural", "Le minibus de la communauté de communes."),
    ("rural", "La bibliothèque du village, qui accueille les ateliers."),
    ("good", "Une vraie confiance entre les équipes, construite sur plusieurs années."),
    ("centre", "Des familles qui connaissent bien le centre et s'y sentent à l'aise."),
    ("ecole", "Une direction d'école disponible et ouverte au partenariat."),
    ("secondaire", "Le CPE, interlocuteur régulier du centre."),
]
OUTILS = [
    ("any", "Une fiche de liaison entre l'enseignant et l'animateur."),
    ("any", "Un planning commun affiché dans les deux structures."),
    ("any", "Une plaquette de présentation du centre remise aux familles à la rentrée."),
    ("any", "Un groupe de messagerie entre les référents des deux structures."),
    ("any", "Un compte rendu partagé après chaque réunion."),
    ("good", "Une convention signée en début d'année, relue en juin."),
    ("good", "Un bilan annuel fait ensemble avec les familles."),
    ("clas", "Un cahier de suivi par enfant pour le CLAS."),
    ("clas", "Un tableau des inscriptions au CLAS mis à jour chaque trimestre."),
    ("parentalite", "Un agenda des cafés des parents diffusé par les cahiers de liaison."),
    ("ep", "Le tableau de bord du comité de pilotage REP."),
    ("secondaire", "Une réunion de rentrée pour les parents de sixième, animée à deux."),
    ("rural", "Un calendrier des fêtes de village partagé avec l'école."),
    ("poor", "Aucun outil commun pour l'instant."),
]
PISTES = [
    ("any", "Organiser une réunion de rentrée commune."),
    ("any", "Présenter le centre social aux nouveaux enseignants en septembre."),
    ("any", "Construire un projet commun autour de la citoyenneté."),
    ("any", "Faire un bilan ensemble en fin d'année."),
    ("any", "Se retrouver au moins une fois par trimestre."),
    ("any", "Mieux faire connaître les actions du centre aux familles de l'école."),
    ("poor", "Identifier une personne relais de chaque côté."),
    ("poor", "Clarifier ce que chacun peut partager sur la situation des enfants."),
    ("poor", "Relancer le partenariat après le changement de direction."),
    ("poor", "Trouver un créneau de rencontre compatible avec les horaires de classe."),
    ("good", "Écrire une convention pour garder la mémoire du partenariat."),
    ("good", "Ouvrir le partenariat à d'autres écoles du secteur."),
    ("ep", "Associer le centre social au comité de pilotage du réseau."),
    ("parentalite", "Installer un café des parents dans l'école."),
    ("clas", "Partager un bilan du CLAS avec les enseignants à chaque période."),
    ("rural", "Mutualiser les transports avec les communes voisines."),
    ("secondaire", "Accompagner ensemble le passage en sixième."),
]
COMMENTAIRES = [
    ("good", "Relation de confiance construite au fil des années."),
    ("good", "Les familles font naturellement le lien entre les deux structures."),
    ("good", "Partenariat riche, les équipes se parlent facilement."),
    ("good", "Les enseignants viennent volontiers aux temps forts du centre."),
    ("good", "Le lien tient grâce à une personne relais très impliquée de chaque côté."),
    ("good", "Beaucoup d'échanges informels en plus des réunions prévues."),
    ("poor", "Peu de retours de l'école depuis le changement de direction."),
    ("poor", "Difficile de trouver un moment pour se rencontrer."),
    ("poor", "Le centre est encore mal connu des enseignants."),
    ("poor", "Les échanges se limitent aux inscriptions en début d'année."),
    ("poor", "Chacun reste dans son rôle, on se croise sans vraiment travailler ensemble."),
    ("poor", "Le partenariat repose sur une seule personne, fragile."),
    ("any", "Lien à développer."),
    ("any", "Les familles sont demandeuses de plus d'actions communes."),
    ("any", "Le partenariat a été évoqué en conseil d'école cette année."),
    ("any", "La réforme des rythmes a changé l'organisation du périscolaire."),
    ("ep", "Le cadre du réseau d'éducation prioritaire facilite les rencontres."),
    ("ep", "Forte rotation des enseignants, il faut tout reconstruire chaque année."),
    ("rural", "Les distances compliquent les actions communes."),
    ("rural", "Lien surtout autour de la fête de fin d'année."),
    ("clas", "Le CLAS fonctionne bien mais les places sont limitées."),
    ("parentalite", "Le café des parents attire surtout des mamans de maternelle."),
    ("centre", "L'école nous oriente des familles, mais sans retour ensuite."),
    ("ecole", "Nous orientons régulièrement des familles vers le centre."),
    ("secondaire", "Le lien passe surtout par la vie scolaire."),
]
TEXT_FILL_RATE = {"ressources": 0.35, "outils": 0.3, "pistes": 0.4, "commentaire": 0.5}


# --------------------------------------------------------------------------
# Data structures
# --------------------------------------------------------------------------


@dataclass
class Commune:
    """A real commune of Val d'Oise, with the profile the generator gives it."""

    code: str
    nom: str
    population: int
    epci_code: str
    epci_nom: str
    polygon: object
    good_epci: bool = False
    rural: bool = False
    rep_plus_share: float = 0.0
    rep_share: float = 0.0


@dataclass
class Quartier:
    """A fictional QPV: a centre point and a radius in km."""

    qpv: str
    commune: str
    lat: float
    lon: float
    radius_km: float


@dataclass
class Structure:
    """One row of structures.csv; ``lat``/``lon`` are kept even when not shown."""

    id: str
    type: str
    nom: str
    commune: str
    adresse: str
    lat: float
    lon: float
    education_prioritaire: str = ""
    qpv: str = ""
    position_shown: bool = True


@dataclass
class Link:
    """A school–centre link and its hidden traits, wave by wave."""

    ecole_id: str
    centre_id: str
    intensity: float
    formes: list[str]
    quality: dict[str, float] = field(default_factory=dict)


@dataclass
class Interview:
    """One structure's interview in one wave: it covers all its links."""

    date: date
    mode: str
    fonction: str


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def check_codes(questionnaire: Questionnaire) -> None:
    """Fail early if a code the generator refers to is not in the questionnaire."""
    used = {
        "formes": set(FORME_WEIGHTS) | {c for b in FORME_BOOSTS.values() for c in b} | set(OBJETS_BY_FORME),
        "objets": set(OBJET_WEIGHTS) | {c for m in OBJETS_BY_FORME.values() for c in m} | {"decrochage", "numerique"},
        "leviers": set(GOOD_LEVIERS) | set(OTHER_LEVIERS),
        "freins": set(POOR_FREINS) | set(OTHER_FREINS),
        "fonctions": {c for f in (*SCHOOL_FONCTIONS.values(), *CENTRE_FONCTIONS.values()) for c in f},
        "modes": {m for w in MODE_WEIGHTS.values() for m in w},
        "types_structure": {"ecole_maternelle", "ecole_elementaire", "ecole_primaire", "college",
                            "lycee", "centre_social", "espace_vie_sociale"}
        | {k for k in FORME_BOOSTS if k not in ("ep", "rural")},
        "education_prioritaire": {"REP+", "REP"},
        "types_rencontre": {"lancement", "rencontre_departementale", "groupe_centres_sociaux",
                            "groupe_acteurs_scolaires", "pilotage"},
    }
    for list_name, codes in used.items():
        unknown = sorted(codes - set(questionnaire[list_name].codes))
        if unknown:
            raise SystemExit(f"make_demo: codes absents de [{list_name}] du questionnaire : {unknown}")


def weighted_choice(rng: random.Random, weights: dict[str, float]) -> str:
    """One key drawn with probability proportional to its weight."""
    keys = [k for k, w in weights.items() if w > 0]
    return rng.choices(keys, [weights[k] for k in keys])[0]


def weighted_sample(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    """Up to ``k`` distinct keys, drawn one by one proportionally to their weights."""
    pool = {key: w for key, w in weights.items() if w > 0}
    picked: list[str] = []
    while pool and len(picked) < k:
        key = weighted_choice(rng, pool)
        picked.append(key)
        del pool[key]
    return picked


def code_weights(codes: list[str], table: dict[str, float], boosts: list[dict[str, float]] = ()) -> dict[str, float]:
    """Weights for every questionnaire code: table value (or default) times boosts."""
    weights = {}
    for code in codes:
        w = table.get(code, DEFAULT_WEIGHT)
        for boost in boosts:
            w *= boost.get(code, 1.0)
        weights[code] = round(w, 6)
    return weights


def allocate(weights: dict[str, float], total: int, minimum: dict[str, int]) -> dict[str, int]:
    """Share ``total`` items out by weight (largest remainder), honouring minimums."""
    counts = dict(minimum)
    rest = total - sum(counts.values())
    weight_sum = sum(weights.values())
    if rest <= 0 or weight_sum <= 0:
        return counts
    quotas = {k: rest * w / weight_sum for k, w in weights.items()}
    for k, q in quotas.items():
        counts[k] = counts.get(k, 0) + int(q)
    left = total - sum(counts.values())
    by_remainder = sorted(quotas, key=lambda k: (-(quotas[k] - int(quotas[k])), k))
    for k in by_remainder[:left]:
        counts[k] += 1
    return counts


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance, plenty for a département."""
    dy = (lat2 - lat1) * 111.2
    dx = (lon2 - lon1) * 111.2 * math.cos(math.radians(49.05))
    return math.hypot(dx, dy)


def random_point(rng: random.Random, polygon, near: tuple[float, float, float] | None = None) -> tuple[float, float]:
    """A uniform random (lat, lon) inside ``polygon``, optionally within ``near`` = (lat, lon, km)."""
    minx, miny, maxx, maxy = polygon.bounds
    if near is not None:
        lat, lon, km = near
        dlat, dlon = km / 111.2, km / (111.2 * math.cos(math.radians(lat)))
        for _ in range(200):
            y, x = rng.uniform(lat - dlat, lat + dlat), rng.uniform(lon - dlon, lon + dlon)
            if distance_km(lat, lon, y, x) <= km and shapely.contains_xy(polygon, x, y):
                return y, x
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, x, y):
            return y, x


def uai_code(number: int) -> str:
    """``095`` + 4 digits + check letter, e.g. 0958123K."""
    digits = f"095{number:04d}"
    return digits + UAI_CHECK_LETTERS[int(digits) % 23]


def fictional_address(rng: random.Random, big_town: bool) -> str:
    """A made-up street address such as "12 rue des Lilas"."""
    kinds = STREET_KINDS if big_town else [k for k in STREET_KINDS if k != "boulevard"]
    kind = rng.choice(kinds)
    name = rng.choice(STREET_NAMES)
    return f"{rng.randint(1, 120)} {kind} {name}"


def working_days(periods: list[tuple[date, date]]) -> list[date]:
    """Every Monday–Friday inside the periods."""
    days = []
    for start, end in periods:
        day = start
        while day <= end:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
    return days


# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------


def load_communes(reference: Path) -> dict[str, Commune]:
    """Read the real communes (CSV + GeoJSON) and give each its territorial profile."""
    csv_path, geo_path = reference / "communes.csv", reference / "communes.geojson"
    for path in (csv_path, geo_path):
        if not path.exists():
            raise SystemExit(f"make_demo: fichier de référence introuvable : {path}")
    with open(geo_path, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    polygons = {str(f["properties"]["code_insee"]): shape(f["geometry"]) for f in features}
    communes: dict[str, Commune] = {}
    with open(csv_path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["code_insee"]
            commune = Commune(code, row["nom"], int(float(row["population"] or 0)),
                              row["epci_code"], row["epci_nom"], polygons[code])
            commune.good_epci = any(f in commune.epci_nom for f in GOOD_EPCI_FRAGMENTS)
            commune.rural = RURAL_EPCI_FRAGMENT in commune.epci_nom
            commune.rep_plus_share, commune.rep_share = PRIORITY_COMMUNES.get(code, (0.0, 0.0))
            communes[code] = commune
    missing = [f for f in (*GOOD_EPCI_FRAGMENTS, RURAL_EPCI_FRAGMENT)
               if not any(f in c.epci_nom for c in communes.values())]
    if missing:
        raise SystemExit(f"make_demo: aucun EPCI ne contient {missing}")
    return dict(sorted(communes.items()))


def place_quartiers(rng: random.Random, communes: dict[str, Commune]) -> dict[str, list[Quartier]]:
    """Fictional QPV: 1–3 per éducation-prioritaire town, one in other big towns."""
    quartiers: dict[str, list[Quartier]] = {}
    number = 0
    for code, commune in communes.items():
        ep = commune.rep_plus_share + commune.rep_share
        if ep > 0:
            count = min(3, 1 + commune.population // 30_000 + (commune.rep_plus_share > 0))
        elif commune.population >= QPV_WITHOUT_EP_POPULATION:
            count = 1
        else:
            continue
        for _ in range(count):
            number += 1
            lat, lon = random_point(rng, commune.polygon)
            radius = 0.6 + 0.6 * ep + rng.uniform(0.0, 0.3)
            quartiers.setdefault(code, []).append(Quartier(f"QN0950{number:02d}", code, lat, lon, radius))
    return quartiers


def nearest_quartier(lat: float, lon: float, quartiers: list[Quartier]) -> tuple[Quartier | None, float]:
    """The closest QPV of the commune and its distance in km."""
    best, best_d = None, math.inf
    for quartier in quartiers:
        d = distance_km(lat, lon, quartier.lat, quartier.lon)
        if d < best_d:
            best, best_d = quartier, d
    return best, best_d


def school_counts(rng: random.Random, communes: dict[str, Commune]) -> dict[str, dict[str, int]]:
    """How many écoles, collèges and lycées each commune gets, by population."""
    village_ecoles = {
        code: 1 for code, c in communes.items()
        if c.population < 1000 and rng.random() < min(0.8, c.population / 900) * 0.7
    }
    towns = {code: c.population for code, c in communes.items() if c.population >= 1000}
    ecoles = allocate(towns, TARGET_ECOLES, {**village_ecoles, **{code: 1 for code in towns}})
    colleges = allocate(
        {code: c.population ** 0.9 for code, c in communes.items() if c.population >= 3500},
        TARGET_COLLEGES, {code: 1 for code, c in communes.items() if c.population >= 6000},
    )
    lycees = allocate(
        {code: c.population for code, c in communes.items() if c.population >= 9000},
        TARGET_LYCEES, {code: 1 for code, c in communes.items() if c.population >= 20000},
    )
    return {code: {"ecole": ecoles.get(code, 0), "college": colleges.get(code, 0),
                   "lycee": lycees.get(code, 0)} for code in communes}


def ecole_types(rng: random.Random, count: int) -> list[str]:
    """Types of a commune's écoles: villages have primaires, towns maternelles + élémentaires."""
    if count == 1:
        return ["ecole_primaire" if rng.random() < 0.75 else "ecole_elementaire"]
    if count == 2:
        return (["ecole_maternelle", "ecole_elementaire"] if rng.random() < 0.7
                else ["ecole_primaire", "ecole_primaire"])
    return [weighted_choice(rng, {"ecole_maternelle": 0.43, "ecole_elementaire": 0.46,
                                  "ecole_primaire": 0.11}) for _ in range(count)]


def place_schools(rng: random.Random, communes: dict[str, Commune],
                  quartiers: dict[str, list[Quartier]]) -> list[Structure]:
    """Écoles, collèges and lycées, with UAI ids, demo names and positions."""
    counts = school_counts(rng, communes)
    total = sum(sum(c.values()) for c in counts.values())
    numbers = rng.sample(range(8000, 10000), total)
    schools: list[Structure] = []
    for code, commune in communes.items():
        types = ecole_types(rng, counts[code]["ecole"]) if counts[code]["ecole"] else []
        types += ["college"] * counts[code]["college"] + ["lycee"] * counts[code]["lycee"]
        used_names: set[str] = set()
        for school_type in types:
            nom = school_name(rng, school_type, used_names)
            lat, lon = random_point(rng, commune.polygon)
            schools.append(Structure(
                uai_code(numbers[len(schools)]), school_type, nom, code,
                fictional_address(rng, commune.population > 15000), lat, lon,
            ))
    assign_priority_education(rng, schools, communes, quartiers)
    return schools


def school_name(rng: random.Random, school_type: str, used: set[str]) -> str:
    """A plausible school name, unique in its commune, marked as demo."""
    if school_type == "college":
        prefix, patrons = "Collège", COLLEGE_PATRONS
    elif school_type == "lycee":
        prefix, patrons = rng.choice(LYCEE_KINDS), LYCEE_PATRONS
    else:
        prefix = {"ecole_maternelle": "École maternelle", "ecole_elementaire": "École élémentaire",
                  "ecole_primaire": "École primaire"}[school_type]
        patrons = SCHOOL_PATRONS
    for _ in range(50):
        nom = f"{prefix} {rng.choice(patrons)}{DEMO_SUFFIX}"
        if nom not in used:
            break
    else:
        nom = f"{prefix} {rng.choice(patrons)} {len(used) + 1}{DEMO_SUFFIX}"
    used.add(nom)
    return nom


def assign_priority_education(rng: random.Random, schools: list[Structure], communes: dict[str, Commune],
                              quartiers: dict[str, list[Quartier]]) -> None:
    """REP+/REP for écoles and collèges closest to the QPV; QPV code for those inside one."""
    rep_plus, rep = "REP+", "REP"
    by_commune: dict[str, list[Structure]] = {}
    for school in schools:
        by_commune.setdefault(school.commune, []).append(school)
    for code, members in by_commune.items():
        commune, local_qpv = communes[code], quartiers.get(code, [])
        if not local_qpv:
            continue
        distances = {s.id: nearest_quartier(s.lat, s.lon, local_qpv) for s in members}
        eligible = sorted((s for s in members if s.type != "lycee"),
                          key=lambda s: (distances[s.id][1] * rng.uniform(0.7, 1.4), s.id))
        n_plus = round(commune.rep_plus_share * len(eligible))
        n_rep = round(commune.rep_share * len(eligible))
        for rank, school in enumerate(eligible[:n_plus + n_rep]):
            school.education_prioritaire = rep_plus if rank < n_plus else rep
        for school in members:
            quartier, d = distances[school.id]
            inside = d <= quartier.radius_km
            if inside or (school.education_prioritaire and rng.random() < 0.6):
                school.qpv = quartier.qpv


def place_centres(rng: random.Random, communes: dict[str, Commune],
                  quartiers: dict[str, list[Quartier]]) -> list[Structure]:
    """Centres sociaux in the bigger towns (near the QPV), EVS in mid-size or rural communes."""
    weights = {code: c.population * (1 + 1.5 * (c.rep_plus_share + c.rep_share))
               for code, c in communes.items() if c.population >= 7000}
    counts = allocate(weights, N_CENTRES_SOCIAUX,
                      {code: 1 for code, c in communes.items() if c.population >= 20000})
    names = rng.sample(CENTRE_NAMES, N_CENTRES_SOCIAUX + N_EVS)
    centres: list[Structure] = []
    for code, count in sorted(counts.items()):
        commune, local_qpv = communes[code], quartiers.get(code, [])
        for index in range(count):
            if local_qpv and rng.random() < 0.85:
                quartier = local_qpv[index % len(local_qpv)]
                lat, lon = random_point(rng, commune.polygon, (quartier.lat, quartier.lon, quartier.radius_km * 0.8))
                qpv = quartier.qpv
            else:
                lat, lon = random_point(rng, commune.polygon)
                quartier, d = nearest_quartier(lat, lon, local_qpv)
                qpv = quartier.qpv if quartier and d <= quartier.radius_km else ""
            number = len(centres) + 1
            centres.append(Structure(
                f"CS-95-{number:03d}", "centre_social", f"Centre social {names[number - 1]}{DEMO_SUFFIX}",
                code, fictional_address(rng, commune.population > 15000), lat, lon, qpv=qpv,
            ))
    rural = [code for code, c in communes.items() if c.rural and c.population >= 800]
    others = {code: c.population for code, c in communes.items()
              if not c.rural and 1500 <= c.population <= 9000 and code not in counts}
    evs_communes = rng.sample(rural, 3) + weighted_sample(rng, others, N_EVS - 3)
    for number, code in enumerate(sorted(evs_communes), start=1):
        commune = communes[code]
        lat, lon = random_point(rng, commune.polygon)
        centres.append(Structure(
            f"EVS-95-{number:03d}", "espace_vie_sociale",
            f"Espace de vie sociale {names[N_CENTRES_SOCIAUX + number - 1]}{DEMO_SUFFIX}",
            code, fictional_address(rng, False), lat, lon,
        ))
    return centres


def hide_some_positions(rng: random.Random, structures: list[Structure]) -> None:
    """About 3 % of structures lose their coordinates (the app uses the town hall)."""
    for structure in sorted(structures, key=lambda s: s.id):
        structure.position_shown = rng.random() >= SHARE_WITHOUT_POSITION


def link_profile(school: Structure, centre: Structure, communes: dict[str, Commune]) -> dict[str, float | bool]:
    """Traits that drive a link: éducation prioritaire, good EPCI, rurality."""
    commune = communes[school.commune]
    ep = school.education_prioritaire
    return {
        "ep": bool(ep),
        "rep_plus": ep == "REP+",
        "good": communes[centre.commune].good_epci,
        "rural": commune.rural or communes[centre.commune].rural,
    }


def new_link(rng: random.Random, school: Structure, centre: Structure, communes: dict[str, Commune],
             questionnaire: Questionnaire, centre_effect: float) -> Link:
    """Draw a link's hidden traits: its forms, intensity (→ frequency) and quality."""
    profile = link_profile(school, centre, communes)
    boosts = [FORME_BOOSTS.get(school.type, {}), FORME_BOOSTS.get(centre.type, {})]
    if profile["ep"]:
        boosts.append(FORME_BOOSTS["ep"])
    if profile["rural"]:
        boosts.append(FORME_BOOSTS["rural"])
    weights = code_weights(questionnaire["formes"].codes, FORME_WEIGHTS, boosts)
    n_formes = rng.choices((1, 2, 3, 4), (0.3, 0.38, 0.22, 0.1) if profile["ep"] else (0.42, 0.36, 0.16, 0.06))[0]
    formes = weighted_sample(rng, weights, n_formes)
    intensity = rng.gauss(0.0, 0.65)
    intensity += 1.1 if profile["rep_plus"] else 0.6 if profile["ep"] else 0.0
    intensity += 0.8 if profile["good"] else 0.0
    intensity -= 1.3 if profile["rural"] else 0.0
    intensity += 0.7 if ("clas" in formes or "periscolaire" in formes) else 0.0
    intensity -= {"college": 0.3, "lycee": 0.8}.get(school.type, 0.0)
    intensity -= 0.5 if centre.type == "espace_vie_sociale" else 0.0
    quality = 2.55 + centre_effect + rng.gauss(0.0, 0.5)
    quality += 0.6 if profile["good"] else 0.0
    quality -= 0.15 if profile["rural"] else 0.0
    return Link(school.id, centre.id, intensity, formes, {WAVES[0]: quality})


def partner_weights(centre: Structure, schools: list[Structure], communes: dict[str, Commune]) -> dict[str, float]:
    """How likely each school is to partner the centre: same commune, then same EPCI, nearby."""
    epci = communes[centre.commune].epci_code
    weights = {}
    for school in schools:
        d = distance_km(centre.lat, centre.lon, school.lat, school.lon)
        w = math.exp(-d / 2.0) * {"college": 0.8, "lycee": 0.25}.get(school.type, 1.0)
        if school.commune == centre.commune:
            w *= 4.0
        elif communes[school.commune].epci_code == epci:
            w *= 1.5
        else:
            w *= 0.2
        weights[school.id] = round(w, 9)
    return weights


def draw_first_links(rng: random.Random, centres: list[Structure], schools: list[Structure],
                     communes: dict[str, Commune], questionnaire: Questionnaire
                     ) -> tuple[dict[str, list[str]], dict[str, Link], dict[str, float]]:
    """Each centre's ordered pool of possible partners, the first wave's links and
    each centre's own quality effect (some centres work better with schools)."""
    by_id = {s.id: s for s in schools}
    pools: dict[str, list[str]] = {}
    links: dict[str, Link] = {}
    effects: dict[str, float] = {}
    for centre in centres:
        is_cs = centre.type == "centre_social"
        pools[centre.id] = weighted_sample(rng, partner_weights(centre, schools, communes), 28 if is_cs else 12)
        first = rng.randint(12, 15) if is_cs else rng.randint(3, 6)
        centre_effect = effects[centre.id] = rng.gauss(0.0, 0.3)
        for school_id in pools[centre.id][:first]:
            link = new_link(rng, by_id[school_id], centre, communes, questionnaire, centre_effect)
            links[f"{school_id}|{centre.id}"] = link
        pools[centre.id] = pools[centre.id][first:]
    return pools, links, effects


def next_wave_links(rng: random.Random, wave: str, previous: str, pools: dict[str, list[str]],
                    links: dict[str, Link], effects: dict[str, float],
                    centres: list[Structure], schools: list[Structure],
                    communes: dict[str, Commune], questionnaire: Questionnaire,
                    improved: set[str], boost: float) -> None:
    """Carry links to the next wave: most persist (good ones more), some end, some start.

    Links touching a structure in ``improved`` (met in the reflection groups)
    gain ``boost`` quality and their centres start a few more links.
    """
    by_id = {s.id: s for s in schools}
    for key in sorted(links):
        link = links[key]
        if previous not in link.quality:
            continue
        keep = min(0.95, max(0.6, 0.72 + 0.07 * (link.quality[previous] - 1)))
        if rng.random() < keep:
            drift = rng.gauss(0.05, 0.22)
            if link.ecole_id in improved or link.centre_id in improved:
                drift += boost
            link.quality[wave] = link.quality[previous] + drift
            link.intensity += rng.gauss(0.0, 0.15) + (boost / 2 if link.centre_id in improved else 0.0)
    for centre in centres:
        is_cs = centre.type == "centre_social"
        count = rng.randint(1, 3) if is_cs else rng.randint(0, 1)
        if is_cs and centre.id in improved:
            count += rng.randint(1, 2)
        for school_id in pools[centre.id][:count]:
            link = new_link(rng, by_id[school_id], centre, communes, questionnaire, effects[centre.id])
            link.quality = {wave: link.quality[WAVES[0]] + (boost if centre.id in improved else 0.0)}
            links[f"{school_id}|{centre.id}"] = link
        pools[centre.id] = pools[centre.id][count:]


def draw_rencontres(rng: random.Random, communes: dict[str, Commune], centres: list[Structure],
                    schools: list[Structure], links: dict[str, Link]) -> tuple[list[dict], list[dict]]:
    """The real kick-off, then fictional reflection groups, pilotage and the departmental day."""
    cs = [c for c in centres if c.type == "centre_social"]
    evs = [c for c in centres if c.type == "espace_vie_sociale"]
    linked = sorted({link.ecole_id for link in links.values()})
    by_id = {s.id: s for s in schools}
    linked_schools = [by_id[i] for i in linked]
    group_centres = rng.sample(cs, 14) + rng.sample(evs, 2)
    school_weights = {s.id: (2.0 if s.education_prioritaire else 1.0) * (1.5 if s.type == "college" else 1.0)
                      for s in linked_schools}
    group_schools = [by_id[i] for i in weighted_sample(rng, school_weights, 12)]

    def at(structure: Structure) -> tuple[str, str]:
        return f"{structure.nom}, {communes[structure.commune].nom}", structure.commune

    def attend(who: list[Structure], rate: float, most: int) -> list[tuple[str, int]]:
        return [(s.id, rng.randint(1, most)) for s in who if rng.random() < rate]

    sessions: list[tuple[dict, list[tuple[str, int]]]] = []
    kickoff = dict(KICKOFF, date=KICKOFF["date"].isoformat())
    sessions.append((kickoff, attend(rng.sample(cs, 22) + evs[:3], 0.9, 3)
                     + attend([by_id[i] for i in weighted_sample(rng, school_weights, 20)], 0.85, 2)))
    cs_topics = ["ce qui fait que ça marche", "les freins et les contradictions",
                 "des outils à partager", "préparer la rencontre départementale"]
    cs_dates = [date(2018, 10, 9), date(2018, 12, 11), date(2019, 2, 5), date(2019, 3, 26)]
    for number, (day, topic) in enumerate(zip(cs_dates, cs_topics), start=1):
        lieu, commune = at(rng.choice(group_centres[:14]))
        sessions.append(({"date": day.isoformat(), "type": "groupe_centres_sociaux", "lieu": lieu,
                          "titre": f"Groupe centres sociaux, séance {number} : {topic}{DEMO_SUFFIX}",
                          "commune_insee": commune, "heure_debut": "09:30", "heure_fin": "12:00"},
                         attend(group_centres, 0.8, 2)))
    school_topics = ["regards croisés sur les partenariats", "accueillir les familles ensemble",
                     "des pistes pour la rentrée"]
    school_dates = [date(2018, 10, 17), date(2019, 1, 16), date(2019, 3, 20)]
    colleges = [s for s in group_schools if s.type == "college"] or group_schools
    for number, (day, topic) in enumerate(zip(school_dates, school_topics), start=1):
        lieu, commune = at(rng.choice(colleges))
        sessions.append(({"date": day.isoformat(), "type": "groupe_acteurs_scolaires", "lieu": lieu,
                          "titre": f"Groupe acteurs scolaires, séance {number} : {topic}{DEMO_SUFFIX}",
                          "commune_insee": commune, "heure_debut": "14:00", "heure_fin": "16:30"},
                         attend(group_schools, 0.75, 2)))
    pilot_topics = [(date(2018, 4, 17), "préparation du lancement"),
                    (date(2018, 9, 25), "bilan de l'enquête de juin"),
                    (date(2019, 1, 29), "suivi des groupes de réflexion"),
                    (date(2019, 9, 17), "bilan de l'enquête 2019")]
    pilot_centres = rng.sample(cs, 3)
    for day, topic in pilot_topics:
        lieu, commune = at(pilot_centres[0])
        sessions.append(({"date": day.isoformat(), "type": "pilotage", "lieu": lieu,
                          "titre": f"Comité de pilotage : {topic}{DEMO_SUFFIX}",
                          "commune_insee": commune, "heure_debut": "10:00", "heure_fin": "12:00"},
                         attend(pilot_centres, 0.9, 1)))
    host = rng.choice([c for c in cs if communes[c.commune].good_epci])
    lieu, commune = at(host)
    departementale = group_centres + rng.sample([c for c in cs if c not in group_centres], 12)
    departementale_schools = group_schools + [by_id[i] for i in weighted_sample(
        rng, {k: w for k, w in school_weights.items() if by_id[k] not in group_schools}, 25)]
    sessions.append(({"date": date(2019, 11, 21).isoformat(), "type": "rencontre_departementale",
                      "titre": f"Rencontre départementale École – Centres sociaux{DEMO_SUFFIX}",
                      "lieu": lieu, "commune_insee": commune, "heure_debut": "09:00", "heure_fin": "16:30"},
                     attend(departementale, 0.9, 4) + attend(departementale_schools, 0.8, 2)))
    sessions.sort(key=lambda item: item[0]["date"])
    rencontres, participations = [], []
    per_year: dict[str, int] = {}
    for meeting, present in sessions:
        year = meeting["date"][:4]
        per_year[year] = per_year.get(year, 0) + 1
        rencontre_id = f"RC-{year}-{per_year[year]:02d}"
        rencontres.append({"rencontre_id": rencontre_id, **meeting})
        for structure_id, people in sorted(present):
            participations.append({"rencontre_id": rencontre_id, "structure_id": structure_id,
                                   "participants": people})
    return rencontres, participations


def groups_attendees(rencontres: list[dict], participations: list[dict], before: str) -> set[str]:
    """Structures that attended a reflection group or the kick-off before ``before``."""
    kinds = {"lancement", "groupe_centres_sociaux", "groupe_acteurs_scolaires"}
    ids = {r["rencontre_id"] for r in rencontres if r["type"] in kinds and r["date"] < before}
    return {p["structure_id"] for p in participations if p["rencontre_id"] in ids}


def draw_interviews(rng: random.Random, wave: str, respondents: list[Structure],
                    questionnaire: Questionnaire, clas_centres: set[str]) -> dict[str, Interview]:
    """One interview per responding structure and wave: a day, a mode, a main function."""
    days = working_days(WAVE_PERIODS[wave])
    fonctions = questionnaire["fonctions"]
    other = [choice.code for choice in fonctions.choices if "cote" not in choice.extra]
    interviews = {}
    for structure in sorted(respondents, key=lambda s: s.id):
        if structure.type in CENTRE_FONCTIONS:
            table, side = dict(CENTRE_FONCTIONS[structure.type]), "centre"
            if structure.id in clas_centres and "coordination_clas" in table:
                table["coordination_clas"] *= 1.4
        else:
            key = structure.type if structure.type in SCHOOL_FONCTIONS else "premier_degre"
            table, side = dict(SCHOOL_FONCTIONS[key]), "ecole"
            if structure.education_prioritaire and "coordination_rep" in table:
                table["coordination_rep"] = 0.1
        weights = {c: table.get(c, 0.03) for c in fonctions.by_extra("cote", side)}
        weights.update({c: OTHER_FONCTION_WEIGHT for c in other})
        interviews[structure.id] = Interview(rng.choice(days), weighted_choice(rng, MODE_WEIGHTS[wave]),
                                             weighted_choice(rng, weights))
    return interviews


def pick_codes(rng: random.Random, weights: dict[str, float], low: int, high: int) -> str:
    """Between ``low`` and ``high`` codes, joined with the questionnaire separator."""
    return MULTI_SEPARATOR.join(weighted_sample(rng, weights, rng.randint(low, high)))


def free_text(rng: random.Random, fragments: list[tuple[str, str]], tags: set[str], rate: float) -> str:
    """Often empty; otherwise one or two fragments that fit the answer."""
    if rng.random() >= rate:
        return ""
    pool = [text for tag, text in fragments if tag in tags]
    picked = rng.sample(pool, min(len(pool), 1 if rng.random() < 0.7 else 2))
    return " ".join(picked)


def draw_answer(rng: random.Random, link: Link, wave: str, side: str, level: int, school: Structure,
                centre: Structure, interview: Interview, communes: dict[str, Commune],
                questionnaire: Questionnaire, frequence_level: int) -> dict:
    """One respondent's view of one link in one wave."""
    profile = link_profile(school, centre, communes)
    quality_codes = questionnaire["qualites"].codes
    good = level >= len(quality_codes) // 2
    formes = list(link.formes)
    all_formes = code_weights(questionnaire["formes"].codes, FORME_WEIGHTS)
    if len(formes) > 1 and rng.random() < 0.15:
        formes.remove(rng.choice(formes))
    elif len(formes) < 4 and rng.random() < 0.15:
        formes += weighted_sample(rng, {k: w for k, w in all_formes.items() if k not in formes}, 1)
    objet_weights = code_weights(questionnaire["objets"].codes, OBJET_WEIGHTS)
    for forme in formes:
        for objet, extra in OBJETS_BY_FORME.get(forme, {}).items():
            objet_weights[objet] += extra
    if school.type in ("college", "lycee"):
        objet_weights["decrochage"] += 1.5
        objet_weights["numerique"] += 0.4
    lift = 0.4 + 0.5 * level  # 0.4 for "difficile" … 1.9 for "très satisfaisante"
    levier_weights = code_weights(questionnaire["leviers"].codes, {**OTHER_LEVIERS, **GOOD_LEVIERS},
                                  [{c: lift for c in GOOD_LEVIERS}])
    if profile["ep"]:
        levier_weights.update(cadre_rep=1.2 * lift, financement=1.2)
    drag = 0.3 + 0.9 * (len(quality_codes) - 1 - level)
    frein_weights = code_weights(questionnaire["freins"].codes, {**OTHER_FREINS, **POOR_FREINS},
                                 [{c: drag for c in POOR_FREINS}])
    if profile["rural"]:
        frein_weights.update(calendriers=1.4, locaux=0.8)
    if profile["rep_plus"]:
        frein_weights["renouvellement_equipes"] *= 2.0
    if profile["ep"]:
        frein_weights["mobilisation_familles"] *= 1.8
    n_leviers = [(1, 1), (1, 2), (1, 3), (2, 4)][min(level, 3)]
    n_freins = [(2, 4), (1, 3), (0, 2), (0, 1)][min(level, 3)]
    tags = {"any", "good" if good else "poor", side}
    tags |= {t for t, on in (("ep", profile["ep"]), ("rural", profile["rural"]),
                             ("clas", "clas" in formes), ("parentalite", "parentalite" in formes),
                             ("secondaire", school.type in ("college", "lycee"))) if on}
    fill = 0.45 if interview.mode == "formulaire" else 1.0
    return {
        "vague": wave, "date": interview.date.isoformat(), "mode": interview.mode,
        "repondant_id": school.id if side == "ecole" else centre.id,
        "repondant_fonction": interview.fonction if rng.random() < 0.85 else None,
        "ecole_id": school.id, "centre_id": centre.id,
        "formes": MULTI_SEPARATOR.join(formes),
        "frequence": questionnaire["frequences"].codes[frequence_level],
        "objets": pick_codes(rng, objet_weights, 1, 3),
        "qualite": quality_codes[level],
        "leviers": pick_codes(rng, levier_weights, *n_leviers),
        "freins": pick_codes(rng, frein_weights, *n_freins),
        "ressources": free_text(rng, RESSOURCES, tags, TEXT_FILL_RATE["ressources"] * fill),
        "outils": free_text(rng, OUTILS, tags, TEXT_FILL_RATE["outils"] * fill),
        "pistes": free_text(rng, PISTES, tags, TEXT_FILL_RATE["pistes"] * fill),
        "commentaire": free_text(rng, COMMENTAIRES, tags, TEXT_FILL_RATE["commentaire"] * fill),
    }


def draw_answers(rng: random.Random, links: dict[str, Link], schools: list[Structure], centres: list[Structure],
                 communes: dict[str, Commune], questionnaire: Questionnaire) -> list[dict]:
    """Every wave's answers: each link answered by its centre, its school, or both."""
    by_id = {s.id: s for s in (*schools, *centres)}
    n_quality = len(questionnaire["qualites"].codes)
    n_frequency = len(questionnaire["frequences"].codes)
    rows: list[dict] = []
    for wave in WAVES:
        wave_links = [links[k] for k in sorted(links) if wave in links[k].quality]
        clas_centres = {l.centre_id for l in wave_links if "clas" in l.formes}
        sides_by_link = {}
        for link in wave_links:
            both = 0.15 if by_id[link.centre_id].type == "espace_vie_sociale" else 0.27
            u = rng.random()
            sides_by_link[link.ecole_id, link.centre_id] = (
                ("centre", "ecole") if u < both else ("centre",) if u < both + (1 - both) * 0.66 else ("ecole",)
            )
        respondents = sorted({(link.centre_id if side == "centre" else link.ecole_id)
                              for link in wave_links for side in sides_by_link[link.ecole_id, link.centre_id]})
        interviews = draw_interviews(rng, wave, [by_id[i] for i in respondents], questionnaire, clas_centres)
        fonctions = questionnaire["fonctions"]
        wave_rows = []
        for link in wave_links:
            school, centre = by_id[link.ecole_id], by_id[link.centre_id]
            sides = sides_by_link[link.ecole_id, link.centre_id]
            freq_base = int(min(n_frequency - 1, max(0, (link.intensity + 1.3) / 3.6 * n_frequency)))
            levels = {}
            for side in sides:
                bias = 0.1 if side == "centre" else -0.1
                value = link.quality[wave] + bias + rng.gauss(0.0, 0.3)
                levels[side] = min(n_quality, max(1, round(value))) - 1
            if len(sides) == 2 and rng.random() < 0.14:
                # A perception gap: the two sides see the same link 2 or 3 levels apart.
                centre_level = levels["centre"]
                options = [centre_level + g for g in (-3, -2, 2, 3) if 0 <= centre_level + g < n_quality]
                if options:
                    levels["ecole"] = rng.choice(options)
            for side in sides:
                respondent = school if side == "ecole" else centre
                freq = freq_base
                if rng.random() < 0.15:
                    freq = min(n_frequency - 1, max(0, freq + rng.choice((-1, 1))))
                row = draw_answer(rng, link, wave, side, levels[side], school, centre,
                                  interviews[respondent.id], communes, questionnaire, freq)
                if row["repondant_fonction"] is None:
                    side_codes = fonctions.by_extra("cote", side)
                    row["repondant_fonction"] = rng.choice(side_codes)
                wave_rows.append(row)
        wave_rows.sort(key=lambda r: (r["date"], r["repondant_id"], r["ecole_id"], r["centre_id"]))
        for number, row in enumerate(wave_rows, start=1):
            rows.append({"reponse_id": f"R{wave}-{number:04d}", **row})
    return rows


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

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


def readme_text(seed: int, counts: dict[str, int], per_wave: dict[str, int], kinds: dict[str, int],
                without_position: int) -> str:
    """The French README of the demo data set."""
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


def generate(seed: int, out: Path, reference: Path) -> dict[str, int]:
    """Run every step and write the data set; returns the row counts."""
    rng = random.Random(seed)
    questionnaire = load_questionnaire()
    check_codes(questionnaire)
    communes = load_communes(reference)
    quartiers = place_quartiers(rng, communes)
    schools = place_schools(rng, communes, quartiers)
    centres = place_centres(rng, communes, quartiers)
    hide_some_positions(rng, [*schools, *centres])
    pools, links, effects = draw_first_links(rng, centres, schools, communes, questionnaire)
    next_wave_links(rng, "2018", "2017", pools, links, effects, centres, schools, communes, questionnaire, set(), 0.0)
    rencontres, participations = draw_rencontres(rng, communes, centres, schools, links)
    met_before_2019 = groups_attendees(rencontres, participations, "2019-03-25")
    next_wave_links(rng, "2019", "2018", pools, links, effects, centres, schools, communes, questionnaire,
                    met_before_2019, 0.45)
    answers = draw_answers(rng, links, schools, centres, communes, questionnaire)

    out.mkdir(parents=True, exist_ok=True)
    structures = structure_rows([*schools, *centres])
    write_csv(out / "structures.csv", STRUCTURE_COLUMNS, structures)
    write_csv(out / "reponses.csv", REPONSE_COLUMNS, answers)
    write_csv(out / "rencontres.csv", RENCONTRE_COLUMNS, rencontres)
    write_csv(out / "participations.csv", PARTICIPATION_COLUMNS, participations)
    counts = {"structures": len(structures), "reponses": len(answers),
              "rencontres": len(rencontres), "participations": len(participations)}
    per_wave = {w: sum(1 for a in answers if a["vague"] == w) for w in WAVES}
    kinds = {k: 0 for k in ("ecole", "college", "lycee", "centre_social", "espace_vie_sociale")}
    for s in structures:
        kinds["ecole" if s["type"].startswith("ecole_") else s["type"]] += 1
    without_position = sum(1 for s in structures if not s["latitude"])
    readme = readme_text(seed, counts, per_wave, kinds, without_position)
    (out / "README.md").write_text(readme, encoding="utf-8", newline="\n")
    return {**counts, **{f"reponses_{w}": n for w, n in per_wave.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Génère le jeu de données de démonstration (fictif).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--reference", type=Path, default=ROOT / "data" / "reference")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.seed, args.out, args.reference)
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"make_demo: {summary} ({time.perf_counter() - started:.1f} s) → {args.out}")


if __name__ == "__main__":
    main()
