"""Tensor adstock and saturation against independent, loop-based numpy implementations."""

import numpy as np
import pytest

from mmmcli.model import transforms as tr


def np_adstock(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    for t in range(len(x)):
        for lag in range(len(w)):
            if t - lag >= 0:
                out[t] += w[lag] * x[t - lag]
    return out


@pytest.fixture
def spend():
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 1.0, size=(30, 3))
    x[5:9, 0] = 0.0
    return x


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.9])
def test_geometric_weights(alpha):
    w = tr.geometric_weights(alpha, 6).eval()
    raw = np.array([alpha**lag for lag in range(7)])
    np.testing.assert_allclose(w, raw / raw.sum())
    assert w.sum() == pytest.approx(1.0)


def test_delayed_weights_peak_at_theta():
    w = tr.delayed_weights(0.5, 3.0, 8).eval()
    raw = np.array([0.5 ** ((lag - 3.0) ** 2) for lag in range(9)])
    np.testing.assert_allclose(w, raw / raw.sum())
    assert int(np.argmax(w)) == 3


def test_weibull_weights():
    w = tr.weibull_weights(1.5, 2.0, 8).eval()
    raw = np.array([np.exp(-((lag / 2.0) ** 1.5)) for lag in range(9)])
    np.testing.assert_allclose(w, raw / raw.sum())


def test_convolve_matches_loop_per_channel(spend):
    weights = np.stack(
        [
            tr.geometric_weights(0.6, 4).eval(),
            tr.delayed_weights(0.4, 1.5, 4).eval(),
            np.array([1.0, 0, 0, 0, 0]),
        ]
    )
    got = tr.convolve(spend, weights, 4).eval()
    for c in range(3):
        np.testing.assert_allclose(got[:, c], np_adstock(spend[:, c], weights[c]), rtol=1e-12)


def test_adstock_preserves_total_spend():
    x = np.zeros((40, 1))
    x[3, 0] = 10.0
    w = tr.geometric_weights(0.7, 8).eval()[None, :]
    got = tr.convolve(x, w, 8).eval()
    assert got.sum() == pytest.approx(10.0)


def test_logistic():
    x = np.linspace(0, 5, 11)
    np.testing.assert_allclose(tr.logistic(x, 1.7).eval(), np.tanh(1.7 * x / 2), rtol=1e-12)


def test_hill():
    x = np.linspace(0, 4, 9)
    k, s = 1.3, 2.2
    expected = np.array([v**s / (v**s + k**s) for v in x])
    np.testing.assert_allclose(tr.hill(x, k, s).eval(), expected, rtol=1e-12)
    assert tr.hill(np.array([k]), k, s).eval()[0] == pytest.approx(0.5)


def test_michaelis_menten():
    x = np.linspace(0, 4, 9)
    np.testing.assert_allclose(tr.michaelis_menten(x, 0.8).eval(), x / (x + 0.8))


def test_no_saturation_returns_spend_units():
    x = np.array([0.5, 1.0, 2.0])
    got = tr.SATURATION_CURVES["none"](x, {}, 1000.0)
    np.testing.assert_allclose(got.eval(), x * 1000.0)


def test_registries_list_every_type():
    assert set(tr.ADSTOCK_WEIGHTS) == {"none", "geometric", "delayed", "weibull"}
    assert set(tr.SATURATION_CURVES) == {"none", "logistic", "hill", "michaelis_menten"}
