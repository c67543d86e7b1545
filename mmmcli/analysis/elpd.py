"""ELPD-LOO of two runs of the same observations: their difference, and whether it means anything.

Two fits of one config differ in ELPD-LOO by Monte Carlo noise alone (measured: the example
config at six seeds of ``--quick`` ranged over 1.8, sd 0.67), and the paired standard error of the
difference does not see that noise: it measures how the pointwise differences vary over the
periods, not how the whole estimate moves when the draws change. So a run is said to predict
better only when the difference is

- at least ``SMALL`` (4) in absolute value: below that, differences are small and the normal
  approximation behind their standard error is poorly calibrated (Sivula, Magnusson, Matamoros
  and Vehtari 2022, "Uncertainty in Bayesian leave-one-out cross-validation based model
  comparison"; the loo package's FAQ says the same);
- more than ``Z`` (2) times its standard error, the paired one over the periods;
- more than ``Z`` times the Monte Carlo error of the two estimates together,
  ``sqrt(mcse_run**2 + mcse_baseline**2)``;

and never when the two runs fit the same model (the same resolved config apart from sampler,
checks and outputs, and the same data file): then any difference is Monte Carlo noise.

ArviZ 1.x (``arviz_stats.loo``) gives no Monte Carlo error for ELPD-LOO, and the per-draw
log-likelihood it would need is not kept in a run folder, so it is derived from what the run
records: ``mcse = sqrt(p_loo / ess)``. To first order the importance-sampling estimate of each
period's log predictive density has Monte Carlo variance ``var_i / S`` over ``S`` independent
draws, ``var_i`` being the posterior variance of that period's log-likelihood, whose sum over
the periods is about ``p_loo`` (the effective number of parameters: WAIC's ``p`` is exactly
that sum). The draws are not independent: ``ess`` is the run's smallest bulk ESS over its
parameters (``diagnostics.json``; the number of draws when it is not recorded), the number of
independent draws the least-mixed parameter is worth. It is an approximation that leaves out
the correlation of the periods' errors and periods with large Pareto k: on those six seeds it
gave 0.37 to 0.53 where the spread of the estimates was 0.67, so it errs low, which is why
the ``SMALL`` floor stays in the rule.
"""

from __future__ import annotations

import math

import numpy as np

from . import drift
from .run_files import ComparedRun

SMALL = 4.0  # |difference| below this is small (Sivula et al. 2022)
Z = 2.0  # how many standard errors, and Monte Carlo errors, a difference must exceed
# parts of a resolved config that change how a model is sampled or reported, not the model
NOT_THE_MODEL = ("sampler", "checks", "output", "tracking", "optimize", "name", "hdi_prob", "data")


def mcse(run: ComparedRun) -> float:
    """Monte Carlo error of the run's ELPD-LOO, ``sqrt(p_loo / ess)`` (module docs); NaN when
    the run does not record ``p_loo``."""
    loo = (run.metrics or {}).get("loo")
    p_loo = drift.as_float(loo.get("p_loo")) if isinstance(loo, dict) else math.nan
    ess = drift.as_float((run.diagnostics or {}).get("min_ess_bulk"))
    if not (math.isfinite(ess) and ess > 0):
        sampler = run.manifest.get("sampler")
        sampler = sampler if isinstance(sampler, dict) else {}
        ess = drift.as_float(sampler.get("chains")) * drift.as_float(sampler.get("draws"))
    if not (math.isfinite(p_loo) and math.isfinite(ess) and ess > 0):
        return math.nan
    return math.sqrt(max(p_loo, 0.0) / ess)


def loo_rows(cur: ComparedRun, base: ComparedRun, notes: list[str], same_model: bool) -> list[dict]:
    """ELPD-LOO of both runs and their difference with its standard error and Monte Carlo
    error (informational, never drift). Only for the same observations: identical fitted dates
    and target values (LOO scores compare models of one dataset, not fits of different data).
    ``same_model``: the two runs fit the same model (module docs)."""
    if cur.loo is None or base.loo is None or cur.fit is None or base.fit is None:
        if (cur.loo is None) != (base.loo is None):
            notes.append("ELPD-LOO in one run only: not compared")
        return []
    c, b = cur.loo.set_index("date"), base.loo.set_index("date")
    actual_c = cur.fit.set_index("date")["actual"].reindex(c.index)
    actual_b = base.fit.set_index("date")["actual"].reindex(b.index)
    if not c.index.equals(b.index) or not np.allclose(actual_c, actual_b, equal_nan=False):
        notes.append("ELPD-LOO not compared: the runs were fitted to different observations")
        return []
    diff = c["elpd_loo"].to_numpy() - b["elpd_loo"].to_numpy()
    se = float(np.sqrt(len(diff) * np.var(diff)))
    total = float(diff.sum())
    errors = (mcse(cur), mcse(base))
    monte_carlo = math.sqrt(errors[0] ** 2 + errors[1] ** 2)
    notes.append(
        f"ELPD-LOO difference (run - baseline) {total:+.1f} (se {se:.1f}, Monte Carlo error "
        f"{_number(monte_carlo)}): {verdict(total, se, monte_carlo, same_model)}"
    )
    bv, cv = float(b["elpd_loo"].sum()), float(c["elpd_loo"].sum())
    return [
        drift.info_row(
            "elpd_loo",
            "total",
            bv,
            cv,
            rel_change=None,
            difference=total,
            difference_se=se,
            difference_mcse=monte_carlo,
            mcse_baseline=errors[1],
            mcse_run=errors[0],
        )
    ]


def verdict(total: float, se: float, monte_carlo: float, same_model: bool) -> str:
    """What the difference says, in words (module docs for the rule)."""
    if same_model:
        return "no difference (the same model fitted to the same data: it is Monte Carlo noise)"
    if not math.isfinite(monte_carlo):
        return "no difference claimed (the Monte Carlo error of a run is not recorded)"
    size = abs(total)
    if size < SMALL:
        return f"no difference (|difference| < {SMALL:g}: small, within noise)"
    if size <= Z * se:
        return f"no difference (|difference| <= {Z:g} se)"
    if size <= Z * monte_carlo:
        return f"no difference (|difference| <= {Z:g} x the Monte Carlo error)"
    return f"the {'run' if total > 0 else 'baseline'} predicts better"


def same_model(cur: dict | None, base: dict | None, cur_data: object, base_data: object) -> bool:
    """Whether two resolved configs describe the same model of the same data file (the data's
    SHA-256, ``cur_data``/``base_data``, must be known and equal)."""
    if not (isinstance(cur, dict) and isinstance(base, dict)) or cur_data is None:
        return False
    strip = [{k: v for k, v in c.items() if k not in NOT_THE_MODEL} for c in (cur, base)]
    return strip[0] == strip[1] and cur_data == base_data


def _number(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "unknown"
