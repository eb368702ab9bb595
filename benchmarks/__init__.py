"""Side-by-side benchmarks of ember and PyTorch (``python -m benchmarks``)."""
