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


@pytest.mark.parametrize("expr", ["(3,) + S([2])", "S([2]) + (3,)", "S([2]) + S([3, 4])",
                                  "S([2, 3]) * 2", "2 * S([2, 3])", "S([2, 3]) * 0",
                                  "S([4, 5, 6])[1:]"])
def test_size_arithmetic_stays_a_size(expr):
    got, want = (eval(expr, {"S": L.Size}) for L in LIBS)
    assert type(got) is ember.Size and repr(got) == repr(want).replace("torch.", "ember.")


@pytest.mark.parametrize("expr", ["S([2]) + [3]", "S([2]) * 1.5", "1.5 * S([2])"])
def test_size_arithmetic_errors(expr):
    errors = []
    for L in LIBS:
        with pytest.raises(TypeError) as info:
            eval(expr, {"S": L.Size})
        errors.append(str(info.value).replace("torch.", "ember."))
    assert errors[0] == errors[1]


def test_format_of_0d_tensor_and_parameter():
    for L in LIBS:
        assert f"{L.tensor(3.14159):.2f}" == "3.14"
    e, t = ember.nn.Parameter(ember.tensor(3.14159)), torch.nn.Parameter(torch.tensor(3.14159))
    assert f"{e}" == f"{t}"
    with pytest.raises(TypeError, match="unsupported format string passed to Parameter"):
        f"{e:.2f}"


def _inplace_operator_history(L):
    a = L.tensor([5, 6, 7])
    view = a[1:]
    view //= 2
    history = [a.tolist()]
    view %= 2
    history.append(a.tolist())
    a = L.tensor([5, 6, 7])
    view = a[:]
    for step in (lambda v: v.__iand__(3), lambda v: v.__ior__(8), lambda v: v.__ixor__(1),
                 lambda v: v.__ilshift__(1), lambda v: v.__irshift__(2)):
        assert step(view) is view
        history.append(a.tolist())
    return history


def test_inplace_operators_write_through_views():
    assert _inplace_operator_history(ember) == _inplace_operator_history(torch)


@pytest.mark.parametrize("expr", ["t << 3", "t >> 1", "1 << t", "64 >> t", "t << s"])
def test_shift_operators(expr):
    got, want = (eval(expr, {"t": L.tensor([1, 2, 5]), "s": L.tensor([0, 1, 2])})
                 for L in LIBS)
    assert_same(got, want)


@pytest.mark.parametrize("expr", ["u * -1", "-1 * u", "u - 300", "u < -3", "i + 200",
                                  "i == 257", "u.add(-1)"])
def test_out_of_range_int_scalars_wrap_into_the_dtype(expr):
    got, want = (eval(expr, {"u": L.tensor([1, 2], dtype=L.uint8),
                             "i": L.tensor([1, 100], dtype=L.int8)}) for L in LIBS)
    assert_same(got, want)


@pytest.mark.parametrize("expr", ["L.ones(3).H", "L.ones(2, 2, 2).H", "L.ones(2).mH",
                                  "L.ones(2, 3).type('float')", "L.ones(2).to('float32')",
                                  "L.ones(3)[1:].detach_()", "L.cumsum(L.ones(2), 5)",
                                  "L.cumsum(L.ones(2), 0, dtype=L.bool)",
                                  "L.cumprod(L.ones(2), 0, dtype=L.bool)"])
def test_tensor_level_errors(expr):
    e_call, t_call = (lambda L=L: eval(expr, {"L": L}) for L in LIBS)
    assert_same_error(e_call, t_call, match_message="detach_" not in expr)


def test_to_refuses_a_numpy_type():
    for L in LIBS:
        with pytest.raises(TypeError, match="to\\(\\) received an invalid combination"):
            L.ones(2).to(np.float32)


@pytest.mark.parametrize("expr", ["x.H", "x.mH", "x.T", "x.mT"])
def test_hermitian_transposes_conjugate(expr):
    data = np.array([[1 + 2j, 3 - 1j], [0.5j, 2]], dtype=np.complex64)
    got, want = (eval(expr, {"x": L.from_numpy(data.copy())}).resolve_conj() for L in LIBS)
    assert_same(got, want)


def test_grad_assignment_checks_dtype_size_and_type():
    for value in (lambda L: L.ones(3, dtype=L.float64), lambda L: L.ones(2),
                  lambda L: L.ones(1, 3), lambda L: [1.0, 2.0, 3.0]):
        errors = []
        for L in LIBS:
            p = L.ones(3, requires_grad=True)
            with pytest.raises((RuntimeError, TypeError)) as info:
                p.grad = value(L)
            errors.append((type(info.value), str(info.value).split(". ")[0]))
        assert errors[0] == errors[1]
    p = ember.ones(3, requires_grad=True)
    p.grad = ember.full((3,), 2.0)
    p.grad = None
    assert p.grad is None


def test_reading_grad_of_a_non_leaf_warns():
    import warnings
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        y = x * 2
        with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
            assert y.grad is None
        y.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert y.grad is None and x.grad is None and (x.detach() * 2).grad is None


def test_where_accepts_a_uint8_condition_with_a_warning():
    results = []
    for L in LIBS:
        with pytest.warns(UserWarning, match="uint8 condition"):
            results.append(L.where(L.tensor([1, 0], dtype=L.uint8), 1.0, 0.0))
    assert_same(*results)


def test_anomaly_switch_at_top_level():
    ember.set_anomaly_enabled(True)
    try:
        assert ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
    finally:
        ember.set_anomaly_enabled(False)
    assert not ember.is_anomaly_enabled() and not torch.is_anomaly_enabled()
