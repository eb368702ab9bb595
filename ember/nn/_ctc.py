"""Connectionist Temporal Classification: the per-sample loss and its gradient.

CTC scores every alignment of a label sequence to ``T`` frames. The labels are extended
with a blank before, between and after them (``2 S + 1`` positions); an alignment walks
these positions, at each frame staying, moving one step, or skipping a blank between two
different labels. ``alpha[t, s]`` sums (in log space) all walks that emit frames ``0..t``
and stand on ``s`` at ``t``; ``beta[t, s]`` sums the walks from ``s`` at ``t`` to the end,
emission at ``t`` included. Both recursions run on the host with NumPy, vectorised over the
batch and the extended-label axis, one frame per step.

The gradient is taken with respect to ``log_probs`` read as log-softmax outputs (the
softmax's normalisation folded in): ``exp(lp[t, c]) - posterior(t, c)``, where the
posterior of class ``c`` at frame ``t`` is ``sum over s labelled c of alpha * beta``
divided by the sequence likelihood and once by ``exp(lp[t, c])`` (both ``alpha`` and
``beta`` include that frame's emission). Frames past a sample's input length get no
gradient; a sample whose loss is infinite gets NaN, or zero under ``zero_infinity``.

>>> import ember
>>> lp = ember.full((3, 1, 2), 0.5).log()
>>> ctc_losses(lp, ember.tensor([[1]]), [3], [1], blank=0, zero_infinity=False)
tensor([0.2877])
"""

from __future__ import annotations

import numpy as np

from .._backend import to_device
from ..autograd.grad_mode import state
from ..autograd.graph import Node
from ..ops._core import Tensor, record, wrap

__all__ = ["ctc_losses", "CtcLossBackward0", "parse_lengths", "checked_targets"]

_NEG_INF = -np.inf


class _Alignment:
    """The extended label sequences of a batch and the moves allowed between positions.

    ``labels[n, s]``: blank at even ``s``, target ``(s - 1) // 2`` at odd ``s`` (padding
    positions past a sample's targets read as blank and are never reachable).
    ``skip[n, s]``: ``s`` may be entered from ``s - 2`` (a label unlike the one before it).
    ``valid[n, s]``: ``s`` lies within the sample's ``2 * target_length + 1`` positions.
    """

    def __init__(self, padded: np.ndarray, target_lengths: np.ndarray, blank: int) -> None:
        batch, width = padded.shape
        positions = 2 * width + 1
        labels = np.full((batch, positions), blank, dtype=np.int64)
        labels[:, 1::2] = padded
        self.labels = labels
        self.skip = np.zeros((batch, positions), dtype=bool)
        self.skip[:, 2:] = (labels[:, 2:] != blank) & (labels[:, 2:] != labels[:, :-2])
        self.valid = np.arange(positions) < (2 * target_lengths + 1)[:, None]
        self.ends = 2 * target_lengths  # the final blank; the final label sits just before


def _shift(values: np.ndarray, by: int) -> np.ndarray:
    """``values[..., s - by]`` at position ``s`` (``-inf`` where that falls off the start)."""
    out = np.full_like(values, _NEG_INF)
    out[..., by:] = values[..., :-by]
    return out


def _back_shift(values: np.ndarray, by: int) -> np.ndarray:
    """``values[..., s + by]`` at position ``s`` (``-inf`` past the end)."""
    out = np.full_like(values, _NEG_INF)
    out[..., :-by] = values[..., by:]
    return out


def _forward_variables(emit: np.ndarray, align: _Alignment) -> np.ndarray:
    """``log alpha`` of shape ``(T, N, 2 S + 1)``; frames past an input length are computed
    too (they are never read)."""
    alpha = np.full(emit.shape, _NEG_INF, dtype=emit.dtype)
    alpha[0, :, :2] = emit[0, :, :2]
    alpha[0] = np.where(align.valid, alpha[0], _NEG_INF)
    for t in range(1, emit.shape[0]):
        prev = alpha[t - 1]
        jump = np.where(align.skip, _shift(prev, 2), _NEG_INF)
        total = np.logaddexp(np.logaddexp(prev, _shift(prev, 1)), jump)
        alpha[t] = np.where(align.valid, total + emit[t], _NEG_INF)
    return alpha


def _backward_variables(emit: np.ndarray, align: _Alignment, last: np.ndarray) -> np.ndarray:
    """``log beta`` of shape ``(T, N, 2 S + 1)``, started at each sample's last frame
    ``last[n]`` on its final blank and final label; ``-inf`` after that frame."""
    batch = emit.shape[1]
    rows = np.arange(batch)
    start = np.full(emit.shape[1:], _NEG_INF, dtype=emit.dtype)
    frame = np.clip(last, 0, None)
    start[rows, align.ends] = emit[frame, rows, align.ends]
    has_label = align.ends > 0
    before = np.maximum(align.ends - 1, 0)
    start[rows[has_label], before[has_label]] = emit[frame, rows, before][has_label]
    beta = np.full(emit.shape, _NEG_INF, dtype=emit.dtype)
    following = np.full(emit.shape[1:], _NEG_INF, dtype=emit.dtype)
    for t in range(emit.shape[0] - 1, -1, -1):
        # entering s + 2 from s is allowed exactly when s + 2 may be entered by a skip
        jump = np.where(_back_shift(align.skip, 2), _back_shift(following, 2), _NEG_INF)
        total = np.logaddexp(np.logaddexp(following, _back_shift(following, 1)), jump)
        inner = np.where(align.valid, total + emit[t], _NEG_INF)
        at_end = (t == last)[:, None]
        before_end = (t < last)[:, None]
        beta[t] = np.where(at_end, start, np.where(before_end, inner, _NEG_INF))
        following = beta[t]
    return beta


def _negative_log_likelihood(alpha: np.ndarray, align: _Alignment,
                             input_lengths: np.ndarray) -> np.ndarray:
    """``-log p(targets | inputs)`` per sample: walks ending on the final blank or label."""
    rows = np.arange(alpha.shape[1])
    frame = np.clip(input_lengths - 1, 0, None)
    on_blank = alpha[frame, rows, align.ends]
    on_label = np.where(align.ends > 0, alpha[frame, rows, np.maximum(align.ends - 1, 0)],
                        _NEG_INF)
    nll = -np.logaddexp(on_blank, on_label)
    # no frame at all: only the empty target is possible, with probability one
    empty_input = input_lengths == 0
    return np.where(empty_input, np.where(align.ends == 0, -0.0, np.inf), nll)


def _class_occupancy(both: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """``log sum`` over the positions carrying each class of ``log(alpha * beta)``: shape
    ``(T, N, C)``. One pass per position, each over all frames and samples at once."""
    frames, batch, _ = both.shape
    out = np.full((frames, batch, classes), _NEG_INF, dtype=both.dtype)
    rows = np.arange(batch)
    for s in range(labels.shape[1]):
        label = labels[:, s]
        out[:, rows, label] = np.logaddexp(out[:, rows, label], both[:, :, s])
    return out


def _log_probs_gradient(lp: np.ndarray, saved: dict) -> np.ndarray:
    """d(loss_n)/d(lp) for each sample (the upstream gradient not yet applied)."""
    align, nll, last = saved["align"], saved["nll"], saved["input_lengths"] - 1
    emit = np.take_along_axis(lp, align.labels[None], axis=2)
    beta = _backward_variables(emit, align, last)
    occupancy = _class_occupancy(saved["alpha"] + beta, align.labels, lp.shape[2])
    grad = np.exp(lp) - np.exp(occupancy + nll[None, :, None] - lp)
    keep = np.arange(lp.shape[0])[:, None] <= last[None, :]
    if saved["zero_infinity"]:
        keep = keep & (nll != np.inf)[None, :]
    return np.where(keep[:, :, None], grad, 0).astype(lp.dtype, copy=False)


class _NotImplemented(Node):
    """The gradient's own node: CTC has no second derivative."""

    def backward(self, grad: Tensor) -> tuple:
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


_NotImplemented.__name__ = _NotImplemented.__qualname__ = "NotImplemented"


class CtcLossBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (log_probs,) = self.saved()
        lp = log_probs._numpy_host()
        with np.errstate(invalid="ignore", over="ignore"):
            per_sample = _log_probs_gradient(lp, self.forward_state)
            scaled = per_sample * grad._numpy_host()[None, :, None]
        out = wrap(to_device(scaled.astype(lp.dtype, copy=False), log_probs.device))
        if state.enabled:  # create_graph: mark the result as not differentiable again
            record(out, _NotImplemented, grad, log_probs)
        return (out,)


def ctc_losses(log_probs: Tensor, padded_targets: np.ndarray, input_lengths: np.ndarray,
               target_lengths: np.ndarray, blank: int, zero_infinity: bool) -> Tensor:
    """Per-sample negative log-likelihoods ``(N,)`` of ``log_probs`` ``(T, N, C)`` against
    targets padded to ``(N, S)``; lengths are int64 arrays already checked."""
    padded = np.asarray(padded_targets, dtype=np.int64)
    input_lengths = np.asarray(input_lengths, dtype=np.int64)
    target_lengths = np.asarray(target_lengths, dtype=np.int64)
    # Computed in the input's own dtype: float32 results then round as torch's float32
    # kernel rounds them (a float64 pass agrees less closely with it).
    lp = log_probs._numpy_host()
    align = _Alignment(padded, target_lengths, blank)
    with np.errstate(invalid="ignore", over="ignore"):
        emit = np.take_along_axis(lp, align.labels[None], axis=2)
        alpha = _forward_variables(emit, align)
        nll = _negative_log_likelihood(alpha, align, input_lengths)
    res = wrap(to_device(nll.astype(lp.dtype, copy=False), log_probs.device))
    node = record(res, CtcLossBackward0, log_probs)
    if node is not None:
        node.forward_state = {"align": align, "alpha": alpha, "nll": nll,
                              "input_lengths": input_lengths, "zero_infinity": zero_infinity}
        node.save(log_probs)
    return res


# -- arguments --------------------------------------------------------------------------
_SIGNATURES = (
    "(Tensor log_probs, Tensor targets, tuple of ints input_lengths, tuple of ints "
    "target_lengths, int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity "
    "= False)",
    "(Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int "
    "blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)",
)
_CHECKED = "(while checking arguments for ctc_loss_allocate_outputs)"


def _is_int(value: object) -> bool:
    if isinstance(value, Tensor):  # a one-element integer tensor reads as its number
        return value.numel() == 1 and value._data.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_int_sequence(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(_is_int(v) for v in value)


def _type_label(value: object) -> str:
    kind = type(value)
    if isinstance(value, Tensor):
        return "Tensor"
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _described(value: object) -> str:
    """A sequence with its element types, as in an argument-mismatch message."""
    if isinstance(value, list):
        return "list of [" + ", ".join(_type_label(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "tuple of (" + ", ".join(_type_label(v) for v in value) + ")"
    return _type_label(value)


def _mismatch(args: tuple) -> TypeError:
    got = ", ".join(_type_label(a) for a in args)
    lines = [f"ctc_loss() received an invalid combination of arguments - got ({got}), but "
             "expected one of:"]
    for signature, tensor_lengths in zip(_SIGNATURES, (False, True)):
        # tensor parameters are marked when the argument is no tensor; the others always
        tensor_slots = (0, 1, 2, 3) if tensor_lengths else (0, 1)
        marks = [_described(a) if i in tensor_slots and isinstance(a, Tensor)
                 else f"!{_described(a)}!" for i, a in enumerate(args)]
        lines.append(f" * {signature}")
        lines.append("      didn't match because some of the arguments have invalid types: "
                     f"({', '.join(marks)})")
    return TypeError("\n".join(lines) + "\n")


def _host_lengths(value: object, name: str) -> np.ndarray:
    if isinstance(value, Tensor):
        if value._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return value._numpy_host().astype(np.int64).reshape(-1)
    return np.array([int(v) for v in value], dtype=np.int64)


def parse_lengths(log_probs: object, targets: object, input_lengths: object,
                  target_lengths: object, blank: object, reduction_code: int,
                  zero_infinity: object) -> tuple:
    """The lengths as int64 arrays, once the arguments fit one of the two call forms (both
    lengths sequences of ints, or both tensors of an integer dtype)."""
    args = (log_probs, targets, input_lengths, target_lengths, blank, reduction_code,
            zero_infinity)
    common = (isinstance(log_probs, Tensor) and isinstance(targets, Tensor) and _is_int(blank)
              and isinstance(zero_infinity, (bool, np.bool_)))
    as_sequences = _is_int_sequence(input_lengths) and _is_int_sequence(target_lengths)
    as_tensors = isinstance(input_lengths, Tensor) and isinstance(target_lengths, Tensor)
    if not common or not (as_sequences or as_tensors):
        raise _mismatch(args)
    return (_host_lengths(input_lengths, "input_lengths"),
            _host_lengths(target_lengths, "target_lengths"))


def _check_tensors(log_probs: Tensor, targets: Tensor, blank: int) -> None:
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if log_probs._data.dtype not in (np.float32, np.float64):
        name = log_probs.dtype._legacy[:-len("Tensor")]
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{name}'")
    if log_probs.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.dim()}-"
                           f"dimensional tensor for argument #1 'log_probs' {_CHECKED}")
    if targets.dim() not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional "
                           f"tensor for argument #2 'targets' {_CHECKED}")
    if not 0 <= blank < log_probs.shape[2]:
        raise RuntimeError("blank must be in label range")


def _padded_targets(targets: np.ndarray, target_lengths: np.ndarray, blank: int) -> np.ndarray:
    """Targets as ``(N, max target length)``, after torch's size checks of either layout."""
    batch = target_lengths.shape[0]
    for length in target_lengths:
        if length < 0:
            raise RuntimeError("Expected target_lengths to have value at least 0, but got "
                               f"value {length} {_CHECKED}")
    width = int(target_lengths.max(initial=0))
    if targets.ndim == 1:
        total = int(target_lengths.sum())
        if targets.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets' {_CHECKED}")
        starts = np.cumsum(target_lengths) - target_lengths
        column = np.arange(width)
        inside = column < target_lengths[:, None]
        source = np.where(inside, starts[:, None] + column, 0)
        return np.where(inside, targets[source] if total else blank, blank)
    if targets.shape[0] != batch:
        raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got size "
                           f"{targets.shape[0]} for argument #2 'targets' {_CHECKED}")
    if targets.shape[1] < width:
        raise RuntimeError(f"Expected tensor to have size at least {width} at dimension 1, but "
                           f"got size {targets.shape[1]} for argument #2 'targets' {_CHECKED}")
    inside = np.arange(width) < target_lengths[:, None]
    return np.where(inside, targets[:, :width], blank)


def checked_targets(log_probs: Tensor, targets: Tensor, input_lengths: np.ndarray,
                    target_lengths: np.ndarray, blank: int) -> np.ndarray:
    """torch's checks of ``log_probs`` ``(T, N, C)``, the targets and the lengths, in its
    order; returns the targets padded to ``(N, S)`` with blanks."""
    _check_tensors(log_probs, targets, blank)
    frames, batch, classes = log_probs.shape
    if input_lengths.shape[0] != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if target_lengths.shape[0] != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    labels = targets._numpy_host().astype(np.int64)
    padded = _padded_targets(labels, target_lengths, blank)
    for length in input_lengths:
        if length < 0:
            raise RuntimeError("Expected input_lengths to have value at least 0, but got "
                               f"value {length} {_CHECKED}")
        if length > frames:
            raise RuntimeError(f"Expected input_lengths to have value at most {frames}, but "
                               f"got value {length} {_CHECKED}")
    if padded.size and (padded.min() < 0 or padded.max() >= classes):
        # torch reads whatever memory such a label points at; ember refuses it
        raise RuntimeError(f"ctc_loss: target labels must lie in [0, {classes})")
    return padded
