"""Instance, RMS and local-response normalisation layers."""

__all__: list = []
