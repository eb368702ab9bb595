"""Run an ember optimizer and PyTorch's side by side on identical gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

SHAPES = [(4, 3), (3,), (2, 2, 2)]
TOL = {np.float32: dict(rtol=1e-4, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def make_pair(torch: Any, name: str, kwargs: dict, dtype: type = np.float32,
              shapes: list = SHAPES, seed: int = 0) -> tuple[list, list, Any, Any]:
    """Equal parameters in ember and torch, and each library's optimizer ``name`` over them."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ember_params = [ember.tensor(a, requires_grad=True) for a in arrays]
    torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    ember_opt = getattr(ember.optim, name)(ember_params, **kwargs)
    torch_opt = getattr(torch.optim, name)(torch_params, **kwargs)
    return ember_params, torch_params, ember_opt, torch_opt


def feed_and_step(torch: Any, pairs: tuple, steps: int, seed: int = 1,
                  skip_every: int = 0) -> None:
    """``steps`` optimizer steps on both sides with the same random gradients.

    With ``skip_every=k``, the first parameter has no gradient on every k-th step (both
    optimizers must then leave it and its state alone).
    """
    ember_params, torch_params, ember_opt, torch_opt = pairs
    rng = np.random.default_rng(seed)
    for step in range(steps):
        for i, (e, t) in enumerate(zip(ember_params, torch_params)):
            if skip_every and i == 0 and step % skip_every == 0:
                e.grad, t.grad = None, None
                continue
            g = rng.standard_normal(e.shape).astype(e._data.dtype)
            e.grad = ember.tensor(g)
            t.grad = torch.from_numpy(g.copy())
        ember_opt.step()
        torch_opt.step()


def assert_params_close(ember_params: list, torch_params: list) -> None:
    for e, t in zip(ember_params, torch_params):
        expected = t.detach().numpy()
        assert e._data.dtype == expected.dtype
        np.testing.assert_allclose(e._data, expected, **TOL[expected.dtype.type])


def to_torch(torch: Any, value: Any) -> Any:
    """A state dict (or any part of one) with ember tensors turned into torch tensors."""
    if isinstance(value, ember.Tensor):
        return torch.from_numpy(np.array(value._data))
    if isinstance(value, dict):
        return {k: to_torch(torch, v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_torch(torch, v) for v in value]
    return value


def to_ember(torch: Any, value: Any) -> Any:
    """A state dict (or any part of one) with torch tensors turned into ember tensors."""
    if isinstance(value, torch.Tensor):
        return ember.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: to_ember(torch, v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_ember(torch, v) for v in value]
    return value
