"""From cumulative loss counts to losses per day and per period.

Calibration compares flows (losses in a week or a month), not cumulative levels; these functions
take the daily cumulative frames of :func:`load_general_staff` or :func:`load_oryx_log`.
"""

from __future__ import annotations

import pandas as pd


def daily_losses(df: pd.DataFrame, corrections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Losses per day: each day's cumulative count minus the day before's.

    The first day, and the first day of a series that starts late with a count already
    accrued, have no increment (NaN): the file does not say over which days it accrued.

    ``corrections`` (from :func:`load_corrections`) are the official re-counts, which sit inside
    the cumulative series as jumps. Each is subtracted on the day it is dated, or on the next
    day if that leaves fewer of the two days' increments negative: the jump can show in the next
    day's figures (the re-count dated 2023-05-27 is in those of 2023-05-28). Re-counts of series
    or dates not in ``df`` are ignored.

    Negative days that remain are the source lowering its own count without a re-count record;
    they are kept as they are, so that the increments still add up to the change in the
    cumulative count and a sum over a period (:func:`losses_per_period`) nets them out.
    """
    increments = df.diff()
    if corrections is None:
        return increments
    shared = corrections.columns.intersection(increments.columns)
    for day, amounts in corrections[shared].sort_index().iterrows():
        amounts = amounts[amounts.fillna(0) != 0]
        if amounts.empty or day not in increments.index:
            continue
        next_day = day + pd.Timedelta(days=1)
        if next_day in increments.index:
            on_date = _negatives(increments, day, amounts, shift=False)
            if _negatives(increments, day, amounts, shift=True) < on_date:
                day = next_day
        increments.loc[day, amounts.index] -= amounts
    return increments


def losses_per_period(df: pd.DataFrame, freq: str, corrections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Losses per period: the daily losses of :func:`daily_losses` summed over each period.

    ``freq`` is a pandas frequency: ``"W"`` (weeks ending Sunday), ``"MS"`` (months, labelled by
    their first day), ``"ME"``, ``"QE"``, ``"YE"``... A period's sum skips days without an
    increment (NaN) and is NaN only if it has none. The first and last periods can be partial
    (the data start or stop inside them): compare them with care.
    """
    return daily_losses(df, corrections).resample(freq).sum(min_count=1)


def _negatives(increments: pd.DataFrame, day: pd.Timestamp, amounts: pd.Series, shift: bool) -> int:
    """How many increments of ``day`` and the next go negative when ``amounts`` are subtracted
    on ``day`` (or, with ``shift``, on the next day)."""
    both = increments.loc[[day, day + pd.Timedelta(days=1)], amounts.index]
    both.iloc[int(shift)] -= amounts
    return int(both.lt(0).to_numpy().sum())
