"""What a run says in words, made from its tables and JSON files alone: the warnings a fit ends
with, the gate's verdict, why a fit failed. Said on the console after a fit and again by the
run's report, so nothing here needs the modelling stack, only what the run folder holds."""

from __future__ import annotations

import pandas as pd


def run_warnings(
    calibration: pd.DataFrame | None, conflicts: pd.DataFrame | None, loo: dict | None
) -> list[str]:
    """Every warning about a fitted run: experiments the posterior disagrees with, priors the
    data contradict, periods where LOO is unreliable."""
    lines = calibration_warnings(calibration)
    lines += conflict_lines(conflicts) if conflicts is not None else []
    unreliable = loo_warning(loo)
    return lines + ([unreliable] if unreliable else [])


def calibration_warnings(table: pd.DataFrame | None, limit: float = 3.0) -> list[str]:
    """A line per source whose experiments the posterior disagrees with (|z| > limit)."""
    if table is None or table.empty:
        return []
    out = []
    for (source, channel), rows in table.groupby(["source", "channel"], sort=False):
        bad = rows[rows["z"].abs() > limit]
        if len(bad):
            worst = bad.loc[bad["z"].abs().idxmax()]
            out.append(
                f"{source} ({channel}): the model disagrees with {len(bad)} of {len(rows)} "
                f"observations by more than {limit:g} combined sd (worst z = {worst['z']:.1f} at "
                f"{worst['date_or_window']}); see calibration.csv"
            )
    return out


def conflict_lines(table: pd.DataFrame) -> list[str]:
    """A line per flagged parameter, for the end of the run."""
    say = {
        "at_lower": "piles at the lower bound: the data want less than the bounds allow",
        "at_upper": "piles at the upper bound: the data want more than the bounds allow",
        "outside": "has left the bounds: the data contradict them",
    }
    return [
        f"prior conflict: {r.parameter} {say[r.flag]} (posterior mean {r.posterior_mean:.4g}, "
        f"{r.posterior_mass_inside:.0%} inside [{r.lower:g}, {r.upper:g}]); see prior_conflict.csv"
        for r in table.itertuples()
        if r.flag != "ok"
    ]


def loo_warning(summary: dict | None) -> str | None:
    """One line when some periods' LOO estimates are unreliable (Pareto k above threshold)."""
    if not summary or not summary.get("pareto_k_above"):
        return None
    threshold = summary.get("pareto_k_threshold")
    above = f"{threshold:.2f}" if isinstance(threshold, int | float) else "its threshold"
    return (
        f"ELPD-LOO: {summary['pareto_k_above']} of {summary.get('n')} periods have Pareto k "
        f"above {above} (loo.csv): influential periods, where the LOO estimate is unreliable; "
        f"compare ELPD between runs with care"
    )


# What each check means when it holds and when it does not (the report's verdict in words).
_MEANING = {
    "r_hat": ("the chains agree", "the chains disagree about the posterior"),
    "ess_bulk": (
        "enough effective draws for stable intervals",
        "too few effective draws for stable intervals",
    ),
    "divergences": (
        "the sampler explored the posterior without trouble",
        "the sampler hit regions it could not explore, so intervals may be biased",
    ),
}


def check_phrases(diag: dict) -> list[tuple[str, bool, str]]:
    """(check, passed, sentence) for each check of the gate, e.g. ``max r_hat 1.041 > 1.01:
    the chains disagree about the posterior``."""
    out = []
    for name, check in diag.get("checks", {}).items():
        value, threshold, ok = check.get("value"), check.get("threshold"), bool(check["passed"])
        if name == "r_hat":
            shown = "n/a (one chain)" if value is None else f"{value:.3f}"
            figure = f"max r_hat {shown} {'≤' if ok else '>'} {threshold:g}"
        elif name == "ess_bulk":
            shown = "n/a" if value is None else f"{value:,.0f}"
            figure = f"min ESS bulk {shown} {'≥' if ok else '<'} {threshold:,.0f}"
        else:
            figure = f"{value} divergent transitions {'≤' if ok else '>'} {threshold}"
        good, bad = _MEANING.get(name, ("", ""))
        out.append((name, ok, f"{figure}: {good if ok else bad}"))
    return out


def verdict(diag: dict) -> str:
    """The gate's verdict in a sentence a reader of the report acts on."""
    status = diag.get("status")
    phrases = check_phrases(diag)
    if status == "unchecked":
        failing = [p for _, ok, p in phrases if not ok]
        tail = f" Against the gate it would have failed: {'; '.join(failing)}." if failing else ""
        return (
            "Not checked (--quick): a smoke run whose figures are not results; fit without "
            f"--quick before acting on them.{tail}"
        )
    if status == "failed":
        failing = [p for _, ok, p in phrases if not ok]
        return (
            f"Failed: {'; '.join(failing)}. The results are written for diagnosis but must not "
            "be used for decisions."
        )
    return f"Passed: every check held ({'; '.join(p for _, _, p in phrases)})."


def failure_reasons(diag: dict) -> list[str]:
    """Why a fit failed its checks, a line each (``diag``: diagnostics.json with a diagnosis):
    the worst parameters by r_hat and ESS, then where the divergences concentrate."""
    found = diag.get("diagnosis") or {}
    why = []
    for key, label, spec in (
        ("worst_r_hat", "r_hat above {:g}", ".3f"),
        ("lowest_ess", "ESS bulk below {:g}", ".0f"),
    ):
        items = found.get(key) or []
        if items:
            values = ", ".join(f"{d['parameter']} {d['value']:{spec}}" for d in items)
            why.append(f"{label.format(items[0]['threshold'])}: {values}")
    why += [d["text"] for d in found.get("divergences") or []]
    if "divergences" in diag.get("failed", []) and not found.get("divergences"):
        why.append(
            f"{diag['divergences']} divergent transitions (at most "
            f"{diag['thresholds']['max_divergences']}), concentrated in no parameter's tail"
        )
    return why


def allocation_missing(status: str) -> str:
    """Why a run whose config asks for an allocation has none."""
    why = "was not checked (--quick)" if status == "unchecked" else "failed its checks"
    return f"no allocation: the fit {why}; optimize.allow_failed: true allocates anyway"


def retry_line(attempts: list[dict] | None) -> str | None:
    """What the retry policy did, in one line (``attempts``: the manifest's), or None when the
    fit was sampled once: ``retried once: 1 divergence at target_accept 0.9; passed at 0.97``."""
    if not attempts or len(attempts) < 2:
        return None
    first, last = attempts[0], attempts[-1]
    before = _target(first)
    times = "once" if len(attempts) == 2 else f"{len(attempts) - 1} times"
    said = f"retried {times}: {_count(first.get('divergences'))} at target_accept {before}"
    if last.get("status") == "passed":
        return f"{said}; passed at {_target(last)}"
    return f"{said}; failed again at {_target(last)} ({_failures(last)})"


def _target(attempt: dict) -> str:
    value = (attempt.get("settings") or {}).get("target_accept")
    return f"{value:g}" if isinstance(value, int | float) else "?"


def _failures(attempt: dict) -> str:
    """The checks an attempt failed, with its figures: ``2 divergences, max r_hat 1.021``."""
    out = []
    for check in attempt.get("failed") or []:
        if check == "divergences":
            out.append(_count(attempt.get("divergences")))
        elif check == "r_hat":
            value = attempt.get("max_r_hat")
            out.append("max r_hat n/a" if value is None else f"max r_hat {value:.3f}")
        elif check == "ess_bulk":
            out.append(f"min ESS bulk {attempt.get('min_ess_bulk') or 0:.0f}")
        else:
            out.append(str(check))
    return ", ".join(out) or "failed"


def _count(n: object) -> str:
    return f"{n} divergence{'' if n == 1 else 's'}"
