"""Random tensors and random in-place fills, drawn from ember's generators (ember/_random.py).

The same seed gives the same numbers every time; they differ from torch's, whose generator
is a different algorithm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._random import numpy_rng
from ..autograd.graph import Node
from ._core import Tensor, check_inplace, rebase_history, wrap

__all__ = ["rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
           "uniform_", "normal_", "bernoulli", "multinomial"]


def _float_dtype(dtype: D.dtype | None, kernel: str) -> D.dtype:
    dt = dtype or D.get_default_dtype()
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{D.scalar_type_name(dt)}'")
    return dt


def _draw(sampler: Any, shape: tuple, dt: D.dtype) -> np.ndarray:
    """Samples in ``dt``: NumPy draws float32 and float64 natively, float16 via float32."""
    native = dt.np if dt.np in (np.float32, np.float64) else np.dtype(np.float32)
    return sampler(shape, dtype=native).astype(dt.np, copy=False)


def _require_size(size: tuple, fn: str) -> None:
    if not size:  # a 0-d draw is spelt rand(()), never rand()
        raise TypeError(f"{fn}() received an invalid combination of arguments - got (), but "
                        "expected one of:\n * (tuple of ints size, *, ...)")


def rand(*size: Any, generator: Any = None, out: Any = None, dtype: D.dtype | None = None,
         layout: Any = None, device: Any = None, pin_memory: bool = False,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1).

    >>> ember.rand(2).shape
    ember.Size([2])
    """
    from ._factory_args import _finish, _size
    dt = _float_dtype(dtype, "check_uniform_bounds")
    _require_size(size, "rand")
    data = _draw(numpy_rng(generator).random, _size(size, "rand"), dt)
    return _finish(data, requires_grad, device)


def randn(*size: Any, generator: Any = None, out: Any = None, dtype: D.dtype | None = None,
          layout: Any = None, device: Any = None, pin_memory: bool = False,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    from ._factory_args import _finish, _size
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    _require_size(size, "randn")
    data = _draw(numpy_rng(generator).standard_normal, _size(size, "randn"), dt)
    return _finish(data, requires_grad, device)


def randint(low: int = 0, high: Any = None, size: Any = None, *, generator: Any = None,
            out: Any = None, dtype: D.dtype | None = None, layout: Any = None,
            device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Integers in ``[low, high)``; also ``randint(high, size)``. int64 unless ``dtype``."""
    from ._factory_args import _finish, _size
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    for bound in (low, high):
        if not isinstance(bound, (int, np.integer)) or isinstance(bound, bool):
            raise TypeError("randint() received an invalid combination of arguments - got "
                            f"({type(bound).__name__}, ...), but expected ints for low and "
                            "high")
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    data = numpy_rng(generator).integers(low, high, size=_size(size, "randint"), dtype=np.int64)
    return _finish(data.astype((dtype or D.int64).np, copy=False), requires_grad, device)


def randperm(n: int, *, generator: Any = None, out: Any = None, dtype: D.dtype | None = None,
             layout: Any = None, device: Any = None, pin_memory: bool = False,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    from ._factory_args import _finish
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    perm = numpy_rng(generator).permutation(int(n)).astype((dtype or D.int64).np)
    return _finish(perm, requires_grad, device)


def rand_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False, memory_format: Any = None,
              generator: Any = None) -> Tensor:
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
               device: Any = None, requires_grad: bool = False, memory_format: Any = None,
               generator: Any = None) -> Tensor:
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,
                 dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
                 requires_grad: bool = False, memory_format: Any = None,
                 generator: Any = None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device or input.device,
                   requires_grad=requires_grad)


# -- in-place random fills --------------------------------------------------------------------
class UniformBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad * 0,)


class NormalBackward0(UniformBackward0):
    pass


def _fill_random(self: Tensor, sample: np.ndarray, node_type: type) -> Tensor:
    check_inplace(self)
    self._data[...] = sample
    self._version[0] += 1
    if self.grad_fn is not None:  # overwritten values no longer depend on the old history
        rebase_history(self, node_type, self)
    return self


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from U[a, b)."""
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > "
                           f"to={b}")
    dt = _float_dtype(self.dtype, "check_uniform_bounds")
    u = _draw(numpy_rng(generator).random, self._data.shape, dt)
    return _fill_random(self, u * dt.np.type(b - a) + dt.np.type(a) if (a, b) != (0, 1) else u,
                        UniformBackward0)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dt = _float_dtype(self.dtype, "normal_kernel_cpu")
    z = _draw(numpy_rng(generator).standard_normal, self._data.shape, dt)
    return _fill_random(self, z * dt.np.type(std) + dt.np.type(mean) if (mean, std) != (0, 1)
                        else z, NormalBackward0)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, in ``input``'s dtype."""
    probs = input._data if p is None else np.full(input.shape, p)
    draw = numpy_rng(generator).random(input.shape) < probs
    return wrap(draw.astype(input._data.dtype))


def _check_multinomial(probs: np.ndarray, num_samples: int, replacement: bool) -> None:
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > probs.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not np.isfinite(probs).all() or (probs < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (probs.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _draw_row(rng: Any, p: np.ndarray, num_samples: int, replacement: bool) -> np.ndarray:
    positive = np.count_nonzero(p)
    if replacement or positive >= num_samples:
        return rng.choice(len(p), size=num_samples, replace=replacement, p=p)
    # Without replacement, once the categories of positive weight are drawn the
    # zero-weight ones follow (torch does not refuse the draw).
    first = rng.choice(len(p), size=positive, replace=False, p=p)
    rest = rng.permutation(np.flatnonzero(p == 0))[:num_samples - positive]
    return np.concatenate([first, rest])


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None) -> Tensor:
    """Indices drawn with weights ``input`` (one row of draws per row of a 2-D input)."""
    rng = numpy_rng(generator)
    probs = np.atleast_2d(input._data.astype(np.float64))
    _check_multinomial(probs, num_samples, replacement)
    rows = []
    for row in probs:
        rows.append(_draw_row(rng, row / row.sum(), num_samples, replacement))
    out = np.asarray(rows, dtype=np.int64)
    return wrap(out if input._data.ndim == 2 else out[0])
