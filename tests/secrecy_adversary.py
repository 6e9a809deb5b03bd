"""The adversary of the statistical secret (tests/test_secrecy.py): a small generated département, and every
figure a funder can read, with the answers each rests on, recomputed from the answers (not from lib.secrecy).

The enumeration goes through the pure functions the pages, the PDF, the XLSX and the command line call (every
offered level, territory and wave); ``lib.secrecy_audit.check_publications`` then looks for figures resting on
1 to K − 1 answering structures, directly or as the difference of two published figures.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd

from lib import secrecy
from lib.filters import ALL_WAVES, Filters, among, apply_filters
from lib.impact import impact_by_wave, meetings_of_wave
from lib.metrics import OVERALL, SIDES, indicators_by_wave, lever_analyses, link_analyses
from lib.questionnaire import load_questionnaire
from lib.secrecy_audit import Publication
from lib.territories import load_reference, territory_column
from tests.conftest import town_hall, uai, write_tables


# --------------------------------------------------------------------------- a small département, generated


def small_departement(folder: Path, seed: int = 12) -> Path:
    """Three intercommunalités of the Val-d'Oise: big communes with many schools, villages with one school.

    Two waves; schools and centres answer at random about their links, with random codes, qualities and
    frequencies (seeded: the same files every time).
    """
    rng = random.Random(seed)
    q = load_questionnaire()
    communes = load_reference().communes
    chosen = communes[communes["epci_nom"].isin(["Communauté d'agglomération Val Parisis",
                                                 "Communauté de communes Vexin Centre",
                                                 "Communauté de communes Sausseron Impressionnistes"])]
    structures, schools_of = [], {}
    number = 100
    for row, (code, epci) in enumerate(zip(chosen["code_insee"], chosen["epci_nom"])):
        lat, lon = town_hall(code)
        big = "Val Parisis" in epci and row % 3 == 0
        n_schools = rng.randint(5, 9) if big else 1  # most communes: a single school
        for _ in range(n_schools):
            number += 1
            school = uai(number)
            ep = rng.choice(["REP+", "REP", "", "", ""]) if big else ""
            structures.append([school, rng.choice(["ecole_elementaire", "ecole_maternelle", "college"]),
                               f"École {number} (test)", code, "1 rue", lat, lon, ep, ""])
            schools_of.setdefault(code, []).append(school)
    centres = []
    for i, code in enumerate(list(schools_of)[:: max(1, len(schools_of) // 6)]):
        lat, lon = town_hall(code)
        centres.append(f"CS-T-{i}")
        structures.append([centres[-1], "centre_social", f"Centre {i} (test)", code, "2 rue", lat, lon, "", ""])
    sides = {"ecole": [c.code for c in q["fonctions"].choices if c.extra.get("cote") == "ecole"],
             "centre": [c.code for c in q["fonctions"].choices if c.extra.get("cote") == "centre"]}

    def codes(name: str, most: int) -> str:
        return ";".join(rng.sample(q[name].codes[:-1], rng.randint(1, most)))

    answers = []
    for wave in ("2018", "2019"):
        for schools in schools_of.values():
            for school in schools:
                if rng.random() < 0.25:
                    continue
                for centre in rng.sample(centres, rng.randint(1, 2)):
                    for side, who in (("ecole", school), ("centre", centre)):
                        if side == "centre" and rng.random() < 0.5:
                            continue
                        answers.append({
                            "reponse_id": f"R{wave}-{len(answers)}", "vague": wave,
                            "date": f"{wave}-03-{rng.randint(1, 28):02d}", "mode": rng.choice(q["modes"].codes),
                            "repondant_id": who, "repondant_fonction": rng.choice(sides[side]),
                            "ecole_id": school, "centre_id": centre, "formes": codes("formes", 3),
                            "frequence": rng.choice(q["frequences"].codes), "objets": codes("objets", 2),
                            "qualite": rng.choice(q["qualites"].codes), "leviers": codes("leviers", 3),
                            "freins": codes("freins", 2), "ressources": "", "outils": "", "pistes": "",
                            "commentaire": ""})
    # Meetings: two sessions in 2019, one in 2018, each attended by a few structures from anywhere.
    meetings = [["RC-1", "2018-06-12", "Rencontre départementale", "rencontre_departementale"],
                ["RC-2", "2019-02-05", "Groupe de réflexion", "groupe_centres_sociaux"],
                ["RC-3", "2019-06-11", "Rencontre départementale", "rencontre_departementale"]]
    everyone = [s[0] for s in structures]
    presence = [[meeting[0], who, 1] for meeting in meetings for who in rng.sample(everyone, rng.randint(6, 14))]
    tables = {
        "structures": pd.DataFrame(structures, columns=["id", "type", "nom", "commune_insee", "adresse", "latitude",
                                                        "longitude", "education_prioritaire", "qpv"]),
        "reponses": pd.DataFrame(answers),
        "rencontres": pd.DataFrame([[*m, "Salle des fêtes", "95500", "14:00", "17:00"] for m in meetings],
                                   columns=["rencontre_id", "date", "titre", "type", "lieu", "commune_insee",
                                            "heure_debut", "heure_fin"]),
        "participations": pd.DataFrame(presence, columns=["rencontre_id", "structure_id", "participants"]),
    }
    return write_tables(folder, tables)


# --------------------------------------------------------------------------- the adversary


def _codes_of(values: pd.Series, known: list[str]) -> list[set[str]]:
    wanted = set(known)
    return [set(v) & wanted for v in values.tolist()]


class Populations:
    """What a published figure rests on, recomputed from the answers of a view (not from lib.secrecy)."""

    def __init__(self, view, column: str):
        self.answers = view.reponses
        schools = view.schools.set_index("id")
        self.group = self.answers["ecole_id"].map(schools[column]).astype(object)
        self.ep = self.answers["ecole_id"].map(schools["education_prioritaire_groupe"]).astype(object)
        self.link = list(zip(self.answers["ecole_id"], self.answers["centre_id"], self.answers["vague"]))
        self.answer_ids = self.answers["reponse_id"].to_numpy(dtype=object)

    def ids(self, mask) -> frozenset:
        return frozenset(self.answer_ids[np.asarray(mask, dtype=bool)].tolist())

    def in_group(self, group) -> np.ndarray:
        return np.ones(len(self.answers), dtype=bool) if group == OVERALL else (self.group == group).to_numpy()

    def per_link(self, values: list, combine) -> list:
        """Each answer's link value, combined over the answers of its link."""
        found: dict = {}
        for key, value in zip(self.link, values):
            found[key] = combine(found.get(key), value)
        return [found[key] for key in self.link]

    def link_codes(self, question: str) -> list[set[str]]:
        own = _codes_of(self.answers[question], load_questionnaire().for_column("reponses", question).codes)
        return self.per_link(own, lambda a, b: (a or set()) | b)

    def highest_frequency(self) -> list[int]:
        return self.per_link(self.answers["frequence"].cat.codes.tolist(), lambda a, b: max(a if a is not None else -1, b))

    def link_mean(self) -> list[float]:
        ratings = self.answers["qualite"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        sums = self.per_link([0.0 if r != r else r for r in ratings], lambda a, b: (a or 0.0) + b)
        counts = self.per_link([0 if r != r else 1 for r in ratings], lambda a, b: (a or 0) + b)
        return [s / c if c else np.nan for s, c in zip(sums, counts)]


def _shares(pubs: list, where: str, table: pd.DataFrame, rows_of, cell_of, question: str,
            mean: str | None = None) -> None:
    """Every figure of a long share table: each cell's n and share, each group's base and answers (and mean)."""
    for record in table.to_dict("records"):
        base = rows_of(record["groupe"])
        cell = base & cell_of(record["groupe"], record["code"])
        row = f"{where} [{record['groupe']}]"
        pubs.append(Publication(f"{where} [{record['groupe']} · {record['code']}]", P.ids(cell), record["part"],
                                f"{question}:{record['code']}", row))
        pubs.append(Publication(f"{where} [{record['groupe']} · n]", P.ids(base), record["base"], f"{question}:BASE",
                                row))
        if mean:
            pubs.append(Publication(f"{where} [{record['groupe']} · moyenne]", P.ids(base), record[mean],
                                    f"{question}:BASE", row))


P: Populations  # the view being read (set by ``published``)


def published(public, levels: list[str] | None = None) -> list[Publication]:
    """Every figure a funder can read through the analyses, over every offered level, territory and wave."""
    global P
    pubs: list[Publication] = []
    q = load_questionnaire()
    weekly = q["frequences"].codes.index(q["frequences"].codes[-1])
    offered = public.secret.offered if public.secret is not None else {
        level: tuple(public.structures[territory_column(level)].dropna().unique()) for level in secrecy.FAMILIES}
    for level in levels or [lv for lv in ("commune", "epci", "education_prioritaire", "qpv") if offered.get(lv)]:
        column = territory_column(level)
        for territory in [None, *offered[level]]:
            chosen = (territory,) if territory else ()
            scope = f"{level}:{territory or 'département'}"
            for wave in public.waves:
                view = apply_filters(public, Filters(wave=wave, level=level, territories=chosen))
                P = Populations(view, column)
                if P.answers.empty:
                    continue
                here = f"{scope} {wave}"
                links = link_analyses(view, column)
                rated = P.answers["qualite"].notna().to_numpy()
                highest = np.array(P.highest_frequency())
                _shares(pubs, f"fréquence {here}", links["frequence"],
                        lambda g: P.in_group(g) & (highest >= 0),
                        lambda g, c: highest == q["frequences"].codes.index(c), "frequence")
                _shares(pubs, f"qualité {here}", links["qualite"], lambda g: P.in_group(g) & rated,
                        lambda g, c: (P.answers["qualite"] == int(c)).fillna(False).to_numpy(), "qualite",
                        mean="moyenne")
                for question in ("formes", "objets"):
                    cited = P.link_codes(question)
                    has = np.array([bool(c) for c in cited])
                    cell = lambda g, c, cited=cited: np.array([c in s for s in cited])  # noqa: E731
                    _shares(pubs, f"{question} {here}", links[question], lambda g, has=has: P.in_group(g) & has, cell,
                            question)
                    _shares(pubs, f"{question} ensemble {here}", links[f"{question}_ensemble"],
                            lambda g, has=has: has, cell, question)
                for record in links["couverture"].to_dict("records"):
                    ep = record["groupe_ep"]
                    mask = P.in_group(record["groupe"]) & (np.ones(len(P.answers), dtype=bool) if ep == OVERALL
                                                          else (P.ep == ep).to_numpy())
                    for name in ("couverture", "ecoles_liees"):  # the share and its count (schools: public)
                        pubs.append(Publication(f"couverture {here} [{record['groupe']} · {ep}] {name}", P.ids(mask),
                                                record[name], "ecoles"))
                levers = lever_analyses(view, column)
                side_of = {label: code for code, label in SIDES.items()}
                level_of = {label: int(code) for code, label in q["qualites"].labels.items()}
                for question in ("leviers", "freins"):
                    own = _codes_of(P.answers[question], q.for_column("reponses", question).codes)
                    has = np.array([bool(c) for c in own])
                    cell = lambda g, c, own=own: np.array([c in s for s in own])  # noqa: E731
                    cote = P.answers["cote"].astype(object)
                    _shares(pubs, f"{question} par côté {here}", levers[f"{question}_cote"],
                            lambda g, has=has: has & ((cote == side_of[g]).to_numpy() if g in side_of else True), cell,
                            question)
                    _shares(pubs, f"{question} par territoire {here}", levers[f"{question}_territoire"],
                            lambda g, has=has: has & P.in_group(g), cell, question)
                    _shares(pubs, f"{question} par qualité {here}", levers[f"{question}_qualite"],
                            lambda g, has=has: has & (P.answers["qualite"] == level_of[g]).fillna(False).to_numpy(),
                            cell, question)
                for record in levers["ecarts_distribution"].to_dict("records"):
                    pubs.append(Publication(f"écarts {here}", frozenset(), record["part"]))  # must stay blank
            every = apply_filters(public, Filters(wave=ALL_WAVES, level=level, territories=chosen))
            P = Populations(every, column)
            wave_of = P.answers["vague"].astype(str).to_numpy()
            means = np.array(P.link_mean())
            highest = np.array(P.highest_frequency())
            for record in indicators_by_wave(every, column).to_dict("records"):
                group = OVERALL if record["territoire"] == OVERALL else record["territoire"]
                base = P.in_group(group) & (wave_of == record["vague"])
                at = f"évolution {scope} {record['vague']} [{record['territoire']}]"
                for name in ("reponses", "liens", "couverture", "ecoles_liees"):
                    pubs.append(Publication(f"{at} {name}", P.ids(base), record[name],
                                            "ecoles" if name in ("couverture", "ecoles_liees") else "reponses"))
                pubs.append(Publication(f"{at} qualité", P.ids(base & ~np.isnan(means)), record["qualite"],
                                        "satisfaction:BASE"))
                pubs.append(Publication(f"{at} hebdomadaire", P.ids(base & (highest == weekly)),
                                        record["hebdomadaire"], f"frequence:{q['frequences'].codes[-1]}"))
            impact = impact_by_wave(every)
            in_ep = P.ep.isin(["REP", "REP+"]).to_numpy()
            side = P.answers["cote"].astype(object).to_numpy()
            for record in impact.to_dict("records"):
                base = wave_of == record["vague"]
                at = f"impact {scope} {record['vague']}"
                rated_links = base & ~np.isnan(means)
                for name, mask, measure in (
                        ("reponses", base, "reponses"), ("structures_enquetees", base, "reponses"),
                        ("liens", base, "reponses"), ("part_ecoles_liees", base, "ecoles"),
                        ("ecoles_liees", base, "ecoles"), ("ecoles_ep_liees", base & in_ep, "ecoles"),
                        ("ecoles_enquetees", base & (side == "ecole"), "reponses"),
                        ("centres_enquetes", base & (side == "centre"), "reponses"),
                        ("part_ep_liees", base & in_ep, "ecoles"), ("liens_notes", rated_links, "satisfaction:BASE"),
                        ("part_satisfaisants", rated_links & (means >= 3), "satisfaction:sat"),
                        ("liens_satisfaisants", rated_links & (means >= 3), "satisfaction:sat"),
                        ("reponses_notees", base & P.answers["qualite"].notna().to_numpy(), "qualite:BASE")):
                    pubs.append(Publication(f"{at} {name}", P.ids(mask), record[name], measure))
                meetings = meetings_of_wave(every.rencontres, record["vague"])
                present = every.participations[among(every.participations["rencontre_id"], meetings["rencontre_id"])]
                present = set(present["structure_id"]) & set(every.structures["id"])
                attendance = frozenset(f"{PRESENT}{who}" for who in present)
                for name in ("structures_rencontres", "rencontres"):
                    pubs.append(Publication(f"{at} {name}", attendance, record[name], "presence"))
    return pubs + where_publications(public, levels)


WHERE = "ou-agir:"  # a school counted by the fiche's « Où agir » in a wave, as a pseudo answer of its own


def where_publications(public, levels: list[str] | None = None) -> list[Publication]:
    """The counts of the funders' fiche « Où agir » (lib/report_where.py), for every report scope and wave.

    Populations recomputed here from the analysis' list of schools and the wave's links: the schools with no
    link and a centre near, and the schools of the communes (INSEE code) where no school has a link. A
    school's pseudo answer is per wave: each wave is published on its own, as the answers are.
    """
    from lib.opportunities import CARD_URL, RADIUS_M, where_analysis
    from lib.report_where import funder_figures
    from lib.reports import scope_choices

    pubs: list[Publication] = []
    scopes = [s for s in scope_choices(public) if not s.territories or levels is None or s.level in levels]
    for wave in public.waves:
        view = apply_filters(public, Filters(wave=wave))
        schools = view.schools.drop_duplicates("id")
        near = {link[len(CARD_URL):] for link in where_analysis(public, Filters(wave=wave), RADIUS_M).schools["Fiche"]}
        linked_communes = set(schools.loc[among(schools["id"], view.reponses["ecole_id"]), "commune_insee"].astype(str))
        for scope in scopes:
            inside = schools if not scope.territories else \
                schools[(schools[territory_column(scope.level)] == scope.territories[0]).to_numpy(dtype=bool)]
            name = f"{scope.level}:{scope.territories[0]}" if scope.territories else "epci:département"
            figures = funder_figures(public, scope, wave)
            unlinked = frozenset(f"{WHERE}{wave}:{sid}" for sid in inside["id"] if sid in near)
            pubs.append(Publication(f"où agir {name} {wave} écoles sans lien près d'un centre", unlinked,
                                    figures["ecoles"], "ou_agir:ecoles"))
            if figures["communes"] is not None:
                blank = inside[~inside["commune_insee"].astype(str).isin(linked_communes).to_numpy(dtype=bool)]
                pubs.append(Publication(f"où agir {name} {wave} communes sans lien",
                                        frozenset(f"{WHERE}{wave}:{sid}" for sid in blank["id"]),
                                        figures["communes"], "ou_agir:communes"))
    return pubs


PRESENT = "presence:"  # a structure's attendance at the wave year's meetings, as a pseudo answer of its own


def respondents(dataset) -> dict[str, str]:
    """Answer id → answering structure, and each structure's attendance → that structure."""
    found = dict(zip(dataset.reponses["reponse_id"], dataset.reponses["repondant_id"].astype(str)))
    found.update({f"{PRESENT}{who}": str(who) for who in dataset.structures["id"]})
    found.update({f"{WHERE}{wave}:{who}": str(who) for wave in dataset.waves for who in dataset.structures["id"]})
    return found
