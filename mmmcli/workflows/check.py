"""``mmm check``: validate everything a fit needs and describe the plan, without sampling."""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import ModelError
from ..model.build import check_initial_point
from ..model.implied import prior_rows
from ..runs.fingerprint import sha256
from ..runs.folder import runs_folder
from ..spec.config import Config, load_config
from ..tracking import destination
from .prepare import check_refresh_data, effective_sampler, prepare, ready_model, screen_model


def check(
    config: Config | str | Path, *, out: Path | None = None, quick: bool = False, **overrides
) -> dict:
    """Validate config, data and calibration, solve priors, build and evaluate the model;
    return the plan as a dict.

    Raises UsageError (exit 2) on any problem, exactly as ``fit`` would before sampling: both
    run ``workflows.prepare``. What the data alone show against the model (correlated, flat,
    sparse or small channels, too many parameters: ``inputs.screening``) is warned about, never
    refused: such a model may still fit, and when it does not, the fit's diagnosis repeats the
    same findings as advice.
    """
    t = time.perf_counter()
    cfg = config if isinstance(config, Config) else load_config(config)
    settings = effective_sampler(cfg, quick=quick, **overrides)
    tracked_at = destination(cfg)
    data, priors, calib = prepare(cfg)
    check_refresh_data(cfg, priors, sha256(cfg.resolve(cfg.data.path)))
    model = ready_model(cfg, data, priors, calib, runs_folder(cfg, out), evaluate=False)
    findings = screen_model(data, model)  # in fit's order: a refusal here comes first
    try:
        check_initial_point(model)
    except ModelError as exc:
        raise ModelError(f"{cfg.source}: {exc}") from None
    channels = []
    for j, (name, ch) in enumerate(cfg.channels.items()):
        channels.append(
            {
                "channel": name,
                "spend_column": ch.spend,
                "spend_total": float(data.spend[: data.n_train, j].sum()),
                "spend_scale": float(data.spend_scale[j]),
                "adstock": ch.adstock.type + (f" (max_lag {ch.lag})" if ch.lag else ""),
                "saturation": ch.saturation.type,
                "calibrated": calib.labels(name),
            }
        )
    return {
        "command": "check",
        "status": "ok",
        "exit_code": 0,
        "config": str(cfg.source),
        "name": cfg.name,
        "data": {
            "path": str(data.path),
            "rows": data.n,
            "fitted_rows": data.n_train,
            "holdout_rows": data.n - data.n_train,
            "start": str(data.dates[0].date()),
            "end": str(data.dates[-1].date()),
            "frequency": data.freq,
            "target": cfg.target.column,
            "kind": cfg.target.kind,
        },
        "channels": channels,
        "refresh": priors.refresh,
        "controls": {n: c.column for n, c in cfg.controls.items()},
        "priors": prior_rows(cfg, data, priors),
        "calibration": [
            {
                "source": s.source.name,
                "channel": s.channel,
                "method": s.method,
                "observations": len(s.uplift),
            }
            for s in calib.series
        ]
        + [
            {
                "source": t.source.name,
                "channel": t.channel,
                "method": t.method,
                "window": t.window,
                "observations": 1,
            }
            for t in calib.tests
        ],
        "warnings": [*cfg.warnings(), *calib.warnings, *(f.message for f in findings)],
        "screening": [f.to_json() for f in findings],
        "sampler": settings.model_dump(),
        "runs_folder": str(runs_folder(cfg, out)),
        "tracking": (
            {"mlflow": {"uri": tracked_at[0], "experiment": tracked_at[1]}} if tracked_at else None
        ),
        "seconds": round(time.perf_counter() - t, 3),
    }
