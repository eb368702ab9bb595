"""Padding layers (constant, zero, reflection, replication, circular)."""

__all__: list = []
