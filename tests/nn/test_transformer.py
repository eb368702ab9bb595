"""Transformer encoder/decoder layers, stacks and nn.Transformer against PyTorch."""

import warnings

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same, assert_same_error, rng

from ._compare import copy_params

torch = pytest.importorskip("torch")
R = rng(31)


def pair(name, *args, **kwargs):
    """The same module built in both libraries, torch's (perturbed) weights copied over.

    Arguments that are callables of the library (``lambda lib: ...``) are built per library.
    """
    def per_lib(x, lib):
        return x(lib) if getattr(x, "__module__", None) == __name__ else x

    def build(lib):
        a = [per_lib(x, lib) for x in args]
        kw = {k: per_lib(v, lib) for k, v in kwargs.items()}
        return getattr(lib.nn, name)(*a, **kw)

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, e = build(torch), build(ember)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    with torch.no_grad():
        for p in t.parameters():  # non-trivial norm weights and biases
            p.add_(torch.randn(p.shape) * 0.1)
    copy_params(t, e)
    return e, t


def tensors(lib, arrays, requires_grad):
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
        elif a.dtype == bool:
            out.append(lib.from_numpy(a))
        else:
            out.append(lib.tensor(a, requires_grad=requires_grad))
    return out


def compare(e, t, inputs, masks=None, dtype=np.float64, grad=True, **flags):
    """Forward both modules on the same data; compare outputs and all gradients."""
    masks = masks or {}
    e.to(getattr(ember, np.dtype(dtype).name))
    t.to(getattr(torch, np.dtype(dtype).name))
    arrays = [a.astype(dtype) for a in inputs]
    margs = {n: (m if m.dtype == bool else m.astype(dtype)) for n, m in masks.items()}
    ein, tin = tensors(ember, arrays, grad), tensors(torch, arrays, grad)
    eo = e(*ein, **{n: ember.from_numpy(m) for n, m in margs.items()}, **flags)
    to = t(*tin, **{n: torch.from_numpy(m) for n, m in margs.items()}, **flags)
    tol = {"atol": 2e-5, "rtol": 1e-4} if dtype == np.float32 else {"atol": 1e-9, "rtol": 1e-7}
    assert_same(eo, to, **tol)
    if not grad:
        return
    g = R.standard_normal(tuple(to.shape)).astype(dtype)
    eo.backward(ember.from_numpy(g))
    to.backward(torch.from_numpy(g))
    for i, (a, b) in enumerate(zip(ein, tin)):
        assert_same(a.grad, b.grad, what=f"grad input {i}", **tol)
    eparams = dict(e.named_parameters())
    for name, p in t.named_parameters():
        assert_same(eparams[name].grad, p.grad, what=name, **tol)


def padding(batch, length, pad_last=2):
    kpm = np.zeros((batch, length), dtype=bool)
    kpm[-1, length - pad_last:] = True
    return kpm


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer(batch_first, norm_first, activation):
    e, t = pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, activation=activation,
                batch_first=batch_first, norm_first=norm_first)
    x = R.standard_normal((3, 5, 8))
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    compare(e, t, [x], {"src_mask": causal}, is_causal=True)
    compare(e, t, [x], {"src_key_padding_mask": padding(3, 5) if batch_first
                        else padding(5, 3)})
    compare(e, t, [x], dtype=np.float32)


def test_encoder_layer_options():
    e, t = pair("TransformerEncoderLayer", 8, 4, 12, dropout=0.0, bias=False,
                layer_norm_eps=1e-3, activation=lambda lib: lib.nn.functional.gelu)
    assert e.activation_relu_or_gelu == t.activation_relu_or_gelu == 2
    compare(e, t, [R.standard_normal((5, 8))], {"src_mask": R.random((5, 5)) > 0.8})
    e, t = pair("TransformerEncoderLayer", 8, 2, 12, dropout=0.0,
                activation=lambda lib: lib.nn.GELU())
    assert "(activation): GELU(approximate='none')" in repr(e)


def test_activation_errors_and_codes():
    assert_same_error(lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh"),
                      lambda: torch.nn.TransformerEncoderLayer(8, 2, activation="tanh"))
    assert nn.TransformerEncoderLayer(8, 2, 4).activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, 4, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(8, 2, 4, activation=nn.ReLU()).activation_relu_or_gelu == 1


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer(batch_first, norm_first):
    e, t = pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0, batch_first=batch_first,
                norm_first=norm_first)
    tgt, mem = R.standard_normal((4, 3, 8)), R.standard_normal((4, 6, 8))
    if not batch_first:
        tgt, mem = R.standard_normal((3, 4, 8)), R.standard_normal((6, 4, 8))
    masks = {"tgt_mask": np.triu(np.full((3, 3), -np.inf), 1),
             "memory_mask": R.standard_normal((3, 6)),
             "tgt_key_padding_mask": padding(4, 3, 1).astype(float) * -1e9,
             "memory_key_padding_mask": np.where(padding(4, 6), -np.inf, 0.0)}
    compare(e, t, [tgt, mem], masks)
    compare(e, t, [tgt, mem], {"tgt_mask": masks["tgt_mask"]}, tgt_is_causal=True)


def test_encoder_stack_with_norm_and_masks():
    def layer(lib):
        return lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)

    e, t = pair("TransformerEncoder", layer, 2, norm=lambda lib: lib.nn.LayerNorm(8))
    x = R.standard_normal((3, 5, 8))
    compare(e, t, [x], {"mask": np.triu(np.full((5, 5), -np.inf), 1)})
    compare(e, t, [x], {"src_key_padding_mask": padding(3, 5)})
    compare(e, t, [x], {"src_key_padding_mask": padding(3, 5)}, dtype=np.float32)


def test_encoder_layers_are_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert enc.layers[0] is not layer and enc.layers[0] is not enc.layers[1]
    assert np.array_equal(enc.layers[2].linear1.weight.detach().numpy(),
                          layer.linear1.weight.detach().numpy())


@pytest.mark.parametrize("pad_rows", [[[False] * 5, [False] * 3 + [True] * 2],
                                      [[False] * 5, [False, True, False, True, False]]])
@pytest.mark.parametrize("mask_check", [True, False])
@pytest.mark.parametrize("no_grad", [True, False])
def test_encoder_eval_padding_matches_torch(pad_rows, mask_check, no_grad):
    def layer(lib):
        return lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)

    e, t = pair("TransformerEncoder", layer, 2, norm=lambda lib: lib.nn.LayerNorm(8),
                mask_check=mask_check)
    e.eval()
    t.eval()
    x = R.standard_normal((2, 5, 8)).astype(np.float32)
    kpm = np.array(pad_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's prototype nested-tensor notice
        with torch.set_grad_enabled(not no_grad):
            to = t(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(kpm))
    with ember.set_grad_enabled(not no_grad):
        eo = e(ember.from_numpy(x), src_key_padding_mask=ember.from_numpy(kpm))
    assert_same(eo, to, atol=2e-5)


def test_nested_tensor_warnings_match_torch():
    configs = [dict(batch_first=False), dict(batch_first=True, norm_first=True),
               dict(batch_first=True, bias=False), dict(batch_first=True, nhead=1),
               dict(batch_first=True, activation=ember.tanh), dict(batch_first=True)]
    for cfg in configs:
        nhead = cfg.pop("nhead", 2)
        tcfg = dict(cfg, activation=torch.tanh) if "activation" in cfg else cfg
        messages = []
        for lib, kw in ((torch, tcfg), (ember, cfg)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, nhead, 16, **kw),
                                                1)
            messages.append([str(w.message) for w in caught])
            assert enc.use_nested_tensor == (not messages[-1])
        assert messages[0] == messages[1], cfg


def test_decoder_stack():
    def layer(lib):
        return lib.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)

    e, t = pair("TransformerDecoder", layer, 2, norm=lambda lib: lib.nn.LayerNorm(8))
    tgt, mem = R.standard_normal((4, 2, 8)), R.standard_normal((5, 2, 8))
    compare(e, t, [tgt, mem], {"tgt_mask": np.triu(np.full((4, 4), -np.inf), 1)})


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer(batch_first):
    e, t = pair("Transformer", 8, 2, 2, 1, 16, dropout=0.0, batch_first=batch_first)
    src, tgt = R.standard_normal((3, 5, 8)), R.standard_normal((3, 4, 8))
    if not batch_first:
        src, tgt = R.standard_normal((5, 3, 8)), R.standard_normal((4, 3, 8))
    tgt_mask = np.triu(np.full((4, 4), -np.inf), 1)
    compare(e, t, [src, tgt], {"tgt_mask": tgt_mask,
                               "src_key_padding_mask": padding(3, 5),
                               "memory_key_padding_mask": padding(3, 5)})
    e.eval()
    t.eval()
    compare(e, t, [src, tgt], {"src_key_padding_mask": padding(3, 5)}, dtype=np.float32,
            grad=False)


def test_transformer_init_and_masks():
    e = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
    w = e.encoder.layers[0].linear1.weight
    assert float(w.abs().max()) <= (6 / (8 + 16)) ** 0.5
    for dtype in (None, "float64"):
        em = nn.Transformer.generate_square_subsequent_mask(
            4, dtype=None if dtype is None else getattr(ember, dtype))
        tm = torch.nn.Transformer.generate_square_subsequent_mask(
            4, dtype=None if dtype is None else getattr(torch, dtype))
        assert_same(em, tm)


@pytest.mark.parametrize("case", range(2))
def test_transformer_errors(case):
    src = np.zeros((5, 3, 8), np.float32)
    tgt = np.zeros((4, 2, 8), np.float32) if case == 0 else np.zeros((4, 3, 6), np.float32)
    e, t = pair("Transformer", 8, 2, 1, 1, 16)
    assert_same_error(lambda: e(ember.from_numpy(src), ember.from_numpy(tgt)),
                      lambda: t(torch.from_numpy(src), torch.from_numpy(tgt)))
