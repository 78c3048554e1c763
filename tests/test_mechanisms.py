"""Repair of battle damage, attrition capped by what is fielded, two-sided coupling and the race of
fires, dated production capacity: hand-worked small cases, and bad input refused with its path."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from engine_runs import engine_block
from materiel.engine.scalars import NEVER
from materiel.engine.variables import VARIABLES
from materiel.scenario.schema import Scenario
from materiel.simulation import simulate


def daily(days: int = 6, **sides) -> Scenario:
    """A draft scenario of daily steps from 1 Jan 2024, its sides as given."""
    return Scenario.model_validate({"name": "m", "draft": True, "start": "2024-01-01",
                                    "horizon": f"2024-01-{days:02d}", "step": "day", "sides": sides})


def line(front: float, per_day: float, **more) -> dict:
    return {"front": front, "demand": {"per": "day", "values": {"2024-01-01": per_day}}, **more}


def trajectories(sc: Scenario) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    lay, block = engine_block(sc, 0, np.arange(1))
    return {key: {v: block.lines[v][0, :, i] for v in VARIABLES} for i, key in enumerate(lay.lines)}


def test_repair_returns_a_share_of_losses_after_the_delay():
    """Front 100 loses 10 a day; half of each day's loss is back 3 days later, before that day's loss:
    days 1–3 end at 90, 80, 70; from day 4 the front gets 5 a day back, so it falls by 5 a day."""
    x = trajectories(daily(days=6, a={"lines": {"tanks": line(100, 10, repair={"fraction": 0.5, "delay_days": 3})}}))["a", "tanks"]
    np.testing.assert_allclose(x["repaired"], [0, 0, 0, 5, 5, 5])
    np.testing.assert_allclose(x["front"], [90, 80, 70, 65, 60, 55])
    np.testing.assert_allclose(x["workshop"], [5, 10, 15, 15, 15, 15])
    np.testing.assert_allclose(x["lost"], 10)


def test_attrition_caps_losses_at_a_share_of_what_is_fielded():
    """Demand 50 a day, but at most 10% of the field a day is lost: 100 → 90 → 81 → 72.9."""
    sc = daily(days=3, a={"lines": {"tanks": line(100, 50, attrition={"per": "day", "values": {"2024-01-01": 0.1}})}})
    x = trajectories(sc)["a", "tanks"]
    np.testing.assert_allclose(x["lost"], [10, 9, 8.1])
    np.testing.assert_allclose(x["front"], [90, 81, 72.9])
    np.testing.assert_allclose(x["shortfall"], [40, 41, 41.9])


def test_losses_as_a_share_of_what_is_fielded_fall_as_the_field_thins_and_are_never_short():
    """No demand schedule: 10% of the field lost a day. From 100 with 5 a day arriving (a supplier,
    no transit): available 105 → loses 10.5, keeps 94.5; then 99.5 → 9.95, 89.55; then 94.55 → 9.455."""
    sc = daily(days=3, a={"lines": {"tanks": {"front": 100, "attrition": {"per": "day", "values": {"2024-01-01": 0.1}}}},
                          "suppliers": {"ally": {"line": "tanks", "deliveries": [
                              {"start": "2024-01-01", "end": "2024-01-04", "quantity": 15}]}}})
    x = trajectories(sc)["a", "tanks"]
    np.testing.assert_allclose(x["lost"], [10.5, 9.95, 9.455])
    np.testing.assert_allclose(x["front"], [94.5, 89.55, 85.095])
    np.testing.assert_allclose(x["demand"], x["lost"])
    np.testing.assert_allclose(x["shortfall"], 0)
    # Coupled, the share follows the other side's fire too: b fires half its plan from day 1, so
    # from day 2 a loses 10% × 0.5 of its field.
    sc = daily(days=3, a={"lines": {"tanks": {"front": 100, "attrition": {"per": "day", "values": {"2024-01-01": 0.1}},
                                              "coupling": {"side": "b", "line": "shells", "elasticity": 1}}}},
               b={"lines": {"shells": line(50, 100)}})
    x = trajectories(sc)["a", "tanks"]
    np.testing.assert_allclose(x["lost"], [10, 4.5, 0])  # b fires 50 of 100, then none


def test_coupling_follows_the_other_sides_fire_one_step_late_and_the_race_crosses():
    """Side a fires 100 shells a day from 250 and no resupply: 100, 100, 50, 0, 0. Side b's personnel
    losses (10 a day at full fire, elasticity 1) follow a day late: 10, 10, 10, 5, 0. Side b fires 30 a
    day throughout, so a's fire over b's falls below 1 on the fourth day (step 3: 0 against 30)."""
    sc = daily(days=5,
               a={"lines": {"shells": line(250, 100), "personnel": line(1e6, 7, coupling={"side": "b", "line": "shells", "elasticity": 1})}},
               b={"lines": {"shells": line(1e6, 30), "personnel": line(1e6, 10, coupling={"side": "a", "line": "shells", "elasticity": 1})}})
    x = trajectories(sc)
    np.testing.assert_allclose(x["a", "shells"]["lost"], [100, 100, 50, 0, 0])
    np.testing.assert_allclose(x["b", "personnel"]["demand"], [10, 10, 10, 5, 0])
    np.testing.assert_allclose(x["a", "personnel"]["demand"], 7)  # b always fires all it plans
    ens = simulate(sc, runs=3, seed=0)
    assert ens.layout.races == [(0, 2)]  # a/shells against b/shells
    assert (ens.scalars.crossed[:, 0] == 3).all()



def test_the_fire_ratio_of_a_race_holds_where_one_side_fires_next_to_nothing():
    """a fires 1e10 a day, b 1e-44 (a float32 subnormal): the ratio, 1e54, is kept, not an overflow."""
    sc = daily(days=2,
               a={"lines": {"shells": line(1e12, 1e10), "p": line(1e6, 1, coupling={"side": "b", "line": "shells", "elasticity": 1})}},
               b={"lines": {"shells": line(1.0, 1e-44), "p": line(1e6, 1, coupling={"side": "a", "line": "shells", "elasticity": 1})}})
    race = simulate(sc, runs=2, seed=0, keep=2).races()[0]
    assert race.ahead == 1.0 and race.probability == 0.0
    np.testing.assert_allclose(race.ratio, 1e10 / float(np.float32(1e-44)), rtol=1e-6)

def test_elasticity_zero_is_no_coupling_and_a_race_that_never_tips_is_never():
    sc = daily(days=4, a={"lines": {"shells": line(1e6, 100), "p": line(1e6, 7, coupling={"side": "b", "line": "shells", "elasticity": 0})}},
               b={"lines": {"shells": line(10, 30), "p": line(1e6, 10, coupling={"side": "a", "line": "shells", "elasticity": 2})}})
    x = trajectories(sc)
    np.testing.assert_allclose(x["a", "p"]["demand"], 7)  # b runs dry, but a's losses do not follow it
    np.testing.assert_allclose(x["b", "p"]["demand"], 10)
    assert (simulate(sc, runs=2).scalars.crossed == NEVER).all()  # a out-fires b from the start to the end


def test_a_dated_capacity_schedule_adds_a_licensed_line_from_its_first_day():
    """No base production; a line of 10 a day from 4 Jan: nothing for 3 days, then 10 a day."""
    prod = {"capacity": {"per": "day", "values": {"2024-01-01": 0, "2024-01-04": 10}}}
    x = trajectories(daily(days=5, a={"lines": {"drones": line(0, 0, production=prod)}}))["a", "drones"]
    np.testing.assert_allclose(x["produced"], [0, 0, 0, 10, 10])


BAD = [
    ({"coupling": {"side": "c", "line": "shells", "elasticity": 1}}, "sides.a.lines.p.coupling.side", "not an opposing side"),
    ({"coupling": {"side": "a", "line": "shells", "elasticity": 1}}, "sides.a.lines.p.coupling.side", "not an opposing side"),
    ({"coupling": {"side": "b", "line": "shell", "elasticity": 1}}, "sides.a.lines.p.coupling.line", "no line 'shell' on side 'b'"),
    ({"coupling": {"side": "b", "line": "shells", "elasticity": 6}}, "sides.a.lines.p.coupling.elasticity", "between 0 and 5"),
    ({"repair": {"fraction": 1.5, "delay_days": 30}}, "sides.a.lines.p.repair.fraction", "between 0 and 1"),
    ({"repair": {"fraction": 0.2}}, "sides.a.lines.p.repair.delay_days", "required"),
]


@pytest.mark.parametrize("changes, path, message", BAD)
def test_bad_mechanism_input_is_refused_with_its_path(tmp_path, cli, changes, path, message):
    doc = {"name": "bad", "draft": True, "start": "2024-01-01", "horizon": "2024-02-01",
           "sides": {"a": {"lines": {"shells": line(10, 1), "p": line(10, 1, **changes)}},
                     "b": {"lines": {"shells": line(10, 1)}}}}
    path_ = tmp_path / "bad.yaml"
    path_.write_text(yaml.safe_dump(doc))
    done = cli("validate", str(path_))
    assert done.returncode == 2 and path in done.stderr and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
