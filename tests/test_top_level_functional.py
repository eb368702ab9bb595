"""torch's top-level names for functions of nn.functional (``torch.conv2d``, ...): the same
results as torch's."""

import numpy as np
import pytest
from helpers import assert_same, rng

import ember

torch = pytest.importorskip("torch")

G = rng(0)
X4, W4 = G.standard_normal((2, 4, 6, 6)), G.standard_normal((3, 4, 3, 3))
X3, W3 = G.standard_normal((2, 4, 7)), G.standard_normal((3, 4, 3))
X5, W5 = G.standard_normal((1, 2, 4, 4, 4)), G.standard_normal((3, 2, 2, 2, 2))
V = G.standard_normal((5, 4))

CASES = [
    ("conv1d", (X3, W3), {"padding": 1}), ("conv2d", (X4, W4), {"stride": 2}),
    ("conv3d", (X5, W5), {}), ("conv_transpose1d", (X3, W3.transpose(1, 0, 2)), {}),
    ("conv_transpose2d", (X4, W4.transpose(1, 0, 2, 3)), {}),
    ("conv_transpose3d", (X5, W5.transpose(1, 0, 2, 3, 4)), {}),
    ("avg_pool1d", (X3, 2), {}), ("max_pool1d", (X3, 2), {}), ("max_pool2d", (X4, 2), {}),
    ("max_pool3d", (X5, 2), {}), ("max_pool1d_with_indices", (X3, 2), {}),
    ("adaptive_avg_pool1d", (X3, 3), {}), ("adaptive_max_pool1d", (X3, 3), {}),
    ("pixel_shuffle", (X4, 2), {}), ("pixel_unshuffle", (X4, 2), {}),
    ("channel_shuffle", (X4, 2), {}), ("prelu", (X4, np.array([0.25])), {}),
    ("hardshrink", (V, 0.3), {}), ("threshold", (V, 0.1, 20.0), {}),
    ("bilinear", (V, V, G.standard_normal((2, 4, 4))), {}),
    ("cosine_similarity", (V, V[::-1].copy()), {}), ("pairwise_distance", (V, V * 2), {}),
    ("pdist", (V,), {}), ("group_norm", (X4, 2), {}), ("layer_norm", (X4, (6, 6)), {}),
    ("rms_norm", (X4, (6,)), {}),
]


def _args(lib, args):
    return [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[c[0] for c in CASES])
def test_same_results_as_torch(name, args, kwargs):
    e = getattr(ember, name)(*_args(ember, args), **kwargs)
    t = getattr(torch, name)(*_args(torch, args), **kwargs)
    if isinstance(t, tuple):
        assert isinstance(e, tuple) and len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b)
    else:
        assert_same(e, t)


@pytest.mark.parametrize("name", ["threshold_", "celu_", "selu_"])
def test_in_place_forms(name):
    args = (0.1, 20.0) if name == "threshold_" else ()
    e, t = ember.tensor(V), torch.tensor(V)
    assert getattr(ember, name)(e, *args) is e
    getattr(torch, name)(t, *args)
    assert_same(e, t)


def test_random_ones_keep_shape_and_listing():
    for name in ("rrelu", "alpha_dropout", "feature_alpha_dropout"):
        out = getattr(ember, name)(ember.tensor(X4), training=False) if name == "rrelu" else \
            getattr(ember, name)(ember.tensor(X4), 0.5, False)
        assert tuple(out.shape) == X4.shape
    assert "conv2d" in dir(ember) and "adaptive_max_pool1d" in dir(ember)
