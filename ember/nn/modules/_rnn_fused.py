"""One direction of one recurrent layer as a single autograd node: the time loop runs in
NumPy forwards, and back through time in NumPy backwards.

Composing a step from ember ops records about a dozen nodes per step and runs them one by
one in the backward pass; a sequence of a few dozen steps then spends most of its time in
that bookkeeping. Here each step is a handful of NumPy calls in either direction, and the
node keeps what back-propagation through time needs (the gates of every step).

The packed layout of ``_rnn_cells`` is used as it is: step ``t`` owns ``sizes[t]`` rows of
the ``(N, gates)`` input projection, and its active rows are the first ``sizes[t]`` of the
state. Rows beyond them keep their state, which is what both directions need: in the
forward direction they are sequences that have ended, in the reverse one sequences that
have not started yet (still holding the initial state).

A double backward (``create_graph=True``) runs the step again as composed ember ops from
the saved inputs and differentiates that, so higher derivatives stay available.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import ops
from ..._tensor import Tensor
from ...autograd.graph import Node
from ...ops._core import record_multi, state, wrap

__all__ = ["run_fused", "FUSED_MODES"]

FUSED_MODES = ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) in place; exp overflowing to inf gives the limit 0."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1
    return np.reciprocal(x, out=x)


class _Plan:
    """The rows of each step, in the order the loop visits them."""

    def __init__(self, sizes: Sequence[int], reverse: bool) -> None:
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
        order = range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes))
        self.steps = [(slice(starts[t], starts[t] + int(sizes[t])), int(sizes[t]))
                      for t in order]


class _Trace:
    """What back-propagation needs, row-aligned with the packed input: the activated gates
    and the incoming state of every row's step (plus, for an LSTM, the cell state and its
    tanh; for a GRU, the hidden part of the new gate)."""

    def __init__(self, mode: str, gi: np.ndarray, h0: np.ndarray, c0: np.ndarray | None,
                 projected: bool) -> None:
        rows, dt = gi.shape[0], gi.dtype
        self.acts = np.empty_like(gi)
        self.h_prev = np.empty((rows, h0.shape[1]), dtype=dt)
        if mode == "LSTM":
            self.c_prev = np.empty((rows, c0.shape[1]), dtype=dt)
            self.tanh_c = np.empty_like(self.c_prev)
            self.h_full = np.empty_like(self.c_prev) if projected else None
        if mode == "GRU":
            self.gh_n = np.empty((rows, h0.shape[1]), dtype=dt)


def _with_bias(gi: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    return gi if bias is None else gi + bias  # one pass over all rows, not one per step


def _lstm_forward(gi: np.ndarray, plan: _Plan, h: np.ndarray, c: np.ndarray, w: dict,
                  trace: _Trace, out: np.ndarray) -> None:
    hid, w_t = c.shape[1], w["w_hh"].T
    gib = _with_bias(gi, w["b_hh"])
    for rows, n in plan.steps:
        hp, a = h[:n], trace.acts[rows]
        trace.h_prev[rows] = hp
        np.matmul(hp, w_t, out=a)
        a += gib[rows]
        g = np.tanh(a[:, 2 * hid:3 * hid])
        _sigmoid(a)  # the whole block at once, then the candidate put back
        a[:, 2 * hid:3 * hid] = g
        trace.c_prev[rows] = c[:n]
        c_new = a[:, hid:2 * hid] * c[:n]
        c_new += a[:, :hid] * g
        c[:n] = c_new
        tanh_c = np.tanh(c_new, out=trace.tanh_c[rows])
        if w["w_hr"] is None:
            h_new = a[:, 3 * hid:] * tanh_c
        else:  # the projected LSTM feeds back a smaller hidden state
            h_new = np.multiply(a[:, 3 * hid:], tanh_c, out=trace.h_full[rows]) @ w["w_hr"].T
        h[:n] = h_new
        out[rows] = h_new


def _gru_forward(gi: np.ndarray, plan: _Plan, h: np.ndarray, w: dict, trace: _Trace,
                 out: np.ndarray) -> None:
    """``n = tanh(gi_n + r * gh_n)``: the new gate's hidden bias sits inside the product."""
    hid, w_t = h.shape[1], w["w_hh"].T
    for rows, n in plan.steps:
        hp, a = h[:n], trace.acts[rows]
        trace.h_prev[rows] = hp
        gh = hp @ w_t
        if w["b_hh"] is not None:
            gh += w["b_hh"]
        np.add(gi[rows, :2 * hid], gh[:, :2 * hid], out=a[:, :2 * hid])
        _sigmoid(a[:, :2 * hid])
        trace.gh_n[rows] = gh[:, 2 * hid:]
        new = np.multiply(a[:, :hid], gh[:, 2 * hid:], out=a[:, 2 * hid:])
        new += gi[rows, 2 * hid:]
        np.tanh(new, out=new)
        h_new = hp - new  # (1 - z) * n + z * h, with one product fewer
        h_new *= a[:, hid:2 * hid]
        h_new += new
        h[:n] = h_new
        out[rows] = h_new


def _rnn_forward(mode: str, gi: np.ndarray, plan: _Plan, h: np.ndarray, w: dict,
                 trace: _Trace, out: np.ndarray) -> None:
    w_t, gib = w["w_hh"].T, _with_bias(gi, w["b_hh"])
    for rows, n in plan.steps:
        hp, a = h[:n], trace.acts[rows]
        trace.h_prev[rows] = hp
        np.matmul(hp, w_t, out=a)
        a += gib[rows]
        np.tanh(a, out=a) if mode == "RNN_TANH" else np.maximum(a, 0, out=a)
        h[:n] = a
        out[rows] = a


def _forward(mode: str, gi: np.ndarray, plan: _Plan, h0: np.ndarray, c0: np.ndarray | None,
             w: dict) -> tuple:
    h, c = h0.copy(), None if c0 is None else c0.copy()
    out = np.empty((gi.shape[0], h.shape[1]), dtype=gi.dtype)
    trace = _Trace(mode, gi, h0, c0, w["w_hr"] is not None)
    if mode == "LSTM":
        _lstm_forward(gi, plan, h, c, w, trace, out)
    elif mode == "GRU":
        _gru_forward(gi, plan, h, w, trace, out)
    else:
        _rnn_forward(mode, gi, plan, h, w, trace, out)
    return out, h, c, trace


def _lstm_backward(plan: _Plan, trace: _Trace, w: dict, dh: np.ndarray, dc: np.ndarray,
                   gout: np.ndarray | None, dw: dict) -> np.ndarray:
    acts, hid = trace.acts, dc.shape[1]
    # Activation derivatives for every row at once: s (1 - s) for the sigmoid gates,
    # 1 - g^2 for the tanh candidate, 1 - tanh(c)^2 for the cell.
    deriv = acts * (1 - acts)
    deriv[:, 2 * hid:3 * hid] = 1 - np.square(acts[:, 2 * hid:3 * hid])
    cell_deriv = 1 - np.square(trace.tanh_c)
    dgi, d_out = np.empty_like(acts), np.empty_like(trace.h_prev)
    for rows, n in reversed(plan.steps):
        dha = d_out[rows]
        np.add(dh[:n], gout[rows], out=dha) if gout is not None else np.copyto(dha, dh[:n])
        dhf = dha if w["w_hr"] is None else dha @ w["w_hr"]
        a, d = acts[rows], dgi[rows]
        dct = dhf * a[:, 3 * hid:]
        dct *= cell_deriv[rows]
        dct += dc[:n]
        np.multiply(dct, a[:, 2 * hid:3 * hid], out=d[:, :hid])
        np.multiply(dct, trace.c_prev[rows], out=d[:, hid:2 * hid])
        np.multiply(dct, a[:, :hid], out=d[:, 2 * hid:3 * hid])
        np.multiply(dhf, trace.tanh_c[rows], out=d[:, 3 * hid:])
        d *= deriv[rows]
        np.matmul(d, w["w_hh"], out=dh[:n])
        np.multiply(dct, a[:, hid:2 * hid], out=dc[:n])
    if w["w_hr"] is not None:
        dw["w_hr"] = d_out.T @ trace.h_full
    return dgi


def _gru_backward(plan: _Plan, trace: _Trace, w: dict, dh: np.ndarray,
                  gout: np.ndarray | None) -> tuple:
    acts, hid = trace.acts, dh.shape[1]
    gate_deriv = acts[:, :2 * hid] * (1 - acts[:, :2 * hid])
    new_deriv = 1 - np.square(acts[:, 2 * hid:])
    dgi, dgh = np.empty_like(acts), np.empty_like(acts)
    for rows, n in reversed(plan.steps):
        dha = dh[:n] + gout[rows] if gout is not None else dh[:n].copy()
        a, d, e = acts[rows], dgi[rows], dgh[rows]
        d_new = np.multiply(dha, 1 - a[:, hid:2 * hid], out=d[:, 2 * hid:])
        d_new *= new_deriv[rows]
        dz = np.subtract(trace.h_prev[rows], a[:, 2 * hid:], out=d[:, hid:2 * hid])
        dz *= dha
        dz *= gate_deriv[rows, hid:]
        dr = np.multiply(d_new, trace.gh_n[rows], out=d[:, :hid])
        dr *= gate_deriv[rows, :hid]
        e[:, :2 * hid] = d[:, :2 * hid]
        np.multiply(d_new, a[:, :hid], out=e[:, 2 * hid:])
        dh_prev = e @ w["w_hh"]
        dh_prev += dha * a[:, hid:2 * hid]
        dh[:n] = dh_prev
    return dgi, dgh


def _rnn_backward(mode: str, plan: _Plan, trace: _Trace, w: dict, dh: np.ndarray,
                  gout: np.ndarray | None) -> np.ndarray:
    acts = trace.acts
    deriv = 1 - np.square(acts) if mode == "RNN_TANH" else (acts > 0).astype(acts.dtype)
    dgi = np.empty_like(acts)
    for rows, n in reversed(plan.steps):
        d = dgi[rows]
        np.add(dh[:n], gout[rows], out=d) if gout is not None else np.copyto(d, dh[:n])
        d *= deriv[rows]
        np.matmul(d, w["w_hh"], out=dh[:n])
    return dgi


def _backward(mode: str, plan: _Plan, trace: _Trace, w: dict, dh: np.ndarray,
              dc: np.ndarray | None, gout: np.ndarray | None) -> tuple:
    """``(d input projection, d recurrent weights)``; ``dh``/``dc`` end as the initial
    state's gradients. The weight gradients are one product over all rows."""
    dw: dict = {}
    if mode == "LSTM":
        dgi = dgh = _lstm_backward(plan, trace, w, dh, dc, gout, dw)
    elif mode == "GRU":
        dgi, dgh = _gru_backward(plan, trace, w, dh, gout)
    else:
        dgi = dgh = _rnn_backward(mode, plan, trace, w, dh, gout)
    dw["w_hh"] = dgh.T @ trace.h_prev
    if w["b_hh"] is not None:
        dw["b_hh"] = dgh.sum(0)
    return dgi, dw


class RnnLayerBackward0(Node):
    """Back-propagation through time for one direction of one layer."""

    def backward(self, g_out: Any, g_h: Any, g_c: Any = None) -> tuple:
        if state.enabled:  # create_graph: differentiate the composed steps instead
            return self.composed_backward(g_out, g_h, g_c)
        gi, h0, c0, w = self.arrays
        dh = np.zeros_like(h0) if g_h is None else g_h._data.astype(h0.dtype, copy=True)
        dc = None if c0 is None else (np.zeros_like(c0) if g_c is None
                                      else g_c._data.astype(c0.dtype, copy=True))
        gout = None if g_out is None else g_out._data
        dgi, dw = _backward(self.mode, self.plan, self.trace, w, dh, dc, gout)
        grads = [wrap(dgi), wrap(dh)] + ([wrap(dc)] if c0 is not None else [])
        grads += [wrap(dw[k]) for k in ("w_hh", "b_hh", "w_hr") if w[k] is not None]
        return tuple(grads)

    def composed_backward(self, g_out: Any, g_h: Any, g_c: Any) -> tuple:
        from ...autograd import grad as autograd_grad
        from ._rnn_cells import LayerWeights, composed_direction
        inputs = self.inputs
        gi, h0 = inputs[0], inputs[1]
        c0 = inputs[2] if self.mode == "LSTM" else None
        rest = list(inputs[3 if c0 is not None else 2:])
        names = [k for k in ("w_hh", "b_hh", "w_hr") if self.arrays[3][k] is not None]
        weights = dict(zip(names, rest))
        lw = LayerWeights(None, weights["w_hh"], None, weights.get("b_hh"), weights.get("w_hr"))
        out, final = composed_direction(self.mode, gi, self.sizes, (h0,) if c0 is None
                                        else (h0, c0), lw, self.reverse)
        outs, grads = [out, *final], [g_out, g_h, g_c][:1 + len(final)]
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        wanted = [x for x in inputs if x.requires_grad]
        found = iter(autograd_grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                                   create_graph=True, allow_unused=True))
        result = [next(found) if x.requires_grad else None for x in inputs]
        return tuple(r if r is not None or not x.requires_grad else ops.zeros_like(x)
                     for r, x in zip(result, inputs))


def run_fused(mode: str, gi: Tensor, sizes: Sequence[int], start: tuple, w_hh: Tensor,
              b_hh: Tensor | None, w_hr: Tensor | None, reverse: bool) -> tuple:
    """``(output rows, final state tuple)`` of one direction of one layer."""
    h0, c0 = start[0], start[1] if mode == "LSTM" else None
    plan = _Plan(sizes, reverse)
    arrays = {"w_hh": w_hh._data, "b_hh": None if b_hh is None else b_hh._data,
              "w_hr": None if w_hr is None else w_hr._data}
    out, h, c, trace = _forward(mode, gi._data, plan, h0._data,
                                None if c0 is None else c0._data, arrays)
    outs = [wrap(out), wrap(h)] + ([wrap(c)] if c is not None else [])
    inputs = [gi, h0] + ([c0] if c0 is not None else [])
    inputs += [t for t in (w_hh, b_hh, w_hr) if t is not None]
    node = record_multi(outs, RnnLayerBackward0, *inputs)
    if node is not None:
        node.mode, node.plan, node.trace = mode, plan, trace
        node.sizes, node.reverse, node.inputs = list(sizes), reverse, inputs
        node.arrays = (gi._data, h0._data, None if c0 is None else c0._data, arrays)
    return outs[0], tuple(outs[1:])
