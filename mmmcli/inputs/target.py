"""The target column's own checks: series no media mix model can be fitted to (exit 2).

The model explains the target's movement around a baseline with positive media contributions,
and reports ROAS or CPA as shares of what it explains. Three kinds of target break that before
any sampling, and are refused with the file, line and column:

* a target that is constant over the fitted periods (all zeros, say): there is no movement to
  explain; the data-scaled priors lose their scale and a fit returns its priors with CPAs in
  the billions. Only the fitted periods count (a holdout is never fitted), as for a control;
* a negative value in a ``conversions`` target: conversions are counts;
* a target whose total over the fitted periods is not positive (a revenue target that is all
  negative, or centred at zero): a media contribution is positive, and the media share the
  default priors are solved from is a share of that total.

A target that varies in only a handful of periods is judged against the model's free
parameters, which only the built model knows: ``screening.target_support``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError

ROUNDING = 1e-9  # a total this small beside the sum of |values| is zero


def check_target(
    path: Path, column: str, kind: str, y: np.ndarray, n_train: int, lines: np.ndarray | None
) -> None:
    """Raise DataError when ``y`` (training periods first) cannot be a ``kind`` target;
    ``lines``: the file line of each row (None: a window of data already checked row by row)."""
    fitted = y[:n_train]
    name = f"column {column!r} (the target)"
    if kind == "conversions" and lines is not None:
        negative = np.flatnonzero(y < 0)
        if len(negative):
            i = int(negative[0])
            raise DataError(
                f"{path}: line {lines[i]}: {name} is {y[i]:g}, but conversions are counts and "
                f"cannot be negative (a sign error, or a net figure that belongs in kind revenue?)"
            )
    if np.ptp(fitted) == 0:
        raise DataError(
            f"{path}: {name} is {fitted[0]:g} in every one of the {n_train} fitted periods: a "
            f"constant target leaves nothing for the media to explain (the right column?)"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        total, size = float(fitted.sum()), float(np.abs(fitted).sum())
    if not np.isfinite(size):
        raise DataError(
            f"{path}: {name} is too large to add up over the {n_train} fitted periods (its sum "
            f"overflows); check the data's scale, or express it in thousands or millions"
        )
    if not total > ROUNDING * size:  # a centred series sums to rounding error, not to zero
        raise DataError(
            f"{path}: {name} sums to {total:g} over the {n_train} fitted periods; a {kind} "
            f"target needs a positive total: media contributions are positive and ROAS/CPA are "
            f"shares of it (a flipped sign, or a centred series?)"
        )
