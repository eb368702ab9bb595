"""``ember.amp``: mixed-precision helpers (autocast, GradScaler), as torch.amp."""

__all__: list = []
