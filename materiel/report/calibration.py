"""Reports of a calibration and a back-test: JSON documents, terminal tables, fit figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.table import Table

from materiel.analysis.backtest import METHODS
from materiel.analysis.calibration import (
    THIN_ESS,
    Calibration,
    Fit,
    calibrated_quantities,
    resample,
    resampled,
    weighted_quantile,
)
from materiel.analysis.outcomes import QUANTILES, Ensemble
from materiel.report.document import summary_document
from materiel.report.terminal import compact
from materiel.scenario.schema import Scenario


def calibration_document(scenario: Scenario, cals: dict[str, Calibration], seed: int, runs: int) -> dict:
    """Per calibrated line: ESS, tempering, its series, and prior vs posterior of the quantities informed."""
    some = next(iter(cals.values()))
    return {
        "scenario": scenario.name, "seed": seed, "runs": runs, "until": some.until.isoformat(),
        "half_life_days": some.half_life, "thin_ess": THIN_ESS,
        "lines": [{
            "line": key,
            "series": [f.observed.label for f in cal.fits],
            "periods": int(sum(np.isfinite(f.reported).sum() for f in cal.fits)),
            "ess": round(cal.ess, 1), "ess_untempered": round(cal.ess_untempered, 1), "thin": cal.ess < THIN_ESS,
            "tempering": round(cal.tempering, 4),
            "calibration": "importance" if cal.sequential is None else "sequential", "sequential": cal.sequential,
            "quantities": calibrated_quantities(scenario, cal, seed, QUANTILES),
        } for key, cal in cals.items()],
    }


def calibration_table(doc: dict) -> Table:
    """Prior and posterior P10/P50/P90 of each quantity, grouped by line with its ESS."""
    table = Table(title=f"{doc['scenario']}: calibrated to {doc['until']} ({doc['runs']:,} runs, seed {doc['seed']})",
                  caption="P50 [P10–P90]. ESS: effective sample size of the weights; λ < 1: likelihood tempered "
                          "so the ESS stays at a tenth of the runs (the full likelihood's ESS in brackets); "
                          f"! below {THIN_ESS}: too thin to read.")
    for col in ("line", "ESS [full]", "λ", "quantity", "prior", "posterior"):
        table.add_column(col, justify="right" if col in ("ESS [full]", "λ") else "left")
    for line in doc["lines"]:
        for k, q in enumerate(line["quantities"]):
            first = k == 0
            table.add_row(line["line"] if first else "",
                          f"{line['ess']:,.0f}{'!' if line['thin'] else ''} [{line['ess_untempered']:,.1f}]" if first else "",
                          (f"{line['tempering']:.3g}" if line["sequential"] is None
                           else f"1 (SMC, {line['sequential']['stages']} stages)") if first else "",
                          q["quantity"], _spread(q["prior"]), _spread(q["posterior"]),
                          end_section=k == len(line["quantities"]) - 1)
    return table


def warnings(doc: dict) -> list[str]:
    """Plain words for lines whose weights leave too few effective runs, and for those tempered."""
    thin = [f"{line['line']}: ESS {line['ess']:.0f} of {doc['runs']:,} runs, below {THIN_ESS}: too thin for its "
            "quantiles to be read (a P10 could be a P7 or a P13); use more runs (--runs)."
            for line in doc["lines"] if line["ess"] < THIN_ESS]
    return thin + [f"{line['line']}: the full likelihood leaves an ESS of {line['ess_untempered']:.1f} of "
            f"{doc['runs']:,} runs; tempered to λ = {line['tempering']:.3g} (ESS {line['ess']:.0f}). "
            "The runs reproduce these series only loosely: read the posterior as a broad one; "
            "more runs (--runs) let λ rise, --sequential reaches λ = 1 by SMC."
            for line in doc["lines"] if line["tempering"] < 1 and line["sequential"] is None] + [
        f"{line['line']}: the full likelihood leaves an ESS of {line['ess_untempered']:.1f} of {doc['runs']:,} runs; "
        f"moved by SMC to λ = {line['tempering']:.3g} in {line['sequential']['stages']} stages (mean acceptance "
        f"{np.mean(line['sequential']['acceptance']):.0%}); ESS here is the {line['ess']:.0f} distinct runs, "
        "which are correlated." for line in doc["lines"] if line["sequential"] is not None]


def weights_document(cals: dict[str, Calibration], scenario_name: str, sha256: str, seed: int, runs: int) -> dict:
    """What `materiel run --calibrated` needs: per line, the runs with a weight and their weights."""
    some = next(iter(cals.values()))
    lines = {}
    for key, cal in cals.items():
        kept = np.flatnonzero(cal.weights > 0)
        lines[key] = {"ess": cal.ess, "runs": kept.tolist(), "weights": cal.weights[kept].tolist()}
    return {"materiel": "calibration", "scenario": scenario_name, "scenario_sha256": sha256, "seed": seed,
            "runs": runs, "until": some.until.isoformat(), "lines": lines}


def calibrated_summary(ens: Ensemble, scenario_name: str, weights: dict[str, np.ndarray]) -> dict:
    """The run's summary document with each calibrated line's row taken from runs resampled by its weights."""
    doc = summary_document(ens, scenario_name)
    labels = ens.layout.line_labels()
    for key, w in weights.items():
        i = labels.index(key)
        doc["lines"][i] = summary_document(resampled(ens, resample(w, ens.runs)), scenario_name)["lines"][i]
    return doc


def fit_figures(cals: dict[str, Calibration], folder: Path, priors: dict[str, Calibration] | None = None) -> list[Path]:
    """One PNG per observed series: reported per period against the prior and posterior bands.

    `priors`: calibrations of the seed's own runs, whose runs give the prior band where `cals`
    hold runs moved by SMC (by default each calibration's own runs)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, cal in cals.items():
        prior = (priors or cals)[key]
        for fit, prior_fit in zip(cal.fits, prior.fits):
            fig = Figure(figsize=(8, 4), layout="constrained")
            _fit_panel(fig.add_subplot(), cal, fit, prior_fit)
            path = folder / f"fit-{fit.observed.side}-{fit.observed.line}-{fit.observed.series}.png"
            fig.savefig(path, dpi=110, metadata={"Software": None})
            written.append(path)
    return written


def _fit_panel(ax, cal: Calibration, fit: Fit, prior: Fit) -> None:
    edges = np.array(cal.edges, dtype="datetime64[D]")
    uniform = np.full(len(cal.weights), 1.0 / len(cal.weights))
    for label, f, w, color in (("prior", prior, uniform, "#9a9a9a"), ("posterior", fit, cal.weights, "#b8322a")):
        reported = f.lost * f.bias[:, None]
        q = np.array([weighted_quantile(reported[:, p], w, QUANTILES) for p in range(reported.shape[1])])
        q = np.vstack([q, q[-1:]])  # steps drawn from each period's start to the next
        ax.fill_between(edges, q[:, 0], q[:, 2], step="post", color=color, alpha=0.25, lw=0, label=f"{label} P10–P90")
        ax.step(edges, q[:, 1], where="post", color=color, lw=1.2, label=f"{label} P50")
    ax.plot(edges[:-1] + (edges[1:] - edges[:-1]) // 2, fit.reported, "o", ms=3, color="black", label="reported")
    ax.set_title(f"{fit.observed.label}\nreported per period to {cal.until}; ESS {cal.ess:.0f} of {len(cal.weights):,} runs",
                 fontsize=10)
    ax.set_ylabel("losses per period")
    ax.legend(fontsize=8, frameon=False)


def backtest_tables(doc: dict) -> list[Table]:
    """The forecasts, one row per series, cutoff and method; then the scores per cutoff, per series and pooled."""
    rows = Table(title=f"Back-test: {doc['scenario']}, lead {doc['lead_days']} days, {doc['runs']:,} runs",
                 caption="Forecast of the total reported over the lead. ✓ when the observed total lies in the P10–P90 "
                         "interval; CRPS ÷ observed total (lower is better). ESS: the line's effective sample size "
                         f"in the model's calibration (! below {doc['thin_ess']}: too thin; SMC: calibrated by SMC, "
                         "the distinct runs), the untempered likelihood's in brackets.")
    for col in ("series", "cutoff", "observed", "ESS [full]", "method", "P50 [P10–P90]", "in", "CRPS"):
        rows.add_column(col, justify="left" if col in ("series", "cutoff", "method") else "right")
    for r in doc["rows"]:
        for k, method in enumerate(METHODS):
            f, first = r[method], k == 0
            rows.add_row(r["series"] if first else "", r["cutoff"] if first else "",
                         compact(r["observed"]) if first else "",
                         f"{r['ess']:,.0f}{'!' if r['thin'] else ''}{' SMC' if r['calibration'] == 'sequential' else ''}"
                         f" [{r['ess_untempered']:,.1f}]" if first else "",
                         method,
                         f"{compact(f['p50'])} [{compact(f['p10'])}–{compact(f['p90'])}]", _tick(f["p10_p90"]),
                         _num(f["crps_scaled"]), end_section=k == len(METHODS) - 1)
    low, high = doc["targets"]["coverage"]
    scores = Table(title="Scores", caption=f"Targets (pooled): P10–P90 coverage {low:.0%}–{high:.0%}; CRPS below "
                   f"persistence's in ≥ {doc['targets']['beats_persistence']:.0%} of forecasts; mean CRPS ≤ "
                   f"{doc['targets']['crps_ratio']:.0%} of persistence's. ✓/✗: met or missed.")
    for col in ("over", "method", "in P10–P90", "in P5–P95", "CRPS", "beats persistence", "÷ persistence"):
        scores.add_column(col, justify="left" if col in ("over", "method") else "right")
    groups = [*((f"{c} ({p['forecasts']})", p) for c, p in doc["by_cutoff"].items()),
              *((f"{s} ({p['forecasts']})", p) for s, p in doc["by_series"].items()),
              (f"pooled ({doc['pooled']['forecasts']})", doc["pooled"])]
    for name, pool in groups:
        final = pool is doc["pooled"]
        for k, method in enumerate(METHODS):
            m, met = pool[method], pool[method]["targets"]
            naive = method == "persistence"
            scores.add_row(name if k == 0 else "", method,
                           f"{m['p10_p90']:.0%}" + (f" {_tick(met['coverage'])}" if final else ""),
                           f"{m['p5_p95']:.0%}", _num(m["crps_scaled"]),
                           "" if naive else f"{m['beats_persistence']:.0%} "
                           f"({round(m['beats_persistence'] * pool['forecasts'])} of {pool['forecasts']})"
                           + (f" {_tick(met['beats_persistence'])}" if final else ""),
                           "" if naive else _num(m["crps_ratio"]) + (f" {_tick(met['crps_ratio'])}" if final else ""),
                           end_section=k == len(METHODS) - 1)
    return [rows, scores]


def backtest_warnings(doc: dict) -> list[str]:
    """Plain words for each line and cutoff whose calibration leaves too few effective runs."""
    lines = {(r["line"], r["cutoff"]): r for r in doc["rows"]}
    notes = [f"{line} at {cutoff}: ESS {r['ess']:.0f} of {doc['runs']:,} runs, below {doc['thin_ess']}: its forecast "
             "quantiles are too thin to trust; use more runs (--runs)." for (line, cutoff), r in lines.items() if r["thin"]]
    moved = sum(r["calibration"] == "sequential" for r in lines.values())
    if moved:
        notes.append(f"{moved} of {len(lines)} line calibrations for the model forecast collapsed (the full likelihood "
                     "left an ESS below a tenth of the runs) and were calibrated by SMC; their ESS is the number of "
                     "distinct runs, which are correlated (docs/calibration.md).")
    tempered = sum(r["tempering"] < 1 for r in lines.values())
    if tempered:
        notes.append(f"{tempered} of {len(lines)} line calibrations for the model forecast were tempered (the full "
                     f"likelihood leaves an ESS below a tenth of the runs, as low as "
                     f"{min(r['ess_untempered'] for r in lines.values()):.1f}): their weights are a broadened "
                     "posterior, not the full one (docs/calibration.md).")
    return notes


def _spread(q: list[float]) -> str:
    return f"{_short(q[1])} [{_short(q[0])}–{_short(q[2])}]"


def _short(v: float) -> str:
    return compact(v) if abs(v) >= 1000 else f"{v:.3g}"


def _num(v) -> str:
    return "—" if v is None or np.isnan(v) else f"{v:.3f}"


def _tick(ok: bool) -> str:
    return "✓" if ok else "✗"
