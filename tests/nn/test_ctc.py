"""CTC loss against PyTorch: values and gradients over target layouts, length forms,
reductions, zero_infinity, repeated labels, empty targets and impossible alignments; the
module, double backward, gradcheck and errors."""

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same, assert_same_error, grad_fn_names, gradcheck_op, rng

torch = pytest.importorskip("torch")
EF, TF = ember.nn.functional, torch.nn.functional
REDUCTIONS = ["none", "sum", "mean"]
DTYPES = [np.float32, np.float64]


def make_case(seed, frames=8, batch=3, classes=5, width=4, blank=0, repeats=False):
    """Log-softmax frames, padded targets without the blank, and the two length arrays.

    The first sample always uses all frames; the others draw shorter lengths, so some
    alignments are impossible (too few frames) and some targets are empty.
    """
    gen = rng(seed)
    logits = gen.standard_normal((frames, batch, classes)) * 2
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = gen.integers(0, classes - 1, (batch, width))
    targets[targets >= blank] += 1
    if repeats:
        targets[:, 1::2] = targets[:, 0::2][:, :targets[:, 1::2].shape[1]]
    target_lengths = gen.integers(0, width + 1, batch)
    input_lengths = gen.integers(0, frames + 1, batch)
    input_lengths[0] = frames
    return log_probs, targets, input_lengths, target_lengths


def concatenated(targets, target_lengths):
    return np.concatenate([row[:n] for row, n in zip(targets, target_lengths)])


def as_lengths(lengths, form, lib):
    if form == "list":
        return [int(n) for n in lengths]
    if form == "tuple":
        return tuple(int(n) for n in lengths)
    return (ember if lib == "e" else torch).tensor(lengths, dtype=(ember if lib == "e"
                                                                  else torch).int32)


def compare(log_probs, targets, input_lengths, target_lengths, dtype=np.float64,
            length_form="list", seed=1, **kwargs):
    """Run both libraries on the same data; compare loss, grad_fn chain and gradient."""
    lp = log_probs.astype(dtype)
    e_lp = ember.from_numpy(lp.copy()).requires_grad_()
    t_lp = torch.from_numpy(lp.copy()).requires_grad_()
    e_out = EF.ctc_loss(e_lp, ember.from_numpy(targets.copy()),
                        as_lengths(input_lengths, length_form, "e"),
                        as_lengths(target_lengths, length_form, "e"), **kwargs)
    t_out = TF.ctc_loss(t_lp, torch.from_numpy(targets.copy()),
                        as_lengths(input_lengths, length_form, "t"),
                        as_lengths(target_lengths, length_form, "t"), **kwargs)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert_same(e_out, t_out, atol=tol, rtol=tol)
    assert grad_fn_names(e_out, 3) == grad_fn_names(t_out, 3)
    g = rng(seed).standard_normal(tuple(t_out.shape)).astype(dtype)
    e_out.backward(ember.from_numpy(g.copy()))
    t_out.backward(torch.from_numpy(g))
    assert_same(e_lp.grad, t_lp.grad, atol=tol * 10, rtol=tol * 10, what="grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_values_and_gradients(dtype, reduction, zero_infinity, layout):
    for seed in range(3):
        lp, targets, il, tl = make_case(seed, repeats=seed == 1)
        if layout == "concatenated":
            targets = concatenated(targets, tl)
        compare(lp, targets, il, tl, dtype, reduction=reduction, zero_infinity=zero_infinity)


@pytest.mark.parametrize("length_form", ["list", "tuple", "tensor"])
@pytest.mark.parametrize("target_dtype", [np.int32, np.int64])
def test_length_forms_and_target_dtypes(length_form, target_dtype):
    lp, targets, il, tl = make_case(5, frames=6, batch=4, classes=4, width=3)
    compare(lp, targets.astype(target_dtype), il, tl, length_form=length_form,
            reduction="none")


@pytest.mark.parametrize("blank", [1, 5])
def test_blank_not_zero(blank):
    lp, targets, il, tl = make_case(3, classes=6, blank=blank, repeats=True)
    compare(lp, targets, il, tl, blank=blank, reduction="none")


def test_repeated_labels_need_a_blank_between():
    # "1 1" needs three frames (1, blank, 1): two frames are impossible, three are not
    lp, _, _, _ = make_case(0, frames=3, batch=3, classes=3)
    targets = np.array([[1, 1], [1, 1], [1, 2]])
    compare(lp, targets, np.array([2, 3, 2]), np.array([2, 2, 2]), reduction="none")
    compare(lp, targets, np.array([2, 3, 2]), np.array([2, 2, 2]), zero_infinity=True)


def test_empty_targets_and_empty_inputs():
    lp, targets, _, _ = make_case(4, frames=5, batch=4)
    for il, tl in [([5, 0, 3, 0], [0, 0, 2, 1]), ([0, 0, 0, 0], [0, 0, 0, 0])]:
        for reduction in REDUCTIONS:
            compare(lp, targets, np.array(il), np.array(tl), reduction=reduction)
    empty = np.zeros(0, dtype=np.int64)
    compare(lp, empty, np.array([5, 4, 1, 0]), np.zeros(4, dtype=np.int64), reduction="none")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target_rank", [1, 2])
def test_unbatched(reduction, target_rank):
    lp, targets, _, _ = make_case(6, frames=7, batch=1, classes=4, width=3)
    flat = targets[0] if target_rank == 1 else targets
    compare(lp[:, 0], flat, np.array([6]), np.array([3]), np.float32, reduction=reduction)


def test_gradient_of_inputs_that_are_not_log_softmax():
    # the gradient is defined for log-softmax inputs; both libraries apply that formula
    gen = rng(9)
    lp = gen.standard_normal((6, 2, 4))
    compare(lp, np.array([[1, 2], [3, 3]]), np.array([6, 5]), np.array([2, 2]),
            reduction="none")


def test_gradcheck_through_log_softmax():
    logits = rng(2).standard_normal((6, 3, 4))
    targets = ember.tensor([[1, 1], [2, 3], [3, 0]])

    def loss(x):
        return EF.ctc_loss(x.log_softmax(2), targets, [6, 5, 4], [2, 2, 1])
    gradcheck_op(loss, logits)

    def unreduced(x):
        return EF.ctc_loss(x.log_softmax(1), ember.tensor([2, 2]), [5], [2], reduction="none")
    gradcheck_op(unreduced, logits[:5, 0])


def test_double_backward_is_refused():
    lp, targets, il, tl = make_case(0)
    x = ember.from_numpy(lp.copy()).requires_grad_()
    t = torch.from_numpy(lp.copy()).requires_grad_()
    args = (targets, [8, 8, 8], [1, 1, 1])
    (ge,) = ember.autograd.grad(EF.ctc_loss(x, ember.from_numpy(args[0]), *args[1:]), x,
                                create_graph=True)
    (gt,) = torch.autograd.grad(TF.ctc_loss(t, torch.from_numpy(args[0]), *args[1:]), t,
                                create_graph=True)
    assert grad_fn_names(ge, 0) == grad_fn_names(gt, 0)
    assert_same_error(lambda: ember.autograd.grad(ge.sum(), x),
                      lambda: torch.autograd.grad(gt.sum(), t))


def test_module():
    for kwargs in [{}, {"blank": 2, "reduction": "sum", "zero_infinity": True}]:
        e, t = nn.CTCLoss(**kwargs), torch.nn.CTCLoss(**kwargs)
        assert repr(e) == repr(t)
        assert (e.blank, e.reduction, e.zero_infinity) == (t.blank, t.reduction,
                                                           t.zero_infinity)
        assert e.state_dict().keys() == t.state_dict().keys()
    lp, targets, il, tl = make_case(8, classes=4)
    module = nn.CTCLoss(blank=0, zero_infinity=True)
    out = module(ember.from_numpy(lp), ember.from_numpy(targets), list(il), list(tl))
    expected = torch.nn.CTCLoss(blank=0, zero_infinity=True)(
        torch.from_numpy(lp), torch.from_numpy(targets), list(il), list(tl))
    assert_same(out, expected, atol=1e-10, rtol=1e-10)


def error_cases():
    lp = make_case(0, frames=5, batch=2, classes=4)[0]
    t = np.array([[1, 2], [1, 1]])
    half = lp.astype(np.float16)
    return [
        (lp, t, [5, 4], [2, 2], {"blank": 4}),
        (lp, t, [5, 4], [2, 2], {"blank": -1}),
        (lp, t, [5, 4, 3], [2, 2], {}),
        (lp, t, [5, 4], [2, 2, 1], {}),
        (lp, t, [6, 4], [2, 2], {}),
        (lp, t, [-1, 4], [2, 2], {}),
        (lp, t, [5, 4], [3, 2], {}),
        (lp, t, [5, 4], [-1, 2], {}),
        (lp, t[:1], [5, 4], [2, 2], {}),
        (lp, t.reshape(-1), [5, 4], [2, 1], {}),
        (lp, t.reshape(-1)[:3], [5, 4], [2, 2], {}),
        (lp[0], t, [5, 4], [2, 2], {}),
        (lp[0, 0], t, [5, 4], [2, 2], {}),
        (lp[None], t, [5, 4], [2, 2], {}),
        (lp, t[None], [5, 4], [2, 2], {}),
        (lp, t[0, 0], [5, 4], [2, 2], {}),
        (lp[:, :0], t[:0], [], [], {}),
        (half, t, [5, 4], [2, 2], {}),
        (half[None], t, [5, 4], [2, 2], {}),
        (lp, t, [5, 4], [2, 2], {"reduction": "foo"}),
        (lp, t, 5, 2, {}),
        (lp, t, [5, 4], [2, 2], {"blank": True}),
        (lp, t, [5, 4], [2, 2], {"zero_infinity": 1}),
        (lp, t, [5.0, 4], (2, 2), {}),
        (lp, t, None, [2, 2], {}),
        (lp, t, "tensor", [2, 2], {}),
        (lp, t, [5, 4], "tensor", {}),
        (lp, t, "float tensor", "tensor", {}),
        (lp, t, "tensor", "float tensor", {}),
    ]


def _lengths(value, lib):
    if value == "tensor":
        return lib.tensor([5, 4])
    if value == "float tensor":
        return lib.tensor([5.0, 4.0])
    return value


@pytest.mark.parametrize("case", range(len(error_cases())))
def test_errors(case):
    lp, t, il, tl, kwargs = error_cases()[case]

    def call(lib, functional):
        return functional.ctc_loss(lib.from_numpy(lp.copy()), lib.from_numpy(t.copy()),
                                   _lengths(il, lib), _lengths(tl, lib), **kwargs)
    assert_same_error(lambda: call(ember, EF), lambda: call(torch, TF))


def test_labels_out_of_range_are_refused():
    lp = make_case(0, frames=5, batch=1, classes=4)[0]
    with pytest.raises(RuntimeError, match="target labels"):
        EF.ctc_loss(ember.from_numpy(lp), ember.tensor([[4]]), [5], [1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_sizes(dtype):
    gen = rng(11)
    for seed in range(25):
        frames, batch, classes = gen.integers(1, 13), gen.integers(1, 5), gen.integers(2, 7)
        width = int(gen.integers(0, 6))
        blank = int(gen.integers(0, classes))
        lp, targets, il, tl = make_case(seed, frames, batch, classes, width, blank,
                                        repeats=seed % 3 == 0)
        reduction = REDUCTIONS[seed % 3]
        if seed % 2:
            targets = concatenated(targets, tl)
        compare(lp, targets, il, tl, dtype, blank=blank, reduction=reduction,
                zero_infinity=bool(seed % 4 == 1))
