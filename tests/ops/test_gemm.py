"""``ember.ops._gemm.matmul``: split over the op threads, the same product as NumPy's."""

import numpy as np
import pytest

from ember.ops import _gemm, _parallel

R = np.random.default_rng(3)


@pytest.fixture
def split_everything(monkeypatch):
    monkeypatch.setitem(_parallel._state, "threads", 2)
    monkeypatch.setattr(_gemm, "_SPLIT_MNK", 0)
    monkeypatch.setattr(_parallel, "owns_cores", lambda: True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(7, 5, 3), (3, 5, 9), (1, 4, 1), (64, 33, 65)])
@pytest.mark.parametrize("layout", ["plain", "transposed"])
def test_split_product_equals_numpys(split_everything, dtype, m, k, n, layout):
    a = R.standard_normal((m, k)).astype(dtype)
    b = R.standard_normal((k, n)).astype(dtype)
    if layout == "transposed":  # the linear op's operands are transposed views
        a, b = np.ascontiguousarray(a.T).T, np.ascontiguousarray(b.T).T
    out = _gemm.matmul(a, b)
    assert out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_allclose(out, a @ b, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5)


def test_small_or_mixed_products_are_numpys(monkeypatch):
    monkeypatch.setattr(_parallel, "owns_cores", lambda: True)
    a, b = np.ones((2, 3), np.float32), np.ones((3, 2), np.float64)
    assert _gemm.matmul(a, b).dtype == np.float64
    assert (_gemm.matmul(a, b.astype(np.float32)) == 3).all()
