"""The bundled sample data (``mmmcli/samples/``) is exactly what its generator writes."""

from mmmsim import sample
from tests.helpers import SAMPLE


def test_bundled_sample_is_what_its_generator_writes(tmp_path):
    frame, truth = sample.simulate(156, 20261127)
    assert frame.to_csv(index=False) == (SAMPLE / "weekly.csv").read_text()
