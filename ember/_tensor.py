"""The Tensor: an array, its autograd state, and methods that call the ops.

A tensor wraps one backend array (``_data``). Views share both the array memory and the
version counter (``_version``, a one-element list) with their base, so that an in-place
change through any alias is seen by autograd's saved-tensor checks.
"""

from __future__ import annotations

import weakref
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from . import _dtype as D
from ._backend import CPU, array_module, as_device, device, device_of, to_device
from ._size import Size
from ._tensor_grad import check_grad as _check_grad
from ._tensor_grad import not_a_tensor as _not_a_tensor
from ._tensor_grad import warn_non_leaf_grad as _warn_non_leaf_grad
from .autograd.graph import AccumulateGrad, RemovableHandle
from .autograd.grad_mode import state as _grad_state

__all__ = ["Tensor", "tensor_from_array"]

_ndarray = np.ndarray
_generic = np.generic


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation."""

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_version", "_base",
                 "_output_nr", "_accumulator", "_retains_grad", "_saved_output_of",
                 "__weakref__")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # ``Tensor(2, 3)`` / ``Tensor([1, 2])`` as in torch's legacy constructor.
        from .ops.creation import _legacy_constructor
        _init_from(self, _legacy_constructor(*args, **kwargs)._data)

    # -- attributes ------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> D.dtype:
        return D._FROM_NP[self._data.dtype]

    @property
    def device(self) -> device:
        return CPU if type(self._data) is _ndarray else device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return type(self._data) is _ndarray

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None) -> tuple | int:
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        root = _root_array(self._data)
        return (self._data.__array_interface__["data"][0]
                - root.__array_interface__["data"][0]) // self._data.itemsize

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return self._data.flags.c_contiguous

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def _version_value(self) -> int:
        return self._version[0]

    # -- autograd state ----------------------------------------------------------------
    @property
    def grad(self) -> Tensor | None:
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self._retains_grad:
            _warn_non_leaf_grad()
        return grad

    @grad.setter
    def grad(self, grad: Tensor | None) -> None:
        if grad is not None:
            if not isinstance(grad, Tensor):
                raise _not_a_tensor(grad)
            if grad._data.dtype != self._data.dtype or grad._data.shape != self._data.shape:
                _check_grad(self, grad)  # raises the error that fits
        self._grad = grad

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        return tensor_from_array(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def _base_tensor(self) -> Tensor | None:
        return self._base

    def detach(self) -> Tensor:
        """A tensor sharing memory and version counter, cut from the graph."""
        out = tensor_from_array(self._data)
        out._version = self._version
        if self.grad_fn is not None:
            # Ops save their own outputs detached; an in-place change is then reported
            # as "output N of <op>", naming the producer as torch does.
            out._saved_output_of = (self._output_nr, weakref.ref(self.grad_fn))
        return out

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (a no-op on leaves)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        ref = weakref.ref(self)

        def keep(grad: Tensor) -> None:
            t = ref()
            if t is None:
                return
            # A private copy (with history under create_graph), then sums, as in torch.
            t.grad = grad.clone() if t.grad is None else t.grad + grad
        self.grad_fn._set_retain_hook(self._output_nr, keep)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may replace it.

        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 2).sum().backward()
        >>> x.grad
        tensor([20., 20.])
        >>> h.remove()
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        return self._grad_accumulator()._add_tensor_hook(0, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]
                                           ) -> RemovableHandle:
        """Call ``hook(tensor)`` after a gradient was accumulated into this leaf's ``.grad``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        return self._grad_accumulator()._add_post_accumulate_hook(hook)

    def _grad_accumulator(self) -> AccumulateGrad:
        if self._accumulator is None:
            self._accumulator = AccumulateGrad(self)
        return self._accumulator

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into the leaves' ``.grad``.

        ``gradient`` is required unless the tensor holds a single element.
        """
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def is_inference(self) -> bool:
        return False

    # -- conversion ----------------------------------------------------------------------
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item() if type(self._data) is _ndarray else \
            self._data.get().reshape(()).item()

    def tolist(self) -> Any:
        return np.asarray(self._numpy_host()).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if not force:
            if self._requires_grad:
                raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                                   "tensor.detach().numpy() instead.")
            if type(self._data) is not _ndarray:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use "
                    "Tensor.cpu() to copy the tensor to host memory first.")
        return self._numpy_host()

    def _numpy_host(self) -> np.ndarray:
        return self._data if type(self._data) is _ndarray else self._data.get()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self._numpy_host()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; no copy if same."""
        dev, dt, copy = _parse_to(self, args, kwargs)
        from .ops.creation import to_copy
        return to_copy(self, dt, dev, copy)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        return self.to(CPU)

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        dev = as_device(device) if device is not None else None
        return self.to(dev if dev is not None and dev.type == "cuda" else "cuda")

    def float(self) -> Tensor:
        return self.to(D.float32)

    def double(self) -> Tensor:
        return self.to(D.float64)

    def half(self) -> Tensor:
        return self.to(D.float16)

    def long(self) -> Tensor:
        return self.to(D.int64)

    def int(self) -> Tensor:
        return self.to(D.int32)

    def short(self) -> Tensor:
        return self.to(D.int16)

    def char(self) -> Tensor:
        return self.to(D.int8)

    def byte(self) -> Tensor:
        return self.to(D.uint8)

    def bool(self) -> Tensor:
        return self.to(D.bool)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"ember.{self.dtype._legacy}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            found = [d for d in D.ALL_DTYPES if d._legacy == name]
            if not found:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = found[0]
        return self.to(dtype)

    # -- python protocol -------------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self, tensor_contents)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and type(self) is Tensor:  # a Parameter formats as its text
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol: int):
        # Plain pickling (multiprocessing, deepcopy): array and requires_grad only.
        return (_rebuild_plain, (self._numpy_host(), self._requires_grad))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = type(self).__new__(type(self))
        _init_from(new, self._data.copy())
        new._requires_grad = self._requires_grad
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    __array_priority__ = 1000  # numpy defers to our reflected operators


def _rebuild_plain(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = tensor_from_array(arr)
    t._requires_grad = requires_grad
    return t


def _init_from(t: Tensor, data: Any) -> None:
    t._data = data
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._version = [0]
    t._base = None
    t._output_nr = 0
    t._accumulator = None
    t._retains_grad = False


_new = object.__new__


def tensor_from_array(data: Any) -> Tensor:
    """Wrap a backend array (no copy) in a fresh Tensor that does not require grad."""
    if type(data) is not _ndarray and isinstance(data, (_generic, int, float, bool, complex)):
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._version = [0]
    t._base = None
    t._output_nr = 0
    t._accumulator = None
    t._retains_grad = False
    return t


def _root_array(arr: Any) -> Any:
    while isinstance(arr.base, type(arr)):
        arr = arr.base
    return arr


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def _parse_to(t: Tensor, args: tuple, kwargs: dict):
    dev = kwargs.pop("device", None)
    dt = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments: {sorted(kwargs)}")
    for a in args:
        if isinstance(a, D.dtype):
            dt = a
        elif isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, str):
            dev = _device_string(a)
        elif isinstance(a, (device, int)) and not isinstance(a, bool):
            dev = as_device(a)
        elif isinstance(a, bool):
            copy = a  # to(dtype, non_blocking, copy) positional flags: only copy matters here
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__}), but expected a device, a dtype or a Tensor")
    return as_device(dev), dt, copy


def _device_string(name: str) -> device:
    try:
        return as_device(name)
    except RuntimeError:
        raise RuntimeError(f"Invalid device string: '{name}'") from None


_ = (_grad_state, array_module, to_device)
