"""Normalization: batch_norm, layer_norm, group_norm (forward and backward side by side).

All three normalize ``x`` over some axes to ``xhat = (x - mean) * invstd`` and then apply a
per-feature affine map. Their backward: with ``gxhat = g * weight`` and M values per
statistic, ``gx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))``; in eval mode
batch norm's statistics are constants and ``gx = gxhat * invstd``. Batch norm, the one in
convolutional networks' inner loop, has its own leaner kernels (see its section).

Statistics are computed in the input's precision (float32 stays float32; batch norm adds up
its partial sums over ranges of samples in float64). Gradients are
computed with NumPy on the incoming gradient's array, so double backward through these ops is
not supported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.graph import Node
from . import _parallel
from ._numpy_grad import refuse_double_backward
from ._scratch import work_array
from ._core import Tensor, record, wrap
from ._errstate import quiet

__all__ = ["batch_norm", "layer_norm", "group_norm"]


def _normalize(x: np.ndarray, axes: tuple, eps: float) -> tuple:
    """(xhat, mean, invstd, biased var) over ``axes`` (statistics keep their dims)."""
    with quiet():  # NumPy's ``mean`` warns about inf - inf from its own module; torch does not
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(np.square(xc), axis=axes, keepdims=True)
        invstd = 1.0 / np.sqrt(var + x.dtype.type(eps))  # eps=0: inf/nan, silently
        xc *= invstd
    return xc, mean, invstd, var


def _affine(xhat: np.ndarray, weight: Tensor | None, bias: Tensor | None,
            shape: tuple) -> np.ndarray:
    """``xhat * weight + bias`` with the parameters broadcast as ``shape``."""
    if weight is None and bias is None:
        return xhat.copy()
    y = xhat * weight._data.reshape(shape) if weight is not None else xhat.copy()
    if bias is not None:
        y += bias._data.reshape(shape)
    # float32 parameters of a half-precision input: the result keeps the input's dtype
    return y if y.dtype == xhat.dtype else y.astype(xhat.dtype)


def _input_grad(gxhat: np.ndarray, xhat: np.ndarray, invstd: np.ndarray,
                axes: tuple) -> np.ndarray:
    """The shared training-mode formula (statistics depend on the input)."""
    with quiet():  # as in ``_normalize``
        mean_g = gxhat.mean(axis=axes, keepdims=True)
        mean_gx = np.mean(gxhat * xhat, axis=axes, keepdims=True)
    out = gxhat - mean_g
    out -= xhat * mean_gx
    out *= invstd
    return out


class _NormBackward(Node):
    """Gradients for (input, weight, bias); subclasses define the axes and the layout."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        self.saved()  # refuses inputs changed in place since the forward
        xhat = self.xhat
        g = grad._data
        needs = self.needs
        gw = gb = None
        with quiet():  # NumPy's ``sum`` warns about inf - inf from its own module
            if needs[1]:
                gw = wrap(np.sum(g * xhat, axis=self.param_axes).reshape(self.param_shape))
            if needs[2]:
                gb = wrap(np.sum(g, axis=self.param_axes).reshape(self.param_shape))
        gx = wrap(self._input_grad(g)) if needs[0] else None
        return gx, gw, gb

    def _gxhat(self, g: np.ndarray) -> np.ndarray:
        return g * self.weight.reshape(self.bshape) if self.weight is not None else g

    def _input_grad(self, g: np.ndarray) -> np.ndarray:
        return _input_grad(self._gxhat(g), self.xhat, self.invstd, self.stat_axes)

    def _release_extra(self) -> None:
        self.xhat = self.invstd = self.weight = None


def _record(node_type: type, res: Tensor, input: Tensor, weight: Tensor | None,
            bias: Tensor | None, **attrs: Any) -> None:
    node = record(res, node_type, input, weight, bias)
    if node is None:
        return
    node.needs = tuple(t is not None and t._requires_grad for t in (input, weight, bias))
    node.save(input, weight, bias)
    node.weight = weight._data if weight is not None else None
    for k, v in attrs.items():
        setattr(node, k, v)


# -- batch norm ------------------------------------------------------------------------------
# Batch norm works on an (N, C, K) view of its input. The centred values x - mean go to a
# per-thread work array and are recomputed where needed instead of kept from forward to
# backward: a pass costs less than a fresh full-size array (page faults) and its memory.
# With several op threads (``ember.ops._parallel``) the samples are split into ranges of
# about ``_CHUNK_BYTES`` that run on them, each range's temporaries used while in cache;
# per-channel sums are added up in range order, in float64, whichever thread computed them.
_CHUNK_BYTES = 1 << 20


def _ranges(a3: np.ndarray) -> list:
    whole = _parallel.threads() < 2  # one thread: one range, the fewest NumPy calls
    chunk = max(a3.nbytes, 1) if whole else _CHUNK_BYTES
    return _parallel.split(a3.shape[0], a3[:1].nbytes, chunk)


def _centred(x3: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``x3 - mean`` (per channel) in a work array, valid until the next call."""
    return np.subtract(x3, mean[:, None], out=work_array("batch_norm", x3.shape, x3.dtype))


def _total(parts: list, width: int) -> np.ndarray:
    total = np.zeros(width)
    for part in parts:
        total += part
    return total


class NativeBatchNormBackward0(Node):
    """Keeps a view of the input ``x``, the batch ``mean`` and ``invstd`` (per channel).

    With ``S_g = sum(g)`` and ``S_gx = sum(g * (x - mean))`` per channel (M values each):
    ``grad_bias = S_g``, ``grad_weight = invstd * S_gx`` and, in training,
    ``grad_input = w * invstd * (g - S_g / M - (x - mean) * invstd^2 * S_gx / M)``; in eval
    mode the statistics are constants and ``grad_input = w * invstd * g``.
    """

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        self.saved()  # refuses inputs changed in place since the forward
        g = grad._data
        g3 = g.reshape(self.x3.shape)
        needs = self.needs
        statistics = needs[0] and self.training
        s_g = s_gx = centred = None
        ranges = _ranges(g3)
        if needs[1] or needs[2] or statistics:
            s_g, s_gx, centred = self._sums(g3, ranges)
        gw = wrap((s_gx * self.invstd).astype(g.dtype)) if needs[1] else None
        gb = wrap(s_g.astype(g.dtype)) if needs[2] else None
        gx = wrap(self._input_grad(g3, s_g, s_gx, ranges, centred).reshape(g.shape)) \
            if needs[0] else None
        return gx, gw, gb

    def _sums(self, g3: np.ndarray, ranges: list) -> tuple:
        """Per channel ``sum(g)`` and ``sum(g * (x - mean))`` as float64, and, when there is
        a single range, its ``x - mean`` (a work array, for ``_input_grad`` to reuse)."""
        x3, mean = self.x3, self.mean

        def part(bounds: tuple) -> tuple:
            g, xc = g3[bounds[0]:bounds[1]], _centred(x3[bounds[0]:bounds[1]], mean)
            return np.einsum("nck->c", g), np.einsum("nck,nck->c", xc, g), xc

        parts = _parallel.run(part, ranges)
        width = g3.shape[1]
        return (_total([p[0] for p in parts], width), _total([p[1] for p in parts], width),
                parts[0][2] if len(parts) == 1 else None)

    def _input_grad(self, g3: np.ndarray, s_g: Any, s_gx: Any, ranges: list,
                    centred: Any) -> np.ndarray:
        invstd = self.invstd.astype(np.float64)
        scale = invstd if self.weight is None else invstd * self.weight
        dt = g3.dtype
        if not self.training:
            return g3 * scale.astype(dt)[:, None]
        m = g3.shape[0] * g3.shape[2]
        k1 = (scale * invstd * invstd * s_gx / m).astype(dt)[:, None]
        k0 = (scale * s_g / m).astype(dt)[:, None]
        scale = scale.astype(dt)[:, None]
        gx = np.empty(g3.shape, dtype=dt)

        def part(bounds: tuple) -> None:
            # gx = scale * g - ((x - mean) * k1 + scale * S_g / M)
            start, stop = bounds
            out = gx[start:stop]
            np.multiply(g3[start:stop], scale, out=out)
            correction = centred if centred is not None else \
                _centred(self.x3[start:stop], self.mean)
            correction *= k1
            correction += k0
            out -= correction

        _parallel.run(part, ranges)
        return gx

    def _release_extra(self) -> None:
        self.x3 = self.mean = self.invstd = self.weight = None


def _check_batch_norm(x: np.ndarray, training: bool, running_mean: Tensor | None,
                      running_var: Tensor | None, weight: Tensor | None,
                      bias: Tensor | None) -> None:
    if training:
        if x.ndim > 1 and x.shape[1]:
            per_channel = x.size // x.shape[1]
        else:
            per_channel = x.shape[0] * math.prod(x.shape[2:]) if x.ndim else 1
        if per_channel == 1:
            sizes = ", ".join(str(s) for s in x.shape)
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size ember.Size([{sizes}])")
        if (running_mean is None) != (running_var is None):
            raise ValueError("running_mean and running_var must either both be None or "
                             "neither be None")
    elif running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    elif running_var is None:
        raise RuntimeError("running_var must be defined in evaluation mode")
    channels = x.shape[1] if x.ndim > 1 else 0
    tensors = (running_mean, running_var, weight, bias)
    for name, t in zip(("running_mean", "running_var", "weight", "bias"), tensors):
        if t is not None and t._data.size != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t._data.size}")
    _check_mixed_dtype(x.dtype, tensors)


def _check_mixed_dtype(dtype: np.dtype, params: Sequence) -> None:
    """Parameters and statistics share the input's dtype; a half-precision input may also
    use float32 ones (the rule of torch's CPU normalization kernels)."""
    for p in params:  # torch compares the first given one only, then checks them all
        if p is not None:
            if p._data.dtype == dtype:
                return
            break
    else:
        return
    defined = [p._data.dtype for p in params if p is not None]
    if any(d != np.float32 for d in defined):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if dtype.name not in ("float16", "bfloat16"):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _batch_statistics(x3: np.ndarray, eps: float) -> tuple:
    """(mean, biased var, invstd) of ``x3`` (N, C, K) per channel, as (C,) arrays of its
    dtype; two passes (mean, then squares of ``x - mean``) for accuracy."""
    m, width, ranges = x3.shape[0] * x3.shape[2], x3.shape[1], _ranges(x3)
    sums = _parallel.run(lambda b: np.einsum("nck->c", x3[b[0]:b[1]]), ranges)
    mean = (_total(sums, width) / m).astype(x3.dtype)

    def squares(bounds: tuple) -> np.ndarray:
        xc = _centred(x3[bounds[0]:bounds[1]], mean)
        return np.einsum("nck,nck->c", xc, xc)

    var = _total(_parallel.run(squares, ranges), width) / m
    invstd = (1.0 / np.sqrt(var + eps)).astype(x3.dtype)
    return mean, var.astype(x3.dtype), invstd


def _normalized(x3: np.ndarray, mean: np.ndarray, invstd: np.ndarray, weight: Tensor | None,
                bias: Tensor | None) -> np.ndarray:
    """``(x - mean) * invstd * weight + bias`` as ``x * a + b`` with per-channel a and b."""
    a = invstd.astype(np.float64)
    if weight is not None:
        a = a * weight._data
    b = -mean * a if bias is None else bias._data - mean * a
    a, b = a.astype(x3.dtype)[:, None], b.astype(x3.dtype)[:, None]
    y = np.empty(x3.shape, dtype=x3.dtype)

    def part(bounds: tuple) -> None:
        out = y[bounds[0]:bounds[1]]
        np.multiply(x3[bounds[0]:bounds[1]], a, out=out)
        out += b  # on the range just written, still in cache

    _parallel.run(part, _ranges(x3))
    return y


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over every axis but the channel axis (1).

    In training the batch statistics normalize and, when given, the running statistics are
    updated in place: ``running = (1 - momentum) * running + momentum * batch`` (unbiased
    variance). Otherwise the running statistics normalize.
    """
    x = input._data
    _check_batch_norm(x, training, running_mean, running_var, weight, bias)
    if x.size == 0:
        return _empty_batch_norm(input, weight, bias)
    x3 = x.reshape(x.shape[0], x.shape[1], -1)
    if training:
        mean, var, invstd = _batch_statistics(x3, eps)
        _update_running(running_mean, running_var, mean, var, x.size // x.shape[1], momentum)
    else:
        # a copy: the backward must see these statistics even if the buffers change later
        mean = running_mean._data.astype(x.dtype)
        var = running_var._data.astype(np.float64)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    res = wrap(_normalized(x3, mean, invstd, weight, bias).reshape(x.shape))
    _record(NativeBatchNormBackward0, res, input, weight, bias, x3=x3, mean=mean,
            invstd=invstd, training=training)
    return res


def _empty_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """An empty batch has no statistics: only the affine map applies, running ones stay."""
    shape = (1, -1) + (1,) * (input._data.ndim - 2)
    out = input.clone() if weight is None else input * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def _update_running(running_mean: Tensor | None, running_var: Tensor | None,
                    mean: np.ndarray, var: np.ndarray, count: int, momentum: float) -> None:
    # In place, like torch: modules hold these buffers and state_dict shares them.
    if running_mean is not None:
        rm = running_mean._data
        rm *= 1 - momentum
        rm += (momentum * mean.reshape(-1)).astype(rm.dtype, copy=False)
    if running_var is not None:
        rv = running_var._data
        unbiased = var.reshape(-1) * (count / max(count - 1, 1))
        rv *= 1 - momentum
        rv += (momentum * unbiased).astype(rv.dtype, copy=False)


# -- layer norm ------------------------------------------------------------------------------
class NativeLayerNormBackward0(_NormBackward):
    pass


def layer_norm(input: Tensor, normalized_shape: Sequence[int] | int,
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` axes, then scale and shift.

    >>> import ember
    >>> layer_norm(ember.tensor([[1., 2., 3.]]), (3,))
    tensor([[-1.2247,  0.0000,  1.2247]])
    """
    x = input._data
    norm = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(s) for s in normalized_shape)
    k = len(norm)
    _check_mixed_dtype(x.dtype, [weight, bias])
    if k == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    if x.shape[x.ndim - k:] != norm or k > x.ndim:
        raise RuntimeError(f"Given normalized_shape={list(norm)}, expected input with shape "
                           f"[*, {', '.join(map(str, norm))}], but got input of size"
                           f"{list(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.shape != norm:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t._data.shape)} and "
                               f"normalized_shape = {list(norm)}")
    axes = tuple(range(x.ndim - k, x.ndim))
    xhat, _, invstd, _ = _normalize(x, axes, eps)
    res = wrap(_affine(xhat, weight, bias, norm))
    _record(NativeLayerNormBackward0, res, input, weight, bias, xhat=xhat, invstd=invstd,
            stat_axes=axes, param_axes=tuple(range(x.ndim - k)), param_shape=norm,
            bshape=norm)
    return res


# -- group norm ------------------------------------------------------------------------------
class NativeGroupNormBackward0(_NormBackward):
    """Statistics over (channels of a group, spatial); parameters per channel."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        self.saved()
        g = grad._data
        xhat = self.xhat.reshape(g.shape)
        gw = gb = gx = None
        if self.needs[1]:
            gw = wrap(np.sum(g * xhat, axis=self.param_axes))
        if self.needs[2]:
            gb = wrap(np.sum(g, axis=self.param_axes))
        if self.needs[0]:
            gxhat = self._gxhat(g).reshape(self.xhat.shape)
            gx = wrap(_input_grad(gxhat, self.xhat, self.invstd, (2,)).reshape(g.shape))
        return gx, gw, gb


def _check_group_norm(shape: tuple, num_groups: int, weight: Tensor | None,
                      bias: Tensor | None) -> None:
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    # every group of every sample needs more than one value (as plain Python arithmetic,
    # which also fails like torch's for num_groups=0)
    per_group = [shape[0] * shape[1] // num_groups, num_groups, *shape[2:]]
    if per_group[0] * math.prod(per_group[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {per_group}")
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if shape[1] % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={num_groups}")
    # torch reports the weight's shape in the bias message too ([0] without a weight)
    shown = list(weight._data.shape) if weight is not None else [0]
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != shape[1]):
            shown = list(t._data.shape) if name == "weight" else shown
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {shown} and "
                               f"input of shape {list(shape)}")


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize each group of ``C / num_groups`` channels of each sample, then scale, shift."""
    _check_group_norm(input._data.shape, num_groups, weight, bias)
    _check_mixed_dtype(input._data.dtype, [weight, bias])
    if not input._data.flags.c_contiguous:  # torch normalizes a contiguous copy (a clone)
        input = input.contiguous()
    x = input._data
    n, c = x.shape[0], x.shape[1]
    if x.size == 0:
        return _empty_batch_norm(input, weight, bias)
    xhat, _, invstd, _ = _normalize(x.reshape(n, num_groups, -1), (2,), eps)
    shape = (1, c) + (1,) * (x.ndim - 2)
    res = wrap(_affine(xhat.reshape(x.shape), weight, bias, shape))
    _record(NativeGroupNormBackward0, res, input, weight, bias, xhat=xhat, invstd=invstd,
            param_axes=(0,) + tuple(range(2, x.ndim)), bshape=shape)
    return res
