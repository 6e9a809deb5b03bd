"""What the fictional demo says: names, answer weights and free-text fragments (see :mod:`lib.demo_generator`).

Every name here is invented or a common school patron; nothing names a real
structure. The weights set the contrasts the charts should show (éducation
prioritaire, « good » and rural EPCI); :func:`check_codes` fails early when a
code is not in the questionnaire.
"""

from __future__ import annotations

from datetime import date

from lib.questionnaire import Questionnaire

DEFAULT_SEED = 2018
DEMO_SUFFIX = " (démo)"
UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

# Val-d'Oise sizes: the generator lands close to them, not exactly on them; other départements scale them
# by population (lib.demo_profile).
TARGET_ECOLES = 900
TARGET_COLLEGES = 150
TARGET_LYCEES = 60
N_CENTRES_SOCIAUX = 45
N_EVS = 8
SHARE_WITHOUT_POSITION = 0.03
# Towns above this size get a fictional QPV even without éducation prioritaire.
QPV_WITHOUT_EP_POPULATION = 20_000

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


class DemoError(Exception):
    """The demo cannot be generated; the message is French and can be shown as is."""


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
            raise DemoError(f"démonstration : codes absents de [{list_name}] du questionnaire : {unknown}")

