"""Why a fit failed its convergence gate, and what to do about it.

The gate (``diagnostics.diagnose``) says *that* r_hat, ESS or divergences failed; a user needs
*where* and *what next*. Three pure readings of the trace answer where: the parameters with the
worst r_hat and the lowest ESS (free parameters, vectors by element, labelled as in
``posterior_summary.csv``), and the parameters whose values in divergent draws sit in one tail of
their posterior (divergences mark the region the sampler cannot traverse, so a parameter pinned
to its tail there is the one whose geometry is at fault). The advice then ties those to causes:
the data screening of ``inputs.screening`` (correlated, flat, sparse or small channels, too many
parameters; the same findings ``mmm check`` warns about), the role of a parameter in the model
(a saturation, adstock or random-walk parameter calls for a different remedy than a coefficient),
and the sampler settings (too few draws or tuning steps). A generic remedy (raise
``target_accept``, sample longer) is offered only when nothing specific applies.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..inputs.screening import Finding
from ..spec import names
from ..spec.config import Config

TOP = 3  # parameters named per failed check
TAIL = 0.1  # a divergence is "in a tail" when its value is in the parameter's lowest/highest 10%
MIN_SHARE = 0.3  # named when at least 30% of divergent draws fall in one tail (3x chance)
FAMILY_ALPHA = 0.05  # ... and that many would happen by chance with probability < 5% overall
MAX_CONCENTRATED = 5
TUNE_ENOUGH = 500  # fewer tuning steps than this is "short"
MIN_EFFICIENCY = 0.05  # ESS per draw below this: more draws alone is not the remedy
SAMPLE_DIMS = ("chain", "draw")


def explain_failure(
    summary: pd.DataFrame,
    idata: Any,
    diag: dict,
    cfg: Config,
    settings: Mapping[str, Any],
    findings: Sequence[Finding],
) -> dict:
    """The ``diagnosis`` object of a failed fit's ``diagnostics.json``."""
    thresholds = diag["thresholds"]
    r_hat = worst(summary, "r_hat", thresholds["max_r_hat"], highest=True)
    ess = worst(summary, "ess_bulk", thresholds["min_ess_bulk"], highest=False)
    concentrated = concentrated_divergences(idata)
    return {
        "worst_r_hat": r_hat,
        "lowest_ess": ess,
        "divergences": concentrated,
        "data": [f.to_json() for f in findings],
        "advice": advice(diag, r_hat, ess, concentrated, cfg, settings, findings),
    }


# ---------------------------------------------------------------- where


def worst(summary: pd.DataFrame, column: str, threshold: float, highest: bool) -> list[dict]:
    """The ``TOP`` parameters beyond ``threshold`` in ``column``, worst first (NaN ignored:
    constants have no r_hat)."""
    values = summary[column].astype(float)
    values = values[np.isfinite(values)]
    beyond = values[values > threshold] if highest else values[values < threshold]
    ordered = beyond.sort_values(ascending=not highest).head(TOP)
    return [
        {"parameter": str(name), "value": float(v), "threshold": float(threshold)}
        for name, v in ordered.items()
    ]


def elements(posterior: Any) -> Iterator[tuple[str, np.ndarray]]:
    """Each scalar element of each posterior variable as (label, draws of shape chain x draw).

    Labels follow ArviZ's summary (``seasonality_coef[sin1]``), so a name in the diagnosis is a
    row of ``posterior_summary.csv``.
    """
    ds = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    for name, da in ds.data_vars.items():
        if not np.issubdtype(da.dtype, np.number) or not set(SAMPLE_DIMS) <= set(da.dims):
            continue
        extra = [d for d in da.dims if d not in SAMPLE_DIMS]
        values = np.asarray(da.transpose(*SAMPLE_DIMS, *extra))
        if not extra:
            yield str(name), values
            continue
        coords = [np.asarray(da[d]) if d in da.coords else np.arange(da.sizes[d]) for d in extra]
        for index in np.ndindex(*values.shape[2:]):
            label = ", ".join(str(c[i]) for c, i in zip(coords, index, strict=True))
            yield f"{name}[{label}]", values[(slice(None), slice(None), *index)]


def concentrated_divergences(idata: Any) -> list[dict]:
    """:func:`divergence_concentration` of a trace (posterior and ``sample_stats``): what both
    the diagnosis and the near-miss rule (``nearmiss``) read."""
    diverging = np.asarray(idata["sample_stats"]["diverging"].transpose(*SAMPLE_DIMS))
    return divergence_concentration(idata["posterior"], diverging)


def divergence_concentration(
    posterior: Any, diverging: np.ndarray, tail: float = TAIL, min_share: float = MIN_SHARE
) -> list[dict]:
    """Parameters whose divergent draws crowd into their lowest or highest ``tail``.

    Each draw's value is ranked within the parameter's whole posterior (all chains: ranks are
    the same on the sampler's unconstrained scale as on the parameter's own); without a
    link between the parameter and the divergences, a share ``tail`` of the divergent draws would
    fall in each tail. A parameter is named when at least ``min_share`` of them do and a binomial
    test, Bonferroni-corrected over every element and both tails, puts the chance of that below
    ``FAMILY_ALPHA``. (Divergent draws cluster in time, so the test is generous; the share
    threshold keeps weak clusters out.) Strongest first, at most ``MAX_CONCENTRATED``.
    """
    div = np.asarray(diverging, dtype=bool).ravel()
    n, k = div.size, int(div.sum())
    if k == 0 or k == n:
        return []
    drawn = list(elements(posterior))
    cutoff = FAMILY_ALPHA / (2 * max(len(drawn), 1))
    found = []
    for label, values in drawn:
        flat = np.asarray(values, dtype=float).ravel()
        if flat.size != n or not np.isfinite(flat).all() or np.ptp(flat) == 0:
            continue
        quantile = (stats.rankdata(flat) - 0.5) / n
        for side, in_tail in (("low", quantile < tail), ("high", quantile > 1 - tail)):
            hits = int((in_tail & div).sum())
            share = hits / k
            p = float(stats.binom.sf(hits - 1, k, tail))
            if share >= min_share and p < cutoff:
                found.append(
                    {
                        "parameter": label,
                        "tail": side,
                        "divergent_in_tail": hits,
                        "divergent": k,
                        "share": share,
                        "expected_share": tail,
                        "p_value": p,
                        "text": (
                            f"divergences concentrate where {label} is in its "
                            f"{'lowest' if side == 'low' else 'highest'} {tail:.0%} "
                            f"({hits} of {k} divergent draws)"
                        ),
                    }
                )
    found.sort(key=lambda d: (-d["share"], d["p_value"]))
    return found[:MAX_CONCENTRATED]


# ---------------------------------------------------------------- what to do


def role(parameter: str, cfg: Config) -> tuple[str | None, str]:
    """(channel or None, role) of a parameter label: saturation, adstock, walk, coefficient
    (a channel's coefficient, ROAS or CPA) or other."""
    base = parameter.split("[", 1)[0]
    walk = (names.grw_sigma(""), names.grw_step(""))
    for channel in sorted(cfg.channels, key=len, reverse=True):  # "tv_local" before "tv"
        for block, _, p in cfg.channels[channel].transform_params():
            if base == names.transform_param(channel, p.name):
                return channel, block
        if base.startswith(f"{channel}_"):
            return channel, "walk" if base.endswith(walk) else "coefficient"
    return None, "walk" if base.endswith(walk) else "other"


def advice(
    diag: dict,
    r_hat: list[dict],
    ess: list[dict],
    concentrated: list[dict],
    cfg: Config,
    settings: Mapping[str, Any],
    findings: Sequence[Finding],
) -> list[str]:
    """What to change, most specific first; each line one action tied to what was found."""
    failed = set(diag.get("failed", []))
    out = [_divergence_advice(d, cfg) for d in concentrated]
    out += _mixing_advice([*r_hat[:1], *ess[:1]], cfg)
    out += [f.message for f in _relevant_first(findings, [*r_hat, *ess, *concentrated], cfg)]
    out += _sampler_advice(diag, failed, settings)
    if "divergences" in failed and not concentrated:
        target = float(settings.get("target_accept", cfg.sampler.target_accept))
        out.append(
            f"{diag['divergences']} divergent transitions, in no parameter's tail: raise "
            f"sampler.target_accept from {target:g} to {_higher(target):g} (smaller steps, "
            f"slower sampling)"
            if target < 0.99
            else f"{diag['divergences']} divergent transitions even at target_accept "
            f"{target:g}: give the parameters tighter priors (bounds) or simplify the model"
        )
    if not out and failed & {"r_hat", "ess_bulk"}:
        named = ", ".join(dict.fromkeys(d["parameter"] for d in [*r_hat, *ess]))
        out.append(
            f"the chains have not settled{f' on {named}' if named else ''}: sample longer (more "
            f"--tune and --draws), and if that does not help give the parameters named tighter "
            f"priors (bounds); prior_conflict.csv shows whether the data inform them"
        )
    return list(dict.fromkeys(out))


def _divergence_advice(found: dict, cfg: Config) -> str:
    label, side = found["parameter"], found["tail"]
    channel, kind = role(label, cfg)
    where = f"divergences concentrate where {label} is {'small' if side == 'low' else 'large'}"
    if kind == "saturation" and channel is not None:
        curve = cfg.channels[channel].saturation.type
        return (
            f"{where}: {label} is {channel}'s {curve} saturation parameter; give it a tighter "
            f"prior (bounds) or use a simpler curve (`saturation: {_simpler(curve)}`)"
        )
    if kind == "adstock" and channel is not None:
        return (
            f"{where}: {label} is {channel}'s adstock parameter; give it a tighter prior "
            f"(bounds) or hold it fixed (a number in the config)"
        )
    if kind == "walk":
        walked = _walked(label)
        return f"{where}: the random walk of {walked} {_WALK.format(walked)}"
    base = label.split("[", 1)[0]
    if channel is not None and base == names.coefficient(channel):
        return f"{where}: give {channel}'s coefficient bounds or a ROAS/CPA prior"
    if channel is not None and base in (names.roas(channel), names.cpa(channel)):
        what = "ROAS" if base == names.roas(channel) else "CPA"
        return (
            f"{where}: give {channel}'s {what} prior the bounds you know (`{what.lower()}: "
            f"{{bounds: ...}}`) or calibrate it with a lift test"
        )
    if base == names.INTERCEPT:  # only free with an explicit prior
        return (
            f"{where}: the intercept trades off against the media's level; drop `intercept:` "
            f"from the config (the default derives it from the data's mean) or give it "
            f"tighter bounds"
        )
    return f"{where}: give {base} a tighter prior (bounds)"


def _mixing_advice(named: list[dict], cfg: Config) -> list[str]:
    """For the worst-mixing parameters: the remedy their role in the model calls for.

    A saturation or adstock parameter that mixes worst is one the data barely inform (its
    curve can bend many ways for the same fit); a random walk's step size that mixes worst is
    the walk's funnel. A coefficient gets no line here: the data findings say why it is loose.
    """
    out = []
    for base in dict.fromkeys(d["parameter"].split("[", 1)[0] for d in named):
        channel, kind = role(base, cfg)
        if kind == "saturation" and channel is not None:
            curve = cfg.channels[channel].saturation.type
            out.append(
                f"{base} ({channel}'s {curve} saturation) mixes worst: the data barely inform "
                f"the curve's shape; give it a tighter prior (bounds) or use a simpler curve "
                f"(`saturation: {_simpler(curve)}`)"
            )
        elif kind == "adstock" and channel is not None:
            out.append(
                f"{base} ({channel}'s adstock) mixes worst: the data barely inform the carry-over; "
                f"give it a tighter prior (bounds) or hold it fixed (a number in the config)"
            )
        elif kind == "walk":
            walked = _walked(base)
            out.append(f"the random walk of {walked} mixes worst: it {_WALK.format(walked)}")
    return out


_WALK = (
    "funnels where its step size nears zero; give {0}'s "
    "`time_varying.sigma` a Gamma prior with a larger alpha (it keeps away from zero), or drop "
    "`time_varying`"
)


def _walked(parameter: str) -> str:
    """The time-varying variable of a walk parameter: ``tv_coef_grw_sigma`` -> ``tv_coef``."""
    base = parameter.split("[", 1)[0]
    return base.removesuffix(names.grw_sigma("")).removesuffix(names.grw_step(""))


def _simpler(curve: str) -> str:
    return "none" if curve == "michaelis_menten" else "michaelis_menten` or `none"


def _relevant_first(findings: Sequence[Finding], named: list[dict], cfg: Config) -> list[Finding]:
    """Findings about channels whose parameters failed come first (stable otherwise)."""
    involved = {role(d["parameter"], cfg)[0] for d in named} - {None}
    return sorted(findings, key=lambda f: not (set(f.channels) & involved or not f.channels))


def _sampler_advice(diag: dict, failed: set[str], settings: Mapping[str, Any]) -> list[str]:
    """More draws or tuning, when the numbers say that is what is missing."""
    chains, draws = int(settings.get("chains", 1)), int(settings.get("draws", 0))
    tune = int(settings.get("tune", 0))
    out = []
    if "r_hat" in failed and diag.get("max_r_hat") is None:
        out.append(f"r_hat needs at least 2 chains to compare ({chains} ran): use --chains 4")
    elif "r_hat" in failed and tune < TUNE_ENOUGH:
        out.append(
            f"only {tune} tuning steps per chain: the chains may not have reached the posterior "
            f"yet; raise --tune (e.g. 1000)"
        )
    ess, target = diag.get("min_ess_bulk"), diag["thresholds"]["min_ess_bulk"]
    if "ess_bulk" in failed and ess and draws:
        efficiency = ess / (chains * draws)
        needed = math.ceil(draws * target / ess * 1.2 / 100) * 100
        if efficiency >= MIN_EFFICIENCY:
            out.append(
                f"ESS bulk {ess:.0f} from {chains} x {draws} draws is short of {target:g}: "
                f"raise --draws to about {needed} (ESS grows in proportion to draws)"
            )
        else:
            out.append(
                f"ESS bulk {ess:.0f} from {chains} x {draws} draws ({efficiency:.1%} per "
                f"draw): the sampler is struggling, not just short; more draws (about {needed}) "
                f"would be slow, so look first at the parameters named above"
            )
    return out


def _higher(target: float) -> float:
    return 0.95 if target < 0.95 else 0.99
