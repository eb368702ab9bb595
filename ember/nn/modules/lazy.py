"""Lazy layers, whose parameter shapes are inferred from the first input.

A lazy layer starts with ``UninitializedParameter`` (and ``UninitializedBuffer``)
placeholders and an input size of 0. Its first ``forward`` reads the input size, gives the
placeholders their shapes, initializes them as the ordinary layer would and turns the module
into that ordinary layer (``LazyLinear`` becomes ``Linear``); the call then runs as usual.

>>> import ember
>>> from ember import nn
>>> layer = nn.LazyLinear(5)
>>> layer
LazyLinear(in_features=0, out_features=5, bias=True)
>>> layer(ember.ones(2, 3)).shape
ember.Size([2, 5])
>>> layer
Linear(in_features=3, out_features=5, bias=True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..._tensor import Tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .linear import Linear
from .norm_more import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .normalization import BatchNorm1d, BatchNorm2d
from .volumetric import BatchNorm3d, Conv3d, ConvTranspose3d

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """What every lazy layer shares: the first-call initialization and the class swap.

    A subclass defines ``cls_to_become`` (the ordinary layer) and
    ``initialize_parameters(*inputs)``, which materializes the placeholders.
    """

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters,
                                                               with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module is still a placeholder."""
        members = list(self._parameters.values()) + list(self._buffers.values())
        return any(is_lazy(t) for t in members)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        # Placeholders are saved as themselves (they have no values to detach); the others
        # are saved as usual, around them so that the key order stays the module's.
        lazy = {}
        for store in (self._parameters, self._buffers):
            for name, tensor in store.items():
                if is_lazy(tensor):
                    lazy[name] = (store, tensor)
                    store[name] = None
        try:
            super()._save_to_state_dict(destination, prefix, keep_vars)
        finally:
            for name, (store, tensor) in lazy.items():
                store[name] = tensor
        if lazy:
            saved = dict(destination)
            for key in [k for k in saved if k.startswith(prefix)]:
                del destination[key]
            for store in (self._parameters, self._buffers):
                for name, tensor in store.items():
                    key = prefix + name
                    if name in lazy and name not in self._non_persistent_buffers_set:
                        destination[key] = tensor
                    elif key in saved:
                        destination[key] = saved[key]
            for key, value in saved.items():  # extra state, if any, stays last
                if key.startswith(prefix) and key not in destination:
                    destination[key] = value

    def _plan_load(self, state_dict: Mapping, prefix: str, plan: Any) -> None:
        # A placeholder takes the shape of the tensor loaded into it, then loads as usual.
        for store in (self._parameters, self._buffers):
            for name, tensor in store.items():
                value = state_dict.get(prefix + name)
                if is_lazy(tensor) and value is not None and not is_lazy(value):
                    tensor.materialize(tuple(value.shape))
        super()._plan_load(state_dict, prefix, plan)

    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Any:
        # Placeholders follow dtype and device conversions through an empty stand-in;
        # the ordinary conversion skips them (they sit out as None meanwhile).
        waiting = []
        for store in (self._parameters, self._buffers):
            for name, tensor in store.items():
                if is_lazy(tensor):
                    tensor._data = fn(tensor._placeholder())._data
                    waiting.append((store, name, tensor))
                    store[name] = None
        try:
            return super()._apply(fn)
        finally:
            for store, name, tensor in waiting:
                store[name] = tensor


def _infer_parameters(module: Any, args: tuple, kwargs: dict) -> None:
    """Forward pre-hook of a lazy module: initialize from the first input, then become the
    ordinary layer, whose ``forward`` runs next."""
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last size of the first input.

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if not self.has_uninitialized_params():  # loaded from a state_dict
            self.in_features = self.weight.shape[1]
            return
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """Convolutions whose ``in_channels`` is the channel size of the first input."""

    def _make_placeholders(self, out_channels: int, bias: bool, device: Any,
                           dtype: Any) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        unbatched = self._dims + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D "
                               f"(batched) input to {type(self).__name__}, but got input of "
                               f"size: {input.shape}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if not self.has_uninitialized_params():  # loaded from a state_dict
            shape = self.weight.shape
            self.in_channels = shape[0] if self._transposed else shape[1] * self.groups
            return
        self.in_channels = self._get_in_channels(input)
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize(shape + self.kernel_size)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class _LazyNormMixin(LazyModuleMixin):
    """Batch norms whose ``num_features`` is the channel size of the first input."""

    def _make_placeholders(self, affine: bool, track_running_stats: bool, bias: bool,
                           device: Any, dtype: Any) -> None:
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if not self.has_uninitialized_params():  # loaded from a state_dict, or nothing to size
            sized = [t for t in (self.weight, self.running_mean) if t is not None]
            if sized:
                self.num_features = sized[0].shape[0]
            return
        self.num_features = input.shape[1]
        for tensor in (self.weight, self.bias, self.running_mean, self.running_var):
            if is_lazy(tensor):
                tensor.materialize((self.num_features,))
        self.reset_parameters()


def _lazy_conv(base: type) -> type:
    """A lazy form of a convolution: ``in_channels`` comes from the first input."""
    transposed = issubclass(base, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d))
    if transposed:
        def __init__(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
                     device: Any = None, dtype: Any = None) -> None:
            LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, output_padding,
                                     groups, False, dilation, padding_mode)
            self._make_placeholders(out_channels, bias, device, dtype)
    else:
        def __init__(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                     padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                     padding_mode: str = "zeros", device: Any = None,
                     dtype: Any = None) -> None:
            LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, dilation,
                                     groups, False, padding_mode)
            self._make_placeholders(out_channels, bias, device, dtype)
    return _lazy_class(base, _LazyConvMixin, __init__,
                       f"``{base.__name__}`` whose ``in_channels`` is inferred from the first "
                       "input.")


def _lazy_class(base: type, mixin: type, init: Any, doc: str) -> type:
    name = f"Lazy{base.__name__}"
    return type(name, (mixin, base), {"__init__": init, "cls_to_become": base,
                                      "__doc__": doc, "__module__": __name__,
                                      "__qualname__": name})


LazyConv1d = _lazy_conv(Conv1d)
LazyConv2d = _lazy_conv(Conv2d)
LazyConv3d = _lazy_conv(Conv3d)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d)


def _lazy_norm(base: type) -> type:
    """A lazy form of a batch or instance norm: torch gives all of them one constructor,
    with affine parameters and running statistics on by default."""
    def __init__(self: Any, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        LazyModuleMixin.__init__(self, 0, eps, momentum, False, track_running_stats, device,
                                 dtype)
        self.affine = affine
        self._make_placeholders(affine, track_running_stats, bias, device, dtype)
    return _lazy_class(base, _LazyNormMixin, __init__,
                       f"``{base.__name__}`` whose ``num_features`` is inferred from the first "
                       "input.")


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
