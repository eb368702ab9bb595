"""One training epoch of a model of ``ember train`` on FashionMNIST, in PyTorch or ember, timed.

    python -m benchmarks.epoch                                  # the CNN on PyTorch, 2 threads
    python -m benchmarks.epoch --framework ember                # the same epoch on ember
    python -m benchmarks.epoch --model mlp --framework ember    # the seed network
    python -m benchmarks.epoch --threads 1 --limit 6400

Both frameworks build the network with the same layers (``benchmarks.cnn_case.build_cnn``,
or ``build_mlp`` here: the network of "Build the Neural Network") and start from the same
NumPy-seeded weights, visit the 60,000 training images in the order ``ember train``
uses for epoch 1 (seed 0), in batches of 64, with Adam (lr 1e-3), and scale the uint8 images
to [0, 1] as ``ToTensor`` does. The script prints the training time of the epoch, the
throughput and the test accuracy reached after it.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from pathlib import Path

ROOTS = (Path("data") / "FashionMNIST" / "raw", Path("/usr/share/datasets/fashion-mnist"))


def _read_idx(name: str, offset: int):
    import numpy as np

    for root in ROOTS:
        for path in (root / name, root / (name + ".gz")):
            if path.is_file():
                opener = gzip.open if path.suffix == ".gz" else open
                with opener(path, "rb") as f:
                    return np.frombuffer(f.read(), np.uint8, offset=offset)
    sys.exit(f"cannot find {name} under {' or '.join(map(str, ROOTS))}")


def load_split(prefix: str) -> tuple:
    """uint8 images (N, 28, 28) and int64 labels of the ``train`` or ``t10k`` split."""
    images = _read_idx(f"{prefix}-images-idx3-ubyte", 16).reshape(-1, 28, 28)
    labels = _read_idx(f"{prefix}-labels-idx1-ubyte", 8).astype("int64")
    return images, labels


def _framework(name: str, threads: int):
    if name == "torch":
        import torch
        torch.set_num_threads(threads)
        return torch
    import ember
    return ember


def build_mlp(nn):
    """The seed network of ``ember train`` (``--model mlp``) from a framework's ``nn``."""
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512),
                         nn.ReLU(), nn.Linear(512, 10))


def _as_input(torch, images):
    import numpy as np
    return torch.from_numpy(images[:, None].astype(np.float32) / np.float32(255))


def train_epoch(torch, model, images, labels, limit: int | None) -> tuple:
    """(seconds, samples) of one epoch over ``images`` in ``ember train``'s epoch-1 order."""
    import numpy as np

    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = np.random.default_rng([0, 0]).permutation(len(labels))[:limit]
    model.train()
    start = time.perf_counter()
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        loss = loss_fn(model(_as_input(torch, images[idx])), torch.from_numpy(labels[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start, len(order)


def accuracy(torch, model, images, labels) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), 1000):
            logits = model(_as_input(torch, images[i:i + 1000]))
            correct += int((logits.argmax(1) == torch.from_numpy(labels[i:i + 1000])).sum())
    return correct / len(labels)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=["torch", "ember"], default="torch")
    parser.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / intra-op threads")
    parser.add_argument("--limit", type=int, help="train on the first N samples of the order")
    args = parser.parse_args(argv)
    # BLAS reads its thread count when NumPy loads it: set it before the first import.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    from .cnn_case import build_cnn, seed_weights

    torch = _framework(args.framework, args.threads)
    build = build_cnn if args.model == "cnn" else build_mlp
    model = seed_weights(torch, build(torch.nn))
    train_x, train_y = load_split("train")
    test_x, test_y = load_split("t10k")
    cpu0 = time.process_time()
    seconds, samples = train_epoch(torch, model, train_x, train_y, args.limit)
    cpu = time.process_time() - cpu0
    acc = accuracy(torch, model, test_x, test_y)
    print(f"{args.framework} {args.model} ({args.threads} threads): 1 epoch of {samples:,} "
          f"samples in {seconds:.1f} s ({samples / seconds:,.0f} samples/s, {cpu:.1f} s CPU); "
          f"test accuracy {100 * acc:.2f}%")


if __name__ == "__main__":
    main()
