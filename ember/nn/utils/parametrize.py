"""Parametrizations: tensors computed from parameters on each access.

``register_parametrization(module, "weight", p)`` replaces ``module.weight`` by a property
that returns ``p(original)``, where the unconstrained tensor ``original`` now lives in
``module.parametrizations.weight.original`` (the one the optimizer updates). The module's
class is swapped for a generated subclass named ``Parametrized<Class>`` that carries one
property per parametrized tensor; removing the last parametrization restores the class.

If ``p`` has a ``right_inverse``, it maps the current value to the stored original when the
parametrization is registered and whenever ``module.weight`` is assigned. A ``right_inverse``
returning several tensors stores them as ``original0``, ``original1``, ...

>>> from ember import nn
>>> class Symmetric(nn.Module):
...     def forward(self, x):
...         return x.triu() + x.triu(1).mT
>>> m = register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
>>> type(m).__name__, list(m.state_dict())
('ParametrizedLinear', ['bias', 'parametrizations.weight.original'])
>>> bool((m.weight == m.weight.T).all())
True
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ...autograd.grad_mode import no_grad
from ..._tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations",
           "transfer_parametrizations_and_params"]

# Inside ``cached()`` each parametrized tensor is computed once per (module, name).
_cache_enabled = 0
_cache: dict = {}


@contextmanager
def cached() -> Iterator[None]:
    """Compute each parametrized tensor at most once inside the block.

    Useful when a parametrized weight is read several times per step (a recurrent layer);
    the cache is dropped when the outermost ``cached()`` block exits.
    """
    global _cache_enabled, _cache
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _assign_in_place(dst: Tensor, src: Tensor) -> None:
    """Make ``dst`` hold ``src``'s values while keeping its identity (optimizers hold it)."""
    if src is dst:
        return
    with no_grad():
        dst.data = src
        dst._version[0] += 1


def _check_right_inverse_element(value: Any, index: int) -> None:
    if not isinstance(value, Tensor):
        raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors "
                         f"(list, tuple...). Got element {index} of the sequence with type "
                         f"{type(value).__name__}.")


class ParametrizationList(ModuleList):
    """The chain of parametrizations of one tensor, with the stored original(s).

    ``self()`` evaluates ``modules[-1](...(modules[0](original)))``. Built by
    ``register_parametrization``; rarely created directly.

    Args:
        modules: the parametrizations, applied first to last.
        original: the parameter or buffer being parametrized.
        unsafe: skip the checks that the result keeps the original's shape and dtype.
    """

    original: Tensor
    unsafe: bool

    def __init__(self, modules: Sequence[Module], original: Tensor | Parameter,
                 unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = original.shape, original.dtype
        new = self._initial_originals(original)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new.dtype != original.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change "
                                 f"the dtype.\noriginal.dtype: {original.dtype}\n"
                                 f"right_inverse(original).dtype: {new.dtype}")
            _assign_in_place(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, value in enumerate(new):
                _check_right_inverse_element(value, i)
                if isinstance(original, Parameter):
                    value = Parameter(value, original.requires_grad)
                value.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", value)
        if not self.unsafe:
            self._check_result(shape, dtype)

    def _initial_originals(self, original: Tensor) -> Any:
        """Run the ``right_inverse``s (last to first) that exist on ``original``."""
        new: Any = original
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors "
                             f"(list, tuple...). Got {type(new).__name__}")
        return new

    def _check_result(self, shape: Any, dtype: Any) -> None:
        result = self()
        if not isinstance(result, Tensor):
            raise ValueError(f"A parametrization must return a tensor. Got "
                             f"{type(result).__name__}.")
        if result.dtype != dtype:
            raise ValueError("Registering a parametrization may not change the dtype of the "
                             "tensor, unless `unsafe` flag is enabled.\n"
                             f"unparametrized dtype: {dtype}\nparametrized dtype: "
                             f"{result.dtype}")
        if result.shape != shape:
            raise ValueError("Registering a parametrization may not change the shape of the "
                             "tensor, unless `unsafe` flag is enabled.\n"
                             f"unparametrized shape: {shape}\nparametrized shape: "
                             f"{result.shape}")

    def right_inverse(self, value: Tensor) -> None:
        """Store the original(s) whose parametrized value is ``value`` (used on assignment)."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       "implement right_inverse.")
                value = module.right_inverse(value)
        if self.is_tensor:
            if not isinstance(value, Tensor):
                raise ValueError("`right_inverse` should return a tensor. Got "
                                 f"{type(value).__name__}")
            if value.dtype != self.original.dtype:
                raise ValueError(f"The tensor returned by `right_inverse` has dtype "
                                 f"{value.dtype} while `original` has dtype "
                                 f"{self.original.dtype}")
            _assign_in_place(self.original, value)
            return
        self._store_originals(value)

    def _store_originals(self, values: Any) -> None:
        if not isinstance(values, Sequence):
            raise ValueError("'right_inverse' must return a sequence of tensors. Got "
                             f"{type(values).__name__}.")
        if len(values) != self.ntensors:
            raise ValueError("'right_inverse' must return a sequence of tensors of length "
                             f"{self.ntensors}. Got a sequence of length {len(values)}.")
        for i, value in enumerate(values):
            current = getattr(self, f"original{i}")
            if not isinstance(value, Tensor):
                raise ValueError("'right_inverse' must return a sequence of tensors or "
                                 f"reference-type opaques. Got element {i} of type "
                                 f"{type(value).__name__}.")
            if value.dtype != current.dtype:
                raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype "
                                 f"{value.dtype} while `original{i}` has dtype "
                                 f"{current.dtype}")
            _assign_in_place(current, value)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _refuse_pickling(self: Module) -> Any:
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict(). See:\n"
        "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
        "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")


def _deepcopy_via_dict(self: Module, memo: dict) -> Module:
    # The default deepcopy pickles, which parametrized modules refuse; copy the dict instead.
    existing = memo.get(id(self))
    if existing is not None:
        return existing
    replica = self.__new__(type(self))
    memo[id(self)] = replica
    replica.__dict__ = copy.deepcopy(self.__dict__, memo)
    return replica


def _inject_new_class(module: Module) -> None:
    """Swap ``module``'s class for a fresh subclass that can hold per-tensor properties."""
    cls = module.__class__
    namespace: dict = {"__getstate__": _refuse_pickling, "__module__": __name__}
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = _deepcopy_via_dict
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module: Module, tensor_name: str) -> None:
    """Make ``module.<tensor_name>`` evaluate (and assign through) its parametrizations."""
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self: Module) -> Tensor:
        chain = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return chain()
        key = (id(self), tensor_name)
        value = _cache.get(key)
        if value is None:
            value = _cache[key] = chain()
        return value

    def set_original(self: Module, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def _check_appended(module: Module, tensor_name: str, parametrization: Module) -> None:
    """On a second parametrization of the same tensor, check that it keeps shape and dtype."""
    current = getattr(module, tensor_name)
    result = parametrization(current)
    if not isinstance(result, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(result).__name__}.")
    where = f"module.{tensor_name}"
    if result.dtype != current.dtype:
        raise ValueError("Registering a parametrization may not change the dtype of the tensor, "
                         f"unless the `unsafe` flag is enabled.\n{where}.dtype: "
                         f"{current.dtype}\nparametrization({where}).dtype: {result.dtype}")
    if result.shape != current.shape:
        raise ValueError("Registering a parametrization may not change the shape of the tensor, "
                         f"unless the `unsafe` flag is enabled.\n{where}.shape: "
                         f"{current.shape}\nparametrization({where}).shape: {result.shape}")
    if not hasattr(parametrization, "right_inverse"):
        return
    try:
        inverse = parametrization.right_inverse(result)
    except NotImplementedError:
        return
    if not isinstance(inverse, Tensor):
        raise ValueError("parametrization.right_inverse must return a tensor. Got: "
                         f"{type(inverse).__name__}")
    for what, mine, theirs in (("dtype", current.dtype, inverse.dtype),
                               ("shape", current.shape, inverse.shape)):
        if mine != theirs:
            raise ValueError(f"The tensor returned by parametrization.right_inverse must have "
                             f"the same {what} as {where}, unless the `unsafe` flag is enabled."
                             f"\n{where}.{what}: {mine}\nreturned {what}: {theirs}")


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Replace ``module.<tensor_name>`` by ``parametrization(original)`` on every access.

    The tensor (a parameter or buffer) moves to
    ``module.parametrizations[tensor_name].original``; gradients of anything computed from
    ``module.<tensor_name>`` flow to it. Registering again on the same name chains the
    parametrizations. ``unsafe=True`` allows results of another shape or dtype.
    Returns ``module``.
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            with no_grad():
                _check_appended(module, tensor_name, parametrization)
        chain = module.parametrizations[tensor_name]
        chain.append(parametrization)
        chain.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        chain = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = chain
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has any parametrization (or one on ``tensor_name``)."""
    chains = getattr(module, "parametrizations", None)
    if not isinstance(chains, ModuleDict):
        return False
    if tensor_name is None:
        return len(chains) > 0
    return tensor_name in chains


def _unparametrized_value(module: Module, tensor_name: str, chain: ParametrizationList,
                          leave_parametrized: bool) -> Tensor:
    """The tensor that takes ``tensor_name``'s place again when its parametrizations go."""
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                _assign_in_place(original, getattr(module, tensor_name))
        return original
    if not leave_parametrized:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                         "that is parametrized in terms of a sequence of tensors.")
    value = getattr(module, tensor_name)
    # Whether any original required grad decides between a parameter and a buffer.
    return Parameter(value.detach(), True) if value.requires_grad else value


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Remove every parametrization of ``tensor_name``; the plain tensor comes back.

    With ``leave_parametrized=True`` it keeps its current (parametrized) value, else the
    stored original. When it was parametrized by a single original, that very parameter
    object comes back (optimizers holding it keep working). Returns ``module``.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    value = _unparametrized_value(module, tensor_name, chain, leave_parametrized)
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, value)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class as it was before any parametrization was registered."""
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Register ``from_module``'s parametrizations (all, or of ``tensor_name``) on
    ``to_module`` and make it share the stored originals. Returns ``to_module``."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        if hasattr(source, "original"):
            target.original = source.original
        else:
            index = 0
            while hasattr(source, f"original{index}"):
                setattr(target, f"original{index}", getattr(source, f"original{index}"))
                index += 1
    return to_module
