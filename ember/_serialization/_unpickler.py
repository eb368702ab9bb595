"""Reading the pickle stream of a checkpoint.

``RestrictedUnpickler`` (``weights_only=True``) is a small pickle machine of its own rather than
a subclass of ``pickle.Unpickler``: Python's unpickler will apply BUILD to any object (setting
attributes, even on functions), SETITEM to anything with ``__setitem__``, and allocate what a
length field claims before reading it. Here every opcode is handled explicitly:

- names resolve only through ember's allowlist (``_globals.ALLOWLIST``), never by import;
- REDUCE / NEWOBJ call only allowlisted checker functions, with a tuple of arguments;
- BUILD only sets plain attributes on an OrderedDict (a state dict's ``_metadata``);
  INST, OBJ, extension codes and out-of-band buffers are refused;
- APPEND, SETITEM and ADDITEMS act only on a list, dict or set;
- lengths are checked against the bytes actually present before anything is sliced;
- work done by calls is charged against a budget proportional to the input size, so a short
  pickle cannot make quadratic work or huge objects from memo references.

``TrustedUnpickler`` (``weights_only=False``) is Python's unpickler, mapping torch's names to
ember's. It runs whatever the file asks for and is only for files from trusted sources.
"""

from __future__ import annotations

import importlib
import io
import pickle
import struct
from collections import OrderedDict
from collections.abc import Callable
from pickle import UnpicklingError
from typing import Any

from ._globals import ALLOWLIST, PY2_MODULES, Allowed, check_key, refusal

__all__ = ["RestrictedUnpickler", "TrustedUnpickler"]

_MAX_LONG_BYTES = 256  # 2048-bit ints; a checkpoint holds nothing wider
_HIGHEST_PROTOCOL = 5
_unpack_double = struct.Struct(">d").unpack  # BINFLOAT is big-endian
_STOP = object()
_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset)

_OPCODES = {
    b"(": "_mark", b".": "_stop", b"0": "_pop", b"1": "_pop_mark_op", b"2": "_dup",
    b"F": "_float", b"I": "_int", b"J": "_binint", b"K": "_binint1", b"L": "_long",
    b"M": "_binint2", b"N": "_none", b"P": "_persid", b"Q": "_binpersid", b"R": "_reduce",
    b"T": "_binstring", b"U": "_short_binstring", b"V": "_unicode", b"X": "_binunicode",
    b"a": "_append", b"c": "_global", b"d": "_dict", b"}": "_empty_dict", b"e": "_appends",
    b"g": "_get", b"h": "_binget", b"j": "_long_binget", b"l": "_list", b"]": "_empty_list",
    b"p": "_put", b"q": "_binput", b"r": "_long_binput", b"s": "_setitem", b"t": "_tuple",
    b")": "_empty_tuple", b"u": "_setitems", b"G": "_binfloat", b"\x80": "_proto",
    b"\x81": "_newobj", b"\x85": "_tuple1", b"\x86": "_tuple2", b"\x87": "_tuple3",
    b"\x88": "_newtrue", b"\x89": "_newfalse", b"\x8a": "_long1", b"\x8b": "_long4",
    b"B": "_binbytes", b"C": "_short_binbytes", b"\x8c": "_short_binunicode",
    b"\x8d": "_binunicode8", b"\x8e": "_binbytes8", b"\x8f": "_empty_set",
    b"\x90": "_additems", b"\x91": "_frozenset", b"\x92": "_newobj_ex",
    b"\x93": "_stack_global", b"\x94": "_memoize", b"\x95": "_frame", b"\x96": "_bytearray8",
    b"b": "_build",
}

_REFUSED_OPCODES = {
    b"i": "INST (it imports and calls a class)",
    b"o": "OBJ (it calls a class)",
    b"\x82": "EXT1 (extension codes name arbitrary globals)",
    b"\x83": "EXT2 (extension codes name arbitrary globals)",
    b"\x84": "EXT4 (extension codes name arbitrary globals)",
    b"\x97": "NEXT_BUFFER (out-of-band buffers)",
    b"\x98": "READONLY_BUFFER (out-of-band buffers)",
    b"S": "STRING (Python 2 quoted strings)",
}


def _describe(obj: Any) -> str:
    if isinstance(obj, Allowed):
        return repr(obj)
    return f"a {type(obj).__name__}"


class RestrictedUnpickler:
    """Builds data only: containers, scalars, strings and what allowlisted functions return.

    ``persistent_load(pid)`` turns a storage reference into a storage object.
    """

    def __init__(self, data: bytes, persistent_load: Callable[[Any], Any]) -> None:
        self._data = bytes(data)
        self._pos = 0
        self._stack: list = []
        self._marks: list = []
        self._memo: dict = {}
        self._persistent_load = persistent_load
        self._budget = 8 * len(self._data) + (1 << 20)
        self._ops = {op[0]: getattr(self, name) for op, name in _OPCODES.items()}

    def load(self) -> Any:
        try:
            return self._run()
        except UnpicklingError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, OverflowError, struct.error) as exc:
            raise UnpicklingError(
                f"malformed checkpoint pickle near byte {self._pos}: {exc}") from None

    def _run(self) -> Any:
        data, ops, end = self._data, self._ops, len(self._data)
        while self._pos < end:
            op = data[self._pos]
            self._pos += 1
            handler = ops.get(op)
            if handler is None:
                reason = _REFUSED_OPCODES.get(bytes([op]))
                if reason is None:
                    raise UnpicklingError(f"invalid pickle opcode {bytes([op])!r} at byte "
                                          f"{self._pos - 1}")
                raise UnpicklingError(f"weights_only load refused the pickle opcode {reason}")
            if handler() is _STOP:
                if not self._stack:
                    raise UnpicklingError("pickle STOP with an empty stack")
                return self._stack.pop()
        raise UnpicklingError("pickle data was truncated (no STOP opcode)")

    # -- reading ---------------------------------------------------------------------------
    def _read(self, n: int) -> bytes:
        start = self._pos
        if n < 0 or n > len(self._data) - start:
            raise UnpicklingError(f"pickle data was truncated: a field of {n} bytes at byte "
                                  f"{start} runs past the end")
        self._pos = start + n
        return self._data[start:self._pos]

    def _uint(self, n: int) -> int:
        return int.from_bytes(self._read(n), "little")

    def _readline(self) -> bytes:
        end = self._data.find(b"\n", self._pos)
        if end < 0:
            raise UnpicklingError("pickle data was truncated: a text field has no newline")
        line = self._data[self._pos:end]
        self._pos = end + 1
        return line

    def _spend(self, units: int) -> None:
        self._budget -= units
        if self._budget < 0:
            raise UnpicklingError("checkpoint pickle asks for far more work than its size "
                                  "justifies; refusing it")

    # -- framing and scalars ---------------------------------------------------------------
    def _proto(self) -> None:
        if self._read(1)[0] > _HIGHEST_PROTOCOL:
            raise UnpicklingError("unsupported pickle protocol")

    def _frame(self) -> None:
        self._read(8)  # a frame only groups the opcodes that follow; nothing to do

    def _stop(self) -> object:
        return _STOP

    def _none(self) -> None:
        self._stack.append(None)

    def _newtrue(self) -> None:
        self._stack.append(True)

    def _newfalse(self) -> None:
        self._stack.append(False)

    def _binint(self) -> None:
        self._stack.append(int.from_bytes(self._read(4), "little", signed=True))

    def _binint1(self) -> None:
        self._stack.append(self._read(1)[0])

    def _binint2(self) -> None:
        self._stack.append(self._uint(2))

    def _push_long(self, n: int) -> None:
        if n > _MAX_LONG_BYTES:
            raise UnpicklingError(f"an integer of {n} bytes is too wide for a checkpoint")
        self._stack.append(int.from_bytes(self._read(n), "little", signed=True))

    def _long1(self) -> None:
        self._push_long(self._read(1)[0])

    def _long4(self) -> None:
        self._push_long(self._uint(4))

    def _int(self) -> None:
        line = self._readline()
        self._stack.append({b"00": False, b"01": True}[line] if line in (b"00", b"01")
                           else int(line))

    def _long(self) -> None:
        self._stack.append(int(self._readline().rstrip(b"L")))

    def _binfloat(self) -> None:
        self._stack.append(_unpack_double(self._read(8))[0])

    def _float(self) -> None:
        self._stack.append(float(self._readline()))

    # -- strings and bytes -----------------------------------------------------------------
    def _push_text(self, n: int) -> None:
        self._stack.append(str(self._read(n), "utf-8", "surrogatepass"))

    def _binunicode(self) -> None:
        self._push_text(self._uint(4))

    def _short_binunicode(self) -> None:
        self._push_text(self._uint(1))

    def _binunicode8(self) -> None:
        self._push_text(self._uint(8))

    def _unicode(self) -> None:
        self._stack.append(str(self._readline(), "raw-unicode-escape"))

    def _binstring(self) -> None:
        self._stack.append(str(self._read(self._uint(4)), "ascii"))

    def _short_binstring(self) -> None:
        self._stack.append(str(self._read(self._uint(1)), "ascii"))

    def _binbytes(self) -> None:
        self._stack.append(self._read(self._uint(4)))

    def _short_binbytes(self) -> None:
        self._stack.append(self._read(self._uint(1)))

    def _binbytes8(self) -> None:
        self._stack.append(self._read(self._uint(8)))

    def _bytearray8(self) -> None:
        self._stack.append(bytearray(self._read(self._uint(8))))

    # -- stack and marks -------------------------------------------------------------------
    def _mark(self) -> None:
        self._marks.append(self._stack)
        self._stack = []

    def _pop_mark(self) -> list:
        if not self._marks:
            raise UnpicklingError("pickle uses a MARK that was never set")
        items = self._stack
        self._stack = self._marks.pop()
        return items

    def _pop_mark_op(self) -> None:
        self._pop_mark()

    def _pop(self) -> None:
        if self._stack:
            self._stack.pop()
        else:
            self._pop_mark()

    def _dup(self) -> None:
        self._stack.append(self._stack[-1])

    # -- containers ------------------------------------------------------------------------
    def _empty_list(self) -> None:
        self._stack.append([])

    def _empty_tuple(self) -> None:
        self._stack.append(())

    def _empty_dict(self) -> None:
        self._stack.append({})

    def _empty_set(self) -> None:
        self._stack.append(set())

    def _list(self) -> None:
        items = self._pop_mark()  # before touching self._stack: popping the mark replaces it
        self._stack.append(items)

    def _tuple(self) -> None:
        items = tuple(self._pop_mark())
        self._stack.append(items)

    def _tuple1(self) -> None:
        self._stack[-1:] = [(self._stack[-1],)]

    def _tuple2(self) -> None:
        self._stack[-2:] = [(self._stack[-2], self._stack[-1])]

    def _tuple3(self) -> None:
        self._stack[-3:] = [(self._stack[-3], self._stack[-2], self._stack[-1])]

    def _dict(self) -> None:
        d: dict = {}
        self._fill(d, self._pop_mark())
        self._stack.append(d)

    def _frozenset(self) -> None:
        items = self._pop_mark()
        for item in items:
            self._spend(check_key(item))
        self._stack.append(frozenset(items))

    def _target(self, kind: type, opname: str) -> Any:
        obj = self._stack[-1]
        if type(obj) is not kind and not (kind is dict and type(obj) is OrderedDict):
            raise UnpicklingError(f"pickle {opname} on {_describe(obj)}; only a "
                                  f"{kind.__name__} accepts it")
        return obj

    def _fill(self, d: dict, items: list) -> None:
        if len(items) % 2:
            raise UnpicklingError("pickle dict items do not come in key/value pairs")
        for i in range(0, len(items), 2):
            self._spend(check_key(items[i]))
            d[items[i]] = items[i + 1]

    def _append(self) -> None:
        value = self._stack.pop()
        self._target(list, "APPEND").append(value)

    def _appends(self) -> None:
        items = self._pop_mark()
        self._target(list, "APPENDS").extend(items)

    def _setitem(self) -> None:
        value = self._stack.pop()
        key = self._stack.pop()
        self._fill(self._target(dict, "SETITEM"), [key, value])

    def _setitems(self) -> None:
        items = self._pop_mark()
        self._fill(self._target(dict, "SETITEMS"), items)

    def _additems(self) -> None:
        items = self._pop_mark()
        target = self._target(set, "ADDITEMS")
        for item in items:
            self._spend(check_key(item))
        target.update(items)

    # -- memo ------------------------------------------------------------------------------
    def _store(self, index: int) -> None:
        if index < 0:
            raise UnpicklingError("negative pickle memo index")
        self._memo[index] = self._stack[-1]

    def _fetch(self, index: int) -> None:
        try:
            self._stack.append(self._memo[index])
        except KeyError:
            raise UnpicklingError(f"pickle memo entry {index} was never stored") from None

    def _put(self) -> None:
        self._store(int(self._readline()))

    def _binput(self) -> None:
        self._store(self._uint(1))

    def _long_binput(self) -> None:
        self._store(self._uint(4))

    def _memoize(self) -> None:
        self._store(len(self._memo))

    def _get(self) -> None:
        self._fetch(int(self._readline()))

    def _binget(self) -> None:
        self._fetch(self._uint(1))

    def _long_binget(self) -> None:
        self._fetch(self._uint(4))

    # -- names, calls, storages ------------------------------------------------------------
    def _resolve(self, module: str, name: str) -> Any:
        module = PY2_MODULES.get(module, module)
        try:
            return ALLOWLIST[(module, name)]
        except KeyError:
            raise refusal(module, name) from None

    def _global(self) -> None:
        module = str(self._readline(), "utf-8")
        name = str(self._readline(), "utf-8")
        self._stack.append(self._resolve(module, name))

    def _stack_global(self) -> None:
        name = self._stack.pop()
        module = self._stack.pop()
        if type(module) is not str or type(name) is not str:
            raise UnpicklingError("STACK_GLOBAL needs a module and a name as strings")
        self._stack.append(self._resolve(module, name))

    def _call(self, func: Any, args: Any, opname: str, newobj: bool = False) -> Any:
        if type(func) is not Allowed or (newobj and not func.newobj):
            raise UnpicklingError(f"pickle {opname} may only call allowlisted functions, "
                                  f"not {_describe(func)}")
        if type(args) is not tuple:
            raise UnpicklingError(f"pickle {opname} arguments must be a tuple")
        # Calls can copy what their arguments hold (a memoized list or string, again and
        # again), so they pay for the size of their arguments.
        self._spend(1 + sum(len(a) for a in args if isinstance(a, _SIZED)))
        if func.charged:
            return func.fn(*args, charge=self._spend)
        return func.fn(*args)

    def _reduce(self) -> None:
        args = self._stack.pop()
        self._stack[-1] = self._call(self._stack[-1], args, "REDUCE")

    def _newobj(self) -> None:
        args = self._stack.pop()
        self._stack[-1] = self._call(self._stack[-1], args, "NEWOBJ", newobj=True)

    def _newobj_ex(self) -> None:
        kwargs = self._stack.pop()
        args = self._stack.pop()
        if type(kwargs) is not dict or kwargs:
            raise UnpicklingError("NEWOBJ_EX with keyword arguments is not supported")
        self._stack[-1] = self._call(self._stack[-1], args, "NEWOBJ_EX", newobj=True)

    def _build(self) -> None:
        state = self._stack.pop()
        target = self._stack[-1]
        if type(target) is not OrderedDict or type(state) is not dict or not all(
                type(k) is str and not k.startswith("__") for k in state):
            raise UnpicklingError(
                f"weights_only load refused the pickle opcode BUILD on {_describe(target)}: "
                "only plain attributes of an OrderedDict (a state dict's _metadata) may be set")
        # Straight into the instance dict: no setattr, so no descriptor or hook can run.
        target.__dict__.update(state)

    def _persid(self) -> None:
        self._stack.append(self._persistent_load(str(self._readline(), "ascii")))

    def _binpersid(self) -> None:
        self._stack[-1] = self._persistent_load(self._stack[-1])


# Names a trusted load maps from torch to ember; anything else resolves as Python would.
_TRUSTED = {key: obj for key, obj in ALLOWLIST.items()
            if key[0].partition(".")[0] in ("torch", "ember")}


def _ember_equivalent(module: str, name: str) -> Any:
    """The ember object for a torch global: ``torch.nn.modules.linear.Linear`` is looked up
    in ember.nn.modules.linear, then ember.nn.modules, ember.nn and ember."""
    parts = ["ember"] + module.split(".")[1:]
    while parts:
        try:
            return getattr(importlib.import_module(".".join(parts)), name)
        except (ImportError, AttributeError):
            parts.pop()
    raise UnpicklingError(f"the global '{module}.{name}' has no ember equivalent")


class TrustedUnpickler(pickle.Unpickler):
    """Python's full unpickler (it can run any code the file names) with torch names mapped
    to ember's. Only for ``weights_only=False`` on files from a trusted source."""

    def __init__(self, data: bytes, persistent_load: Callable[[Any], Any]) -> None:
        super().__init__(io.BytesIO(data))
        self._load_storage = persistent_load

    def persistent_load(self, pid: Any) -> Any:
        return self._load_storage(pid)

    def find_class(self, module: str, name: str) -> Any:
        obj = _TRUSTED.get((module, name))
        if obj is not None:
            return obj
        if module == "torch" or module.startswith("torch."):
            return _ember_equivalent(module, name)
        return super().find_class(module, name)
