"""Présentation: saved views in order, played full width with the arrow keys, exported as PowerPoint."""

import streamlit as st

from lib.formatting import format_int
from lib.images import ImageExportError
from lib.presentation_export import presentation_pdf, presentation_pptx, step_images
from lib.presentations import delete_step, move_step, presentation_names, read_steps, steps_of
from lib.store import Store, StoreError
from lib.text import markdown_escape as md
from lib.ui import current_access, page_setup
from lib.ui.presentation import start_presentation

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

dataset, view = page_setup(__file__)
access = current_access()
st.title("Présentation")
st.caption("Une présentation enchaîne des vues enregistrées (page, filtres, vue de la carte) : « Ajouter à une "
           "présentation », dans la barre latérale de chaque page, enregistre la vue ouverte. Pendant la lecture, "
           "les flèches ← → passent d'une étape à l'autre, Échap revient ici ; F11 met le navigateur en plein écran. "
           "Les présentations ne sont pas proposées aux financeurs.")

store = Store(dataset.folder)
read_only = access.open or dataset.is_demo
if read_only:
    st.info("Les présentations sont enregistrées dans le jeu de données : les données de démonstration ne sont "
            "pas modifiables. Connectez-vous sur votre propre jeu de données pour en créer.", icon=":material/lock:")
try:
    steps = read_steps(store)
except StoreError as err:
    st.error(str(err), icon=":material/error:")
    st.stop()
names = presentation_names(steps)
if not names:
    st.info("Aucune présentation pour l'instant.", icon=":material/slideshow:")
    st.stop()

name = st.selectbox("Présentation", names, key="presentation_choisie")
chosen = steps_of(steps, name)
st.markdown(f"**{format_int(len(chosen))} étape(s)**")
for number, step in enumerate(chosen, start=1):
    text, up, down, remove = st.columns([8, 1, 1, 1], vertical_alignment="center")
    text.markdown(f"{number}. **{md(step.title)}** · {md(step.page_label)}"
                  + (f"  \n{md(step.comment)}" if step.comment else ""))
    try:
        if up.button("Monter", key=f"monter_{step.id}", icon=":material/arrow_upward:",
                     disabled=read_only or number == 1):
            move_step(store, steps, step.id, -1)
            st.rerun()
        if down.button("Descendre", key=f"descendre_{step.id}", icon=":material/arrow_downward:",
                       disabled=read_only or number == len(chosen)):
            move_step(store, steps, step.id, 1)
            st.rerun()
        if remove.button("Supprimer", key=f"supprimer_{step.id}", icon=":material/delete:", disabled=read_only):
            delete_step(store, step)
            st.rerun()
    except StoreError as err:
        st.error(str(err), icon=":material/error:")

play, pptx, pdf = st.columns(3)
if play.button("Lancer la présentation", type="primary", icon=":material/play_arrow:", key="lancer"):
    start_presentation(chosen)


def images() -> dict[str, bytes]:
    """The maps of the Carte steps; without a browser to draw them, text pages only (said on the page)."""
    try:
        return step_images(dataset, chosen)
    except ImageExportError as err:
        st.session_state["_presentation_sans_images"] = str(err)
        return {}


pptx.download_button("PowerPoint (PPTX)", data=lambda: presentation_pptx(name, chosen, images(), footer="Passerelles"),
                     file_name="presentation.pptx", mime=PPTX_MIME, on_click="ignore", key="pptx",
                     icon=":material/download:")
pdf.download_button("PDF", data=lambda: presentation_pdf(name, chosen, images(), footer="Passerelles"),
                    file_name="presentation.pdf", mime="application/pdf", on_click="ignore", key="pdf_presentation",
                    icon=":material/download:")
st.caption("Les exports reprennent chaque étape : titre, commentaire et, pour les étapes de la carte, la carte à la "
           "vue enregistrée (sans fond de carte). Les graphiques des autres pages s'exportent depuis leur page "
           "(« Préparer l'image »).")
if st.session_state.get("_presentation_sans_images"):
    st.warning("Export sans images : " + st.session_state.pop("_presentation_sans_images"), icon=":material/warning:")
