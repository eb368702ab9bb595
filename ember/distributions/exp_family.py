"""``ExponentialFamily``: distributions with density exp(<t(x), θ> - F(θ) + k(x)).

Subclasses give their natural parameters θ and log-normaliser F; the entropy then follows
from the Bregman divergence of F.

>>> from ember.distributions import ExponentialFamily, Normal
>>> isinstance(Normal(0.0, 1.0), ExponentialFamily)
True
"""

from __future__ import annotations

from typing import Any

import ember

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base class of exponential-family distributions."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params: Any) -> Any:
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> Any:
        raise NotImplementedError

    def entropy(self) -> Any:
        """H = F(θ) - <θ, ∇F(θ)> - E[k(x)], with ∇F taken by autograd."""
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        with ember.enable_grad():
            log_norm = self._log_normalizer(*params)
            grads = ember.autograd.grad(log_norm.sum(), params, create_graph=True)
        result = result + log_norm
        for param, grad in zip(params, grads):
            result = result - (param * grad).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
