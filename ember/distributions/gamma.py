"""``Gamma``: shape ``concentration`` and inverse scale ``rate``, on positive reals.

``rsample`` draws standard gamma variates with NumPy and differentiates them implicitly:
for x ~ Gamma(a, 1) with cdf F(x; a), dx/da = -(dF/da) / f(x; a).

>>> from ember.distributions import Gamma
>>> Gamma(2.0, 1.0).log_prob(ember.tensor(1.0))
tensor(-1.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from ember._random import default_generator

from . import constraints
from .exp_family import ExponentialFamily

__all__ = ["Gamma"]


def _implicit_gamma_grad(x: Any, alpha: Any) -> Any:
    """dx/dalpha of a standard gamma draw x, in float64 (no graph recorded)."""
    a = alpha.double()
    xd = x.double()
    # dF/da by a central difference of the regularised incomplete gamma function; the
    # step is relative to a, small enough for ~1e-8 accuracy in double precision.
    h = 1e-5 * a.clamp(min=1.0)
    gammainc = ember.special.gammainc
    dcdf_da = (gammainc(a + h, xd) - gammainc(a - h, xd)) / (2 * h)
    log_pdf = (a - 1) * xd.log() - xd - ember.lgamma(a)
    return (-dcdf_da / log_pdf.exp()).to(alpha.dtype)


def _standard_gamma(alpha: Any) -> Any:
    """Gamma(alpha, 1) draws that carry the implicit reparameterisation gradient."""
    with ember.no_grad():
        draws = default_generator._np.standard_gamma(alpha.detach().numpy().astype(np.float64))
        tiny = ember.finfo(alpha.dtype).tiny
        x = ember.tensor(np.asarray(draws), dtype=alpha.dtype).clamp(min=tiny)
        if not alpha.requires_grad:
            return x
        dx_da = _implicit_gamma_grad(x, alpha)
    # Equal to x in value; its gradient w.r.t. alpha is dx/dalpha.
    return x + (alpha - alpha.detach()) * dx_da


class Gamma(ExponentialFamily):
    """Gamma(concentration, rate)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration: Any, rate: Any,
                 validate_args: bool | None = None) -> None:
        batch_shape = self._broadcast_params(concentration=concentration, rate=rate)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        return self._expand_params(Gamma, batch_shape, _instance, "concentration", "rate")

    @property
    def mean(self) -> Any:
        return self.concentration / self.rate

    @property
    def mode(self) -> Any:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Any:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = ember.Size()) -> Any:
        shape = tuple(self._extended_shape(sample_shape))
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=ember.finfo(value.dtype).tiny)

    def log_prob(self, value: Any) -> Any:
        value = ember.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate)
                + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def entropy(self) -> Any:
        c = self.concentration
        return c - ember.log(self.rate) + ember.lgamma(c) + (1.0 - c) * ember.digamma(c)

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return ember.special.gammainc(self.concentration, self.rate * value)

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x: Any, y: Any) -> Any:
        return ember.lgamma(x + 1) + (x + 1) * ember.log(-y.reciprocal())
