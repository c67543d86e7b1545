"""Compile a PyMC model for nutpie, keeping the machine code on disk for the next process.

nutpie's own ``compile_pymc_model`` wraps PyTensor's numba functions in C callbacks that
numba cannot cache (they close over per-process keys and data), so every process spent 10+
seconds in LLVM rebuilding identical code. Here the callbacks are generated as source whose
text depends only on the model's structure, data pointers and shapes arrive at call time
through one ``uint64`` array, and the callbacks are cached by numba under a key made of
PyTensor's own cache key for the compiled graph (which covers every constant in it, so a
changed prior never reuses stale code) plus the callback source. A cron refit with new rows
has the same structure and loads the cached code in a fraction of a second.

If this nutpie version's internals are not the ones this module was written against, it falls
back to ``nutpie.compile_pymc_model`` (correct, just slower).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import warnings
from dataclasses import dataclass

import numpy as np
import pymc as pm

# Bump when the generated callback source or the user-data layout changes.
LAYOUT_VERSION = "1"


@dataclass
class Compiled:
    """A nutpie-ready model and how it was obtained."""

    model: object  # nutpie CompiledModel
    cached: bool  # both callbacks were loaded from the disk cache
    keys: tuple[str | None, ...] = ()  # the callbacks' cache keys (same structure, same keys)
    logp_callback: object | None = None  # the numba C callback nutpie calls (our path only)

    def evaluate(self, x: np.ndarray) -> tuple[int, float, np.ndarray] | None:
        """(status, log-density, gradient) at the flat unconstrained point ``x``, by the very C
        callback the sampler calls (no extra compile); status 0 is success, 3 and 4 a gradient
        or log-density that is not finite, anything else an error in the graph. None on
        nutpie's own compile path, which has no such callback to call."""
        if self.logp_callback is None:
            return None
        x = np.ascontiguousarray(x, dtype="float64")
        grad, logp = np.zeros_like(x), np.full(1, np.nan)
        double = ctypes.POINTER(ctypes.c_double)
        status = self.logp_callback.ctypes(  # type: ignore[attr-defined]
            len(x),
            x.ctypes.data_as(double),
            grad.ctypes.data_as(double),
            logp.ctypes.data_as(double),
            ctypes.c_void_p(self.model.user_data.ctypes.data),  # type: ignore[attr-defined]
        )
        return int(status), float(logp[0]), grad

    def flat(self, point: dict[str, np.ndarray]) -> np.ndarray:
        """A point given by value variable (PyMC's ``model.initial_point()``) as the sampler's
        flat unconstrained vector."""
        names, slices, _ = self.model.shape_info  # type: ignore[attr-defined]
        x = np.zeros(self.model.n_dim)  # type: ignore[attr-defined]
        for name, where in zip(names, slices, strict=True):
            if where.start < len(x):  # free variables first; then the stored deterministics
                x[where] = np.asarray(point[name], dtype="float64").ravel()
        return x

    @property
    def cacheable(self) -> bool:
        """PyTensor gave every callback a cache key, so the code was (or will be) stored."""
        return bool(self.keys) and all(key is not None for key in self.keys)

    @property
    def cache_status(self) -> str:
        """Cache status: "hit" (loaded from disk), "stored" (compiled, saved) or "off"."""
        return "hit" if self.cached else ("stored" if self.cacheable else "off")


def compile_for_nutpie(model: pm.Model, var_names: list[str]) -> Compiled:
    """Compile ``model`` for nutpie, storing only ``var_names``, reusing cached machine code."""
    try:
        from nutpie import compile_pymc as internals

        needed = ("_make_functions", "_wrap_with_lock", "_prepare_dims_and_coords")
        needed += ("address_as_void_pointer", "CompiledPyMCModel")
        if not all(hasattr(internals, name) for name in needed):
            raise ImportError
    except ImportError:  # a nutpie we were not written against: its own (uncached) path
        import nutpie

        return Compiled(nutpie.compile_pymc_model(model, var_names=var_names), False)
    return _compile(model, var_names, internals)


def _compile(model: pm.Model, var_names: list[str], internals) -> Compiled:
    from pymc.initial_point import make_initial_point_fn

    initial_point = make_initial_point_fn(
        model=model,
        jitter_rvs=set(model.free_RVs),
        default_strategy="support_point",
        return_transformed=True,
    )
    n_dim, n_expanded, logp_pt, expand_pt, initial_fn, shape_info, reparam = (
        internals._make_functions(
            model,
            mode=_mode(),
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=internals._wrap_with_lock(initial_point),
            var_names=var_names,
        )
    )
    shared = list(dict.fromkeys([*logp_pt.get_shared(), *expand_pt.get_shared()]))
    values = [np.array(s.get_value(), dtype="float64", order="C", copy=True) for s in shared]
    for value in values:
        value.flags.writeable = False
    layout, user_data = _user_data(values)
    as_pointer = internals.address_as_void_pointer
    callbacks = {}
    for kind, function in (("logp", logp_pt), ("expand", expand_pt)):
        arrays = [layout[shared.index(s)] for s in function.get_shared()]
        callbacks[kind] = _callback(kind, function, arrays, len(user_data), as_pointer)
    dims, coords = internals._prepare_dims_and_coords(model, shape_info, reparam)
    compiled = _model_class(internals.CompiledPyMCModel)(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=callbacks["logp"][0],
        compiled_expand_func=callbacks["expand"][0],
        initial_point_func=initial_fn,
        shared_data={f"data{i}": v for i, v in enumerate(values)},  # keeps the memory alive
        shared_var_keys={},
        user_data=user_data,
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=logp_pt,
        expand_func=expand_pt,
        reparameterized_names=reparam,
    )
    hits = [hit for _, hit, _ in callbacks.values()]
    keys = tuple(key for _, _, key in callbacks.values())
    return Compiled(compiled, all(hits), keys, callbacks["logp"][0])


def _mode():
    """PyTensor's numba mode without the in-place elemwise pass.

    That pass validates every candidate against the whole graph (seconds on an MMM with its
    prior numbers as data) and saved nothing measurable per evaluation here.
    """
    from pytensor.compile.mode import get_mode

    return get_mode("NUMBA").excluding("inplace_elemwise")


def _user_data(values: list[np.ndarray]) -> tuple[list[tuple[int, int]], np.ndarray]:
    """One ``uint64`` array: for each data array, its address then its shape."""
    layout, slots = [], []
    for value in values:
        layout.append((len(slots), value.ndim))
        slots += [value.ctypes.data, *value.shape]
    return layout, np.array(slots or [0], dtype=np.uint64)


_SIGNATURES = {
    # (dim, x, grad_out, logp_out, user_data) -> status
    "logp": "int64(uint64, CPointer(float64), CPointer(float64), CPointer(float64), voidptr)",
    # (dim, n_expanded, x, out, user_data) -> status
    "expand": "int64(uint64, uint64, CPointer(float64), CPointer(float64), voidptr)",
}


def _source(kind: str, arrays: list[tuple[int, int]], n_slots: int) -> str:
    """The C callback's Python source: unpack data arrays from user data, call the graph."""
    head = {
        "logp": "def logp_callback(dim, x_, out_, logp_, user_data_):",
        "expand": "def expand_callback(dim, n_expanded, x_, out_, user_data_):",
    }[kind]
    lines = [
        head,
        "    try:",
        f"        slots = carray(user_data_, ({n_slots},), uint64)",
        "        x = carray(x_, (dim,))",
    ]
    names = []
    for k, (offset, ndim) in enumerate(arrays):
        shape = "".join(f"slots[{offset + 1 + d}], " for d in range(ndim))
        lines.append(f"        a{k} = carray(as_pointer(slots[{offset}]), ({shape}), float64)")
        names.append(f"a{k}")
    call = ", ".join(["x", *names])
    if kind == "logp":
        lines += [
            "        out = carray(out_, (dim,))",
            "        logp = carray(logp_, ())",
            f"        value, grad = graph({call})",
            "        logp[()] = value",
            "        out[...] = grad",
            "        if not np.all(np.isfinite(out)):",
            "            return 3",
            "        if not np.isfinite(value):",
            "            return 4",
        ]
    else:
        lines += [
            "        out = carray(out_, (n_expanded,))",
            f"        (values,) = graph({call})",
            "        out[...] = values",
        ]
    failed = 1 if kind == "logp" else -2  # nutpie's status codes
    lines += ["    except Exception:", f"        return {failed}", "    return 0"]
    return "\n".join(lines)


def _callback(kind: str, function, arrays: list[tuple[int, int]], n_slots: int, as_pointer):
    """Numba C callback for a compiled PyTensor function; (callback, cache hit, cache key)."""
    import numba
    from pytensor import config
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

    graph = function.vm.jit_fn
    graph_key = CACHED_SRC_FUNCTIONS.get(getattr(graph, "py_func", None))
    if not config.numba__cache:  # PYTENSOR_FLAGS=numba__cache=False: nothing on disk
        graph_key = None
    src = _source(kind, arrays, n_slots)
    key = None
    if graph_key is not None:
        # the module name too: a cached callback re-imports it when it is loaded
        text = f"{LAYOUT_VERSION}|{numba.__version__}|{__name__}|{graph_key}|{src}"
        key = hashlib.sha256(text.encode()).hexdigest()
    env = {
        # a real module name: numba imports it again when it loads the cached environment
        "__name__": __name__,
        "carray": numba.carray,
        "as_pointer": as_pointer,
        "graph": graph,
        "np": np,
        "float64": numba.float64,
        "uint64": numba.uint64,
    }
    py_func = compile_numba_function_src(src, f"{kind}_callback", global_env=env, cache_key=key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", numba.NumbaWarning)
        callback = numba.cfunc(_SIGNATURES[kind], cache=key is not None)(py_func)
    return callback, bool(key is not None and callback.cache_hits), key


@functools.cache
def _model_class(base: type) -> type:
    """nutpie's compiled-model dataclass, with data held in this module's user-data layout."""

    @dataclass(frozen=True)
    class CachedPyMCModel(base):
        def with_data(self, **updates):
            raise NotImplementedError("rebuild and recompile the model to change its data")

    return CachedPyMCModel
