"""Memory stays bounded: beyond the per-run outcomes (12 bytes a run and line), it does not grow with runs."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = """
import json, sys
from materiel.bench import peak_rss_mib
from materiel.scenario.schema import Scenario
from materiel.simulation import simulate

line = {"front": {"low": 100, "high": 200}, "transit_days": {"low": 5, "high": 30},
        "storage": {"good": {"stock": {"low": 500, "high": 900}, "yield": {"low": 0.5, "high": 1}}},
        "refurbish": {"per": "week", "values": {"2024-01-01": {"low": 5, "high": 10}}},
        "production": {"per": "week", "base": {"low": 2, "high": 4}, "multiplier": {"low": 1, "high": 3}},
        "demand": {"per": "week", "values": {"2024-01-01": {"low": 5, "high": 15}, "2025-01-01": {"low": 10, "high": 20}}}}
sc = Scenario.model_validate({"name": "m", "start": "2024-01-01", "horizon": "2026-12-31", "step": "week",
                              "sides": {"a": {"lines": {"x": line, "y": line}}}})
ens = simulate(sc, runs=int(sys.argv[1]), seed=1, keep=100, bands=True)
ens.summary()
print(json.dumps({"rss": peak_rss_mib(), "lines": len(ens.layout.lines)}))
"""


def peak(runs: int) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(runs)], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    return json.loads(done.stdout)


def test_a_streamed_ensemble_grows_only_by_its_per_run_outcomes():
    small, large = peak(20_000), peak(400_000)
    outcomes = 12 * large["lines"] * (400_000 - 20_000) / 2**20       # MiB kept per run by design (RunScalars)
    summary = 3 * 8 * 400_000 / 2**20                                   # one line's float64 copies in summary()
    assert large["rss"] - small["rss"] < outcomes + summary + 32, (small, large)
