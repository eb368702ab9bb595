"""ember.func.vmap against torch.func.vmap: in_dims/out_dims, nesting, composition, errors."""

import pytest

import ember
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")
import torch.func as TF  # noqa: E402

import ember.func as EF  # noqa: E402


def both(*shapes, dtype="float64", seed=0):
    g = rng(seed)
    arrays = [g.standard_normal(s).astype(dtype) for s in shapes]
    return [ember.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_dims_out_dims(dtype):
    (a, b, c), (ta, tb, tc) = both((3, 4), (4, 3), (4,), dtype=dtype)

    def f(x, y, z):
        return x * y + z, (x * z).sum()
    for in_dims, out_dims in [((0, 1, None), 0), ((0, -1, None), (1, 0)), ((0, 1, None), -1)]:
        got = EF.vmap(f, in_dims, out_dims)(a, b, c)
        want = TF.vmap(f, in_dims, out_dims)(ta, tb, tc)
        assert_same(got, want)


def test_nested_inputs_outputs_and_kwargs():
    (a, b), (ta, tb) = both((2, 3), (3, 2))

    def f(d, lst, scale=1.0):
        return {"s": d["x"] * scale + lst[0], "t": lst[1] * 2}
    got = EF.vmap(f, in_dims=({"x": 0}, [1, None]))({"x": a}, [b, a], scale=ember.tensor(2.0))
    want = TF.vmap(f, in_dims=({"x": 0}, [1, None]))({"x": ta}, [tb, ta],
                                                      scale=torch.tensor(2.0))
    assert list(got) == list(want)
    for k in want:
        assert_same(got[k], want[k])


def test_nested_vmap_and_unbatched_output():
    (a, b), (ta, tb) = both((2, 3), (4, 3))
    got = EF.vmap(EF.vmap(lambda x, y: (x * y).sum(), (None, 0)), (0, None))(a, b)
    want = TF.vmap(TF.vmap(lambda x, y: (x * y).sum(), (None, 0)), (0, None))(ta, tb)
    assert_same(got, want)
    got = EF.vmap(lambda x: (x.sum(), ember.ones(2)), out_dims=(0, None))(a)
    want = TF.vmap(lambda x: (x.sum(), torch.ones(2)), out_dims=(0, None))(ta)
    assert_same(got, want)
    assert_same(EF.vmap(lambda x: ember.ones(2))(a), TF.vmap(lambda x: torch.ones(2))(ta))


def test_empty_batch():
    e = ember.zeros(0, 3)
    t = torch.zeros(0, 3)
    assert_same(EF.vmap(lambda x: x.sum())(e), TF.vmap(lambda x: x.sum())(t))
    assert_same(EF.vmap(lambda x: x * 2, out_dims=1)(e), TF.vmap(lambda x: x * 2, out_dims=1)(t))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_composition_with_grad_and_jacobians(dtype):
    (a, v), (ta, tv) = both((5, 3), (3,), dtype=dtype)

    def f(lib):
        return lambda x: (lib.sin(x) * x ** 2).sum()
    assert_same(EF.vmap(EF.grad(f(ember)))(a), TF.vmap(TF.grad(f(torch)))(ta))
    assert_same(EF.vmap(EF.jacrev(lambda x: x.exp() * x.sum()))(a),
                TF.vmap(TF.jacrev(lambda x: x.exp() * x.sum()))(ta))
    assert_same(EF.jacrev(EF.vmap(lambda x: (x ** 2).sum()))(a),
                TF.jacrev(TF.vmap(lambda x: (x ** 2).sum()))(ta))
    assert_same(EF.vmap(EF.hessian(f(ember)))(a), TF.vmap(TF.hessian(f(torch)))(ta), atol=1e-4)
    # a batch of vector-Jacobian products through one pullback
    _, pull_e = EF.vjp(lambda x: x.sin() * x.sum(), v)
    _, pull_t = TF.vjp(lambda x: x.sin() * x.sum(), tv)
    assert_same(EF.vmap(pull_e)(a), TF.vmap(pull_t)(ta))


def test_vmap_keeps_autograd_graph():
    (a,), (ta,) = both((3, 2))
    ae, at = a.requires_grad_(), ta.requires_grad_()
    EF.vmap(lambda x: (x ** 3).sum())(ae).sum().backward()
    TF.vmap(lambda x: (x ** 3).sum())(at).sum().backward()
    assert_same(ae.grad, at.grad)


def test_randomness_modes():
    x = ember.zeros(4)
    ember.manual_seed(0)
    same = EF.vmap(lambda t: t + ember.rand(()), randomness="same")(x)
    assert len(set(same.tolist())) == 1
    different = EF.vmap(lambda t: t + ember.rand(()), randomness="different")(x)
    assert len(set(different.tolist())) == 4


def test_per_model_ensemble_with_stack_module_state():
    models_e = [ember.nn.Linear(3, 2).double() for _ in range(4)]
    models_t = [torch.nn.Linear(3, 2).double() for _ in range(4)]
    for me, mt in zip(models_e, models_t):
        mt.load_state_dict({k: torch.tensor(v.numpy()) for k, v in me.state_dict().items()})
    (x,), (tx,) = both((5, 3))
    pe, be = EF.stack_module_state(models_e)
    pt, bt = TF.stack_module_state(models_t)
    for k in pt:
        assert_same(pe[k], pt[k])
        assert pe[k].requires_grad and pe[k].grad_fn is None

    def run(F, base):
        return lambda p, b, inp: F.functional_call(base, (p, b), (inp,))
    got = EF.vmap(run(EF, models_e[0]), in_dims=(0, 0, None))(pe, be, x)
    want = TF.vmap(run(TF, models_t[0]), in_dims=(0, 0, None))(pt, bt, tx)
    assert_same(got, want)


ERROR_CASES = [
    lambda F, lib, x: F.vmap(lambda a, b: a + b)(x, x[:2]),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims=1)(x),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims=-2)(x),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims=(0, 0))(x),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims=None)(x),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims=[0])(x),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims="x")(x),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims=(None,))(x),
    lambda F, lib, x: F.vmap(lambda a: a, in_dims=(1.5,))(x),
    lambda F, lib, x: F.vmap(lambda a: a["k"], in_dims=({"j": 0},))({"k": x}),
    lambda F, lib, x: F.vmap(lambda a, b: a, in_dims=(0,))(x, x),
    lambda F, lib, x: F.vmap(lambda a: 3)(x),
    lambda F, lib, x: F.vmap(lambda a: a)(3),
    lambda F, lib, x: F.vmap(lambda a: a)([x, 3]),
    lambda F, lib, x: F.vmap(lambda a: a)(),
    lambda F, lib, x: F.vmap(lambda a: a)(x.sum()),
    lambda F, lib, x: F.vmap(lambda a: a, randomness="foo")(x),
    lambda F, lib, x: F.vmap(lambda a: a, chunk_size=0)(x),
    lambda F, lib, x: F.vmap(lambda a: lib.rand(2) + a)(x),
    lambda F, lib, x: F.vmap(lambda a: a.sum(), out_dims=1)(x),
    lambda F, lib, x: F.vmap(lambda a: a, out_dims=(0, 0))(x),
    lambda F, lib, x: F.vmap(lambda a: (a, a), out_dims=(0, 0, 0))(x),
    lambda F, lib, x: F.vmap(lambda a: a, out_dims=None)(x),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_torch(case):
    (x,), (tx,) = both((3,))
    call = ERROR_CASES[case]
    assert_same_error(lambda: call(EF, ember, x), lambda: call(TF, torch, tx))
