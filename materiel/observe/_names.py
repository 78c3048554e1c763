"""Column names from the sources' labels."""

import re


def snake_case(label: str) -> str:
    """``"field artillery"`` → ``"field_artillery"``, ``"APC"`` → ``"apc"``."""
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")
