"""Benchmark cases, each run in a fresh process for one framework ("ember" or "torch"; the
seed network's training steps and batch-1 inference also for "numpy", the hand-written
NumPy reference of ``numpy_loop``).

Every case builds the same model and data from the same seeds in NumPy, so all frameworks
see identical work; each case returns a dict of measurements (seconds, or bytes).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

SEED_LAYERS = (784, 512, 512, 10)
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist package


def threads() -> int:
    """The thread count the runner chose (it sets the BLAS/OpenMP variables for both)."""
    return int(os.environ.get("OMP_NUM_THREADS", "2"))


def load_framework(name: str, full: bool = True):
    """Import the framework with its helpers (nn, optim, DataLoader), torch on ``threads()``."""
    if name == "torch":
        import torch
        torch.set_num_threads(threads())
        if not full:
            return torch, None, None, None, None
        from torch import nn, optim
        from torch.utils.data import DataLoader, TensorDataset
    else:
        import ember as torch
        if not full:
            return torch, None, None, None, None
        from ember import nn, optim
        from ember.utils.data import DataLoader, TensorDataset
    return torch, nn, optim, DataLoader, TensorDataset


def _timeit(fn: Callable[[], Any], min_time: float = 1.0, warmup: int = 3) -> float:
    """Seconds per call: the fastest of many short batches of calls (run for ``min_time``).

    As ``timeit`` advises, the minimum is the figure to compare: slower batches measure what
    else the machine was doing. Batches last about 5 ms, so that on a machine shared with
    other work some of them still run undisturbed.
    """
    for _ in range(warmup):
        fn()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start > 0.005:
            break
        n *= 2
    per = []
    end = time.perf_counter() + min_time
    while time.perf_counter() < end or len(per) < 10:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        per.append((time.perf_counter() - start) / n)
    return float(min(per))


def _seed_model(torch: Any, nn: Any) -> Any:
    """The "Build the Neural Network" MLP with weights drawn from a fixed NumPy seed."""
    rng = np.random.default_rng(0)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(SEED_LAYERS, SEED_LAYERS[1:])):
        lin = nn.Linear(fan_in, fan_out)
        bound = 1 / np.sqrt(fan_in)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(
                rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)))
            lin.bias.copy_(torch.from_numpy(
                rng.uniform(-bound, bound, fan_out).astype(np.float32)))
        layers.append(lin)
        if i < len(SEED_LAYERS) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(nn.Flatten(), *layers)


def _batches(torch: Any, batch: int, count: int = 16) -> list:
    """``count`` batches of random images and labels; NumPy arrays when ``torch`` is None."""
    rng = np.random.default_rng(1)
    x = rng.random((count, batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, (count, batch))
    if torch is None:
        return [(x[i], y[i]) for i in range(count)]
    return [(torch.from_numpy(x[i]), torch.from_numpy(y[i])) for i in range(count)]


def case_train_step(fw: str, optimizer: str = "sgd", batch: int = 64) -> dict:
    if fw == "numpy":
        from benchmarks import numpy_loop
        sec = _timeit(numpy_loop.training_step(optimizer, _batches(None, batch)))
        return {"seconds": sec, "samples_per_s": batch / sec}
    torch, nn, optim, _, _ = load_framework(fw)
    model = _seed_model(torch, nn)
    loss_fn = nn.CrossEntropyLoss()
    opt = (optim.SGD(model.parameters(), lr=1e-3, momentum=0.9) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=1e-3))
    sec = _timeit(training_step(model, loss_fn, opt, _batches(torch, batch)))
    return {"seconds": sec, "samples_per_s": batch / sec}


def training_step(model: Any, loss_fn: Any, opt: Any, data: list) -> Callable[[], None]:
    """A call that runs one optimizer step on the next batch of ``data`` (cycling)."""
    it = [0]

    def step() -> None:
        x, y = data[it[0] % len(data)]
        it[0] += 1
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def case_inference_latency(fw: str) -> dict:
    if fw == "numpy":
        from benchmarks import numpy_loop
        model_np = numpy_loop.SeedMLP()
        image = np.random.default_rng(2).random((1, 1, 28, 28), dtype=np.float32)
        return {"seconds": _timeit(lambda: model_np.predict(image))}
    torch, nn, _, _, _ = load_framework(fw)
    model = _seed_model(torch, nn).eval()
    x = torch.from_numpy(np.random.default_rng(2).random((1, 1, 28, 28), dtype=np.float32))

    def predict() -> None:
        with torch.no_grad():
            model(x).argmax(1)
    return {"seconds": _timeit(predict)}


def case_evaluate_10k(fw: str) -> dict:
    torch, nn, _, DataLoader, TensorDataset = load_framework(fw)
    model = _seed_model(torch, nn).eval()
    rng = np.random.default_rng(3)
    ds = TensorDataset(torch.from_numpy(rng.random((10000, 1, 28, 28), dtype=np.float32)),
                       torch.from_numpy(rng.integers(0, 10, 10000)))
    loader = DataLoader(ds, batch_size=1000)

    def evaluate() -> None:
        correct = 0
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum().item()
    return {"seconds": _timeit(evaluate, min_time=2.0, warmup=1)}




def case_epoch(fw: str) -> dict:
    """One epoch of FashionMNIST's 60,000 training images through DataLoader, batch 64, SGD.

    ember reads the files with its own ``datasets.FashionMNIST`` (which finds Debian's copy)
    and ``transforms.ToTensor``; torch gets the same uint8 arrays through its own DataLoader,
    scaled per item as ToTensor does (torchvision does not install beside torch 2.13 here).
    Also reported: the process's peak resident memory, which the epoch sets for both.
    """
    torch, nn, optim, DataLoader, TensorDataset = load_framework(fw)
    model = _seed_model(torch, nn)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    if fw == "torch":
        images, labels = _fashion_arrays_torchless()
        ds = _TorchUint8Dataset(torch, images, labels)
    else:
        from ember.vision import datasets, transforms
        ds = datasets.FashionMNIST(os.path.join(os.path.dirname(__file__), "data"), train=True,
                                   download=False, transform=transforms.ToTensor())
    torch.manual_seed(0)
    loader = DataLoader(ds, batch_size=64, shuffle=True)
    rss_before = _current_rss()
    start = time.perf_counter()
    steps = 0
    for x, y in loader:
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
    sec = time.perf_counter() - start
    assert steps == 938, steps  # the whole training split went through
    return {"seconds": sec, "peak_rss_bytes": _peak_rss(),
            "rss_before_epoch_bytes": rss_before}


def _fashion_arrays_torchless() -> tuple:
    import gzip
    root = FASHION_MNIST
    with gzip.open(os.path.join(root, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(root, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return images, labels


class _TorchUint8Dataset:
    """torch's side of the epoch case: the same uint8 arrays, scaled as ToTensor does."""

    def __init__(self, torch: Any, images: np.ndarray, labels: np.ndarray) -> None:
        self.images = torch.from_numpy(images.copy())
        self.labels = torch.from_numpy(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple:
        return self.images[i].unsqueeze(0).float().div(255), self.labels[i]


def case_overhead(fw: str) -> dict:
    torch, _, _, _, _ = load_framework(fw, full=False)
    rng = np.random.default_rng(4)
    a, b = (torch.from_numpy(rng.random(10, dtype=np.float32)) for _ in range(2))
    ag, bg = (torch.from_numpy(rng.random(10, dtype=np.float32)).requires_grad_() for _ in range(2))
    return {
        "add": _timeit(lambda: a + b, 0.5),
        "mul": _timeit(lambda: a * b, 0.5),
        "add_autograd": _timeit(lambda: ag + bg, 0.5),
        "mul_autograd": _timeit(lambda: ag * bg, 0.5),
    }


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


_IMPORT_PROBE = """
import os, sys, time, json
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
with open("/proc/self/statm") as f:
    rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
print(json.dumps({{"seconds": seconds, "rss_bytes": rss}}))
"""


def bytecode_env() -> dict:
    """The environment with Python's bytecode caches on, kept in a private folder.

    An installed package is imported from compiled bytecode; a checkout run with
    ``PYTHONDONTWRITEBYTECODE`` would be compiled from source at every start instead, which
    is not what users see (and would charge ember, run from source, for the compiler).
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "ember-bench-pycache")
    return env


def case_import(fw: str) -> dict:
    """``import ember`` / ``import torch`` in a fresh interpreter (NumPy not yet loaded, as
    for a user's script; both libraries load it), and the resident memory right after.
    A first, unmeasured import writes the bytecode caches that the measured one reads."""
    module = "torch" if fw == "torch" else "ember"
    cmd = [sys.executable, "-c", _IMPORT_PROBE.format(module=module)]
    env = bytecode_env()
    subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# The cases that also run the hand-written NumPy reference (``numpy_loop``).
NUMPY_CASES = ("train_sgd_b64", "train_adam_b64", "train_sgd_b512", "inference_b1")

CASES = {
    "overhead": case_overhead,
    "train_sgd_b64": lambda fw: case_train_step(fw, "sgd", 64),
    "train_adam_b64": lambda fw: case_train_step(fw, "adam", 64),
    "train_sgd_b512": lambda fw: case_train_step(fw, "sgd", 512),
    "inference_b1": case_inference_latency,
    "evaluate_10k": case_evaluate_10k,
    "epoch_fashion_mnist": case_epoch,
    "import": case_import,
    "cnn_train_adam_b64": lambda fw: _cnn_train_step(fw),
    "lstm_train_adam_b16": lambda fw: _rnn_train_step(fw, "LSTM"),
    "gru_train_adam_b16": lambda fw: _rnn_train_step(fw, "GRU"),
}


def _cnn_train_step(fw: str) -> dict:
    # Imported on use: the CNN case lives beside this file and imports its helpers from it.
    from benchmarks.cnn_case import case_cnn_train_adam_b64
    return case_cnn_train_adam_b64(fw)


def _rnn_train_step(fw: str, kind: str) -> dict:
    from benchmarks.rnn_case import case_rnn_train_adam_b16
    return case_rnn_train_adam_b16(fw, kind)


def machine_probe() -> float:
    """Seconds for a fixed NumPy workload (a matrix product and a square root pass), the
    fastest of 20: how fast the machine runs right now. A virtual machine's speed drifts
    by up to 2x for minutes at a time, for whatever runs on it; the runner compares these
    figures to re-run the cases measured during a slow spell."""
    rng = np.random.default_rng(4)
    a, b = rng.random((256, 512), dtype=np.float32), rng.random((512, 512), dtype=np.float32)
    v = rng.random(1 << 19, dtype=np.float32)
    best = float("inf")
    for _ in range(20):
        start = time.perf_counter()
        a @ b
        np.sqrt(v)
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":  # python benchmarks/cases.py CASE FRAMEWORK -> one JSON line
    # Probed before the case only: afterwards the process may have changed how BLAS threads
    # (ember's op threads leave it single-threaded), which the probe would mistake for a spell.
    probe = machine_probe()
    result = CASES[sys.argv[1]](sys.argv[2])
    result["_probe_s"] = probe
    print(json.dumps(result))
