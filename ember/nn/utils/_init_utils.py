"""Module creation without parameter initialisation."""

__all__: list = []
