"""``ember.special``: special mathematical functions, as in torch.special."""

__all__: list = []
