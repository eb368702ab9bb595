"""The CNN training step as a benchmark case, and the CNN itself for either framework.

``build_cnn(nn)`` builds the network of ``ember train --model cnn`` from a framework's ``nn``
module (``torch.nn`` or ``ember.nn``), with the same layers, order and parameter names, so
that both frameworks run exactly the same work. The layers are written out here rather than
taken from ``ember.cli.models.SmallCNN``: the PyTorch process must not import ember (whose
import tunes the C allocator). A test checks that the two stay the same network.
``seed_weights`` then overwrites every convolution and linear layer with values drawn from a
fixed NumPy seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .cases import _timeit, load_framework, training_step

__all__ = ["build_cnn", "seed_weights", "case_cnn_train_adam_b64"]


def build_cnn(nn: Any) -> Any:
    """The ``cnn`` model of the command line, as an ``nn.Sequential`` of ``nn``'s layers."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10),
    )


def seed_weights(torch: Any, model: Any, seed: int = 0) -> Any:
    """Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights and biases from NumPy's ``seed``."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if type(module).__name__ not in ("Conv2d", "Linear"):
                continue
            w = module.weight
            bound = 1 / np.sqrt(w[0].numel())
            w.copy_(torch.from_numpy(rng.uniform(-bound, bound, tuple(w.shape))
                                     .astype(np.float32)))
            if module.bias is not None:
                module.bias.copy_(torch.from_numpy(
                    rng.uniform(-bound, bound, tuple(module.bias.shape)).astype(np.float32)))
    return model


def case_cnn_train_adam_b64(fw: str) -> dict:
    """One optimizer step of the CNN on a batch of 64 FashionMNIST-sized images, Adam."""
    torch, nn, optim, _, _ = load_framework(fw)
    model = seed_weights(torch, build_cnn(nn)).train()
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    data = [(torch.from_numpy(rng.random((64, 1, 28, 28), dtype=np.float32)),
             torch.from_numpy(rng.integers(0, 10, 64))) for _ in range(8)]
    sec = _timeit(training_step(model, loss_fn, opt, data), min_time=2.0)
    return {"seconds": sec, "samples_per_s": 64 / sec}
