"""Ready-made parametrizations: weight norm, spectral norm, orthogonal."""

__all__: list = []
