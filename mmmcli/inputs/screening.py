"""What the data alone say about a model before it is sampled.

A model can be valid and still unanswerable: when two channels' spends move together, a
channel's spend barely moves, a channel is a sliver of the budget, or there are more parameters
than the periods can pin down, the likelihood is flat in some direction and the posterior is the
prior there. NUTS then shows it as high r_hat, low ESS or divergences, long after the data could
have said so. These checks look only at the fitted periods' spends (numpy, no model), so
``mmm check`` warns before any sampling, and a failed fit's diagnosis
(``analysis.diagnosis``) reuses the same findings as its advice: each check has one owner, here.
The target is screened too (:func:`target_support`), and one of its checks refuses instead of
warning: a target that moves in fewer fitted periods than the model has free parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..spec import names
from .data import ModelData

MAX_CORRELATION = 0.8  # |r| of two channels' spends beyond which their effects blur
MIN_VARIATION = 0.05  # coefficient of variation of a channel's spend
MIN_ACTIVE_SHARE = 0.05  # share of periods with non-zero spend
MIN_ACTIVE_PERIODS = 3
MIN_SPEND_SHARE = 0.01  # share of the total spend over all channels
PERIODS_PER_PARAMETER = 3  # measured: 29 parameters on 104 weeks fit cleanly (corpus)
MAX_TARGET_REPEAT = 0.5  # share of fitted periods at the target's most common value (zeros)


@dataclass(frozen=True)
class Finding:
    """One thing the data cannot support, with what to do about it.

    ``message`` is the whole sentence a user reads (the fact and the remedy): ``mmm check``
    prints it as a warning and a failed fit lists it as advice, so it is worded once.
    """

    kind: str  # correlated | flat | sparse | small | parameters | target
    channels: tuple[str, ...]  # the channels concerned (none for "parameters" and "target")
    value: float  # r, coefficient of variation, active periods, spend share, parameters,
    # or for "target" the share of fitted periods at one value or below zero
    message: str

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "channels": list(self.channels),
            "value": self.value,
            "message": self.message,
        }


def screen(data: ModelData, parameters: Mapping[str, int] | None = None) -> list[Finding]:
    """Every finding for ``data`` (fitted periods only) and, when given, the model's free
    parameters (name -> number of scalar dimensions)."""
    spend = data.spend[: data.n_train]
    found = correlated_spends(spend, data.channels)
    found += rarely_active(spend, data.channels)
    sparse = {f.channels[0] for f in found if f.kind == "sparse"}
    found += [f for f in flat_spends(spend, data.channels) if f.channels[0] not in sparse]
    found += small_channels(spend, data.channels)
    if parameters is not None:
        found += too_many_parameters(parameters, data.n_train)
    return found


def correlated_spends(
    spend: np.ndarray, channels: list[str], threshold: float = MAX_CORRELATION
) -> list[Finding]:
    """Pairs of channels whose spends correlate at |r| >= ``threshold``, strongest first.

    The likelihood only sees the sum of two such channels' effects, so any split between them
    fits as well: the posterior follows the priors along that ridge, and the sampler crawls.
    """
    r = correlations(spend)
    found = []
    for i in range(len(channels)):
        for j in range(i + 1, len(channels)):
            if np.isfinite(r[i, j]) and abs(r[i, j]) >= threshold:
                a, b = channels[i], channels[j]
                found.append(
                    Finding(
                        "correlated",
                        (a, b),
                        float(r[i, j]),
                        f"{a} and {b} spend correlate at {r[i, j]:.2f} over the "
                        f"{len(spend)} fitted periods: the data cannot split their effects; "
                        f"add bounds or a ROAS/CPA prior to one of them, or calibrate it with "
                        f"a lift test",
                    )
                )
    return sorted(found, key=lambda f: -abs(f.value))


def correlations(spend: np.ndarray) -> np.ndarray:
    """Pearson correlations of the spend columns; NaN for a constant column.

    Columns are divided by their largest value first so that huge spends cannot overflow.
    """
    top = np.abs(spend).max(axis=0)
    scaled = spend / np.where(top > 0, top, 1.0)
    centred = scaled - scaled.mean(axis=0)
    norm = np.sqrt((centred**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = centred / norm
        return np.asarray(unit.T @ unit, dtype=float)


def rarely_active(
    spend: np.ndarray,
    channels: list[str],
    share: float = MIN_ACTIVE_SHARE,
    periods: int = MIN_ACTIVE_PERIODS,
) -> list[Finding]:
    """Channels with non-zero spend in fewer than ``share`` of the periods or ``periods``.

    A handful of bursts cannot separate a channel's adstock, saturation and coefficient: each
    burst is one data point for three parameters.
    """
    n = len(spend)
    found = []
    for j, name in enumerate(channels):
        active = int((spend[:, j] > 0).sum())
        if active < max(periods, share * n):
            found.append(
                Finding(
                    "sparse",
                    (name,),
                    float(active),
                    f"{name} has spend in only {active} of {n} fitted periods: too few to "
                    f"estimate its adstock and saturation; hold them fixed (numbers in the "
                    f"config), give its coefficient bounds, or merge it with a similar channel",
                )
            )
    return found


def flat_spends(
    spend: np.ndarray, channels: list[str], threshold: float = MIN_VARIATION
) -> list[Finding]:
    """Channels whose spend's coefficient of variation (sd / mean) is below ``threshold``.

    A channel that spends the same every period shifts the target by a constant, which the
    intercept explains just as well: its effect is not identified by the data.
    """
    found = []
    for j, name in enumerate(channels):
        column = spend[:, j] / max(float(np.abs(spend[:, j]).max()), 1e-300)
        mean = float(column.mean())
        cv = float(column.std() / mean) if mean > 0 else 0.0
        if cv < threshold:
            how = (
                "is the same in every fitted period"
                if np.ptp(spend[:, j]) == 0
                else f"barely varies (coefficient of variation {cv:.3f})"
            )
            found.append(
                Finding(
                    "flat",
                    (name,),
                    cv,
                    f"{name} spend {how}: the data "
                    f"cannot tell its effect from the intercept's; give its coefficient bounds "
                    f"or a ROAS/CPA prior, or calibrate it with a lift test",
                )
            )
    return found


def small_channels(
    spend: np.ndarray, channels: list[str], threshold: float = MIN_SPEND_SHARE
) -> list[Finding]:
    """Channels with less than ``threshold`` of the total spend over all channels.

    Their contribution is small beside the noise, so their parameters stay at their priors.
    """
    scaled = spend / max(float(np.abs(spend).max()), 1e-300)
    totals = scaled.sum(axis=0)
    total = float(totals.sum())
    found = []
    for j, name in enumerate(channels):
        share = float(totals[j] / total) if total > 0 else 0.0
        if share < threshold:
            found.append(
                Finding(
                    "small",
                    (name,),
                    share,
                    f"{name} is {share:.1%} of total spend: too little for the data to "
                    f"measure its effect; merge it with a similar channel, drop it, or give "
                    f"its coefficient bounds",
                )
            )
    return found


def too_many_parameters(
    parameters: Mapping[str, int], periods: int, per_parameter: int = PERIODS_PER_PARAMETER
) -> list[Finding]:
    """One finding when the free parameters exceed ``periods / per_parameter``.

    A random walk's steps are left out of the count: they are tied to each other by the walk's
    step size (counted), so they do not need periods of their own the way free parameters do.
    """
    counted = _counted(parameters)
    total = sum(counted.values())
    if total * per_parameter <= periods:
        return []
    hints = []
    seasonal = counted.get(names.SEASONALITY_COEF, 0)
    if seasonal > 2:
        hints.append(f"lower yearly_fourier_order ({names.SEASONALITY_COEF} has {seasonal})")
    hints += [
        "hold adstock or saturation parameters fixed (numbers in the config)",
        "use fewer channels (merge small ones)",
        "or fit more periods",
    ]
    return [
        Finding(
            "parameters",
            (),
            float(total),
            f"the model has {total} free parameters for {periods} fitted periods (more than "
            f"one per {per_parameter} periods): " + ", ".join(hints),
        )
    ]


def _counted(parameters: Mapping[str, int]) -> dict[str, int]:
    """The free parameters that need periods of their own: a random walk's steps are tied to
    each other by the walk's step size (counted), so they are left out."""
    walk = names.grw_step("")
    return {k: v for k, v in parameters.items() if not k.endswith(walk)}


def target_support(
    data: ModelData, parameters: Mapping[str, int], most: float = MAX_TARGET_REPEAT
) -> list[Finding]:
    """Whether the target moves in enough fitted periods for the model's free parameters.

    A target that sits at one value (zero, usually) in most periods carries its information in
    the few periods where it leaves it: with fewer such periods than free parameters the fit
    can only return its priors, so that is refused (DataError, exit 2: the one refusal among the
    screens, since only the built model knows its parameters). More than ``most`` of the
    periods at one value, or negative values (refunds in a revenue target), are warned about:
    legitimate, but the Normal or Student-t noise then spreads over values the target never
    takes, and positive media contributions cannot explain a negative period.
    """
    y = np.asarray(data.y[: data.n_train], dtype=float)
    n = len(y)
    values, counts = np.unique(y, return_counts=True)
    top = int(counts.argmax())
    level, repeated = float(values[top]), int(counts[top])
    moving = n - repeated if repeated > 1 else n
    total = sum(_counted(parameters).values())
    column = f"column {data.target!r} (the target)"
    if moving < total:
        raise DataError(
            f"{data.path}: {column} is {level:g} in {repeated} of the {n} fitted periods; the "
            f"{moving} others are fewer than the model's {total} free parameters, so a fit "
            f"would return its priors (fit more periods, a coarser frequency, or fewer channels)"
        )
    found = []
    if repeated > 1 and repeated > most * n:
        found.append(
            Finding(
                "target",
                (),
                repeated / n,
                f"{data.target} is {level:g} in {repeated} of {n} fitted periods: the estimates "
                f"rest on the {moving} others, and the model's noise spreads over values the "
                f"target never takes; aggregate to a coarser frequency if it is this sparse",
            )
        )
    negative = int((y < 0).sum())
    if negative:
        found.append(
            Finding(
                "target",
                (),
                negative / n,
                f"{data.target} is negative in {negative} of {n} fitted periods (refunds or "
                f"corrections?): media contributions are positive, so the baseline and the noise "
                f"alone explain those periods",
            )
        )
    return found
