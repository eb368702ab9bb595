"""``ember.nn.utils``: gradient clipping, flat parameter vectors, packed sequences,
parametrizations, weight and spectral normalisation, and batch-norm fusion."""

from . import fusion, parametrizations, parametrize, prune, rnn, stateless
from ._init_utils import *  # noqa: F403
from ._init_utils import __all__ as _init_all
from ._spectral_norm import *  # noqa: F403
from ._spectral_norm import __all__ as _spectral_all
from ._weight_norm import *  # noqa: F403
from ._weight_norm import __all__ as _weight_all
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import *  # noqa: F403

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters", "fusion", "parametrizations",
           "parametrize", "prune", "rnn", "stateless", *fusion.__all__, *_init_all, *_spectral_all,
           *_weight_all]
