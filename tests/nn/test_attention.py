"""scaled_dot_product_attention, multi_head_attention_forward and MultiheadAttention
against PyTorch."""

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

from ._compare import copy_params

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(21)


def sdpa_pair(**kwargs):
    return (lambda q, k, v, *m: F.scaled_dot_product_attention(q, k, v, *m, **kwargs),
            lambda q, k, v, *m: TF.scaled_dot_product_attention(q, k, v, *m, **kwargs))


def qkv(shape_q=(2, 3, 4, 6), shape_k=(2, 3, 5, 6), ev=5, dtype=np.float64):
    q = R.standard_normal(shape_q).astype(dtype)
    k = R.standard_normal(shape_k).astype(dtype)
    v = R.standard_normal(shape_k[:-1] + (ev,)).astype(dtype)
    return q, k, v


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.3}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sdpa_matches_torch(kwargs, dtype):
    e_fn, t_fn = sdpa_pair(**kwargs)
    check_op(e_fn, t_fn, *qkv(dtype=dtype), layouts_=("contiguous", "transposed"),
             check_grad_fn=False)


@pytest.mark.parametrize("mask_shape", [(4, 5), (3, 4, 5), (2, 1, 4, 5), (1, 5)])
def test_sdpa_masks_broadcast(mask_shape):
    bool_mask = R.random(mask_shape) > 0.3
    bool_mask[..., 0] = True  # every query keeps a key
    float_mask = R.standard_normal(mask_shape)
    e_fn, t_fn = sdpa_pair()
    check_op(e_fn, t_fn, *qkv(), bool_mask, layouts_=("contiguous",), check_grad_fn=False)
    check_op(e_fn, t_fn, *qkv(), float_mask, layouts_=("contiguous",), check_grad_fn=False,
             requires_grad=(True, True, True, False))


def test_sdpa_fully_masked_rows_give_zeros():
    mask = np.ones((4, 5), dtype=bool)
    mask[1:3] = False
    e_fn, t_fn = sdpa_pair()
    check_op(e_fn, t_fn, *qkv(), mask, layouts_=("contiguous",), check_grad_fn=False)
    check_op(e_fn, t_fn, *qkv(), np.where(mask, 0.0, -np.inf), layouts_=("contiguous",),
             check_grad_fn=False, requires_grad=(True, True, True, False))


@pytest.mark.parametrize("shapes", [((4, 6), (5, 6)), ((3, 4, 6), (3, 5, 6)),
                                    ((2, 2, 3, 4, 6), (2, 1, 3, 5, 6))])
def test_sdpa_ranks(shapes):
    e_fn, t_fn = sdpa_pair(is_causal=True)
    check_op(e_fn, t_fn, *qkv(*shapes), layouts_=("contiguous",), check_grad_fn=False)


def test_sdpa_grouped_query_attention():
    e_fn, t_fn = sdpa_pair(enable_gqa=True)
    q, k, v = qkv((2, 6, 4, 6), (2, 2, 5, 6))
    check_op(e_fn, t_fn, q, k, v, layouts_=("contiguous",), check_grad_fn=False)
    check_op(e_fn, t_fn, q, k, v[:, :1], layouts_=("contiguous",), check_grad_fn=False)
    check_op(e_fn, t_fn, q, k[:, :1], v[:, :1].repeat(3, 1), layouts_=("contiguous",),
             check_grad_fn=False)


def test_sdpa_gradcheck():
    q, k, v = qkv((2, 3, 4), (2, 5, 4), 3)
    mask = R.random((3, 5)) > 0.4
    mask[:, 0] = True
    gradcheck_op(lambda a, b, c: F.scaled_dot_product_attention(a, b, c), q, k, v)
    gradcheck_op(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                 q, k, v)
    gradcheck_op(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, m, scale=0.7),
                 q, k, v, mask)
    gradcheck_op(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, m),
                 q, k, v, R.standard_normal((3, 5)))


def test_sdpa_dropout_zeroes_and_rescales():
    ember.manual_seed(0)
    q, k, v = (ember.randn(2, 4, 3) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert float(out.abs().sum()) == 0.0
    same = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
    assert np.allclose(same.numpy(), F.scaled_dot_product_attention(q, k, v).numpy())


@pytest.mark.parametrize("case", range(9))
def test_sdpa_errors(case):
    q, k, v = qkv(dtype=np.float32)
    args = [q, k, v]
    kwargs = {}
    if case == 0:
        args[1] = k.astype(np.float64)
    elif case == 1:
        args[0] = q[0, 0, 0]
    elif case == 2:
        kwargs["attn_mask"] = np.zeros((4, 5), dtype=np.int64)
    elif case == 3:
        kwargs["attn_mask"] = np.zeros((4, 5), dtype=np.float64)
    elif case == 4:
        kwargs.update(attn_mask=np.zeros((4, 5), dtype=np.float32), is_causal=True)
    elif case == 5:
        kwargs["dropout_p"] = 1.5
    elif case == 6:
        args[0] = np.concatenate([q, q], axis=1)[:, :5]
        kwargs["enable_gqa"] = True
    elif case == 7:
        kwargs["attn_mask"] = np.zeros(5, dtype=bool)
    elif case == 8:
        kwargs["attn_mask"] = np.zeros((7, 2, 3, 4, 5), dtype=bool)

    def call(lib, fn):
        conv = [lib.from_numpy(np.ascontiguousarray(a)) for a in args]
        kw = {n: lib.from_numpy(a) if isinstance(a, np.ndarray) else a
              for n, a in kwargs.items()}
        return fn(*conv, **kw)

    assert_same_error(lambda: call(ember, F.scaled_dot_product_attention),
                      lambda: call(torch, TF.scaled_dot_product_attention))


# -- MultiheadAttention ------------------------------------------------------------------
def mha_pair(*args, **kwargs):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(*args, **kwargs)
    e = nn.MultiheadAttention(*args, **kwargs)
    assert list(e.state_dict()) == list(t.state_dict())
    for p in t.parameters():  # non-zero biases exercise their gradients
        with torch.no_grad():
            p.add_(torch.randn(p.shape, dtype=p.dtype) * 0.1)
    copy_params(t, e)
    return e, t


def compare_mha(e, t, inputs, dtype=np.float64, **fwd):
    e.to(getattr(ember, np.dtype(dtype).name))
    t.to(getattr(torch, np.dtype(dtype).name))
    arrays = [a.astype(dtype) for a in inputs]
    ein = [ember.tensor(a, requires_grad=True) for a in arrays]
    tin = [torch.tensor(a, requires_grad=True) for a in arrays]
    if len(set(map(id, inputs))) == 1:  # self-attention: one tensor for all three
        ein, tin = [ein[0]] * 3, [tin[0]] * 3
    emask = {n: ember.from_numpy(m) for n, m in fwd.items() if isinstance(m, np.ndarray)}
    tmask = {n: torch.from_numpy(m) for n, m in fwd.items() if isinstance(m, np.ndarray)}
    flags = {n: m for n, m in fwd.items() if not isinstance(m, np.ndarray)}
    eo, ew = e(*ein, **emask, **flags)
    to, tw = t(*tin, **tmask, **flags)
    tol = {"atol": 1e-5, "rtol": 1e-4} if dtype == np.float32 else {"atol": 1e-9, "rtol": 1e-7}
    assert_same(eo, to, **tol)
    assert_same(ew, tw, **tol)
    g = R.standard_normal(tuple(to.shape)).astype(dtype)
    eo.backward(ember.from_numpy(g))
    to.backward(torch.from_numpy(g))
    for i, (a, b) in enumerate(zip(ein, tin)):
        assert_same(a.grad, b.grad, what=f"grad input {i}", **tol)
    for name, p in t.named_parameters():
        assert_same(dict(e.named_parameters())[name].grad, p.grad, what=name, **tol)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_self_attention(batch_first, dtype, need_weights, average):
    e, t = mha_pair(8, 2, batch_first=batch_first)
    assert repr(e) == repr(t)
    x = R.standard_normal((3, 5, 8))
    compare_mha(e, t, [x, x, x], dtype, need_weights=need_weights,
                average_attn_weights=average)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("options", [{"kdim": 3, "vdim": 5}, {"add_bias_kv": True},
                                     {"add_zero_attn": True}, {"bias": False},
                                     {"add_bias_kv": True, "add_zero_attn": True,
                                      "kdim": 4, "vdim": 4}])
def test_mha_options_and_masks(options, need_weights):
    e, t = mha_pair(8, 4, **options)
    assert repr(e) == repr(t)
    q = R.standard_normal((4, 2, 8))
    k = R.standard_normal((6, 2, options.get("kdim", 8)))
    v = R.standard_normal((6, 2, options.get("vdim", 8)))
    kpm = np.zeros((2, 6), dtype=bool)
    kpm[1, 4:] = True
    attn = R.random((4, 6)) > 0.7
    attn[:, 0] = False
    compare_mha(e, t, [q, k, v], need_weights=need_weights, key_padding_mask=kpm,
                attn_mask=attn)
    float_mask = R.standard_normal((2 * 4, 4, 6))
    compare_mha(e, t, [q, k, v], need_weights=need_weights, attn_mask=float_mask)


def test_mha_unbatched_and_causal():
    e, t = mha_pair(6, 3, batch_first=True)
    x = R.standard_normal((5, 6))
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    compare_mha(e, t, [x, x, x], attn_mask=causal, is_causal=True, need_weights=False)
    compare_mha(e, t, [x, x, x], attn_mask=causal, is_causal=True)
    compare_mha(e, t, [x, x, x], key_padding_mask=np.array([0.0] * 4 + [-np.inf]),
                attn_mask=R.standard_normal((3, 5, 5)))


def test_mha_eval_no_grad_matches_torch():
    e, t = mha_pair(8, 2, batch_first=True)
    e.eval()
    t.eval()
    x = R.standard_normal((2, 5, 8)).astype(np.float32)
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
    with torch.no_grad():
        to, tw = t(*[torch.from_numpy(x)] * 3, key_padding_mask=torch.from_numpy(kpm))
    with ember.no_grad():
        eo, ew = e(*[ember.from_numpy(x)] * 3, key_padding_mask=ember.from_numpy(kpm))
    assert_same(eo, to)
    assert_same(ew, tw)


def test_mha_init_and_structure():
    e = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    bound = (6 / (16 + 48)) ** 0.5
    assert float(e.in_proj_weight.abs().max()) <= bound
    assert float(e.in_proj_bias.abs().max()) == 0.0 == float(e.out_proj.bias.abs().max())
    assert tuple(e.bias_k.shape) == (1, 1, 16)
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    t = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    assert [(k, tuple(v.shape)) for k, v in sep.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert sep.in_proj_weight is None and not sep._qkv_same_embed_dim


@pytest.mark.parametrize("args", [(7, 2), (0, 2), (8, 0)])
def test_mha_constructor_errors(args):
    assert_same_error(lambda: nn.MultiheadAttention(*args),
                      lambda: torch.nn.MultiheadAttention(*args))


@pytest.mark.parametrize("case", range(7))
def test_mha_forward_errors(case):
    q, kpm, attn = np.zeros((4, 2, 8), np.float32), None, None
    k = v = q
    if case == 0:
        q = np.zeros((1, 4, 2, 8), np.float32)
    elif case == 1:
        k = np.zeros((4, 8), np.float32)
    elif case == 2:
        kpm = np.zeros(4, bool)
    elif case == 3:
        attn = np.zeros((3, 4), bool)
    elif case == 4:
        attn = np.zeros((3, 4, 4), bool)
    elif case == 5:
        kpm = np.zeros((2, 4), np.int64)
    elif case == 6:
        q = np.zeros((4, 2, 6), np.float32)

    def call(lib, mod):
        conv = [None if a is None else lib.from_numpy(a) for a in (q, k, v, kpm, attn)]
        return mod(*conv[:3], key_padding_mask=conv[3], attn_mask=conv[4])

    e, t = mha_pair(8, 2)
    assert_same_error(lambda: call(ember, e), lambda: call(torch, t))


def test_mha_mismatched_mask_types_warn():
    e = nn.MultiheadAttention(4, 2)
    x = ember.zeros(3, 1, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e(x, x, x, key_padding_mask=ember.zeros(1, 3, dtype=ember.bool),
          attn_mask=ember.zeros(3, 3))
    assert any("Support for mismatched key_padding_mask and attn_mask is deprecated" in
               str(w.message) for w in caught)


def test_functional_multi_head_attention_forward():
    e, t = mha_pair(6, 2, kdim=4, vdim=4)
    q, k = R.standard_normal((3, 2, 6)), R.standard_normal((5, 2, 4))

    def run(lib, fn, m):
        a, b = lib.from_numpy(q.astype(np.float32)), lib.from_numpy(k.astype(np.float32))
        return fn(a, b, b, 6, 2, None, m.in_proj_bias, None, None, False, 0.0,
                  m.out_proj.weight, m.out_proj.bias, use_separate_proj_weight=True,
                  q_proj_weight=m.q_proj_weight, k_proj_weight=m.k_proj_weight,
                  v_proj_weight=m.v_proj_weight, average_attn_weights=False)

    assert_same(run(ember, F.multi_head_attention_forward, e),
                run(torch, TF.multi_head_attention_forward, t))
