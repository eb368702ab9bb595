"""In-place fills from the remaining distributions of torch's Tensor API: ``random_``,
``exponential_``, ``geometric_``, ``cauchy_``, ``log_normal_`` and ``bernoulli_``.

Each draws from ember's generator (:mod:`ember._random`); a tensor with history gets a node
whose gradient is zero, as the overwritten values no longer depend on it.

>>> import ember
>>> x = ember.zeros(1000).exponential_(2.0)
>>> bool((x > 0).all())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._random import numpy_rng
from ._core import Tensor
from .sampling import UniformBackward0, _fill_random

__all__: list = []
TENSOR_METHODS = ("random_", "exponential_", "geometric_", "cauchy_", "log_normal_",
                  "bernoulli_")


def _node(name: str) -> type:
    return type(name, (UniformBackward0,), {})


_RANDOM_NODES = tuple(_node(f"RandomBackward{i}") for i in range(3))
ExponentialBackward0 = _node("ExponentialBackward0")
GeometricBackward0 = _node("GeometricBackward0")
CauchyBackward0 = _node("CauchyBackward0")
LogNormalBackward0 = _node("LogNormalBackward0")
BernoulliBackward1 = _node("BernoulliBackward1")
BernoulliBackward2 = _node("BernoulliBackward2")


def _continuous(self: Tensor, family: str, type_name: str) -> np.dtype:
    dt = self._data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"{family} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {type_name}")
    return dt


def _default_upper(dt: np.dtype) -> int:
    """The largest value ``random_()`` draws: every integer a float type holds exactly, or
    the integer type's maximum."""
    if dt.kind == "f":
        return 2 ** (np.finfo(dt).nmant + 1)
    if dt.kind == "b":
        return 1
    return int(np.iinfo(dt).max)


def random_(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """Integers drawn uniformly: ``random_()`` over what the dtype holds exactly,
    ``random_(to)`` from ``[0, to)``, ``random_(from, to)`` from ``[from, to)``."""
    bounds = [*args, *(kwargs[k] for k in ("from", "to") if k in kwargs)]
    if any(not isinstance(b, (int, np.integer)) or isinstance(b, bool) for b in bounds
           if b is not None):
        raise TypeError(f"random_() received an invalid combination of arguments - got "
                        f"({', '.join(type(b).__name__ for b in bounds)}), but expected one "
                        f"of:\n * (*, ember.Generator generator = None)\n * (int from, int to, "
                        f"*, ember.Generator generator = None)\n * (int to, *, ember.Generator "
                        f"generator = None)\n")
    dt = self._data.dtype
    if not bounds:
        low, high, node = 0, _default_upper(dt) + 1, _RANDOM_NODES[2]
    elif len(bounds) == 1:
        low, high, node = 0, int(bounds[0]), _RANDOM_NODES[1]
    else:
        low, high, node = int(bounds[0]), bounds[1], _RANDOM_NODES[0]
        high = _default_upper(dt) + 1 if high is None else int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if dt.kind == "b" and high > 2:
        raise RuntimeError("to - 1 is out of bounds for bool")
    sample = numpy_rng(generator).integers(low, high, self._data.shape, dtype=np.int64,
                                           endpoint=False) if high <= 2 ** 63 else \
        numpy_rng(generator).integers(low, high - 1, self._data.shape, dtype=np.uint64,
                                      endpoint=True)
    return _fill_random(self, sample.astype(dt), node)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    dt = _continuous(self, "Exponential", D.scalar_type_name(self._data.dtype))
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    sample = numpy_rng(generator).exponential(1.0 / lambd, self._data.shape)
    return _fill_random(self, sample.astype(dt), ExponentialBackward0)


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """The number of Bernoulli(``p``) trials up to and including the first success."""
    if self._data.dtype.kind == "b":
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    sample = numpy_rng(generator).geometric(p, self._data.shape)
    return _fill_random(self, sample.astype(self._data.dtype), GeometricBackward0)


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Any = None) -> Tensor:
    dt = _continuous(self, "Cauchy", D.type_meta_name(D.from_np(self._data.dtype)))
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    sample = numpy_rng(generator).standard_cauchy(self._data.shape) * sigma + median
    return _fill_random(self, sample.astype(dt), CauchyBackward0)


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Any = None) -> Tensor:
    """``exp`` of samples from N(``mean``, ``std``**2)."""
    dt = self._data.dtype
    if dt.kind != "f":
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for "
                                  f"'{D.scalar_type_name(dt)}'")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    sample = numpy_rng(generator).lognormal(mean, std, self._data.shape)
    return _fill_random(self, sample.astype(dt), LogNormalBackward0)


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """1 with probability ``p`` (a number, or a tensor broadcast to ``self``), else 0."""
    if isinstance(p, Tensor):
        probs = p._data
        if probs.size and ((probs < 0).any() or (probs > 1).any()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
        probs = p.detach().expand(self.shape)._data  # torch's errors for shapes that differ
        node = BernoulliBackward1
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
        probs, node = p, BernoulliBackward2
    draw = numpy_rng(generator).random(self._data.shape) < probs
    return _fill_random(self, draw.astype(self._data.dtype), node)
