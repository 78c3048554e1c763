"""materiel: a country's wartime defense-industrial system against what the front loses and consumes.

    import materiel as mt
    sc = mt.load_scenario("russia-ukraine-2022")
    ens = mt.simulate(sc, runs=10_000, seed=1)
    ens.summary(); ens.depletion("russia", "tanks"); ens.dataset()
"""

__version__ = "0.1.0"

from materiel.errors import InputError  # noqa: E402
from materiel.scenario.loading import load_scenario  # noqa: E402
from materiel.simulate import simulate  # noqa: E402

__all__ = ["InputError", "load_scenario", "simulate", "__version__"]
