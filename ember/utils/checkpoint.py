"""Activation checkpointing: recomputing a segment's forward pass during backward instead of keeping its activations, as torch.utils.checkpoint."""

__all__: list = []
