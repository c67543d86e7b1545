"""Sampling: run NUTS with the configured engine and seed, with rich progress on stderr.

The model is first evaluated at its initial point (ModelError, naming the variables, when its
log-density is not finite). Returns the posterior as an xarray ``DataTree`` (free parameters
only; per-period components are computed afterwards) and the phase timings. Numba's fastmath is
switched off so the same seed gives bit-identical draws whatever the state of the compile cache.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor
import xarray as xr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import interrupts
from ..errors import ModelError
from ..model.build import check_initial_point
from ..spec.config import Sampler

pytensor.config.numba__fastmath = False


@dataclass
class SampleResult:
    """The posterior and what sampling it cost."""

    idata: xr.DataTree
    engine: str
    compile_seconds: float
    sample_seconds: float
    gradient_evals: int | None = None
    settings: dict = field(default_factory=dict)
    compile_cache: str | None = None  # nutpie: "hit", "stored" or "off"


def free_names(model: pm.Model) -> list[str]:
    """Names of the free random variables: what the sampler stores and the gate checks."""
    return [rv.name for rv in model.free_RVs]


def run_sampler(
    model: pm.Model, settings: Sampler, console: Console | None = None, progress: bool = True
) -> SampleResult:
    """Sample ``model`` with ``settings``; progress bars go to ``console`` (stderr)."""
    console = console or Console(stderr=True)
    cores = settings.cores or min(settings.chains, _cpu_count())
    run = _sample_nutpie if settings.engine == "nutpie" else _sample_pymc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = run(model, settings, cores, console, progress)
    result.settings = {**settings.model_dump(), "cores": cores}
    return result


def _progress(console: Console, enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )


def _sample_nutpie(model, settings: Sampler, cores: int, console: Console, progress: bool):
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata

    from .compile import compile_for_nutpie

    t0 = time.perf_counter()
    with (
        console.status("Compiling the model (nutpie, numba)…", spinner="dots")
        if progress
        else _null()
    ):
        compiled = compile_for_nutpie(model, free_names(model))
    interrupts.check()
    _check_start(model, compiled)
    t1 = time.perf_counter()
    total = settings.chains * (settings.tune + settings.draws)
    state = {"evals": 0}
    with _progress(console, progress) as bar:
        task = bar.add_task("Sampling", total=total, info="")

        def on_progress(chains):
            done = sum(c.finished_draws for c in chains)
            div = sum(c.divergences for c in chains)
            state["evals"] = sum(c.total_num_steps for c in chains)
            phase = "tuning" if any(c.tuning for c in chains) else "drawing"
            bar.update(task, completed=done, info=f"{phase}, {div} divergences")

        idata = nutpie.sample(
            compiled.model,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=cores,
            seed=settings.seed,
            target_accept=settings.target_accept,
            save_warmup=False,
            progress_bar=False,
            progress_callback=on_progress,
            progress_rate=200,
        )
        bar.update(task, completed=total)
    t2 = time.perf_counter()
    patch_nutpie_idata(idata, model, t2 - t1)
    evals = state["evals"] or None
    return SampleResult(
        idata, "nutpie", t1 - t0, t2 - t1, evals, compile_cache=compiled.cache_status
    )


def _check_start(model: pm.Model, compiled) -> None:
    """ModelError unless the log-density and its gradient are finite at the model's initial
    point, evaluated by the compiled callback itself; the terms at fault are named by PyMC's
    per-variable evaluation, run only when something is wrong."""
    evaluated = compiled.evaluate(compiled.flat(model.initial_point()))
    if evaluated is None or evaluated[0] != 0:
        check_initial_point(model)  # names the variables whose log-density is not finite
    if evaluated is not None and evaluated[0] != 0:
        raise ModelError(
            "the model cannot be evaluated at its initial point: its log-density or gradient "
            "is not finite (check priors against the data's scale)"
        )


def _sample_pymc(model, settings: Sampler, cores: int, console: Console, progress: bool):
    check_initial_point(model)
    total = settings.chains * (settings.tune + settings.draws)
    t0 = time.perf_counter()
    state = {"first": None, "done": 0, "div": 0}
    with _progress(console, progress) as bar:
        compile_task = bar.add_task("Compiling (pymc, numba)", total=None, info="")
        task = bar.add_task("Sampling", total=total, info="", visible=False)

        def on_draw(trace, draw):
            interrupts.check()
            if state["first"] is None:
                state["first"] = time.perf_counter()
                bar.update(compile_task, total=1, completed=1)
                bar.update(task, visible=True)
            state["done"] += 1
            state["div"] += bool(draw.stats[0].get("diverging", False)) if draw.stats else 0
            if state["done"] % 50 == 0 or state["done"] == total:
                phase = "tuning" if draw.tuning else "drawing"
                bar.update(
                    task, completed=state["done"], info=f"{phase}, {state['div']} divergences"
                )

        idata = pm.sample(
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=cores,
            random_seed=settings.seed,
            nuts_sampler="pymc",
            nuts={"target_accept": settings.target_accept},
            var_names=free_names(model),
            progressbar=False,
            compute_convergence_checks=False,
            callback=on_draw,
            model=model,
        )
        bar.update(task, completed=total)
    t2 = time.perf_counter()
    first = state["first"] or t2
    return SampleResult(idata, "pymc", first - t0, t2 - first, _tree_evals(idata))


def _tree_evals(idata) -> int | None:
    stats = idata.get("sample_stats")
    if stats is None or "n_steps" not in stats:
        return None
    return int(np.asarray(stats["n_steps"]).sum())


def _cpu_count() -> int:
    import os

    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
