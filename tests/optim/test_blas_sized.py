"""Every optimizer against PyTorch on parameters large enough for the BLAS update path.

The other optimizer tests use small parameters, which take the ufunc path of
``ember.optim._functional``; here the parameters have thousands of elements, so the scaled adds
run through BLAS ``axpy`` where it is available.
"""

import numpy as np
import pytest

from ._compare import assert_params_close, feed_and_step, make_pair

torch = pytest.importorskip("torch")

SHAPES = [(160, 130), (9000,), (3,)]
CONFIGS = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01)),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_large_parameters_match_torch(name, kwargs, dtype):
    pairs = make_pair(torch, name, kwargs, dtype, shapes=SHAPES)
    feed_and_step(torch, pairs, 50, skip_every=5)
    assert_params_close(pairs[0], pairs[1])
