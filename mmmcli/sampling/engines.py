"""Sampling: run NUTS with the configured engine and seed, with rich progress on stderr.

Two steps: :func:`prepare_sampler` compiles the model (nutpie) and evaluates it at its initial
point (ModelError, naming the variables, when its log-density is not finite there);
:meth:`ReadySampler.run` samples. Returns the posterior as an xarray ``DataTree`` (free
parameters only; per-period components are computed afterwards) and the phase timings. Numba's
fastmath is switched off so the same seed gives bit-identical draws whatever the state of the
compile cache.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor
import xarray as xr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import interrupts
from ..model.build import check_initial_point
from ..spec.config import Sampler
from .compile import Compiled

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


@dataclass
class ReadySampler:
    """A model compiled for its engine and checked at its initial point: what is left is
    :meth:`run`. A fit prepares before it takes the config's run lock, so a model that cannot
    start is refused (exit 2) with nothing written and no lock file made."""

    model: pm.Model
    settings: Sampler
    cores: int
    console: Console
    progress: bool
    compiled: Compiled | None = None  # nutpie only; PyMC compiles inside ``pm.sample``
    compile_seconds: float = 0.0

    def run(self) -> SampleResult:
        """Sample; progress bars go to the console (stderr)."""
        with _quiet():
            result = _sample_nutpie(self) if self.compiled is not None else _sample_pymc(self)
        result.settings = {**self.settings.model_dump(), "cores": self.cores}
        return result


def prepare_sampler(
    model: pm.Model, settings: Sampler, console: Console | None = None, progress: bool = True
) -> ReadySampler:
    """Compile ``model`` for the configured engine (nutpie) and check its initial point:
    ModelError, naming the variables, when its log-density is not finite there."""
    console = console or Console(stderr=True)
    cores = settings.cores or min(settings.chains, _cpu_count())
    ready = ReadySampler(model, settings, cores, console, progress)
    if settings.engine != "nutpie":
        check_initial_point(model)
        return ready
    from .compile import compile_for_nutpie

    t0 = time.perf_counter()
    spinner = console.status("Compiling the model (nutpie, numba)…", spinner="dots")
    with spinner if progress else nullcontext(), _quiet():
        ready.compiled = compile_for_nutpie(model, free_names(model))
    interrupts.check()
    _check_start(model, ready.compiled)
    ready.compile_seconds = time.perf_counter() - t0
    return ready


def run_sampler(
    model: pm.Model, settings: Sampler, console: Console | None = None, progress: bool = True
) -> SampleResult:
    """Prepare (:func:`prepare_sampler`) and sample ``model`` with ``settings``."""
    return prepare_sampler(model, settings, console, progress).run()


@contextmanager
def _quiet() -> Iterator[None]:
    """PyMC's and nutpie's future and user warnings are not the user's concern."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def _check_start(model: pm.Model, compiled: Compiled) -> None:
    """ModelError when PyMC's per-variable evaluation (``mmm check``'s) finds a log-density
    that is not finite at the initial point. The sampler's compiled callback is asked first,
    at no cost; only when it does not find a finite log-density there is the per-variable
    evaluation (a compile of its own) run, to confirm and name the variables. So ``fit``
    refuses exactly what ``check`` refuses."""
    if compiled.logp_callback is not None:
        status, _, _ = compiled.evaluate(compiled.flat(model.initial_point()))
        if status in (0, 3):  # a finite log-density (3: its gradient is not; as before, sampled)
            return
    check_initial_point(model)


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


def _sample_nutpie(ready: ReadySampler) -> SampleResult:
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata

    assert ready.compiled is not None
    settings, model = ready.settings, ready.model
    t1 = time.perf_counter()
    total = settings.chains * (settings.tune + settings.draws)
    state = {"evals": 0}
    with _progress(ready.console, ready.progress) as bar:
        task = bar.add_task("Sampling", total=total, info="")

        def on_progress(chains):
            done = sum(c.finished_draws for c in chains)
            div = sum(c.divergences for c in chains)
            state["evals"] = sum(c.total_num_steps for c in chains)
            phase = "tuning" if any(c.tuning for c in chains) else "drawing"
            bar.update(task, completed=done, info=f"{phase}, {div} divergences")

        idata = nutpie.sample(
            ready.compiled.model,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=ready.cores,
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
        idata,
        "nutpie",
        ready.compile_seconds,
        t2 - t1,
        evals,
        compile_cache=ready.compiled.cache_status,
    )


def _sample_pymc(ready: ReadySampler) -> SampleResult:
    settings, model = ready.settings, ready.model
    total = settings.chains * (settings.tune + settings.draws)
    t0 = time.perf_counter()
    state = {"first": None, "done": 0, "div": 0}
    with _progress(ready.console, ready.progress) as bar:
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
            cores=ready.cores,
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
