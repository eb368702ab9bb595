"""Pruning: masking parameters through forward pre-hooks, as torch.nn.utils.prune."""

__all__: list = []
