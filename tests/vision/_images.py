"""Shared images and helpers of the transform tests."""

import numpy as np
import pytest

import ember

Image = pytest.importorskip("PIL.Image")
torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, (3, 6, 7), dtype=np.uint8)
F32 = RNG.random((3, 6, 7), dtype=np.float32)
BATCH = RNG.integers(0, 256, (2, 3, 5, 6), dtype=np.uint8)


def pil(chw):
    return Image.fromarray(np.ascontiguousarray(chw.transpose(1, 2, 0)))


def hwc(img):
    return np.asarray(img)


def tt(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def et(a):
    return ember.from_numpy(np.ascontiguousarray(a))


def assert_tensor(ours, theirs, atol=0):
    theirs = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.numpy().dtype == theirs.dtype
    assert ours.shape == theirs.shape
    if atol:
        np.testing.assert_allclose(ours.numpy(), theirs, atol=atol, rtol=0)
    else:
        np.testing.assert_array_equal(ours.numpy(), theirs)
