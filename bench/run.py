"""mmm against pymc-marketing on one standard dataset, side by side (``make bench``).

    python bench/run.py compare [--rounds 3]      # mmm vs pymc-marketing's three engines
    python bench/run.py refit                     # compile time of a cron refit, cold cache
    python bench/run.py scaling                   # mmm wall time and memory, weeks x channels
    python bench/run.py optimize                  # mmm optimize on a 4000-draw posterior
    python bench/run.py validate                  # mmm validate (5 folds) against one fit
    python bench/run.py batch [--configs 8]       # mmm fit CONFIG...: one by one, pool, Dask

Every fit is a separate process (4 chains x 1000 tune x 1000 draws); wall time and peak
memory (max RSS) are measured from outside it. ``compare`` first runs each tool once untimed
so compile caches are warm, then alternates the tools round by round (A B C D A B C D ...)
and reports medians. pymc-marketing 1.3 pins ``pymc<6.4``, so it is installed into its own
virtualenv (``bench/.venv-pmm``), never into mmm's. Results go to ``bench/out/*.json`` and a
markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PMM_VENV = HERE / ".venv-pmm"
PMM_PACKAGES = ["pymc-marketing==1.3.0", "numpyro", "nutpie"]
ENGINES = ("pymc", "nutpie", "numpyro", "numpyro+xla4")
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def run(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run one process; its wall seconds, peak RSS (MiB), exit code and last stdout line."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 3):  # 3: mmm's convergence gate failed, still a result
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr[-3000:]}")
    return {
        "wall_s": wall,
        "peak_mib": usage.ru_maxrss / 1024,
        "exit": proc.returncode,
        "output": _json(stdout),
    }


def _json(stdout: str) -> dict:
    """The JSON document a tool printed: the whole output (mmm --json) or its last line."""
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        lines = [line for line in stdout.splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else {}


# ---------------------------------------------------------------- the tools


def dataset(folder: Path, weeks: int = 156, channels: int = 4) -> Path:
    """Generate the standard dataset into ``folder`` (deterministic) and return its config."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mmmsim.bench",
            str(folder),
            "--weeks",
            str(weeks),
            "--channels",
            str(channels),
        ],
        check=True,
        cwd=HERE.parent,
    )
    return folder / "bench.yaml"


def mmm_fit(config: Path, env: dict | None = None) -> dict:
    mmm = Path(sys.executable).parent / "mmm"
    result = run([str(mmm), "fit", str(config), "--json", "--quiet"], env=env)
    out = result["output"]
    phases = out["timings_seconds"]
    diag = out["diagnostics"]
    return {
        "tool": "mmm",
        "wall_s": result["wall_s"],
        "import_s": result["wall_s"] - sum(phases.values()),  # start-up and imports
        "compile_s": phases["compile"],
        "sample_s": phases["sample"],
        "load_s": phases["load"],
        "write_s": phases["write"],
        "decisions_s": phases.get("decisions", 0.0),
        "min_ess_bulk": diag["min_ess_bulk"],
        "max_r_hat": diag["max_r_hat"],
        "divergences": diag["divergences"],
        "gradient_evals": diag["gradient_evaluations"],
        "compile_cache": diag.get("compile_cache"),
        "peak_mib": result["peak_mib"],
    }


def ensure_pmm_venv() -> Path:
    python = PMM_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing {' '.join(PMM_PACKAGES)} into {PMM_VENV} ...", file=sys.stderr)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(PMM_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PMM_PACKAGES], check=True)
    return python


XLA4 = "--xla_force_host_platform_device_count=4"


def pmm_fit(python: Path, folder: Path, engine: str, env: dict | None = None) -> dict:
    """pymc-marketing with ``engine``; ``numpyro+xla4`` is numpyro with four XLA host devices
    (its 4 chains in parallel: JAX otherwise sees one CPU device and numpyro draws the chains one
    after the other). Both numpyro settings are measured and the faster counts as its best."""
    base = engine.split("+")[0]
    env = {**(env or os.environ), "PYTHONWARNINGS": "ignore"}
    env.pop("XLA_FLAGS", None)
    if engine.endswith("+xla4"):
        env["XLA_FLAGS"] = XLA4
    result = run([str(python), str(HERE / "pmm_fit.py"), str(folder), base], env=env)
    out = result["output"]
    return {
        "tool": f"pymc-marketing/{engine}",
        "wall_s": result["wall_s"],
        "import_s": out["import_s"],
        "compile_s": out["compile_s"],
        "sample_s": out["sample_s"],
        "min_ess_bulk": out["min_ess_bulk"],
        "max_r_hat": out["max_r_hat"],
        "divergences": out["divergences"],
        "peak_mib": result["peak_mib"],
    }


def seconds_per_eval(config: Path) -> float:
    cmd = [sys.executable, str(HERE / "eval_time.py"), str(config)]
    return run(cmd)["output"]["seconds_per_eval"]


# ---------------------------------------------------------------- the three studies


def compare(rounds: int, engines: tuple[str, ...]) -> dict:
    folder = OUT / "data"
    config = dataset(folder)
    python = ensure_pmm_venv()
    tools = {"mmm": lambda env=None: mmm_fit(config, env)}
    for engine in engines:
        tools[f"pymc-marketing/{engine}"] = lambda env=None, e=engine: pmm_fit(
            python, folder, e, env
        )
    cold: dict[str, dict] = {}
    for name, fit in tools.items():  # a fresh machine's first fit: an empty compile cache
        with tempfile.TemporaryDirectory() as cache:
            print(f"cold: {name}", file=sys.stderr)
            cold[name] = fit(_cold_env(cache))
    for name, fit in tools.items():  # warm every compile cache; not reported
        print(f"warm-up: {name}", file=sys.stderr)
        fit()
    runs: dict[str, list[dict]] = {name: [] for name in tools}
    for r in range(rounds):
        for name, fit in tools.items():
            runs[name].append(fit())
            row = runs[name][-1]
            print(f"round {r + 1}: {name} {row['wall_s']:.1f} s", file=sys.stderr)
    medians = {name: _medians(rows) for name, rows in runs.items()}
    per_eval = statistics.median(seconds_per_eval(config) for _ in range(3))
    mmm = medians["mmm"]
    floor = mmm["gradient_evals"] * per_eval / min(4, CORES)
    pmm = {k: v for k, v in medians.items() if k != "mmm"}
    best_ess = max(pmm, key=lambda k: pmm[k]["ess_per_s"]) if pmm else None
    fastest = min(pmm, key=lambda k: pmm[k]["wall_s"]) if pmm else None
    report = {
        "rounds": rounds,
        "cores": CORES,
        "medians": medians,
        "runs": runs,
        "cold": cold,
        "best_ess_per_s": best_ess,
        "fastest": fastest,
        "ess_ratio": (mmm["ess_per_s"] / pmm[best_ess]["ess_per_s"]) if best_ess else None,
        "floor": {
            "gradient_evals": mmm["gradient_evals"],
            "seconds_per_eval": per_eval,
            "cores": min(4, CORES),
            "floor_s": floor,
            "sample_s": mmm["sample_s"],
            "ratio": mmm["sample_s"] / floor,
        },
        "ratios": {
            name: mmm["wall_s"] / row["wall_s"] for name, row in medians.items() if name != "mmm"
        },
    }
    report["targets"] = _targets(report)
    _save("compare", report)
    print(_compare_table(report))
    return report


def refit(repeats: int) -> dict:
    """Compile seconds of a first fit and of a refit with 4 new weeks, each pair sharing one
    empty cache; ``repeats`` pairs, medians reported."""
    first, second = OUT / "refit-week1", OUT / "refit-week2"
    dataset(second, weeks=160)
    dataset(first, weeks=160)
    rows = (first / "bench.csv").read_text().splitlines()
    (first / "bench.csv").write_text("\n".join(rows[:-4]) + "\n")  # 156 weeks, then 160
    pairs = []
    for _ in range(repeats):
        cache = Path(tempfile.mkdtemp(prefix="mmm-bench-cache-"))
        env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={cache}"}
        try:
            pairs.append((mmm_fit(first / "bench.yaml", env), mmm_fit(second / "bench.yaml", env)))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    med = {key: statistics.median(p[0][key] for p in pairs) for key in ("compile_s", "wall_s")}
    refit_med = {key: statistics.median(p[1][key] for p in pairs) for key in med}
    ratios = [pair[1]["compile_s"] / pair[0]["compile_s"] for pair in pairs]
    report = {
        "first_compile_s": med["compile_s"],
        "refit_compile_s": refit_med["compile_s"],
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "refit_cache": [pair[1]["compile_cache"] for pair in pairs],
        "pairs": pairs,
    }
    _save("refit", report)
    print(
        f"medians of {repeats} pairs, each with its own empty cache\n\n"
        f"| fit | weeks | compile s | wall s |\n|---|---:|---:|---:|\n"
        f"| first (empty cache) | 156 | {med['compile_s']:.1f} | {med['wall_s']:.1f} |\n"
        f"| refit (4 new weeks) | 160 | {refit_med['compile_s']:.1f} | "
        f"{refit_med['wall_s']:.1f} |\n\n"
        f"refit / first compile: {report['ratio']:.3f} (each pair: "
        f"{', '.join(f'{r:.3f}' for r in ratios)}); refit cache: {report['refit_cache']}"
    )
    return report


def scaling(weeks: tuple[int, ...], channels: tuple[int, ...]) -> dict:
    rows = []
    for n_weeks in weeks:
        for n_channels in channels:
            config = dataset(OUT / f"scaling-{n_weeks}w-{n_channels}c", n_weeks, n_channels)
            cold = mmm_fit(config)  # compiles this structure's callbacks
            warm = mmm_fit(config)
            rows.append({"weeks": n_weeks, "channels": n_channels, "first": cold, **warm})
            print(f"{n_weeks} w x {n_channels} ch: {warm['wall_s']:.1f} s", file=sys.stderr)
    _save("scaling", {"rows": rows})
    lines = [
        "| weeks | channels | wall s | compile s | sampling s | peak MiB | min ESS | max r_hat "
        "| div | first fit wall s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['weeks']} | {r['channels']} | {r['wall_s']:.1f} | {r['compile_s']:.1f} | "
            f"{r['sample_s']:.1f} | {r['peak_mib']:.0f} | {r['min_ess_bulk']:.0f} | "
            f"{r['max_r_hat']:.3f} | {r['divergences']} | {r['first']['wall_s']:.1f} |"
        )
    print("\n".join(lines))
    return {"rows": rows}


def optimize(channels: tuple[int, ...], repeats: int) -> dict:
    """Whole-process wall time of ``mmm optimize RUN --periods 13`` on a 4 x 1000-draw fit of
    the standard dataset with C channels (the first call also compiles the evaluator for a new
    layout of curves; it is reported apart), for the posterior mean and its 10% quantile."""
    mmm = Path(sys.executable).parent / "mmm"
    rows = []
    for n_channels in channels:
        config = dataset(OUT / f"optimize-{n_channels}c", 156, n_channels)
        fitted = run([str(mmm), "fit", str(config), "--json", "--quiet"])["output"]
        for objective in ([], ["--quantile", "0.1"]):
            calls = [
                run(
                    [str(mmm), "optimize", fitted["run_dir"], "--periods", "13", "--json"]
                    + ["--allow-failed", "--quiet", *objective]
                )
                for _ in range(repeats + 1)
            ]
            out = calls[-1]["output"]
            rows.append(
                {
                    "channels": n_channels,
                    "objective": out["objective"],
                    "fit_status": fitted["status"],
                    "draws": out["draws"],
                    "first_wall_s": calls[0]["wall_s"],
                    "wall_s": statistics.median(c["wall_s"] for c in calls[1:]),
                    "peak_mib": max(c["peak_mib"] for c in calls),
                    "gain_mean": out["gain_mean"],
                    "gain_probability_positive": out["gain_probability_positive"],
                    "converged_starts": f"{out['converged_starts']}/{out['starts']}",
                }
            )
            print(
                f"{n_channels} ch, {out['objective']}: {rows[-1]['wall_s']:.1f} s", file=sys.stderr
            )
    _save("optimize", {"rows": rows, "cores": CORES})
    lines = [
        f"`mmm optimize RUN --periods 13`, whole process, {CORES} cores, median of {repeats}",
        "",
        "| channels | objective | draws | fit status | wall s | first call s | peak MiB | "
        "gain mean | P(gain > 0) | converged starts |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['channels']} | {r['objective']} | {r['draws']} | {r['fit_status']} | "
            f"{r['wall_s']:.1f} | {r['first_wall_s']:.1f} | {r['peak_mib']:.0f} | "
            f"{r['gain_mean']:.4g} | {r['gain_probability_positive']:.2f} | "
            f"{r['converged_starts']} |"
        )
    print("\n".join(lines))
    return {"rows": rows}


def validate(folds: int, horizon: int) -> dict:
    """``mmm validate configs/example.yaml --folds K --horizon H`` against one ``mmm fit`` of
    the same config (warm compile cache for both: the fit runs first), whole process."""
    mmm = Path(sys.executable).parent / "mmm"
    config = HERE.parent / "configs" / "example.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        fit = run([str(mmm), "fit", str(config), "--out", tmp, "--json", "--quiet"])
        cmd = [str(mmm), "validate", str(config), "--folds", str(folds), "--horizon"]
        checked = run([*cmd, str(horizon), "--out", tmp, "--json", "--quiet"])
    out = checked["output"]
    report = {
        "folds": folds,
        "horizon": horizon,
        "fit_wall_s": fit["wall_s"],
        "validate_wall_s": checked["wall_s"],
        "ratio": checked["wall_s"] / fit["wall_s"],
        "compile_cache": out["compile_cache"],
        "status": out["status"],
        "mean": out["mean"],
        "cores": CORES,
    }
    _save("validate", report)
    print(
        f"| one fit s | validate ({folds} folds x {horizon}) s | ratio | compile cache per fold "
        f"| mean MAPE | mean CRPS | coverage 50% | coverage 94% |\n"
        f"|---:|---:|---:|---|---:|---:|---:|---:|\n"
        f"| {fit['wall_s']:.1f} | {checked['wall_s']:.1f} | {report['ratio']:.2f} | "
        f"{', '.join(map(str, out['compile_cache']))} | {out['mean']['mape']:.2%} | "
        f"{out['mean']['crps']:.2f} | {out['mean']['coverage_50']:.2f} | "
        f"{out['mean']['coverage_94']:.2f} |"
    )
    return report


def batch(n_configs: int, nodes: int, projected: int) -> dict:
    """``mmm fit FOLDER`` on ``n_configs`` variants of configs/example.yaml (own names and
    seeds, default sampler: 4 chains x 1000 + 1000), three ways, whole process, warm compile
    cache: one fit at a time (``--jobs 1``: what a cron file of single fits does), the local
    pool's default, and a Dask ``LocalCluster`` of worker processes (one per core, one thread
    each) through ``--scheduler``. Then, on paper, ``projected`` configs on ``nodes`` machines
    like this one from the cluster's fits per hour."""
    import yaml
    from distributed import LocalCluster

    mmm = Path(sys.executable).parent / "mmm"
    example = HERE.parent / "configs" / "example.yaml"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "configs"
        folder.mkdir()
        for i in range(1, n_configs + 1):
            raw = yaml.safe_load(example.read_text())
            raw["name"] = f"market{i}"
            raw["data"]["path"] = str((example.parent / raw["data"]["path"]).resolve())
            raw["sampler"]["seed"] = i
            (folder / f"market{i}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
        run([str(mmm), "fit", str(folder / "market1.yaml"), "--out", f"{tmp}/warm", "--quiet"])
        modes: list[tuple[str, list[str]]] = [
            ("one at a time (--jobs 1)", ["--jobs", "1"]),
            ("local pool (default)", []),
        ]
        cluster = None
        try:
            for label, extra in [*modes, ("Dask LocalCluster", None)]:
                if extra is None:
                    cluster = LocalCluster(
                        n_workers=CORES, threads_per_worker=1, dashboard_address=None
                    )
                    extra = ["--scheduler", cluster.scheduler_address]
                out = f"{tmp}/{len(rows)}"
                done = run(
                    [str(mmm), "fit", str(folder), "--out", out, "--json", "--quiet", *extra]
                )
                result = done["output"]
                codes = [c["exit_code"] for c in result["configs"]]
                rows.append(
                    {
                        "mode": label,
                        "wall_s": done["wall_s"],
                        "fits_per_hour": n_configs / done["wall_s"] * 3600,
                        "jobs": result.get("jobs"),
                        "cores_per_fit": result.get("cores_per_fit"),
                        "exit_codes": codes,
                        "compile_cache": [
                            c["headline"]["compile_cache"] for c in result["configs"]
                        ],
                    }
                )
        finally:
            if cluster is not None:
                cluster.close()
    cluster_rate = rows[-1]["fits_per_hour"]
    hours = projected / (cluster_rate * nodes)
    report = {
        "configs": n_configs,
        "cores": CORES,
        "rows": rows,
        "projection": {
            "configs": projected,
            "nodes": nodes,
            "fits_per_hour_per_node": cluster_rate,
            "hours": hours,
        },
    }
    _save("batch", report)
    print(f"| {n_configs} configs, {CORES} cores | wall s | fits per hour | jobs x cores per fit |")
    print("|---|---:|---:|---|")
    for r in rows:
        shape = f"{r['jobs']} x {r['cores_per_fit']}" if r["jobs"] else f"{CORES} workers x 1"
        print(f"| {r['mode']} | {r['wall_s']:.1f} | {r['fits_per_hour']:.0f} | {shape} |")
    print(
        f"\nOn paper: {projected} configs on {nodes} nodes like this one "
        f"({cluster_rate:.0f} fits per hour each): {hours * 60:.0f} minutes."
    )
    return report


# ---------------------------------------------------------------- reporting


def _cold_env(cache: str) -> dict:
    """The environment of a first fit on a fresh machine: PyTensor's compile directory (and so
    numba's cache of it) empty. JAX keeps no compile cache across processes by default."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    return {
        **os.environ,
        "PYTENSOR_FLAGS": ",".join(f for f in (flags, f"base_compiledir={cache}") if f),
    }


def _medians(rows: list[dict]) -> dict:
    """Medians over rounds, with the spread (min, max) of wall time and ESS per second."""
    out = {"tool": rows[0]["tool"]}
    for key, value in rows[0].items():
        if isinstance(value, (int, float)):
            out[key] = statistics.median(r[key] for r in rows)
    out["divergences_max"] = max(r["divergences"] for r in rows)
    per_run = [r["min_ess_bulk"] / r["wall_s"] for r in rows]
    out["ess_per_s"] = statistics.median(per_run)
    out["ess_per_s_range"] = (min(per_run), max(per_run))
    out["wall_range"] = (min(r["wall_s"] for r in rows), max(r["wall_s"] for r in rows))
    return out


def _targets(report: dict) -> dict:
    """The performance issue's bar, against the peer at its best (every engine and setting)."""
    med = report["medians"]
    mmm = med["mmm"]
    checks = {}
    if report.get("best_ess_per_s"):
        checks[f"ESS/s >= 1.5x best peer ({report['best_ess_per_s']})"] = report["ess_ratio"] >= 1.5
    if report.get("fastest"):
        checks[f"wall <= 1/2 of fastest peer ({report['fastest']})"] = (
            mmm["wall_s"] <= med[report["fastest"]]["wall_s"] / 2
        )
    if "pymc-marketing/pymc" in med:
        checks["wall <= 1/3 of pymc NUTS"] = (
            mmm["wall_s"] <= med["pymc-marketing/pymc"]["wall_s"] / 3
        )
    runs = report["runs"]["mmm"]
    checks["max r_hat <= 1.01 (every run)"] = all(r["max_r_hat"] <= 1.01 for r in runs)
    checks["min ESS bulk >= 400 (every run)"] = all(r["min_ess_bulk"] >= 400 for r in runs)
    checks["no divergences (every run)"] = all(r["divergences"] == 0 for r in runs)
    return checks


def _compare_table(report: dict) -> str:
    lines = [
        f"medians of {report['rounds']} alternating rounds [min-max], {report['cores']} cores, "
        f"4 chains x 1000 tune x 1000 draws, warm compile caches; cold: one first fit with an "
        f"empty compile cache",
        "",
        "| tool | wall s | import s | compile s | sampling s | min ESS | max r_hat | div | "
        "ESS/s | peak MiB | mmm / tool (wall) | cold wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in report["medians"].items():
        ratio = report["ratios"].get(name)
        lo, hi = m["wall_range"]
        elo, ehi = m["ess_per_s_range"]
        cold = report.get("cold", {}).get(name)
        lines.append(
            f"| {name} | {m['wall_s']:.1f} [{lo:.1f}-{hi:.1f}] | {m['import_s']:.1f} | "
            f"{m['compile_s']:.1f} | {m['sample_s']:.1f} | {m['min_ess_bulk']:.0f} | "
            f"{m['max_r_hat']:.3f} | {m['divergences_max']} | {m['ess_per_s']:.0f} "
            f"[{elo:.0f}-{ehi:.0f}] | {m['peak_mib']:.0f} | "
            f"{'' if ratio is None else f'{ratio:.2f}'} | "
            f"{'' if cold is None else f'{cold["wall_s"]:.1f}'} |"
        )
    f = report["floor"]
    lines += [
        "",
        f"ESS per second: mmm / best peer ({report.get('best_ess_per_s')}) = "
        f"{report.get('ess_ratio') or float('nan'):.2f}; fastest peer: {report.get('fastest')}",
        f"floor: {f['gradient_evals']:.0f} gradient evaluations x {f['seconds_per_eval'] * 1e6:.1f}"
        f" us / {f['cores']} cores = {f['floor_s']:.1f} s; sampling took {f['sample_s']:.1f} s "
        f"(ratio {f['ratio']:.2f})",
        "",
        *[f"- [{'x' if ok else ' '}] {name}" for name, ok in report["targets"].items()],
    ]
    return "\n".join(lines)


def _save(name: str, report: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(report, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="study", required=True)
    p = sub.add_parser("compare")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--engines", default=",".join(ENGINES))
    p = sub.add_parser("refit")
    p.add_argument("--repeats", type=int, default=3)
    p = sub.add_parser("scaling")
    p.add_argument("--weeks", default="52,156,520")
    p.add_argument("--channels", default="4,8,16")
    p = sub.add_parser("validate")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--horizon", type=int, default=13)
    p = sub.add_parser("batch")
    p.add_argument("--configs", type=int, default=8)
    p.add_argument("--nodes", type=int, default=50)
    p.add_argument("--projected", type=int, default=500)
    p = sub.add_parser("optimize")
    p.add_argument("--channels", default="4,16")
    p.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.study == "compare":
        compare(args.rounds, tuple(e for e in args.engines.split(",") if e))
    elif args.study == "refit":
        refit(args.repeats)
    elif args.study == "validate":
        validate(args.folds, args.horizon)
    elif args.study == "batch":
        batch(args.configs, args.nodes, args.projected)
    elif args.study == "optimize":
        optimize(tuple(int(c) for c in args.channels.split(",")), args.repeats)
    else:
        scaling(
            tuple(int(w) for w in args.weeks.split(",")),
            tuple(int(c) for c in args.channels.split(",")),
        )


if __name__ == "__main__":
    main()
