"""Streamlit widgets of the pages that write: the writable store, import previews, rejected rows."""

from __future__ import annotations

import streamlit as st

from lib.access import CREATE_ACCOUNTS_FIRST, OPEN_ACCESS_READ_ONLY, may_write, page_of
from lib.dataset import Dataset, problems_frame
from lib.formatting import format_int
from lib.store import READ_ONLY_MESSAGE, Store, StoreError, create_user_dataset, user_dataset_dir
from lib.text import markdown_escape
from lib.ui import current_access, page_link


def writable_store(dataset: Dataset, script: str | None = None) -> Store:
    """The store of the data set shown, for a logged-in writer; else a read-only notice and a stop.

    Every page that writes or uploads calls it before its first input: nothing below it (no file uploader)
    is drawn in open access or for a role that may not write. On the demo, the offer to create the user's own.
    """
    access = current_access()
    if access.open:  # no accounts: nothing is written or uploaded; say what the page does and how to open it
        page = page_of(script) if script else None
        if page is not None and page.purpose:
            st.info(f"**Cette page** : {page.purpose}.", icon=":material/info:")
        st.warning(OPEN_ACCESS_READ_ONLY, icon=":material/lock:")
        st.markdown(CREATE_ACCOUNTS_FIRST)
        st.stop()
    if not may_write(access.role, access.open):
        st.info("La saisie et les imports sont réservés au rôle « Saisie des enquêtes ».", icon=":material/lock:")
        st.stop()
    if not dataset.is_demo:
        return Store(dataset.folder)
    st.warning(READ_ONLY_MESSAGE, icon=":material/lock:")
    target = user_dataset_dir()
    st.markdown(f"Votre propre jeu de données sera créé dans `{target}` (vide : vous y importerez l'annuaire "
                "des écoles, vos centres sociaux et vos enquêtes). Il n'est jamais envoyé sur Internet.")
    page_link("pages/15_Demarrer.py", "Un autre département que le Val-d'Oise ? Créez-le depuis « Démarrer »",
              ":material/rocket_launch:")
    if st.button("Créer mon jeu de données", type="primary"):
        try:
            create_user_dataset(target)
        except StoreError as err:
            st.error(str(err))
        else:
            st.rerun()  # the app now shows the new data set (see lib.dataset.resolve_data_dir)
    st.stop()


def show_problems(problems: list, intro: str) -> None:
    """Rejected rows and warnings as a table (file, line, column, value, reason), with a sentence above."""
    if not problems:
        return
    if intro:
        st.error(intro, icon=":material/error:")
    st.dataframe(problems_frame(problems), hide_index=True, width="stretch")


def import_preview_and_confirm(preview, store: Store, key: list[str], confirm_key: str) -> bool:
    """Show an import's preview (counts, rows, rejected lines with reasons) and write it on confirmation.

    Returns True once written.
    """
    from lib.imports import apply_preview, preview_summary

    if preview.rejected and not preview.has_changes and preview.rows_read == 0:
        show_problems(preview.problems, f"Fichier refusé : {markdown_escape(preview.problems[0].message)}")
        return False
    st.markdown(f"**Aperçu** — {preview_summary(preview)}")
    for note in preview.notes:
        st.caption(markdown_escape(note))
    if not preview.added.empty:
        with st.expander(f"{format_int(len(preview.added))} ligne(s) à ajouter"):
            st.dataframe(preview.added, hide_index=True, width="stretch")
    if not preview.updated.empty:
        with st.expander(f"{format_int(len(preview.updated))} ligne(s) à mettre à jour"):
            st.dataframe(preview.updated, hide_index=True, width="stretch")
    if preview.problems:
        with st.expander(f"{format_int(len(preview.rejected))} erreur(s) et "
                         f"{format_int(len(preview.problems) - len(preview.rejected))} avertissement(s)",
                         expanded=bool(preview.rejected)):
            st.dataframe(problems_frame(preview.problems), hide_index=True, width="stretch")
    if not preview.has_changes:
        if preview.rows_read == 0:
            st.info("Rien à importer : le fichier ne contient aucune ligne de données.")
        elif preview.unchanged:
            st.info("Rien à écrire : le jeu de données contient déjà ces lignes.")
        else:
            st.info("Rien à importer : aucune ligne n'est retenue (voir les erreurs et les remarques ci-dessus).")
        return False
    if st.button("Confirmer l'import", type="primary", key=confirm_key):
        try:
            added, updated = apply_preview(preview, store, key)
        except StoreError as err:  # busy, disk full, file changed meanwhile: nothing was written
            st.error(str(err), icon=":material/error:")
            return False
        st.success(f"Import enregistré : {format_int(added)} ajout(s), {format_int(updated)} mise(s) à jour. "
                   "La version précédente est gardée (page « Structures et versions »).",
                   icon=":material/check_circle:")
        return True
    return False
