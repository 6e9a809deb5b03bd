"""A structure's fiche: its card (identity, partners), per-wave figures, leviers and freins, place in the network.

Plain Python (no streamlit). The partners are the map card's (``lib.metrics.structure_card`` and
``lib.card_partners``): the fiche adds what a narrow card has no room for. Texts are plain (not escaped);
the page escapes what it draws.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from lib.filters import ALL_WAVES
from lib.formatting import format_decimal, format_int
from lib.metrics import MIN_ANSWERS, SMALL_COUNT_NOTE, StructureCard, aggregate_links, structure_card, \
    suppress_small_counts
from lib.network import BROKER_EXPLANATION, network_figures
from lib.questionnaire import load_questionnaire
from lib.territories import short_territory_name

TOP_CITED = 5  # leviers and freins listed on a fiche


@dataclass(frozen=True)
class Fact:
    """One line of a fiche's identity: « Intercommunalité : CA Val Parisis », the long name in ``detail``."""

    label: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class WaveFigures:
    """A structure's links in one wave: how many, how many answers, their mean quality (None when masked)."""

    wave: str
    links: int
    answers: int
    quality: float | None

    @property
    def quality_text(self) -> str:
        if self.answers < MIN_ANSWERS:
            return SMALL_COUNT_NOTE
        return "non renseignée" if self.quality is None else format_decimal(self.quality, 1)


@dataclass(frozen=True)
class Cited:
    """A levier or frein and the number of the structure's links where it was cited."""

    code: str
    label: str
    links: int


@dataclass(frozen=True)
class NetworkPlace:
    """Where the structure stands in the network of one wave (``lib.network.network_figures``)."""

    wave: str
    partners: int
    group_size: int
    broker: bool
    dependants: int
    isolated_pair: bool


@dataclass(frozen=True)
class StructureFiche:
    card: StructureCard
    facts: tuple[Fact, ...]
    waves: tuple[WaveFigures, ...]  # newest first
    cited_wave: str  # the wave the leviers and freins are counted in (ALL_WAVES: every wave)
    leviers: tuple[Cited, ...]
    freins: tuple[Cited, ...]


def identity_facts(card: StructureCard) -> tuple[Fact, ...]:
    """Type, commune, intercommunalité (short name, official one as detail), éducation prioritaire, QPV."""
    epci = "" if card.epci in ("", "nan", "<NA>", "None") else card.epci
    facts = [Fact("Type", card.type_label), Fact("Commune", card.commune or "non renseignée")]
    if epci:
        short = short_territory_name(epci)
        facts.append(Fact("Intercommunalité", short, epci if short != epci else ""))
    facts.append(Fact("Éducation prioritaire", card.education_prioritaire or "non"))
    facts.append(Fact("Quartier prioritaire (QPV)", card.qpv if card.qpv not in ("", "nan", "<NA>") else "non"))
    return tuple(facts)


def own_answers(structures: pd.DataFrame, reponses: pd.DataFrame, structure_id: str) -> pd.DataFrame:
    """The answers about the structure's links (both sides), every wave."""
    family = structures.loc[structures["id"] == structure_id, "famille"]
    column = "ecole_id" if not family.empty and family.iloc[0] == "ecole" else "centre_id"
    return reponses[(reponses[column] == structure_id).to_numpy(dtype=bool)]


def wave_figures(answers: pd.DataFrame) -> tuple[WaveFigures, ...]:
    """Per wave, newest first: links, answers, and the mean quality of the answers (masked under MIN_ANSWERS)."""
    if answers.empty:
        return ()
    quality = answers["qualite"].astype("Float64")
    table = (answers.assign(q=quality)
             .groupby("vague", sort=True, observed=True)
             .agg(reponses=("reponse_id", "size"), qualite=("q", "mean")))
    links = answers.drop_duplicates(["vague", "ecole_id", "centre_id"]).groupby("vague", observed=True).size()
    table = suppress_small_counts(table.reset_index(), ["qualite"])
    return tuple(
        WaveFigures(str(row["vague"]), int(links.get(row["vague"], 0)), int(row["reponses"]),
                    None if pd.isna(row["qualite"]) else float(row["qualite"]))
        for row in table.sort_values("vague", ascending=False).to_dict("records"))


def most_cited(links: pd.DataFrame, column: str, labels: dict[str, str], top: int = TOP_CITED) -> tuple[Cited, ...]:
    """The codes of ``column`` (``leviers`` or ``freins``) cited on most links, then by label."""
    counts = Counter(code for codes in links[column] for code in set(codes)) if not links.empty else Counter()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], labels.get(item[0], item[0])))
    return tuple(Cited(code, labels.get(code, code), n) for code, n in ranked[:top])


def structure_fiche(structures: pd.DataFrame, reponses: pd.DataFrame, structure_id: str,
                    wave: str = ALL_WAVES) -> StructureFiche | None:
    """The fiche of ``structure_id``, or None when the data set has no such structure.

    Args:
        structures: the data set's structures (territories assigned).
        reponses: every answer of the data set (the fiche tells the structure's whole history).
        structure_id: the structure, as given in the URL (anything: an unknown id gives None).
        wave: the shared filters' wave: leviers and freins are counted in it (ALL_WAVES: every wave).
    """
    card = structure_card(structures, reponses, structure_id)
    if card is None:
        return None
    q = load_questionnaire()
    answers = own_answers(structures, reponses, structure_id)
    in_wave = answers if wave == ALL_WAVES else answers[(answers["vague"] == wave).to_numpy(dtype=bool)]
    links = aggregate_links(in_wave)
    return StructureFiche(
        card=card, facts=identity_facts(card), waves=wave_figures(answers), cited_wave=wave,
        leviers=most_cited(links, "leviers", q["leviers"].labels),
        freins=most_cited(links, "freins", q["freins"].labels),
    )


def network_wave(waves: list[str], wave: str) -> str | None:
    """The wave whose network a fiche shows: the chosen one, else the latest of the data set."""
    if wave != ALL_WAVES:
        return wave if wave in waves else None
    return max(waves) if waves else None


def wave_network(reponses: pd.DataFrame, wave: str) -> pd.DataFrame:
    """``lib.network.network_figures`` of every link of ``wave`` in the data set (the page caches it)."""
    answers = reponses[(reponses["vague"] == wave).to_numpy(dtype=bool)]
    return network_figures(aggregate_links(answers, with_codes=False))


def network_place(figures: pd.DataFrame, structure_id: str, wave: str) -> NetworkPlace:
    """The structure's row of ``figures`` (no row: no link in that wave)."""
    rows = figures[(figures["id"] == structure_id).to_numpy(dtype=bool)]
    if rows.empty:
        return NetworkPlace(wave, 0, 0, False, 0, False)
    row = rows.iloc[0]
    return NetworkPlace(wave, int(row["partenaires"]), int(row["taille_groupe"]), bool(row["courtier"]),
                        int(row["structures_dependantes"]), bool(row["paire_isolee"]))


def network_lines(place: NetworkPlace) -> tuple[str, ...]:
    """The network figures in plain French (no « betweenness »)."""
    if place.partners == 0:
        return (f"Vague {place.wave} : aucun lien recensé.",)
    lines = [f"Vague {place.wave} : {format_int(place.partners)} partenaire(s) ; elle fait partie d'un groupe de "
             f"{format_int(place.group_size)} structures reliées entre elles, directement ou de proche en proche."]
    if place.broker:
        lines.append(f"Elle {BROKER_EXPLANATION} : {format_int(place.dependants)} structure(s) ne seraient plus "
                     "reliées au reste sans elle.")
    elif place.isolated_pair:
        lines.append("Paire isolée : son partenaire et elle ne sont liés à personne d'autre.")
    return tuple(lines)
