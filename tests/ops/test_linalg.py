"""Matrix products against PyTorch: every matmul dispatch, mm/bmm/mv/dot/addmm, einsum."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ember
from helpers import assert_same, assert_same_error, check_op, grad_fn_names, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(5)


def arr(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


MATMUL_SHAPES = [
    ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)), ((2, 2, 3, 4), (2, 2, 4, 5)), ((1, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (1, 4, 5)), ((1, 3, 4), (1, 4, 5)), ((4,), (1, 4, 5)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_every_dispatch(shapes):
    sa, sb = shapes
    check_op(*both(lambda L, a, b: a @ b), arr(*sa), arr(*sb), atol=1e-4,
             dtypes=["float32", "float64"])


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)], ids=str)
def test_matmul_graph_matches_torch(shapes, needs):
    """The graph (folding into mm/mv, or expand + bmm) depends on which side needs grad."""
    sa, sb = shapes
    names = []
    for L in (ember, torch):
        a = L.ones(*sa, requires_grad=needs[0])
        b = L.ones(*sb, requires_grad=needs[1])
        names.append(grad_fn_names(L.matmul(a, b), 6))
    assert names[0] == names[1]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradcheck(shapes):
    gradcheck_op(lambda a, b: a @ b, arr(*shapes[0]), arr(*shapes[1]))


PRODUCTS = {
    "mm": (lambda L, a, b: a.mm(b), (3, 4), (4, 5)),
    "mm_fn": (lambda L, a, b: L.mm(a, b), (3, 4), (4, 5)),
    "bmm": (lambda L, a, b: a.bmm(b), (2, 3, 4), (2, 4, 5)),
    "mv": (lambda L, a, b: L.mv(a, b), (3, 4), (4,)),
    "dot": (lambda L, a, b: a.dot(b), (4,), (4,)),
    "outer": (lambda L, a, b: L.outer(a, b), (3,), (4,)),
    "addmm_row_bias": (lambda L, c, a: L.addmm(c, a, a.t()), (3,), (3, 4)),
    "addmm_full_bias": (lambda L, c, a: c.addmm(a, a.t()), (3, 3), (3, 4)),
    "addmm_scaled": (lambda L, c, a: L.addmm(c, a, a.t(), beta=0.5, alpha=2), (1, 3), (3, 4)),
    "addmm_beta0": (lambda L, c, a: L.addmm(c, a, a.t(), beta=0), (3,), (3, 4)),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products(name):
    fn, sa, sb = PRODUCTS[name]
    check_op(*both(fn), arr(*sa), arr(*sb), atol=1e-4, dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products_gradcheck(name):
    fn, sa, sb = PRODUCTS[name]
    gradcheck_op(partial(fn, ember), arr(*sa), arr(*sb))


def test_integer_products():
    a = R.integers(-3, 3, (2, 3)).astype(np.int64)
    b = R.integers(-3, 3, (3, 2)).astype(np.int64)
    check_op(*both(lambda L, x, y: x @ y), a, b)
    check_op(*both(lambda L, x, y: L.mm(x, y)), a.astype(np.int32), b.astype(np.int32))


def test_linear_forward_records_torch_graph():
    from ember.nn import functional as F
    for shape in [(2, 4), (2, 3, 4), (4,)]:
        for bias in (True, False):
            names = []
            for L, fn in ((ember, F.linear), (torch, torch.nn.functional.linear)):
                x = L.ones(*shape, requires_grad=True)
                w = L.ones(5, 4, requires_grad=True)
                b = L.ones(5, requires_grad=True) if bias else None
                names.append(grad_fn_names(fn(x, w, b), 4))
            assert names[0] == names[1], (shape, bias)
    from ember.ops.linalg import linear_forward
    check_op(linear_forward, torch.nn.functional.linear, arr(2, 3, 4), arr(5, 4), arr(5),
             atol=1e-4, layouts_=("contiguous",))


EINSUM = {
    "mm": ("ij,jk->ik", [(3, 4), (4, 5)]),
    "implicit": ("ij,jk", [(3, 4), (4, 5)]),
    "column_sums": ("ij->j", [(3, 4)]),
    "transpose": ("ij->ji", [(3, 4)]),
    "sum_all": ("ij->", [(3, 4)]),
    "outer": ("i,j->ij", [(3,), (4,)]),
    "dot": ("i,i", [(3,), (3,)]),
    "batched": ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    "chain": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    "ellipsis": ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    "ellipsis_broadcast": ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    "trace": ("ii", [(3, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "bilinear": ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    "attention": ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    "spaces": ("i j , j k -> i k", [(2, 3), (3, 2)]),
}


@pytest.mark.parametrize("name", sorted(EINSUM))
def test_einsum(name):
    eq, shapes = EINSUM[name]
    check_op(lambda *t: ember.einsum(eq, *t), lambda *t: torch.einsum(eq, *t),
             *[arr(*s) for s in shapes], atol=1e-4, check_grad_fn=False)


@pytest.mark.parametrize("name", sorted(EINSUM))
def test_einsum_gradcheck(name):
    eq, shapes = EINSUM[name]
    gradcheck_op(lambda *t: ember.einsum(eq, *t), *[arr(*s) for s in shapes])


def test_einsum_operand_list_and_without_grad():
    a, b = arr(3, 4), arr(4)
    assert_same(ember.einsum("ij,j->i", [ember.from_numpy(a), ember.from_numpy(b)]),
                torch.einsum("ij,j->i", [torch.from_numpy(a), torch.from_numpy(b)]), atol=1e-5)
    assert ember.einsum("ij->ji", ember.from_numpy(a)).requires_grad is False


def test_second_derivatives_of_products():
    x = arr(3, 3, dtype=np.float64)
    for fn in (lambda L, t: t @ t, lambda L, t: L.einsum("ij,jk->ik", t, t.exp()),
               lambda L, t: L.mv(t, t[0]), lambda L, t: (t.unsqueeze(0) @ t).sum(0),
               lambda L, t: L.addmm(t[0], t, t)):
        results = []
        for L in (ember, torch):
            t = L.tensor(x, requires_grad=True)
            (g,) = L.autograd.grad(fn(L, t).pow(2).sum(), t, create_graph=True)
            (gg,) = L.autograd.grad(g.sum(), t)
            results.append((g, gg))
        assert_same(results[0][0], results[1][0], atol=1e-6)
        assert_same(results[0][1], results[1][1], atol=1e-6)


def test_errors_match_torch():
    cases = [
        lambda L: L.mm(L.zeros(3, 784), L.zeros(20, 10)),
        lambda L: L.zeros(3, 784) @ L.zeros(20, 10),
        lambda L: L.zeros(2, 3, 784) @ L.zeros(20, 10),
        lambda L: L.zeros(2, 3, 4) @ L.zeros(2, 5, 10),
        lambda L: L.zeros(2, 3, 4) @ L.zeros(3, 4, 10),
        lambda L: L.zeros(3) @ L.zeros(4),
        lambda L: L.zeros(3, 4) @ L.zeros(5),
        lambda L: L.zeros(3) @ L.zeros(4, 5),
        lambda L: L.zeros(2, 3, 4) @ L.zeros(5),
        lambda L: L.zeros(()) @ L.zeros(4, 5),
        lambda L: L.zeros(2, 2) @ L.zeros(2, 2, dtype=L.float64),
        lambda L: L.zeros(2, 2, dtype=L.int64) @ L.zeros(2, 2),
        lambda L: L.mm(L.zeros(2), L.zeros(2, 2)),
        lambda L: L.mm(L.zeros(2, 3), L.zeros(3)),
        lambda L: L.bmm(L.zeros(2, 2), L.zeros(2, 2, 2)),
        lambda L: L.bmm(L.zeros(2, 3, 4), L.zeros(2, 4)),
        lambda L: L.bmm(L.zeros(2, 2, 3), L.zeros(2, 2, 2)),
        lambda L: L.bmm(L.zeros(2, 2, 3), L.zeros(3, 3, 2)),
        lambda L: L.bmm(L.zeros(2, 2, 2), L.zeros(2, 2, 2, dtype=L.float64)),
        lambda L: L.addmm(L.zeros(3), L.zeros(2, 3), L.zeros(2, 3)),
        lambda L: L.addmm(L.zeros(4), L.zeros(2, 3), L.zeros(3, 3)),
        lambda L: L.addmm(L.zeros(2), L.zeros(2, 2), L.zeros(2, 2, dtype=L.float64)),
        lambda L: L.dot(L.zeros(3), L.zeros(4)),
        lambda L: L.dot(L.zeros(3, 1), L.zeros(4)),
        lambda L: L.dot(L.zeros(2), L.zeros(2, dtype=L.float64)),
        lambda L: L.mv(L.zeros(3, 4), L.zeros(3)),
        lambda L: L.mv(L.zeros(2, 3), L.zeros(3, 1)),
        lambda L: L.mv(L.zeros(2, 2), L.zeros(2, dtype=L.float64)),
        lambda L: L.outer(L.zeros(2, 2), L.zeros(3)),
        lambda L: L.einsum("ij,jk", L.zeros(2, 3), L.zeros(4, 5)),
        lambda L: L.einsum("ij,jk->ik", L.zeros(2, 3)),
        lambda L: L.einsum("ij", L.zeros(2, 3, 4)),
        lambda L: L.einsum("ij,jk->ik", L.zeros(2, 3), L.zeros(3, 5, dtype=L.float64)),
    ]
    for case in cases:
        assert_same_error(partial(case, ember), partial(case, torch))


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.lists(st.integers(1, 3), max_size=2), st.booleans(), st.booleans())
def test_hypothesis_batched_matmul(n, k, m, batch, vec_a, vec_b):
    sa = (k,) if vec_a else tuple(batch) + (n, k)
    sb = (k,) if vec_b else (k, m)
    check_op(*both(lambda L, a, b: a @ b), arr(*sa).astype(np.float64),
             arr(*sb).astype(np.float64), layouts_=("contiguous", "transposed"))
