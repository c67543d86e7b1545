"""Sampling: compile the model (machine code cached across processes for nutpie), run NUTS."""

from .engines import SampleResult, free_names, run_sampler

__all__ = ["SampleResult", "free_names", "run_sampler"]
