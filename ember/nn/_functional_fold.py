"""Functional unfold and fold (im2col / col2im), re-exported by ``nn.functional``.

The ops, their checks and their backward nodes live in :mod:`ember.ops.fold`.

>>> import ember
>>> import ember.nn.functional as F
>>> F.unfold(ember.randn(2, 3, 4, 4), 2).shape
ember.Size([2, 12, 9])
>>> F.fold(ember.ones(4, 4), 3, 2).shape
ember.Size([1, 3, 3])
"""

from __future__ import annotations

from ..ops.fold import fold, unfold

__all__ = ["unfold", "fold"]
