"""``mmm fit CONFIG...``: many configs, each fitted exactly as ``mmm fit CONFIG`` fits one.

Every config is its own task, and every task is its own ``mmm fit CONFIG --json`` process: its
lock, its atomic run folder, its manifest, ``--if-changed``, its exit code, its signal handling,
all unchanged. A process per fit costs the import of PyMC (about 2.5 s) and buys isolation: a
fit that crashes, leaks or is killed takes no other fit with it, and the compiled code is still
shared, through the on-disk compile cache of the machine it runs on.

Where the tasks run:

- **locally** (the default): ``jobs`` fits at a time, each sampling its chains on
  ``cores // jobs`` cores; see ``plan`` for the default (measured in ``bench/batch.py``).
- **on a Dask cluster** (``--scheduler tcp://host:8786`` or ``$MMM_SCHEDULER``): each task is
  submitted to the scheduler and runs the same process on a worker, on that worker's cores.
  Workers must see the configs, data and runs folders at the same paths (a shared
  filesystem); a task that cannot read its config says so, naming the worker. A worker lost
  mid-fit (its fit process dies with it) is retried once on another worker, then reported
  failed; the lock and the atomic commit mean neither attempt leaves a run folder behind.

The batch's exit code is the most severe of its configs' codes, in the order
130/143 (the batch was interrupted) > 1 > 74 > 73 > 2 > 3 > 75 > 4 > 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import interrupts
from ..errors import MMMError, SchedulerError, UsageError
from ..interrupts import Interrupted
from ..spec.config import load_config

# most severe first (design notes, "Batch exit code"; 74/73, the machine refused, beside 1)
PRECEDENCE = (130, 143, 1, 74, 73, 2, 3, 75, 4, 0)
CONFIG_SUFFIXES = (".yaml", ".yml")
ENV_SCHEDULER = "MMM_SCHEDULER"
ENV_PARENT = "MMM_PARENT_PID"  # a fit process ends when the process that started it dies
STOP_GRACE = 60.0  # seconds a fit gets to discard its run after the batch is interrupted
ENV_CONNECT = "MMM_CONNECT_TIMEOUT"  # seconds to reach the scheduler and hear it speak Dask
LOST = "worker lost"


def worst(codes: Iterable[int]) -> int:
    """The batch's exit code: the most severe of ``codes`` (an unknown code counts as 1)."""
    ranked = [PRECEDENCE.index(c) if c in PRECEDENCE else PRECEDENCE.index(1) for c in codes]
    return PRECEDENCE[min(ranked)] if ranked else 0


def expand(paths: Iterable[Path]) -> list[Path]:
    """Config files from the command line: files as given, folders as their ``*.yaml`` and
    ``*.yml`` files (sorted, not recursive, hidden files left out), each once."""
    out: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.suffix in CONFIG_SUFFIXES and p.is_file() and not p.name.startswith(".")
            )
            if not found:
                raise UsageError(f"{path}: a folder without *.yaml or *.yml configs")
        elif path.exists():
            found = [path]
        else:
            raise UsageError(f"{path}: no such config file or folder")
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


@dataclass
class Item:
    """One config's outcome in a batch."""

    config: str
    exit_code: int
    status: str  # passed | failed | unchecked | error | locked | interrupted | lost
    seconds: float = 0.0
    run_dir: str | None = None
    skipped: bool = False
    error: str | None = None
    attempts: int = 1
    where: str | None = None  # "local" or the worker's address
    result: dict = field(default_factory=dict)  # the fit's own --json object

    def headline(self) -> dict[str, Any]:
        """The figures of the summary table."""
        metrics = self.result.get("metrics") or {}
        diag = self.result.get("diagnostics") or {}
        fit = metrics.get("holdout") or metrics.get("in_sample") or {}
        share = metrics.get("media_share") or {}
        return {
            "r2": fit.get("r2"),
            "mape": fit.get("mape"),
            "on": ("holdout" if metrics.get("holdout") else "in sample") if metrics else None,
            "max_r_hat": diag.get("max_r_hat"),
            "media_share": share.get("mean"),
            "compile_cache": diag.get("compile_cache"),
            "retried": len(self.result.get("attempts") or []) > 1,  # a near miss sampled again
        }

    def to_json(self) -> dict:
        return {
            "config": self.config,
            "status": self.status,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "run_dir": self.run_dir,
            "skipped": self.skipped,
            "error": self.error,
            "attempts": self.attempts,
            "where": self.where,
            "headline": self.headline(),
            "result": self.result,
        }


@dataclass
class BatchOutcome:
    items: list[Item]
    exit_code: int
    seconds: float
    jobs: int | None
    cores_per_fit: int | None
    scheduler: str | None

    def to_json(self) -> dict:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        return {
            "command": "fit",
            "batch": True,
            "status": "ok" if self.exit_code == 0 else "some_failed",
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "jobs": self.jobs,
            "cores_per_fit": self.cores_per_fit,
            "scheduler": self.scheduler,
            "counts": counts,
            "configs": [i.to_json() for i in self.items],
        }


def plan(n_configs: int, chains: int, jobs: int | None, cores: int) -> tuple[int, int]:
    """(concurrent fits, cores per fit) on a machine with ``cores`` cores.

    Default: as many fits as cores, one core each, but no more fits than configs; each fit's
    ``chains`` then take turns on its core. Measured on 2 cores (bench/batch.py): two fits on
    one core each finish a batch sooner than one fit at a time on two, because a fit is not all
    sampling (starting Python, loading, compiling, writing run on one core whatever ``cores``
    says) and two fits overlap those parts. ``jobs`` given: that many, cores shared among them.
    """
    if jobs is not None:
        if jobs < 1:
            raise UsageError(f"--jobs: must be >= 1, got {jobs}")
        n = jobs
    else:
        n = max(1, cores)
    n = max(1, min(n, n_configs))
    return n, max(1, cores // n)


# --- one task -------------------------------------------------------------------------------------


def fit_process(
    config: str,
    args: list[str],
    cores: int | None = None,
    env: dict[str, str] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Run ``mmm fit CONFIG --json ARGS`` in its own process and return what it said.

    The process ends with this one (``MMM_PARENT_PID``): a batch or a worker that dies takes its
    fits with it, and their temporary folders are cleared by the next fit of the same config.
    ``should_stop`` (polled twice a second) sends the fit SIGTERM: it discards its run.
    """
    argv = [sys.executable, "-m", "mmmcli", "fit", config, "--json", "--quiet", *args]
    if cores is not None:
        argv += ["--cores", str(cores)]
    child_env = {**os.environ, **(env or {}), ENV_PARENT: str(os.getpid())}
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env
    )
    _LIVE.add(proc)
    try:
        stopped = False
        while True:
            try:
                out, err = proc.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if not stopped and should_stop is not None and should_stop():
                    proc.send_signal(signal.SIGTERM)
                    stopped = True
    finally:
        _LIVE.discard(proc)
    code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    try:
        result = json.loads(out) if out.strip() else {}
    except ValueError:
        result = {}
    if not isinstance(result, dict):
        result = {}
    error = result.get("error")
    if code != 0 and not error and code not in (3, 4):
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        error = lines[-1] if lines else f"exited with {code}"
    return {
        "exit_code": int(result.get("exit_code", code)) if result else code,
        "result": result,
        "error": error,
        "seconds": time.monotonic() - started,
        "host": socket.gethostname(),
    }


class _LiveSet:
    """Fit processes running in this process, to pass a signal on to. Once stopping, a fit that
    starts anyway (its thread was already past the check) gets SIGTERM as it registers."""

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopping: int | None = None

    def add(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.add(proc)
            if self.stopping is not None:
                with suppress(OSError):
                    proc.send_signal(self.stopping)

    def discard(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)

    def signal_all(self, signum: int) -> None:
        with self._lock:
            self.stopping = signum
            for proc in self._procs:
                if proc.poll() is None:
                    with suppress(OSError):  # it has just ended
                        proc.send_signal(signum)

    def wait_all(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


_LIVE = _LiveSet()


def _item(config: str, raw: dict, where: str | None, attempts: int = 1) -> Item:
    code = int(raw["exit_code"])
    result = raw.get("result") or {}
    status = result.get("status")
    if status not in ("passed", "failed", "unchecked"):
        status = {75: "locked", 130: "interrupted", 143: "interrupted"}.get(
            code, "error" if code else "passed"
        )
    return Item(
        config=config,
        exit_code=code,
        status=status,
        seconds=float(raw.get("seconds", 0.0)),
        run_dir=result.get("run_dir"),
        skipped=bool(result.get("skipped")),
        error=raw.get("error"),
        attempts=attempts,
        where=where,
        result=result,
    )


# --- the batch ------------------------------------------------------------------------------------


def fit_many(
    configs: list[Path],
    *,
    fit_args: list[str],
    out: Path | None = None,
    chains: int | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[Item], None] | None = None,
) -> BatchOutcome:
    """Fit every config (``fit_args``: the options each ``mmm fit`` gets; ``out``: their
    ``--out``, for the check that no two share a runs folder); see the module.

    Interrupted (SIGINT/SIGTERM), the batch still returns: the fits that finished with their
    results, the others ``interrupted``, and the signal's exit code.
    """
    started = time.monotonic()
    scheduler = scheduler or os.environ.get(ENV_SCHEDULER) or None
    if scheduler and jobs is not None:
        raise UsageError("--jobs: on a Dask cluster the workers' threads set how many fits run")
    names = [str(c) for c in configs]
    checked = _screen(configs, out)
    items: list[Item] = []
    code = None
    n_jobs = per_fit = None
    try:
        if scheduler:
            _on_cluster(checked, fit_args, scheduler, on_done, items)
        else:
            n_jobs, per_fit = plan(
                len(checked), chains or _chains(checked), jobs, os.cpu_count() or 1
            )
            _locally(checked, fit_args, n_jobs, per_fit, on_done, items)
    except Interrupted as exc:
        interrupts.clear()
        code = exc.exit_code
    by_name = {i.config: i for i in items}
    for name in names:
        if name not in by_name:  # interrupted before it finished: it wrote no run
            by_name[name] = Item(name, code or 1, "interrupted", error="interrupted: no run")
    ordered = [by_name[n] for n in names]
    return BatchOutcome(
        ordered,
        code if code is not None else worst(i.exit_code for i in ordered),
        time.monotonic() - started,
        n_jobs,
        per_fit,
        scheduler,
    )


def _chains(configs: list[Path]) -> int:
    chains = []
    for path in configs:
        try:
            chains.append(load_config(path).sampler.chains)
        except MMMError:
            continue
    return max(chains, default=4)


def _screen(configs: list[Path], out: Path | None) -> list[Path]:
    """Refuse the whole batch (exit 2, nothing fitted) when two configs would write into the
    same runs folder: they would take turns with one lock and overwrite each other's ``latest``,
    and which one "wins" would depend on the order of the command line. A config that does not
    load is left to its own fit, which says what is wrong (exit 2) without stopping the others."""
    from ..runs.folder import runs_folder

    owners: dict[Path, Path] = {}
    clashes: list[str] = []
    for path in configs:
        try:
            folder = runs_folder(load_config(path), out)
        except MMMError:
            continue
        if folder in owners:
            clashes.append(f"{owners[folder]} and {path} both write to {folder}")
        else:
            owners[folder] = path
    if clashes:
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise UsageError(
            f"{clashes[0]}{more}: give each config its own name or output.dir"
            f"{'' if out is None else ', or fit them without --out'}; nothing was fitted"
        )
    return configs


def _locally(
    configs: list[Path],
    fit_args: list[str],
    jobs: int,
    cores: int,
    on_done: Callable[[Item], None] | None,
    items: list[Item],
) -> None:
    _LIVE.stopping = None
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="mmm-fit")
    futures: dict[Future, str] = {}
    try:
        for path in configs:
            futures[pool.submit(fit_process, str(path), fit_args, cores)] = str(path)
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            interrupts.check()
            for fut in done:
                item = _item(futures[fut], fut.result(), "local")
                items.append(item)
                if on_done:
                    on_done(item)
    except Interrupted as exc:
        # fits not started never start; running ones get the signal and discard their runs
        for fut in futures:
            fut.cancel()
        _LIVE.signal_all(exc.signum)
        _LIVE.wait_all(STOP_GRACE)
        for fut, name in futures.items():  # what finished meanwhile (a commit beat the signal)
            if fut.done() and not fut.cancelled() and name not in {i.config for i in items}:
                items.append(_item(name, fut.result(), "local"))
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- Dask -----------------------------------------------------------------------------------------


def cluster_task(config: str, args: list[str], key: str, env: dict[str, str]) -> dict:
    """What a Dask worker runs for one config: check it can read the config, count the attempt
    (a second attempt means the first worker was lost; a third is refused), fit it, and stop
    the fit if the batch is interrupted (the ``<key>-stop`` event)."""
    from distributed import Event, Variable, get_client, get_worker

    worker = get_worker()
    client = get_client()
    counter = Variable(f"{key}-attempts", client=client)  # 0 from the batch, +1 per attempt
    attempt = int(counter.get(timeout=30)) + 1
    counter.set(attempt)
    where = worker.address
    if attempt > 2:
        return {"exit_code": 1, "error": f"{LOST}: twice", "attempts": attempt - 1, "where": where}
    if not os.access(config, os.R_OK):
        return {
            "exit_code": 2,
            "error": f"{config}: cannot be read on worker {where} ({socket.gethostname()}); "
            f"workers need the configs, data and runs folders at the same paths (a shared "
            f"filesystem)",
            "attempts": attempt,
            "where": where,
        }
    stop = Event(f"{key}-stop", client=client)
    threads = max(1, getattr(worker.state, "nthreads", 1) or 1)
    raw = fit_process(
        config,
        args,
        cores=max(1, (os.cpu_count() or 1) // threads),
        env=env,
        should_stop=stop.is_set,
    )
    return {**raw, "attempts": attempt, "where": where}


def forwarded_env() -> dict[str, str]:
    """What a worker's fit needs from this environment: MLflow's settings (the tracking URI
    made absolute: the worker's working directory is not this one)."""
    out = {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")}
    if out.get("MLFLOW_TRACKING_URI"):
        from ..spec.config import resolve_tracking_uri

        out["MLFLOW_TRACKING_URI"] = resolve_tracking_uri(out["MLFLOW_TRACKING_URI"], Path.cwd())
    return out


def _connect(scheduler: str) -> Any:
    """A client of the scheduler, within a deadline: a wrong port can accept the connection and
    never speak Dask."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler: fitting on a Dask cluster needs the dask extra: "
            "pip install 'mmmcli[dask]'"
        ) from None
    found: dict[str, Any] = {}
    try:
        deadline = float(os.environ.get(ENV_CONNECT, "30"))
    except ValueError:
        got = os.environ[ENV_CONNECT]
        raise UsageError(f"${ENV_CONNECT}: a number of seconds, got {got!r}") from None

    _probe(scheduler, deadline)

    def connect() -> None:
        try:
            found["client"] = Client(scheduler, timeout=deadline, set_as_default=False)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the caller's thread
            found["error"] = exc

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(deadline + 5)
    if thread.is_alive():
        raise SchedulerError(
            f"--scheduler: {scheduler} did not answer as a Dask scheduler within {deadline:g} s"
        )
    exc = found.get("error")
    if isinstance(exc, ValueError | TypeError):
        raise UsageError(f"--scheduler: {scheduler!r} is not a scheduler address ({exc})")
    if exc is not None:
        raise SchedulerError(f"--scheduler: cannot connect to {scheduler} ({exc})")
    return found["client"]


def _probe(scheduler: str, deadline: float) -> None:
    """Fail at once when nothing listens at a TCP scheduler address: Dask's client retries a
    refused connection until its whole timeout has passed (30 s by default), so cron would wait
    that long to hear "connection refused". Other schemes (tls://, ws://) are left to Dask."""
    scheme, sep, rest = scheduler.partition("://")
    if sep and scheme != "tcp":
        return
    host, colon, port = (rest if sep else scheduler).rpartition(":")
    if not colon or not port.isdigit():
        return  # not host:port: Dask's own parser says what is wrong
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=min(deadline, 5)).close()
    except (ConnectionRefusedError, socket.gaierror) as exc:
        why = "connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
        raise SchedulerError(f"--scheduler: cannot connect to {scheduler} ({why})") from None
    except OSError:
        return  # unreachable for now, a firewall: Dask's own deadline decides


def _on_cluster(
    configs: list[Path],
    fit_args: list[str],
    scheduler: str,
    on_done: Callable[[Item], None] | None,
    items: list[Item],
) -> None:
    from distributed import Event, KilledWorker, Variable, as_completed

    client = _connect(scheduler)
    batch = f"mmm-{socket.gethostname()}-{os.getpid()}-{time.time_ns()}"
    env = forwarded_env()
    futures = {}
    variables = []
    try:
        for i, path in enumerate(configs):
            config = str(Path(path).resolve())
            key = f"{batch}-{i}"
            counter = Variable(f"{key}-attempts", client=client)
            counter.set(0)
            variables.append(counter)
            fut = client.submit(
                cluster_task, config, fit_args, key, env, key=f"{key}-fit", pure=False
            )
            futures[fut] = str(path)
        for fut in as_completed(list(futures), loop=client.loop):
            interrupts.check()
            items.append(_cluster_item(futures[fut], fut, KilledWorker))
            if on_done:
                on_done(items[-1])
    except Interrupted:
        # running fits are told to stop (they discard their runs); queued ones never start
        for i in range(len(configs)):
            with suppress(Exception):  # the scheduler may be going away too
                Event(f"{batch}-{i}-stop", client=client).set()
        pending = [f for f in futures if not f.done()]
        with suppress(Exception):
            client.cancel([f for f in pending if f.status == "pending"])
            from distributed import wait as dask_wait

            dask_wait(pending, timeout=STOP_GRACE)
        for fut, name in futures.items():
            if fut.done() and fut.status == "finished" and name not in {i.config for i in items}:
                items.append(_cluster_item(name, fut, KilledWorker))
        raise
    finally:
        for variable in variables:
            with suppress(Exception):
                variable.delete()
        with suppress(Exception):
            client.close()


def _cluster_item(name: str, fut: Any, killed: type) -> Item:
    try:
        raw = fut.result()
    except killed as exc:  # the scheduler gave up on the task after losing its workers
        raw = {"exit_code": 1, "error": f"{LOST} twice: {exc}", "attempts": 2}
    except Exception as exc:  # noqa: BLE001 - the task itself failed (mmm missing on a worker?)
        raw = {"exit_code": 1, "error": f"the task failed: {type(exc).__name__}: {exc}"}
    item = _item(name, raw, raw.get("where"), int(raw.get("attempts", 1)))
    if (raw.get("error") or "").startswith(LOST):
        item.status = "lost"
    return item
