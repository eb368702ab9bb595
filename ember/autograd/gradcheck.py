"""Numerical gradient checking by central differences (use float64 inputs).

>>> import ember
>>> x = ember.rand(3, dtype=ember.float64, requires_grad=True)
>>> ember.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
True
>>> ember.autograd.gradgradcheck(lambda t: t.tanh(), (x,))
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numerical_jacobian",
           "analytical_jacobian"]


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list:
    """The floating-point tensor outputs of ``fn`` (indices and flags are not checked)."""
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if o._data.dtype.kind in "fc"]


def _flat_outputs(fn: Callable, inputs: Sequence[Any]) -> np.ndarray:
    outs = _outputs(fn, inputs)
    if not outs:
        return np.zeros(0)
    return np.concatenate([np.asarray(o._data, dtype=np.float64).reshape(-1) for o in outs])


def numerical_jacobian(fn: Callable, inputs: Sequence[Any], eps: float = 1e-6) -> list:
    """d(flattened outputs)/d(each input requiring grad), by central differences."""
    from .grad_mode import no_grad
    jacs = []
    with no_grad():
        n_out = _flat_outputs(fn, inputs).size
        for t in inputs:
            if not getattr(t, "requires_grad", False):
                continue
            if not t._data.flags.c_contiguous:
                raise ValueError("gradcheck needs contiguous inputs")
            flat = t._data.reshape(-1)
            jac = np.zeros((n_out, flat.size))
            for i in range(flat.size):
                orig = flat[i]
                flat[i] = orig + eps
                plus = _flat_outputs(fn, inputs)
                flat[i] = orig - eps
                minus = _flat_outputs(fn, inputs)
                flat[i] = orig
                jac[:, i] = (plus - minus) / (2 * eps)
            jacs.append(jac)
    return jacs


def analytical_jacobian(fn: Callable, inputs: Sequence[Any]) -> list:
    """The same Jacobians from the backward pass, one output element at a time."""
    from . import grad
    from ..ops.creation import zeros_like
    diff = [t for t in inputs if getattr(t, "requires_grad", False)]
    rows: list[list] = [[] for _ in diff]
    for o in _outputs(fn, inputs):
        for j in range(o.numel()):
            if o.requires_grad:
                go = zeros_like(o)
                go._data.reshape(-1)[j] = 1
                gs = grad(o, diff, go, retain_graph=True, allow_unused=True)
            else:
                gs = [None] * len(diff)
            for k, (g, t) in enumerate(zip(gs, diff)):
                rows[k].append(np.zeros(t.numel()) if g is None else
                               np.asarray(g._data, dtype=np.float64).reshape(-1))
    return [np.stack(r, axis=0) if r else np.zeros((0, t.numel())) for r, t in zip(rows, diff)]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` and ``gradgradcheck`` when the gradients disagree."""


def _check_inputs(inputs: Sequence[Any]) -> None:
    """At least one input must require grad; single precision is allowed but warned about,
    since central differences in it are too coarse for the default tolerances."""
    any_grad = False
    for i, t in enumerate(inputs):
        if getattr(t, "requires_grad", False):
            any_grad = True
            if t._data.dtype not in (np.float64, np.complex128):
                warnings.warn(f"Input #{i} requires gradient and is not a double precision "
                              "floating point or complex. This check will likely fail if all "
                              "the inputs are not of double precision floating point or "
                              "complex. ", stacklevel=3)
    if not any_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


def gradcheck(fn: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, **_: Any) -> bool:
    """Compare analytical gradients with central differences; raise on mismatch."""
    from .._tensor import tensor_from_array
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    _check_inputs(inputs)
    num = numerical_jacobian(fn, inputs, eps)
    ana = analytical_jacobian(fn, inputs)
    for i, (n, a) in enumerate(zip(num, ana)):
        if n.shape != a.shape or not np.allclose(a, n, atol=atol, rtol=rtol):
            if raise_exception:
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{tensor_from_array(n)!r}\nanalytical:{tensor_from_array(a)!r}\n")
            return False
    return True


def gradgradcheck(fn: Callable, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  **_: Any) -> bool:
    """``gradcheck`` of the gradients themselves: checks the double backward of ``fn``."""
    from . import grad
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [t for t in inputs if getattr(t, "requires_grad", False)]
    if grad_outputs is None:
        from .._tensor import tensor_from_array
        gen = np.random.default_rng(0)
        grad_outputs = [tensor_from_array(gen.standard_normal(o._data.shape)
                                          .astype(o._data.dtype))
                        for o in _outputs(fn, inputs)]

    def first_grads(*args: Any) -> tuple:
        from .grad_mode import enable_grad
        with enable_grad():  # also when the numerical pass evaluates it under no_grad
            outs = [o for o in _outputs(fn, args) if o.requires_grad]
            grads = grad(outs, [t for t in args if getattr(t, "requires_grad", False)],
                         grad_outputs[:len(outs)], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)
    return gradcheck(first_grads, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception) if diff else True
