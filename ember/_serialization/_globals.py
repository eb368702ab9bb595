"""The names a checkpoint may mention, and what each one becomes in ember.

A pickle can name any importable object and call it. With ``weights_only=True`` ember never
imports a name from the file: it looks the name up in ``ALLOWLIST`` below, where every
callable is a small function of ember's own that checks its arguments. The same table maps
torch's names to ember objects for trusted (``weights_only=False``) loads.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pickle import UnpicklingError
from typing import Any

from .. import _dtype as D
from .._backend import device
from .._size import Size
from .._tensor import Tensor
from ._storage import STORAGE_TYPES, build_tensor, make_parameter

__all__ = ["Allowed", "ALLOWLIST", "UNSUPPORTED", "PY2_MODULES", "check_key", "refusal"]

# Python 2 spellings that protocol 0-2 pickles use for builtins.
PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class Allowed:
    """A callable a checkpoint may invoke (by REDUCE or NEWOBJ): an ember-owned checker."""

    __slots__ = ("qualname", "fn", "newobj", "charged")

    def __init__(self, qualname: str, fn: Callable, newobj: bool = False,
                 charged: bool = False) -> None:
        self.qualname = qualname
        self.fn = fn
        self.newobj = newobj  # may also be built with NEWOBJ (it is a class in the original)
        self.charged = charged  # takes ``charge=``, to bill work beyond its arguments' size

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def __repr__(self) -> str:
        return f"<allowed {self.qualname}>"


class _TypeMarker:
    """Stands for a tensor class named by ``_rebuild_from_type_v2``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


PARAMETER = _TypeMarker("Parameter")

# -- keys ------------------------------------------------------------------------------------
# Dict keys and set members get hashed and compared. Hashing nested tuples is not bounded by
# the file size (a tuple can hold the same tuple twice, 2**depth work), so keys are limited to
# small shapes of cheap-to-hash values, and the checking itself is billed to the load's budget.
_MAX_KEY_NODES = 64
_MAX_KEY_DEPTH = 16
_ATOMIC_KEYS = (str, bytes, float, bool, complex, type(None), D.dtype, device, frozenset)


def check_key(key: Any) -> int:
    """Refuse a dict key or set member that is not a small, cheap-to-hash value.

    Returns the number of values it looked at (the work hashing the key will take).
    """
    todo = [(key, 0)]
    nodes = 0
    while todo:
        k, depth = todo.pop()
        nodes += 1
        if nodes > _MAX_KEY_NODES or depth > _MAX_KEY_DEPTH:
            raise UnpicklingError("dict key or set member is nested too deeply or too large")
        t = type(k)
        if t is int:
            # ints this size never collide with each other's hashes by more than a few.
            if not -(1 << 63) <= k < (1 << 64):
                raise UnpicklingError("dict key or set member is an int wider than 64 bits")
        elif t is tuple or t is Size:
            todo.extend((item, depth + 1) for item in k)
        elif t not in _ATOMIC_KEYS and not isinstance(k, Tensor):
            raise UnpicklingError(f"a {t.__name__} cannot be a dict key or set member in a "
                                  "weights_only checkpoint")
    return nodes


def _no_charge(units: int) -> None:
    """Billing for calls made outside the restricted unpickler (trusted loads)."""


# -- the callables ---------------------------------------------------------------------------
def _hooks(hooks: Any) -> None:
    # Backward hooks are never restored (neither does torch when loading weights); only the
    # container is checked.
    if type(hooks) not in (dict, OrderedDict):
        raise UnpicklingError(f"backward hooks must be a dict, got {type(hooks).__name__}")


def _rebuild_tensor_v2(storage: Any, storage_offset: Any, size: Any, stride: Any,
                       requires_grad: Any, backward_hooks: Any, metadata: Any = None) -> Tensor:
    _hooks(backward_hooks)
    return build_tensor(storage, storage_offset, size, stride, requires_grad)


def _rebuild_tensor_v3(storage: Any, storage_offset: Any, size: Any, stride: Any,
                       requires_grad: Any, backward_hooks: Any, dtype: Any,
                       metadata: Any = None) -> Tensor:
    _hooks(backward_hooks)
    if type(dtype) is not D.dtype:
        raise UnpicklingError(f"tensor dtype must be a dtype, got {type(dtype).__name__}")
    return build_tensor(storage, storage_offset, size, stride, requires_grad, dtype)


def _rebuild_parameter(data: Any, requires_grad: Any, backward_hooks: Any) -> Tensor:
    _hooks(backward_hooks)
    return make_parameter(data, requires_grad)


def _rebuild_parameter_with_state(data: Any, requires_grad: Any, backward_hooks: Any,
                                  state: Any) -> Tensor:
    # Python attributes set on a Parameter are dropped: ember tensors carry none.
    if type(state) not in (dict, OrderedDict, tuple, type(None)):
        raise UnpicklingError(f"parameter state must be a dict, got {type(state).__name__}")
    return _rebuild_parameter(data, requires_grad, backward_hooks)


_TENSOR_REBUILDERS: set = set()


def _rebuild_from_type_v2(func: Any, new_type: Any, args: Any, state: Any) -> Tensor:
    if not (isinstance(func, Allowed) and func in _TENSOR_REBUILDERS) or type(args) is not tuple:
        raise UnpicklingError("_rebuild_from_type_v2 must wrap a tensor rebuild function")
    t = func.fn(*args)
    if new_type is PARAMETER:
        return make_parameter(t, t.requires_grad)
    if new_type is not Tensor:
        raise UnpicklingError(f"tensor subclass {new_type!r} is not supported")
    return t  # state (Python attributes on the tensor) is dropped, as above


def _ordered_dict(*args: Any, charge: Callable = _no_charge) -> OrderedDict:
    if not args:
        return OrderedDict()
    if len(args) > 1 or type(args[0]) is not list:
        raise UnpicklingError("OrderedDict may only be built empty or from a list of pairs")
    out: OrderedDict = OrderedDict()
    for pair in args[0]:
        if type(pair) is not tuple or len(pair) != 2:
            raise UnpicklingError("OrderedDict items must be (key, value) pairs")
        charge(check_key(pair[0]))
        out[pair[0]] = pair[1]
    return out


def _size(sizes: Any = ()) -> Size:
    if type(sizes) not in (tuple, list) or any(type(s) is not int for s in sizes):
        raise UnpicklingError("Size must be built from a tuple of ints")
    return Size(sizes)


def _device(kind: Any, index: Any = None) -> device:
    if type(kind) is not str or (index is not None and type(index) is not int):
        raise UnpicklingError("device must be built from a string and an optional int index")
    try:
        return device(kind, index)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise UnpicklingError(f"invalid device in checkpoint: {exc}") from None


def _members(items: Any, kind: str, charge: Callable) -> Any:
    if type(items) not in (list, tuple, set, frozenset):
        raise UnpicklingError(f"{kind} must be built from a list")
    for item in items:
        charge(check_key(item))
    return items


def _set(items: Any = (), *, charge: Callable = _no_charge) -> set:
    return set(_members(items, "set", charge))


def _frozenset(items: Any = (), *, charge: Callable = _no_charge) -> frozenset:
    return frozenset(_members(items, "frozenset", charge))


def _complex(real: Any = 0.0, imag: Any = 0.0) -> complex:
    if type(real) not in (int, float) or type(imag) not in (int, float):
        raise UnpicklingError("complex must be built from two numbers")
    return complex(real, imag)


def _slice(*args: Any) -> slice:
    if len(args) > 3 or any(a is not None and type(a) is not int for a in args):
        raise UnpicklingError("slice must be built from ints or None")
    return slice(*args)


def _bytearray(data: Any = b"") -> bytearray:
    if type(data) not in (bytes, bytearray):
        raise UnpicklingError("bytearray must be built from bytes")
    return bytearray(data)


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    # Protocol 2 writes bytes objects as _codecs.encode(str, "latin1"). Any other codec name
    # would make Python look up (and import) a codec module, so only latin-1 is accepted.
    if type(text) is not str or type(encoding) is not str or encoding not in ("latin1",
                                                                              "latin-1"):
        raise UnpicklingError("_codecs.encode is only allowed as encode(str, 'latin1')")
    return text.encode("latin1")


def _build_allowlist() -> dict:
    table: dict = {}

    def allow(qualnames: tuple, obj: Any) -> None:
        for q in qualnames:
            module, _, name = q.rpartition(".")
            table[(module, name)] = obj

    for name, rebuild in (("_rebuild_tensor_v2", _rebuild_tensor_v2),
                          ("_rebuild_tensor_v3", _rebuild_tensor_v3)):
        fn = Allowed(f"torch._utils.{name}", rebuild)
        _TENSOR_REBUILDERS.add(fn)
        allow((f"torch._utils.{name}",), fn)
    allow(("torch._utils._rebuild_parameter",),
          Allowed("torch._utils._rebuild_parameter", _rebuild_parameter))
    allow(("torch._utils._rebuild_parameter_with_state",),
          Allowed("torch._utils._rebuild_parameter_with_state", _rebuild_parameter_with_state))
    allow(("torch._tensor._rebuild_from_type_v2",),
          Allowed("torch._tensor._rebuild_from_type_v2", _rebuild_from_type_v2))
    allow(("torch.Tensor", "torch._tensor.Tensor", "ember.Tensor", "ember._tensor.Tensor"), Tensor)
    allow(("torch.nn.parameter.Parameter", "torch.nn.Parameter"), PARAMETER)
    for d in D.ALL_DTYPES:
        allow((f"torch.{d.name}", f"ember.{d.name}", f"ember._dtype.{d.name}"), d)
    for name, st in STORAGE_TYPES.items():
        allow((f"torch.{name}",), st)
    allow(("torch.storage.UntypedStorage",), STORAGE_TYPES["UntypedStorage"])
    allow(("collections.OrderedDict",),
          Allowed("collections.OrderedDict", _ordered_dict, newobj=True, charged=True))
    allow(("torch.Size", "ember.Size", "ember._size.Size"), Allowed("torch.Size", _size, True))
    allow(("torch.device", "ember.device", "ember._backend.device"),
          Allowed("torch.device", _device, True))
    allow(("builtins.set",), Allowed("builtins.set", _set, newobj=True, charged=True))
    allow(("builtins.frozenset",),
          Allowed("builtins.frozenset", _frozenset, newobj=True, charged=True))
    allow(("builtins.complex",), Allowed("builtins.complex", _complex, True))
    allow(("builtins.slice",), Allowed("builtins.slice", _slice, True))
    allow(("builtins.bytearray",), Allowed("builtins.bytearray", _bytearray, True))
    allow(("_codecs.encode",), Allowed("_codecs.encode", _encode))
    return table


ALLOWLIST = _build_allowlist()

# Real torch names ember knows but cannot represent: refused with the reason, not just "unsafe".
UNSUPPORTED = {
    ("torch", "BFloat16Storage"): "ember has no bfloat16 dtype",
    ("torch", "bfloat16"): "ember has no bfloat16 dtype",
    ("torch", "ComplexHalfStorage"): "ember has no complex32 dtype",
    ("torch._utils", "_rebuild_sparse_tensor"): "ember has no sparse tensors",
    ("torch._utils", "_rebuild_sparse_csr_tensor"): "ember has no sparse tensors",
    ("torch._utils", "_rebuild_qtensor"): "ember has no quantized tensors",
    ("torch._utils", "_rebuild_meta_tensor_no_storage"): "ember has no meta tensors",
    ("torch._utils", "_rebuild_wrapper_subclass"): "ember has no tensor subclasses",
    ("torch._utils", "_rebuild_nested_tensor"): "ember has no nested tensors",
}
for _name in ("float8_e4m3fn", "float8_e5m2", "complex32"):
    UNSUPPORTED[("torch", _name)] = f"ember has no {_name} dtype"


def refusal(module: str, name: str) -> UnpicklingError:
    """The error for a global that is not on the allowlist."""
    shown = f"{module}.{name}"
    # The name comes from the file: keep control characters and megabyte names out of logs.
    shown = repr(shown[:200]) if len(shown) > 200 or not shown.isprintable() else f"'{shown}'"
    reason = UNSUPPORTED.get((module, name))
    if reason is not None:
        return UnpicklingError(f"weights_only load cannot use the global {shown}: {reason}")
    return UnpicklingError(
        f"weights_only load refused the global {shown}: it is not on ember's "
        "allowlist of checkpoint types, so it was neither imported nor called. Load with "
        "weights_only=False only if you trust the source of this file.")
