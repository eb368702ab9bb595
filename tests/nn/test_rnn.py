"""RNN, LSTM, GRU and the cells against torch with the same weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import assert_same_error, gradcheck_op, rng

import ember

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")
torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as torch_rnn  # noqa: E402

from ember.nn.utils import rnn as ember_rnn  # noqa: E402

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def make_pair(name: str, *args, dtype: str = "float32", **kwargs):
    """A torch module and an ember module holding the same weights."""
    t = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    e = getattr(ember.nn, name)(*args, **kwargs, dtype=getattr(ember, dtype))
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return e, t


def leaves(arrays, requires_grad=True):
    """The same arrays as ember and torch leaf tensors."""
    e = [ember.tensor(a, requires_grad=requires_grad) for a in arrays]
    t = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return e, t


def flat(out):
    """An output, its hidden state and cell state (or packed data) as a flat list."""
    items = []
    for o in out if isinstance(out, tuple) else (out,):
        if isinstance(o, (ember_rnn.PackedSequence, torch_rnn.PackedSequence)):
            items.append(o.data)
        elif isinstance(o, tuple):
            items.extend(flat(o))
        else:
            items.append(o)
    return items


def compare(e_out, t_out, e_leaves, t_leaves, e_mod, t_mod, dtype, seed=1):
    """Values of every output, then gradients of inputs and parameters after backward of
    the same random upstream gradient."""
    tol = TOL[dtype]
    e_items, t_items = flat(e_out), flat(t_out)
    assert len(e_items) == len(t_items)
    gen = rng(seed)
    e_loss, t_loss = 0, 0
    for e, t in zip(e_items, t_items):
        assert tuple(e.shape) == tuple(t.shape)
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)
        g = gen.standard_normal(tuple(t.shape)).astype(dtype)
        e_loss = e_loss + (e * ember.tensor(g)).sum()
        t_loss = t_loss + (t * torch.tensor(g)).sum()
    e_loss.backward()
    t_loss.backward()
    for e, t in zip(e_leaves, t_leaves):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), **tol)
    t_params = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), **tol,
                                   err_msg=name)


LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("LSTM", {})]
OPTIONS = [({}, False), ({"num_layers": 2}, True), ({"bidirectional": True}, True),
           ({"batch_first": True}, False),
           ({"num_layers": 2, "bidirectional": True, "batch_first": True, "bias": False}, True)]


@pytest.mark.parametrize("name,extra", LAYERS)
@pytest.mark.parametrize("options,with_hx", OPTIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_matches_torch(name, extra, options, with_hx, dtype):
    e_mod, t_mod = make_pair(name, 3, 4, **extra, **options, dtype=dtype)
    gen = rng(0)
    shape = (2, 5, 3) if options.get("batch_first") else (5, 2, 3)
    arrays = [gen.standard_normal(shape).astype(dtype)]
    layers = options.get("num_layers", 1) * (1 + options.get("bidirectional", False))
    if with_hx:
        arrays += [gen.standard_normal((layers, 2, 4)).astype(dtype)
                   for _ in range(2 if name == "LSTM" else 1)]
    e_in, t_in = leaves(arrays)
    e_hx = t_hx = None
    if with_hx:
        e_hx, t_hx = (e_in[1], t_in[1]) if name != "LSTM" else (tuple(e_in[1:]),
                                                                 tuple(t_in[1:]))
    compare(e_mod(e_in[0], e_hx), t_mod(t_in[0], t_hx), e_in, t_in, e_mod, t_mod, dtype)


@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True},
                                     {"batch_first": True, "bias": False}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_projected_lstm_matches_torch(options, dtype):
    e_mod, t_mod = make_pair("LSTM", 3, 5, proj_size=2, **options, dtype=dtype)
    gen = rng(2)
    layers = options.get("num_layers", 1) * (1 + options.get("bidirectional", False))
    shape = (3, 4, 3) if options.get("batch_first") else (4, 3, 3)
    arrays = [gen.standard_normal(shape).astype(dtype),
              gen.standard_normal((layers, 3, 2)).astype(dtype),
              gen.standard_normal((layers, 3, 5)).astype(dtype)]
    e_in, t_in = leaves(arrays)
    compare(e_mod(e_in[0], tuple(e_in[1:])), t_mod(t_in[0], tuple(t_in[1:])), e_in, t_in,
            e_mod, t_mod, dtype)


@pytest.mark.parametrize("name,extra", LAYERS + [("LSTM", {"proj_size": 2})])
@pytest.mark.parametrize("with_hx", [False, True])
def test_unbatched_input(name, extra, with_hx):
    e_mod, t_mod = make_pair(name, 3, 4, num_layers=2, bidirectional=True, **extra)
    gen = rng(3)
    arrays = [gen.standard_normal((5, 3)).astype("float32")]
    if with_hx:
        arrays.append(gen.standard_normal((4, extra.get("proj_size", 4))).astype("float32"))
        if name == "LSTM":
            arrays.append(gen.standard_normal((4, 4)).astype("float32"))
    e_in, t_in = leaves(arrays)
    e_hx = t_hx = None
    if with_hx:
        e_hx, t_hx = (e_in[1], t_in[1]) if name != "LSTM" else (tuple(e_in[1:]),
                                                                 tuple(t_in[1:]))
    compare(e_mod(e_in[0], e_hx), t_mod(t_in[0], t_hx), e_in, t_in, e_mod, t_mod, "float32")


@pytest.mark.parametrize("name,extra", LAYERS + [("LSTM", {"proj_size": 2})])
@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True},
                                     {"bidirectional": True, "batch_first": True}])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_input(name, extra, options, enforce_sorted):
    dtype = "float64"
    e_mod, t_mod = make_pair(name, 3, 4, **extra, **options, dtype=dtype)
    batch_first = options.get("batch_first", False)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    gen = rng(4)
    padded = gen.standard_normal((4, 5, 3) if batch_first else (5, 4, 3))
    layers = options.get("num_layers", 1) * (1 + options.get("bidirectional", False))
    hx = [gen.standard_normal((layers, 4, extra.get("proj_size", 4)))]
    if name == "LSTM":
        hx.append(gen.standard_normal((layers, 4, 4)))
    e_in, t_in = leaves([padded, *hx])
    e_packed = ember_rnn.pack_padded_sequence(e_in[0], lengths, batch_first, enforce_sorted)
    t_packed = torch_rnn.pack_padded_sequence(t_in[0], lengths, batch_first, enforce_sorted)
    e_hx, t_hx = (e_in[1], t_in[1]) if name != "LSTM" else (tuple(e_in[1:]), tuple(t_in[1:]))
    e_out, t_out = e_mod(e_packed, e_hx), t_mod(t_packed, t_hx)
    assert isinstance(e_out[0], ember_rnn.PackedSequence)
    assert e_out[0].batch_sizes.tolist() == t_out[0].batch_sizes.tolist()
    compare(e_out, t_out, e_in, t_in, e_mod, t_mod, dtype)


def test_packed_input_without_hx():
    e_mod, t_mod = make_pair("GRU", 2, 3, bidirectional=True, dtype="float64")
    seqs = [rng(5).standard_normal((n, 2)) for n in (2, 4, 3)]
    e_in, t_in = leaves(seqs)
    e_out = e_mod(ember_rnn.pack_sequence(e_in, enforce_sorted=False))
    t_out = t_mod(torch_rnn.pack_sequence(t_in, enforce_sorted=False))
    compare(e_out, t_out, e_in, t_in, e_mod, t_mod, "float64")


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_dropout_between_layers(name):
    # p=1 zeroes the second layer's input, which makes training mode deterministic.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_mod, t_mod = make_pair(name, 3, 4, num_layers=2, dropout=1.0)
    x = rng(6).standard_normal((4, 2, 3)).astype("float32")
    for train in (True, False):
        e_mod.train(train)
        t_mod.train(train)
        e_in, t_in = leaves([x])
        e_out, t_out = e_mod(e_in[0]), t_mod(t_in[0])
        for e, t in zip(flat(e_out), flat(t_out)):
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize("name,extra", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                        ("GRUCell", {}), ("LSTMCell", {}),
                                        ("GRUCell", {"bias": False})])
@pytest.mark.parametrize("batched,with_hx,dtype", [(True, True, "float32"),
                                                   (True, False, "float64"),
                                                   (False, True, "float64"),
                                                   (False, False, "float32")])
def test_cell_matches_torch(name, extra, batched, with_hx, dtype):
    e_mod, t_mod = make_pair(name, 3, 4, **extra, dtype=dtype)
    gen = rng(7)
    lead = (2,) if batched else ()
    arrays = [gen.standard_normal((*lead, 3)).astype(dtype)]
    if with_hx:
        arrays += [gen.standard_normal((*lead, 4)).astype(dtype)
                   for _ in range(2 if name == "LSTMCell" else 1)]
    e_in, t_in = leaves(arrays)
    e_hx = t_hx = None
    if with_hx:
        e_hx, t_hx = (e_in[1], t_in[1]) if name != "LSTMCell" else (tuple(e_in[1:]),
                                                                     tuple(t_in[1:]))
    compare(e_mod(e_in[0], e_hx), t_mod(t_in[0], t_hx), e_in, t_in, e_mod, t_mod, dtype)


@pytest.mark.parametrize("args,kwargs", [
    ((3, 4), {}), ((3, 4, 2), {"bidirectional": True}), ((3, 5), {"proj_size": 2}),
    ((3, 4), {"bias": False, "num_layers": 3, "proj_size": 1, "bidirectional": True})])
def test_parameters_match_torch(args, kwargs):
    names = ["LSTM"] + (["RNN", "GRU"] if "proj_size" not in kwargs else [])
    for name in names:
        t = getattr(torch.nn, name)(*args, **kwargs)
        e = getattr(ember.nn, name)(*args, **kwargs)
        assert list(e.state_dict()) == list(t.state_dict())
        assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape)
                                                             for p in t.parameters()]
        assert e._flat_weights_names == t._flat_weights_names
        assert [[tuple(p.shape) for p in w] for w in e.all_weights] == \
            [[tuple(p.shape) for p in w] for w in t.all_weights]
        t.load_state_dict({k: torch.tensor(v.detach().numpy())
                           for k, v in e.state_dict().items()})
        e.flatten_parameters()


def test_initialisation_bounds():
    bound = 1 / np.sqrt(16)
    for module in (ember.nn.LSTM(8, 16, 2, proj_size=4), ember.nn.GRUCell(8, 16)):
        values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
        assert values.min() >= -bound and values.max() <= bound
        assert values.min() < -0.9 * bound and values.max() > 0.9 * bound
        assert abs(values.mean()) < 0.05


@pytest.mark.parametrize("text", [
    "RNN(3, 4)", "RNN(3, 4, num_layers=2, nonlinearity='relu', bias=False)",
    "LSTM(10, 20, num_layers=2, batch_first=True)",
    "LSTM(10, 20, 2, bias=False, dropout=0.5, bidirectional=True, proj_size=5)",
    "GRU(3, 4, batch_first=True, dropout=0.25, num_layers=3)",
    "RNNCell(3, 4)", "RNNCell(3, 4, bias=False, nonlinearity='relu')", "LSTMCell(3, 4)",
    "GRUCell(3, 4, bias=False)"])
def test_repr_matches_torch(text):
    assert repr(eval("ember.nn." + text)) == repr(eval("torch.nn." + text))


def test_dropout_warning_and_option_errors():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater "
                                             "than 1, but got dropout=0.3 and num_layers=1"):
            lib.nn.GRU(3, 4, dropout=0.3)
    cases = [((3, 4), {"dropout": 1.5}), ((3, 4), {"dropout": True}),
             ((3, 4), {"proj_size": -1}), ((3, 4), {"proj_size": 4}), ((3, 0), {}),
             ((0, 4), {}), ((3, 4), {"num_layers": 0}), ((3, 4.0), {}),
             ((3, 4), {"bias": 1}), ((3, 4), {"batch_first": None})]
    for args, kwargs in cases:
        assert_same_error(lambda a=args, k=kwargs: ember.nn.LSTM(*a, **k),
                          lambda a=args, k=kwargs: torch.nn.LSTM(*a, **k))
    for name in ("RNN", "GRU"):
        assert_same_error(lambda n=name: getattr(ember.nn, n)(3, 4, proj_size=2),
                          lambda n=name: getattr(torch.nn, n)(3, 4, proj_size=2))
    assert_same_error(lambda: ember.nn.RNN(3, 4, nonlinearity="sigmoid"),
                      lambda: torch.nn.RNN(3, 4, nonlinearity="sigmoid"))


def _call_both(name, shape, hx_shapes, dtype="float32", **kwargs):
    e_mod, t_mod = make_pair(name, 3, 4, 2, **kwargs)
    x = np.zeros(shape, dtype=dtype)
    hx = [np.zeros(s, dtype="float32") for s in hx_shapes]
    e_hx = t_hx = None
    if hx:
        e_hx = tuple(ember.tensor(h) for h in hx)
        t_hx = tuple(torch.tensor(h) for h in hx)
        if len(hx) == 1:
            e_hx, t_hx = e_hx[0], t_hx[0]
    assert_same_error(lambda: e_mod(ember.tensor(x), e_hx), lambda: t_mod(torch.tensor(x), t_hx))


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_forward_errors_match_torch(name):
    n = 2 if name == "LSTM" else 1
    _call_both(name, (5, 2, 6), [])
    _call_both(name, (5, 2, 3, 1), [])
    _call_both(name, (5,), [])
    _call_both(name, (5, 2, 3), [], dtype="float64")
    _call_both(name, (0, 2, 3), [])
    _call_both(name, (5, 2, 3), [(2, 3, 4)] * n)
    _call_both(name, (5, 2, 3), [(2, 4)] * n)
    _call_both(name, (5, 3), [(2, 2, 4)] * n)
    _call_both(name, (5, 6), [(2, 4)] * n)
    _call_both(name, (2, 5, 3), [(2, 5, 4)] * n, batch_first=True)
    _call_both(name, (5, 2, 3), [(2, 2, 5)] * n)
    if name == "LSTM":
        _call_both(name, (5, 2, 3), [(2, 2, 4), (2, 2, 5)])
        _call_both(name, (5, 2, 3), [(2, 4), (2, 2, 4)])


def test_packed_forward_errors_match_torch():
    e_mod, t_mod = make_pair("GRU", 3, 4)
    e_packed = ember_rnn.pack_sequence([ember.zeros(3, 5), ember.zeros(2, 5)])
    t_packed = torch_rnn.pack_sequence([torch.zeros(3, 5), torch.zeros(2, 5)])
    assert_same_error(lambda: e_mod(e_packed), lambda: t_mod(t_packed))
    e_packed = ember_rnn.pack_sequence([ember.zeros(3, 3), ember.zeros(2, 3)])
    t_packed = torch_rnn.pack_sequence([torch.zeros(3, 3), torch.zeros(2, 3)])
    assert_same_error(lambda: e_mod(e_packed, ember.zeros(1, 3, 4)),
                      lambda: t_mod(t_packed, torch.zeros(1, 3, 4)))


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_errors_match_torch(name):
    e_mod, t_mod = make_pair(name, 3, 4)
    lstm = name == "LSTMCell"

    def both(x_shape, *hx_shapes):
        def run(lib, mod):
            hx = tuple(lib.zeros(*s) for s in hx_shapes) or None
            if hx is not None and not lstm:
                hx = hx[0]
            return mod(lib.zeros(*x_shape), hx)
        assert_same_error(lambda: run(ember, e_mod), lambda: run(torch, t_mod))

    pair = 2 if lstm else 1
    both((2, 3, 3))
    both((2, 5))
    both((2, 3), *[(3, 4)] * pair)
    both((2, 3), *[(2, 5)] * pair)
    both((2, 3), *[(2, 4, 1)] * pair)
    both((3,), *[(2, 4)] * pair)
    if lstm:
        both((2, 3), (2, 5), (3, 4))
        both((2, 3), (2, 4), (3, 4))
    assert_same_error(lambda: ember.nn.RNNCell(3, 4, nonlinearity="sig")(ember.zeros(2, 3)),
                      lambda: torch.nn.RNNCell(3, 4, nonlinearity="sig")(torch.zeros(2, 3)))


def _gradcheck_layer(name, **kwargs):
    module = getattr(ember.nn, name)(2, 3, dtype=ember.float64, **kwargs)
    layers = kwargs.get("num_layers", 1) * (1 + kwargs.get("bidirectional", False))
    gen = rng(8)
    w_hh = module.weight_hh_l0.detach().numpy().copy()

    def run(x, h0, weight_hh):
        # The recurrent weight is swapped in so its gradient is checked too.
        module._parameters["weight_hh_l0"] = weight_hh
        hx = h0 if name != "LSTM" else (h0, h0 * 0.5)
        out, hidden = module(x, hx)
        return out.sum() + (hidden if name != "LSTM" else hidden[1]).pow(2).sum()

    gradcheck_op(run, gen.standard_normal((3, 2, 2)), gen.standard_normal((layers, 2, 3)),
                 w_hh)


def test_gradcheck_lstm_and_gru():
    _gradcheck_layer("LSTM", num_layers=2, bidirectional=True)
    _gradcheck_layer("GRU", bidirectional=True)
    _gradcheck_layer("RNN", nonlinearity="relu")
