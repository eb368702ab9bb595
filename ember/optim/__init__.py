"""Optimizers and learning-rate schedules, with PyTorch's API.

>>> import ember
>>> w = ember.zeros(3, requires_grad=True)
>>> opt = ember.optim.Adam([w], lr=1e-3)
>>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
