"""Layers, their functional forms and losses against PyTorch: common mistakes must fail with
torch's error type and message, and edge cases (empty batches, mixed dtypes, integer inputs,
old checkpoints) must behave as torch's do."""

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")

R = rng(11)
X4 = R.standard_normal((2, 3, 7, 6)).astype(np.float32)
X3 = R.standard_normal((2, 3, 9)).astype(np.float32)
P = R.random((4, 3)).astype(np.float32)
Q = R.random((4, 3)).astype(np.float32)


def _t(L, a):
    return L.tensor(a)


def _same_error(case):
    assert_same_error(lambda: case(ember), lambda: case(torch))


def _same_value(case, **kw):
    assert_same(case(ember), case(torch), **kw)


CONV_ERRORS = [
    lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(4, 3, 3)),
    lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(4, 3, 3, 3, 3)),
    lambda L: L.nn.functional.conv1d(L.ones(1, 3, 5), L.ones(4, 3, 3, 3)),
    lambda L: L.nn.functional.conv1d(L.ones(1, 3, 5), L.ones(4, 3)),
    lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(4, 3, 3, 3), dilation=0),
    lambda L: L.nn.functional.conv1d(L.ones(1, 3, 5), L.ones(4, 3, 3), dilation=0),
    lambda L: L.nn.functional.conv_transpose1d(L.ones(1, 4, 5), L.ones(4, 3, 3), dilation=0),
    lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(4, 3, 3, 3), groups=0),
    lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(4, 3, 3, 3), stride=0,
                                     padding=-1),
    lambda L: L.nn.functional.conv1d(L.ones(1, 3, 2), L.ones(4, 3, 3), dilation=2),
    lambda L: L.nn.functional.conv1d(L.ones(3, 2), L.ones(4, 3, 3)),
    lambda L: L.nn.Conv2d(3, 4, 3)(L.ones(1, 3, 5, 5, dtype=L.float64)),
    lambda L: L.nn.Conv2d(3, 4, 3)(L.ones(1, 3, 5, 5, dtype=L.int64)),
    lambda L: L.nn.Conv2d(3, 4, 3, bias=False)(L.ones(1, 3, 5, 5, dtype=L.float64)),
    lambda L: L.nn.Conv2d(3, 4, 3, bias=False).double()(L.ones(1, 3, 5, 5)),
    lambda L: L.nn.Conv2d(3, 4, 3, bias=False).double()(L.ones(2, 3, 5, 5)),
    lambda L: L.nn.ConvTranspose2d(4, 2, 3)(L.ones(1, 4, 5, 5, dtype=L.float64)),
    lambda L: L.nn.Conv2d(3, 8, 3, padding="foo"),
]


@pytest.mark.parametrize("case", CONV_ERRORS)
def test_conv_errors(case):
    _same_error(case)


def test_conv_transpose_bias_of_another_dtype_is_cast():
    _same_value(lambda L: L.nn.functional.conv_transpose2d(
        L.ones(1, 4, 3, 3), L.ones(4, 2, 3, 3), L.ones(2, dtype=L.float64)))


NORM_ERRORS = [
    lambda L: L.nn.BatchNorm2d(3)(L.ones(2, 4, 3, 3)),
    lambda L: L.nn.BatchNorm1d(3).eval()(L.ones(2, 4)),
    lambda L: L.nn.BatchNorm2d(3)(L.ones(2, 3, 4, 4, dtype=L.float64)),
    lambda L: L.nn.functional.batch_norm(L.ones(4, 3), L.zeros(3, dtype=L.float64), L.ones(3)),
    lambda L: L.nn.functional.batch_norm(L.ones(2, 3), L.zeros(3), L.ones(4), L.ones(4)),
    lambda L: L.nn.functional.batch_norm(L.ones(2, 3), L.zeros(3), None),
    lambda L: L.nn.functional.batch_norm(L.ones(2, 3), L.zeros(3), None, training=True),
    lambda L: L.nn.functional.batch_norm(L.ones(3), L.zeros(3), L.ones(3)),
    lambda L: L.nn.GroupNorm(2, 4)(L.ones(4)),
    lambda L: L.nn.GroupNorm(2, 4)(L.ones(2, 6)),
    lambda L: L.nn.GroupNorm(4, 4)(L.ones(1, 4)),
    lambda L: L.nn.functional.group_norm(L.ones(2, 6, 2), 3, None, L.ones(5)),
    lambda L: L.nn.functional.group_norm(L.ones(2, 6, 2), -3),
    lambda L: L.nn.functional.group_norm(L.ones(2, 6, 2), 0),
    lambda L: L.nn.functional.group_norm(L.ones(2, 6, 2, dtype=L.float64), 3, L.ones(6)),
    lambda L: L.nn.functional.layer_norm(L.ones(2, 3), []),
    lambda L: L.nn.functional.layer_norm(L.ones(2, 3, dtype=L.float64), [3], L.ones(4)),
]


@pytest.mark.parametrize("case", NORM_ERRORS)
def test_normalization_errors(case):
    _same_error(case)


def test_batch_norm_of_an_empty_batch():
    for L in (ember, torch):
        bn = L.nn.BatchNorm1d(3)
        out = bn(L.ones(0, 3))
        assert tuple(out.shape) == (0, 3) and int(bn.num_batches_tracked) == 1
        assert bn.running_mean.abs().sum().item() == 0
    _same_value(lambda L: L.nn.functional.batch_norm(L.ones(2, 3, 0), L.zeros(3), L.ones(3),
                                                     training=True))
    _same_value(lambda L: L.nn.functional.group_norm(L.ones(0, 6, 2), 3))


def test_half_layer_norm_with_float_parameters_keeps_half():
    _same_value(lambda L: L.nn.functional.layer_norm(
        _t(L, X3).half(), [9], L.ones(9), L.zeros(9)), atol=1e-2)


def test_layer_norm_with_zero_eps_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same_value(lambda L: L.nn.functional.layer_norm(L.ones(2, 3), [3], eps=0.0))


def test_batch_norm_loads_checkpoints_without_num_batches_tracked():
    def load(L, strict):
        bn = L.nn.BatchNorm2d(3)
        bn.num_batches_tracked.fill_(5)
        keys = bn.load_state_dict({"weight": L.ones(3), "bias": L.zeros(3),
                                   "running_mean": L.zeros(3), "running_var": L.ones(3)},
                                  strict=strict)
        return tuple(keys.missing_keys), tuple(keys.unexpected_keys), bn.num_batches_tracked
    for strict in (True, False):
        e, t = load(ember, strict), load(torch, strict)
        assert e[:2] == t[:2]
        assert_same(e[2], t[2])
    e = dict(ember.nn.BatchNorm1d(2).state_dict()._metadata)
    assert e == dict(torch.nn.BatchNorm1d(2).state_dict()._metadata)


def test_batch_norm_checkpoint_of_version_2_must_have_the_count():
    def load(L):
        sd = L.nn.BatchNorm2d(3).state_dict()  # carries version 2 in its metadata
        del sd["num_batches_tracked"]
        return L.nn.BatchNorm2d(3).load_state_dict(sd)
    _same_error(load)


EMBEDDING_ERRORS = [
    lambda L: L.nn.functional.embedding(L.tensor([-1]), L.ones(5, 3)),
    lambda L: L.nn.Embedding(5, 3)(L.tensor([[0, -2]])),
    lambda L: L.nn.functional.embedding(L.tensor([1], dtype=L.int16), L.ones(5, 3)),
    lambda L: L.nn.functional.embedding(L.tensor([True]), L.ones(5, 3)),
    lambda L: L.nn.functional.embedding(L.tensor([0]), L.ones(3)),
]


@pytest.mark.parametrize("case", EMBEDDING_ERRORS)
def test_embedding_errors(case):
    _same_error(case)


def _x(L):
    return _t(L, X4)


def _x1(L):
    return _t(L, X3)


POOL_ERRORS = [
    lambda L: L.nn.functional.max_pool2d(_x(L), 3, dilation=0),
    lambda L: L.nn.functional.max_pool2d(_x(L), -1),
    lambda L: L.nn.functional.max_pool2d(_x(L), 0, 1),
    lambda L: L.nn.functional.max_pool2d(_x(L), 2, -1),
    lambda L: L.nn.functional.max_pool2d(_x(L), 2, padding=-1),
    lambda L: L.nn.functional.max_pool2d(_x(L), 2, (1, 1, 1)),
    lambda L: L.nn.functional.max_pool2d(_x(L), 2, 1, 0, (1, 1, 1)),
    lambda L: L.nn.functional.max_pool2d(_x(L)[:, :0], 2),
    lambda L: L.nn.functional.max_pool2d(_x(L)[:, :0], 3, 1, 2),
    lambda L: L.nn.functional.max_pool2d(_x(L).bool(), 2),
    lambda L: L.nn.functional.avg_pool2d(_x(L)[0, 0], 2),
    lambda L: L.nn.functional.avg_pool2d(_x(L)[None], 2),
    lambda L: L.nn.functional.avg_pool2d(_x(L), 3, 2, 1, divisor_override=0),
    lambda L: L.nn.functional.avg_pool2d(_x(L).int(), 2),
    lambda L: L.nn.functional.avg_pool1d(_x1(L)[0, 0], 2),
    lambda L: L.nn.functional.avg_pool1d(_x(L), 2),
    lambda L: L.nn.functional.avg_pool1d(_x1(L), (2, 2)),
    lambda L: L.nn.functional.avg_pool1d(_x1(L), 2, 1, (1, 1)),
    lambda L: L.nn.functional.max_pool1d(_x1(L), 10),
    lambda L: L.nn.functional.max_pool1d(_x1(L), 2, padding=2),
    lambda L: L.nn.functional.max_pool1d(_x1(L), 3, 1, 2, 2),
    lambda L: L.nn.functional.max_pool1d(_x1(L), (2, 2)),
    lambda L: L.nn.functional.max_pool1d(_x1(L), 2, 0),
    lambda L: L.nn.functional.max_pool1d(_x1(L), 2, 1, 0, 0),
    lambda L: L.nn.functional.max_pool1d(_x1(L), 0),
    lambda L: L.nn.functional.max_pool1d(_x1(L).long(), 2),
    lambda L: L.nn.functional.max_pool1d(_x1(L), 2, 0, return_indices=True),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L), (2, 2, 2)),
    lambda L: L.nn.functional.adaptive_max_pool2d(_x(L), (2, 2, 2)),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L), -1),
    lambda L: L.nn.functional.adaptive_max_pool2d(_x(L), -1),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L)[:, :, :0], 2),
    lambda L: L.nn.functional.adaptive_max_pool2d(_x(L)[:, :0], 2),
    lambda L: L.nn.functional.adaptive_max_pool2d(_x(L)[0, 0], 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L).long(), 2),
    lambda L: L.nn.functional.adaptive_avg_pool1d(_x1(L)[0, 0], 4),
    lambda L: L.nn.functional.adaptive_max_pool1d(_x(L), 4),
    lambda L: L.nn.functional.adaptive_avg_pool1d(_x1(L), (4, 4)),
    lambda L: L.nn.functional.adaptive_avg_pool1d(_x1(L), None),
]


@pytest.mark.parametrize("case", POOL_ERRORS)
def test_pooling_errors(case):
    _same_error(case)


POOL_VALUES = [
    lambda L: L.nn.functional.max_pool2d(_x(L)[:0], 2),
    lambda L: L.nn.functional.avg_pool2d(_x(L)[:0], 2),
    lambda L: L.nn.functional.max_pool1d(_x1(L)[:0], 2),
    lambda L: L.nn.functional.avg_pool2d((_x(L) * 100).long(), 3, 2, 1),
    lambda L: L.nn.functional.avg_pool1d((_x1(L) * 100).long(), 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L), 0),
    lambda L: L.nn.functional.adaptive_max_pool2d(_x(L), (0, 2), True),
    lambda L: L.nn.functional.adaptive_max_pool2d(_x(L)[:0], 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L)[:, :0], 2),
    lambda L: L.nn.functional.max_pool1d(_x1(L), [2], [1], [1], [1]),
    lambda L: L.nn.functional.avg_pool1d(_x1(L), [3], [], [1]),
]


@pytest.mark.parametrize("case", POOL_VALUES)
def test_pooling_edge_values(case):
    _same_value(case)


LOSS_ERRORS = [
    lambda L: L.nn.functional.nll_loss(L.ones(4, 5), L.tensor([0, 1, 2, 4]), weight=L.ones(2)),
    lambda L: L.nn.functional.nll_loss(L.ones(5), L.tensor(1), weight=L.ones(2)),
    lambda L: L.nn.functional.nll_loss(L.ones(4, 5), L.tensor([0, 1, 2, 3]),
                                       weight=L.ones(5, 1)),
    lambda L: L.nn.functional.nll_loss(L.ones(4, 5, 1), L.tensor([[0], [1], [2], [3]]),
                                       weight=L.ones(2)),
    lambda L: L.nn.functional.nll_loss(L.ones(4, 5), L.tensor([0, 1, 2]), weight=L.ones(2)),
    lambda L: L.nn.NLLLoss(weight=L.ones(5, dtype=L.float64))(L.ones(4, 5),
                                                              L.tensor([0, 1, 2, 3])),
    lambda L: L.nn.CrossEntropyLoss(weight=L.ones(5, dtype=L.float64))(
        L.ones(4, 5), L.tensor([0, 1, 2, 3])),
    lambda L: L.nn.BCELoss()(_t(L, P), _t(L, Q).double()),
    lambda L: L.nn.BCELoss()(_t(L, P), L.ones(4, 3, dtype=L.int64)),
    lambda L: L.nn.BCELoss(weight=L.ones(2))(_t(L, P), _t(L, Q)),
    lambda L: L.nn.BCELoss(weight=L.ones(2, 3))(_t(L, P), _t(L, Q)),
    lambda L: L.nn.BCELoss(weight=L.ones(2, 4, 3))(_t(L, P), _t(L, Q)),
    lambda L: L.nn.BCEWithLogitsLoss()(_t(L, P), L.ones(4, 3, dtype=L.int64)),
    lambda L: L.nn.BCEWithLogitsLoss()(_t(L, P), L.ones(4, 3, dtype=L.bool)),
    lambda L: L.nn.BCEWithLogitsLoss(weight=L.ones(2))(_t(L, P), _t(L, Q)),
    lambda L: L.nn.BCEWithLogitsLoss(pos_weight=L.ones(2))(_t(L, P), _t(L, Q)),
    lambda L: L.nn.BCEWithLogitsLoss(weight=L.ones(2, 4, 3))(_t(L, P), _t(L, Q)),
    lambda L: L.nn.MSELoss()(L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64)),
    lambda L: L.nn.SmoothL1Loss()(L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64)),
    lambda L: L.nn.HuberLoss()(L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64)),
    lambda L: L.nn.HuberLoss()(L.ones(3, dtype=L.int64), L.ones(3)),
    lambda L: L.nn.functional.kl_div(L.ones(3), L.ones(3, dtype=L.int64), reduction="sum"),
]


@pytest.mark.parametrize("case", LOSS_ERRORS)
def test_loss_errors(case):
    _same_error(case)


LOSS_VALUES = [
    lambda L: L.nn.functional.nll_loss(_t(L, P), L.tensor([0, 1, 2, 1]), weight=L.arange(3.)),
    lambda L: L.nn.BCEWithLogitsLoss(weight=L.arange(4.).reshape(4, 1),
                                     pos_weight=L.arange(3.))(_t(L, P), _t(L, Q)),
    lambda L: L.nn.BCELoss(weight=L.arange(3.), reduction="none")(_t(L, P), _t(L, Q)),
    lambda L: L.nn.HuberLoss()(_t(L, P), _t(L, Q).double()),
    lambda L: L.nn.MSELoss()(L.ones(3, dtype=L.int64), _t(L, P[0])),
]


@pytest.mark.parametrize("case", LOSS_VALUES)
def test_loss_values(case):
    _same_value(case)


@pytest.mark.parametrize("loss", ["mse_loss", "huber_loss", "smooth_l1_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_mean_of_an_empty_loss_is_a_silent_nan(loss):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same_value(lambda L: getattr(L.nn.functional, loss)(L.ones(0), L.ones(0)))


DROPOUT_ERRORS = [
    lambda L: L.nn.functional.dropout2d(L.ones(3), 0.5),
    lambda L: L.nn.functional.dropout2d(L.ones(2, 3, 4, 4, dtype=L.int64), 0.5),
    lambda L: L.nn.functional.dropout1d(L.ones(2, 3, 4, dtype=L.bool), 0.5),
]


@pytest.mark.parametrize("case", DROPOUT_ERRORS)
def test_dropout_errors(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(case)


def test_feature_dropout_edge_values():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_value(lambda L: L.nn.functional.dropout2d(L.ones(3), 1.0))
        _same_value(lambda L: L.nn.functional.dropout2d(L.ones(2, 3, 2, 2, dtype=L.int64), 1.0))
    for L in (ember, torch):
        x = L.ones(3, 4)
        assert L.nn.functional.dropout1d(x, 0.5, inplace=True) is x


PAD_ERRORS = [
    lambda L: L.nn.functional.pad(L.ones(1, 2, 3), (1, 1, 2, 2), mode="reflect"),
    lambda L: L.nn.functional.pad(L.ones(1, 2, 2, 3), (1, 1, 1, 1, 2, 2), mode="reflect"),
    lambda L: L.nn.functional.pad(L.ones(1, 2, 2, 3), (3, 1, 1, 1, 1, 1), mode="reflect"),
    lambda L: L.nn.functional.pad(L.ones(1, 1, 3), (-4, 1)),
    lambda L: L.nn.functional.pad(L.ones(1, 1, 3), (3, -5)),
    lambda L: L.nn.functional.pad(L.ones(1, 1, 3), (1, 1), mode="reflect", value=1.0),
    lambda L: L.nn.functional.pad(L.ones(1, 1, 3), (1, 1), mode="circular", value=2.0),
    lambda L: L.nn.functional.pad(L.ones(1, 1, 0), (1, 1), mode="reflect"),
    lambda L: L.nn.functional.pad(L.ones(1, 0, 2), (1, 1), mode="replicate"),
]


@pytest.mark.parametrize("case", PAD_ERRORS)
def test_pad_errors(case):
    _same_error(case)


def test_pad_edge_values():
    _same_value(lambda L: L.nn.functional.pad(L.ones(1, 1, 3), (1, 1), mode="reflect",
                                              value=0.0))
    _same_value(lambda L: L.nn.functional.pad(L.ones(0, 1, 2), (1, 1), mode="reflect"))
    _same_value(lambda L: L.nn.functional.pad(L.arange(6.).reshape(1, 2, 3), (-3, 1)))


@pytest.mark.parametrize("expr", [
    "F.cross_entropy(x, L.tensor([1, 2, 3]), label_smoothing=-0.1)",
    "F.cross_entropy(x[0], L.tensor([2]))", "F.nll_loss(x[0], L.tensor([2]))",
    "F.dropout(L.ones(3, dtype=L.int64), 1.0)", "F.dropout(L.ones(3, dtype=L.bool), 1.0)",
    "F.dropout(L.ones(3, dtype=L.int32), 0.0)"])
def test_loss_and_dropout_edge_values(expr):
    data = np.random.default_rng(5).standard_normal((3, 5)).astype(np.float32)
    got, want = (eval(expr, {"F": L.nn.functional, "L": L, "x": L.tensor(data)})
                 for L in (ember, torch))
    assert_same(got, want)


@pytest.mark.parametrize("expr", [
    "F.cross_entropy(x[0], L.tensor([2, 1]))", "F.one_hot(L.tensor([], dtype=L.int64))",
    "F.dropout(L.ones(3, dtype=L.int64), 0.5)", "F.dropout(L.ones(3, dtype=L.bool), 0.5)"])
def test_loss_and_dropout_edge_errors(expr):
    data = np.random.default_rng(5).standard_normal((3, 5)).astype(np.float32)
    calls = [lambda L=L: eval(expr, {"F": L.nn.functional, "L": L, "x": L.tensor(data)})
             for L in (ember, torch)]
    assert_same_error(*calls)
