"""An earlier run read back: its status, resolved config and posterior draws (for a refresh), and
the observations its posterior holds (the fitted periods' dates and target values)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from ..analysis.compare import resolve_run
from ..errors import UsageError
from ..spec.names import OBSERVED


@dataclass
class PreviousRun:
    path: Path
    status: str | None
    fingerprint: str | None
    config: dict
    posterior: dict[str, np.ndarray]  # variable -> (draws, ...) with chains stacked
    data_sha256: str | None = None
    refreshed_from: str | None = None  # the run this one's priors came from, if refreshed
    # the observations its likelihood saw (the trace's observed data): dates and target values
    fitted_dates: pd.DatetimeIndex | None = None
    fitted_y: np.ndarray | None = None


def load_previous(path: Path) -> PreviousRun:
    """Read a run folder (or ``runs/<name>``, ``.../latest``); UsageError naming what is wrong."""
    run = resolve_run(path)
    try:
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        config = yaml.safe_load((run / "config.resolved.yaml").read_text(encoding="utf-8"))
        with xr.open_datatree(run / "trace.nc", engine="h5netcdf") as tree:
            post = tree["posterior"].to_dataset().load()
            observed = _observed(tree)
    except (OSError, ValueError, KeyError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{run}: cannot read the run to refresh from ({first})") from None
    if not isinstance(manifest, dict) or not isinstance(config, dict):
        raise UsageError(f"{run}: not a run written by mmm")
    draws = {
        str(name): np.asarray(
            var.stack(sample=("chain", "draw")).transpose("sample", ...).values, dtype=float
        )
        for name, var in post.data_vars.items()
    }
    data = manifest.get("data")
    sha = data.get("sha256") if isinstance(data, dict) else None
    refresh = manifest.get("refresh")
    parent = refresh.get("from") if isinstance(refresh, dict) else None
    previous = PreviousRun(
        run, manifest.get("status"), manifest.get("fingerprint"), config, draws, sha, parent
    )
    if observed is not None:
        previous.fitted_dates, previous.fitted_y = observed
    return previous


def _observed(tree: xr.DataTree) -> tuple[pd.DatetimeIndex, np.ndarray] | None:
    """The target's observed values by date, as the likelihood saw them (the fitted periods
    only: a holdout is never in the fitted graph); None when the trace does not hold them."""
    if "observed_data" not in tree.children:
        return None
    observed = tree["observed_data"].to_dataset()
    values = observed.get(OBSERVED)
    if values is None or "date" not in values.coords or values.ndim != 1:
        return None
    return pd.DatetimeIndex(values["date"].values), np.asarray(values.values, dtype=float)
