"""Calibration of the posterior predictive on data the fit has not seen.

``python bench/predictive.py [--holdout 26] [--case NAME ...]`` fits the sample data
(``configs/example.yaml``) and stress-corpus cases (``mmmsim.corpus``) with their last
``--holdout`` periods held out, each with ``mmm fit`` in its own process, and reports the
predictive interval coverage (50% and 94%) and CRPS in sample and on the holdout, from each
run's ``metrics.json``. Results go to ``bench/out/predictive.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from mmmsim import corpus  # noqa: E402

CASES = ("huge_target", "small_channels", "strong_signal", "heavy_tails")


def fit(config: Path, holdout: int) -> dict:
    raw = yaml.safe_load(config.read_text())
    raw["holdout"] = {"periods": holdout}
    if not Path(raw["data"]["path"]).is_absolute():
        raw["data"]["path"] = str((config.parent / raw["data"]["path"]).resolve())
    raw["output"] = {"dir": str(config.parent / "runs")}
    edited = config.with_name(f"{config.stem}-holdout.yaml")
    edited.write_text(yaml.safe_dump(raw, sort_keys=False))
    proc = subprocess.run(
        [sys.executable, "-m", "mmmcli", "fit", str(edited), "--json", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(proc.stdout)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{edited}: exit {proc.returncode}: {result.get('error')}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", type=int, default=26)
    parser.add_argument("--case", action="append", default=None)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample"
        sample.mkdir()
        example = sample / "example.yaml"
        example.write_text((ROOT / "configs" / "example.yaml").read_text())
        raw = yaml.safe_load(example.read_text())
        raw["data"]["path"] = str(ROOT / "mmmcli" / "samples" / "weekly.csv")
        example.write_text(yaml.safe_dump(raw, sort_keys=False))
        targets = [("sample data", example)]
        for name in args.case or CASES:
            targets.append((name, corpus.write_case(corpus.case(name), Path(tmp) / name)))
        for label, config in targets:
            result = fit(config, args.holdout)
            m = result["metrics"]
            rows.append(
                {
                    "case": label,
                    "status": result["status"],
                    "in_sample": m["in_sample"]["predictive"],
                    "holdout": m["holdout"]["predictive"],
                    "holdout_mape": m["holdout"]["mape"],
                    "holdout_n": m["holdout"]["n"],
                }
            )
            print(f"{label}: {rows[-1]['holdout']}", file=sys.stderr)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "predictive.json").write_text(json.dumps(rows, indent=2))
    print(
        f"holdout: last {args.holdout} periods\n\n"
        "| case | status | coverage 94% in sample | holdout | coverage 50% in sample | holdout "
        "| CRPS in sample | holdout |\n|---|---|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        i, h = r["in_sample"], r["holdout"]
        print(
            f"| {r['case']} | {r['status']} | {i['coverage_94']:.2f} | {h['coverage_94']:.2f} | "
            f"{i['coverage_50']:.2f} | {h['coverage_50']:.2f} | {i['crps']:.4g} | "
            f"{h['crps']:.4g} |"
        )


if __name__ == "__main__":
    main()
