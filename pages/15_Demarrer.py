"""Démarrer: a new fédération's first steps, from an empty installation to its own map (issue 16)."""

from datetime import date

import streamlit as st

from lib.access import ROLES, SAISIE, check_name, check_password, load_users, may_write, normalise_name, save_user
from lib.dataset import secrets_file
from lib.dataset_init import DatasetInitError, create_dataset
from lib.first_run import (CENTRE_TEMPLATE_COLUMNS, centre_template_csv, first_run_target, own_dataset_to_create,
                           setup_steps)
from lib.formatting import format_int
from lib.questionnaire import load_questionnaire
from lib.reference_pack import list_departements
from lib.session_keys import USER_KEY
from lib.store import StoreError
from lib.territory_groups import preview_groups_csv
from lib.text import markdown_escape as md
from lib.ui import current_access, page_link, page_setup
from lib.ui.datasets import save_team_account, team_accounts
from lib.ui.entry import show_problems, writable_store

dataset, _view = page_setup(__file__)
access = current_access()
users = load_users(secrets_file())
state = st.session_state

st.title("Démarrer")
st.caption("Les premiers pas d'une fédération : son jeu de données (communes et intercommunalités de son "
           "département, construites sur cette machine, sans Internet), l'annuaire des écoles, les centres "
           "sociaux, les comptes de l'équipe — puis sa carte.")

first_run = first_run_target(users) if access.open else None
to_create = own_dataset_to_create() if not access.open and may_write(access.role, False) and dataset.is_demo \
    else None


def account_problem(name: str, password: str, again: str) -> str | None:
    """What is wrong with a new account, in French, or None."""
    if password != again:
        return "Les deux mots de passe ne sont pas identiques."
    return check_name(normalise_name(name)) or check_password(password)


def creation_form(target, with_account: bool) -> None:
    """Département, fédération, first wave (and the first account on a first run), then creation."""
    departements = {entry.code: entry for entry in list_departements()}
    with st.form("creer_jeu"):
        st.markdown("#### Créer le jeu de données de votre département")
        code = st.selectbox("Département", list(departements), index=None, placeholder="Choisissez le département…",
                            format_func=lambda c: departements[c].label)
        federation = st.text_input("Nom de la fédération", max_chars=120,
                                   placeholder="Fédération des centres sociaux du … (par défaut)")
        wave = st.text_input("Première vague d'enquête", value=str(date.today().year), max_chars=30,
                             help="Un libellé court : « 2026 », « 2026-printemps »…")
        if with_account:
            st.markdown("**Le premier compte** (rôle « Saisie des enquêtes » : tout voir, saisir, importer, "
                        "créer les autres comptes)")
            name = st.text_input("Identifiant", autocomplete="username", placeholder="prenom.nom")
            password = st.text_input("Mot de passe", type="password", autocomplete="new-password")
            again = st.text_input("Mot de passe (confirmation)", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Créer le jeu de données", type="primary")
    st.caption(f"Le jeu de données sera créé dans {md(str(target))} ; il ne quitte jamais cette machine.")
    if not submitted:
        st.stop()
    if code is None:
        st.error("Choisissez le département.", icon=":material/error:")
        st.stop()
    if with_account:
        problem = account_problem(name, password, again)
        if problem:
            st.error(problem, icon=":material/error:")
            st.stop()
        if first_run_target(load_users(secrets_file())) != target:  # someone else was quicker
            st.error("Un compte ou un jeu de données vient d'être créé : connectez-vous.", icon=":material/error:")
            st.stop()
        # The account first: should the data set then fail, its writer can create it once logged in.
        try:
            save_user(secrets_file(), name, SAISIE, password)
        except ValueError as err:
            st.error(str(err), icon=":material/error:")
            st.stop()
    with st.spinner("Création des communes et intercommunalités…"):
        try:
            info = create_dataset(target, code, federation, wave)
        except DatasetInitError as err:
            st.error(str(err), icon=":material/error:")
            st.stop()
    if with_account:  # logged in as the account just created (the filters chosen so far are kept)
        st.session_state[USER_KEY] = normalise_name(name)
    st.session_state["demarrer_fait"] = f"Jeu de données créé : {info.federation}, {info.departement_nom}."
    st.rerun()


if first_run is not None:
    st.info("**Première utilisation** : aucun compte n'est configuré et cette installation n'a pas encore de jeu "
            "de données. Créez-les ici ; l'application demandera ensuite de se connecter.",
            icon=":material/rocket_launch:")
    creation_form(first_run, with_account=True)
if to_create is not None:
    creation_form(to_create, with_account=False)
if access.open:
    st.info("Cette installation a déjà son jeu de données ou ses comptes : connectez-vous pour le voir.",
            icon=":material/lock:")
    st.stop()

if "demarrer_fait" in state:
    st.success(state.pop("demarrer_fait"), icon=":material/check_circle:")

q = load_questionnaire()
types = dataset.structures["type"]
steps = setup_steps(dataset.folder, int(types.isin(q.school_types).sum()), int(types.isin(q.centre_types).sum()),
                    users)
done = sum(step.done for step in steps)
st.progress(done / len(steps), text=f"{done} étape(s) faite(s) sur {len(steps)}")
for number, step in enumerate(steps, start=1):
    with st.container(border=True):
        mark = ":material/check_circle:" if step.done else ":material/radio_button_unchecked:"
        st.markdown(f"{mark} **{number}. {md(step.title)}** — {md(step.status)}")
        if step.page and not step.done:
            page_link(step.page, "Faire cette étape", ":material/arrow_forward:")
        if number == 3:
            st.caption("Un fichier CSV (séparateur « ; » ou « , ») avec les colonnes : "
                       f"{', '.join(f'`{c}`' for c in CENTRE_TEMPLATE_COLUMNS)}. `id` : un identifiant de votre choix, "
                       "unique (par exemple CS-001) ; `type` : `centre_social` ou `espace_vie_sociale` ; "
                       "`commune_insee` : le code INSEE de la commune ; coordonnées en degrés décimaux "
                       "(facultatives : sans elles, le centre est placé à la mairie).")
            st.download_button("Modèle de fichier des centres (CSV)", data=centre_template_csv(),
                               file_name="modele_centres.csv", mime="text/csv", icon=":material/download:",
                               on_click="ignore")
        if number == 4:
            listed = ", ".join(f"{md(user.name)} ({ROLES[user.role]})" for user in team_accounts(users))
            st.caption(f"Comptes : {listed or 'aucun'}.")
            if may_write(access.role, False):
                with st.form("nouveau_compte", clear_on_submit=True):
                    left, middle, right = st.columns(3)
                    name = left.text_input("Identifiant du nouveau compte", placeholder="prenom.nom")
                    role = middle.selectbox("Rôle", list(ROLES), format_func=ROLES.get)
                    password = right.text_input("Mot de passe", type="password", autocomplete="new-password")
                    again = right.text_input("Confirmation", type="password", autocomplete="new-password")
                    if st.form_submit_button("Créer le compte"):
                        problem = account_problem(name, password, again)
                        try:
                            if problem:
                                raise ValueError(problem)
                            save_team_account(users, name, role, password)  # given this data set only
                        except ValueError as err:
                            st.error(str(err), icon=":material/error:")
                        else:
                            state["demarrer_fait"] = f"Compte « {normalise_name(name)} » créé ({ROLES[role]})."
                            st.rerun()
with st.container(border=True):
    groups = len(set(dataset.territoires.values()))
    st.markdown(":material/workspaces: **Facultatif : vos propres territoires** — "
                + (f"{groups} territoire(s) définis" if groups else "aucun pour l'instant"))
    st.caption("Un regroupement de communes que votre fédération utilise (par exemple les territoires d'action "
               "sociale du Département) : un fichier CSV à deux colonnes, `code_insee;groupe`. Il devient le "
               "niveau « Territoire » de chaque filtre, graphique et carte, et remplace le précédent.")
    if may_write(access.role, False) and not dataset.is_demo:
        grouping = st.file_uploader("Regroupement de communes (CSV code_insee;groupe)", type=["csv", "txt"],
                                    key=f"groupes_fichier_{state.get('groupes_version', 0)}")
        if grouping is not None:
            preview = preview_groups_csv(grouping.getvalue(), grouping.name, dataset)
            show_problems(preview.problems, "Lignes écartées ou remarques :" if not preview.refused else
                          f"Fichier refusé : {md(preview.problems[0].message)}")
            if not preview.refused:
                st.markdown(f"**Aperçu** — {md(preview.summary())}")
                st.dataframe(preview.groups.rename_axis("Territoire").reset_index(name="Communes"),
                             hide_index=True)
                if st.button("Enregistrer ces territoires", type="primary"):
                    try:
                        writable_store(dataset, __file__).replace("territoires", preview.table, "import",
                                                                  grouping.name)
                    except StoreError as err:
                        st.error(str(err), icon=":material/error:")
                    else:
                        state["groupes_version"] = state.get("groupes_version", 0) + 1
                        state["demarrer_fait"] = (f"Territoires enregistrés : {preview.table['territoire'].nunique()} "
                                                  "territoire(s) ; choisissez « Territoire » dans « Regrouper par ».")
                        st.rerun()
if done == len(steps):
    page_link("pages/1_Carte.py", "Voir la carte des partenariats", ":material/map:")
st.caption(f"Jeu de données : {md(str(dataset.folder))} · {format_int(len(dataset.structures))} structure(s).")
