"""Draws: the right distributions, keyed only by (seed, path, run index)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import special, stats

from materiel.engine.draws import sample_draws
from materiel.engine.layout import layout
from materiel.engine.sampling import draw, uniforms
from materiel.scenario.distributions import beta_quantile
from materiel.engine.timegrid import delivery_weights, schedule_weights, step_edges
from materiel.scenario.quantity import Quantity, Schedule
from materiel.scenario.schema import Delivery, Scenario

RUNS = np.arange(20_000)


@pytest.mark.parametrize("spec, reference", [
    ({"low": 3, "high": 6}, stats.uniform(3, 3)),
    ({"low": 1, "likely": 2, "high": 5}, stats.triang(0.25, loc=1, scale=4)),
    ({"low": 1, "likely": 2, "high": 5, "dist": "pert"}, stats.beta(1 + 4 * 0.25, 1 + 4 * 0.75, loc=1, scale=4)),
    ({"mean": 10, "sd": 2}, stats.norm(10, 2)),
    ({"median": 10, "sigma": 0.5}, stats.lognorm(0.5, scale=10)),
])
def test_draws_follow_the_distribution(spec, reference):
    x = draw(Quantity.model_validate(spec), "some.path", 1, RUNS)
    assert stats.kstest(x, reference.cdf).pvalue > 1e-3


@pytest.mark.parametrize("alpha", [1.0, 1.0001, 1.3, 2.0, 3.7, 5.0])
@pytest.mark.parametrize("beta", [1.0, 1.7, 3.0, 4.9999, 5.0])
def test_pert_quantiles_equal_the_exact_beta_quantile(alpha, beta):
    u = np.sort(uniforms(0, "u", RUNS))
    extremes = np.array([2.0**-53, 1e-9, 0.5, np.nextafter(0.5, 1), 1 - 1e-9, 1 - 2.0**-53])
    for at in (u, extremes):
        np.testing.assert_allclose(beta_quantile(alpha, beta, at), special.betaincinv(alpha, beta, at), rtol=0, atol=1e-9)
    assert (np.diff(beta_quantile(alpha, beta, u)) >= 0).all()


def test_uniforms_are_uniform_and_independent_across_paths():
    a, b = uniforms(1, "a", RUNS), uniforms(1, "b", RUNS)
    assert stats.kstest(a, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.03
    assert ((a > 0) & (a < 1)).all()


def test_a_draw_depends_only_on_seed_path_and_run():
    q = Quantity.model_validate({"low": 0, "high": 1})
    whole = draw(q, "p", 5, np.arange(100))
    assert np.array_equal(draw(q, "p", 5, np.arange(40, 60)), whole[40:60])
    assert not np.array_equal(draw(q, "p", 6, np.arange(100)), whole)
    assert not np.array_equal(draw(q, "other", 5, np.arange(100)), whole)


def test_normal_draws_are_clipped_to_the_field_domain():
    sc = Scenario.model_validate({"name": "x", "start": "2024-01-01", "horizon": "2024-02-01", "sides": {"a": {"lines": {
        "l": {"demand": {"values": {"2024-01-01": 1}}, "storage": {"s": {"stock": 10, "yield": {"mean": 0.95, "sd": 0.2}}}}}}}})
    yields = sample_draws(layout(sc), 0, np.arange(5000)).refurbishment.yields
    assert yields.min() >= 0 and yields.max() == 1.0


def base_scenario(extra_line=None):
    lines = {"tanks": {"front": {"low": 10, "high": 20}, "demand": {"values": {"2024-01-01": {"low": 1, "high": 3}}}}}
    if extra_line:
        lines["shells"] = extra_line
    return Scenario.model_validate({"name": "x", "start": "2024-01-01", "horizon": "2024-03-01",
                                    "sides": {"a": {"lines": lines}}})


def test_adding_a_quantity_leaves_the_other_draws_alone():
    """Common random numbers: two scenarios with one seed share the draws of what they share."""
    runs = np.arange(200)
    one = sample_draws(layout(base_scenario()), 3, runs).engagement
    two = sample_draws(layout(base_scenario({"front": {"low": 0, "high": 9},
                                             "demand": {"values": {"2024-01-01": {"low": 5, "high": 6}}}})), 3, runs).engagement
    assert np.array_equal(one.front[0], two.front[0])
    assert np.array_equal(one.demand[0], two.demand[0])


def test_month_steps_follow_the_calendar_and_cover_the_horizon_in_whole_steps():
    edges = step_edges(dt.date(2024, 1, 31), dt.date(2024, 4, 15), "month")
    assert edges == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30)]
    assert step_edges(dt.date(2024, 1, 1), dt.date(2024, 1, 14), "week")[-1] == dt.date(2024, 1, 15)


def test_schedule_weights_hand_worked():
    edges = [dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)]
    hold = Schedule.model_validate({"per": "week", "values": {"2024-01-04": 7, "2024-01-10": 14}})
    # week 1: 7 days at the first value (held backwards); week 2: 2 days first, 5 days second; rates per week
    np.testing.assert_allclose(schedule_weights(hold, edges), [[1, 0], [2 / 7, 5 / 7]])
    linear = Schedule.model_validate({"interpolation": "linear", "values": {"2024-01-01": 0, "2024-01-03": 1}})
    # days 0,1,2 then held: fractions 0, .5, 1, 1, 1, 1, 1 of value 2 plus the rest of value 1
    np.testing.assert_allclose(schedule_weights(linear, edges), [[1.5, 5.5], [0, 7]])


def test_delivery_weights_spread_evenly_and_sum_to_what_falls_inside():
    edges = [dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)]
    d = Delivery.model_validate({"start": "2024-01-05", "end": "2024-01-19", "quantity": 14})
    np.testing.assert_allclose(delivery_weights([d], edges)[:, 0], [3 / 14, 7 / 14])


