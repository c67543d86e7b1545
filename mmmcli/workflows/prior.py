"""``mmm prior``: sample the prior predictive and write ``<dir>/<name>/prior-<timestamp>/``.

The folder receives ``prior_predictive.csv``, ``prior_predictive_target.csv``, ``prior.json`` and
``plots/prior_predictive.png``; like a fit's, it appears complete or not at all.
"""

from __future__ import annotations

from pathlib import Path

from ..analysis.prior_predictive import prior_predictive
from ..model.build import build_model
from ..runs.folder import runs_folder, side_folder
from ..runs.plots import prior_predictive_plot
from ..runs.writers import write_csv, write_json
from ..spec.config import Config, load_config
from .prepare import prepare


def prior_check(
    config: Config | str | Path,
    *,
    out: Path | None = None,
    draws: int = 500,
    seed: int | None = None,
    prob: float = 0.94,
) -> dict:
    """Sample the prior predictive, write the prior run folder, return the summary."""
    cfg = config if isinstance(config, Config) else load_config(config)
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    seed = cfg.sampler.seed if seed is None else seed
    pp = prior_predictive(cfg, data, model, draws, seed, prob)
    with side_folder(runs_folder(cfg, out), "prior-") as run:
        (run.path / "plots").mkdir()
        write_csv(run.path / "prior_predictive.csv", pp.summary)
        write_csv(run.path / "prior_predictive_target.csv", pp.target)
        prior_predictive_plot(cfg, pp.target, prob, run.path / "plots" / "prior_predictive.png")
        result = {
            "command": "prior",
            "status": "ok",
            "exit_code": 0,
            "run_dir": str(run.final),
            "draws": draws,
            "observed_outside_share": pp.observed_outside_share,
            "flagged": pp.flagged,
            "summary": pp.summary.to_dict(orient="records"),
        }
        write_json(run.path / "prior.json", result)
    return result
