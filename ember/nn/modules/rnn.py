"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

The layers run a whole sequence, ``(T, B, input_size)`` (``(B, T, input_size)`` with
``batch_first``, or an unbatched ``(T, input_size)``, or a
:class:`~ember.nn.utils.rnn.PackedSequence`), through ``num_layers`` stacked recurrences,
optionally in both directions; the cells compute one time step.

>>> import ember
>>> from ember import nn
>>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
>>> output, (h_n, c_n) = lstm(ember.randn(3, 5, 10))
>>> output.shape, h_n.shape, c_n.shape
(ember.Size([3, 5, 20]), ember.Size([2, 3, 20]), ember.Size([2, 3, 20]))
>>> nn.GRUCell(10, 20)(ember.randn(3, 10)).shape
ember.Size([3, 20])
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ... import ops
from ..._tensor import Tensor
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._rnn_cell_modules import GRUCell, LSTMCell, RNNCell, RNNCellBase
from ._rnn_cells import LayerWeights, run_layers
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_FIELDS = {"weight_ih": "w_ih", "weight_hh": "w_hh", "bias_ih": "b_ih", "bias_hh": "b_hh",
           "weight_hr": "w_hr"}


def _check_options(input_size: Any, hidden_size: Any, num_layers: int, bias: Any,
                   batch_first: Any, dropout: Any, proj_size: int) -> None:
    """torch's checks of the layer options, in torch's order."""
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=4)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                            f"{type(value).__name__}")
        if kind is int and value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the stacked parameters, the argument checks and the
    forward over padded, unbatched or packed input.

    Parameters per layer ``k`` (``_reverse`` appended for the backward direction):
    ``weight_ih_l{k}`` ``(gates * hidden_size, layer input)``, ``weight_hh_l{k}``
    ``(gates * hidden_size, hidden or proj size)``, then with ``bias`` ``bias_ih_l{k}`` and
    ``bias_hh_l{k}``, then with ``proj_size`` ``weight_hr_l{k}`` ``(proj_size,
    hidden_size)``. All start uniform in ``[-1/sqrt(hidden_size), 1/sqrt(hidden_size)]``.
    """

    _input_rank_error = "{name}: Expected input to be 2D or 3D, got {rank}D instead"

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_options(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                       proj_size)
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(2 if bidirectional else 1):
                self._add_layer(layer, "_reverse" if direction else "", device, dtype)
        self.reset_parameters()

    def _add_layer(self, layer: int, suffix: str, device: Any, dtype: Any) -> None:
        gates = _GATES[self.mode] * self.hidden_size
        fed_back = self.proj_size or self.hidden_size
        inputs = self.input_size if layer == 0 else fed_back * (1 + self.bidirectional)
        shapes = {"weight_ih": (gates, inputs), "weight_hh": (gates, fed_back)}
        if self.bias:
            shapes.update(bias_ih=(gates,), bias_hh=(gates,))
        if self.proj_size:
            shapes["weight_hr"] = (self.proj_size, self.hidden_size)
        names = []
        for kind, shape in shapes.items():
            name = f"{kind}_l{layer}{suffix}"
            setattr(self, name, Parameter(ops.empty(shape, device=device, dtype=dtype)))
            names.append(name)
        self._flat_weights_names.extend(names)
        self._all_weights.append(names)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Nothing to do: ember keeps no fused weight buffer."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _layer_weights(self) -> list[LayerWeights]:
        # Looked up by name on every call, so replaced or reparametrized weights are seen.
        return [LayerWeights(**{_FIELDS[name.split("_l")[0]]: getattr(self, name)
                                for name in names}) for names in self._all_weights]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # -- argument checks, with torch's messages ---------------------------------------------
    def check_input(self, input: Tensor, batch_sizes: Tensor | None) -> None:
        weight_dtype = getattr(self, self._flat_weights_names[0]).dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: "
                f"model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _mini_batch(self, input: Tensor, batch_sizes: Tensor | None) -> int:
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input: Tensor,
                                 batch_sizes: Tensor | None) -> tuple[int, int, int]:
        return (self.num_layers * (1 + self.bidirectional), self._mini_batch(input, batch_sizes),
                self.proj_size or self.hidden_size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor,
                           batch_sizes: Tensor | None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx: Tensor, permutation: Tensor | None) -> Tensor:
        return hx if permutation is None else hx.index_select(1, permutation)

    # -- the hidden state in torch's form (a tensor; LSTM: a pair) and as a tuple -----------
    def _zero_hidden(self, batch: int, like: Tensor) -> Any:
        return ops.zeros(self.num_layers * (1 + self.bidirectional), batch, self.hidden_size,
                         dtype=like.dtype)

    def _unsqueeze_hidden(self, hx: Any, batched: bool) -> Any:
        """hx for an unbatched or batched input, after torch's rank checks."""
        rank = 3 if batched else 2
        if hx.dim() != rank:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx should also be {rank}-D but got "
                               f"{hx.dim()}-D tensor")
        return hx if batched else hx.unsqueeze(1)

    def _squeeze_hidden(self, hidden: Any) -> Any:
        return hidden.squeeze(1)

    def _as_states(self, hidden: Any) -> tuple:
        return (hidden,)

    def _from_states(self, states: tuple) -> Any:
        return states[0]

    # -- forward ------------------------------------------------------------------------------
    def forward(self, input: Any, hx: Any = None) -> tuple:
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() not in (2, 3):
            raise ValueError(self._input_rank_error.format(name=type(self).__name__,
                                                           rank=input.dim()))
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            hx = self._zero_hidden(input.size(batch_dim), input)
        else:
            hx = self._unsqueeze_hidden(hx, batched)
        self.check_forward_args(input, hx, None)
        steps_first = input.transpose(0, 1) if self.batch_first else input
        steps, batch = steps_first.shape[0], steps_first.shape[1]
        if steps == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        data = steps_first.reshape(steps * batch, self.input_size)
        out, hidden = self._run(data, [batch] * steps, hx)
        out = out.reshape(steps, batch, out.shape[-1])
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            return out.squeeze(batch_dim), self._squeeze_hidden(hidden)
        return out, hidden

    def _forward_packed(self, packed: PackedSequence, hx: Any) -> tuple:
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        sizes = [int(size) for size in batch_sizes.tolist()]
        if hx is None:
            hx = self._zero_hidden(sizes[0] if sizes else 0, data)
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(data, hx, batch_sizes)
        out, hidden = self._run(data, sizes, hx)
        return (PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices),
                self.permute_hidden(hidden, unsorted_indices))

    def _run(self, data: Tensor, sizes: list[int], hx: Any) -> tuple:
        out, states = run_layers(self.mode, data, sizes, self._as_states(hx),
                                 self._layer_weights(), 1 + self.bidirectional, self.dropout,
                                 self.training)
        return out, self._from_states(states)


class RNN(RNNBase):
    """Elman recurrence ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` with ``act``
    tanh or relu; returns ``(output, h_n)``."""

    _input_rank_error = "{name}: Expected input to be 2D or 3D, got {rank}D tensor instead"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, **unsupported: Any) -> None:
        _refuse_unsupported(type(self).__name__, unsupported)
        self.nonlinearity = nonlinearity
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit (gates reset, update, new); returns ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None,
                 **unsupported: Any) -> None:
        _refuse_unsupported(type(self).__name__, unsupported)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


def _refuse_unsupported(name: str, unsupported: dict) -> None:
    if "proj_size" in unsupported:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    for key in unsupported:
        raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{key}'")


class LSTM(RNNBase):
    """Long short-term memory (gates input, forget, cell, output), optionally projecting
    the hidden state to ``proj_size``; takes and returns ``(h, c)`` pairs:
    ``output, (h_n, c_n) = lstm(input, (h_0, c_0))``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def get_expected_cell_size(self, input: Tensor,
                               batch_sizes: Tensor | None) -> tuple[int, int, int]:
        return (self.num_layers * (1 + self.bidirectional), self._mini_batch(input, batch_sizes),
                self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden: tuple[Tensor, Tensor],  # type: ignore[override]
                           batch_sizes: Tensor | None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx: tuple[Tensor, Tensor],  # type: ignore[override]
                       permutation: Tensor | None) -> tuple[Tensor, Tensor]:
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _zero_hidden(self, batch: int, like: Tensor) -> tuple[Tensor, Tensor]:
        layers = self.num_layers * (1 + self.bidirectional)
        return (ops.zeros(layers, batch, self.proj_size or self.hidden_size, dtype=like.dtype),
                ops.zeros(layers, batch, self.hidden_size, dtype=like.dtype))

    def _unsqueeze_hidden(self, hx: Any, batched: bool) -> tuple[Tensor, Tensor]:
        rank = 3 if batched else 2
        if hx[0].dim() != rank or hx[1].dim() != rank:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx and cx should also be {rank}-D but got "
                               f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        return tuple(hx) if batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))

    def _squeeze_hidden(self, hidden: Any) -> tuple[Tensor, Tensor]:
        return hidden[0].squeeze(1), hidden[1].squeeze(1)

    def _as_states(self, hidden: Any) -> tuple:
        return tuple(hidden)

    def _from_states(self, states: tuple) -> tuple:
        return states
