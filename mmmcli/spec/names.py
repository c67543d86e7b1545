"""Every model variable name, in one place.

The model, the priors, the results and the run files all refer to PyMC variables by name
(``priors.csv`` rows, ``posterior_summary.csv`` rows, the trace). Each name is built here and
nowhere else, so renaming one is a one-line change and a typo is an ``AttributeError``, not a
silently missing row.
"""

from __future__ import annotations

# ---------------------------------------------------------------- scalar parameters
INTERCEPT = "intercept"
# With the default intercept prior, the free variable is the fitted mean's offset from the
# data's mean, and the intercept a Deterministic (see model.build).
INTERCEPT_OFFSET = "intercept_offset"
TREND_SLOPE = "trend_slope"
SEASONALITY_COEF = "seasonality_coef"
SIGMA = "sigma"
NU = "nu"

# ---------------------------------------------------------------- observed variables
OBSERVED = "y"
LIFT_OBSERVED = "lift_observed"

# ---------------------------------------------------------------- per-period Deterministics
CHANNEL_CONTRIBUTION = "channel_contribution"
CONTROL_CONTRIBUTION = "control_contribution"
SEASONALITY = "seasonality"
TREND = "trend"
MU = "mu"
LIFT_EFFECT = "lift_effect"
# Computed after sampling, never stored in the trace while sampling.
COMPONENTS = (CHANNEL_CONTRIBUTION, CONTROL_CONTRIBUTION, SEASONALITY, TREND, MU, LIFT_EFFECT)

# ---------------------------------------------------------------- per-channel Deterministics
# What a channel's response to a new spend plan needs besides its saturation parameters (see
# decisions.response): normalised lag weights, and the coefficient at its latest level (the last
# fitted period's value of a time-varying coefficient). Computed after sampling, like COMPONENTS.
ADSTOCK_WEIGHTS = "adstock_weights"
CHANNEL_COEF = "channel_coef"
RESPONSE_PARAMETERS = (ADSTOCK_WEIGHTS, CHANNEL_COEF)

# ---------------------------------------------------------------- data containers
PRIOR_NUMBERS = "prior_numbers"
SPEND_LAGGED = "spend_lagged"
SPEND_SCALE = "spend_scale"
TIME_INDEX = "t"
TARGET = "target"
CONTROLS = "controls"
FOURIER_TERMS = "fourier_terms"
LIFT_LAGGED = "lift_lagged"
LIFT_HORIZON = "lift_horizon"
# 1 for the fitted periods, 0 after: ROAS/CPA priors are over the fitted periods only, also when
# the graph is evaluated on a longer series (a holdout).
FIT_ROWS = "fit_rows"

# Time-varying paths are Deterministics named "<coefficient>_t" (e.g. "tv_coef_t").
PATH_SUFFIX = "_t"
_COEF_SUFFIX = "_coef"


def coefficient(owner: str) -> str:
    """A channel's or control's coefficient: ``tv_coef``."""
    return f"{owner}{_COEF_SUFFIX}"


def roas(channel: str) -> str:
    """A channel's ROAS over the fitted periods, when it has a ROAS prior: ``tv_roas``."""
    return f"{channel}_roas"


def cpa(channel: str) -> str:
    """A channel's cost per conversion over the fitted periods, with a CPA prior: ``tv_cpa``."""
    return f"{channel}_cpa"


def transform_param(channel: str, param: str) -> str:
    """An adstock or saturation parameter of a channel: ``tv_alpha``."""
    return f"{channel}_{param}"


def grw_sigma(variable: str) -> str:
    """The step size of a time-varying variable's random walk: ``tv_coef_grw_sigma``."""
    return f"{variable}_grw_sigma"


def grw_step(variable: str) -> str:
    """The steps of a time-varying variable's random walk: ``tv_coef_grw_step``."""
    return f"{variable}_grw_step"


def path(variable: str) -> str:
    """The per-period path of a time-varying variable: ``tv_coef_t``."""
    return f"{variable}{PATH_SUFFIX}"


def is_path(name: str) -> bool:
    return name.endswith(PATH_SUFFIX)


def path_component(name: str) -> str:
    """The component of a path: ``tv_coef_t`` -> ``tv``, ``intercept_t`` -> ``intercept``."""
    return name.removesuffix(PATH_SUFFIX).removesuffix(_COEF_SUFFIX)


def uplift(channel: str) -> str:
    """The observed per-period uplift series of a channel: ``tv_uplift``."""
    return f"{channel}_uplift"


def uplift_sigma(channel: str) -> str:
    """The noise of a channel's uplift series when its file has no sigma: ``tv_uplift_sigma``."""
    return f"{uplift(channel)}_sigma"
