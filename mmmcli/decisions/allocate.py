"""Budget allocation: split a future budget over channels to maximise the expected response.

The objective is the posterior mean (or a chosen lower quantile) over draws of the total
response of a plan (``decisions.response``: carry-in from the last observed periods moves every
channel along its curve without being credited, carry-out after the horizon is credited),
evaluated for all draws at once with PyTensor's gradient, and maximised by SciPy's SLSQP over
the budget shares under the per-channel bounds and the budget constraint. Saturation curves
with a threshold (Hill with slope > 1) are not concave, so SLSQP starts from several points
(the recent mix, an even split, the bounds' midpoints, and seeded random mixes) and the best
optimum is kept.

Every recommendation is reported against keeping the recent mix at the same budget: the gain
per draw, its HDI and the probability that it is positive; a plan that maximised a quantile is
also reported on that quantile, for the plan and the baseline, since that is what it is best at.

A request is checked against what the data and the posterior can answer (``limits``): a budget
more than ``BUDGET_MULTIPLE`` times the most the data ever spent over as many periods asks the
curves about spend they know nothing of (and, far enough out, overflows the arithmetic), one
below a millionth of it is lost in rounding, and a quantile with fewer than ``QUANTILE_DRAWS``
draws beyond it is extrapolated, not estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ..analysis import efficiency
from ..analysis.stats import hdi
from ..errors import UsageError
from ..spec.config import Optimize
from .intervals import credible, holding_mean
from .response import ResponseModel, Scenario, horizon

RANDOM_STARTS = 4
MARGINAL_STEP = 0.01
# A budget may be at most this many times the most the data spent in as many periods: 10x is
# already far past the curves' support (the plan warns from 1.2x a channel's peak period), and
# is still a question a planner asks; 1e12 or 1e308 are not, and overflow the arithmetic.
BUDGET_MULTIPLE = 10
MIN_BUDGET_SHARE = 1e-6  # and at least this share of it (see ``_check_budget``)
# Draws a quantile needs on its far side to be estimated rather than extrapolated: with k draws
# below it, a quantile's Monte Carlo error is about 1/sqrt(k) of the quantile's own level.
QUANTILE_DRAWS = 10


@dataclass
class Allocation:
    """A recommendation: one row per channel, the totals, and what to be careful about."""

    table: pd.DataFrame
    summary: dict
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    """What the optimizer may choose: budget, per-channel bounds, recent spend and its split."""

    budget: float
    lower: np.ndarray
    upper: np.ndarray
    recent: np.ndarray  # spend of each channel over the last `periods` observed periods
    pattern: np.ndarray  # (periods, channels), columns summing to 1


def limits(
    channels: list[str], spend: np.ndarray, request: Optimize, draws: int | None = None
) -> Limits:
    """The request checked against the observed spend (T, C) of ``channels`` and, when given,
    the number of posterior ``draws``: UsageError (exit 2) naming the field. Needs no
    posterior, so ``mmm check`` and ``mmm fit`` run it before sampling for a config's
    ``optimize:`` block."""
    n = request.periods
    rows = len(spend)
    if n > rows:
        raise UsageError(f"periods: {n} is more than the {rows} observed periods")
    if draws is not None and request.quantile is not None:
        check_quantile(request.quantile, draws)
    for key in ("bounds", "spend_bounds"):
        for channel in getattr(request, key):
            if channel not in channels:
                raise UsageError(
                    f"{key}.{channel}: unknown channel (the channels: {', '.join(channels)})"
                )
    last = spend[-n:]
    recent = last.sum(axis=0)
    budget = float(request.budget) if request.budget is not None else float(recent.sum())
    if not budget > 0:
        raise UsageError(f"budget: nothing was spent in the last {n} periods; give a budget")
    _check_budget(budget, spend, n)
    lower, upper = np.zeros(len(recent)), np.full(len(recent), budget)
    given: dict[int, str] = {}
    for channel, (lo, hi) in request.bounds.items():
        j = channels.index(channel)
        given[j] = f"bounds.{channel}"
        if recent[j] <= 0:
            raise UsageError(
                f"bounds.{channel}: the channel spent nothing in the last {n} periods, so "
                f"multiples of its recent spend mean nothing; give spend_bounds instead"
            )
        lower[j] = 0.0 if lo is None else lo * recent[j]
        upper[j] = budget if hi is None else min(hi * recent[j], budget)
    for channel, (lo, hi) in request.spend_bounds.items():
        j = channels.index(channel)
        given[j] = f"spend_bounds.{channel}"
        lower[j] = 0.0 if lo is None else lo
        upper[j] = budget if hi is None else min(hi, budget)
    for j in range(len(channels)):
        if lower[j] > upper[j]:
            raise UsageError(
                f"{given[j]}: its lower bound {amount(lower[j])} is above the budget "
                f"{amount(budget)}"
            )
    if lower.sum() > budget * (1 + 1e-9):
        raise UsageError(
            f"budget: {amount(budget)} is below the sum of the lower bounds ({amount(lower.sum())})"
        )
    if upper.sum() < budget * (1 - 1e-9):
        raise UsageError(
            f"budget: {amount(budget)} is above the sum of the upper bounds ({amount(upper.sum())})"
        )
    if request.pattern == "recent":
        safe = np.where(recent > 0, recent, 1.0)
        pattern = np.where(recent > 0, last / safe, 1.0 / n)
    else:
        pattern = np.full(last.shape, 1.0 / n)
    return Limits(budget, lower, upper, recent, pattern)


def _check_budget(budget: float, spend: np.ndarray, n: int) -> None:
    """UsageError unless ``budget`` is within what the data and the arithmetic support, judged
    against the most the data spent in any ``n`` consecutive periods: at most
    ``BUDGET_MULTIPLE`` times that, and at least ``MIN_BUDGET_SHARE`` of it (below, the
    response of 1% more budget drowns in the rounding of the carry-in it is added to, and every
    marginal CPA reads infinite)."""
    most = float(np.convolve(spend.sum(axis=1), np.ones(n), mode="valid").max())
    span = "one observed period" if n == 1 else f"{n} consecutive observed periods"
    if not budget <= BUDGET_MULTIPLE * most:
        raise UsageError(
            f"budget: {amount(budget)} is more than the data can support: at most "
            f"{amount(BUDGET_MULTIPLE * most)} ({BUDGET_MULTIPLE} x {amount(most)}, the most "
            f"spent in any {span})"
        )
    if budget < MIN_BUDGET_SHARE * most:
        raise UsageError(
            f"budget: {amount(budget)} is too small to compute with: at least "
            f"{amount(MIN_BUDGET_SHARE * most)} (a millionth of {amount(most)}, the most spent "
            f"in any {span})"
        )


def check_quantile(quantile: float, draws: int) -> None:
    """UsageError unless ``QUANTILE_DRAWS`` draws lie beyond ``quantile`` on its far side."""
    floor = QUANTILE_DRAWS / draws
    if floor >= 0.5:
        raise UsageError(
            f"quantile: the run's {draws} posterior draws are too few for any quantile "
            f"(at least {2 * QUANTILE_DRAWS}); optimize the mean instead"
        )
    if not floor <= quantile <= 1 - floor:
        raise UsageError(
            f"quantile: {quantile:g} is finer than the run's {draws:,} posterior draws can "
            f"resolve (it needs {QUANTILE_DRAWS} draws beyond it): between {floor:g} and "
            f"{1 - floor:g}"
        )


def amount(x: float) -> str:
    """A sum of money in a message: ``1,234``, ``12.50`` below 100, and in scientific notation
    once it is too long or too small to read (a bound of 1e300 is not worth 300 digits)."""
    if abs(x) >= 1e15 or 0 < abs(x) < 0.01:
        return f"{x:.4g}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def allocate(model: ResponseModel, request: Optimize, prob: float = 0.94) -> Allocation:
    """The allocation of ``request.budget`` that maximises the objective, with its evidence."""
    lim = limits(model.channels, model.spend, request, model.draws)
    scenario = horizon(model, lim.pattern)
    best, runs = optimise(scenario, lim, request.quantile)
    recent_total = lim.recent.sum()
    baseline = (
        lim.budget * lim.recent / recent_total
        if recent_total > 0
        else np.full(len(lim.recent), lim.budget / len(lim.recent))
    )
    chosen = scenario.response(best)  # (D, C)
    kept = scenario.response(baseline)
    gain = chosen.sum(axis=1) - kept.sum(axis=1)
    extra, spent = scenario.marginal(best, MARGINAL_STEP)
    table = _table(model, lim, best, baseline, chosen, kept, extra, spent, prob)
    warnings = _extrapolation(model, lim, best)
    if not any(r["success"] for r in runs):
        warnings.append(
            "the optimizer did not report convergence from any start; the allocation is the best "
            "point it reached"
        )
    outside = (baseline < lim.lower * (1 - 1e-9)) | (baseline > lim.upper * (1 + 1e-9))
    if outside.any():
        names = ", ".join(c for c, o in zip(model.channels, outside, strict=True) if o)
        warnings.append(
            f"the recent mix at this budget is outside the bounds for {names}: the gain compares "
            f"with a plan the bounds would not allow"
        )
    g_mean, g_low, g_high = credible(gain, prob)
    t_mean, t_low, t_high = credible(chosen.sum(axis=1), prob)
    k_mean, k_low, k_high = credible(kept.sum(axis=1), prob)
    q = request.quantile
    summary = {
        "budget": lim.budget,
        "periods": request.periods,
        "pattern": request.pattern,
        "objective": "mean" if q is None else f"quantile {q:g}",
        "quantile": q,
        "draws": model.draws,
        "starts": len(runs),
        "converged_starts": sum(r["success"] for r in runs),
        "first_period": _next_period(model),
        "response_mean": float(t_mean),
        "response_hdi_low": float(t_low),
        "response_hdi_high": float(t_high),
        "baseline_response_mean": float(k_mean),
        "baseline_response_hdi_low": float(k_low),
        "baseline_response_hdi_high": float(k_high),
        # the objective itself when it was a quantile (Harrell-Davis, as optimised): the mean
        # is not what such a plan is best at, and can read as a loss where it is not one
        "response_quantile": None if q is None else scenario.objective(best, q)[0],
        "baseline_response_quantile": None if q is None else scenario.objective(baseline, q)[0],
        "gain_mean": float(g_mean),
        "gain_hdi_low": float(g_low),
        "gain_hdi_high": float(g_high),
        "gain_probability_positive": float((gain > 0).mean()),
        "hdi_prob": prob,
    }
    return Allocation(table, summary, warnings)


def optimise(
    scenario: Scenario, lim: Limits, quantile: float | None, seed: int = 0
) -> tuple[np.ndarray, list[dict]]:
    """The best budgets found by SLSQP from several starts, and a record of each start."""
    budget = lim.budget
    lo, hi = lim.lower / budget, lim.upper / budget
    recent = lim.recent.sum()
    starts = [
        lim.recent / recent if recent > 0 else np.full(len(lo), 1 / len(lo)),
        np.full(len(lo), 1 / len(lo)),
        (lo + hi) / 2,
    ]
    rng = np.random.default_rng(seed)
    starts += list(rng.dirichlet(np.ones(len(lo)), size=RANDOM_STARTS))
    starts = [_project(s, lo, hi) for s in starts]
    value0, _ = scenario.objective(starts[0] * budget, quantile)
    norm = abs(value0) if value0 != 0 else 1.0

    def f(u: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = scenario.objective(np.clip(u, lo, hi) * budget, quantile)
        return -value / norm, -grad * budget / norm

    constraint = {"type": "eq", "fun": lambda u: u.sum() - 1.0, "jac": lambda u: np.ones_like(u)}
    runs, best, best_value = [], starts[0], -np.inf
    for start in starts:
        if len(lo) == 1:
            u = start
            ok = True
        else:
            res = minimize(
                f,
                start,
                jac=True,
                method="SLSQP",
                bounds=list(zip(lo, hi, strict=True)),
                constraints=[constraint],
                options={"ftol": 1e-12, "maxiter": 500},
            )
            u, ok = _project(res.x, lo, hi), bool(res.success)
        u = _snap(u, lo, hi)
        value, _ = scenario.objective(u * budget, quantile)
        runs.append({"value": value, "success": ok and bool(np.isfinite(value))})
        if value > best_value:
            best, best_value = u, value
    return best * budget, runs


def _snap(u: np.ndarray, lo: np.ndarray, hi: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Shares within ``tol`` of a bound put on it (SLSQP leaves 1e-13 where it means 0, and a
    marginal return at 1e-13 of the budget is rounding noise); the difference goes to the
    largest share strictly inside its bounds, so the budget is still spent exactly."""
    u = np.where(u - lo < tol, lo, np.where(hi - u < tol, hi, u))
    inside = np.flatnonzero((u > lo) & (u < hi))
    if len(inside):
        k = inside[np.argmax(u[inside])]
        u[k] = np.clip(u[k] + 1.0 - u.sum(), lo[k], hi[k])
    return u


def _project(u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The point of ``{lo <= u <= hi, sum(u) = 1}`` reached by shifting ``u`` evenly (bisection)."""
    a, b = -1.0 - np.abs(u).max(), 1.0 + np.abs(u).max()
    for _ in range(100):
        mid = (a + b) / 2
        if np.clip(u + mid, lo, hi).sum() > 1:
            b = mid
        else:
            a = mid
    return np.clip(u + (a + b) / 2, lo, hi)


def _table(
    model: ResponseModel,
    lim: Limits,
    best: np.ndarray,
    baseline: np.ndarray,
    chosen: np.ndarray,
    kept: np.ndarray,
    extra: np.ndarray,
    spent: np.ndarray,
    prob: float,
) -> pd.DataFrame:
    rows = []
    mean, low, high = credible(chosen, prob)
    for j, channel in enumerate(model.channels):
        row = {
            "channel": channel,
            "recent_spend": float(lim.recent[j]),
            "recommended_spend": float(best[j]),
            "change": float(best[j] - lim.recent[j]),
            "change_pct": float(100 * (best[j] / lim.recent[j] - 1)) if lim.recent[j] else None,
            "baseline_spend": float(baseline[j]),
            "lower_bound": float(lim.lower[j]),
            "upper_bound": float(lim.upper[j]),
            "response_mean": float(mean[j]),
            "response_hdi_low": float(low[j]),
            "response_hdi_high": float(high[j]),
            "baseline_response_mean": float(kept[:, j].mean()),
        }
        row.update(marginal_summary(model.kind, extra[:, j], float(spent[j]), prob))
        rows.append(row)
    return pd.DataFrame(rows)


def marginal_summary(kind: str, extra: np.ndarray, spent: float, prob: float) -> dict:
    """``mroas_mean/_hdi_low/_hdi_high`` (revenue) or ``mcpa_*`` (conversions) of draws of the
    extra response bought by ``spent`` more spend; the interval always holds the mean
    (``intervals``)."""

    def interval(x: np.ndarray) -> tuple[float, float]:
        low, high = hdi(x, prob)
        return float(low), float(high)

    out = holding_mean(efficiency.summary(kind, extra, spent, interval), efficiency.metric(kind))
    return {f"m{k}": v for k, v in out.items()}


def _next_period(model: ResponseModel) -> str | None:
    try:
        last = pd.Timestamp(model.dates[-1])
        return str((last + pd.tseries.frequencies.to_offset(model.freq)).date())
    except (ValueError, TypeError):
        return None


def _extrapolation(model: ResponseModel, lim: Limits, best: np.ndarray) -> list[str]:
    """A warning per channel whose plan goes beyond the highest observed spend per period: the
    curve there is the fitted shape carried past the data, not something the data showed."""
    out = []
    peak = model.spend.max(axis=0)
    for j, channel in enumerate(model.channels):
        planned = float((best[j] * lim.pattern[:, j]).max())
        if peak[j] > 0 and planned > 1.2 * peak[j]:
            out.append(
                f"{channel}: the plan spends up to {planned:,.0f} in a period, "
                f"{planned / peak[j]:.1f}x the most ever observed ({peak[j]:,.0f}); the response "
                f"there is the curve's shape extrapolated, not something the data showed"
            )
    return out
