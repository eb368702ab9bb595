"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, Function.

>>> import ember
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> (dx,) = ember.autograd.grad((x ** 3).sum(), x, create_graph=True)
>>> dx
tensor([ 3., 12.], grad_fn=<MulBackward0>)
>>> ember.autograd.grad(dx.sum(), x)[0]
tensor([ 6., 12.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node

__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "Node",
           "once_differentiable", "gradcheck", "gradgradcheck", "detect_anomaly",
           "set_detect_anomaly",
           "is_anomaly_enabled"]


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _size_str(shape: tuple) -> str:
    return f"ember.Size([{', '.join(str(s) for s in shape)}])"


def _initial_grads(outputs: list, grad_outputs: list) -> list:
    """The seed gradient of each output: given (checked and cast) or ones for scalars."""
    from .._tensor import tensor_from_array
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fc":
                raise RuntimeError("grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            # ``*_like`` keeps the array's module (NumPy or CuPy), dtype and shape
            g = tensor_from_array(np.ones_like(out._data))
        else:
            if g._data.shape != out._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{_size_str(g._data.shape)} and output[{i}] has a shape "
                                   f"of {_size_str(out._data.shape)}.")
            if g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)
        grads.append(g)
    return grads


def _check_requires_grad(outputs: list) -> None:
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (or only ``inputs``').

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> ember.autograd.backward((x * 3).sum())
    >>> x.grad
    tensor([3., 3.])
    """
    outputs = _as_list(tensors)
    _check_requires_grad(outputs)
    grads = _initial_grads(outputs, _as_list(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        run_backward(outputs, grads, retain_graph, create_graph)
        return
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    captured = run_backward(outputs, grads, retain_graph, create_graph, inputs=ins,
                            accumulate=False)
    from .grad_mode import state
    prev, state.enabled = state.enabled, create_graph
    try:
        for t, g in zip(ins, captured):
            if g is None:
                continue
            if t.grad_fn is None:
                t._grad_accumulator().accumulate(g)
            else:
                t.grad = g if t.grad is None else t.grad + g
    finally:
        state.enabled = prev


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    >>> import ember
    >>> x = ember.tensor(2.0, requires_grad=True)
    >>> ember.autograd.grad(x * x, x)
    (tensor(4.),)
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    _check_requires_grad(outs)
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outs, _as_list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                            accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(ins, captured)):
        if g is None:
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
        result.append(g)
    return tuple(result)
