"""materiel: a country's wartime defense-industrial system against what the front loses and consumes.

    import materiel as mt
    sc = mt.load_scenario("russia-ukraine-2022")
    ens = mt.simulate(sc, runs=10_000, seed=1)
    ens.summary(); ens.depletion("russia", "tanks"); ens.dataset()
    indices, over_time = mt.sensitivity(sc, base_samples=256, series=("storage",))
    found = mt.discover(sc, "russia/tanks runout before 2026-01-01")
"""

from materiel.errors import InputError
from materiel.version import __version__

__all__ = ["InputError", "compare", "discover", "load_scenario", "sensitivity", "simulate", "__version__"]

_PUBLIC = {"load_scenario": "materiel.scenario.loading", "simulate": "materiel.simulation", "compare": "materiel.simulation",
           "sensitivity": "materiel.explore", "discover": "materiel.explore"}


def __getattr__(name: str):
    """The public functions, imported on first use: `import materiel` (and `materiel --help`) stays light."""
    if name in _PUBLIC:
        import importlib

        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'materiel' has no attribute {name!r}")
