"""Recommended allocations compared between two runs, only where they answer the same request.

A run's recommendations are its own ``allocation.csv`` (the config's ``optimize:`` block) and
every ``optimize-*`` folder beside it made from it (``mmm optimize RUN``, one per exploration).
Two allocations are comparable only when they answer the same request: the same budget (or
both "the recent spend"), periods, pattern, quantile and bounds, as recorded in their
``optimize.json``. Someone exploring another budget must not turn two identical fits into a
drift, so an allocation is compared with the newest one of the other run that answers the same
request, and when none does, the comparison says so in a note and nothing drifts.

Each channel's share of the recommended budget drifts when it moved by more than ``rtol``
relative to the larger of the baseline share and an even share (a near-zero share moving in its
decimals is not drift); a recommendation that *flips* (more than ``rtol`` above recent spend in
one run, more than ``rtol`` below it in the other) always drifts: it is the change a team acts
on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import drift
from .run_files import read_csv, read_json

ALLOCATION_COLUMNS = ("channel", "recent_spend", "recommended_spend")
# what an allocation answers (``allow_failed`` changes whether it is computed, not its answer)
REQUEST_KEYS = ("budget", "periods", "pattern", "quantile", "bounds", "spend_bounds")
OWN = "the run's own (optimize: block)"


@dataclass
class Recommendation:
    """One recommended allocation of a run: where it is and the request it answers."""

    folder: Path
    request: dict
    label: str  # how a note names it: the folder's name, or OWN


def recommendations(run: Path) -> list[Recommendation]:
    """The run's recommendations, least preferred first: the ``optimize-*`` folders beside it
    made from it, oldest first (by name, a UTC timestamp), then its own, which answers the
    config's block (the one its fits keep answering)."""
    found = []
    for folder in sorted(run.parent.glob("optimize-*")):
        try:
            info = json.loads((folder / "optimize.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        source = info.get("source_run") if isinstance(info, dict) else None
        if not source or Path(source).resolve() != run.resolve():
            continue
        if (folder / "allocation.csv").is_file():
            found.append(Recommendation(folder, _request(info), folder.name))
    if (run / "allocation.csv").is_file():
        info = read_json(run / "optimize.json") if (run / "optimize.json").is_file() else {}
        found.append(Recommendation(run, _request(info), OWN))
    return found


def _request(info: dict) -> dict:
    """The request's answer-defining keys, normalised (numbers as floats, bounds as lists)."""
    request = info.get("request")
    request = request if isinstance(request, dict) else {}
    return {k: _plain(request.get(k)) for k in REQUEST_KEYS}


def _plain(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def describe(request: dict) -> str:
    """A request in a few words: ``budget 20,000 over 13 periods (flat), bounds tv``."""
    budget = request.get("budget")
    words = [
        f"budget {budget:,.0f}" if isinstance(budget, float) else "the recent budget",
        f"over {request.get('periods'):.0f} periods" if request.get("periods") else "",
        f"({request.get('pattern') or 'flat'})",
    ]
    if request.get("quantile") is not None:
        words.append(f"quantile {request['quantile']:g}")
    for key in ("bounds", "spend_bounds"):
        if request.get(key):
            words.append(f"{key} {', '.join(request[key])}")
    return " ".join(w for w in words if w)


def matching(
    cur: list[Recommendation], base: list[Recommendation]
) -> tuple[Recommendation, Recommendation] | None:
    """The pair to compare: the newest recommendation of the run that answers the same request
    as one of the baseline's, with the newest such baseline recommendation; ``None`` if none."""
    for c in reversed(cur):
        same = [b for b in base if b.request == c.request]
        if same:
            return c, same[-1]
    return None


def allocation_rows(run: Path, baseline: Path, rtol: float, notes: list[str]) -> list[dict]:
    """Each channel's share of the recommended budget and its direction, for the allocations
    of the two runs that answer the same request (see the module's docs)."""
    cur, base = recommendations(run), recommendations(baseline)
    if not cur or not base:
        if bool(cur) != bool(base):
            notes.append("a recommended allocation in one run only: allocations not compared")
        return []
    pair = matching(cur, base)
    if pair is None:
        asked_c = "; ".join(sorted({describe(r.request) for r in cur}))
        asked_b = "; ".join(sorted({describe(r.request) for r in base}))
        notes.append(
            f"allocations not compared: they answer different requests (run: {asked_c}; "
            f"baseline: {asked_b}); optimize both runs with the same request to compare them"
        )
        return []
    c, b = pair
    if len(cur) > 1 or len(base) > 1:
        notes.append(
            f"allocations compared for the request {describe(c.request)} "
            f"(run: {c.label}, baseline: {b.label})"
        )
    return _rows(
        read_csv(b.folder / "allocation.csv", ALLOCATION_COLUMNS).set_index("channel"),
        read_csv(c.folder / "allocation.csv", ALLOCATION_COLUMNS).set_index("channel"),
        rtol,
        notes,
    )


def _rows(b: pd.DataFrame, c: pd.DataFrame, rtol: float, notes: list[str]) -> list[dict]:
    rows = []
    floor = 1.0 / max(len(b.index.union(c.index)), 1)  # an even share: small shares are noisy
    for channel in b.index.intersection(c.index):
        shares = [
            float(x.loc[channel, "recommended_spend"] / x["recommended_spend"].sum())
            for x in (b, c)
        ]
        share = drift.row("allocation_share", str(channel), shares[0], shares[1], rtol)
        share["drifted"] = abs(shares[1] - shares[0]) > rtol * max(abs(shares[0]), floor)
        rows.append(share)
        way = [_direction(x.loc[channel], rtol) for x in (b, c)]
        flipped = {way[0], way[1]} == {"up", "down"}
        if flipped:
            notes.append(
                f"recommendation for {channel} flipped: baseline {way[0]}, run {way[1]} "
                f"(versus recent spend)"
            )
        rows.append(
            {
                "quantity": "allocation_direction",
                "channel_or_component": str(channel),
                "baseline": _ratio(b.loc[channel]),
                "current": _ratio(c.loc[channel]),
                "rel_change": None,
                "hdi_overlap": None,
                "drifted": flipped,
                "direction": f"{way[0]} -> {way[1]}",
            }
        )
    return rows


def _ratio(row: pd.Series) -> float:
    """Recommended over recent spend (NaN when nothing was spent recently)."""
    recent = float(row["recent_spend"])
    return float(row["recommended_spend"]) / recent if recent else math.nan


def _direction(row: pd.Series, rtol: float) -> str:
    """``up``/``down`` when the recommendation moves spend by more than ``rtol``, else ``same``."""
    recent, chosen = float(row["recent_spend"]), float(row["recommended_spend"])
    if chosen > recent * (1 + rtol) and chosen - recent > 0:
        return "up"
    if chosen < recent * (1 - rtol):
        return "down"
    return "same"
