"""``mmm init DIR``: a working project to start from — a config and sample data.

The sample files ship inside the package (``mmmcli/samples/``, their only copy in the repository),
so ``mmm init`` works from an installed wheel too.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from ..errors import UsageError, environment_failure

FILES = ("weekly.csv", "uplift_tv.csv", "lift_tests.csv")

CONFIG = """\
# A starting point: weekly conversions, four channels, calibrated by experiments.
# Check it with `mmm check mmm.yaml`, fit it with `mmm fit mmm.yaml`; see `mmm schema`.
name: {name}
data:
  path: data/weekly.csv          # relative to this file
  date_column: date
target:
  column: conversions
  kind: conversions              # conversions -> CPA; revenue -> ROAS
channels:
  tv:
    spend: tv_spend
    adstock: {{type: geometric, max_lag: 8}}
    saturation: {{type: logistic}}
    coefficient:                 # weekly ceiling, in conversions: 'between 100 and 800'
      bounds: {{dist: Gamma, lower: 100, upper: 800, mass: 0.95}}
  radio:
    spend: radio_spend
    adstock: {{type: geometric, max_lag: 8}}
    saturation: {{type: logistic}}
  social:
    spend: social_spend
    adstock: {{type: geometric, max_lag: 8}}
    saturation: {{type: logistic}}
  search:
    spend: search_spend
    adstock: {{type: geometric, max_lag: 8}}
    saturation: {{type: logistic}}
controls:
  price: {{column: price}}
seasonality: {{yearly_fourier_order: 2}}
trend: linear
calibration:
  - channel: tv
    path: data/uplift_tv.csv     # date, uplift, sigma
  - path: data/lift_tests.csv    # channel, start, end, spend_delta, uplift, sigma
sampler: {{engine: nutpie, chains: 4, draws: 1500, tune: 1000, target_accept: 0.95, seed: 42}}
checks: {{max_r_hat: 1.01, min_ess_bulk: 400, max_divergences: 0}}
output: {{dir: runs}}
"""


def scaffold(directory: Path | str) -> list[Path]:
    """Write ``mmm.yaml`` and ``data/*.csv`` into ``directory``; refuse to overwrite, and refuse
    an empty name (``mmm init ""`` from a script whose variable was unset), which the file
    system would take as the current folder."""
    if not str(directory).strip():
        raise UsageError("DIRECTORY: is empty; name the folder to create (. for this one)")
    directory = Path(directory)
    config = directory / "mmm.yaml"
    targets = [config, *(directory / "data" / f for f in FILES)]
    existing = [p for p in targets if p.exists()]
    if existing:
        raise UsageError(f"{existing[0]}: already exists; mmm init never overwrites files")
    probe = directory / "data"
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{probe}: is a file, not a folder")
    created = [p for p in (directory, directory / "data") if not p.exists()]
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in directory.resolve().name)
    try:
        (directory / "data").mkdir(parents=True, exist_ok=True)
        source = resources.files("mmmcli") / "samples"
        for file in FILES:
            with resources.as_file(source / file) as path:
                shutil.copyfile(path, directory / "data" / file)
        config.write_text(CONFIG.format(name=name.lstrip("_-") or "mmm"), encoding="utf-8")
    except OSError as exc:  # nothing half-written: remove what this call made
        for path in targets:
            if path.is_file():
                path.unlink()
        for folder in reversed(created):
            shutil.rmtree(folder, ignore_errors=True)
        failure = environment_failure(exc, directory, " (writing the project)")
        if failure is not None:
            raise failure from exc
        raise UsageError(f"{directory}: cannot write the project: {exc.strerror or exc}") from None
    return targets
