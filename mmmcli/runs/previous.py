"""An earlier run read back: its status, resolved config and posterior draws (for a refresh)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from ..analysis.compare import resolve_run
from ..errors import UsageError


@dataclass
class PreviousRun:
    path: Path
    status: str | None
    fingerprint: str | None
    config: dict
    posterior: dict[str, np.ndarray]  # variable -> (draws, ...) with chains stacked
    data_sha256: str | None = None
    refreshed_from: str | None = None  # the run this one's priors came from, if refreshed


def load_previous(path: Path) -> PreviousRun:
    """Read a run folder (or ``runs/<name>``, ``.../latest``); UsageError naming what is wrong."""
    run = resolve_run(path)
    try:
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        config = yaml.safe_load((run / "config.resolved.yaml").read_text(encoding="utf-8"))
        with xr.open_datatree(run / "trace.nc", engine="h5netcdf") as tree:
            post = tree["posterior"].to_dataset().load()
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
    return PreviousRun(
        run, manifest.get("status"), manifest.get("fingerprint"), config, draws, sha, parent
    )
