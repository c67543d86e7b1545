"""Sampling: compile the model (machine code cached across processes for nutpie), run NUTS."""

from .engines import ReadySampler, SampleResult, free_names, prepare_sampler, run_sampler

__all__ = ["ReadySampler", "SampleResult", "free_names", "prepare_sampler", "run_sampler"]
