"""Calling a module with parameters and buffers swapped for given tensors.

``functional_call(module, {"weight": w}, x)`` runs ``module(x)`` with ``module.weight``
temporarily replaced by ``w`` (any tensor, not necessarily a parameter), so gradients flow
to ``w``; the module's own tensors are put back afterwards, even if the call raises. Names
are dotted as in ``named_parameters()``; weights shared under several names are replaced
together unless ``tie_weights=False``.

>>> from ember import nn
>>> lin = nn.Linear(2, 1)
>>> out = functional_call(lin, {"weight": ember.ones(1, 2), "bias": ember.zeros(1)},
...                       (ember.tensor([[1.0, 2.0]]),))
>>> out.tolist()
[[3.0]]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["functional_call"]

# Marks a name that had no attribute before the swap (it is deleted on the way back).
_MISSING: Any = object()


def _tied_groups(module: Module) -> dict[str, set[str]]:
    """Each name whose tensor is also registered under another name -> all its names."""
    names_of: dict[int, set[str]] = {}
    for members in (module.named_parameters(remove_duplicate=False),
                    module.named_buffers(remove_duplicate=False)):
        for name, tensor in members:
            names_of.setdefault(id(tensor), set()).add(name)
    return {name: names for names in names_of.values() if len(names) > 1 for name in names}


def _untie(module: Module, given: dict[str, Tensor]) -> dict[str, Tensor]:
    """``given`` with each value also placed under the other names of its tied tensor."""
    groups = _tied_groups(module)
    untied = dict(given)
    for name in given:
        if name not in groups:
            continue
        values = {id(given[other]) for other in groups[name] if other in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys "
                             f"{sorted(groups[name])}, which are tied. Consider using "
                             "tie_weights=False")
        for other in groups[name]:
            untied[other] = given[name]
    return untied


def _check_keys(module: Module, given: dict[str, Tensor]) -> None:
    valid = {name for name, _ in module.named_parameters(remove_duplicate=False)}
    valid |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
    unexpected = sorted(set(given) - valid)
    missing = sorted(valid - set(given))
    errors = []
    if unexpected:
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
            module._get_name(), "\n\t".join(errors)))


def _owner(module: Module, name: str) -> tuple[Module, str]:
    path, _, attr = name.rpartition(".")
    owner = module
    for item in path.split(".") if path else ():
        child = getattr(owner, item, None)
        if not isinstance(child, Module):
            raise AttributeError(f"{owner._get_name()} has no attribute `{item}`")
        owner = child
    return owner, attr


def _swap_one(module: Module, name: str, value: Any) -> Any:
    """Put ``value`` (a tensor, or _MISSING to delete) at ``module.<name>``; the old one."""
    if value is not _MISSING and not isinstance(value, Tensor):
        raise TypeError(f"{value} is not an instance of ember.Tensor")
    for store in (module._parameters, module._buffers):
        if name in store:
            old = store[name]
            if value is _MISSING:
                del store[name]
            else:
                store[name] = value
            return old
    old = getattr(module, name, _MISSING)
    if old is not _MISSING and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{name}`: {old} is not an instance of ember.Tensor")
    if value is not _MISSING:
        setattr(module, name, value)
    elif hasattr(module, name):
        delattr(module, name)
    return old


def _swap_all(module: Module, tensors: dict[str, Any]) -> dict[str, Any]:
    """Swap every entry in; on failure the ones already swapped go back before raising."""
    previous: dict[str, Any] = {}
    try:
        for name, value in tensors.items():
            owner, attr = _owner(module, name)
            previous[name] = _swap_one(owner, attr, value)
    except Exception:
        for name, value in reversed(list(previous.items())):
            owner, attr = _owner(module, name)
            _swap_one(owner, attr, value)
        raise
    return previous


@contextmanager
def _reparametrize_module(module: Module, parameters_and_buffers: dict[str, Tensor], *,
                          tie_weights: bool = False, strict: bool = False) -> Iterator[None]:
    tensors = (_untie(module, parameters_and_buffers) if tie_weights
               else parameters_and_buffers)
    if strict:
        _check_keys(module, parameters_and_buffers)
    previous: dict[str, Any] = {}
    try:
        previous = _swap_all(module, tensors)
        yield
    finally:
        current = _swap_all(module, previous)
        # A forward that reassigned a given buffer (rather than updating it in place)
        # reports the new tensor back through the caller's dict.
        for name in parameters_and_buffers:
            if name in current:
                parameters_and_buffers[name] = current[name]


def functional_call(module: Module, parameters_and_buffers: dict[str, Tensor],
                    args: Any | tuple | None = None, kwargs: dict[str, Any] | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced.

    Args:
        module: the module to call.
        parameters_and_buffers: dotted names (as in ``named_parameters()``) -> tensors.
        args: positional arguments; a single non-tuple value is one argument.
        kwargs: keyword arguments.
        tie_weights: a value given for one name of a shared tensor is used for all its
            names (several different values for one shared tensor raise ``ValueError``).
        strict: every parameter and buffer must be given, and no other name.
    """
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)
