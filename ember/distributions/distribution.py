"""The ``Distribution`` base class: shapes, sampling, validation and repr shared by all.

A distribution has a ``batch_shape`` (independent, differently-parameterised copies) and an
``event_shape`` (the shape of one draw); ``sample(sample_shape)`` returns tensors of shape
``sample_shape + batch_shape + event_shape``.

>>> from ember.distributions import Normal
>>> Normal(ember.zeros(3), 1.0).sample((2,)).shape
ember.Size([2, 3])
"""

from __future__ import annotations

import warnings
from typing import Any

import ember

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]


def _as_size(shape: Any) -> ember.Size:
    return shape if isinstance(shape, ember.Size) else ember.Size(shape)


class Distribution:
    """Abstract base class of probability distributions."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument and sample validation on or off for distributions made from now on."""
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape: Any = ember.Size(), event_shape: Any = ember.Size(),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = batch_shape
        self._event_shape = event_shape
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._validate_parameters()
        super().__init__()

    def _validate_parameters(self) -> None:
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            warnings.warn(f"{self.__class__} does not define `arg_constraints`. Please set "
                          "`arg_constraints = {}` or initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=3)
        for param, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue  # not checkable on its own
            if param not in self.__dict__ and isinstance(getattr(type(self), param),
                                                         lazy_property):
                continue  # the other parameterisation was given; this one is derived
            value = getattr(self, param)
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                    f"constraint {constraint!r}, but found invalid values:\n{value}")

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """A copy whose parameters are expanded (not copied) to ``batch_shape``."""
        raise NotImplementedError

    @property
    def batch_shape(self) -> ember.Size:
        return self._batch_shape

    @property
    def event_shape(self) -> ember.Size:
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        raise NotImplementedError

    @property
    def support(self) -> Any:
        raise NotImplementedError

    @property
    def mean(self) -> Any:
        raise NotImplementedError

    @property
    def mode(self) -> Any:
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Any:
        raise NotImplementedError

    @property
    def stddev(self) -> Any:
        return self.variance.sqrt()

    def sample(self, sample_shape: Any = ember.Size()) -> Any:
        """Draw without recording gradients."""
        with ember.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ember.Size()) -> Any:
        """Draw as a differentiable function of the parameters."""
        raise NotImplementedError

    def sample_n(self, n: int) -> Any:
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning,
                      stacklevel=2)
        return self.sample(ember.Size((n,)))

    def log_prob(self, value: Any) -> Any:
        raise NotImplementedError

    def cdf(self, value: Any) -> Any:
        raise NotImplementedError

    def icdf(self, value: Any) -> Any:
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Any:
        raise NotImplementedError

    def entropy(self) -> Any:
        raise NotImplementedError

    def perplexity(self) -> Any:
        return ember.exp(self.entropy())

    def _extended_shape(self, sample_shape: Any = ember.Size()) -> ember.Size:
        return ember.Size(tuple(_as_size(sample_shape)) + tuple(self._batch_shape)
                          + tuple(self._event_shape))

    def _validate_sample(self, value: Any) -> None:
        """Raise ValueError unless ``value`` fits the shapes and the support."""
        if not isinstance(value, ember.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.dim() - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError("The right-most size of value must match event_shape: "
                             f"{value.size()} vs {self._event_shape}.")
        actual_shape = value.size()
        expected_shape = ember.Size(tuple(self._batch_shape) + tuple(self._event_shape))
        for i, j in zip(reversed(actual_shape), reversed(expected_shape)):
            if i != 1 and j != 1 and i != j:
                raise ValueError("Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual_shape} vs {expected_shape}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample "
                          "validation. Please initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=2)
            return
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}")

    def _broadcast_params(self, **params: Any) -> Any:
        """Set ``params`` as attributes, broadcast to one shape; return the batch shape they
        give (``()`` when every one is a Python number)."""
        from numbers import Number

        from .utils import broadcast_all
        for name, value in zip(params, broadcast_all(*params.values())):
            setattr(self, name, value)
        if all(isinstance(v, Number) for v in params.values()):
            return ember.Size()
        return getattr(self, next(iter(params))).size()

    def _expand_params(self, cls: type, batch_shape: Any, _instance: Any,
                       *names: str) -> Any:
        """``expand`` of a family whose parameters ``names`` all have the batch shape: a
        new instance holding expanded views of them."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = ember.Size(batch_shape)
        for name in names:
            setattr(new, name, getattr(self, name).expand(batch_shape))
        super(cls, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {self._repr_param(self.__dict__[p])}" for p in names)
        return f"{self.__class__.__name__}({args})"

    @staticmethod
    def _repr_param(value: Any) -> Any:
        return value if value.numel() == 1 else value.size()
