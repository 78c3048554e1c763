"""Exchanging models with other tools: a scenario's deterministic variant as XMILE (docs/interop.md)."""

from materiel.interop.xmile import export_xmile

__all__ = ["export_xmile"]
