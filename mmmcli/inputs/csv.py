"""CSV checks shared by every input file: readable, the columns there, numbers numeric, dates.

Each error names the file, the line (as a spreadsheet shows it: the header is line 1) and the
column, so a user can go straight to the cell.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, did_you_mean, read_text


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV with clear errors for a missing, empty or malformed file."""
    text = read_text(path, "CSV", DataError)
    try:
        return pd.read_csv(io.StringIO(text))
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot parse as CSV: {first}") from None


def require_columns(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    """Raise DataError for the first of ``columns`` the file lacks, with a suggestion."""
    found = [str(c) for c in frame.columns]
    for col in columns:
        if col not in frame.columns:
            raise DataError(
                f"{path}: column {col!r} not found{did_you_mean(col, found)}; columns: "
                f"{', '.join(found)}"
            )


def file_lines(frame: pd.DataFrame) -> np.ndarray:
    """The file line of each row as read (header on line 1)."""
    return np.arange(len(frame)) + 2


def numeric_column(
    frame: pd.DataFrame,
    path: Path,
    col: str,
    lines: np.ndarray | None = None,
    positive: bool = False,
) -> np.ndarray:
    """Column ``col`` as finite floats; ``lines`` maps rows to file lines when rows were sorted."""
    require_columns(frame, path, [col])
    lines = file_lines(frame) if lines is None else lines
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raw = frame[col].iloc[i]
        what = "is missing" if pd.isna(raw) else f"is not a number: {raw!r}"
        raise DataError(f"{path}: line {lines[i]}: column {col!r} {what}")
    arr = values.to_numpy(dtype=float)
    if not np.isfinite(arr).all():
        i = int(np.argmax(~np.isfinite(arr)))
        raise DataError(f"{path}: line {lines[i]}: column {col!r} is not finite")
    if positive and (arr <= 0).any():
        i = int(np.argmax(arr <= 0))
        raise DataError(f"{path}: line {lines[i]}: column {col!r} must be > 0, got {arr[i]:g}")
    return arr


def parse_dates(col: pd.Series, path: Path, name: str) -> pd.Series:
    """Dates from a CSV column (ISO strings). A time zone is dropped and the local date and time
    kept, so ``2024-01-01T00:00:00+05:00`` is 1 January; mixed zones are converted to UTC."""
    missing = col.isna().to_numpy()
    if missing.any():
        raise DataError(f"{path}: line {int(np.argmax(missing)) + 2}: column {name!r} is empty")
    if pd.api.types.is_numeric_dtype(col):
        raise DataError(
            f"{path}: column {name!r} holds numbers, not dates (e.g. "
            f"{col.iloc[0]!r}); write dates as YYYY-MM-DD"
        )
    try:
        try:
            parsed = pd.to_datetime(col, errors="coerce", format="mixed")
        except ValueError:  # several time zones: one clock for all
            parsed = pd.to_datetime(col, errors="coerce", format="mixed", utc=True)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(f"{path}: column {name!r}: cannot parse dates ({exc})") from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{path}: line {i + 2}: column {name!r}: cannot parse date {col.iloc[i]!r}")
    return parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed


def date_column(frame: pd.DataFrame, path: Path, col: str) -> pd.DatetimeIndex:
    """Column ``col`` parsed as dates (see :func:`parse_dates`)."""
    require_columns(frame, path, [col])
    return pd.DatetimeIndex(parse_dates(frame[col], path, col))
