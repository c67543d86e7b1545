"""Bounds: solve ``{lower, upper, mass}`` into a family's parameters.

Bounds on two-parameter families are solved as PyMC's ``find_constrained_prior`` does (equal
tails: ``(1 - mass) / 2`` below ``lower`` and above ``upper``), with SciPy and a fixed start, so
the answer is deterministic; one-parameter families are solved by the mass alone (the widest
solution). A family that cannot reach the mass within 0.01 is refused before sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, stats

from ..errors import PriorError
from ..spec.config import Bounds
from ..spec.families import FAMILIES, Family
from .families import frozen, support

MASS_TOLERANCE = 0.01
BOUNDS_FAMILIES = (
    "Gamma",
    "LogNormal",
    "Normal",
    "Beta",
    "Laplace",
    "StudentT",
    "HalfNormal",
    "Exponential",
    "HalfStudentT",
)


# ---------------------------------------------------------------- bounds solving


def solve_bounds(
    bounds: Bounds, domain: str = "real", key: str = ""
) -> tuple[str, dict[str, float], float]:
    """Solve ``bounds`` into (family, parameters, achieved mass); raise PriorError if impossible."""
    name = bounds.dist or {"positive": "Gamma", "unit": "Beta"}.get(domain, "Normal")
    where = f"{key}: " if key else ""
    if name not in BOUNDS_FAMILIES:
        raise PriorError(
            f"{where}bounds cannot be solved for {name}; use one of {', '.join(BOUNDS_FAMILIES)}"
        )
    fam = FAMILIES[name]
    lo_support, hi_support = support(fam.name, {p: 1.0 for p in fam.params})
    if bounds.lower < lo_support or bounds.upper > hi_support:
        raise PriorError(
            f"{where}[{bounds.lower:g}, {bounds.upper:g}] leaves the support of {name} "
            f"({lo_support:g}, {hi_support:g})"
        )
    free = [p for p in fam.params if p not in fam.solve_fixed]
    if len(free) > 1 and (bounds.lower <= lo_support or bounds.upper >= hi_support):
        raise PriorError(
            f"{where}bounds [{bounds.lower:g}, {bounds.upper:g}] touch the edge of {name}'s "
            f"support, so no mass can lie beyond them; move the bound inside the support, "
            f"or use a one-parameter family (HalfNormal, Exponential)"
        )
    try:
        with np.errstate(all="ignore"):
            if len(free) == 1:
                best_params, best = _max_mass(fam, bounds, free)
                params = _solve_one(fam, bounds, free[0], best_params, best)
            else:
                params = _solve_two(fam, bounds, free)
            achieved = _mass(fam, params, bounds)
    except (ArithmeticError, ValueError) as exc:
        raise PriorError(_out_of_range(where, name, bounds, exc)) from None
    if not (np.isfinite(achieved) and all(np.isfinite(v) for v in params.values())):
        raise PriorError(_out_of_range(where, name, bounds, None))
    if abs(achieved - bounds.mass) > MASS_TOLERANCE and len(free) > 1:
        raise PriorError(
            f"{where}no {name} found with {bounds.mass:.0%} of its mass in "
            f"[{bounds.lower:g}, {bounds.upper:g}] and equal tails (best: {achieved:.1%} with "
            f"{format_params(params)}); try LogNormal, or narrower bounds"
        )
    if abs(achieved - bounds.mass) > MASS_TOLERANCE:
        raise PriorError(
            f"{where}a {name} cannot put {bounds.mass:.0%} of its mass in "
            f"[{bounds.lower:g}, {bounds.upper:g}]: at most {best:.1%} "
            f"({format_params(best_params)}); use Gamma or LogNormal for a positive quantity, "
            f"or widen the bounds"
        )
    return name, params, achieved


def _out_of_range(where: str, name: str, bounds: Bounds, exc: Exception | None) -> str:
    detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    return (
        f"{where}cannot solve a {name} for [{bounds.lower:g}, {bounds.upper:g}]: the numbers are "
        f"out of the solver's range{detail}; express the quantity in other units, or use "
        f"LogNormal (solved exactly)"
    )


def _mass(fam: Family, params: dict[str, float], bounds: Bounds) -> float:
    d = frozen(fam.name, params)
    return float(d.cdf(bounds.upper) - d.cdf(bounds.lower))


def _to_params(fam: Family, free: list[str], z: Sequence[float] | np.ndarray) -> dict[str, float]:
    params = dict(fam.solve_fixed)
    for name, value in zip(free, z, strict=True):
        params[name] = float(np.exp(value)) if name in fam.positive else float(value)
    return params


def _start(fam: Family, bounds: Bounds, free: list[str]) -> np.ndarray:
    """A deterministic start: match the interval's midpoint and width."""
    lo, hi = bounds.lower, bounds.upper
    mid, width = (lo + hi) / 2, (hi - lo) / 4
    guesses = {
        "Gamma": {"alpha": (mid / width) ** 2, "beta": mid / width**2},
        "LogNormal": {"mu": np.log(max(mid, 1e-12)), "sigma": 0.5},
        "Beta": {"alpha": 2.0, "beta": 2.0},
    }.get(fam.name, {"mu": mid, "sigma": width, "b": width})
    return np.array(
        [np.log(guesses[p]) if p in fam.positive else guesses[p] for p in free], dtype=float
    )


def _solve_two(fam: Family, bounds: Bounds, free: list[str]) -> dict[str, float]:
    """Equal tails: closed form for location-scale and log families, else least squares."""
    lo, hi, tail = bounds.lower, bounds.upper, (1 - bounds.mass) / 2
    exact = _closed_form(fam, lo, hi, bounds.mass)
    if exact is not None:
        return {**fam.solve_fixed, **exact}

    def residual(z: np.ndarray) -> list[float]:
        d = frozen(fam.name, _to_params(fam, free, z))
        return [d.cdf(lo) - tail, d.cdf(hi) - (1 - tail)]

    best: Any = None
    for start in _starts(fam, bounds, free):
        sol = optimize.least_squares(residual, start, xtol=1e-14, ftol=1e-14, gtol=1e-14)
        if best is None or sol.cost < best.cost:
            best = sol
        if best.cost < 1e-20:
            break
    return _to_params(fam, free, best.x)


def _closed_form(fam: Family, lo: float, hi: float, mass: float) -> dict[str, float] | None:
    q = (1 + mass) / 2
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    if fam.name == "Normal":
        return {"mu": mid, "sigma": half / stats.norm.ppf(q)}
    if fam.name == "LogNormal":
        return {
            "mu": (np.log(lo) + np.log(hi)) / 2,
            "sigma": (np.log(hi) - np.log(lo)) / 2 / stats.norm.ppf(q),
        }
    if fam.name == "Laplace":
        return {"mu": mid, "b": half / -np.log(1 - mass)}
    if fam.name == "StudentT":
        nu = fam.solve_fixed["nu"]
        return {"mu": mid, "sigma": half / stats.t.ppf(q, nu)}
    return None


def _starts(fam: Family, bounds: Bounds, free: list[str]) -> list[np.ndarray]:
    """Deterministic starting points: moments of the LogNormal with the same interval, etc."""
    starts = [_start(fam, bounds, free)]
    if fam.name == "Gamma" and bounds.lower > 0:
        ln = _closed_form(FAMILIES["LogNormal"], bounds.lower, bounds.upper, bounds.mass)
        assert ln is not None
        m = np.exp(ln["mu"] + ln["sigma"] ** 2 / 2)
        var = (np.exp(ln["sigma"] ** 2) - 1) * m**2
        starts.insert(0, np.log([m**2 / var, m / var]))
    if fam.name == "Beta":
        mid = (bounds.lower + bounds.upper) / 2
        for k in (4.0, 20.0, 100.0):
            starts.append(np.log([mid * k, (1 - mid) * k]))
    return starts


def _solve_one(
    fam: Family, bounds: Bounds, name: str, best_params: dict[str, float], best: float
) -> dict[str, float]:
    """The largest scale whose mass in [lower, upper] equals the target (the widest prior);
    ``best_params`` hold the most mass the family can reach, ``best``."""
    if best < bounds.mass:
        return best_params
    z_best = np.log(best_params[name])

    def gap(z: float) -> float:
        return _mass(fam, _to_params(fam, [name], [z]), bounds) - bounds.mass

    # mass falls from its maximum as the scale parameter moves towards a wider prior
    wider = 1.0 if name in ("sigma",) else -1.0  # Exponential's lam: smaller is wider
    far = z_best
    for _ in range(200):
        far += wider * 0.5
        if gap(far) < 0:
            break
    z = optimize.brentq(gap, min(z_best, far), max(z_best, far), xtol=1e-14)
    return _to_params(fam, [name], [z])


def _max_mass(fam: Family, bounds: Bounds, free: list[str]) -> tuple[dict[str, float], float]:
    """The most mass the family can put in [lower, upper] (one free parameter searched)."""
    if len(free) != 1:
        params = _solve_two(fam, bounds, free)
        return params, _mass(fam, params, bounds)
    scale = max(abs(bounds.upper), abs(bounds.lower), 1e-12)
    grid = np.log(scale) + np.linspace(-12, 12, 481)
    if free[0] == "lam":
        grid = -grid
    masses = [_mass(fam, _to_params(fam, free, [z]), bounds) for z in grid]
    i = int(np.argmax(masses))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(
        lambda z: -_mass(fam, _to_params(fam, free, [z]), bounds),
        bounds=(min(lo, hi), max(lo, hi)),
        method="bounded",
        options={"xatol": 1e-12},
    )
    params = _to_params(fam, free, [res.x])
    return params, _mass(fam, params, bounds)


def format_params(params: dict[str, Any]) -> str:
    """``mu=0, sigma=1``; a vector parameter as ``mu=[0.1, -0.2]``."""

    def one(v: Any) -> str:
        if np.ndim(v) == 0:
            return f"{float(v):.6g}"
        return "[" + ", ".join(f"{float(x):.6g}" for x in np.ravel(v)) + "]"

    return ", ".join(f"{k}={one(v)}" for k, v in params.items())
