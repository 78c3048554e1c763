"""The run registry: completed runs recorded in an embedded DuckDB file; list, compare, export."""

from materiel.store.registry import (
    OUTCOME_COLUMNS,
    Comparison,
    Difference,
    Registry,
    RegistryBusy,
    RunRecord,
    compare_summaries,
    default_home,
)

__all__ = [
    "OUTCOME_COLUMNS",
    "Comparison",
    "Difference",
    "Registry",
    "RegistryBusy",
    "RunRecord",
    "compare_summaries",
    "default_home",
]
