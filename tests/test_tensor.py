"""Tensor attributes, conversions and Python protocols against PyTorch."""

import copy
import pickle
from functools import partial

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")

R = rng(7)
LIBS = (ember, torch)


def pair(a):
    return ember.from_numpy(a), torch.from_numpy(a)


def test_shape_size_and_layout_attributes():
    base = R.standard_normal((2, 3, 4)).astype(np.float32)
    for make in (lambda L, t: t, lambda L, t: t.transpose(0, 2), lambda L, t: t[:, 1:, ::2],
                 lambda L, t: t[1], lambda L, t: t.reshape(6, 4), lambda L, t: t[0, 0, 0]):
        e, t = (make(L, x) for L, x in zip(LIBS, pair(base.copy())))
        assert tuple(e.shape) == tuple(t.shape) and e.size() == tuple(t.size())
        assert repr(e.shape) == repr(t.shape).replace("torch.", "ember.")
        assert (e.dim(), e.ndim, e.numel(), e.nelement()) == (t.dim(), t.ndim, t.numel(),
                                                              t.nelement())
        assert e.stride() == t.stride() and e.storage_offset() == t.storage_offset()
        assert e.is_contiguous() == t.is_contiguous()
        assert (e.element_size(), e.itemsize, e.nbytes) == (t.element_size(), t.itemsize,
                                                            t.nbytes)
        for d in range(-e.dim(), e.dim()):
            assert e.size(d) == t.size(d) and e.stride(d) == t.stride(d)
    assert_same_error(lambda: ember.zeros(2, 3).size(2), lambda: torch.zeros(2, 3).size(2))
    assert ember.zeros(2, 3).shape.numel() == 6


def test_dtype_device_and_flags():
    for L in LIBS:
        x = L.zeros(2, dtype=L.float64)
        assert str(x.dtype).endswith("float64") and x.device.type == "cpu" and x.is_cpu
        assert x.is_floating_point() and not x.is_complex() and not x.is_cuda
        assert not L.zeros(2, dtype=L.int64).is_floating_point()


def test_item_tolist_and_python_numbers():
    a = R.standard_normal((2, 3)).astype(np.float32)
    e, t = pair(a)
    assert e.tolist() == t.tolist()
    assert e[0, 1].item() == t[0, 1].item()
    assert isinstance(ember.tensor(3).item(), int) and isinstance(ember.tensor(True).item(), bool)
    for fn in (float, int, bool, complex):
        assert fn(ember.tensor([2.5])) == fn(torch.tensor([2.5]))
    assert [1, 2, 3][ember.tensor(1)] == 2
    assert f"{ember.tensor(1.23456):.2f}" == f"{torch.tensor(1.23456):.2f}"
    assert len(e) == len(t) == 2
    assert [r.tolist() for r in e] == [r.tolist() for r in t]


def test_numpy_and_from_numpy_share_memory():
    a = np.zeros(3, np.float32)
    x = ember.from_numpy(a)
    a[0] = 5.0
    assert x[0].item() == 5.0
    x[1] = 7.0
    assert a[1] == 7.0
    n = x.numpy()
    n[2] = 9.0
    assert x.tolist() == [5.0, 7.0, 9.0]
    assert np.shares_memory(x.numpy(), a)
    assert x.detach().numpy() is not None


def test_conversions_match_torch():
    a = R.standard_normal((2, 2)).astype(np.float32) * 3
    e, t = pair(a)
    for fn in (lambda x: x.double(), lambda x: x.float(), lambda x: x.half(), lambda x: x.long(),
               lambda x: x.int(), lambda x: x.short(), lambda x: x.char(), lambda x: x.byte(),
               lambda x: x.bool(), lambda x: x.to("cpu"), lambda x: x.cpu(),
               lambda x: x.type_as(x.long()), lambda x: x.contiguous(), lambda x: x.clone()):
        assert_same(fn(e), fn(t))
    assert_same(e.to(ember.float64), t.to(torch.float64))
    assert_same(e.to("cpu", ember.int32), t.to("cpu", torch.int32))
    assert_same(e.to(dtype=ember.float16), t.to(dtype=torch.float16), atol=1e-2, rtol=1e-2)
    assert e.type() == t.type().replace("torch.", "ember.")
    assert_same(e.type("ember.DoubleTensor"), t.type("torch.DoubleTensor"))
    assert_same(e.type(ember.int64), t.type(torch.int64))
    assert e.to(ember.float32) is e and t.to(torch.float32) is t  # no copy when nothing changes
    assert e.to(ember.float32, copy=True) is not e


def test_detach_data_and_requires_grad():
    for L in LIBS:
        x = L.ones(3, requires_grad=True)
        y = x * 2
        d = y.detach()
        d[0] = 10.0  # shares memory with y
        assert y[0].item() == 10.0 and not d.requires_grad
        x.data[1] = 4.0  # .data is an untracked alias
        assert x[1].item() == 4.0 and x.is_leaf and x.grad_fn is None
        x.data = L.zeros(3)
        assert x.tolist() == [0.0] * 3 and x.requires_grad
        y.detach_()
        assert y.grad_fn is None and not y.requires_grad


def test_new_factories_inherit_dtype():
    for L in LIBS:
        x = L.zeros(2, dtype=L.float64)
        for t in (x.new_zeros(3), x.new_ones((2, 2)), x.new_full((2,), 7), x.new_empty(1),
                  x.new_tensor([1, 2])):
            assert str(t.dtype).endswith("float64")
        assert x.new_tensor([1, 2], dtype=L.int64).tolist() == [1, 2]


def test_copy_and_pickle():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    c = copy.deepcopy(x)
    assert c is not x and c.tolist() == x.tolist() and c.requires_grad
    with ember.no_grad():
        c[0] = 5.0
    assert x[0].item() == 1.0
    p = pickle.loads(pickle.dumps(x.detach()))
    assert p.tolist() == [1.0, 2.0]
    assert_same_error(lambda: copy.deepcopy(x * 2),
                      lambda: copy.deepcopy(torch.tensor([1.0], requires_grad=True) * 2))


def test_hash_is_identity_and_comparison_is_elementwise():
    x = ember.tensor([1.0, 2.0])
    assert {x: 1}[x] == 1 and ember.tensor([1.0, 2.0]) not in {x: 1}
    assert (x == x).tolist() == [True, True]


def test_legacy_constructor():
    assert_same(ember.Tensor([1, 2]), torch.Tensor([1, 2]))
    assert tuple(ember.Tensor(2, 3).shape) == (2, 3)
    assert ember.Tensor([1, 2]).dtype == ember.float32


def test_protocol_errors_match_torch():
    cases = [
        lambda L: len(L.tensor(1.0)), lambda L: iter(L.tensor(1.0)),
        lambda L: bool(L.ones(2)), lambda L: L.ones(2).item(),
        lambda L: [1, 2][L.tensor(1.5)], lambda L: L.ones(3, requires_grad=True).numpy(),
    ]
    for case in cases:
        assert_same_error(partial(case, ember), partial(case, torch))
