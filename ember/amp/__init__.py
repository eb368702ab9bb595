"""``ember.amp``: automatic mixed precision, as ``torch.amp``.

``autocast`` runs matrix products and convolutions in a lower precision inside a region (and
the numerically sensitive ops in float32); ``GradScaler`` scales the loss so that float16
gradients do not underflow, and skips optimizer steps whose gradients overflowed. The
functions that read and set the autocast state directly (``get_autocast_dtype``,
``is_autocast_enabled``, ...) are ``ember.<name>``, as in torch.

>>> model = ember.nn.Linear(3, 2)
>>> with ember.amp.autocast("cpu", dtype=ember.float16):
...     out = model(ember.ones(4, 3))
>>> out.dtype, model.weight.dtype
(ember.float16, ember.float32)
"""

from . import autocast_mode, grad_scaler  # noqa: F401 - submodules, as torch.amp's
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
