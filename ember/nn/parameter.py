"""``Parameter`` and ``Buffer``: tensors that a ``Module`` registers when they are assigned.

Assigning a ``Parameter`` to a module attribute adds it to the module's parameters (what an
optimizer updates and ``state_dict`` saves); assigning a ``Buffer`` adds a buffer (saved state
that is not trained, such as running statistics).

>>> import ember
>>> p = Parameter(ember.ones(2))
>>> p
Parameter containing:
tensor([1., 1.], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _init_from, tensor_from_array

__all__ = ["Parameter", "Buffer", "is_lazy"]


def _plain_data(data: Tensor | None) -> Tensor:
    if data is None:
        return tensor_from_array(np.empty((0,), dtype=np.float32))
    if not isinstance(data, Tensor):
        raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
    return data


class Parameter(Tensor):
    """A tensor that is a module parameter: ``requires_grad`` defaults to True.

    The parameter shares memory (and the version counter) with ``data``, as in torch.

    Args:
        data: the initial value (an empty float tensor when omitted).
        requires_grad: whether autograd records operations on it (default True).
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        src = _plain_data(data)
        if requires_grad and src._data.dtype.kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients")
        param = object.__new__(cls)
        _init_from(param, src._data)
        param._version = src._version
        param._requires_grad = bool(requires_grad)
        return param

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        # Everything happens in __new__; Tensor.__init__ would rebuild the data.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild_parameter, (self._numpy_host(), self._requires_grad))


def _rebuild_parameter(array: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(tensor_from_array(array), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a module attribute.

    Args:
        data: the buffer's value.
        persistent: whether ``state_dict`` includes it (default True).
    """

    __slots__ = ("persistent",)

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        src = _plain_data(data)
        buf = object.__new__(cls)
        _init_from(buf, src._data)
        buf._version = src._version
        buf._requires_grad = src._requires_grad
        buf.persistent = persistent
        return buf

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass

    def as_plain(self) -> Tensor:
        """The plain tensor the module stores (same memory and version counter)."""
        t = tensor_from_array(self._data)
        t._version = self._version
        t._requires_grad = self._requires_grad
        return t

    def __repr__(self) -> str:
        return repr(self.as_plain())


def is_lazy(param: Any) -> bool:
    """ember has no lazily-shaped parameters; kept for code that asks."""
    return False
