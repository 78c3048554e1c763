"""Run the engine's kernel as plain Python (start with NUMBA_DISABLE_JIT=1) on hypothesis scenarios
and pickle what it gives, for test_engine.py to compare with the compiled kernel.

    NUMBA_DISABLE_JIT=1 python tests/uncompiled.py OUT.pickle
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from materiel.engine.layout import layout  # noqa: E402
from materiel.engine.runner import outcome  # noqa: E402
from materiel.engine.scalars import FIELDS  # noqa: E402
from materiel.scenario.schema import Scenario  # noqa: E402
from strategies import scenario_doc  # noqa: E402

CASES = 40


def main(out: Path) -> None:
    from materiel.engine import kernel

    assert os.environ.get("NUMBA_DISABLE_JIT") == "1", "run with NUMBA_DISABLE_JIT=1"
    assert not hasattr(kernel._chunks, "signatures"), "the kernel is compiled, not plain Python"
    cases = []

    @settings(max_examples=CASES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(doc=scenario_doc(), seed=st.integers(0, 2**31), runs=st.integers(1, 90), keep=st.integers(0, 90))
    def collect(doc, seed, runs, keep):
        index = np.arange(runs) + 1000  # run indices other than 0, 1, … as well
        got = outcome(layout(Scenario.model_validate(doc)), seed, index, keep=1000 + keep, dtype=np.float64)
        cases.append({"doc": doc, "seed": seed, "runs": index, "keep": 1000 + keep,
                      "scalars": {f: getattr(got.scalars, f) for f in (*FIELDS, "has_storage")},
                      "lines": got.lines, "workforce": got.workforce})

    collect()
    out.write_bytes(pickle.dumps(cases))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
