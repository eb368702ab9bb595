"""The arithmetic of the recurrent layers: one time step of each cell, and the time loop.

Every layer runs on the *packed* layout: a ``(N, features)`` matrix whose rows are the
time steps one after another, step ``t`` holding ``sizes[t]`` rows (the sequences still
running at that step, longest first). A padded ``(T, B, features)`` input is the special
case ``sizes == [B] * T`` after a reshape, so padded and packed inputs share one code path.

The input projection of a whole layer is one matrix product over all ``N`` rows; each
step then adds one product with the hidden state. Floating-point layers run each direction
as one fused node (``_rnn_fused``); the steps below, composed from ember ops, serve other
dtypes and the double backward of the fused node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from ... import ops
from ..._tensor import Tensor
from .. import functional as F
from ._rnn_fused import FUSED_MODES, run_fused

__all__ = ["LayerWeights", "STEPS", "run_layers", "composed_direction"]


class LayerWeights(NamedTuple):
    """The parameters of one layer in one direction (absent ones are None)."""

    w_ih: Tensor
    w_hh: Tensor
    b_ih: Tensor | None = None
    b_hh: Tensor | None = None
    w_hr: Tensor | None = None


# A step takes the input projection of the active rows, the state (a tuple: ``(h,)``, or
# ``(h, c)`` for an LSTM) and the weights, and returns the next state.
Step = Callable[[Tensor, tuple, LayerWeights], tuple]


def rnn_tanh_step(gi: Tensor, state: tuple, w: LayerWeights) -> tuple:
    return (ops.tanh(gi + F.linear(state[0], w.w_hh, w.b_hh)),)


def rnn_relu_step(gi: Tensor, state: tuple, w: LayerWeights) -> tuple:
    return (ops.relu(gi + F.linear(state[0], w.w_hh, w.b_hh)),)


def lstm_step(gi: Tensor, state: tuple, w: LayerWeights) -> tuple:
    """Gates in the order input, forget, cell candidate, output."""
    h, c = state
    gates = gi + F.linear(h, w.w_hh, w.b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    h = ops.sigmoid(o) * ops.tanh(c)
    if w.w_hr is not None:  # the projected LSTM feeds back a smaller hidden state
        h = F.linear(h, w.w_hr)
    return h, c


def gru_step(gi: Tensor, state: tuple, w: LayerWeights) -> tuple:
    """Gates in the order reset, update, new; the hidden bias of the new gate sits inside
    the reset product, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``."""
    h = state[0]
    gh = F.linear(h, w.w_hh, w.b_hh)
    width = 2 * h.shape[1]
    rz = ops.sigmoid(gi[:, :width] + gh[:, :width])
    r, z = rz.chunk(2, 1)
    n = ops.tanh(gi[:, width:] + r * gh[:, width:])
    # (1 - z) * n + z * h, with one product fewer.
    return (n + z * (h - n),)


STEPS: dict[str, Step] = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step,
                          "LSTM": lstm_step, "GRU": gru_step}


def _forward_in_time(step: Step, gi: Sequence[Tensor], sizes: Sequence[int], state: tuple,
                     w: LayerWeights) -> tuple:
    """Outputs per step and the final state, first step to last.

    When the batch shrinks, the rows that stop (the last ones) keep the state they reached;
    they are put back below the still-running rows at the end.
    """
    outputs, stopped = [], []
    for t, size in enumerate(sizes):
        if size < state[0].shape[0]:
            stopped.append(tuple(s[size:] for s in state))
            state = tuple(s[:size] for s in state)
        state = step(gi[t], state, w)
        outputs.append(state[0])
    if stopped:
        state = tuple(ops.cat([s, *(part[k] for part in reversed(stopped))])
                      for k, s in enumerate(state))
    return outputs, state


def _backward_in_time(step: Step, gi: Sequence[Tensor], sizes: Sequence[int], state0: tuple,
                      w: LayerWeights) -> tuple:
    """Outputs per step (in time order) and the final state, last step to first.

    A sequence enters when the loop reaches its last valid step, starting from its own row
    of the initial state.
    """
    outputs: list = [None] * len(sizes)
    state = state0
    if sizes[-1] < state0[0].shape[0]:
        state = tuple(s[:sizes[-1]] for s in state0)
    for t in range(len(sizes) - 1, -1, -1):
        have = state[0].shape[0]
        if sizes[t] > have:
            state = tuple(ops.cat([s, s0[have:sizes[t]]]) for s, s0 in zip(state, state0))
        state = step(gi[t], state, w)
        outputs[t] = state[0]
    return outputs, state


def run_layers(mode: str, data: Tensor, sizes: list[int], state0: tuple,
               weights: list[LayerWeights], num_directions: int, dropout: float,
               training: bool) -> tuple:
    """Run the whole stack on packed ``data``; returns ``(output data, final states)``.

    ``state0`` holds one ``(layers * directions, batch, features)`` tensor per state kind;
    the final states come back in the same layout. Dropout applies to the output of every
    layer but the last, in training only.
    """
    initial = [s.unbind(0) for s in state0]
    num_layers = len(weights) // num_directions
    finals = []
    x = data
    for layer in range(num_layers):
        outs = []
        for direction in range(num_directions):
            index = layer * num_directions + direction
            w = weights[index]
            gi = F.linear(x, w.w_ih, w.b_ih)
            start = tuple(s[index] for s in initial)
            if mode in FUSED_MODES and gi._data.dtype.kind == "f":
                out, final = run_fused(mode, gi, sizes, start, w.w_hh, w.b_hh, w.w_hr,
                                       direction == 1)
            else:
                out, final = composed_direction(mode, gi, sizes, start, w, direction == 1)
            outs.append(out)
            finals.append(final)
        x = outs[0] if num_directions == 1 else ops.cat(outs, 1)
        if dropout > 0 and training and layer < num_layers - 1:
            x = F.dropout(x, dropout, True)
    hidden = tuple(ops.stack([f[k] for f in finals]) for k in range(len(state0)))
    return x, hidden


def composed_direction(mode: str, gi: Tensor, sizes: list[int], start: tuple,
                       w: LayerWeights, reverse: bool) -> tuple:
    """One direction of one layer as ember ops, step by step: ``(output rows, final state)``.
    Used for dtypes the fused loop does not take, and to differentiate it twice."""
    run = _backward_in_time if reverse else _forward_in_time
    outputs, final = run(STEPS[mode], gi.split(sizes, 0), sizes, start, w)
    return ops.cat(outputs), final
