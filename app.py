"""Accueil: what Passerelles is, which data set is shown, the key figures of the current view."""

import streamlit as st

from lib.access import load_users, pages_for
from lib.dataset import secrets_file
from lib.dataset_init import read_project_info
from lib.filters import ALL_WAVES
from lib.first_run import first_run_target
from lib.formatting import format_int, format_percent
from lib.metrics import key_figures
from lib.text import markdown_escape as md
from lib.ui import current_access, current_role, page_link, page_setup
from lib.ui.charts import show_view_line

dataset, view = page_setup(__file__)
project = read_project_info(dataset.folder)  # a fédération's own data set made by « Démarrer »

st.title("Passerelles")
st.subheader(f"Les liens entre écoles et centres sociaux {md(dataset.reference.of_departement)}")
show_view_line(dataset, view.filters)
if current_access().open and first_run_target(load_users(secrets_file())) is not None:
    st.info("**Première utilisation ?** Cette installation n'a encore ni compte ni jeu de données : la page "
            "« Démarrer » crée le jeu de données de votre département et votre premier compte, en quelques "
            "secondes et sans Internet. Ce que vous voyez ici est la démonstration (données fictives).",
            icon=":material/rocket_launch:")
    page_link("pages/15_Demarrer.py", "Démarrer : créer le jeu de données de votre département",
              ":material/rocket_launch:")

figures = key_figures(view)
wave = view.filters.wave
scope = "toutes vagues confondues" if wave == ALL_WAVES else f"vague {md(wave)}"
st.markdown(f"#### Chiffres clés ({scope})")
columns = st.columns(5)
columns[0].metric("Établissements scolaires", format_int(figures.schools))
columns[1].metric("Centres sociaux et EVS", format_int(figures.centres))
columns[2].metric("Liens recensés", format_int(figures.links),
                  help="Un lien est un couple école – centre social cité dans au moins une réponse.")
columns[3].metric("Réponses", format_int(figures.answers))
columns[4].metric(
    "Écoles avec un lien",
    format_percent(figures.share_schools_linked),
    help="Part des établissements scolaires du périmètre cités dans au moins un lien.",
)
st.caption(
    f"{format_int(figures.schools_linked)} établissement(s) sur {format_int(figures.schools)} ont au moins "
    f"un lien avec un centre social ou un espace de vie sociale · {format_int(len(dataset.waves))} vague(s) "
    f"d'enquête dans le jeu de données ({md(', '.join(dataset.waves) or 'aucune')})."
)

st.markdown("#### Le projet")
if project is not None:
    st.markdown(
        f"""
Les centres sociaux et les écoles, collèges et lycées {md(dataset.reference.of_departement)} travaillent
sur les mêmes territoires, avec les mêmes familles. La **{md(project.federation)}** recueille, lien par lien, ce qui existe,
ce qui fait que ça marche (**leviers**), ce qui freine (**freins**) et les pistes possibles, depuis la vague
d'enquête {md(project.premiere_vague)}.

Passerelles rassemble ces enquêtes : une carte des partenariats, des analyses par territoire et
leur évolution d'une vague d'enquête à l'autre.
"""
    )
else:
    st.markdown(
        f"""
Les centres sociaux et les écoles, collèges et lycées {md(dataset.reference.of_departement)} travaillent sur les mêmes
territoires, avec les mêmes familles, sur des sujets qui se croisent. Leurs liens ne se ressemblent
pas d'un territoire à l'autre : ni par leur **forme**, ni par leur **fréquence**, ni par leur
**objet**, ni par leur **qualité**.

Depuis 2018, la **Fédération des centres sociaux du Val d'Oise** et l'association **École et
Famille** mènent ensemble un projet pour mieux connaître ces liens, les valoriser et les développer.
Des enquêtes par téléphone et sur site recueillent, lien par lien, ce qui existe, ce qui fait que
ça marche (**leviers**), ce qui freine (**freins**) et les pistes possibles. Deux groupes de
réflexion — l'un avec les centres sociaux, l'autre avec les acteurs scolaires — puis une rencontre
départementale travaillent sur ces résultats.

Passerelles rassemble ces enquêtes : une carte des partenariats, des analyses par territoire et
leur évolution d'une vague d'enquête à l'autre.
"""
)

st.markdown("#### Ce que demandent les enquêtes")
st.markdown(
    """
Pour chaque lien entre une école et un centre social, la personne interrogée — côté école ou
côté centre — décrit :

- sa **forme** : accompagnement à la scolarité, périscolaire, actions parentalité, fêtes,
  projets citoyens, participation aux instances… ;
- sa **fréquence**, de ponctuelle à hebdomadaire, et son **objet** ;
- sa **qualité**, de « difficile » à « très satisfaisante » ;
- ce qui le fait vivre (**leviers**), ce qui le freine (**freins**), les ressources, les outils
  et les **pistes** pour aller plus loin.

Quand les deux côtés répondent sur le même lien, leurs regards sont comparés.
"""
)

st.markdown("#### Pour aller plus loin")
for page in pages_for(current_role())[1:]:
    page_link(page.script, page.label, page.icon)
