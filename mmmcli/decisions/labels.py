"""How decision figures are named and described wherever they are shown (console and report).

Light on purpose (no numpy, no PyTensor): ``mmm report`` and the CLI's rendering import it.
"""

from __future__ import annotations

import math


def marginal_label(metric: str) -> str:
    """``mROAS`` / ``mCPA`` for ``roas`` / ``cpa``: the one spelling of a marginal return in a
    table header (the CSV columns stay ``mroas_*`` / ``mcpa_*``)."""
    return f"m{metric.upper()}"


def change_label(recent: float, recommended: float) -> str:
    """A recommendation's change against recent spend: ``+12%``; ``new`` for a channel that
    spent nothing recently and gets a budget, ``none`` for one that gets none either (a
    percentage of nothing is not a number)."""
    if not (recent > 0 and math.isfinite(recent)):
        return "new" if recommended > 0 else "none"
    return f"{100 * (recommended / recent - 1):+.0f}%"


def quantile_line(summary: dict) -> str | None:
    """What a plan that maximised a quantile is best at, against the recent mix; None for a
    plan that maximised the mean (its line is the expected response)."""
    q, plan = summary.get("quantile"), summary.get("response_quantile")
    base = summary.get("baseline_response_quantile")
    if q is None or plan is None or base is None:
        return None
    return (
        f"Maximised: the {q:g} quantile of the response, {plan:,.4g} vs {base:,.4g} with the "
        f"recent mix at the same budget ({plan - base:+,.4g})"
    )
