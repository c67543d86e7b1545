"""A run folder read back for ``mmm compare``: which folder a path designates, and its files.

Every reader names the file it could not parse (a ``UsageError``, exit 2): a damaged or
hand-edited run folder is bad input, never an internal error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..errors import UsageError

TARGET_KINDS = ("roas", "cpa")
RUN_MARKERS = ("channels.csv", "manifest.json")
CHANNEL_COLUMNS = (
    "channel",
    "share_mean",
    "contribution_mean",
    "contribution_hdi_low",
    "contribution_hdi_high",
)
CONTRIBUTION_COLUMNS = ("date", "component", "mean", "hdi_low", "hdi_high")
TEXT_COLUMNS = ("channel", "component", "date", "calibrated", "holdout", "parameter")
DEFAULT_HDI_PROB = 0.94


def is_run_folder(path: Path) -> bool:
    """True when ``path`` holds the files that make it a run folder."""
    return all((path / name).is_file() for name in RUN_MARKERS)


def resolve_run(path: Path) -> Path:
    """The run folder ``path`` designates, as an absolute path.

    ``path`` is a run folder, a config's runs folder ``runs/<name>`` (its ``latest`` run is used)
    or a ``.../latest`` link. Raises ``UsageError`` when no run folder is found.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise UsageError(f"{path}: no such run folder")
    if path.name != "latest" and not is_run_folder(path) and (path / "latest").is_symlink():
        path = path / "latest"
    if path.name == "latest" and not path.exists():
        raise UsageError(f"{path}: no 'latest' run (no run of this config has passed yet)")
    if not path.is_dir():
        raise UsageError(f"{path}: is a file, not a run folder")
    if not is_run_folder(path):
        raise UsageError(f"{path}: not a run folder (expected {' and '.join(RUN_MARKERS)})")
    return path.resolve()


@dataclass
class ComparedRun:
    """The parts of a run folder a comparison reads (optional files are ``None`` when absent)."""

    path: Path
    channels: pd.DataFrame
    contributions: pd.DataFrame | None
    metrics: dict | None
    manifest: dict
    diagnostics: dict | None = None
    summary: pd.DataFrame | None = None  # posterior_summary.csv, indexed by parameter
    loo: pd.DataFrame | None = None  # date, elpd_loo, pareto_k
    fit: pd.DataFrame | None = None  # date, actual, ...
    config: dict | None = None  # config.resolved.yaml
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        kinds = [k for k in TARGET_KINDS if f"{k}_mean" in self.channels.columns]
        if len(kinds) != 1:
            raise UsageError(
                f"{self.path / 'channels.csv'}: expected either roas_* or cpa_* columns"
            )
        self.kind = kinds[0]

    @property
    def data_range(self) -> tuple[str | None, str | None]:
        data = self.manifest.get("data")
        data = data if isinstance(data, dict) else {}
        return data.get("start"), data.get("end")

    @property
    def hdi_prob(self) -> float:
        """The probability of the run's intervals (``hdi_prob``; the default if not recorded)."""
        value = (self.config or {}).get("hdi_prob")
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
            return float(value)
        return DEFAULT_HDI_PROB

    @property
    def data_sha256(self) -> str | None:
        data = self.manifest.get("data")
        sha = data.get("sha256") if isinstance(data, dict) else None
        return sha if isinstance(sha, str) else None

    @property
    def dates(self) -> set[str]:
        """The dates of the run's per-period contributions (empty when the file is missing)."""
        return set() if self.contributions is None else set(self.contributions["date"])


def load_run(path: Path) -> ComparedRun:
    """Read a (resolved) run folder's files for a comparison."""
    contributions, metrics = path / "contributions.csv", path / "metrics.json"
    run = ComparedRun(
        path=path,
        channels=read_csv(path / "channels.csv", CHANNEL_COLUMNS),
        contributions=(
            read_csv(contributions, CONTRIBUTION_COLUMNS) if contributions.is_file() else None
        ),
        metrics=read_json(metrics) if metrics.is_file() else None,
        manifest=read_json(path / "manifest.json"),
    )
    for kind in TARGET_KINDS:
        if f"{kind}_mean" in run.channels:
            require(run.channels, path / "channels.csv", [f"{kind}_hdi_low", f"{kind}_hdi_high"])
    if (path / "diagnostics.json").is_file():
        run.diagnostics = read_json(path / "diagnostics.json")
    if (path / "posterior_summary.csv").is_file():
        run.summary = read_csv(path / "posterior_summary.csv", ("parameter", "mean"))
        run.summary = run.summary.set_index("parameter")
    if (path / "loo.csv").is_file() and (path / "fit.csv").is_file():
        run.loo = read_csv(path / "loo.csv", ("date", "elpd_loo", "pareto_k"))
        run.fit = read_csv(path / "fit.csv", ("date", "actual"))
    run.config = _resolved(path / "config.resolved.yaml")
    return run


def _resolved(path: Path) -> dict | None:
    """The run's resolved config, or None when it is missing or unreadable (it only refines a
    comparison: the intervals' probability, and whether two runs fit the same model)."""
    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return value if isinstance(value, dict) else None


def read_json(path: Path) -> dict:
    """A run's JSON file, which must hold an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: cannot read this run file: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path}: expected a JSON object in this run file")
    return value


def read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a run CSV: names and dates as strings, every other column numeric (blank = NaN,
    inf allowed); ``UsageError`` naming the file for anything else."""
    try:
        frame = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=True)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{path}: cannot read this run file: {first}") from None
    require(frame, path, list(required))
    for col in frame.columns:
        if col in TEXT_COLUMNS:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        if (values.isna() & frame[col].notna()).any():
            raise UsageError(f"{path}: column {col!r} holds values that are not numbers")
        frame[col] = values
    key = next(c for c in ("channel", "component", "parameter", "date") if c in required)
    if frame[key].isna().any():
        raise UsageError(f"{path}: a row has no name")
    return frame


def require(frame: pd.DataFrame, path: Path, required: list[str]) -> None:
    """``UsageError`` naming ``path`` when ``frame`` lacks any of the ``required`` columns."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UsageError(f"{path}: missing column(s) {', '.join(missing)}")
