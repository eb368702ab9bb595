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
        self.steps = [(starts[t], int(sizes[t])) for t in order]


def _step_forward(mode: str, gi: np.ndarray, h: np.ndarray, c: np.ndarray | None,
                  w: dict) -> tuple:
    """One step on the active rows; returns ``(h_new, c_new, saved)``."""
    gh = h @ w["w_hh"].T
    if w["b_hh"] is not None:
        gh += w["b_hh"]
    if mode == "LSTM":
        gates = gh
        gates += gi
        hidden = c.shape[1]
        _sigmoid(gates[:, :2 * hidden])
        np.tanh(gates[:, 2 * hidden:3 * hidden], out=gates[:, 2 * hidden:3 * hidden])
        _sigmoid(gates[:, 3 * hidden:])
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c_new = f * c + i * g
        tanh_c = np.tanh(c_new)
        h_full = o * tanh_c
        h_new = h_full @ w["w_hr"].T if w["w_hr"] is not None else h_full
        return h_new, c_new, (gates, c, tanh_c, h_full, h)
    if mode == "GRU":
        hidden = h.shape[1]
        rz = gi[:, :2 * hidden] + gh[:, :2 * hidden]
        _sigmoid(rz)
        r, z = rz[:, :hidden], rz[:, hidden:]
        gh_n = gh[:, 2 * hidden:]
        n = np.tanh(gi[:, 2 * hidden:] + r * gh_n)
        h_new = n + z * (h - n)
        return h_new, None, (rz, n, gh_n, h)
    gh += gi
    h_new = np.tanh(gh, out=gh) if mode == "RNN_TANH" else np.maximum(gh, 0, out=gh)
    return h_new, None, (h_new, h)


def _forward(mode: str, gi: np.ndarray, plan: _Plan, h0: np.ndarray, c0: np.ndarray | None,
             w: dict) -> tuple:
    h, c = h0.copy(), None if c0 is None else c0.copy()
    out = np.empty((gi.shape[0], h.shape[1]), dtype=gi.dtype)
    saved = []
    for start, n in plan.steps:
        # Copies: the step's saved inputs must survive the state update below.
        h_new, c_new, keep = _step_forward(mode, gi[start:start + n], h[:n].copy(),
                                           None if c is None else c[:n].copy(), w)
        h[:n] = h_new
        if c is not None:
            c[:n] = c_new
        out[start:start + n] = h_new
        saved.append(keep)
    return out, h, c, saved


class RnnLayerBackward0(Node):
    """Back-propagation through time for one direction of one layer."""

    def backward(self, g_out: Any, g_h: Any, g_c: Any = None) -> tuple:
        if state.enabled:  # create_graph: differentiate the composed steps instead
            return self.composed_backward(g_out, g_h, g_c)
        gi, h0, c0, w = self.arrays
        dgi = np.zeros_like(gi)
        dh = np.zeros_like(h0) if g_h is None else g_h._data.astype(h0.dtype, copy=True)
        dc = None if c0 is None else (np.zeros_like(c0) if g_c is None
                                      else g_c._data.astype(c0.dtype, copy=True))
        dw = {k: None if v is None else np.zeros_like(v) for k, v in w.items()}
        gout = None if g_out is None else g_out._data
        for (start, n), keep in zip(reversed(self.plan.steps), reversed(self.saved_steps)):
            dh_act = dh[:n]
            if gout is not None:
                dh_act = dh_act + gout[start:start + n]
            dc_act = None if dc is None else dc[:n]
            dpre, dh_prev, dc_prev = _step_backward(self.mode, dh_act, dc_act, keep, w, dw)
            dgi[start:start + n] = dpre
            dh[:n] = dh_prev
            if dc is not None:
                dc[:n] = dc_prev
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


def _step_backward(mode: str, dh: np.ndarray, dc: np.ndarray | None, keep: tuple, w: dict,
                   dw: dict) -> tuple:
    """Gradients of one step: ``(d pre-activations = d input projection, dh_prev, dc_prev)``;
    the weight gradients are added into ``dw``."""
    if mode == "LSTM":
        gates, c_prev, tanh_c, h_full, h_prev = keep
        if w["w_hr"] is not None:
            dw["w_hr"] += dh.T @ h_full
            dh = dh @ w["w_hr"]
        hidden = c_prev.shape[1]
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        dc_total = dc + dh * o * (1 - tanh_c * tanh_c)
        dpre = np.empty_like(gates)
        dpre[:, :hidden] = dc_total * g * i * (1 - i)
        dpre[:, hidden:2 * hidden] = dc_total * c_prev * f * (1 - f)
        dpre[:, 2 * hidden:3 * hidden] = dc_total * i * (1 - g * g)
        dpre[:, 3 * hidden:] = dh * tanh_c * o * (1 - o)
        return dpre, _hidden_grads(dpre, h_prev, w, dw), dc_total * f
    if mode == "GRU":
        rz, n, gh_n, h_prev = keep
        hidden = n.shape[1]
        r, z = rz[:, :hidden], rz[:, hidden:]
        dn = dh * (1 - z) * (1 - n * n)
        dr = dn * gh_n * r * (1 - r)
        dz = dh * (h_prev - n) * z * (1 - z)
        dgi = np.concatenate([dr, dz, dn], axis=1)
        dgh = np.concatenate([dr, dz, dn * r], axis=1)
        return dgi, dh * z + _hidden_grads(dgh, h_prev, w, dw), None
    h_new, h_prev = keep
    dpre = dh * (1 - h_new * h_new) if mode == "RNN_TANH" else dh * (h_new > 0)
    return dpre, _hidden_grads(dpre, h_prev, w, dw), None


def _hidden_grads(dgh: np.ndarray, h_prev: np.ndarray, w: dict, dw: dict) -> np.ndarray:
    """Add the recurrent weights' gradients for one step; return the previous state's."""
    dw["w_hh"] += dgh.T @ h_prev
    if w["b_hh"] is not None:
        dw["b_hh"] += dgh.sum(0)
    return dgh @ w["w_hh"]


def run_fused(mode: str, gi: Tensor, sizes: Sequence[int], start: tuple, w_hh: Tensor,
              b_hh: Tensor | None, w_hr: Tensor | None, reverse: bool) -> tuple:
    """``(output rows, final state tuple)`` of one direction of one layer."""
    h0, c0 = start[0], start[1] if mode == "LSTM" else None
    plan = _Plan(sizes, reverse)
    arrays = {"w_hh": w_hh._data, "b_hh": None if b_hh is None else b_hh._data,
              "w_hr": None if w_hr is None else w_hr._data}
    out, h, c, saved = _forward(mode, gi._data, plan, h0._data,
                                None if c0 is None else c0._data, arrays)
    outs = [wrap(out), wrap(h)] + ([wrap(c)] if c is not None else [])
    inputs = [gi, h0] + ([c0] if c0 is not None else [])
    inputs += [t for t in (w_hh, b_hh, w_hr) if t is not None]
    node = record_multi(outs, RnnLayerBackward0, *inputs)
    if node is not None:
        node.mode, node.plan, node.saved_steps = mode, plan, saved
        node.sizes, node.reverse, node.inputs = list(sizes), reverse, inputs
        node.arrays = (gi._data, h0._data, None if c0 is None else c0._data, arrays)
    return outs[0], tuple(outs[1:])
