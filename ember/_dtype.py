"""Data types named as in PyTorch, backed by NumPy dtypes, and PyTorch's promotion rules.

The unsigned types wider than a byte (uint16, uint32, uint64) promote only with themselves
and with floating types:

>>> ember.promote_types(ember.uint16, ember.float32)
ember.float32
>>> ember.tensor([1, 2], dtype=ember.uint32) * 3
tensor([3, 6], dtype=ember.uint32)
"""

from __future__ import annotations

import builtins

from typing import Any

import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
           "scalar_type_name"]

# Categories order promotion across kinds: a higher category always wins, whatever the size.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type. ``repr`` reads ``ember.float32`` as torch prints ``torch.float32``."""

    __slots__ = ("name", "np", "category", "itemsize", "is_signed", "_legacy")

    def __init__(self, name: str, np_dtype: type, category: int, legacy: str) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_signed = category != _BOOL and self.np.kind != "u"
        self._legacy = legacy  # "FloatTensor": used in autograd error messages

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    def to_real(self) -> dtype:
        """The real counterpart of a complex dtype (other dtypes are returned unchanged)."""
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        """The complex dtype with this float precision: float32 -> complex64."""
        return {float32: complex64, float64: complex128, float16: complex64}.get(self, self)

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __str__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickled by reference to the module-level name


float16 = half = dtype("float16", np.float16, _FLOAT, "HalfTensor")
float32 = float = dtype("float32", np.float32, _FLOAT, "FloatTensor")
float64 = double = dtype("float64", np.float64, _FLOAT, "DoubleTensor")
complex64 = cfloat = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloatTensor")
complex128 = cdouble = dtype("complex128", np.complex128, _COMPLEX, "ComplexDoubleTensor")
uint8 = dtype("uint8", np.uint8, _INT, "ByteTensor")
int8 = dtype("int8", np.int8, _INT, "CharTensor")
int16 = short = dtype("int16", np.int16, _INT, "ShortTensor")
int32 = int = dtype("int32", np.int32, _INT, "IntTensor")
int64 = long = dtype("int64", np.int64, _INT, "LongTensor")
bool = dtype("bool", np.bool_, _BOOL, "BoolTensor")  # noqa: A001 - torch's name
# The wide unsigned types are storage types: they convert, compare for equality and save,
# but promote only with themselves and with floating types (see promote_types).
uint16 = dtype("uint16", np.uint16, _INT, "UInt16Tensor")
uint32 = dtype("uint32", np.uint32, _INT, "UInt32Tensor")
uint64 = dtype("uint64", np.uint64, _INT, "UInt64Tensor")

ALL_DTYPES = (float16, float32, float64, complex64, complex128,
              uint8, int8, int16, int32, int64, bool, uint16, uint32, uint64)
WIDE_UNSIGNED = (uint16, uint32, uint64)
_FROM_NP: dict = {d.np: d for d in ALL_DTYPES}
# Extra numpy types that have no torch twin are refused with a clear error in from_np.
_np_bool = np.dtype(np.bool_)


def scalar_type_name(d: Any) -> str:
    """torch's C++ name for a dtype (ember's or NumPy's), as its error messages print it:
    "Float", "Long", ..."""
    if not isinstance(d, dtype):
        d = from_np(np.dtype(d))
    return d._legacy[:-len("Tensor")]


# The two C++ spellings of element types in torch's messages: the runtime type names (dtype
# mismatches, gradient assignment) and the fixed-width names of its range-checked scalar
# conversions ("value cannot be converted to type int8_t without overflow").
_TYPE_META_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double",
                    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
                    "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
                    "int32": "int", "int64": "long int", "bool": "bool",
                    "uint16": "unsigned short", "uint32": "unsigned int",
                    "uint64": "unsigned long"}
_CONVERSION_NAMES = {**_TYPE_META_NAMES, "uint8": "uint8_t", "int8": "int8_t",
                     "int16": "int16_t", "int64": "int64_t", "uint16": "uint16_t",
                     "uint32": "uint32_t", "uint64": "uint64_t"}


def type_meta_name(d: Any) -> str:
    """The C++ runtime name of a dtype's elements ("float", "long int", "c10::Half");
    ``d`` is an ember dtype or a NumPy one."""
    return _TYPE_META_NAMES.get(d.name, d.name)


def conversion_name(d: Any) -> str:
    """The C++ type torch names when a scalar does not fit a dtype ("int8_t", "int")."""
    return _CONVERSION_NAMES.get(d.name, d.name)


def from_np(np_dtype: np.dtype) -> dtype:
    """The ember dtype for a NumPy dtype (raises TypeError for unsupported ones)."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, "
            "int32, int16, int8, uint64, uint32, uint16, uint8, and bool.") from None


class _Defaults:
    __slots__ = ("float", "complex")


_defaults = _Defaults()
_defaults.float = float32
_defaults.complex = complex64


def get_default_dtype() -> dtype:
    """The dtype Python floats and float factories produce (float32 unless changed)."""
    return _defaults.float


def set_default_dtype(d: dtype) -> None:
    if d not in (float16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _defaults.float = d
    _defaults.complex = complex128 if d is float64 else complex64


def default_complex() -> dtype:
    return _defaults.complex


def _promote_pair(a: dtype, b: dtype) -> dtype | None:
    """torch's promotion of two distinct dtypes; None where torch refuses to promote them."""
    if a in WIDE_UNSIGNED or b in WIDE_UNSIGNED:
        other = b if a in WIDE_UNSIGNED else a
        return other if other.category == _FLOAT else None
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == _COMPLEX and lo is float64:
            return complex128
        return hi
    return _FROM_NP[np.promote_types(a.np, b.np)]


def _promotion_table() -> dict:
    """Every promotable pair of distinct dtypes, worked out once: promotion runs on each
    mixed-dtype binary op, and a dict lookup is several times quicker than asking NumPy.
    Pairs torch refuses to promote are left out."""
    table = {}
    for a in ALL_DTYPES:
        for b in ALL_DTYPES:
            promoted = None if a is b else _promote_pair(a, b)
            if promoted is not None:
                table[(a, b)] = promoted
    return table


_PROMOTED = _promotion_table()


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both a and b convert to without losing their kind (torch rules)."""
    if a is b:
        return a
    try:
        return _PROMOTED[(a, b)]
    except (KeyError, TypeError):  # a refused pair, or an argument that is not a dtype
        raise _promotion_error(a, b) from None


def _promotion_error(a: Any, b: Any) -> Exception:
    for position, (arg, value) in enumerate((("type1", a), ("type2", b)), 1):
        if not isinstance(value, dtype):
            return TypeError(f"promote_types(): argument '{arg}' (position {position}) must be "
                             f"ember.dtype, not {type(value).__name__}")
    return RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                        f"attempted to promote {scalar_type_name(a)} and {scalar_type_name(b)}")


def scalar_dtype(value: object) -> dtype:
    """The dtype a bare Python scalar would get as a tensor."""
    if isinstance(value, _py_bool) or isinstance(value, np.bool_):
        return bool
    if isinstance(value, (_py_int, np.integer)):
        return int64
    if isinstance(value, (_py_float, np.floating)):
        return _defaults.float
    if isinstance(value, (_py_complex, np.complexfloating)):
        return _defaults.complex
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


# The builtins, which this module's dtype names (bool, int, float) shadow.
_py_bool = builtins.bool
_py_int = builtins.int
_py_float = builtins.float
_py_complex = builtins.complex


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """Merge the result of a higher-priority group with a lower one (torch's rules).

    The lower group only matters when it is of a higher kind; a complex lower group keeps a
    floating higher group's precision (float32 tensor + 0-d complex128 -> complex64).
    """
    if higher is None:
        return lower
    if lower is None or higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def result_type(*operands: object) -> dtype:
    """torch.result_type: dimensioned tensors, then 0-d tensors, then Python scalars.

    Within a group dtypes promote normally; a lower-priority group only counts when its kind
    (bool < int < float < complex) is higher than the groups above it.
    """
    groups: list = [None, None, None]  # dimensioned, 0-d, Python scalars
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            g = 0 if op.ndim else 1
        else:
            d, g = scalar_dtype(op), 2
        groups[g] = d if groups[g] is None else promote_types(groups[g], d)
    return _combine(groups[0], _combine(groups[1], groups[2]))
