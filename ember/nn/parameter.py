"""``Parameter`` and ``Buffer``: tensors that a ``Module`` registers when they are assigned.

Assigning a ``Parameter`` to a module attribute adds it to the module's parameters (what an
optimizer updates and ``state_dict`` saves); assigning a ``Buffer`` adds a buffer (saved state
that is not trained, such as running statistics). ``UninitializedParameter`` and
``UninitializedBuffer`` are placeholders of lazy modules: they know their dtype and device
but not their shape until ``materialize`` turns them into ordinary ones.

>>> import ember
>>> p = Parameter(ember.ones(2))
>>> p
Parameter containing:
tensor([1., 1.], requires_grad=True)
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .._tensor import Tensor, _init_from, tensor_from_array

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


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


# The storage slot of every tensor; an uninitialized tensor hides it behind a property.
_DATA_SLOT = Tensor.__dict__["_data"]


def _public_caller() -> str:
    """The innermost calling function with a public or special name (``__add__``, ``sum``)."""
    frame = sys._getframe(3)
    while frame is not None:
        name = frame.f_code.co_name
        if not name.startswith("_") or name.startswith("__"):
            return name
        frame = frame.f_back
    return "an ember function"


def _uninitialized_use(tensor: Any) -> ValueError:
    caller = _public_caller()
    kind = type(tensor).__name__
    return ValueError(
        f"Attempted to use an uninitialized {'parameter' if 'Parameter' in kind else 'buffer'}"
        f" in {caller}. This error happens when you are using a `LazyModule` or explicitly "
        f"manipulating `ember.nn.parameter.{kind}` objects. When using LazyModules Call "
        "`forward` with a dummy batch to initialize the parameters before calling ember "
        "functions")


class _UninitializedTensor:
    """A tensor with a dtype and device but no shape yet; any use of its values raises.

    It keeps an empty array of the right dtype and device in the tensor's storage slot;
    ``materialize`` replaces it by an uninitialized array of the final shape and changes
    the object's class to ``cls_to_become``, so that everything holding it (a module, an
    optimizer) sees the ordinary tensor.
    """

    __slots__ = ()
    cls_to_become: type

    @property
    def _data(self) -> Any:
        raise _uninitialized_use(self)

    @_data.setter
    def _data(self, value: Any) -> None:
        _DATA_SLOT.__set__(self, value)

    def _placeholder(self) -> Tensor:
        """An empty ordinary tensor with this one's dtype and device."""
        return tensor_from_array(_DATA_SLOT.__get__(self))

    @property
    def shape(self) -> Any:
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    @property
    def dtype(self) -> Any:
        return self._placeholder().dtype

    @property
    def device(self) -> Any:
        return self._placeholder().device

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor its ``shape`` (uninitialized values) and make it ordinary."""
        from ..ops import empty
        like = self._placeholder()
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        data = empty(shape, device=like.device if device is None else device,
                     dtype=like.dtype if dtype is None else dtype)._data
        self.__class__ = self.cls_to_become
        _DATA_SLOT.__set__(self, data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (type(self), (self.requires_grad, None, self.dtype))


def _empty_like_spec(device: Any, dtype: Any) -> Tensor:
    from ..ops import empty
    return empty(0, device=device, dtype=dtype)


class UninitializedParameter(_UninitializedTensor, Parameter):
    """A parameter whose shape is not known yet (lazy modules create these).

    Args:
        requires_grad: as for ``Parameter`` (default True).
        device, dtype: those of the parameter to come.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,
                dtype: Any = None) -> UninitializedParameter:
        return super().__new__(cls, _empty_like_spec(device, dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        pass


class UninitializedBuffer(_UninitializedTensor, Tensor):
    """A buffer whose shape is not known yet (lazy modules create these)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device: Any = None,
                dtype: Any = None) -> UninitializedBuffer:
        buf = object.__new__(cls)
        _init_from(buf, _DATA_SLOT.__get__(_empty_like_spec(device, dtype)))
        buf._requires_grad = bool(requires_grad)
        return buf

    def __init__(self, requires_grad: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        pass


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is a parameter or buffer whose shape is not known yet."""
    return isinstance(param, _UninitializedTensor)
