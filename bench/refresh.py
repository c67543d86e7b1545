"""Refresh stability: weekly refits with and without posterior-as-prior refresh.

``python bench/refresh.py [--weeks 13]`` generates the sample data extended by ``--weeks``
(``mmmsim.sample``, 156 + 13 weeks), fits the first 156 weeks once, then refits week by week
(157, 158, ... weeks of data) twice: from scratch, and refreshing each refit from the one
before (the first from the initial fit). Every fit is ``mmm fit`` in its own process with the
example config's model and sampler settings. Reported per channel: the standard deviation of the
CPA posterior mean across the refits in each mode, and how often the true CPA over each refit's
fitted periods (from the generator's weekly contributions) is inside the 94% HDI. Results go to
``bench/out/refresh-<parent>.json`` and a markdown table on stdout. ``--parent initial``
refreshes every refit from the initial fit instead of from the one before. (mmm now follows a
chain of refreshes back to the run fitted from scratch, so both modes use the initial fit's
posterior; the chained figures in the README were measured before it did.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
BASE_WEEKS = 156


def fit(config: Path, *extra: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "mmmcli", "fit", str(config), "--json", "--quiet", *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(proc.stdout)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"mmm fit {config} exited {proc.returncode}: {result.get('error')}")
    return result


def config_for(folder: Path, name: str, data: Path) -> Path:
    cfg = yaml.safe_load((ROOT / "configs" / "example.yaml").read_text())
    cfg["name"] = name
    cfg["data"]["path"] = str(data)
    cfg["holdout"] = {"periods": 0}
    cfg["output"] = {"dir": str(folder / "runs")}
    path = folder / f"{name}-{data.stem}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument(
        "--parent",
        choices=("previous", "initial"),
        default="previous",
        help="refresh each refit from the one before (a chain, as refresh.from: .../latest), "
        "or every refit from the initial fit",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "mmmsim.sample", "--out-dir", str(folder), "--weeks"]
            + [str(BASE_WEEKS + args.weeks)],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        frame = pd.read_csv(folder / "weekly.csv")
        truth = json.loads((folder / "weekly_truth.json").read_text())
        channels = list(truth["contributions"])

        def data(n: int) -> Path:
            path = folder / f"weeks{n}.csv"
            frame.iloc[:n].to_csv(path, index=False)
            return path

        def true_cpa(n: int) -> dict[str, float]:
            return {
                c: float(frame[f"{c}_spend"].iloc[:n].sum())
                / float(np.sum(truth["contributions"][c]["weekly"][:n]))
                for c in channels
            }

        start = time.perf_counter()
        initial = fit(config_for(folder, "refresh", data(BASE_WEEKS)))
        rows = []
        parent = initial["run_dir"]
        for n in range(BASE_WEEKS + 1, BASE_WEEKS + args.weeks + 1):
            path = data(n)
            scratch = fit(config_for(folder, "scratch", path))
            refreshed = fit(config_for(folder, "refresh", path), "--refresh-from", parent)
            if args.parent == "previous" and refreshed["status"] == "passed":
                parent = refreshed["run_dir"]  # as `latest` would: the newest passing run
            for mode, result in (("scratch", scratch), ("refresh", refreshed)):
                for ch in result["channels"]:
                    t = true_cpa(n)[ch["channel"]]
                    rows.append(
                        {
                            "weeks": n,
                            "mode": mode,
                            "status": result["status"],
                            "channel": ch["channel"],
                            "cpa_mean": ch["cpa_mean"],
                            "cpa_hdi_low": ch["cpa_hdi_low"],
                            "cpa_hdi_high": ch["cpa_hdi_high"],
                            "true_cpa": t,
                            "covered": ch["cpa_hdi_low"] <= t <= ch["cpa_hdi_high"],
                        }
                    )
            print(f"{n} weeks done", file=sys.stderr)
        wall = time.perf_counter() - start
    table = pd.DataFrame(rows)
    summary = []
    for channel in channels:
        line = {"channel": channel}
        for mode in ("scratch", "refresh"):
            part = table[(table["channel"] == channel) & (table["mode"] == mode)]
            line[f"{mode}_sd"] = float(part["cpa_mean"].std(ddof=1))
            line[f"{mode}_mean"] = float(part["cpa_mean"].mean())
            line[f"{mode}_covered"] = float(part["covered"].mean())
        summary.append(line)
    report = {
        "refits": args.weeks,
        "wall_s": wall,
        "summary": summary,
        "coverage": {
            m: float(table[table["mode"] == m]["covered"].mean()) for m in ("scratch", "refresh")
        },
        "failed": {
            m: int((table[table["mode"] == m].groupby("weeks")["status"].first() != "passed").sum())
            for m in ("scratch", "refresh")
        },
        "rows": rows,
    }
    OUT.mkdir(exist_ok=True)
    report["parent"] = args.parent
    (OUT / f"refresh-{args.parent}.json").write_text(json.dumps(report, indent=2))
    print(
        f"{args.weeks} weekly refits after {BASE_WEEKS} weeks, refresh from the {args.parent} "
        f"fit; CPA posterior mean across refits\n\n"
        "| channel | sd, from scratch | sd, refresh | ratio | mean, scratch | mean, refresh "
        "| truth in 94% HDI, scratch | refresh |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for s in summary:
        print(
            f"| {s['channel']} | {s['scratch_sd']:.2f} | {s['refresh_sd']:.2f} | "
            f"{s['refresh_sd'] / s['scratch_sd']:.2f} | {s['scratch_mean']:.1f} | "
            f"{s['refresh_mean']:.1f} | {s['scratch_covered']:.0%} | {s['refresh_covered']:.0%} |"
        )
    cov = report["coverage"]
    print(
        f"\n(refit, channel) pairs with the truth inside the 94% HDI: scratch {cov['scratch']:.0%},"
        f" refresh {cov['refresh']:.0%}; fits that failed the gate: {report['failed']}; "
        f"{wall:.0f} s"
    )


if __name__ == "__main__":
    main()
