"""ember.func's derivative transforms against torch.func: values, nesting, errors."""

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")
import torch.func as TF  # noqa: E402

import ember.func as EF  # noqa: E402

DTYPES = ["float32", "float64"]


def both(*shapes, dtype="float64", seed=0):
    """The same random arrays as ember and as torch tensors."""
    g = rng(seed)
    arrays = [g.standard_normal(s).astype(dtype) for s in shapes]
    return ([ember.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays])


def cubic(lib):
    return lambda x: (x ** 3 * lib.sin(x)).sum()


def two_args(lib):
    return lambda x, y: (lib.tanh(x) * y ** 2).sum()


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_and_value_match_torch(dtype):
    (e,), (t,) = both((4,), dtype=dtype)
    assert_same(EF.grad(cubic(ember))(e), TF.grad(cubic(torch))(t))
    assert_same(EF.grad_and_value(cubic(ember))(e), TF.grad_and_value(cubic(torch))(t))


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0), -1, (-1,)])
def test_grad_argnums(argnums):
    es, ts = both((3,), (3,))
    assert_same(EF.grad(two_args(ember), argnums)(*es), TF.grad(two_args(torch), argnums)(*ts))


def test_grad_pytree_argument_and_unused_input():
    (a, b), (ta, tb) = both((2,), (3,))
    got = EF.grad(lambda d: (d["x"] ** 2).sum())({"x": a, "y": b})
    want = TF.grad(lambda d: (d["x"] ** 2).sum())({"x": ta, "y": tb})
    assert list(got) == list(want)
    for k in want:
        assert_same(got[k], want[k])


def test_grad_has_aux():
    (e,), (t,) = both((3,))

    def f(lib):
        return lambda x: ((x ** 2).sum(), {"double": x * 2, "n": [x.sum()]})
    g_e, aux_e = EF.grad(f(ember), has_aux=True)(e)
    g_t, aux_t = TF.grad(f(torch), has_aux=True)(t)
    assert_same(g_e, g_t)
    assert_same(aux_e["double"], aux_t["double"])
    assert_same(aux_e["n"], aux_t["n"])
    assert not aux_e["double"].requires_grad
    ge, (ve, ae) = EF.grad_and_value(f(ember), has_aux=True)(e)
    gt, (vt, at) = TF.grad_and_value(f(torch), has_aux=True)(t)
    assert_same((ge, ve), (gt, vt))


@pytest.mark.parametrize("dtype", DTYPES)
def test_nested_grad_and_jacobians(dtype):
    (e,), (t,) = both((3,), dtype=dtype)
    f_e, f_t = cubic(ember), cubic(torch)
    atol = 1e-4 if dtype == "float32" else 1e-10
    assert_same(EF.grad(lambda x: EF.grad(f_e)(x).sum())(e),
                TF.grad(lambda x: TF.grad(f_t)(x).sum())(t), atol=atol)
    assert_same(EF.jacrev(EF.jacrev(f_e))(e), TF.jacrev(TF.jacrev(f_t))(t), atol=atol)
    assert_same(EF.hessian(f_e)(e), TF.hessian(f_t)(t), atol=atol)
    assert_same(EF.jacfwd(EF.jacrev(f_e))(e), TF.jacfwd(TF.jacrev(f_t))(t), atol=atol)
    scalar_e, scalar_t = ember.tensor(0.7, dtype=getattr(ember, dtype)), torch.tensor(
        0.7, dtype=getattr(torch, dtype))
    third_e = EF.grad(EF.grad(EF.grad(lambda x: x ** 4 * ember.exp(x))))(scalar_e)
    third_t = TF.grad(TF.grad(TF.grad(lambda x: x ** 4 * torch.exp(x))))(scalar_t)
    assert_same(third_e, third_t, atol=atol)


def test_closure_over_outer_variable():
    # d/dy [ d/dx (x * y) at x ] = 1, not 2: the inner derivative must not see y's use
    (x, y), (tx, ty) = both((), ())
    got = EF.grad(lambda b: EF.grad(lambda a: a * b)(x))(y)
    want = TF.grad(lambda b: TF.grad(lambda a: a * b)(tx))(ty)
    assert_same(got, want)
    got = EF.grad(lambda a: EF.grad(lambda b: a * b)(a))(x)
    want = TF.grad(lambda a: TF.grad(lambda b: a * b)(a))(tx)
    assert_same(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_jacrev_jacfwd_shapes_and_structures(dtype):
    (x, y), (tx, ty) = both((2, 3), (3,), dtype=dtype)

    def f(lib):
        return lambda a, b: (lib.sin(a) * b, {"s": (a @ b).sum()})
    for ef, tf in ((EF.jacrev, TF.jacrev), (EF.jacfwd, TF.jacfwd)):
        for argnums in (0, 1, (0, 1)):
            je = ef(f(ember), argnums)(x, y)
            jt = tf(f(torch), argnums)(tx, ty)
            assert_same(je[0], jt[0])
            assert_same(je[1]["s"], jt[1]["s"])


def test_jacobian_of_constant_and_has_aux():
    (x,), (tx,) = both((3,))
    assert_same(EF.jacrev(lambda a: ember.ones(2, dtype=ember.float64))(x),
                TF.jacrev(lambda a: torch.ones(2, dtype=torch.float64))(tx))
    je, ae = EF.jacrev(lambda a: (a ** 2, a.sum()), has_aux=True)(x)
    jt, at = TF.jacrev(lambda a: (a ** 2, a.sum()), has_aux=True)(tx)
    assert_same((je, ae), (jt, at))
    je, ae = EF.jacfwd(lambda a: (a ** 2, a.sum()), has_aux=True)(x)
    jt, at = TF.jacfwd(lambda a: (a ** 2, a.sum()), has_aux=True)(tx)
    assert_same((je, ae), (jt, at))


@pytest.mark.parametrize("dtype", DTYPES)
def test_vjp(dtype):
    (x, y, v), (tx, ty, tv) = both((3,), (3,), (3,), dtype=dtype)
    oe, fe = EF.vjp(lambda a, b: ember.sin(a) * b, x, y)
    ot, ft = TF.vjp(lambda a, b: torch.sin(a) * b, tx, ty)
    assert_same(oe, ot)
    assert_same(fe(v), ft(tv))
    assert_same(fe(v * 2), ft(tv * 2))  # the pullback can be used again
    oe, fe = EF.vjp(lambda d: (d["a"] * 2, d["a"].sum()), {"a": x})
    ot, ft = TF.vjp(lambda d: (d["a"] * 2, d["a"].sum()), {"a": tx})
    ge, gt = fe((v, x.sum())), ft((tv, tx.sum()))
    assert_same(ge[0]["a"], gt[0]["a"])
    oe, fe, ae = EF.vjp(lambda a: (a * 3, a), x, has_aux=True)
    ot, ft, at = TF.vjp(lambda a: (a * 3, a), tx, has_aux=True)
    assert_same((oe, fe(v), ae), (ot, ft(tv), at))
    assert_same(EF.vjp(lambda a: ember.ones(3, dtype=a.dtype), x)[1](v),
                TF.vjp(lambda a: torch.ones(3, dtype=a.dtype), tx)[1](tv))


@pytest.mark.parametrize("dtype", DTYPES)
def test_jvp_and_linearize(dtype):
    (x, y, u, w), (tx, ty, tu, tw) = both((3,), (3,), (3,), (3,), dtype=dtype)

    def f(lib):
        return lambda a, b: (lib.sin(a) * b ** 2, {"s": (a * b).sum()})
    ve, je = EF.jvp(f(ember), (x, y), (u, w))
    vt, jt = TF.jvp(f(torch), (tx, ty), (tu, tw))
    assert_same(ve[0], vt[0])
    assert_same(je[0], jt[0])
    assert_same(je[1]["s"], jt[1]["s"])
    ve, je, ae = EF.jvp(lambda a: (a.exp(), a), (x,), (u,), has_aux=True)
    vt, jt, at = TF.jvp(lambda a: (a.exp(), a), (tx,), (tu,), has_aux=True)
    assert_same((ve, je, ae), (vt, jt, at))
    oe, lin_e = EF.linearize(lambda a: a.sin() * a, x)
    ot, lin_t = TF.linearize(lambda a: a.sin() * a, tx)
    assert_same((oe, lin_e(u)), (ot, lin_t(tu)))
    # forward over reverse: a Hessian-vector product
    hvp_e = EF.jvp(EF.grad(cubic(ember)), (x,), (u,))[1]
    hvp_t = TF.jvp(TF.grad(cubic(torch)), (tx,), (tu,))[1]
    assert_same(hvp_e, hvp_t, atol=1e-4)


def test_user_tensors_untouched():
    (x,), _ = both((3,))
    EF.grad(cubic(ember))(x)
    EF.jacrev(EF.jacrev(cubic(ember)))(x)
    EF.vjp(cubic(ember), x)[1](ember.tensor(1.0, dtype=ember.float64))
    EF.jvp(cubic(ember), (x,), (x,))
    assert not x.requires_grad and x.grad is None and x.grad_fn is None
    p = ember.randn(3, dtype=ember.float64, requires_grad=True)
    EF.grad(cubic(ember))(p)
    assert p.requires_grad and p.grad is None


def test_results_stay_differentiable_for_outer_autograd():
    (x,), (tx,) = both((3,))
    xe, tx = x.clone().requires_grad_(), tx.clone().requires_grad_()
    ge, gt = EF.grad(cubic(ember))(xe), TF.grad(cubic(torch))(tx)
    assert ge.requires_grad == gt.requires_grad is True
    (ge.sum()).backward()
    gt.sum().backward()
    assert_same(xe.grad, tx.grad)
    plain = EF.grad(cubic(ember))(x)
    assert not plain.requires_grad and plain.grad_fn is None
    with ember.no_grad():
        assert not EF.grad(cubic(ember))(xe).requires_grad


def test_closure_parameter_keeps_graph():
    w = ember.randn(3, requires_grad=True)
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    (x,), (tx,) = both((3,), dtype="float32")
    ge = EF.grad(lambda a: (a ** 2 * w).sum())(x)
    gt = TF.grad(lambda a: (a ** 2 * tw).sum())(tx)
    assert ge.requires_grad and gt.requires_grad
    ge.sum().backward()
    gt.sum().backward()
    assert_same(w.grad, tw.grad)


ERROR_CASES = [
    lambda F, lib, x: F.grad(lambda a: a)(x),
    lambda F, lib, x: F.grad(lambda a: 3.0)(x),
    lambda F, lib, x: F.grad(lambda a: (a.sum(), 1))(x),
    lambda F, lib, x: F.grad(lambda a: (a.sum(), 1), has_aux=True)(x),
    lambda F, lib, x: F.grad(lambda a: a.sum(), has_aux=True)(x),
    lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=1)(x),
    lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=-2)(x),
    lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=1.0)(x),
    lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=())(x),
    lambda F, lib, x: F.grad(lambda a, b: a.sum(), argnums=(0, -2))(x, x),
    lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=(0, "a"))(x),
    lambda F, lib, x: F.grad(lambda a: a.sum())(3.0),
    lambda F, lib, x: F.grad(lambda a: a.sum())(lib.arange(3)),
    lambda F, lib, x: F.grad(lambda a: a.sum())(),
    lambda F, lib, x: F.vjp(lambda a: 3, x),
    lambda F, lib, x: F.vjp(lambda a: a, 3.0),
    lambda F, lib, x: F.vjp(lambda a: a, x, has_aux=True),
    lambda F, lib, x: F.vjp(lambda a: a * 2, x)[1](x[:2]),
    lambda F, lib, x: F.vjp(lambda a: a * 2, x)[1]((x,)),
    lambda F, lib, x: F.vjp(lambda a: (a, a), x)[1]([x, x]),
    lambda F, lib, x: F.jacrev(lambda a: 3)(x),
    lambda F, lib, x: F.jacrev(lambda a: a, has_aux=True)(x),
    lambda F, lib, x: F.jacrev(lambda a: a, chunk_size=0),
    lambda F, lib, x: F.jacrev(lambda a: a.sum(), argnums=2)(x),
    lambda F, lib, x: F.jacfwd(lambda a: 3)(x),
    lambda F, lib, x: F.jacfwd(lambda a: a, has_aux=True)(x),
    lambda F, lib, x: F.jacfwd(lambda a: a.sum())(3.0),
    lambda F, lib, x: F.jacfwd(lambda a: a, randomness="x")(x),
    lambda F, lib, x: F.jacfwd(lambda a: a * lib.rand(3, dtype=a.dtype))(x),
    lambda F, lib, x: F.jvp(lambda a: a, x, x),
    lambda F, lib, x: F.jvp(lambda a: a, (x,), x),
    lambda F, lib, x: F.jvp(lambda a: a, (x,), (x, x)),
    lambda F, lib, x: F.jvp(lambda a: a, (x,), (x[:2],)),
    lambda F, lib, x: F.jvp(lambda a: a, (), ()),
    lambda F, lib, x: F.jvp(lambda a: 3, (x,), (x,)),
    lambda F, lib, x: F.jvp(lambda a: a, (x,), (x,), has_aux=True),
    lambda F, lib, x: F.jvp(lambda a: (a, 1), (x,), (x,), has_aux=True),
    lambda F, lib, x: F.jvp(lambda a: a, (3.0,), (3.0,)),
    lambda F, lib, x: F.jvp(lambda a: a, (lib.arange(3),), (lib.arange(3),)),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_torch(case):
    (x,), (tx,) = both((3,))
    call = ERROR_CASES[case]
    assert_same_error(lambda: call(EF, ember, x), lambda: call(TF, torch, tx))


def test_grad_of_module_parameters_via_functional_call():
    g = rng(3)
    w, b, inp = g.standard_normal((2, 3)), g.standard_normal(2), g.standard_normal((4, 3))
    m_e, m_t = ember.nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    pe = {"weight": ember.tensor(w), "bias": ember.tensor(b)}
    pt = {"weight": torch.tensor(w), "bias": torch.tensor(b)}

    def loss(F, lib, m, x):
        return lambda p: (F.functional_call(m, p, (x,)) ** 2).sum()
    ge = EF.grad(loss(EF, ember, m_e, ember.tensor(inp)))(pe)
    gt = TF.grad(loss(TF, torch, m_t, torch.tensor(inp)))(pt)
    for k in gt:
        assert_same(ge[k], gt[k])
    assert np.isfinite(ge["weight"].numpy()).all()


def test_hessian_argnums_tuple_and_unmapped_extra_argument():
    (x, y), (tx, ty) = both((2,), (2,))
    assert_same(EF.hessian(lambda a, b: (a * a * b.exp()).sum(), argnums=(0, 1))(x, y),
                TF.hessian(lambda a, b: (a * a * b.exp()).sum(), argnums=(0, 1))(tx, ty))
    assert_same(EF.jacfwd(lambda a, k: a * k)(x, 3.0), TF.jacfwd(lambda a, k: a * k)(tx, 3.0))
