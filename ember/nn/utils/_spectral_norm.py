"""Spectral normalisation through forward pre-hooks (the older API)."""

__all__: list = []
