"""Helpers for comparing ember modules with their PyTorch twins."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember


def copy_params(src_torch: Any, dst_ember: ember.nn.Module) -> None:
    """Give an ember module the torch module's parameters and buffers (through state_dict)."""
    state = {k: v.detach().numpy() for k, v in src_torch.state_dict().items()}
    dst_ember.load_state_dict(state)


def numpy_of(t: Any) -> np.ndarray:
    """The values of an ember or torch tensor as a NumPy array."""
    return np.asarray(t.detach().numpy())


def assert_close(e: Any, t: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    np.testing.assert_allclose(numpy_of(e), numpy_of(t), rtol=rtol, atol=atol)


def torch_text(text: str) -> str:
    """torch's printed text as ember prints it (module prefix and library name)."""
    return text.replace("torch", "ember")
