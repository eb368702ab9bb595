"""The layer classes of ``ember.nn``, one module per family."""

from .activation import *  # noqa: F403
from .container import *  # noqa: F403
from .distance import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .fold import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import Module

__all__ = ["Module"]
from . import (activation, container, distance, dropout, flatten, fold, linear,  # noqa: E402
               loss)

for _family in (activation, container, distance, dropout, flatten, fold, linear, loss):
    __all__ += _family.__all__
del _family
from ._cnn_layers import *  # noqa: E402,F401,F403
from ._cnn_layers import __all__ as _cnn_all  # noqa: E402

__all__ += _cnn_all
from . import (extra, lazy, loss_more, norm_more, padding, rnn, shuffle,  # noqa: E402
               transformer, volumetric)
from .extra import *  # noqa: E402,F401,F403
from .lazy import *  # noqa: E402,F401,F403
from .loss_more import *  # noqa: E402,F401,F403
from .norm_more import *  # noqa: E402,F401,F403
from .padding import *  # noqa: E402,F401,F403
from .rnn import *  # noqa: E402,F401,F403
from .shuffle import *  # noqa: E402,F401,F403
from .transformer import *  # noqa: E402,F401,F403
from .volumetric import *  # noqa: E402,F401,F403

for _family in (extra, lazy, loss_more, norm_more, padding, rnn, shuffle, transformer,
                volumetric):
    __all__ += _family.__all__
del _family
