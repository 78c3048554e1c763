"""The built-in scenario's numbers stay what they were (1,000 runs, seed 0): the summary document,
and SHA-256 digests of every run's outcomes and of the first 50 runs' trajectories, bit for bit.

A change of the engine that is meant to change results says so and rewrites the fixture:
`python tests/test_regression.py --write`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).with_name("data") / "regression-russia-ukraine-2022-1000.json"
RUNS, SEED, KEPT = 1_000, 0, 50


def digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def current() -> dict:
    import materiel as mt
    from materiel.engine.variables import VARIABLES
    from materiel.engine.scalars import FIELDS
    from materiel.report.document import summary_document

    ens = mt.simulate(mt.load_scenario("russia-ukraine-2022"), runs=RUNS, seed=SEED, keep=KEPT)
    return {
        "summary": json.loads(json.dumps(summary_document(ens, ens.layout.scenario.name))),
        "outcomes_sha256": {f: digest(getattr(ens.scalars, f)) for f in FIELDS},
        "trajectories_sha256": {v: digest(ens.trajectories[v]) for v in VARIABLES},
        "workforce_sha256": digest(ens.workforce),
    }


def test_the_builtin_scenario_gives_the_numbers_it_gave():
    expected = json.loads(FIXTURE.read_text())
    got = current()
    assert got["summary"] == expected["summary"]
    assert got["outcomes_sha256"] == expected["outcomes_sha256"]
    assert got["trajectories_sha256"] == expected["trajectories_sha256"]
    assert got["workforce_sha256"] == expected["workforce_sha256"]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    FIXTURE.write_text(json.dumps(current(), indent=1) + "\n")
    print(f"wrote {FIXTURE}")
