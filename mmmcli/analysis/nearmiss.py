"""Near misses: which failed fits are sampled once more, with what, and the record of each try.

A fit whose gate failed *only* because of a few divergences, with r_hat and ESS passing and the
divergent draws in no parameter's tail, is a near miss: the sampler took a step too long now and
then in a posterior it otherwise explored well, and smaller steps (a higher ``target_accept``)
are what a careful analyst tries next. Anything else needs a person, and :func:`judge` says why:

- r_hat or ESS failed: the chains have not settled or mix slowly; smaller steps make that
  slower, not better.
- More than a few divergences (over ``FEW_SHARE`` of the draws): a region the sampler cannot
  traverse, not the odd long step.
- Divergences concentrated in a parameter's tail (``diagnosis.divergence_concentration``, the
  binomial test the diagnosis already runs): the model's geometry is at fault there, and a
  retry that happens to miss the region would hide it.
- ``target_accept`` already at or above the retry's: a retry would not take smaller steps.

"Few" is measured (README, "Near misses"): on a random-walk model whose steps funnel, short
fits at ``target_accept`` 0.7-0.8 that diverged had 1 to 4 divergences (0.03% to 0.7% of the
draws), nearly all in no tail, and none at 0.9 or 0.97; at 0.55-0.6 they had 8 to 62 (1.3% to
10%), always with r_hat failing too and mostly crowded in a tail. The issue that asked for the
retry: 1 divergence in 4,000 draws.

The retry is judged on its own against the same thresholds (a retry never lowers one), with a
seed derived from the configured one and the attempt number, so the whole sequence is as
reproducible as a single fit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..spec.config import Retry, Sampler

FEW_SHARE = 0.01  # at most 1% of the kept draws divergent counts as "a few"
SETTINGS = ("target_accept", "seed", "draws", "tune", "chains")


@dataclass(frozen=True)
class Judgement:
    """Whether a failed attempt is sampled again, and why (one sentence)."""

    retry: bool
    why: str


def few(settings: Mapping[str, Any]) -> int:
    """The most divergences that still count as a few: ``FEW_SHARE`` of the kept draws (at
    least one)."""
    kept = int(settings.get("chains", 1)) * int(settings.get("draws", 0))
    return max(1, math.floor(FEW_SHARE * kept))


def near_miss(diag: dict, concentrated: Sequence[dict], settings: Mapping[str, Any]) -> str | None:
    """Why a failed gate is *not* a near miss (a phrase), or None when it is one.

    ``diag``: ``diagnostics.diagnose``'s verdict; ``concentrated``: the parameters whose tails
    the divergent draws crowd into (``diagnosis.divergence_concentration``)."""
    failed = list(diag.get("failed", []))
    others = [c for c in failed if c != "divergences"]
    if others:
        return (
            f"{_failed_checks(diag, others)}: the chains have not settled or mix too slowly, "
            f"which smaller steps do not fix"
        )
    if "divergences" not in failed:
        return "the checks passed"
    count, limit = int(diag["divergences"]), few(settings)
    kept = int(settings.get("chains", 1)) * int(settings.get("draws", 0))
    if count > limit:
        return (
            f"{count} divergences in {kept:,} draws are more than a few (at most {limit}, "
            f"{FEW_SHARE:.0%}): a region the sampler cannot traverse, not the odd long step"
        )
    if concentrated:
        where = concentrated[0]
        side = "lowest" if where["tail"] == "low" else "highest"
        return (
            f"the divergences concentrate where {where['parameter']} is in its {side} "
            f"{where['expected_share']:.0%}: the model's geometry is at fault there, and a "
            f"retry that missed the region would hide it"
        )
    return None


def judge(
    diag: dict,
    concentrated: Sequence[dict],
    settings: Sampler,
    policy: Retry,
    attempt: int,
    switched_off: str | None = None,
) -> Judgement:
    """Whether failed attempt number ``attempt`` (1-based) is sampled again under ``policy``.

    ``switched_off``: what turned retries off on the command line (``--no-retry``), if
    anything. What kind of failure this is comes first, then why the policy does or does not
    allow another try."""
    wrong = near_miss(diag, concentrated, settings.model_dump())
    count = int(diag.get("divergences") or 0)
    what = (
        f"{_divergences(count)} at target_accept {settings.target_accept:g}, in no "
        f"parameter's tail, r_hat and ESS passing"
    )
    if attempt > 1:  # this was the retry: judged on its own, and there is no second one
        why = wrong if wrong is not None else f"still a near miss ({what})"
        return Judgement(False, f"failed again after the retry: {why}; it needs a person")
    if wrong is not None:
        return Judgement(False, f"not retried: {wrong}; it needs a person")
    near = f"a near miss ({what})"
    if switched_off is not None:
        return Judgement(False, f"{near}, not retried ({switched_off})")
    if policy.max < attempt:
        return Judgement(False, f"{near}, not retried (sampler.retry is off)")
    if settings.target_accept >= policy.target_accept:
        return Judgement(
            False,
            f"{near}, not retried: target_accept {settings.target_accept:g} is already at least "
            f"sampler.retry.target_accept {policy.target_accept:g}, so a retry would not take "
            f"smaller steps",
        )
    return Judgement(True, f"{near}: sampling again at target_accept {policy.target_accept:g}")


def retry_settings(settings: Sampler, policy: Retry, attempt: int) -> Sampler:
    """The settings of attempt ``attempt`` (2, ...): the retry's higher ``target_accept`` and a
    seed drawn from the configured one and the attempt number, everything else unchanged."""
    target = max(settings.target_accept, policy.target_accept)  # only ever up
    return settings.model_copy(
        update={"target_accept": target, "seed": attempt_seed(settings.seed, attempt)}
    )


def attempt_seed(seed: int, attempt: int) -> int:
    """The seed of attempt ``attempt``: the configured seed itself for the first, then a seed of
    the same stream (``numpy.random.SeedSequence`` of the seed and the attempt number) that
    every run of the same config draws alike."""
    if attempt <= 1:
        return seed
    state = np.random.SeedSequence([seed, attempt]).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))  # 63 bits: a valid sampler.seed


def attempt_record(
    attempt: int, settings: Sampler, diag: dict, seconds: float, status: str, why: str | None
) -> dict:
    """One entry of the manifest's ``attempts``: the settings it sampled with, the gate's
    figures, its wall time (sampling and the gate) and its status, and, for an attempt that
    was not the last word, why it was or was not retried."""
    dumped = settings.model_dump()
    return {
        "attempt": attempt,
        "settings": {k: dumped[k] for k in SETTINGS},
        "divergences": diag.get("divergences"),
        "max_r_hat": diag.get("max_r_hat"),
        "min_ess_bulk": diag.get("min_ess_bulk"),
        "seconds": round(seconds, 3),
        "status": status,
        "failed": list(diag.get("failed", [])),
        "retry": why,
    }


def _failed_checks(diag: dict, checks: list[str]) -> str:
    """``max r_hat 1.052 > 1.01 and min ESS bulk 210 < 400``."""
    t = diag.get("thresholds", {})
    said = []
    for check in checks:
        if check == "r_hat":
            value = diag.get("max_r_hat")
            shown = "n/a (one chain)" if value is None else f"{value:.3f}"
            said.append(f"max r_hat {shown} > {t.get('max_r_hat', float('nan')):g}")
        elif check == "ess_bulk":
            said.append(
                f"min ESS bulk {diag.get('min_ess_bulk', float('nan')):.0f} < "
                f"{t.get('min_ess_bulk', float('nan')):g}"
            )
        else:
            said.append(check)
    return " and ".join(said)


def _divergences(count: int) -> str:
    return f"{count} divergence{'' if count == 1 else 's'}"
