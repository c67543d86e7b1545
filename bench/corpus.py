"""Fit the stress corpus (``mmmsim.corpus``) with default settings and score it against truth.

``python bench/corpus.py [--case NAME ...] [--out DIR]`` generates each case, runs
``mmm fit <case>/mmm.yaml --json --quiet`` in its own process, as a user would, and reports per
case: exit code, divergences, max r_hat, min ESS bulk, how many channels' 94% HDI of total
contribution covers the true total, the posterior mean media share of the target against the
true one, and the wall time. The table goes to stdout (markdown), the details to
``bench/out/corpus.json`` (``--save NAME``: ``bench/out/NAME.json``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from mmmsim import corpus  # noqa: E402
from mmmsim.score import score  # noqa: E402


def fit_case(case: corpus.Case, folder: Path) -> dict:
    config = corpus.write_case(case, folder / case.name)
    start = time.perf_counter()
    proc = subprocess.run(  # python -m: PYTHONPATH can point at another checkout's mmmcli
        [sys.executable, "-m", "mmmcli", "fit", str(config), "--json", "--quiet"],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    row = {"case": case.name, "exit": proc.returncode, "wall_s": round(wall, 1)}
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {**row, "error": proc.stderr.strip()[-300:]}
    if "run_dir" not in result:
        return {**row, "error": result.get("error")}
    attempts = result.get("attempts") or []  # the near-miss retry's record (README)
    row["attempts"] = len(attempts) or 1
    row["retry_seconds"] = round(sum(a.get("seconds") or 0 for a in attempts[1:]), 1)
    return {**row, **score(Path(result["run_dir"]), config.parent)}


def table(rows: list[dict]) -> str:
    out = [
        "| case | exit | div | max r_hat | min ESS | covered | media share [HDI] (truth) "
        "| attempts | wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            out.append(
                f"| {r['case']} | {r['exit']} | | | | | {r['error'][:60]} | | {r['wall_s']} |"
            )
            continue
        low, high = r["media_share_hdi"]
        out.append(
            f"| {r['case']} | {r['exit']} | {r['divergences']} | {r['max_r_hat']:.3f} | "
            f"{r['min_ess_bulk']:.0f} | {r['covered']}/{r['channels']} | "
            f"{r['media_share']:.1%}{f' [{low:.0%}, {high:.0%}]' if low == low else ''} "
            f"({r['true_media_share']:.1%}) | {r['attempts']} | {r['wall_s']} |"
        )
    pairs = sum(r.get("channels", 0) for r in rows if "error" not in r)
    covered = sum(r.get("covered", 0) for r in rows if "error" not in r)
    if pairs:
        out.append(f"\ncoverage: {covered}/{pairs} (case, channel) pairs = {covered / pairs:.0%}")
    retried = [r for r in rows if r.get("attempts", 1) > 1]
    rescued = [r for r in retried if r["exit"] == 0]
    out.append(
        f"near-miss retries: {len(retried)} of {len(rows)} fits, {len(rescued)} rescued, "
        f"{sum(r['retry_seconds'] for r in retried):.1f} s of sampling spent on them"
    )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="only these cases (repeatable)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "corpus")
    parser.add_argument("--save", default="corpus", help="bench/out/<SAVE>.json (default corpus)")
    args = parser.parse_args()
    cases = [corpus.case(n) for n in args.case] if args.case else list(corpus.CASES)
    rows = []
    for case in cases:
        rows.append(fit_case(case, args.out))
        print(json.dumps(rows[-1]), file=sys.stderr)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / f"{args.save}.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
