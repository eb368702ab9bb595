"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, Function."""

from __future__ import annotations

from typing import Any

from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)
from .graph import Node

__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "Node",
           "once_differentiable", "gradcheck"]


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _initial_grads(outputs: list, grad_outputs: list) -> list:
    from ..ops.creation import ones_like
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.is_floating_point():
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            g = ones_like(out)
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{g.shape} and output[{i}] has a shape of {out.shape}.")
        grads.append(g)
    return grads


def _check_requires_grad(outputs: list) -> None:
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``."""
    outputs = _as_list(tensors)
    _check_requires_grad(outputs)
    grads = _initial_grads(outputs, _as_list(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        ins = _as_list(inputs)
        captured = run_backward(outputs, grads, retain_graph, create_graph, inputs=ins,
                                accumulate=False)
        for t, g in zip(ins, captured):
            if g is not None:
                t.grad = g.detach() if t.grad is None else t.grad + g.detach()
        return
    run_backward(outputs, grads, retain_graph, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    _check_requires_grad(outs)
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outs, _as_list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                            accumulate=False)
    result = []
    for t, g in zip(ins, captured):
        if g is None:
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    return tuple(result)


def gradcheck(*args: Any, **kwargs: Any) -> bool:
    from .gradcheck import gradcheck as _gradcheck
    return _gradcheck(*args, **kwargs)


