"""The convolutional-network layer families, gathered for the ``nn`` namespaces."""

from . import conv, dropout_nd, normalization, pooling, sparse, upsampling
from .conv import *  # noqa: F403
from .dropout_nd import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .sparse import *  # noqa: F403
from .upsampling import *  # noqa: F403

__all__ = [name for family in (conv, dropout_nd, normalization, pooling, sparse, upsampling)
           for name in family.__all__]
