"""Derive the demand schedules of the built-in Russia–Ukraine scenario from observed data.

Reads the public datasets in the shared data folder (see its SOURCES.md) and prints, per line,
the numbers written into `materiel/scenario/builtin/russia-ukraine-2022.yaml`:

* Russian equipment losses (artillery as a schedule; tanks, AFVs and MRLs printed only, their
  losses being a share of the field whose range these rates inform): for each quarter, the
  average daily loss claimed by Ukraine's General Staff (GS; daily differences of the cumulative series with
  the official re-counts taken out) is the *high* end; the same rate times Oryx's share of the
  GS count in that calendar year (visually confirmed losses, a lower bound) is the *low* end.
* Russian personnel (printed, not a schedule: the line's losses are a share of the troops it
  fields): GS quarterly rates, and the ratio of Western estimates to the GS count at the same date
  (US intelligence, Dec 2023; Burns, Jul 2022), which the series' bias prior cites.
* Ukrainian tank and AFV losses from Oryx's per-loss records (scarnecchia), by year recorded, and
  Russian tanks and AFVs captured by Ukraine (Oryx change log), by year.
* Donor tanks and IFVs from the Kiel Institute's weapons table.

Usage:  python scripts/derive_demand.py [--data DIR] [--yaml]
        (--yaml prints the demand schedules as YAML blocks ready to paste)
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import pandas as pd

DEFAULT_DATA = Path(os.environ.get("MATERIEL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
START = pd.Timestamp("2022-02-24")
LAST = pd.Timestamp("2025-06-30")  # last observation in the data copies

# Lines whose losses are a share of what they field (no demand schedule): their quarterly rates
# are printed, not written as schedules.
SHARE_OF_FIELD = {"tanks", "afv", "mrl"}

# GS column → Oryx (mauforonda log) categories counted as the same line.
LINES = {
    "tanks": ("tank", ["tanks"]),
    "afv": ("APC", ["armoured fighting vehicles", "infantry fighting vehicles", "armoured personnel carriers",
                    "mine-resistant ambush protected", "infantry mobility vehicles"]),
    "artillery": ("field artillery", ["self-propelled artillery", "towed artillery", "heavy mortars", "artillery"]),
    "mrl": ("MRL", ["multiple rocket launchers", "rocket and missile artillery"]),
}

# GS lines whose count widened after the first year (GS "field artillery" grows 6x from 2022 to 2024
# while Oryx-confirmed gun losses stay flat: it evidently takes in mortars and other systems). From
# that year the high end is the Oryx-based rate divided by the 2022 Oryx/GS ratio.
GS_RECOUNTED = {"artillery": 2023}

# Guns worn out rather than destroyed (judgement): "about 320 tank and artillery barrels a month" lost
# against 20 made; taking about two thirds of them as artillery gives ~7 a day, added to the high end.
WEAR_PER_DAY = {"artillery": 320 / (365.25 / 12) * 2 / 3}

# IISS loss estimates used as the most likely value (PERT mode) between the Oryx and GS bounds:
# tanks: "over 2,900" lost by Feb 2024 of which 1,120 in 2023 (Military Balance 2024), ~1,400 in 2024
# (Military Balance 2025); IFVs/APCs: ~14,000 MBT/IFV/APC since the start of which ~3,700 IFV/APC in
# 2024 (Military Balance 2025), so ~14,000 - 2,900 - 1,400 - 3,700 = 6,000 IFV/APC in 2022-23.
IISS_LOSSES = {
    "tanks": {"2022": 2_900 - 1_120, "2023": 1_120, "2024": 1_400},
    "afv": {("2022", "2023"): 14_000 - 2_900 - 1_400 - 3_700, "2024": 3_700},
}

# Western estimates of Russian killed + wounded, against the GS count on the same date.
PERSONNEL_CHECKS = {
    "burns-2022": (pd.Timestamp("2022-07-20"), 15_000 * 4),   # "15,000 killed and maybe three times that wounded"
    "us-intel-2023": (pd.Timestamp("2023-12-12"), 315_000),  # declassified US assessment
}

UKR_TANK = re.compile(r"^(T-\d|Unknown tank|Unknown T-|Leopard [12]|M1A1|M1 Abrams|Challenger 2|PT-91|M-84|"
                      r"M-55S|Stridsvagn|Strv)", re.I)
# Ukrainian IFVs, APCs and other armoured fighting vehicles (Oryx's IFV, APC and AFV headings); MRAPs
# and infantry mobility vehicles are left out, as Kiel's donor table counts IFVs only.
UKR_AFV = re.compile(r"^(BMP|BMD|BTR|BRDM|BRM|BWP|BVP|MT-LB|M113|M577|M2A2|Bradley|Marder|CV90|M1126|M1130|M1132|"
                     r"Stryker|YPR|VAB|Pbv|FV103|FV1|AT105|Saxon|Patria|Sisu|AMX-10|M80A|BVP M-80|Unknown AFV|"
                     r"Unknown BMP|Unknown BTR|Wolfhound|Bandvagn|BvS)", re.I)


def periods() -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Quarters from the start to the last observation: [first day, last day] inclusive."""
    out, begin = [], START
    for q_end in pd.date_range("2022-03-31", LAST, freq="QE"):
        out.append((begin, q_end))
        begin = q_end + pd.Timedelta(days=1)
    return out


def gs_daily(data: Path, column: str, personnel: bool = False) -> pd.Series:
    """Daily GS losses from the cumulative series, official re-counts taken out (index: date)."""
    name = "russia_losses_personnel.json" if personnel else "russia_losses_equipment.json"
    frame = pd.DataFrame(json.loads((data / "petroivaniuk" / name).read_text()))
    frame["date"] = pd.to_datetime(frame["date"])
    cum = frame.set_index("date")[column].astype(float)
    daily = cum.diff()
    daily.iloc[0] = cum.iloc[0]  # first record: cumulative since 24 Feb
    corr = pd.DataFrame(json.loads((data / "petroivaniuk" / "russia_losses_equipment_correction.json").read_text()))
    corr["date"] = pd.to_datetime(corr["date"])
    if column in corr:
        daily = daily.sub(corr.set_index("date")[column].reindex(daily.index).fillna(0.0), fill_value=0.0)
    return daily


def gs_cumulative(data: Path, column: str, personnel: bool = False) -> pd.Series:
    name = "russia_losses_personnel.json" if personnel else "russia_losses_equipment.json"
    frame = pd.DataFrame(json.loads((data / "petroivaniuk" / name).read_text()))
    return frame.assign(date=pd.to_datetime(frame["date"])).set_index("date")[column].astype(float)


def oryx_cumulative(data: Path, categories: list[str], state: str | None = None) -> pd.Series:
    """Oryx cumulative Russian losses (sum over both country labels: nets out the 2024-08-31 artefact)."""
    log = pd.read_csv(data / "oryx_mauforonda" / "log.csv")
    log = log[(log["country"] != "Ukraine") & log["category"].isin(categories)]
    if state is not None:
        log = log[log["state"] == state]
    log = log.assign(date=pd.to_datetime(log["timestamp"]).dt.normalize())
    return log.groupby("date")["value"].sum().sort_index().cumsum()


def at(series: pd.Series, when: pd.Timestamp) -> float:
    """Value of a cumulative series on a date (last record on or before it; 0 before the first)."""
    before = series[series.index <= when]
    return float(before.iloc[-1]) if len(before) else 0.0


def years() -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    return [("2022", START, pd.Timestamp("2022-12-31")), ("2023", pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-31")),
            ("2024", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")),
            ("2025H1", pd.Timestamp("2025-01-01"), LAST)]


def year_of(day: pd.Timestamp) -> str:
    return "2025H1" if day.year == 2025 else str(day.year)


def equipment(data: Path) -> dict[str, dict]:
    """Per Russian equipment line: yearly Oryx/GS ratios and quarterly (low, high) daily rates."""
    result = {}
    for line, (column, categories) in LINES.items():
        daily = gs_daily(data, column)
        oryx = oryx_cumulative(data, categories)
        ratios = {}
        for label, a, b in years():
            gs = daily[(daily.index >= a) & (daily.index <= b)].sum()
            ox = at(oryx, b) - at(oryx, a - pd.Timedelta(days=1))
            ratios[label] = (ox / gs if gs else float("nan"), ox, gs)
        modes = iiss_ratios(line, ratios)
        rows = []
        for a, b in periods():
            days = (b - a).days + 1
            rate = daily[(daily.index >= a) & (daily.index <= b)].sum() / days
            low = rate * ratios[year_of(a)][0]
            high = rate
            if line in GS_RECOUNTED and a.year >= GS_RECOUNTED[line]:
                # The GS count no longer measures the same category: take the Oryx-based rate
                # back to the GS scale of the first year instead.
                high = low / ratios["2022"][0]
            high += WEAR_PER_DAY.get(line, 0.0)
            mode = max(rate * modes[year_of(a)], low) if modes else None  # never below the Oryx floor
            rows.append((a.date(), b.date(), low, high, mode))
        result[line] = {"ratios": ratios, "rows": rows, "modes": modes}
    return result


def iiss_ratios(line: str, ratios: dict) -> dict[str, float] | None:
    """IISS estimate / GS count per year (2025H1 takes the 2024 ratio), or None without IISS figures."""
    if line not in IISS_LOSSES:
        return None
    out = {}
    for years_, losses in IISS_LOSSES[line].items():
        years_ = years_ if isinstance(years_, tuple) else (years_,)
        gs = sum(ratios[y][2] for y in years_)
        for y in years_:
            out[y] = losses / gs
    out["2025H1"] = out["2024"]
    return out


def personnel(data: Path) -> dict:
    daily = gs_daily(data, "personnel", personnel=True)
    cum = gs_cumulative(data, "personnel", personnel=True)
    checks = {k: (v, at(cum, d), v / at(cum, d)) for k, (d, v) in PERSONNEL_CHECKS.items()}
    low_ratio = checks["us-intel-2023"][2]
    high_2022 = checks["burns-2022"][2]
    rows = []
    for a, b in periods():
        days = (b - a).days + 1
        rate = daily[(daily.index >= a) & (daily.index <= b)].sum() / days
        high = rate * high_2022 if a.year == 2022 else rate
        rows.append((a.date(), b.date(), rate * low_ratio, high, rate))
    return {"checks": checks, "rows": rows}


def ukraine_losses(data: Path) -> dict[str, dict[str, int]]:
    """Ukrainian tanks and AFVs lost per year recorded (Oryx per-loss records)."""
    folder = data / "oryx_scarnecchia"
    events = pd.concat([pd.read_csv(folder / f"event_{s}.csv") for s in ("destroyed", "captured", "damaged", "abandoned")])
    ukr = events[events["country"] == "Ukraine"].copy()
    ukr["system"] = ukr["system"].str.replace(r"^\d+\s+", "", regex=True)
    ukr["date"] = pd.to_datetime(ukr["date_recorded"])
    out = {}
    for line, pattern in (("tanks", UKR_TANK), ("afv", UKR_AFV)):
        hit = ukr[ukr["system"].str.match(pattern)]
        out[line] = {label: int(((hit["date"] >= a) & (hit["date"] <= b)).sum()) for label, a, b in years()}
    return out


UKR_HIGH = 2.0  # judgement: Oryx catches ~0.3-0.5 of claimed Russian losses; no official Ukrainian count


def ukraine_rates(data: Path) -> dict[str, list[tuple]]:
    """Per Ukrainian line: yearly (first day, last day, low, high) daily loss rates."""
    losses = ukraine_losses(data)
    out = {}
    for line, per_year in losses.items():
        rows = []
        for label, a, b in years():
            rate = per_year[label] / ((b - a).days + 1)
            rows.append((a.date(), b.date(), rate, rate * UKR_HIGH, rate))
        out[line] = rows
    return out


def captured(data: Path) -> dict[str, dict[str, int]]:
    """Russian tanks and AFVs captured (Oryx change log), per year."""
    out = {}
    for line in ("tanks", "afv"):
        cum = oryx_cumulative(data, LINES[line][1], state="captured")
        out[line] = {label: int(at(cum, b) - at(cum, a - pd.Timedelta(days=1))) for label, a, b in years()}
    return out


SOVIET_TYPES = re.compile(r"T-72|PT-91|M-84|M-55S|T-55", re.I)


def kiel(data: Path) -> dict[str, int]:
    """Donor tanks (Soviet-type and Western) and IFVs delivered, Kiel weapons table."""
    weapons = pd.read_csv(data / "kiel_ust" / "weapons.csv")
    out = {"ifv": int(weapons.loc[weapons["category"] == "IFV", "number_of_weapons"].sum())}
    soviet = western = 0
    for items in weapons.loc[weapons["category"] == "Tanks", "weapons_list"]:
        for name, count in re.findall(r"([^;(]+)\((\d+)\)", items):
            if SOVIET_TYPES.search(name):
                soviet += int(count)
            else:
                western += int(count)
    out.update(tanks_soviet_type=soviet, tanks_western=western, tanks=soviet + western)
    return out


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}".replace(",", "")
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def yaml_schedule(line: str, rows, sources: str, note_for, modes: bool = False) -> str:
    out = [f"# {line}: derived by scripts/derive_demand.py", "values:"]
    for row in rows:
        a, b, low, high = row[:4]
        if modes and row[4] is not None:
            numbers = f"low: {fmt(low)}, likely: {fmt(row[4])}, high: {fmt(high)}, dist: pert"
        else:
            numbers = f"low: {fmt(low)}, high: {fmt(high)}"
        out.append(f"  {a}: {{{numbers}, source: [{sources}], note: \"{note_for(a, b)}\"}}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the data copies")
    parser.add_argument("--yaml", action="store_true", help="print the schedules as YAML blocks")
    args = parser.parse_args(argv)
    data = args.data

    eq = equipment(data)
    pers = personnel(data)
    if args.yaml:
        for line, info in eq.items():
            if line in SHARE_OF_FIELD:
                continue
            def note(a, b, line=line, info=info):
                y = year_of(pd.Timestamp(a))
                text = f"derive_demand.py {a}..{b}: high GS, low GS x {info['ratios'][y][0]:.2f} (Oryx/GS {y})"
                if line in GS_RECOUNTED and a.year >= GS_RECOUNTED[line]:
                    text = (f"derive_demand.py {a}..{b}: low GS x {info['ratios'][y][0]:.3f} (Oryx/GS {y}), "
                            f"high = low / {info['ratios']['2022'][0]:.2f} (Oryx/GS 2022)")
                if line in WEAR_PER_DAY:
                    text += f", + {WEAR_PER_DAY[line]:.1f} worn out a day"
                if info["modes"]:
                    m = max(info["modes"][y], info["ratios"][y][0])
                    text += f", likely GS x {m:.2f} (" + ("IISS" if m == info["modes"][y] else "IISS 2024 below Oryx: Oryx") + ")"
                return text
            sources = "gs-series, oryx-log" + (", iiss-mb2024, iiss-mb2025" if info["modes"] else "")
            sources += ", barrels-2024" if line in WEAR_PER_DAY else ""
            print(yaml_schedule(line, info["rows"], sources, note, modes=True))
            print()
        for line, rows in ukraine_rates(data).items():
            def unote(a, b):
                return f"derive_demand.py {a}..{b}: Oryx losses recorded per day (low, likely); high x {UKR_HIGH} (judgement)"
            print(yaml_schedule(f"ukraine {line}", rows, "oryx-records", unote, modes=True))
            print()
        return

    print("Russian equipment: Oryx/GS per year (Oryx increment, GS increment)")
    for line, info in eq.items():
        print(f"  {line:10s}", "  ".join(f"{k}: {r:.3f} ({ox:.0f}/{gs:.0f})" for k, (r, ox, gs) in info["ratios"].items()))
    for line, info in eq.items():
        print(f"\n{line}: quarterly mean daily losses (low = Oryx-based, high = GS)")
        for a, b, low, high, mode in info["rows"]:
            extra = f"  likely {mode:8.2f}" if mode is not None else ""
            print(f"  {a} .. {b}   {low:8.2f}  {high:8.2f}{extra}")
    print("\npersonnel: Western estimate / GS on the same date")
    for k, (west, gs, r) in pers["checks"].items():
        print(f"  {k}: {west:,.0f} / {gs:,.0f} = {r:.3f}")
    for a, b, low, high, gs in pers["rows"]:
        print(f"  {a} .. {b}   {low:8.0f}  {high:8.0f}   (GS {gs:.0f})")
    print("\nUkrainian losses per year recorded (Oryx, scarnecchia):", ukraine_losses(data))
    print("Russian vehicles captured per year (Oryx change log):", captured(data))
    print("Kiel weapons delivered:", kiel(data))


if __name__ == "__main__":
    main()
