"""Fit the benchmark dataset with pymc-marketing 1.3 (runs in its own virtualenv, never mmm's).

``python bench/pmm_fit.py DATA_DIR ENGINE`` (ENGINE: pymc | nutpie | numpyro) fits the same
model as ``bench.yaml``: GeometricAdstock(l_max=8), LogisticSaturation, yearly_seasonality=2,
the trend as a control column, 4 chains x 1000 tune x 1000 draws, and prints one JSON line:
import, compile and sampling seconds, min ESS bulk over the free parameters, max r_hat and
divergences. Compile is the time before the first draw (pymc), nutpie's compile call, or the
XLA compile time JAX reports (numpyro, whose compile happens inside its sampling call).
"""

import json
import sys
import time

t0 = time.perf_counter()
import arviz as az  # noqa: E402
import pandas as pd  # noqa: E402
from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation  # noqa: E402

IMPORT_S = time.perf_counter() - t0


def timing_hooks(engine: str, marks: dict) -> dict:
    """Install the engine's compile timer; returns extra keyword arguments for ``fit``."""
    if engine == "pymc":

        def first_draw(trace, draw):
            marks.setdefault("first_draw", time.perf_counter())

        return {"callback": first_draw}
    if engine == "nutpie":
        import nutpie

        compile_model = nutpie.compile_pymc_model

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return compile_model(*args, **kwargs)
            finally:
                marks["compile"] = time.perf_counter() - start

        nutpie.compile_pymc_model = timed
        return {}
    import jax.monitoring

    def on_duration(event: str, seconds: float, **_):
        if "compile" in event and "cache" not in event:
            marks["compile"] = marks.get("compile", 0.0) + seconds

    jax.monitoring.register_event_duration_secs_listener(on_duration)
    return {}


def main(folder: str, engine: str) -> None:
    frame = pd.read_csv(f"{folder}/bench.csv", parse_dates=["date"])
    with open(f"{folder}/truth.json") as fh:
        truth = json.load(fh)
    mmm = MMM(
        date_column="date",
        channel_columns=[f"{n}_spend" for n in truth["names"]],
        control_columns=["t"],
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
        target_column="conversions",
    )
    X, y = frame.drop(columns="conversions"), frame["conversions"]
    marks: dict = {}
    extra = timing_hooks(engine, marks)
    start = time.perf_counter()
    idata = mmm.fit(
        X,
        y,
        chains=4,
        draws=1000,
        tune=1000,
        nuts_sampler=engine,
        random_seed=1,
        progressbar=False,
        **extra,
    )
    fit_s = time.perf_counter() - start
    if engine == "pymc":
        compile_s = marks.get("first_draw", start) - start
    else:
        compile_s = marks.get("compile", 0.0)
    free = [rv.name for rv in mmm.model.free_RVs]
    summary = az.summary(idata.posterior.to_dataset()[free], round_to="none")
    stats = idata.sample_stats.to_dataset()
    print(
        json.dumps(
            {
                "import_s": IMPORT_S,
                "compile_s": compile_s,
                "sample_s": fit_s - compile_s,
                "min_ess_bulk": float(summary["ess_bulk"].min()),
                "max_r_hat": float(summary["r_hat"].max()),
                "divergences": int(stats["diverging"].sum()),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
