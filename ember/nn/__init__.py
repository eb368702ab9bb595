"""``ember.nn``: modules, parameters, layers, losses, initializers and ``functional``.

>>> import ember
>>> from ember import nn
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2), nn.ReLU())
>>> model(ember.ones(3, 2, 2)).shape
ember.Size([3, 2])
"""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "functional", "init", "utils", *_modules_all]
