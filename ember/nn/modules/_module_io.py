"""The parts of ``Module`` that move state in and out: ``state_dict``, ``load_state_dict``,
and the device/dtype conversions (``to``, ``cuda``, ``float``, ...).

``load_state_dict`` works in two passes: it first checks every key and shape, and only when
nothing is wrong does it copy; so a failed load leaves the model exactly as it was.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any
from collections.abc import Callable, Mapping

import numpy as np

from ... import _dtype as D
from ..._backend import as_device, device as Device, to_device
from ..._size import Size
from ..._tensor import Tensor, tensor_from_array
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter

__all__ = ["ModuleIOMixin", "typename"]

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


def typename(obj: Any) -> str:
    """The type name torch prints in errors: ``ember.FloatTensor`` for tensors, else the class."""
    if isinstance(obj, Tensor):
        return f"ember.{obj.dtype._legacy}"
    cls = type(obj)
    module = cls.__module__
    if module in (None, "builtins"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns; prints ``<All keys matched successfully>`` when clean."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray, np.generic))


def _value_shape(value: Any) -> tuple:
    return tuple(value.shape)


def _host_array(value: Any) -> Any:
    """The backing array of a checkpoint value (ember tensor or NumPy array)."""
    if isinstance(value, Tensor):
        return value._data
    return np.asarray(value)


def _copy_into(dst: Tensor, src: Any) -> None:
    """Overwrite ``dst`` in place with ``src`` (cast to dst's dtype, moved to its device)."""
    data = dst._data
    arr = _host_array(src)
    if type(data) is np.ndarray:
        if type(arr) is not np.ndarray:
            arr = to_device(arr, dst.device)
        np.copyto(data, arr, casting="unsafe")
    else:
        data[...] = to_device(arr, dst.device).astype(data.dtype, copy=False)
    dst._version[0] += 1


def _as_tensor(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    arr = np.asarray(value)
    return tensor_from_array(arr if arr.flags.writeable else arr.copy())


class _LoadPlan:
    """The result of checking a state dict against a module tree, before anything is copied."""

    def __init__(self) -> None:
        self.missing: list[str] = []
        self.unexpected: list[str] = []
        self.errors: list[str] = []
        self.copies: list[tuple] = []  # (module, name, is_param, current, value)
        self.extra_states: list[tuple] = []  # (module, state)


def _parse_to(args: tuple, kwargs: dict) -> tuple:
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got "
                        f"unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, D.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dev, dtype = arg.device, arg.dtype
        elif isinstance(arg, (str, Device)) or (isinstance(arg, int) and not isinstance(arg, bool)):
            dev = arg
    return as_device(dev), dtype


class ModuleIOMixin:
    """State dict and conversion methods of ``Module`` (kept apart to keep files short)."""

    _parameters: dict
    _buffers: dict
    _modules: dict
    _non_persistent_buffers_set: set

    # -- extra state -----------------------------------------------------------------------
    def get_extra_state(self) -> Any:
        """Override (with ``set_extra_state``) to save non-tensor state in ``state_dict``."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called.")

    def set_extra_state(self, state: Any) -> None:
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called.")

    def _has_extra_state(self) -> bool:
        return type(self).get_extra_state is not ModuleIOMixin.get_extra_state

    # -- saving ----------------------------------------------------------------------------
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Put this module's own parameters and persistent buffers into ``destination``."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if self._has_extra_state():
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> dict:
        """An ``OrderedDict`` of every parameter and persistent buffer under dotted names.

        Values are detached tensors sharing memory with the module (``keep_vars=True`` gives
        the parameters themselves).
        """
        if args:  # the old positional form: (destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    # -- loading ---------------------------------------------------------------------------
    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` (ember tensors or NumPy arrays).

        With ``strict`` (default) missing or unexpected keys are errors. Shape mismatches are
        always errors. On error a ``RuntimeError`` with torch's text is raised and the module
        is left unchanged. ``assign=True`` puts the given tensors in place instead of copying.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        plan = _LoadPlan()
        self._plan_load(state_dict, "", plan)
        errors = list(plan.errors)
        if strict:
            if plan.unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in plan.unexpected)))
            if plan.missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in plan.missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        with no_grad():
            for module, name, is_param, current, value in plan.copies:
                module._load_one(name, is_param, current, value, assign)
        for module, state in plan.extra_states:
            module.set_extra_state(state)
        return _IncompatibleKeys(plan.missing, plan.unexpected)

    def _plan_load(self, state_dict: Mapping, prefix: str, plan: _LoadPlan) -> None:
        local = {name: (True, p) for name, p in self._parameters.items() if p is not None}
        local.update((name, (False, b)) for name, b in self._buffers.items()
                     if b is not None and name not in self._non_persistent_buffers_set)
        for name, (is_param, current) in local.items():
            key = prefix + name
            if key not in state_dict:
                plan.missing.append(key)
                continue
            value = state_dict[key]
            error = _check_value(key, current, value)
            if error is not None:
                plan.errors.append(error)
                continue
            if current.ndim == 0 and len(_value_shape(value)) == 1:
                value = value[0]  # old checkpoints stored scalars as 1-element vectors
            plan.copies.append((self, name, is_param, current, value))
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if self._has_extra_state():
            if extra_key in state_dict:
                plan.extra_states.append((self, state_dict[extra_key]))
            else:
                plan.missing.append(extra_key)
        for key in state_dict:
            if not key.startswith(prefix) or key == extra_key:
                continue
            head, dot, _ = key[len(prefix):].partition(".")
            if (dot and head not in self._modules) or (not dot and head not in local):
                plan.unexpected.append(key)
        for name, child in self._modules.items():
            if child is not None:
                child._plan_load(state_dict, prefix + name + ".", plan)

    def _load_one(self, name: str, is_param: bool, current: Tensor, value: Any,
                  assign: bool) -> None:
        if not assign:
            _copy_into(current, value)
        elif is_param:
            new = _as_tensor(value)
            setattr(self, name, Parameter(new, requires_grad=current.requires_grad))
        else:
            setattr(self, name, _as_tensor(value))

    # -- device and dtype conversions ------------------------------------------------------
    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Any:
        """Apply ``fn`` to every parameter, gradient and buffer.

        Parameters keep their identity (an optimizer built before ``.to()`` still holds
        them): only their array is replaced. Buffers are replaced by ``fn``'s result.
        """
        for module in self.children():  # type: ignore[attr-defined]
            module._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                new = fn(param)
                if new is not param:
                    param._data = new._data
                grad = param.grad
                if grad is not None:
                    new_grad = fn(grad)
                    if new_grad is not grad:
                        grad._data = new_grad._data
            for name, buf in self._buffers.items():
                if buf is not None:
                    self._buffers[name] = fn(buf)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """Move and/or cast parameters and buffers: ``to(device)``, ``to(dtype)``, both.

        Only floating point (and complex) tensors change dtype; integer buffers keep theirs.
        """
        dev, dtype = _parse_to(args, kwargs)
        if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        def convert(t: Tensor) -> Tensor:
            castable = dtype is not None and (t.is_floating_point() or t.is_complex())
            return t.to(device=dev, dtype=dtype if castable else None)
        return self._apply(convert)

    def cpu(self) -> Any:
        return self._apply(lambda t: t.cpu())

    def cuda(self, device: Any = None) -> Any:
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type: Any) -> Any:
        """Cast every parameter and buffer (integer ones too) to ``dst_type``."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self) -> Any:
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> Any:
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> Any:
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def share_memory(self) -> Any:
        return self  # host arrays are already shareable by the processes that fork


def _check_value(key: str, current: Tensor, value: Any) -> str | None:
    """torch's error text for a checkpoint entry that cannot be loaded, or None."""
    if not _is_array_like(value):
        return (f'While copying the parameter named "{key}", expected ember.Tensor or '
                f"Tensor-like object from checkpoint but received {type(value)}")
    shape = _value_shape(value)
    if current.ndim == 0 and len(shape) == 1 and shape[0] == 1:
        return None
    if shape != tuple(current.shape):
        return (f"size mismatch for {key}: copying a param with shape {Size(shape)} from "
                f"checkpoint, the shape in current model is {current.shape}.")
    return None
