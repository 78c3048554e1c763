"""materiel: a country's wartime defense-industrial system against what the front loses and consumes.

    import materiel as mt
    sc = mt.load_scenario("russia-ukraine-2022")
    ens = mt.simulate(sc, runs=10_000, seed=1)
    ens.summary(); ens.depletion("russia", "tanks"); ens.dataset()
"""

from materiel.errors import InputError
from materiel.version import __version__

__all__ = ["InputError", "compare", "load_scenario", "simulate", "__version__"]

_PUBLIC = {"load_scenario": "materiel.scenario.loading", "simulate": "materiel.simulation", "compare": "materiel.simulation"}


def __getattr__(name: str):
    """The public functions, imported on first use: `import materiel` (and `materiel --help`) stays light."""
    if name in _PUBLIC:
        import importlib

        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'materiel' has no attribute {name!r}")
