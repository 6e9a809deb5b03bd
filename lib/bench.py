"""Benchmarks (``python -m lib.cli bench map``): figures printed as JSON, never timed tests.

Two scales: the demo data set (Val-d'Oise), and a national-scale data set
generated here (60,000 schools, 2,300 centres, 150,000 answers) on the same
communes. Each scale runs in a fresh process so that its peak memory is its own.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import folium
import numpy as np
import pandas as pd

from lib.dataset import DEMO_DIR, Dataset, load_dataset, uai_key
from lib.filters import Filters, apply_filters, default_filters
from lib.maps import MapOptions, build_map, map_inputs
from lib.questionnaire import load_questionnaire
from lib.territories import assign_territories, load_reference

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
NATIONAL = {"schools": 60_000, "centres": 2_300, "answers": 150_000}


def synthetic_dataset(schools: int, centres: int, answers: int, seed: int = 1) -> Dataset:
    """A data set of the given size on the real communes, built directly as typed tables.

    Positions: each structure in a commune drawn by population, scattered
    around its town hall. Each answer links a school to a centre of the same
    EPCI when there is one; waves 2017–2019; codes drawn from the questionnaire.
    """
    rng = np.random.default_rng(seed)
    q = load_questionnaire()
    reference = load_reference()
    communes = reference.communes
    weights = communes["population"].to_numpy(float)
    weights /= weights.sum()

    def place(n: int) -> pd.DataFrame:
        chosen = communes.iloc[rng.choice(len(communes), size=n, p=weights)]
        return pd.DataFrame({
            "commune_insee": chosen["code_insee"].to_numpy(),
            "latitude": chosen["mairie_latitude"].to_numpy() + rng.normal(0, 0.006, n),
            "longitude": chosen["mairie_longitude"].to_numpy() + rng.normal(0, 0.009, n),
        })

    school_types, centre_types = q.school_types, q.centre_types
    s = place(schools).assign(
        id=[f"{i:07d}{uai_key(f'{i:07d}')}" for i in range(schools)],  # well-formed UAI codes
        type=rng.choice(school_types, size=schools, p=[0.35, 0.35, 0.15, 0.1, 0.05]),
        famille="ecole",
        education_prioritaire=rng.choice(np.array(["REP+", "REP", None], dtype=object), size=schools,
                                         p=[0.07, 0.14, 0.79]),
    )
    c = place(centres).assign(
        id=[f"C{i:05d}" for i in range(centres)],
        type=rng.choice(centre_types, size=centres, p=[0.85, 0.15]),
        famille="centre",
        education_prioritaire=None,
    )
    structures = pd.concat([s, c], ignore_index=True)
    structures["nom"] = structures["id"].map(lambda i: f"Structure {i} (synthétique)")
    structures["adresse"] = ""
    structures["qpv"] = ""
    structures["type"] = pd.Categorical(structures["type"], categories=q["types_structure"].codes)
    structures = assign_territories(structures, reference)

    school_ids = s["id"].to_numpy()
    school_epci = structures.iloc[:schools]["epci"].to_numpy()
    centre_ids = c["id"].to_numpy()
    centre_epci = structures.iloc[schools:]["epci"].to_numpy()
    by_epci = {e: centre_ids[centre_epci == e] for e in np.unique(centre_epci)}
    picked_schools = rng.integers(0, schools, size=answers)
    picked_centres = np.empty(answers, dtype=object)
    for epci in np.unique(school_epci[picked_schools]):
        rows = np.flatnonzero(school_epci[picked_schools] == epci)
        pool = by_epci.get(epci, centre_ids)
        picked_centres[rows] = pool[rng.integers(0, len(pool), size=len(rows))]
    side = rng.choice(["ecole", "centre"], size=answers)
    ecole = school_ids[picked_schools]

    def codes(name: str, high: int) -> list[list[str]]:
        pool = np.array(q[name].codes)
        counts = rng.integers(1, high + 1, size=answers)
        return [rng.choice(pool, size=k, replace=False).tolist() for k in counts]  # Python str, as the loader gives

    reponses = pd.DataFrame({
        "reponse_id": [f"R{i:07d}" for i in range(answers)],
        "vague": rng.choice(["2017", "2018", "2019"], size=answers),
        "date": pd.Timestamp("2019-03-01"),
        "mode": pd.Categorical(rng.choice(["telephone", "sur_site"], size=answers), categories=q["modes"].codes),
        "repondant_id": np.where(side == "ecole", ecole, picked_centres),
        "repondant_fonction": pd.Categorical([None] * answers, categories=q["fonctions"].codes),
        "cote": side,
        "ecole_id": ecole,
        "centre_id": picked_centres,
        "formes": codes("formes", 3),
        "frequence": pd.Categorical(rng.choice(q["frequences"].codes, size=answers), dtype=q["frequences"].dtype()),
        "objets": codes("objets", 2),
        "qualite": pd.array(rng.integers(1, 5, size=answers), dtype="Int64"),
        "leviers": codes("leviers", 2),
        "freins": codes("freins", 2),
        **{column: "" for column in ("ressources", "outils", "pistes", "commentaire")},
    })
    return Dataset(folder=Path("synthetique"), is_demo=False, reference=reference, structures=structures,
                   reponses=reponses, rencontres=pd.DataFrame(), participations=pd.DataFrame(), territoires={})


def loaded_counts(dataset: Dataset, scale: str) -> dict:
    """What a benchmark measured: scale, folder, structures (schools, centres), answers, links, waves."""
    structures = dataset.structures
    links = dataset.reponses[["ecole_id", "centre_id"]].drop_duplicates()
    return {"scale": scale, "folder": "démonstration" if dataset.is_demo else str(dataset.folder),
            "structures": len(structures), "schools": int((structures["famille"] == "ecole").sum()),
            "centres": int((structures["famille"] == "centre").sum()), "answers": len(dataset.reponses),
            "links_all_waves": len(links), "waves": list(dataset.waves)}


def median_ms(run, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1), result


def _map_inputs(dataset: Dataset, filters: Filters):
    """What the Carte page prepares for a filter change: the view, then lib.maps.map_inputs (communes)."""
    view = apply_filters(dataset, filters)
    return (view, *map_inputs(view, "commune", False))


def _build_html(dataset: Dataset, view, links, table, assets_url: str) -> str:
    options = MapOptions(basemap="aucun")
    return build_map(dataset.reference, view.structures, links, table, options, assets_url=assets_url
                     ).get_root().render()


def _naive_html(view) -> str:
    """The same points as one folium.Marker each: the way the issue compares against."""
    fmap = folium.Map(location=[49.05, 2.1], zoom_start=10, tiles=None)
    for row in view.structures.itertuples():
        folium.Marker([row.latitude, row.longitude], tooltip=row.nom).add_to(fmap)
    return fmap.get_root().render()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the benchmark prints JSON only
        pass


def browser_draw_ms(html: str, repeat: int) -> tuple[float | None, str | None]:
    """Median ms from navigation start until Leaflet has drawn every layer, in headless Chromium.

    The map page and the app's Leaflet assets are served from a local folder;
    a script at the end of the page waits two animation frames (canvas
    layers draw on the next frame) and records the time.
    """
    if not Path(CHROMIUM).exists():
        return None, f"pas de navigateur : {CHROMIUM} absent"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "playwright n'est pas installé (requirements-dev.txt)"
    marker = ("<script>requestAnimationFrame(function () { requestAnimationFrame(function () {"
              " window.__drawn = performance.now(); }); });</script></html>")
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "carte.html"
        page_path.write_text(html.replace("</html>", marker), encoding="utf-8")
        (Path(folder) / "app").mkdir()
        (Path(folder) / "app" / "static").symlink_to(ROOT / "static")
        handler = functools.partial(_QuietHandler, directory=folder)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                times = []
                for _ in range(repeat):
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    page.goto(f"http://127.0.0.1:{server.server_port}/carte.html", wait_until="commit")
                    page.wait_for_function("window.__drawn !== undefined", timeout=120_000)
                    times.append(page.evaluate("window.__drawn"))
                    page.close()
                browser.close()
        except Exception as err:  # a browser that cannot start is reported, not fatal
            return None, f"le navigateur n'a pas pu afficher la carte : {err}"
        finally:
            server.shutdown()
    return round(statistics.median(times), 1), None


def scale_dataset(scale: str) -> tuple[Dataset, Filters]:
    """The data set a benchmark measures at ``scale`` (``demo`` or ``national``), with its filters."""
    if scale == "demo":
        dataset = load_dataset(DEMO_DIR)
        return dataset, default_filters(dataset)
    return synthetic_dataset(**NATIONAL), Filters(wave="2019")


def bench_map_scale(scale: str, repeat: int = 3) -> dict:
    """Every figure of one scale (run in its own process by :func:`bench_map`)."""
    dataset, filters = scale_dataset(scale)
    prepare_ms, (view, links, table) = median_ms(lambda: _map_inputs(dataset, filters), repeat)
    assets = "/app/static/node_modules"
    build_ms, html = median_ms(lambda: _build_html(dataset, view, links, table, assets), repeat)
    browser_ms, browser_reason = browser_draw_ms(html, repeat)
    result = {
        "loaded": {**loaded_counts(dataset, scale), "wave": filters.wave},
        "structures": len(view.structures),
        "answers_in_wave": len(view.reponses),
        "links": len(links),
        "prepare_ms": prepare_ms,
        "build_ms": build_ms,
        "html_bytes": len(html.encode("utf-8")),
        "browser_ms": browser_ms,
    }
    if browser_reason:
        result["browser_reason"] = browser_reason
    if scale == "demo":
        result["naive_build_ms"], _ = median_ms(lambda: _naive_html(view), repeat)
        result["speedup"] = round(result["naive_build_ms"] / build_ms, 1)
    return result


def run_scales(kind: str, scales: list[str], repeat: int) -> dict:
    """Each scale in a fresh Python process (its own peak memory, cold caches): scripts/bench_pages.py."""
    results = {}
    for scale in scales:
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_pages.py"), kind, scale, str(repeat)],
                              cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            results[scale] = {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "échec"}
        else:
            results[scale] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def bench_map(scales: list[str], repeat: int = 3) -> dict:
    """``bench map``: build, HTML size, browser drawing and memory, per scale; and under ``page``, the map page
    rerun after a wave change in the app (AppTest) with that process's peak memory: the app's."""
    found = run_scales("map", scales, repeat)
    for scale, page in run_scales("map_page", scales, repeat).items():
        found[scale]["page"] = page
    return {"benchmark": "map", "repeat": repeat, "cpu_count": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 1), "scales": found}


CHART_PAGES = {
    "liens_par_territoire": "pages/2_Liens_par_territoire.py",
    "leviers_et_freins": "pages/3_Leviers_et_freins.py",
    "evolution": "pages/4_Evolution.py",
}
# A page that draws nothing but the shared set-up (menu, filters, banner): the floor of every rerun.
BASELINE_PAGE = "pages/9_Controle_des_donnees.py"


def write_dataset_csv(dataset: Dataset, folder: Path) -> Path:
    """A typed data set written back as the CSV files the loader reads (code lists joined by ";")."""
    from lib.dataset import FILES

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("structures", "reponses"):
        frame = getattr(dataset, name)
        columns = {}
        for column in FILES[name].columns:
            if column not in frame:
                columns[column] = ""
                continue
            values = frame[column]
            if column == "date":
                values = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
            elif values.map(lambda v: isinstance(v, list)).any():
                values = values.map(";".join)
            elif column in ("latitude", "longitude"):
                values = values.round(6)
            columns[column] = values.astype(object).where(values.notna(), "")
        pd.DataFrame(columns).to_csv(folder / FILES[name].filename, index=False)
    return folder


def bench_reports(repeat: int = 3) -> dict:
    """``bench reports``: PDF and XLSX build times on the demo (median, warm process: the page's case)."""
    from lib.reports import aggregates_xlsx, departement_pdf, fiche_pdf, resolve_scope

    dataset = load_dataset(DEMO_DIR)
    wave = dataset.waves[-1]
    fiche_pdf(dataset, resolve_scope(dataset, "Argenteuil"), wave, False)  # fonts and imports, once
    results = {}
    for territoire in ("Argenteuil", "CA Val Parisis", None):
        scope = resolve_scope(dataset, territoire)
        for free_text in (False, True):
            version = "comite" if free_text else "financeurs"
            results[f"fiche_ms[{scope.name}, {version}]"], data = median_ms(
                lambda: fiche_pdf(dataset, scope, wave, free_text), repeat)
            results[f"fiche_bytes[{scope.name}, {version}]"] = len(data)
    for free_text in (False, True):
        version = "comite" if free_text else "financeurs"
        results[f"rapport_ms[{version}]"], data = median_ms(lambda: departement_pdf(dataset, wave, free_text), repeat)
        results[f"rapport_bytes[{version}]"] = len(data)
    results["xlsx_ms[departement]"], data = median_ms(
        lambda: aggregates_xlsx(dataset, resolve_scope(dataset, None), wave), repeat)
    return {"benchmark": "reports", "repeat": repeat, "cpu_count": os.cpu_count(), "wave": wave, "scale": "demo",
            "loaded": loaded_counts(dataset, "demo"), "results": results}
