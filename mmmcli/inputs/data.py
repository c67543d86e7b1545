"""Data: read the CSV, validate it against the config, and build the model's arrays.

Everything the model needs is derived here once: sorted dates, the target, spends, controls,
the trend index, yearly Fourier terms and each channel's spend scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..spec.config import Config
from .csv import numeric_column, parse_dates, read_csv, require_columns
from .target import check_target

MIN_TRAIN_PERIODS = 20
DAYS_PER_YEAR = 365.25


@dataclass
class ModelData:
    """The aligned arrays of one dataset: full series (training periods first, then holdout)."""

    path: Path
    dates: pd.DatetimeIndex
    freq: str
    y: np.ndarray  # (T,)
    spend: np.ndarray  # (T, C), spend units
    controls: np.ndarray  # (T, K)
    channels: list[str]
    control_names: list[str]
    spend_scale: np.ndarray  # (C,)
    fourier: np.ndarray  # (T, 2 * order)
    fourier_names: list[str]
    n_train: int
    target: str = "target"  # the target's column, for messages

    @property
    def n(self) -> int:
        return len(self.dates)

    @property
    def period_days(self) -> float:
        """Length of one period in days (7 for weekly data)."""
        if self.n < 2:
            return 7.0
        return float(np.median(np.diff(self.dates.to_numpy()) / np.timedelta64(1, "D")))

    @property
    def t(self) -> np.ndarray:
        """Trend index: 0 at the first period, 1 per period."""
        return np.arange(self.n, dtype=float)

    @property
    def y_train(self) -> np.ndarray:
        return self.y[: self.n_train]

    @property
    def y_mean(self) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # inf: the priors refuse it
            return float(self.y_train.mean())

    @property
    def y_sd(self) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            sd = float(self.y_train.std())
        return sd if sd > 0 else max(abs(self.y_mean), 1.0)

    def subset(self, stop: int) -> ModelData:
        """The first ``stop`` periods (used for the training graph)."""
        return ModelData(
            self.path,
            self.dates[:stop],
            self.freq,
            self.y[:stop],
            self.spend[:stop],
            self.controls[:stop],
            self.channels,
            self.control_names,
            self.spend_scale,
            self.fourier[:stop],
            self.fourier_names,
            min(self.n_train, stop),
            self.target,
        )


def training_window(cfg: Config, data: ModelData, n_train: int, n: int) -> ModelData:
    """The first ``n`` rows with the first ``n_train`` fitted, spend scales recomputed from
    those rows (a validation fold sees nothing after its training window)."""
    if n_train < MIN_TRAIN_PERIODS:
        raise DataError(
            f"{data.path}: a training window of {n_train} periods is too short; at least "
            f"{MIN_TRAIN_PERIODS} needed"
        )
    end = f"up to {data.dates[n_train - 1].date()}, the end of a training window"
    scales = check_fitted(
        cfg, data.path, data.y[:n], data.spend[:n], data.controls[:n], n_train, None, end
    )
    window = data.subset(n)
    window.spend_scale = scales
    window.n_train = n_train
    return window


def check_fitted(
    cfg: Config,
    path: Path,
    y: np.ndarray,
    spend: np.ndarray,
    controls: np.ndarray,
    n_train: int,
    lines: np.ndarray | None,
    when: str = "in the fitted periods",
) -> np.ndarray:
    """What the fitted periods (the first ``n_train`` rows) must hold, for the whole data and
    for every validation window alike: a usable target (``target.check_target``), some spend on
    every channel, every control varying. Returns each channel's spend scale."""
    check_target(path, cfg.target.column, cfg.target.kind, y, n_train, lines)
    scales = []
    for j, (name, ch) in enumerate(cfg.channels.items()):
        train = spend[:n_train, j]
        if not (train > 0).any():
            raise DataError(
                f"{path}: column {ch.spend!r} (channel {name}) has no non-zero spend {when}"
            )
        scales.append(ch.spend_scale or float(train[train > 0].mean()))
    for k, (name, ctrl) in enumerate(cfg.controls.items()):
        if np.ptp(controls[:n_train, k]) == 0:
            raise DataError(
                f"{path}: column {ctrl.column!r} (control {name}) is constant {when}; "
                f"the intercept already covers it"
            )
    return np.asarray(scales, dtype=float)


def load_data(cfg: Config) -> ModelData:
    """Read and validate the config's data file; raise DataError naming file, column and row."""
    path = cfg.resolve(cfg.data.path)
    frame = read_csv(path)
    dc = cfg.data.date_column
    require_columns(
        frame,
        path,
        [dc, cfg.target.column]
        + [c.spend for c in cfg.channels.values()]
        + [c.column for c in cfg.controls.values()],
    )
    if frame.empty:
        raise DataError(f"{path}: no data rows")
    dates = parse_dates(frame[dc], path, dc)
    frame = frame.assign(_raw=frame[dc].astype(str), _line=np.arange(len(frame)) + 2)
    frame[dc] = dates
    frame = frame.sort_values(dc, kind="stable").reset_index(drop=True)
    freq = _check_periods(frame, path, dc, cfg.data.frequency)
    lines = frame["_line"].to_numpy()

    y = numeric_column(frame, path, cfg.target.column, lines)
    spend = np.column_stack(
        [numeric_column(frame, path, c.spend, lines) for c in cfg.channels.values()]
    )
    for j, (name, ch) in enumerate(cfg.channels.items()):
        neg = np.flatnonzero(spend[:, j] < 0)
        if len(neg):
            line = lines[neg[0]]
            raise DataError(
                f"{path}: line {line}: column {ch.spend!r} (channel {name}) has "
                f"negative spend {spend[neg[0], j]:g}"
            )
    controls = (
        np.column_stack(
            [numeric_column(frame, path, c.column, lines) for c in cfg.controls.values()]
        )
        if cfg.controls
        else np.zeros((len(frame), 0))
    )

    n_train = len(frame) - cfg.holdout.periods
    if n_train < MIN_TRAIN_PERIODS:
        raise DataError(
            f"{path}: {len(frame)} periods leave {n_train} for fitting after a "
            f"holdout of {cfg.holdout.periods}; at least {MIN_TRAIN_PERIODS} needed"
        )
    order = cfg.seasonality.yearly_fourier_order
    if 2 * order >= n_train // 2:
        raise DataError(f"{path}: {n_train} periods are too few for yearly_fourier_order {order}")

    scales = check_fitted(cfg, path, y, spend, controls, n_train, lines)

    dt = pd.DatetimeIndex(frame[dc])
    fourier, names = fourier_terms(dt, order)
    return ModelData(
        path=path,
        dates=dt,
        freq=freq,
        y=y,
        spend=spend,
        controls=controls,
        channels=list(cfg.channels),
        control_names=list(cfg.controls),
        spend_scale=scales,
        fourier=fourier,
        fourier_names=names,
        n_train=n_train,
        target=cfg.target.column,
    )


def fourier_terms(dates: pd.DatetimeIndex, order: int) -> tuple[np.ndarray, list[str]]:
    """Yearly Fourier terms [sin1, cos1, sin2, cos2, ...] of ``tau = days since 1970 / 365.25``."""
    tau = (dates - pd.Timestamp("1970-01-01")).days.to_numpy() / DAYS_PER_YEAR
    cols, names = [], []
    for k in range(1, order + 1):
        cols += [np.sin(2 * np.pi * k * tau), np.cos(2 * np.pi * k * tau)]
        names += [f"sin{k}", f"cos{k}"]
    return (np.column_stack(cols) if cols else np.zeros((len(dates), 0))), names


def _step(step: pd.Timedelta) -> str:
    return f"{step.days} days" if step == pd.Timedelta(days=step.days) else str(step)


def _check_periods(frame: pd.DataFrame, path: Path, dc: str, freq: str | None) -> str:
    dates = pd.DatetimeIndex(frame[dc])

    def cited(i: int) -> str:  # a row's date as written in the file, and where
        return f"{frame['_raw'].iloc[i]!r} (line {frame['_line'].iloc[i]})"

    dup = dates.duplicated()
    if dup.any():
        i = int(np.argmax(dup))
        first = int(np.flatnonzero(dates == dates[i])[0])
        raise DataError(
            f"{path}: line {frame['_line'].iloc[i]}: duplicate period in column {dc!r}: "
            f"{cited(i)} is the same period as {cited(first)}"
        )
    if len(dates) < 3:
        raise DataError(f"{path}: {len(dates)} rows; need at least {MIN_TRAIN_PERIODS}")
    inferred = freq or pd.infer_freq(dates)
    if inferred is None:
        step = pd.Series(dates[1:] - dates[:-1]).mode().iloc[0]
        gaps = np.flatnonzero((dates[1:] - dates[:-1]) != step)
        i = int(gaps[0]) if len(gaps) else 0
        raise DataError(
            f"{path}: irregular dates in column {dc!r}: {cited(i)} is followed "
            f"by {cited(i + 1)} (expected a step of {_step(step)}); missing or extra periods?"
        )
    try:
        expected = pd.date_range(dates[0], periods=len(dates), freq=inferred)
    except ValueError:
        raise DataError(f"{path}: unknown frequency {inferred!r} (data.frequency)") from None
    mismatch = np.flatnonzero(expected != dates)
    if len(mismatch):
        i = int(mismatch[0])
        raise DataError(
            f"{path}: dates in column {dc!r} do not follow frequency {inferred!r}: "
            f"expected {expected[i]}, found {cited(i)} (missing period?)"
        )
    return inferred
