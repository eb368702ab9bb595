"""Recurrent training steps as benchmark cases: a two-layer LSTM and a two-layer GRU
classifying sequences (batch 16, 50 steps of 32 features, hidden size 64), Adam.

Both frameworks get the same weights, drawn from a fixed NumPy seed, and the same batches.
The sizes are those of a small sequence model (sensor data, characters), where the time
loop's per-step cost matters as much as the products.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .cases import _timeit, load_framework

__all__ = ["case_rnn_train_adam_b16"]


def _seeded(torch: Any, nn: Any, kind: str) -> tuple:
    rnn = getattr(nn, kind)(32, 64, num_layers=2, batch_first=True)
    head = nn.Linear(64, 10)
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in [*rnn.parameters(), *head.parameters()]:
            p.copy_(torch.from_numpy(rng.uniform(-0.125, 0.125, tuple(p.shape))
                                     .astype(np.float32)))
    return rnn, head


def case_rnn_train_adam_b16(fw: str, kind: str) -> dict:
    """One optimizer step: the recurrent layers, a linear head on the last step's output,
    cross-entropy, backward and Adam."""
    torch, nn, optim, _, _ = load_framework(fw)
    rnn, head = _seeded(torch, nn, kind)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-3)
    rng = np.random.default_rng(1)
    data = [(torch.from_numpy(rng.standard_normal((16, 50, 32), dtype=np.float32)),
             torch.from_numpy(rng.integers(0, 10, 16))) for _ in range(4)]
    it = [0]

    def step() -> None:
        x, y = data[it[0] % len(data)]
        it[0] += 1
        out, _ = rnn(x)
        loss = loss_fn(head(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    sec = _timeit(step, min_time=2.0)
    return {"seconds": sec, "samples_per_s": 16 / sec}
