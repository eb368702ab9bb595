"""``ember.distributions``: probability distributions, as in torch.distributions.

Each distribution samples, scores values (``log_prob``) and knows its moments; closed-form
KL divergences come from ``kl_divergence``.

>>> from ember.distributions import Normal
>>> d = Normal(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
>>> d
Normal(loc: ember.Size([2]), scale: ember.Size([2]))
>>> d.log_prob(ember.tensor([0.0, 1.0]))
tensor([-0.9189, -1.6121])
"""

from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         IndependentTransform, PowerTransform, SigmoidTransform,
                         SoftmaxTransform, SoftplusTransform, TanhTransform, Transform,
                         identity_transform)
from .uniform import Uniform

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
           "Cauchy", "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform",
           "Exponential", "ExponentialFamily", "Gamma", "Geometric", "Gumbel", "HalfNormal",
           "Independent", "IndependentTransform", "Laplace", "LogNormal",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform",
           "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StudentT",
           "TanhTransform", "Transform", "TransformedDistribution", "Uniform", "constraints",
           "identity_transform", "kl_divergence", "register_kl", "transforms"]
