"""Presentations: stored in the data set through the Store, ordered, exported as PowerPoint; AppTest of the page."""

from __future__ import annotations

import io

import pytest

from lib.presentation_export import presentation_pdf, presentation_pptx, step_images
from lib.presentations import (add_step, delete_step, may_present, move_step, presentation_names, read_steps,
                               steps_of)
from lib.store import Store, StoreError

from conftest import app_test


def test_steps_round_trip_through_the_store_with_the_journal(small_dataset):
    store = Store(small_dataset)
    add_step(store, "Comité de mars", "Les liens", "À discuter", "pages/2_Liens_par_territoire.py",
             {"vague": ["2019"], "territoire": ["Argenteuil", "Cergy"]}, "pilotage")
    add_step(store, "Comité de mars", "La carte", "", "pages/1_Carte.py", {"zoom": "12"}, "saisie")
    steps = read_steps(Store(small_dataset))
    assert presentation_names(steps) == ["Comité de mars"]
    first, second = steps_of(steps, "Comité de mars")
    assert (first.title, first.comment, first.order, second.order) == ("Les liens", "À discuter", 1, 2)
    assert first.query_params == {"vague": ["2019"], "territoire": ["Argenteuil", "Cergy"]}
    assert second.page == "pages/1_Carte.py"
    journal = store.journal()
    assert (journal["fichier"] == "presentations.csv").sum() == 2


def test_steps_move_and_delete(small_dataset):
    store = Store(small_dataset)
    for title in ("A", "B", "C"):
        add_step(store, "P", title, "", "app.py", {}, "pilotage")
    steps = read_steps(store)
    c = steps_of(steps, "P")[2]
    assert move_step(store, steps, c.id, -1)
    assert [s.title for s in steps_of(read_steps(store), "P")] == ["A", "C", "B"]
    assert not move_step(store, read_steps(store), steps_of(read_steps(store), "P")[0].id, -1)
    delete_step(store, steps_of(read_steps(store), "P")[0])
    assert [s.title for s in steps_of(read_steps(store), "P")] == ["C", "B"]


def test_funders_and_unknown_pages_and_empty_titles_are_refused(small_dataset):
    store = Store(small_dataset)
    assert not may_present("financeur")
    with pytest.raises(StoreError):
        add_step(store, "P", "Impact", "", "pages/10_Impact.py", {}, "financeur")
    with pytest.raises(StoreError):
        add_step(store, "P", "x", "", "pages/99_Inconnue.py", {}, "pilotage")
    with pytest.raises(StoreError):
        add_step(store, "P", "   ", "", "app.py", {}, "pilotage")
    assert read_steps(store) == []


def test_demo_data_set_refuses_presentations():
    from lib.dataset import DEMO_DIR

    with pytest.raises(StoreError):
        add_step(Store(DEMO_DIR), "P", "t", "", "app.py", {}, "pilotage")


def test_pptx_has_one_slide_per_step_with_its_title_and_image(small_dataset):
    from PIL import Image
    from pptx import Presentation

    store = Store(small_dataset)
    for title in ("Premier", "Deuxième", "Troisième"):
        add_step(store, "P", title, f"commentaire {title}", "app.py", {}, "pilotage")
    steps = steps_of(read_steps(store), "P")
    picture = io.BytesIO()
    Image.new("RGB", (160, 90), "#336699").save(picture, format="PNG")
    deck = Presentation(io.BytesIO(presentation_pptx("P", steps, {steps[1].id: picture.getvalue()})))
    assert [slide.shapes.title.text for slide in deck.slides] == ["Premier", "Deuxième", "Troisième"]
    texts = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]
    assert "commentaire Deuxième" in texts[1]
    pictures = [sum(1 for s in slide.shapes if s.shape_type == 13) for slide in deck.slides]
    assert pictures == [0, 1, 0]


def test_presentation_page_on_the_demo_says_it_is_read_only(fresh_app):
    at = app_test("pages/14_Presentation.py")
    assert at.title[0].value == "Présentation"
    assert any("démonstration ne sont pas modifiables" in info.value for info in at.info)


def test_presentation_page_lists_and_reorders_steps(fresh_app, with_users, small_dataset, monkeypatch):
    monkeypatch.setenv("PASSERELLES_DATA", str(small_dataset))
    store = Store(small_dataset)
    for title in ("Un", "Deux"):
        add_step(store, "Réunion", title, "", "app.py", {}, "pilotage")
    at = app_test("pages/14_Presentation.py", role="pilotage")
    assert any("**Un**" in m.value for m in at.markdown) and any("**Deux**" in m.value for m in at.markdown)
    second = steps_of(read_steps(store), "Réunion")[1]
    at.button(key=f"monter_{second.id}").click().run()
    assert not at.exception
    assert [s.title for s in steps_of(read_steps(store), "Réunion")] == ["Deux", "Un"]


def test_funders_cannot_open_the_presentation_page(fresh_app, with_users, small_dataset, monkeypatch):
    monkeypatch.setenv("PASSERELLES_DATA", str(small_dataset))
    at = app_test("pages/14_Presentation.py", role="financeur")
    assert not any(b.key == "lancer" for b in at.button)
    assert all(title.value != "Présentation" for title in at.title)


def test_pdf_has_one_page_per_step_with_its_title_comment_and_image(small_dataset):
    import pypdfium2 as pdfium
    from PIL import Image

    store = Store(small_dataset)
    for title in ("Premier", "Deuxième <b>", "Troisième"):
        add_step(store, "P", title, f"commentaire {title}", "app.py", {}, "pilotage")
    steps = steps_of(read_steps(store), "P")
    picture = io.BytesIO()
    Image.new("RGB", (160, 90), "#336699").save(picture, format="PNG")
    with_image = pdfium.PdfDocument(presentation_pdf("Réunion", steps, {steps[1].id: picture.getvalue()}))
    without = pdfium.PdfDocument(presentation_pdf("Réunion", steps))
    texts = [page.get_textpage().get_text_range() for page in with_image]
    assert len(texts) == 3
    assert "Deuxième <b>" in texts[1] and "commentaire Deuxième <b>" in texts[1]  # text, never markup
    assert "Réunion · étape 2/3 · Accueil" in texts[1]
    def images_on(document, index: int) -> int:
        return sum(1 for item in document[index].get_objects() if item.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE)

    assert [images_on(with_image, i) for i in range(3)] == [0, 1, 0]
    assert [images_on(without, i) for i in range(3)] == [0, 0, 0]


def test_a_map_step_is_drawn_at_its_saved_view(small_dataset):
    """The Carte step's image is the map at the step's zoom and centre; other steps get none."""
    import numpy as np
    from PIL import Image

    from lib.dataset import load_dataset

    store = Store(small_dataset)
    add_step(store, "P", "Carte loin", "", "pages/1_Carte.py",
             {"vague": ["2018"], "zoom": ["9"], "centre": ["49.0,2.2"]}, "pilotage")
    add_step(store, "P", "Carte près", "", "pages/1_Carte.py",
             {"vague": ["2018"], "zoom": ["15"], "centre": ["49.05216,2.03639"]}, "pilotage")
    add_step(store, "P", "Accueil", "", "app.py", {}, "pilotage")
    steps = steps_of(read_steps(store), "P")
    images = step_images(load_dataset(small_dataset), steps)
    assert set(images) == {steps[0].id, steps[1].id}
    far, near = (np.asarray(Image.open(io.BytesIO(images[s.id])).convert("L")) for s in steps[:2])
    assert far.shape == near.shape and not np.array_equal(far, near)
