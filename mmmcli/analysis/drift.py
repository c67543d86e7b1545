"""The drift rule of ``mmm compare`` and the rows it produces, shared by every compared quantity.

A quantity has **drifted** when it moved by more than ``rtol`` relative to ``|baseline|`` (by
more than ``rtol`` in absolute terms when the baseline is 0) **and** its HDIs do not overlap.
Quantities without an interval drift on ``rtol`` alone. A channel or component present in only
one of the runs always counts as drift.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike


def moved(base: ArrayLike, cur: ArrayLike, rtol: float) -> np.ndarray:
    """Element-wise: did ``cur`` move by more than ``rtol`` relative to ``base``?

    Relative to ``|base|``; absolute when ``base`` is 0. Equal values (including equal
    infinities, or both missing) never moved; one missing or infinite value always did.
    """
    b, c = np.asarray(base, dtype=float), np.asarray(cur, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.abs(c - b)
        scale = np.where(b == 0, 1.0, np.abs(b))
        out = diff / scale > rtol
    same = (b == c) | (np.isnan(b) & np.isnan(c))
    unbounded = ~np.isfinite(b) | ~np.isfinite(c)
    return np.where(same, False, np.where(unbounded, True, out))


def overlap(b_lo: ArrayLike, b_hi: ArrayLike, c_lo: ArrayLike, c_hi: ArrayLike) -> np.ndarray:
    """Element-wise: do the intervals overlap? (``inf`` bounds compare as expected.)"""
    bl, bh, cl, ch = (np.asarray(x, dtype=float) for x in (b_lo, b_hi, c_lo, c_hi))
    return (bl <= ch) & (cl <= bh)


def rel_change(base: float, cur: float) -> float | None:
    """``(cur - base) / |base|``; 0 when equal, ``None`` when undefined."""
    if base == cur:
        return 0.0
    if not (math.isfinite(base) and math.isfinite(cur)) or base == 0:
        return None
    return (cur - base) / abs(base)


def row(
    quantity: str,
    name: str,
    base: float,
    cur: float,
    rtol: float,
    hdi: tuple[float, float, float, float] | None = None,
) -> dict:
    """One compared quantity; ``hdi`` is ``(b_lo, b_hi, c_lo, c_hi)`` or ``None``."""
    is_moved = bool(moved(base, cur, rtol))
    overlaps = None
    if hdi is not None and not any(math.isnan(x) for x in hdi):
        overlaps = bool(overlap(*hdi))
    return {
        "quantity": quantity,
        "channel_or_component": name,
        "baseline": float(base),
        "current": float(cur),
        "rel_change": rel_change(float(base), float(cur)),
        "hdi_overlap": overlaps,
        "drifted": is_moved and not overlaps,
    }


def info_row(quantity: str, name: str, base: float, cur: float, **extra: object) -> dict:
    """A quantity shown for information: never drift."""
    return {
        "quantity": quantity,
        "channel_or_component": name,
        "baseline": base,
        "current": cur,
        "rel_change": rel_change(base, cur),
        "hdi_overlap": None,
        "drifted": False,
        "informational": True,
        **extra,
    }


def presence(
    quantity: str,
    cur_names: Iterable[str],
    base_names: Iterable[str],
    what: str,
    notes: list[str],
    skip: Iterable[str] = (),
) -> list[dict]:
    """Rows (always drift) and notes for names in one run only (``skip``: already reported)."""
    rows = []
    cur_set, base_set = set(cur_names), set(base_names)
    for name in sorted((cur_set ^ base_set) - set(skip)):
        added = name in cur_set
        notes.append(f"{what} {name!r} only in the {'run' if added else 'baseline'}")
        rows.append(
            {
                "quantity": quantity,
                "channel_or_component": name,
                "baseline": None,
                "current": None,
                "rel_change": None,
                "hdi_overlap": None,
                "drifted": True,
                "change": "added" if added else "removed",
            }
        )
    return rows


def as_float(value: object) -> float:
    """``value`` as a float; ``None`` (or anything that is not a number) becomes NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)
