"""Year-by-year view of an ensemble, to check a scenario's behaviour against its sources.

Per side and line and calendar year: demand, supply (produced + refurbished + imported),
shortfall, and the front and storage at the year's end — medians with [P10–P90] across the
kept runs — plus the workforce and the lines' mean coverage.

Usage:  python scripts/inspect_scenario.py [SCENARIO] [--runs 500] [--seed 1]
"""

from __future__ import annotations

import argparse

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from materiel.scenario.loading import load_scenario  # noqa: E402
from materiel.simulation import simulate  # noqa: E402


def q(values: np.ndarray) -> str:
    p10, p50, p90 = np.nanquantile(values, [0.1, 0.5, 0.9])
    return f"{_fmt(p50)} [{_fmt(p10)}–{_fmt(p90)}]"


def _fmt(x: float) -> str:
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.2f}{suffix}"
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default="russia-ukraine-2022")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    sc = load_scenario(args.scenario)
    ds = simulate(sc, runs=args.runs, seed=args.seed).dataset()
    years = ds["time"].dt.year.values
    supply = ds["produced"] + ds["refurbished"] + ds["imported"]
    for line in ds["line"].values:
        print(f"\n== {line}")
        print(f"  {'year':6s} {'demand':24s} {'supply':24s} {'shortfall':24s} {'front (end)':24s} {'storage (end)':24s} coverage")
        for year in np.unique(years):
            sel = years == year
            last = np.flatnonzero(sel)[-1]
            cell = lambda v: q(v.sel(line=line).isel(time=sel).sum("time").values)  # noqa: E731
            end = lambda v: q(v.sel(line=line).isel(time=last).values)  # noqa: E731
            cov = float(ds["coverage"].sel(line=line).isel(time=sel).mean())
            print(f"  {year:<6d} {cell(ds['demand']):24s} {cell(supply):24s} {cell(ds['shortfall']):24s} "
                  f"{end(ds['front']):24s} {end(ds['storage']):24s} {cov:.2f}")
    print("\n== workforce (end of year)")
    for side in ds["side"].values:
        for year in np.unique(years):
            last = np.flatnonzero(years == year)[-1]
            values = ds["workforce"].sel(side=side).isel(time=last).values
            if np.all(np.isnan(values)):
                continue
            print(f"  {side} {year}: {q(values)}")


if __name__ == "__main__":
    main()
