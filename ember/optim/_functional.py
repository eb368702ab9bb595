"""Array-level update rules, shared by every device.

Each function takes lists of raw arrays (parameters, gradients, state) and Python-float
hyper-parameters, and updates parameters and state in place. Only ufuncs with ``out=`` and
in-place operators are used, which NumPy forwards to CuPy for GPU arrays, and all scalars are
Python floats so float32 arrays are never promoted to float64. Temporaries come from a
``Scratch`` so that a step allocates nothing once warmed up. Scaled adds go through ``axpy``,
scaling through ``scal`` and both at once through ``axpby`` (one BLAS pass for NumPy float
arrays, on BLAS's threads for long ones; ufuncs otherwise); ``axpy`` is the fused
multiply-add that PyTorch's own kernels use for ``add_(x, alpha=a)``.

The order of operations follows PyTorch's reference (single-tensor) implementation, which
keeps the results within a few float32 ulps of it, except where a rearrangement saves a pass
over memory without changing the value in exact arithmetic (said where it is done).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._blas import axpby as _blas_axpby
from .._blas import axpy as _blas_axpy
from .._blas import scal as _blas_scal
from .optimizer import Scratch

__all__ = ["sgd", "adam", "rmsprop", "adagrad"]

_TMP, _GRAD = 0, 1  # scratch slots: general temporary, effective gradient


def _effective_grad(p: Any, g: Any, weight_decay: float, maximize: bool,
                    scratch: Scratch) -> Any:
    """``(-g if maximize else g) + weight_decay * p``, without touching ``g``."""
    if not weight_decay and not maximize:
        return g
    out = scratch.like(g, _GRAD)
    if weight_decay:
        np.multiply(p, weight_decay, out=out)
        if maximize:
            np.subtract(out, g, out=out)
        else:
            np.add(out, g, out=out)
    else:
        np.negative(g, out=out)
    return out


def _add_scaled_(y: Any, a: float, x: Any, tmp: Any = None, scratch: Scratch | None = None
                 ) -> None:
    """``y += a * x``: one BLAS pass where it applies, else ufuncs through ``tmp`` (which may
    be ``x`` itself when ``x`` is a temporary), or a scratch array when ``tmp`` is None."""
    if _blas_axpy(a, x, y):
        return
    if a == 1.0:
        y += x
        return
    if tmp is None:
        tmp = scratch.like(y, _TMP)
    np.multiply(x, a, out=tmp)
    y += tmp


def _scale_(y: Any, b: float) -> None:
    """``y *= b``. A zero factor stays with NumPy, which turns an infinite ``y`` into NaN
    as PyTorch does (a BLAS ``scal`` by zero may just write zeros)."""
    if b == 0.0 or not _blas_scal(b, y):
        y *= b


def _scale_add_(y: Any, b: float, a: float, x: Any, tmp: Any = None,
                scratch: Scratch | None = None) -> None:
    """``y = b * y + a * x``, PyTorch's ``mul_`` then ``add_`` in value: one BLAS pass where
    it applies, else ufuncs as in ``_add_scaled_``. A zero factor keeps the two steps: BLAS may
    then skip reading that operand, and an infinity in it must turn into NaN as in PyTorch."""
    if a != 0.0 and b != 0.0 and _blas_axpby(a, x, b, y):
        return
    _scale_(y, b)
    _add_scaled_(y, a, x, tmp, scratch)


def _add_square_(acc: Any, g: Any, value: float, tmp: Any, decay: float = 1.0) -> None:
    """``acc = decay * acc + value * g * g``."""
    np.multiply(g, g, out=tmp)
    if decay == 1.0:
        _add_scaled_(acc, value, tmp, tmp)
    else:
        _scale_add_(acc, decay, value, tmp, tmp)


def sgd(params: list, grads: list, momentum_buffers: list, scratch: Scratch, *, lr: float,
        momentum: float, dampening: float, nesterov: bool, weight_decay: float,
        maximize: bool) -> None:
    """SGD with optional momentum; a ``None`` buffer is created from the first gradient."""
    for i, p in enumerate(params):
        g = _effective_grad(p, grads[i], weight_decay, maximize, scratch)
        if momentum:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = g.copy()
            else:
                _scale_add_(buf, momentum, 1.0 - dampening, g, scratch=scratch)
            if nesterov:
                tmp = scratch.like(p, _TMP)
                np.multiply(buf, momentum, out=tmp)
                tmp += g
                g = tmp
            else:
                g = buf
        _add_scaled_(p, -lr, g, scratch=scratch)


def adam(params: list, grads: list, exp_avgs: list, exp_avg_sqs: list, max_exp_avg_sqs: list,
         steps: list, scratch: Scratch, *, lr: float, beta1: float, beta2: float, eps: float,
         weight_decay: float, amsgrad: bool, maximize: bool, decoupled: bool) -> None:
    """Adam (``decoupled=False``, L2 penalty in the gradient) and AdamW (``decoupled=True``)."""
    for i, p in enumerate(params):
        g = _effective_grad(p, grads[i], 0.0 if decoupled else weight_decay, maximize, scratch)
        steps[i] += 1
        step = float(steps[i])
        if decoupled and weight_decay:
            _scale_(p, 1.0 - lr * weight_decay)
        tmp = scratch.like(p, _TMP)
        m, v = exp_avgs[i], exp_avg_sqs[i]
        # ``beta1 * m + (1 - beta1) * g``: PyTorch's ``lerp_`` in value, in two BLAS passes
        # instead of a subtraction and a scaled add.
        _scale_add_(m, beta1, 1.0 - beta1, g, tmp)
        _add_square_(v, g, 1.0 - beta2, tmp, decay=beta2)
        if amsgrad:
            np.maximum(max_exp_avg_sqs[i], v, out=max_exp_avg_sqs[i])
            v = max_exp_avg_sqs[i]
        # ``m / (sqrt(v) / c + eps) == c * m / (sqrt(v) + c * eps)`` with ``c`` the root of the
        # second bias correction: the factor joins the step size, one pass fewer.
        root_correction = (1.0 - beta2 ** step) ** 0.5
        np.sqrt(v, out=tmp)
        tmp += eps * root_correction
        np.divide(m, tmp, out=tmp)
        _add_scaled_(p, -lr / (1.0 - beta1 ** step) * root_correction, tmp, tmp)


def rmsprop(params: list, grads: list, square_avgs: list, grad_avgs: list,
            momentum_buffers: list, steps: list, scratch: Scratch, *, lr: float, alpha: float,
            eps: float, weight_decay: float, momentum: float, centered: bool,
            maximize: bool) -> None:
    """RMSprop, optionally centred (variance instead of second moment) and with momentum."""
    for i, p in enumerate(params):
        steps[i] += 1
        g = _effective_grad(p, grads[i], weight_decay, maximize, scratch)
        tmp = scratch.like(p, _TMP)
        sq = square_avgs[i]
        _add_square_(sq, g, 1.0 - alpha, tmp, decay=alpha)
        if centered:
            ga = grad_avgs[i]
            _scale_add_(ga, alpha, 1.0 - alpha, g, tmp)  # lerp_ towards g, as in adam
            np.multiply(ga, ga, out=tmp)
            np.subtract(sq, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(sq, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            buf += tmp
            np.multiply(buf, -lr, out=tmp)
        else:
            tmp *= -lr
        p += tmp


def adagrad(params: list, grads: list, state_sums: list, steps: list, scratch: Scratch, *,
            lr: float, lr_decay: float, weight_decay: float, eps: float,
            maximize: bool) -> None:
    """Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""
    for i, p in enumerate(params):
        steps[i] += 1
        step = float(steps[i])
        g = _effective_grad(p, grads[i], weight_decay, maximize, scratch)
        clr = lr / (1.0 + (step - 1.0) * lr_decay)
        tmp = scratch.like(p, _TMP)
        acc = state_sums[i]
        _add_square_(acc, g, 1.0, tmp)
        np.sqrt(acc, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= -clr
        p += tmp
