"""``Poisson``: counts with mean ``rate``.

>>> from ember.distributions import Poisson
>>> Poisson(2.0).log_prob(ember.tensor(0.0))
tensor(-2.)
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

import ember
from ember._random import default_generator

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """Poisson(rate)."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch_shape = ember.Size() if isinstance(rate, Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Poisson:
        return self._expand_params(Poisson, batch_shape, _instance, "rate")

    @property
    def mean(self) -> Any:
        return self.rate

    @property
    def mode(self) -> Any:
        return self.rate.floor()

    @property
    def variance(self) -> Any:
        return self.rate

    def sample(self, sample_shape: Any = ember.Size()) -> Any:
        shape = tuple(self._extended_shape(sample_shape))
        rate = np.broadcast_to(self.rate.detach().numpy().astype(np.float64), shape)
        draws = default_generator._np.poisson(rate)
        return ember.tensor(np.asarray(draws, dtype=np.float64), dtype=self.rate.dtype)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return ember.xlogy(value, rate) - rate - ember.lgamma(value + 1)

    @property
    def _natural_params(self) -> tuple:
        return (ember.log(self.rate),)

    def _log_normalizer(self, x: Any) -> Any:
        return ember.exp(x)
