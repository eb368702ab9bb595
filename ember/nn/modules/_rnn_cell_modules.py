"""Single-step recurrent cells: ``RNNCell``, ``LSTMCell`` and ``GRUCell``.

Each takes one time step, ``(B, input_size)`` or an unbatched ``(input_size,)``, and the
previous state (zeros when omitted), and returns the next state. The arithmetic is the same
step the stacked layers run.
"""

from __future__ import annotations

import math
from typing import Any

from ... import ops
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ._rnn_cells import STEPS, LayerWeights
from .module import Module

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """Parameters shared by the cells: ``weight_ih`` ``(num_chunks * hidden_size,
    input_size)``, ``weight_hh`` ``(num_chunks * hidden_size, hidden_size)`` and, with
    ``bias``, ``bias_ih`` and ``bias_hh``; all uniform in ``[-1/sqrt(hidden_size),
    1/sqrt(hidden_size)]``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(ops.empty((gates, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(ops.empty((gates, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(ops.empty(gates, device=device, dtype=dtype))
            self.bias_hh = Parameter(ops.empty(gates, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        nonlinearity = self.__dict__.get("nonlinearity", "tanh")
        if nonlinearity != "tanh":
            text += f", nonlinearity={nonlinearity}"
        return text

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _check_ranks(self, input: Tensor, hidden: tuple, names: tuple) -> None:
        cell = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{cell}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for name, h in zip(names, hidden):
            if h.dim() not in (1, 2):
                raise ValueError(f"{cell}: Expected {name} to be 1D or 2D, got {h.dim()}D "
                                 "instead")

    def _check_sizes(self, input: Tensor, hidden: tuple) -> None:
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for i, h in enumerate(hidden):
            if h.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                                   f"batch size {h.size(0)}")
            if h.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.size(1)}, "
                                   f"expected {self.hidden_size}")

    def _step(self, mode: str, input: Tensor, hidden: tuple | None, count: int,
              names: tuple) -> tuple:
        """Checks, the unbatched case and the zero state around one step of ``mode``."""
        self._check_ranks(input, hidden or (), names)
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hidden is None:
            zeros = ops.zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            hidden = (zeros,) * count
        elif not batched:
            hidden = tuple(h.unsqueeze(0) for h in hidden)
        self._check_sizes(input, hidden)
        weights = LayerWeights(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        gi = F.linear(input, weights.w_ih, weights.b_ih)
        state = STEPS[mode](gi, tuple(hidden), weights)
        return state if batched else tuple(s.squeeze(0) for s in state)


class RNNCell(RNNCellBase):
    """``h' = act(W_ih x + b_ih + W_hh h + b_hh)`` with ``act`` tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            self._check_ranks(input, () if hx is None else (hx,), ("hidden",))
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, input, None if hx is None else (hx,), 1, ("hidden",))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; takes and returns the pair ``(h, c)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor,
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return self._step("LSTM", input, None if hx is None else tuple(hx), 2,
                          ("hx[0]", "hx[1]"))


class GRUCell(RNNCellBase):
    """One GRU step; takes and returns the hidden state ``h``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step("GRU", input, None if hx is None else (hx,), 1, ("hidden",))[0]
