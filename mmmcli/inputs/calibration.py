"""Calibration: experiment results read, validated and aligned with the fitted periods.

Two kinds of source (see README, "Calibration"):

* a per-period uplift series of one channel (``date, uplift[, sigma]``): each row is the
  channel's whole contribution on that date, carry-over included;
* experiment-level lift tests (``channel, start, end, spend_delta, uplift, sigma``, or Robyn's
  ``channel, liftStartDate, liftEndDate, liftAbs, spend`` + ``se``/``sigma``/``confidence``):
  ``uplift = y(observed spend) - y(observed spend - spend_delta over the window)``, summed from
  the window's start to its end plus ``max_lag`` periods.

``method: likelihood`` makes each observation a second Normal likelihood in the model
(``model.build``); ``method: fixed`` solves the channel's coefficient from the experiments
alone and holds it constant (``model.fixed``). This module only reads and checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..spec import names
from ..spec.config import CalibrationSource, Config
from .csv import date_column, numeric_column, read_csv, require_columns
from .data import ModelData

NATIVE = ["channel", "start", "end", "spend_delta", "uplift", "sigma"]
ROBYN = ["channel", "liftStartDate", "liftEndDate", "liftAbs", "spend"]


@dataclass
class UpliftSeries:
    """Per-period uplift readouts of one channel."""

    source: Path
    channel: str
    method: str
    index: np.ndarray  # positions of the rows' dates among the fitted periods
    uplift: np.ndarray
    sigma: np.ndarray | None  # per row, or None: a parameter with a prior
    spec: CalibrationSource
    position: int  # index of the source in the config's calibration list

    @property
    def name(self) -> str:
        return names.uplift(self.channel)


@dataclass
class LiftTest:
    """One experiment: a spend change over a window and the measured total uplift."""

    source: Path
    line: int
    channel: str
    method: str
    kind: str  # lift_test | robyn
    start: pd.Timestamp
    end: pd.Timestamp
    delta: np.ndarray  # (fitted periods,) observed minus counterfactual spend
    horizon: np.ndarray  # (fitted periods,) 1 where the effect is summed
    uplift: float
    sigma: float

    @property
    def window(self) -> str:
        return f"{self.start.date()}..{self.end.date()}"


@dataclass
class Calibration:
    """All calibration observations of a config, validated against its data."""

    series: list[UpliftSeries] = field(default_factory=list)
    tests: list[LiftTest] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.series or self.tests)

    def labels(self, channel: str) -> str:
        """How a channel is calibrated: none, likelihood, fixed, lift_test (joined with +)."""
        out = []
        for s in self.series:
            if s.channel == channel and s.method not in out:
                out.append(s.method)
        for t in self.tests:
            label = "fixed" if t.method == "fixed" else "lift_test"
            if t.channel == channel and label not in out:
                out.append(label)
        return "+".join(out) or "none"

    def likelihood_series(self) -> list[UpliftSeries]:
        return [s for s in self.series if s.method == "likelihood"]

    def fixed_channels(self) -> list[str]:
        names = [s.channel for s in self.series if s.method == "fixed"]
        names += [t.channel for t in self.tests if t.method == "fixed"]
        return list(dict.fromkeys(names))


def load_calibration(cfg: Config, data: ModelData, drop_later: bool = False) -> Calibration:
    """Read every calibration source; raise DataError naming the file and row on bad input.

    ``drop_later``: leave out the experiments dated after the fitted periods (a validation
    fold's training window ends before the data do), with a warning, instead of refusing them.
    """
    calib = Calibration()
    for position, source in enumerate(cfg.calibration):
        path = cfg.resolve(source.path)
        frame = read_csv(path)
        if frame.empty:
            raise DataError(f"{path}: no rows")
        if drop_later:
            frame = _until_fitted_end(path, frame, source, data, calib.warnings)
            if frame.empty:
                continue
        if source.channel is not None:
            calib.series.append(_uplift_series(path, frame, source, data, position))
        else:
            calib.tests.extend(_lift_tests(path, frame, source, cfg, data, calib.warnings))
    _check_conflicts(calib)
    return calib


def _until_fitted_end(
    path: Path, frame: pd.DataFrame, source: CalibrationSource, data: ModelData, out: list[str]
) -> pd.DataFrame:
    """The rows of an experiment file that lie within the fitted periods (an experiment's
    window must end in them). Rows keep their place, as blanks are never left: a file's rows
    are usually in date order, so the line numbers of messages stay those of the file."""
    if source.channel is not None:
        column = "date"
    else:
        column = "liftEndDate" if "liftEndDate" in frame and "end" not in frame else "end"
    if column not in frame:
        return frame  # the full check names what is missing
    last = date_column(frame, path, column)
    keep = np.asarray(last <= data.dates[data.n_train - 1])
    if not keep.all():
        out.append(
            f"{path}: {int((~keep).sum())} of {len(frame)} rows end after the fitted periods "
            f"(to {data.dates[data.n_train - 1].date()}) and are left out"
        )
    return frame.loc[keep]


def _uplift_series(
    path: Path, frame: pd.DataFrame, source: CalibrationSource, data: ModelData, position: int
) -> UpliftSeries:
    assert source.channel is not None  # a series belongs to one channel
    require_columns(frame, path, ["date", "uplift"])
    dates = date_column(frame, path, "date")
    positions = _period_positions(path, frame, dates, data)
    dup = pd.Series(positions).duplicated().to_numpy()
    if dup.any():
        raise DataError(
            f"{path}: line {int(frame.index[np.argmax(dup)]) + 2}: date "
            f"{dates[np.argmax(dup)].date()} "
            f"appears twice"
        )
    uplift = numeric_column(frame, path, "uplift")
    sigma = numeric_column(frame, path, "sigma", positive=True) if "sigma" in frame else None
    order = np.argsort(positions)
    return UpliftSeries(
        path,
        source.channel,
        source.method,
        positions[order],
        uplift[order],
        None if sigma is None else sigma[order],
        source,
        position,
    )


def _lift_tests(
    path: Path,
    frame: pd.DataFrame,
    source: CalibrationSource,
    cfg: Config,
    data: ModelData,
    warnings: list[str],
) -> list[LiftTest]:
    if set(NATIVE) <= set(frame.columns):
        kind, cols = "lift_test", {"start": "start", "end": "end", "uplift": "uplift"}
    elif set(ROBYN) <= set(frame.columns):
        kind, cols = "robyn", {"start": "liftStartDate", "end": "liftEndDate", "uplift": "liftAbs"}
    else:
        raise DataError(
            f"{path}: lift tests need columns {', '.join(NATIVE)} (or Robyn's "
            f"{', '.join(ROBYN)} with se, sigma or confidence); found "
            f"{', '.join(map(str, frame.columns))}"
        )
    starts = date_column(frame, path, cols["start"])
    ends = date_column(frame, path, cols["end"])
    uplift = numeric_column(frame, path, cols["uplift"])
    if kind == "lift_test":
        sigma = numeric_column(frame, path, "sigma", positive=True)
        deltas = numeric_column(frame, path, "spend_delta")
    else:
        sigma = _robyn_sigma(path, frame, uplift, warnings)
        deltas = numeric_column(frame, path, "spend", positive=True)
    tests = []
    for i in range(len(frame)):
        line = int(frame.index[i]) + 2  # the file's line, also when later rows were left out
        channel = str(frame["channel"].iloc[i])
        if channel not in cfg.channels:
            raise DataError(
                f"{path}: line {line}: unknown channel {channel!r}; channels: "
                f"{', '.join(cfg.channels)}"
            )
        if ends[i] < starts[i]:
            raise DataError(
                f"{path}: line {line}: end {ends[i].date()} is before start {starts[i].date()}"
            )
        j = data.channels.index(channel)
        share = _window_share(path, line, starts[i], ends[i], data)
        spend = data.spend[: data.n_train, j]
        if kind == "robyn":
            delta = spend * share  # the window's whole spend against zero
            if deltas[i] > 0 and abs(delta.sum() - deltas[i]) > 0.1 * deltas[i]:
                warnings.append(
                    f"{path}: line {line}: spend {deltas[i]:,.0f} differs from the "
                    f"data's {channel} spend in the window ({delta.sum():,.0f}); "
                    f"the data's spend is used"
                )
        else:
            delta = _spread(deltas[i], starts[i], ends[i], spend * share, data)
            if (spend - delta < -1e-9).any():
                raise DataError(
                    f"{path}: line {line}: spend_delta {deltas[i]:g} exceeds the "
                    f"{channel} spend observed in the window (the data's spend "
                    f"must include the test's extra spend)"
                )
        if not np.any(delta):
            raise DataError(f"{path}: line {line}: the test changes no spend in the fitted periods")
        lag = cfg.channels[channel].lag
        periods = np.flatnonzero(share > 0)
        last = periods[-1] + lag
        if last >= data.n_train:
            warnings.append(
                f"{path}: line {line}: the carry-over horizon runs past the fitted "
                f"periods; summed up to {data.dates[data.n_train - 1].date()}"
            )
        horizon = np.zeros(data.n_train)
        horizon[periods[0] : min(last, data.n_train - 1) + 1] = 1.0
        tests.append(
            LiftTest(
                path,
                line,
                channel,
                source.method,
                kind,
                starts[i],
                ends[i],
                delta,
                horizon,
                float(uplift[i]),
                float(sigma[i]),
            )
        )
    return tests


def _robyn_sigma(
    path: Path, frame: pd.DataFrame, uplift: np.ndarray, warnings: list[str]
) -> np.ndarray:
    for col in ("sigma", "se"):
        if col in frame:
            return numeric_column(frame, path, col, positive=True)
    if "confidence" not in frame:
        raise DataError(
            f"{path}: Robyn lift tests need a 'se' or 'sigma' column (standard error) "
            f"or 'confidence'"
        )
    conf = numeric_column(frame, path, "confidence")
    bad = (conf <= 0) | (conf >= 1)
    if bad.any():
        raise DataError(f"{path}: line {int(np.argmax(bad)) + 2}: confidence must be in (0, 1)")
    sigma = np.abs(uplift) / stats.norm.ppf((1 + conf) / 2)
    if (sigma <= 0).any():
        raise DataError(
            f"{path}: line {int(np.argmax(sigma <= 0)) + 2}: liftAbs 0 with only a "
            f"confidence gives no standard error; add a 'se' column"
        )
    warnings.append(
        f"{path}: 'confidence' is not a standard error; used the largest standard "
        f"error consistent with significance at that level, |liftAbs| / z"
    )
    return sigma


def _period_edges(data: ModelData) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Start and (exclusive) end of each fitted period."""
    starts = data.dates[: data.n_train]
    step = data.dates[1] - data.dates[0]
    ends = data.dates[1 : data.n_train + 1]
    if len(ends) < len(starts):
        ends = ends.append(pd.DatetimeIndex([starts[-1] + step]))
    return starts, ends


def _window_share(
    path: Path, line: int, start: pd.Timestamp, end: pd.Timestamp, data: ModelData
) -> np.ndarray:
    """Share of each fitted period's days that fall inside [start, end] (inclusive)."""
    p_start, p_end = _period_edges(data)
    w_end = end + pd.Timedelta(days=1)
    if start < p_start[0] or w_end > p_end[-1]:
        raise DataError(
            f"{path}: line {line}: window {start.date()}..{end.date()} is outside the "
            f"fitted periods ({p_start[0].date()} to {(p_end[-1] - pd.Timedelta(days=1)).date()})"
        )
    lo = np.maximum(p_start.to_numpy(), start.to_datetime64())
    hi = np.minimum(p_end.to_numpy(), w_end.to_datetime64())
    overlap = np.clip((hi - lo) / np.timedelta64(1, "D"), 0, None)
    length = (p_end - p_start).days.to_numpy()
    return overlap / length


def _spread(
    total: float, start: pd.Timestamp, end: pd.Timestamp, in_window: np.ndarray, data: ModelData
) -> np.ndarray:
    """Per fitted period, the part of a test's spend change ``total``.

    Extra spend (``total > 0``) is part of the observed spend, so it is shared in proportion to
    the spend observed in the window (``in_window``: each period's spend times its share of
    days in the window). A cut (``total < 0``) is spend that was not made, shared evenly by day.
    """
    if total > 0 and in_window.sum() > 0:
        return total * in_window / in_window.sum()
    p_start, p_end = _period_edges(data)
    w_end = end + pd.Timedelta(days=1)
    lo = np.maximum(p_start.to_numpy(), start.to_datetime64())
    hi = np.minimum(p_end.to_numpy(), w_end.to_datetime64())
    days = np.clip((hi - lo) / np.timedelta64(1, "D"), 0, None)
    return total * days / days.sum()


def _period_positions(
    path: Path, frame: pd.DataFrame, dates: pd.DatetimeIndex, data: ModelData
) -> np.ndarray:
    fitted = data.dates[: data.n_train]
    lookup = {d: i for i, d in enumerate(fitted)}
    out = np.empty(len(dates), dtype=int)
    for i, d in enumerate(dates):
        if d not in lookup:
            where = (
                "outside the fitted periods"
                if d < fitted[0] or d > fitted[-1]
                else "not one of the data's period dates"
            )
            raise DataError(
                f"{path}: line {int(frame.index[i]) + 2}: date {d.date()} is {where} "
                f"({fitted[0].date()} to {fitted[-1].date()}, {data.freq})"
            )
        out[i] = lookup[d]
    return out


def _check_conflicts(calib: Calibration) -> None:
    methods: dict[str, set[str]] = {}
    where: dict[str, Path] = {}
    items: list[UpliftSeries | LiftTest] = [*calib.series, *calib.tests]
    for item in items:
        methods.setdefault(item.channel, set()).add(item.method)
        where.setdefault(item.channel, item.source)
    for channel, used in methods.items():
        if len(used) > 1:
            raise DataError(
                f"{where[channel]}: channel {channel!r} is calibrated both as "
                f"'fixed' and as 'likelihood'; choose one"
            )
    seen: dict[str, Path] = {}
    for s in calib.series:
        if s.channel in seen:
            raise DataError(
                f"{s.source}: channel {s.channel!r} already has an uplift series "
                f"({seen[s.channel]}); merge them into one file"
            )
        seen[s.channel] = s.source
