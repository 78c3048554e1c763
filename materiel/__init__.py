"""materiel: a country's wartime defense-industrial system against what the front consumes."""

__version__ = "0.1.0"
