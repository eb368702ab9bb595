"""nn.init's sparse_, the deprecated non-underscore aliases and eye/dirac/orthogonal details,
against PyTorch."""

import math
import warnings

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same_error

torch = pytest.importorskip("torch")
EI, TI = nn.init, torch.nn.init


@pytest.mark.parametrize("rows,cols,sparsity", [(10, 4, 0.3), (7, 5, 0.0), (6, 3, 1.0),
                                                (5, 4, -0.5), (8, 6, 0.55)])
def test_sparse_zero_pattern_matches_torch(rows, cols, sparsity):
    e = EI.sparse_(ember.empty(rows, cols), sparsity, std=0.5).numpy()
    t = TI.sparse_(torch.empty(rows, cols), sparsity, std=0.5).numpy()
    np.testing.assert_array_equal((e == 0).sum(axis=0), (t == 0).sum(axis=0))
    assert e.dtype == t.dtype


def test_sparse_distribution_matches_torch():
    e = EI.sparse_(ember.empty(400, 300), 0.25, std=0.2).numpy()
    t = TI.sparse_(torch.empty(400, 300), 0.25, std=0.2).numpy()
    for stat in (np.mean, np.std, lambda v: np.quantile(v[v != 0], 0.9)):
        assert abs(stat(e) - stat(t)) < 0.01, stat
    f64 = EI.sparse_(ember.empty(4, 3, dtype=ember.float64), 0.5)
    assert f64.dtype == ember.float64
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    np.testing.assert_array_equal(EI.sparse_(ember.empty(5, 4), 0.5, generator=g1).numpy(),
                                  EI.sparse_(ember.empty(5, 4), 0.5, generator=g2).numpy())


def test_sparse_errors_and_empty():
    for shape in [(3,), (2, 2, 2)]:
        assert_same_error(lambda s=shape: EI.sparse_(ember.empty(*s), 0.1),
                          lambda s=shape: TI.sparse_(torch.empty(*s), 0.1))
    assert tuple(EI.sparse_(ember.empty(3, 0), 0.5).shape) == (3, 0)
    assert tuple(EI.sparse_(ember.empty(0, 3), 0.5).shape) == (0, 3)


ALIASES = [("uniform", ((4, 3),), {"a": -1.0, "b": 1.0}), ("normal", ((4, 3),), {}),
           ("constant", ((4, 3),), {"val": 0.5}), ("eye", ((3, 4),), {}),
           ("dirac", ((4, 2, 3),), {}), ("xavier_uniform", ((4, 3),), {}),
           ("xavier_normal", ((4, 3),), {}), ("kaiming_uniform", ((4, 3),), {}),
           ("kaiming_normal", ((4, 3),), {"mode": "fan_out"}), ("orthogonal", ((4, 3),), {}),
           ("sparse", ((4, 3),), {"sparsity": 0.5})]


@pytest.mark.parametrize("name,args,kwargs", ALIASES)
def test_deprecated_aliases_warn_like_torch(name, args, kwargs):
    (shape,) = args
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        t = getattr(TI, name)(torch.empty(*shape), **kwargs)
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        e = getattr(EI, name)(ember.empty(*shape), **kwargs)
    assert [(w.category, str(w.message)) for w in ew] == \
        [(w.category, str(w.message)) for w in tw]
    assert ew[0].filename == __file__  # the warning points at the caller
    assert getattr(EI, name).__name__ == name
    assert tuple(e.shape) == tuple(t.shape)
    if name in ("constant", "eye", "dirac"):
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("shape,groups", [((6, 4, 3), 2), ((4, 6, 3, 3), 2), ((6, 2, 2, 3), 3),
                                          ((3, 5, 1, 2, 2), 1), ((8, 2, 4, 4), 4)])
def test_dirac_groups_exactly_torch(shape, groups):
    e = EI.dirac_(ember.empty(*shape), groups=groups).numpy()
    t = TI.dirac_(torch.empty(*shape), groups=groups).numpy()
    np.testing.assert_array_equal(e, t)


def test_dirac_and_eye_errors_like_torch():
    cases = [lambda L: L.nn.init.dirac_(L.empty(3, 3), 1),
             lambda L: L.nn.init.dirac_(L.empty(2, 2, 2, 2, 2, 2)),
             lambda L: L.nn.init.dirac_(L.empty(5, 2, 3), groups=2),
             lambda L: L.nn.init.eye_(L.empty(3)),
             lambda L: L.nn.init.eye_(L.empty(2, 3, 4)),
             lambda L: L.nn.init.orthogonal_(L.empty(3))]
    for case in cases:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))


def test_dirac_convolution_is_identity():
    x = np.random.default_rng(0).standard_normal((2, 3, 7)).astype(np.float32)
    conv = nn.Conv1d(3, 3, 3, padding=1, bias=False)
    EI.dirac_(conv.weight)
    np.testing.assert_allclose(conv(ember.from_numpy(x)).detach().numpy(), x, atol=1e-6)


@pytest.mark.parametrize("shape,gain", [((5, 5), 1.0), ((7, 3), 0.5), ((2, 9), 3.0),
                                        ((4, 2, 2), 1.0)])
def test_orthogonal_structure_matches_torch(shape, gain):
    e = EI.orthogonal_(ember.empty(*shape), gain=gain).numpy().reshape(shape[0], -1)
    t = TI.orthogonal_(torch.empty(*shape), gain=gain).numpy().reshape(shape[0], -1)
    for w in (e, t):
        gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        np.testing.assert_allclose(gram, gain**2 * np.eye(len(gram)), atol=1e-5)
    np.testing.assert_allclose(np.linalg.svd(e, compute_uv=False),
                               np.linalg.svd(t, compute_uv=False), atol=1e-5)


def test_orthogonal_is_haar_distributed_like_torch():
    # Over many draws each entry of a Haar-random orthogonal 4x4 matrix has mean 0 and
    # variance 1/4; without the sign fix the diagonal would be biased positive.
    e = np.stack([EI.orthogonal_(ember.empty(4, 4)).numpy() for _ in range(200)])
    t = np.stack([TI.orthogonal_(torch.empty(4, 4)).numpy() for _ in range(200)])
    for draws in (e, t):
        diag = np.diagonal(draws, axis1=1, axis2=2)
        assert abs(diag.mean()) < 0.06
        assert abs(draws.var() - 0.25) < 0.02
    assert abs(np.abs(e).mean() - np.abs(t).mean()) < 0.03


def test_orthogonal_float64_and_empty():
    w = EI.orthogonal_(ember.empty(3, 3, dtype=ember.float64), gain=math.sqrt(2))
    assert w.dtype == ember.float64
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), 2 * np.eye(3), atol=1e-12)
    assert tuple(EI.orthogonal_(ember.empty(0, 3)).shape) == (0, 3)
