"""Loaders of observed loss series: real files in ../shared/data and small hand-worked files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared_data

from materiel.errors import InputError
from materiel.observe import (
    daily_losses,
    load_corrections,
    load_general_staff,
    load_observed,
    load_oryx_log,
    losses_per_period,
)

@pytest.fixture(scope="module")
def data() -> Path:
    return shared_data()


@pytest.fixture(scope="module")
def gs(data: Path) -> pd.DataFrame:
    return load_general_staff(data / "petroivaniuk")


@pytest.fixture(scope="module")
def gs_corrections(data: Path) -> pd.DataFrame:
    return load_corrections(data / "petroivaniuk")


@pytest.fixture(scope="module")
def oryx(data: Path) -> pd.DataFrame:
    return load_oryx_log(data / "oryx_mauforonda" / "log.csv")


def _write_json(path: Path, records) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _write_log(path: Path, rows: list[tuple]) -> Path:
    lines = ["timestamp,country,category,state,value"]
    lines += [",".join(f'"{field}"' if "," in str(field) else str(field) for field in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- General Staff, real files -----------------------------------------------------------------


def test_general_staff_columns_and_daily_index(gs):
    for column in ("tank", "apc", "field_artillery", "mrl", "drone", "cruise_missiles", "personnel"):
        assert column in gs.columns
    assert "vehicles_and_fuel_tanks" in gs.columns
    assert not {"military_auto", "fuel_tank", "mobile_srbm_system", "day"} & set(gs.columns)
    assert gs.index.name == "date"
    assert (gs.index == pd.date_range(gs.index[0], gs.index[-1], freq="D")).all()
    assert gs.index[0] == pd.Timestamp("2022-02-25")


def test_general_staff_tank_levels(gs):
    # SOURCES.md: GS tanks cumulative on the last day of each year
    assert gs.loc["2022-12-31", "tank"] == 3029
    assert gs.loc["2023-12-31", "tank"] == 5977
    assert gs.loc["2024-12-31", "tank"] == 9668


@pytest.mark.parametrize(
    "year, expected",
    [
        (2022, {"personnel": 341, "tank": 9.7, "apc": 19.5, "field_artillery": 6.5}),
        (2023, {"personnel": 694, "tank": 8.1, "apc": 13.7, "field_artillery": 17.7}),
        (2024, {"personnel": 1176, "tank": 10.1, "apc": 24.5, "field_artillery": 35.7}),
    ],
)
def test_general_staff_average_daily_increments(gs, year, expected):
    # SOURCES.md's averages include the re-counts: the raw increments, no corrections. 2022 runs
    # from 0 on 2022-02-23 (the first record, 2022-02-25, is day 2 of the war), so 311 days;
    # later years are summed from daily_losses by losses_per_period.
    if year == 2022:
        flow, days = gs.loc["2022-12-31"], 311
    else:
        flow = losses_per_period(gs, "YE").loc[f"{year}-12-31"]
        days = 366 if year == 2024 else 365
    for column, average in expected.items():
        rounding = 0.5 if column == "personnel" else 0.05  # SOURCES.md rounds to 1 or 0.1
        assert abs(flow[column] / days - average) <= rounding, column


def test_general_staff_joined_and_late_series(gs):
    # military auto 1701 + fuel tank 76 on 2022-04-30, then "vehicles and fuel tanks" 1796
    assert gs.loc["2022-04-30", "vehicles_and_fuel_tanks"] == 1701 + 76
    assert gs.loc["2022-05-01", "vehicles_and_fuel_tanks"] == 1796
    assert gs.loc[:"2022-04-30", "cruise_missiles"].isna().all()
    assert gs.loc["2022-05-01", "cruise_missiles"] == 84
    assert gs.loc[:"2022-03-15", "special_equipment"].isna().all()
    assert (gs.loc[:"2023-09-13", "submarines"] == 0).all()
    assert gs.loc["2023-09-14", "submarines"] == 1
    assert gs.loc["2022-04-27", "pow"] == 496 and gs.loc["2022-04-28":, "pow"].isna().all()


def test_general_staff_corrections_remove_negative_days(gs, gs_corrections):
    raw = daily_losses(gs)
    corrected = daily_losses(gs, gs_corrections)
    assert (raw < 0).to_numpy().sum() > 0
    assert (corrected < 0).to_numpy().sum() == 0
    # every re-count is taken out once, so the totals differ by the re-counts' sum
    removed = (raw.sum() - corrected.sum())[gs_corrections.columns]
    pd.testing.assert_series_equal(removed, gs_corrections.sum(), check_names=False)
    # the 2023-05-27 re-count (tank -5) shows in the figures of 2023-05-28 (raw -2)
    assert raw.loc["2023-05-28", "tank"] == -2
    assert corrected.loc["2023-05-28", "tank"] == 3
    assert corrected.loc["2023-05-27", "tank"] == raw.loc["2023-05-27", "tank"]


def test_general_staff_first_day_has_no_increment(gs):
    daily = daily_losses(gs)
    assert daily.iloc[0].isna().all()
    assert math.isnan(daily.loc["2022-05-01", "cruise_missiles"])


# --- Oryx, real file ---------------------------------------------------------------------------


def test_oryx_tank_totals(oryx):
    # SOURCES.md: 1,600 / 2,608 / 3,668. Tolerance 3: a day of the log ends at the scraper's
    # clock, not Oryx's, so a loss added near midnight can fall on either side of a year's end;
    # the file reproduces the figures exactly today.
    for day, expected in (("2022-12-31", 1600), ("2023-12-31", 2608), ("2024-12-31", 3668)):
        assert abs(oryx.loc[day, "tank"] - expected) <= 3, day


def test_oryx_columns_and_totals(oryx):
    assert oryx.index.name == "date" and oryx.index.freq == "D"
    for column in (
        "tank",
        "afv",
        "ifv",
        "apc",
        "mrap",
        "armoured_combat_vehicles",
        "field_artillery",
        "truck",
    ):
        assert column in oryx.columns
    parts = oryx[["tank", "afv", "ifv", "apc", "mrap"]].sum(axis=1)
    pd.testing.assert_series_equal(oryx["armoured_combat_vehicles"], parts, check_names=False)
    # every label is a known category: the no-break space in "jeeps, and\xa0trains" is no new one
    assert not any(c.startswith("trucks") for c in oryx.columns)


def test_oryx_artefact_and_renames_net_out(oryx):
    daily = oryx.diff()
    # 2024-08-31: all Russian counts moved to the "Losses of Armoured Combat Vehicles" label;
    # renames: trucks 2023-06-08 and 2025-05-26, MRL → rocket and missile artillery 2025-06-22
    for day in ("2024-08-31", "2023-06-08", "2025-05-26", "2025-06-22"):
        assert daily.loc[day].min() > -20, day
    assert oryx.loc["2024-08-31", "tank"] >= oryx.loc["2024-08-30", "tank"]
    assert oryx["tank"].iloc[-1] > 4000


# --- General Staff, hand-worked files ----------------------------------------------------------


def _gs_dir(tmp_path: Path) -> Path:
    """Five days in 2026 (past the shared data's cut), one missing, with the source's quirks."""
    equipment = [
        {"date": "2026-01-01", "day": 1, "tank": 10, "military auto": 5, "fuel tank": 1, "submarines": None},
        {"date": "2026-01-02", "day": 2, "tank": 12, "military auto": 7, "fuel tank": 1},
        # 2026-01-03 missing
        {"date": "2026-01-04", "day": 4, "tank": 20, "vehicles and fuel tanks": 10, "special equipment": 3},
        # re-count: 5 tanks added on 2026-01-05 (true losses that day: 1)
        {"date": "2026-01-05", "day": 5, "tank": 26, "vehicles and fuel tanks": 11, "special equipment": 4,
         "submarines": 1, "greatest losses direction": "Pokrovsk", "ground robots": 2},
    ]  # fmt: skip
    personnel = [
        {"date": "2026-01-01", "day": 1, "personnel": 1000, "personnel*": "about", "POW": 3},
        {"date": "2026-01-02", "day": 2, "personnel": 1100, "personnel*": "more"},
        {"date": "2026-01-04", "day": 4, "personnel": 1300, "personnel*": "about"},
        {"date": "2026-01-05", "day": 5, "personnel": 1400, "personnel*": "about"},
    ]
    corrections = [{"date": "2026-01-05", "day": 5, "tank": 5, "personnel": 0}]
    _write_json(tmp_path / "russia_losses_equipment.json", equipment)
    _write_json(tmp_path / "russia_losses_personnel.json", personnel)
    _write_json(tmp_path / "russia_losses_equipment_correction.json", corrections)
    return tmp_path


def test_synthetic_general_staff(tmp_path):
    df = load_general_staff(_gs_dir(tmp_path))
    assert list(df.index.strftime("%m-%d")) == ["01-01", "01-02", "01-03", "01-04", "01-05"]
    assert list(df.columns) == ["tank", "submarines", "vehicles_and_fuel_tanks", "special_equipment",
                                "ground_robots", "personnel", "pow"]  # fmt: skip
    assert list(df["tank"]) == [10, 12, 12, 20, 26]  # missing day holds the last count
    assert list(df["vehicles_and_fuel_tanks"]) == [6, 8, 8, 10, 11]  # 5 + 1, 7 + 1, then joined
    assert list(df["submarines"]) == [0, 0, 0, 0, 1]  # 0 before it starts
    assert list(df["special_equipment"].fillna(-1)) == [-1, -1, -1, 3, 4]  # NaN before it starts
    assert list(df["ground_robots"].fillna(-1)) == [-1, -1, -1, -1, 2]  # a new field, a new column
    assert list(df["personnel"]) == [1000, 1100, 1100, 1300, 1400]
    assert list(df["pow"].fillna(-1)) == [3, -1, -1, -1, -1]  # NaN after it stops


def test_synthetic_recount_is_subtracted(tmp_path):
    folder = _gs_dir(tmp_path)
    df, fix = load_general_staff(folder), load_corrections(folder)
    assert list(daily_losses(df)["tank"].iloc[1:]) == [2, 0, 8, 6]
    assert list(daily_losses(df, fix)["tank"].iloc[1:]) == [2, 0, 8, 1]
    weekly = losses_per_period(df, "W", fix)  # 2026-01-01 is a Thursday: weeks end 01-04, 01-11
    assert list(weekly["tank"]) == [10, 1]
    assert math.isnan(weekly.loc["2026-01-04", "special_equipment"])  # no increment yet
    assert weekly.loc["2026-01-11", "special_equipment"] == 1


def test_synthetic_recount_dated_a_day_early(tmp_path):
    cumulative = {"2026-03-01": 100, "2026-03-02": 104, "2026-03-03": 96, "2026-03-04": 99}
    equipment = [{"date": d, "tank": v} for d, v in cumulative.items()]
    df = load_general_staff(_write_json(tmp_path / "equipment.json", equipment))
    # a re-count of -10 dated 03-02 whose jump shows in 03-03's figures (true losses there: 2)
    fix = load_corrections(_write_json(tmp_path / "fix.json", [{"date": "2026-03-02", "tank": -10}]))
    assert list(daily_losses(df, fix)["tank"].iloc[1:]) == [4, 2, 3]


def test_synthetic_remaining_negative_day_is_kept(tmp_path):
    equipment = [{"date": f"2026-02-0{d}", "tank": v} for d, v in zip(range(1, 6), [10, 15, 13, 14, 16])]
    df = load_general_staff(_write_json(tmp_path / "equipment.json", equipment))
    assert list(daily_losses(df)["tank"].iloc[1:]) == [5, -2, 1, 2]
    assert losses_per_period(df, "MS").loc["2026-02-01", "tank"] == 6


def test_synthetic_duplicate_dates(tmp_path):
    same = [
        {"date": "2026-01-01", "tank": 1},
        {"date": "2026-01-01", "tank": 1},
        {"date": "2026-01-02", "tank": 2},
    ]
    assert list(load_general_staff(_write_json(tmp_path / "a.json", same))["tank"]) == [1, 2]
    clash = [
        {"date": "2026-01-01", "tank": 1},
        {"date": "2026-01-02", "tank": 2},
        {"date": "2026-01-01", "tank": 3},
    ]
    with pytest.raises(InputError) as err:
        load_general_staff(_write_json(tmp_path / "b.json", clash))
    assert err.value.problems[0].path == "[2].date"


# --- Oryx, hand-worked file --------------------------------------------------------------------

_ARTEFACT = "Losses of Armoured Combat Vehicles [Tanks, AFVs, IFVs, APCs, and MRAPs]"


def test_synthetic_oryx_artefact_and_rename(tmp_path):
    rows = [
        ("2026-01-01 10:00:00", "Russia", "tanks", "destroyed", 4),
        ("2026-01-01 10:00:00", "Russia", "tanks", "captured", 1),
        ("2026-01-01 10:00:00", "Russia", "trucks, vehicles and jeeps", "destroyed", 7),
        ("2026-01-01 10:00:00", "Ukraine", "tanks", "destroyed", 50),
        # day 2: the artefact moves Russia's counts to another label; a category is renamed
        ("2026-01-02 01:00:00", "Russia", "tanks", "destroyed", -4),
        ("2026-01-02 01:00:00", "Russia", "tanks", "captured", -1),
        ("2026-01-02 01:00:00", _ARTEFACT, "tanks", "destroyed", 4),
        ("2026-01-02 01:00:00", _ARTEFACT, "tanks", "captured", 1),
        ("2026-01-02 01:00:00", "Russia", "trucks, vehicles and jeeps", "destroyed", -7),
        ("2026-01-02 01:00:00", "Russia", "trucks, vehicles, and\xa0jeeps", "destroyed", 7),
        ("2026-01-02 01:00:00", "Russia", "tured: 569)", "tured", 569),  # scraper artefact
        # day 3 missing; day 4: a new tank and a new kind of category
        ("2026-01-04 23:59:00", _ARTEFACT, "tanks", "destroyed", 1),
        ("2026-01-04 23:59:00", _ARTEFACT, "Armoured Trains", "destroyed", 1),
    ]
    path = _write_log(tmp_path / "log.csv", rows)
    df = load_oryx_log(path)
    assert list(df.index.strftime("%m-%d")) == ["01-01", "01-02", "01-03", "01-04"]
    assert list(df["tank"]) == [5, 5, 5, 6]
    assert list(df["truck"]) == [7, 7, 7, 7]
    assert list(df["armoured_trains"]) == [0, 0, 0, 1]
    assert list(df["armoured_combat_vehicles"]) == [5, 5, 5, 6]
    assert "tured_569" not in df.columns
    assert list(load_oryx_log(path, states="destroyed")["tank"]) == [4, 4, 4, 5]
    pd.testing.assert_frame_equal(load_observed(tmp_path), df)


# --- load_observed -----------------------------------------------------------------------------


def test_load_observed_detects_format(tmp_path, data):
    pd.testing.assert_frame_equal(
        load_observed(data / "petroivaniuk"), load_general_staff(data / "petroivaniuk")
    )
    log = data / "oryx_mauforonda" / "log.csv"
    pd.testing.assert_frame_equal(load_observed(log), load_oryx_log(log))
    one = data / "petroivaniuk" / "russia_losses_personnel.json"
    assert list(load_observed(one).columns) == ["personnel", "pow"]


# --- bad input ---------------------------------------------------------------------------------


def _problem(call, *args):
    with pytest.raises(InputError) as err:
        call(*args)
    return err.value.problems[0]


def test_missing_files_and_empty_directory(tmp_path):
    assert "no such file" in _problem(load_general_staff, tmp_path / "nope.json").message
    assert "no such file" in _problem(load_oryx_log, tmp_path / "nope.csv").message
    assert "no such file" in _problem(load_observed, tmp_path / "nope").message
    assert "no such file" in _problem(load_corrections, tmp_path).message
    assert "no General Staff file" in _problem(load_general_staff, tmp_path).message
    assert "no observed series" in _problem(load_observed, tmp_path).message
    (tmp_path / "notes.txt").write_text("hello\n")
    assert "not an observed series" in _problem(load_observed, tmp_path / "notes.txt").message


@pytest.mark.parametrize(
    "text, path, words",
    [
        ('[{"date": "2026-01-01", "tank": 1},\n {"date": "2026-01-02" "tank": 2}]', "", "not valid JSON"),
        ('{"date": "2026-01-01"}', "", "list of daily records"),
        ("[]", "", "list of daily records"),
        ('[{"date": "2026-01-01", "tank": 1}, {"tank": 2}]', "[1].date", "no date"),
        ('[{"date": "01/02/2026", "tank": 1}]', "[0].date", "expected a date"),
        (
            '[{"date": "2026-01-01", "tank": 1}, {"date": "2026-01-02", "tank": "many"}]',
            "[1].tank",
            "whole number",
        ),
        ('[{"date": "2026-01-01", "tank": 1.5}]', "[0].tank", "whole number"),
        ('[{"date": "2026-01-01", "tank": -1}]', "[0].tank", "negative"),
        ('[{"date": "2026-01-01", "tank": 1}, 7]', "[1]", "expected an object"),
    ],
)
def test_bad_general_staff_json(tmp_path, text, path, words):
    file = tmp_path / "russia_losses_equipment.json"
    file.write_text(text)
    problem = _problem(load_general_staff, file)
    assert problem.file == str(file) and problem.path == path and words in problem.message
    if words == "not valid JSON":
        assert problem.line == 2


def test_correction_file_is_not_a_series(tmp_path):
    file = _write_json(
        tmp_path / "russia_losses_equipment_correction.json", [{"date": "2026-01-01", "tank": 1}]
    )
    assert "load_corrections" in _problem(load_general_staff, file).message
    assert "load_corrections" in _problem(load_observed, file).message


@pytest.mark.parametrize(
    "text, path, line, words",
    [
        ("time,country,category,state,value\n", "", 1, "expected the header"),
        ("", "", 1, "expected the header"),
        ("timestamp,country,category,state,value\n2026-01-01,Russia,tanks,destroyed\n", "", 2, "5 fields"),
        (
            "timestamp,country,category,state,value\n2026-01-01,Russia,tanks,destroyed,1\n"
            "2026-01-02,Russia,tanks,destroyed,x\n",
            "value",
            3,
            "whole number",
        ),
        (
            "timestamp,country,category,state,value\n,Russia,tanks,destroyed,1\n",
            "timestamp",
            2,
            "got nothing",
        ),
        (
            "timestamp,country,category,state,value\n2026-01-01,Ukraine,tanks,destroyed,1\n",
            "",
            None,
            "no rows",
        ),
    ],
)
def test_bad_oryx_csv(tmp_path, text, path, line, words):
    file = tmp_path / "log.csv"
    file.write_text(text)
    problem = _problem(load_oryx_log, file)
    assert (problem.path, problem.line) == (path, line) and words in problem.message


def test_errors_read_as_one_line(tmp_path):
    file = _write_json(tmp_path / "e.json", [{"date": "2026-01-01", "tank": "x"}])
    with pytest.raises(InputError) as err:
        load_general_staff(file)
    assert str(err.value) == f"{file}: [0].tank: expected a whole number up to 1e+15, got 'x'"


def test_oryx_fields_are_its_categories_then_its_totals():
    from materiel.observe import oryx

    assert oryx.FIELDS == (*dict.fromkeys(oryx._CATEGORIES.values()), *oryx._TOTALS)


@pytest.mark.parametrize("kind, folder", [("general_staff", "petroivaniuk"), ("oryx", "oryx_mauforonda")])
def test_builtin_series_equal_the_loaders_on_the_public_copies(data, kind, folder):
    from materiel.observe import BUILTIN_UNTIL, load_builtin

    builtin = load_builtin(kind)
    pd.testing.assert_frame_equal(builtin, load_observed(data / folder).loc[:BUILTIN_UNTIL], check_freq=False)


def test_builtin_series_stop_at_the_knowledge_horizon():
    from materiel.observe import BUILTIN_UNTIL, SERIES_FIELDS, load_builtin

    for kind in ("general_staff", "oryx"):
        frame = load_builtin(kind)
        assert frame.index.max() <= pd.Timestamp(BUILTIN_UNTIL) and frame.index.is_monotonic_increasing
        assert set(frame.columns) <= set(SERIES_FIELDS[kind])
