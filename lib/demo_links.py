"""How the fictional demo's links live: partners, waves, meetings and every answer to the survey."""

from __future__ import annotations

import math
import random
from datetime import date

from lib.demo_model import (Commune, Interview, Link, Structure, code_weights, distance_km, weighted_choice,
                            weighted_sample, working_days)
from lib.demo_profile import DemoProfile
from lib.demo_vocabulary import (CENTRE_FONCTIONS, COMMENTAIRES, DEMO_SUFFIX, FORME_BOOSTS, FORME_WEIGHTS,
                                 GOOD_LEVIERS, MODE_WEIGHTS, N_CENTRES_SOCIAUX, N_EVS, OBJET_WEIGHTS,
                                 OBJETS_BY_FORME, OTHER_FONCTION_WEIGHT, OTHER_FREINS, OTHER_LEVIERS, OUTILS, PISTES,
                                 POOR_FREINS, RESSOURCES, SCHOOL_FONCTIONS, TEXT_FILL_RATE, WAVE_PERIODS, WAVES)
from lib.questionnaire import MULTI_SEPARATOR, Questionnaire


def scaled_count(val_d_oise_count: int, available: int, val_d_oise_available: int) -> int:
    """A meeting's size in proportion to the centres there are (the Val d'Oise's own size there)."""
    if available <= 0:
        return 0
    return min(available, max(1, round(val_d_oise_count * available / val_d_oise_available)))


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


def partner_weights(centre: Structure, schools: list[Structure], communes: dict[str, Commune],
                    lat0: float) -> dict[str, float]:
    """How likely each school is to partner the centre: same commune, then same EPCI, nearby."""
    epci = communes[centre.commune].epci_code
    weights = {}
    for school in schools:
        d = distance_km(centre.lat, centre.lon, school.lat, school.lon, lat0)
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
                     communes: dict[str, Commune], questionnaire: Questionnaire, lat0: float
                     ) -> tuple[dict[str, list[str]], dict[str, Link], dict[str, float]]:
    """Each centre's ordered pool of possible partners, the first wave's links and
    each centre's own quality effect (some centres work better with schools)."""
    by_id = {s.id: s for s in schools}
    pools: dict[str, list[str]] = {}
    links: dict[str, Link] = {}
    effects: dict[str, float] = {}
    for centre in centres:
        is_cs = centre.type == "centre_social"
        pools[centre.id] = weighted_sample(rng, partner_weights(centre, schools, communes, lat0), 28 if is_cs else 12)
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
                    schools: list[Structure], links: dict[str, Link],
                    profile: DemoProfile) -> tuple[list[dict], list[dict]]:
    """The kick-off (real in the Val d'Oise), then fictional reflection groups, pilotage and the departmental day.

    Group sizes follow the number of centres (the Val d'Oise's 45 centres sociaux and 8 EVS give its sizes).
    """
    cs = [c for c in centres if c.type == "centre_social"]
    evs = [c for c in centres if c.type == "espace_vie_sociale"]
    linked = sorted({link.ecole_id for link in links.values()})
    by_id = {s.id: s for s in schools}
    linked_schools = [by_id[i] for i in linked]
    def cs_count(n: int) -> int:
        return scaled_count(n, len(cs), N_CENTRES_SOCIAUX)

    n_group_cs = cs_count(14)
    group_centres = rng.sample(cs, n_group_cs) + rng.sample(evs, scaled_count(2, len(evs), N_EVS))
    school_weights = {s.id: (2.0 if s.education_prioritaire else 1.0) * (1.5 if s.type == "college" else 1.0)
                      for s in linked_schools}
    group_schools = [by_id[i] for i in weighted_sample(rng, school_weights, 12)]

    def at(structure: Structure) -> tuple[str, str]:
        return f"{structure.nom}, {communes[structure.commune].nom}", structure.commune

    def attend(who: list[Structure], rate: float, most: int) -> list[tuple[str, int]]:
        return [(s.id, rng.randint(1, most)) for s in who if rng.random() < rate]

    sessions: list[tuple[dict, list[tuple[str, int]]]] = []
    kickoff = dict(profile.kickoff, date=profile.kickoff["date"].isoformat())
    sessions.append((kickoff, attend(rng.sample(cs, cs_count(22)) + evs[:3], 0.9, 3)
                     + attend([by_id[i] for i in weighted_sample(rng, school_weights, 20)], 0.85, 2)))
    cs_topics = ["ce qui fait que ça marche", "les freins et les contradictions",
                 "des outils à partager", "préparer la rencontre départementale"]
    cs_dates = [date(2018, 10, 9), date(2018, 12, 11), date(2019, 2, 5), date(2019, 3, 26)]
    for number, (day, topic) in enumerate(zip(cs_dates, cs_topics), start=1):
        lieu, commune = at(rng.choice(group_centres[:n_group_cs]))
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
    pilot_centres = rng.sample(cs, min(3, len(cs)))
    for day, topic in pilot_topics:
        lieu, commune = at(pilot_centres[0])
        sessions.append(({"date": day.isoformat(), "type": "pilotage", "lieu": lieu,
                          "titre": f"Comité de pilotage : {topic}{DEMO_SUFFIX}",
                          "commune_insee": commune, "heure_debut": "10:00", "heure_fin": "12:00"},
                         attend(pilot_centres, 0.9, 1)))
    host = rng.choice([c for c in cs if communes[c.commune].good_epci] or cs)
    lieu, commune = at(host)
    others = [c for c in cs if c not in group_centres]
    departementale = group_centres + rng.sample(others, min(len(others), cs_count(12)))
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


