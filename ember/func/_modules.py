"""Running modules as functions of their tensors: ``functional_call`` and
``stack_module_state`` (the parameters of several same-shaped models stacked together, for
mapping one model's function over them with ``vmap``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["functional_call", "stack_module_state"]


def _merge(dicts: Any) -> dict:
    """One name -> tensor dict from a dict or a sequence of dicts with distinct keys."""
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, (list, tuple)):
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(dicts)}")
    if not all(isinstance(d, dict) for d in dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                         "dictionaries")
    seen: dict[str, int] = {}
    for d in dicts:
        for key in d:
            seen[key] = seen.get(key, 0) + 1
    repeated = [key for key, count in seen.items() if count > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                         "call is ambiguous")
    return {key: value for d in dicts for key, value in d.items()}


def functional_call(module: Any, parameter_and_buffer_dicts: dict | Sequence[dict],
                    args: Any = None, kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced by the
    tensors given by name (one dict, or several with distinct names).

    ``args`` that is not a tuple is a single positional argument. With ``tie_weights`` a
    tensor given for one name of a shared weight is used for all its names; with ``strict``
    every parameter and buffer must be given, and nothing else.
    """
    from ..nn.utils.stateless import functional_call as call_with
    merged = _merge(parameter_and_buffer_dicts)
    return call_with(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)


def _stacked_leaf(tensors: tuple, name: str) -> Any:
    from ..ops.join import stack
    wants_grad = {t.requires_grad for t in tensors}
    if len(wants_grad) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    return stack([t.detach() for t in tensors]).requires_grad_(wants_grad.pop())


def stack_module_state(models: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(params, buffers)``: each name of the models' parameters (and buffers) -> the
    models' tensors stacked along a new first dimension, as new leaves."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    per_model = [dict(m.named_parameters()) for m in models]
    params = {k: _stacked_leaf(tuple(p[k] for p in per_model), k) for k in per_model[0]}
    per_model = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stacked_leaf(tuple(b[k] for b in per_model), k) for k in per_model[0]}
    return params, buffers
