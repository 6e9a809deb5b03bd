"""``python -m lib.cli bench opportunities``: every « Où agir ? » list and network figure, timed (JSON).

Two scales, as the map benchmark: the demo data set, and the national-scale
synthetic data set of ``lib.bench`` (60,000 schools, 2,300 centres, 150,000
answers on the Val-d'Oise communes: far denser than France, so the distance
part is a worst case). The median of ``repeat`` runs of ``where_analysis``
(the page's whole computation, pistes included), and the two heaviest parts
on their own.
"""

from __future__ import annotations

import os
import statistics
import time

from lib.bench import median_ms, scale_dataset
from lib.filters import ALL_WAVES, apply_filters
from lib.network import network_figures
from lib.opportunities import RADIUS_M, lambert93, pairs_within, where_analysis

TARGET_MS = {"demo": 200, "national": 2000}


def bench_opportunities_scale(scale: str, repeat: int = 3) -> dict:
    """The figures of one scale."""
    dataset, filters = scale_dataset(scale)
    where_analysis(dataset, filters, RADIUS_M, True)  # imports and the questionnaire, once (the app's warm case)
    total_ms, analysis = median_ms(lambda: where_analysis(dataset, filters, RADIUS_M, True), repeat)
    cpu = []
    for _ in range(repeat):  # CPU time of this process: what the figures cost when other processes share the cores
        start = time.process_time()
        where_analysis(dataset, filters, RADIUS_M, True)
        cpu.append((time.process_time() - start) * 1000)
    structures = dataset.structures
    schools = structures[structures["famille"] == "ecole"]
    centres = structures[structures["famille"] == "centre"]
    school_xy, centre_xy = lambert93(schools), lambert93(centres)
    distance_ms, (pairs, _c, _d) = median_ms(lambda: pairs_within(school_xy, centre_xy, RADIUS_M), repeat)
    in_wave = apply_filters(dataset, filters).reponses
    links = in_wave[["ecole_id", "centre_id"]].drop_duplicates()
    network_ms, figures = median_ms(lambda: network_figures(links), repeat)
    return {
        "loaded": {"scale": scale, "structures": len(structures), "schools": len(schools), "centres": len(centres),
                   "answers": len(dataset.reponses), "wave": filters.wave if filters.wave != ALL_WAVES else "toutes",
                   "links_in_wave": len(links), "school_centre_pairs_within_radius": len(pairs),
                   "radius_m": RADIUS_M},
        "found": {"opportunities": len(analysis.opportunities), "schools_without_link": len(analysis.schools),
                  "centres_flagged": int(analysis.centres["Peu de partenaires"].sum()),
                  "links_weakened_or_gone": len(analysis.changes), "opposed_perceptions": len(analysis.gaps),
                  "communes_without_link": len(analysis.blank_communes), "brokers": int(figures["courtier"].sum()),
                  "structures_without_coordinates": len(analysis.unplaced)},
        "all_ms": total_ms,
        "all_cpu_ms": round(statistics.median(cpu), 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "of_which_distances_ms": distance_ms,
        "of_which_network_ms": network_ms,
        "target_ms": TARGET_MS.get(scale),
        "within_target": total_ms <= TARGET_MS.get(scale, float("inf")),
    }


def bench_opportunities(scales: list[str], repeat: int = 3) -> dict:
    """``bench opportunities``: medians per scale, in this process (no browser, no page)."""
    return {"benchmark": "opportunities", "repeat": repeat, "cpu_count": os.cpu_count(),
            "note": "all_ms : médiane du calcul complet de la page « Où agir ? » (toutes les listes, réseau, "
                    "indicateurs par territoire), processus chaud ; distances et réseau mesurés aussi à part.",
            "scales": {scale: bench_opportunities_scale(scale, repeat) for scale in scales}}
