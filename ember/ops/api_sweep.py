"""Remaining torch functions and Tensor methods: device and layout queries, the legacy
``Tensor.new`` constructor, element-wise Python callbacks (``map_``), DLPack exchange with
other array libraries, and (from ``_api_sweep_more``) the ``*_copy`` forms of views and
a few top-level functions.

Ember tensors live in ordinary host memory with a strided layout, so every query about
sparse, quantized, nested or accelerator-specific storage answers False.

>>> x = ember.ones(2, 3)
>>> x.layout, x.is_sparse, x.dim_order()
(ember.strided, False, (0, 1))
>>> ember.permute_copy(x, (1, 0)).shape
ember.Size([3, 2])
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import device as _device
from .._size import Size
from ._api_sweep_more import *  # noqa: F403
from ._api_sweep_more import __all__ as _more_all
from ._api_sweep_more import TENSOR_METHODS as _MORE_METHODS
from ._core import Tensor, wrap

__all__ = ["layout", "strided", "from_dlpack", "to_dlpack", "set_default_device",
           "nonzero_static", "igamma", "igammac", *_more_all]


class layout:
    """How a tensor's elements are stored; ember tensors are always ``ember.strided``."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"ember.{self._name}"

    def __reduce__(self) -> str:
        return self._name


strided = layout("strided")


# -- queries -----------------------------------------------------------------------------------
def _always_false(self: Tensor) -> bool:
    return False


is_meta = is_sparse = is_sparse_csr = is_quantized = is_nested = property(_always_false)
is_mkldnn = is_mps = is_xla = is_xpu = is_ipu = is_maia = is_mtia = property(_always_false)
is_vulkan = property(_always_false)
layout_of = property(lambda self: strided, doc="The storage layout: always ember.strided.")


def _output_nr(self: Tensor) -> int:
    return self._output_nr if self.grad_fn is not None else 0


output_nr = property(_output_nr, doc="Which output of its grad_fn this tensor is.")
grad_dtype = property(lambda self: self.dtype, doc="The dtype a gradient of this tensor has.")


def is_pinned(self: Tensor, device: Any = None) -> bool:
    """Host memory is never page-locked in ember."""
    return False


def pin_memory(self: Tensor, device: Any = None) -> Tensor:
    raise RuntimeError("Cannot access accelerator device when none is available.")


_SHARED: dict = {}  # id of a shared root array -> a weak reference to it


def _root(array: Any) -> Any:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def is_shared(self: Tensor) -> bool:
    ref = _SHARED.get(id(_root(self._data)))
    return ref is not None and ref() is _root(self._data)


def share_memory_(self: Tensor) -> Tensor:
    """Mark the tensor's memory as shared. Ember's memory already lives in the process that
    uses it, so this only records the request (for ``is_shared``)."""
    root = _root(self._data)
    key = id(root)
    _SHARED[key] = weakref.ref(root, lambda _, k=key: _SHARED.pop(k, None))
    return self


def to_dense(self: Tensor, dtype: Any = None, *, masked_grad: bool | None = None) -> Tensor:
    return self if dtype is None else self.to(dtype)


def const_data_ptr(self: Tensor) -> int:
    return self.data_ptr()


def dim_order(self: Tensor, *, ambiguity_check: bool | list = False) -> tuple:
    """Dimensions from the outermost in memory to the innermost (largest stride first)."""
    strides, shape = self.stride(), self.shape
    order = sorted(range(len(shape)), key=lambda d: -strides[d])
    if ambiguity_check is not False:
        distinct = len(set(strides)) == len(strides) and 1 not in tuple(shape)
        if not distinct:
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to "
                               "exact one of the given memory formats.")
    return tuple(order)


def as_subclass(self: Tensor, cls: type) -> Any:
    """The same tensor viewed as an instance of the Tensor subclass ``cls``."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                        "Tensor is not possible. Make sure your class inherits from Tensor.")
    out = object.__new__(cls)
    for slot in Tensor.__slots__:
        if slot != "__weakref__" and hasattr(self, slot):
            setattr(out, slot, getattr(self, slot))
    out._data = self._data
    return out


# -- legacy constructor --------------------------------------------------------------------------
_NEW_SIGNATURES = (" * (*, ember.device device = None)\n{why} * (ember.Storage storage)\n"
                   " * (Tensor other)\n * (tuple of ints size, *, ember.device device = None)\n"
                   " * (object data, *, ember.device device = None)\n")


def new(self: Tensor, *args: Any, device: Any = None, **kwargs: Any) -> Tensor:
    """Legacy constructor: a tensor with ``self``'s dtype from sizes, data or a tensor."""
    if kwargs:
        got = ", ".join([type(a).__name__ for a in args]
                        + [f"{k}={type(v).__module__.split('.')[0]}.{type(v).__name__}"
                           for k, v in kwargs.items()])
        why = ("      didn't match because some of the keywords were incorrect: "
               f"{', '.join(kwargs)}\n")
        raise TypeError(f"new() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n" + _NEW_SIGNATURES.format(why=why))
    if device is not None and _device(device).type != "cpu":
        raise RuntimeError(f"legacy constructor expects device type: cpu but device type: "
                           f"{_device(device).type} was passed")
    dtype = self._data.dtype
    if len(args) == 1 and isinstance(args[0], Tensor):
        return _new_from_tensor(self, args[0])
    if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
        data = args[0]
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return wrap(np.array(data, dtype=dtype))
    sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
    for i, s in enumerate(sizes):
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} "
                            f"with error \"type must be tuple of ints,but got "
                            f"{type(s).__name__}\"")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(sizes)}")
    return wrap(np.zeros(tuple(int(s) for s in sizes) if sizes else (0,), dtype=dtype))


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _options(dtype: np.dtype) -> str:
    name = str(D.from_np(dtype)).split(".")[-1]
    return (f"TensorOptions(dtype={_CPP_NAMES.get(name, name)}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


def _new_from_tensor(self: Tensor, other: Tensor) -> Tensor:
    """``self.new(other)``: an alias of ``other`` when the dtypes agree."""
    if other._data.dtype != self._data.dtype:
        raise TypeError(f"expected {_options(self._data.dtype)} (got "
                        f"{_options(other._data.dtype)})")
    out = wrap(other._data)
    out._version = other._version
    return out


# -- deprecated out-of-place resizes ---------------------------------------------------------------
def resize(self: Tensor, *sizes: Any) -> Tensor:
    """A reshaped copy; only the shape may change, never the number of elements."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list, Size)):
        sizes = tuple(sizes[0])
    return _resize_keeping_numel(self, tuple(int(s) for s in sizes))


def resize_as(self: Tensor, tensor: Tensor) -> Tensor:
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return _resize_keeping_numel(self, tuple(tensor.shape))


def _resize_keeping_numel(self: Tensor, sizes: tuple) -> Tensor:
    from ._api_sweep_more import renamed_copy
    numel = int(np.prod(sizes, dtype=np.int64))
    if numel != self.numel():
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, sizes))} ({numel} elements in total), but "
            f"the given tensor has a size of {'x'.join(map(str, self.shape))} "
            f"({self.numel()} elements). autograd's resize can only change the shape of a "
            "given tensor, while preserving the number of elements. ")
    return renamed_copy(self.reshape(sizes), "ResizeBackward")


# -- element-wise Python callbacks --------------------------------------------------------------
def map_(self: Tensor, tensor: Tensor, callable: Callable) -> Tensor:
    """``self[i] = callable(self[i], tensor[i])`` with ``tensor`` broadcast to ``self``."""
    return _map_into(self, "map_", (tensor,), callable)


def map2_(self: Tensor, x: Tensor, y: Tensor, callable: Callable) -> Tensor:
    return _map_into(self, "map2_", (x, y), callable)


def _map_into(self: Tensor, name: str, others: tuple, fn: Callable) -> Tensor:
    if self._requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")
    labels = ("other",) if len(others) == 1 else ("x", "y")
    for label, other in zip(labels, others):
        if other._data.dtype != self._data.dtype:
            raise TypeError(f"{name}: expected {_legacy_name(self)} for '{label}' (got "
                            f"{_legacy_name(other)})")
    arrays = [o.expand(self.shape)._data for o in others]
    convert = float if self._data.dtype.kind == "f" else (
        bool if self._data.dtype.kind == "b" else int if self._data.dtype.kind in "iu"
        else complex)
    flat = self._data.reshape(-1) if self._data.flags.c_contiguous else None
    values = [_number(fn(*(convert(v) for v in items)))
              for items in zip(self._data.reshape(-1).tolist(),
                               *(a.reshape(-1).tolist() for a in arrays))]
    result = np.array([convert(v) for v in values], dtype=self._data.dtype)
    if flat is not None:
        flat[...] = result
    else:
        self._data[...] = result.reshape(self._data.shape)
    self._version[0] += 1
    return self


def _number(value: Any) -> Any:
    if not isinstance(value, (int, float, complex, np.number, np.bool_)):
        raise TypeError(f"must be real number, not {type(value).__name__}")
    return value


def _legacy_name(t: Tensor) -> str:
    from .signal import _LEGACY_NAMES
    name = str(t.dtype).split(".")[-1]
    return f"ember.{_LEGACY_NAMES.get(name, name)}Tensor"


# -- small functions -----------------------------------------------------------------------------
def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """The indices of the nonzero elements, cut or padded with ``fill_value`` to ``size``
    rows (a fixed output shape)."""
    if not isinstance(size, (int, np.integer)) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = np.argwhere(np.asarray(input._data)).astype(np.int64)[:size]
    out = np.full((int(size), input._data.ndim), fill_value, dtype=np.int64)
    out[:len(found)] = found
    return wrap(out)


def hardshrink(self: Tensor, lambd: float = 0.5) -> Tensor:
    from ..nn import functional as F
    return F.hardshrink(self, lambd)


def prelu(self: Tensor, weight: Tensor) -> Tensor:
    from ..nn import functional as F
    return F.prelu(self, weight)


def igamma(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The regularised lower incomplete gamma function (``ember.special.gammainc``)."""
    from .. import special
    return special.gammainc(input, other, out=out)


def igammac(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The regularised upper incomplete gamma function (``ember.special.gammaincc``)."""
    from .. import special
    return special.gammaincc(input, other, out=out)


def igamma_(self: Tensor, other: Tensor) -> Tensor:
    from ._binary import _inplace
    return _inplace(self, igamma(self, other))


def igammac_(self: Tensor, other: Tensor) -> Tensor:
    from ._binary import _inplace
    return _inplace(self, igammac(self, other))


def set_default_device(device: Any) -> None:
    """Ember creates tensors on the cpu; only that (or None) is accepted as the default."""
    if device is not None and _device(device).type != "cpu":
        raise RuntimeError(f"ember.set_default_device: ember's factory functions always "
                           f"create tensors on the cpu; pass device={str(_device(device))!r} "
                           f"to them or call .to() instead of changing the default")


# -- DLPack -------------------------------------------------------------------------------------
def __dlpack__(self: Tensor, stream: Any = None, *, max_version: tuple | None = None,
               dl_device: Any = None, copy: bool | None = None) -> Any:
    if self._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    kwargs = {"max_version": max_version} if max_version is not None else {}
    if copy is not None:
        kwargs["copy"] = copy
    return self._data.__dlpack__(stream=stream, **kwargs)


def __dlpack_device__(self: Tensor) -> tuple:
    return self._data.__dlpack_device__()


class _Capsule:
    """Presents a bare DLPack capsule through the ``__dlpack__`` protocol NumPy reads."""

    def __init__(self, capsule: Any) -> None:
        self._capsule = capsule

    def __dlpack__(self, stream: Any = None, **kwargs: Any) -> Any:
        return self._capsule

    def __dlpack_device__(self) -> tuple:
        return (1, 0)


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with another library's host array (or a DLPack capsule)."""
    source = ext_tensor if hasattr(ext_tensor, "__dlpack__") else _Capsule(ext_tensor)
    return wrap(np.from_dlpack(source))


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule over ``tensor``'s memory."""
    return tensor._data.__dlpack__()


TENSOR_METHODS = ("is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_nested",
                  "is_mkldnn", "is_mps", "is_xla", "is_xpu", "is_ipu", "is_maia", "is_mtia",
                  "is_vulkan", "is_pinned", "pin_memory", "is_shared", "share_memory_",
                  "output_nr", "grad_dtype", "dim_order", "new", "to_dense", "nonzero_static",
                  "hardshrink", "prelu", "igamma", "igammac", "igamma_", "igammac_",
                  "as_subclass", "const_data_ptr", "map_", "map2_", "resize", "resize_as",
                  "__dlpack__", "__dlpack_device__", *_MORE_METHODS)
Tensor.layout = layout_of
