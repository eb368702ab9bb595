"""Functional instance/RMS/local-response norms, pixel and channel shuffles, alpha dropout."""

__all__: list = []
