"""Parametrizations: tensors computed from parameters on each access."""

__all__: list = []
