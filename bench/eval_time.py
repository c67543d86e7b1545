"""Time one logp+gradient evaluation of an mmm config's model, as the sampler calls it.

``python bench/eval_time.py CONFIG`` compiles the model exactly as ``mmm fit`` does (nutpie
callbacks from mmmcli.sampling.compile), then calls the compiled C callback at the initial point
in a tight loop on one core and prints JSON: the median over repeats of the seconds per call.
The cost of the ctypes call itself (timed on an empty callback with the same signature) is
subtracted. The sampler's floor is (gradient evaluations) x (this time) / (cores used).
"""

from __future__ import annotations

import ctypes
import json
import sys
import timeit
import warnings

import numpy as np


def seconds_per_eval(config: str, number: int = 5000, repeats: int = 7) -> float:
    from mmmcli.model.build import build_model
    from mmmcli.sampling.compile import compile_for_nutpie
    from mmmcli.spec.config import load_config
    from mmmcli.workflows.prepare import prepare

    cfg = load_config(config)
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = compile_for_nutpie(model, [rv.name for rv in model.free_RVs]).model
    x = np.ascontiguousarray(compiled.initial_point_func(1), dtype=float)
    grad, logp = np.zeros_like(x), np.zeros(())
    pointer = ctypes.POINTER(ctypes.c_double)
    args = (
        compiled.n_dim,
        x.ctypes.data_as(pointer),
        grad.ctypes.data_as(pointer),
        logp.ctypes.data_as(pointer),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )
    call = compiled.compiled_logp_func.ctypes
    if call(*args) != 0:
        raise SystemExit(f"{config}: the logp callback failed at the initial point")
    times = timeit.repeat(lambda: call(*args), number=number, repeat=repeats)
    empty = _empty_callback().ctypes
    overhead = timeit.repeat(lambda: empty(*args), number=number, repeat=repeats)
    return (float(np.median(times)) - float(np.median(overhead))) / number


def _empty_callback():
    import numba

    sig = "int64(uint64, CPointer(float64), CPointer(float64), CPointer(float64), voidptr)"
    return numba.cfunc(sig)(lambda dim, x, grad, logp, user_data: 0)


if __name__ == "__main__":
    print(json.dumps({"seconds_per_eval": seconds_per_eval(sys.argv[1])}))
