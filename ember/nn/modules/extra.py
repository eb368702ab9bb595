"""Bags of embeddings, the adaptive log-softmax and other layers."""

__all__: list = []
