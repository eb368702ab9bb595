"""Utilities, as in ``torch.utils``: ``ember.utils.data`` holds datasets and the DataLoader."""

from . import data

__all__ = ["data"]
