"""The version of materiel, below every other module (the package, reports and the registry name it)."""

__version__ = "0.1.0"
