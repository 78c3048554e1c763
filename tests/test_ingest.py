"""`materiel ingest`: claims from news text, checked against a scenario, scored against labels."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_cli, shared_dir
from materiel.errors import InputError
from materiel.ingest import Claim, extract
from materiel.ingest.check import check
from materiel.ingest.claims import FIELDS
from materiel.ingest.score import load_labels, score
from materiel.ingest.text import parse, read
from materiel.scenario.loading import load_scenario
from materiel.scenario.schema import Source

LABELLED = ROOT / "tests" / "data" / "ingest"


def corpus() -> Path:
    """../shared/corpus (the seed articles), or skip saying where it looked."""
    folder = shared_dir() / "corpus"
    if not (folder / "seed-004.txt").is_file():
        pytest.skip(f"the seed articles are not at {folder} (set MATERIEL_SHARED to the shared folder)")
    return folder


def one(text: str, **kw) -> Claim:
    found = extract(text, **kw)
    assert len(found) == 1, found
    return found[0]


# ── hand-worked cases ─────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("words, qualifier", [
    ("over", "over"), ("more than", "over"), ("at least", "at least"), ("nearly", "nearly"), ("almost", "nearly"),
    ("about", "about"), ("approximately", "about"), ("up to", "up to"), ("under", "under"), ("fewer than", "under"),
    ("", None)])
def test_each_qualifier(words, qualifier):
    c = one(f"The plant made {words} 2,500 shells.")
    assert (c.value, c.unit, c.qualifier) == (2500, "shells", qualifier)


def test_a_range_of_times():
    c = one("For certain types of armaments, production volumes increased by 3 to 6 times.")
    assert (c.value, c.unit, c.qualifier, c.per) == ([3, 6], "times", None, None)


@pytest.mark.parametrize("text, value, unit", [
    ("Russia had nearly two million employees.", 2_000_000, "workers"),
    ("Ukraine will make one and a half million drones.", 1_500_000, "drones"),
    ("They sent over six thousand containers.", 6000, "containers"),
    ("Russia may make 1.3 million shells.", 1_300_000, "shells"),
    ("Between 10 and 11 million projectiles were fired.", [10_000_000, 11_000_000], "shells"),
    ("Employment rose to 2-2.5 million workers.", [2_000_000, 2_500_000], "workers"),
    ("Russia probably produces 250 000 shells.", 250_000, "shells"),
    ("The firm is investing $321 million.", 321_000_000, "USD"),
    ("Output roughly doubled.", 2, "times"),
])
def test_numbers_and_number_words(text, value, unit):
    c = one(text)
    assert (c.value, c.unit) == (value, unit)


def test_a_year_dates_the_claim_and_is_no_claim_itself():
    c = one("Russia will produce 1.3 million shells in 2024.")
    assert (c.value, c.unit, c.date) == (1_300_000, "shells", "2024")


def test_relative_dates_count_from_the_article_date_never_today():
    import datetime as dt

    text = "Last year Russia fired 10 million shells."
    assert one(text, document_date=dt.date(2024, 3, 11)).date == "2023"
    assert one(text).date is None  # no article date: not resolved against today
    assert one("In December they built 50,000 drones.", document_date=dt.date(2023, 12, 31)).date == "2023-12"
    assert one("On August 28, 2024, they had 500 tanks.").date == "2024-08-28"
    assert one("In March 2023 they had 500 tanks.").date == "2023-03"


@pytest.mark.parametrize("text, per", [
    ("Russia lost another 1,340 of its soldiers throughout the day.", "day"),
    ("They fire 10,000 shells per day.", "day"),
    ("The plant makes 200,000 shells annually.", "year"),
    ("It builds 250,000 shells a month.", "month"),
    ("It aims at an annual capacity of 1.5 million shells.", "year"),
    ("Shell output soared by 150% in a year.", None),  # "in a year" is a span, not a rate
])
def test_rates(text, per):
    assert one(text).per == per


@pytest.mark.parametrize("text", [
    "Russia fires 152mm and 122-mm rounds from 6-inch guns.",  # calibres
    "In 2024 the war went on.",  # a year
    "The plant is 30 km from the front.",  # a distance
    "It covers 30,000 square meters and was built in 15 months.",  # an area, a duration
    "Russia lacks hundreds of thousands of skilled workers and millions of shells.",  # vague magnitudes
    "T-90 and T-72B3M tanks, Su-34 jets.",  # model numbers
    "On February 17, at 6:11 AM, it was over.",  # dates and times
    "Some 25% of Ukrainian territory would remain under Russian control.",  # a territory share
])
def test_out_of_scope_numbers_are_not_claims(text):
    assert extract(text) == []


def test_speakers():
    text = ('In an interview, Ukraine\'s First Deputy Minister of Defense, Ivan Havryliuk, shared that Russia had '
            'over 1,300 facilities.\n"Production increased by 3 to 6 times," said Havryliuk.\n'
            "About 3.5 million people work there, a Western official told Reuters.\n"
            "According to him, Russia makes 250,000 shells a month.")
    assert [c.speaker for c in extract(text)] == [
        "Ivan Havryliuk (Ukraine's First Deputy Minister of Defense)",
        "Ivan Havryliuk (Ukraine's First Deputy Minister of Defense)", "Western official", "Western official"]


# ── properties ────────────────────────────────────────────────────────────────────────────────────

QUALIFIER = st.sampled_from(["", "over ", "nearly ", "about ", "at least ", "up to ", "under "])
NUMBER = st.one_of(st.integers(2, 10**7).map(lambda n: f"{n:,}"), st.sampled_from(["two million", "1.3 million",
                                                                                    "3 to 6", "250 000"]))
UNIT = st.sampled_from(["shells", "tanks", "drones", "soldiers", "employees", "facilities", "times", "units"])
TAIL = st.sampled_from(["", " per day", " a year", " in 2024", " last year", ", said Shoigu", " (152mm)"])
SENTENCE = st.builds(lambda w, q, n, u, t: f"{w} {q}{n} {u}{t}.", st.sampled_from(["Russia made", "They lost",
                                                                                  "Output was", "«Kyiv» said"]),
                     QUALIFIER, NUMBER, UNIT, TAIL)


@settings(max_examples=150, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=6), st.sampled_from([" ", "\n", "\n\n"]))
def test_every_quote_is_an_exact_substring(sentences, joiner):
    text = joiner.join(sentences)
    for c in extract(text):
        assert c.quote in text
        assert set(c.to_dict()) == set(FIELDS)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_gives_claims_with_exact_quotes(text):
    for c in extract(text):
        assert c.quote in text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_the_reader_takes_any_bytes_or_says_why_not(data):
    try:
        doc = parse(data, "fuzz.txt")
    except InputError as exc:
        assert all(str(p).startswith("fuzz.txt:") for p in exc.problems)
    else:
        assert doc.text.strip()


# ── the seeds and the labelled set ───────────────────────────────────────────────────────────────

def test_seed_004_acceptance():
    folder = corpus()
    doc = read(folder / "seed-004.txt")
    found = {(json.dumps(c.value), c.unit) for c in extract(doc.text, doc.date)}
    wanted = {(json.dumps(c.value), c.unit) for c in load_labels(folder / "seed-004.json")}
    assert all(list(row) == list(FIELDS) for row in json.loads((folder / "seed-004.json").read_text()))
    assert wanted <= found
    assert score(extract(doc.text), load_labels(folder / "seed-004.json"), doc.text).precision == 1.0


def test_seed_000_has_no_claim_in_scope():
    folder = corpus()
    assert load_labels(folder / "seed-000.json") == []
    assert extract(read(folder / "seed-000.txt").text) == []


def test_labelled_texts_quote_their_text_exactly():
    for labels in sorted(LABELLED.glob("*.json")):
        text = read(labels.with_suffix(".txt")).text
        for c in load_labels(labels):
            assert c.quote in text, (labels.name, c.quote)


# ── scoring ───────────────────────────────────────────────────────────────────────────────────────

def test_score_by_hand():
    text = "A. B. C. D."
    labelled = [Claim("A.", 100, "tanks", qualifier="over", speaker="Ivan Havryliuk (minister)"),
                Claim("B.", [3, 6], "times", date="2024"),
                Claim("C.", 7, "drones")]
    extracted = [Claim("A.", 100, "tanks", qualifier="about", speaker="Havryliuk"),  # matched; qualifier wrong
                 Claim("B.", [3, 6], "times", date="2024"),  # matched; date right
                 Claim("C.", 7, "shells"),  # value right, unit wrong
                 Claim("D.", 9, "tanks")]  # nothing like it
    t = score(extracted, labelled, text)
    assert (t.matched, t.precision, t.recall, t.value_precision) == (2, 2 / 4, 2 / 3, 3 / 4)
    assert t.field_scores("qualifier") == (0 / 1, 0 / 1)
    assert t.field_scores("speaker") == (1 / 1, 1 / 1)
    assert t.field_scores("date") == (1 / 1, 1 / 1)
    assert t.field_scores("per") == (None, None)


# ── against the scenario ──────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("value, verdict", [([3, 6], "contains"), ([2, 20], "narrower"), ([2, 5], "overlaps"),
                                            (22, "contradicts")])
def test_verdicts_against_the_shell_ramp(value, verdict):
    sc = load_scenario("russia-ukraine-2022")  # its shell multiplier is 3–11
    claim = Claim("Russia's shell production increased by N times.", value, "times")
    (f,) = check([claim], sc)
    assert (f.path, f.verdict) == ("sides.russia.lines.shells.production.multiplier", verdict)


def test_rates_are_compared_in_the_quantity_s_own_unit():
    sc = load_scenario("russia-ukraine-2022")
    claim = Claim("Russia fires 300,000 shells a month.", 300_000, "shells", per="month", date="2024-03")
    (f,) = check([claim], sc)
    assert f.path == "sides.russia.lines.shells.demand" and f.per == "day"
    assert f.claimed[0] == pytest.approx(300_000 / (365.25 / 12))


def test_a_yearly_production_claim_maps_to_the_capacity_that_year():
    sc = load_scenario("russia-ukraine-2022")
    (c,) = extract("Russia will produce 1.3 million shells in 2024.")
    (f,) = check([c], sc)
    assert f.path == "sides.russia.lines.shells.production" and "2024-07-01" in f.note
    assert f.verdict == "contains"  # 0.56-4.1 m a year by mid-2024 (base 250-400 k, ramp 3-11x over 2-3 years)


def test_unmapped_claims_are_listed_with_a_reason():
    sc = load_scenario("russia-ukraine-2022")
    (f,) = check([Claim("Russia had over 1,300 facilities.", 1300, "facilities", qualifier="over")], sc)
    assert f.path is None and f.note.startswith("unmapped:")


# ── reading files ─────────────────────────────────────────────────────────────────────────────────

def test_html_through_trafilatura(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Shells</title><meta property='og:url' content='https://example.org/a'>"
                    "</head><body><nav>Home | News</nav><article><h1>Russia's shells</h1><p>Russia produced "
                    "over 2.1 million shells in 2023, an analyst said. " + "The plants work around the clock. " * 8
                    + "</p></article></body></html>", encoding="utf-8")
    doc = read(page)
    (c,) = extract(doc.text)
    assert (c.value, c.unit, c.qualifier, c.date) == (2_100_000, "shells", "over", "2023")
    assert c.quote in doc.text and "Home | News" not in doc.text


def test_front_matter_is_metadata_not_text():
    doc = read(LABELLED / "003.txt")
    assert doc.meta["outlet"] == "Espreso" and doc.meta["date"] == "2024-02"
    assert not doc.text.startswith("---")


# ── the command line ──────────────────────────────────────────────────────────────────────────────

def test_cli_json_is_in_the_labels_format():
    done = run_cli("ingest", str(LABELLED / "003.txt"), "--json", "-")
    assert done.returncode == 0, done.stderr
    claims = json.loads(done.stdout)
    assert claims and all(list(c) == list(FIELDS) for c in claims)
    assert [c["value"] for c in claims] == [c.value for c in load_labels(LABELLED / "003.json")]


def test_cli_check_maps_the_seed_claims():
    folder = corpus()
    done = run_cli("ingest", str(folder / "seed-004.txt"), "--check", "--json", "-")
    assert done.returncode == 0, done.stderr
    by_unit = {f["claim"]["unit"]: f for f in json.loads(done.stdout)["findings"]}
    assert by_unit["times"]["path"] == "sides.russia.lines.shells.production.multiplier"
    assert by_unit["times"]["verdict"] == "contains"
    # personnel losses are a share of the troops fielded: no schedule of amounts to compare with
    assert by_unit["soldiers"]["path"] is None and "share of what it fields" in by_unit["soldiers"]["note"]
    assert by_unit["facilities"]["path"] is None  # listed, not dropped
    table = run_cli("ingest", str(folder / "seed-004.txt"), "--check")
    assert "contains" in table.stdout and "Unmapped (2)" in table.stdout
    yaml_file = ROOT / "materiel" / "scenario" / "builtin" / "russia-ukraine-2022.yaml"
    named = run_cli("ingest", str(folder / "seed-004.txt"), "--check", str(yaml_file), "--json", "-")
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["findings"] == json.loads(done.stdout)["findings"]


def test_cli_sources_yaml_loads_as_a_sources_entry():
    done = run_cli("ingest", str(LABELLED / "004.txt"), "--sources-yaml", "-")
    assert done.returncode == 0, done.stderr
    (sid, entry), = yaml.safe_load(done.stdout)["sources"].items()
    Source(**entry)
    assert entry["url"] == "https://govconexec.com/?p=614895" and "200,000 artillery shells" in entry["note"]


def test_cli_score():
    done = run_cli("ingest", str(LABELLED / "002.txt"), "--score", str(LABELLED / "002.json"), "--json", "-")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labelled"] == len(load_labels(LABELLED / "002.json"))


def test_cli_reads_a_folder():
    done = run_cli("ingest", str(LABELLED), "--json", "-")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == len(list(LABELLED.glob("*.txt")))


@pytest.mark.parametrize("make, expected", [
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10), "binary"),
    (lambda p: p.write_bytes("Prix: 1 300 \xe9l\xe9ments".encode("latin-1")), "not UTF-8"),
    (lambda p: p.write_bytes(b"") or os.truncate(p, 50 * 2**20), "MiB"),  # sparse: 50 MB on no disk
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "has no article files"),
])
def test_bad_input_exits_2_naming_the_file(tmp_path, make, expected):
    path = tmp_path / "article.txt"
    make(path)
    done = run_cli("ingest", str(path))
    assert done.returncode == 2
    assert str(path) in done.stderr and expected in done.stderr
    assert "Traceback" not in done.stderr
