"""Score a fitted run folder of a corpus case against the case's truth.

Reads only files (the run's ``diagnostics.json``, ``channels.csv``, ``metrics.json`` and the
case's ``truth.json``), so the bench and the tests judge a fit the same way without this
package importing ``mmmcli``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def score(run_dir: Path, case_dir: Path) -> dict:
    """Gate figures, how many channels' HDI of total contribution covers the truth, and the
    posterior media share of the target against the true one."""
    truth = json.loads((case_dir / "truth.json").read_text())
    diag = json.loads((run_dir / "diagnostics.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    channels = pd.read_csv(run_dir / "channels.csv").set_index("channel")
    missed = []
    for name, true in truth["channels"].items():
        low, high = channels.loc[name, ["contribution_hdi_low", "contribution_hdi_high"]]
        if not low <= true["contribution_total"] <= high:
            missed.append(name)
    share = metrics.get("media_share")  # runs of versions before it was reported: the mean only
    if share is None:
        total = channels["contribution_mean"].sum() / truth["target_total"]
        share = {"mean": float(total), "hdi_low": float("nan"), "hdi_high": float("nan")}
    return {
        "passed": bool(diag["passed"]),
        "divergences": diag["divergences"],
        "max_r_hat": diag["max_r_hat"],
        "min_ess_bulk": diag["min_ess_bulk"],
        "covered": len(truth["channels"]) - len(missed),
        "channels": len(truth["channels"]),
        "missed": missed,
        "media_share": share["mean"],
        "media_share_hdi": [share["hdi_low"], share["hdi_high"]],
        "true_media_share": truth["media_share_of_target"],
        "true_media_variance_share": truth["media_share_of_variance"],
    }
