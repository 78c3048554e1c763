"""Per-run outcomes, reduced by the kernel as each block is stepped (engine/kernel.py::_record).

Per line and run: the step at which storage runs out (less than one drawable unit left), the
first step with a shortfall of at least one unit, cumulative shortfall, and the supply/demand
ratio (produced + refurbished + imported + repaired over demand, for the whole horizon). Per race
(two sides' fires that couplings read, `Layout.races`) and run: the step at which the ratio of the
fires first crossed 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEVER = -1
FIELDS = ("runout", "first_shortfall", "shortfall", "ratio", "crossed")


@dataclass
class RunScalars:
    """Per-run outcomes [runs, lines]; step indices are NEVER (-1) where it did not happen."""

    runout: np.ndarray
    first_shortfall: np.ndarray
    shortfall: np.ndarray
    ratio: np.ndarray        # supply over demand; NaN where there was no demand
    has_storage: np.ndarray  # [lines] any run starts with drawable storage
    crossed: np.ndarray      # [runs, races] step the race's fire ratio first crossed 1

    @classmethod
    def allocate(cls, runs: int, lines: int, steps: int, races: int) -> RunScalars:
        """Room for every run's outcomes, compactly (12 bytes a run and line, so 10 million runs fit):
        step indices as int16 (int32 past 32,767 steps), shortfall and ratio as float32."""
        index = np.int16 if steps < 2**15 else np.int32
        return cls(*(np.empty((runs, lines), dtype=index) for _ in range(2)),
                   *(np.empty((runs, lines), dtype=np.float32) for _ in range(2)),
                   has_storage=np.zeros(lines, dtype=bool), crossed=np.empty((runs, races), dtype=index))

    def put(self, first: int, part: RunScalars) -> None:
        """Store a block's outcomes as runs first, first + 1, …; a ratio beyond float32's range
        (demand of a few units in 10^38 of supply) is stored as inf."""
        with np.errstate(over="ignore"):
            for f in FIELDS:
                getattr(self, f)[first:first + len(part.runout)] = getattr(part, f)
        self.has_storage |= part.has_storage


def supply_demand_ratio(supplied: np.ndarray, demanded: np.ndarray) -> np.ndarray:
    """Supply over demand per run and line; NaN where there was no demand, inf where demand is too
    small for the ratio to be a float (summaries leave both out)."""
    supplied, demanded = supplied.astype(np.float64), demanded.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(demanded > 0, supplied / np.where(demanded > 0, demanded, 1), np.nan)
