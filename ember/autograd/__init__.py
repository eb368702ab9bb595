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

import warnings
from typing import Any

import numpy as np

from . import functional
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                           set_detect_anomaly)
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node

__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "Node",
           "once_differentiable", "gradcheck", "gradgradcheck", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "functional"]

# ``backward(create_graph=True)`` stores a gradient that refers back to its own leaf; the
# warning about that cycle is given once per process.
_cycle_warned = False


def _tensor_type() -> type:
    """``ember.Tensor``, imported on first use (its module imports this package)."""
    global _Tensor
    if _Tensor is None:
        from .._tensor import Tensor
        _Tensor = Tensor
    return _Tensor


_Tensor = None


def _tensors(x: Any) -> tuple:
    """A single tensor, or any iterable of them, as a tuple (None: empty)."""
    if x is None:
        return ()
    return (x,) if isinstance(x, _Tensor or _tensor_type()) else tuple(x)


def _check_inputs(inputs: tuple) -> None:
    Tensor = _Tensor or _tensor_type()
    for t in inputs:
        if not isinstance(t, Tensor):
            raise RuntimeError("all inputs have to be Tensors or GradientEdges, but got "
                               f"{type(t).__name__}")


def _size_str(shape: tuple) -> str:
    return f"ember.Size([{', '.join(str(s) for s in shape)}])"


def _implicit_grad(out: Any) -> Any:
    """The ones seed of a scalar output that was given no gradient."""
    from .._tensor import tensor_from_array
    if out._data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if out._data.dtype.kind != "f":
        raise RuntimeError("grad can be implicitly created only for real scalar outputs but "
                           f"got {out.dtype}")
    # ``*_like`` keeps the array's module (NumPy or CuPy), dtype and shape
    return tensor_from_array(np.ones_like(out._data))


def _initial_grads(outputs: tuple, grad_outputs: tuple) -> list:
    """The seed gradient of each output: given (checked and cast) or ones for scalars."""
    Tensor = _Tensor or _tensor_type()
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise AssertionError("Expected output to be a ember.Tensor")
        if g is None:
            if out._requires_grad:
                g = _implicit_grad(out)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
        else:
            if g._data.shape != out._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{_size_str(g._data.shape)} and output[{i}] has a shape "
                                   f"of {_size_str(out._data.shape)}.")
            if g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)
        grads.append(g)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    return grads


def _check_requires_grad(outputs: tuple) -> None:
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")


def _seeds(outputs: tuple, grad_outputs: Any) -> list:
    """Checked seed gradients, padded with None when ``grad_outputs`` is None."""
    given = (None,) * len(outputs) if grad_outputs is None else _tensors(grad_outputs)
    grads = _initial_grads(outputs, given)
    _check_requires_grad(outputs)
    return grads


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (or only ``inputs``').

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> ember.autograd.backward((x * 3).sum())
    >>> x.grad
    tensor([3., 3.])
    """
    if (grad_tensors is None and inputs is None and not create_graph
            and isinstance(tensors, _Tensor or _tensor_type()) and tensors._requires_grad):
        # ``loss.backward()``, once per training step: only the checks that can fail here
        run_backward((tensors,), [_implicit_grad(tensors)], bool(retain_graph), False)
        return
    outputs = _tensors(tensors)
    ins = _tensors(inputs)
    if inputs is not None and not ins:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    grads = _seeds(outputs, grad_tensors)
    if ins:
        _check_inputs(ins)
    if not outputs:
        return
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        _warn_cycle()
    if not ins:
        run_backward(outputs, grads, retain_graph, create_graph)
        return
    for t in ins:  # a non-leaf input keeps its gradient like ``retain_grad`` (it raises
        t.retain_grad()  # for inputs that do not require grad); the engine fills it in
    captured = run_backward(outputs, grads, retain_graph, create_graph, inputs=ins,
                            accumulate=False)
    from .grad_mode import state
    prev, state.enabled = state.enabled, create_graph
    try:
        for t, g in zip(ins, captured):
            if g is not None and t.grad_fn is None:
                t._grad_accumulator().accumulate(g)
    finally:
        state.enabled = prev


def _warn_cycle() -> None:
    global _cycle_warned
    if _cycle_warned:
        return
    _cycle_warned = True
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this "
        "function, make sure to reset the .grad fields of your parameters to None after use "
        "to break the cycle and avoid the leak.", stacklevel=3)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    >>> import ember
    >>> x = ember.tensor(2.0, requires_grad=True)
    >>> ember.autograd.grad(x * x, x)
    (tensor(4.),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to "
                      "True). To accumulate gradient for other parts of the graph, please use "
                      "ember.autograd.backward.", FutureWarning, stacklevel=2)
    outs, ins = _tensors(outputs), _tensors(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    _check_inputs(ins)
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        from .functional import batched_grad
        captured = batched_grad(outs, ins, _tensors(grad_outputs), retain_graph, create_graph)
    else:
        captured = _captured_grads(outs, ins, _seeds(outs, grad_outputs), retain_graph,
                                   create_graph)
    return _unused(captured, ins, allow_unused, materialize_grads)


def _captured_grads(outs: tuple, ins: tuple, grads: list, retain_graph: bool,
                    create_graph: bool) -> list:
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    return run_backward(outs, grads, retain_graph, create_graph, inputs=ins, accumulate=False)


def _unused(captured: list, ins: tuple, allow_unused: bool, materialize: bool) -> tuple:
    """Zeros (``materialize``), None (``allow_unused``) or an error for unreached inputs."""
    result = []
    for i, (t, g) in enumerate(zip(ins, captured)):
        if g is None:
            if materialize:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
        result.append(g)
    return tuple(result)
