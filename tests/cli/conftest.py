"""Fixtures for the command-line tests: a small learnable dataset in IDX files, written by the
tests themselves, and a run of ``ember train`` on it shared by the tests that need one."""

import contextlib
import io
import os
import struct

import numpy as np
import pytest

import ember
from ember.cli import main

N_TRAIN, N_TEST, BATCH = 512, 256, 64


def write_idx(path, array: np.ndarray) -> None:
    """IDX format: big-endian magic (0x0000, dtype code 0x08 = ubyte, rank), dims, bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                     *array.shape)
    with open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def synthetic_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class k lights rows 2k+4..2k+5 over a noisy background: easy to learn, not trivial."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = rng.integers(0, 90, size=(n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        images[i, 2 * k + 4:2 * k + 6, 3:25] = rng.integers(170, 256, size=(2, 22))
    return images, labels


def write_dataset(root, folder: str = "FashionMNIST") -> dict:
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    splits = {"train": synthetic_split(N_TRAIN, 1), "t10k": synthetic_split(N_TEST, 2)}
    for prefix, (images, labels) in splits.items():
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return splits


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """The commands seed ember's global generator, as a script would; other tests should not
    see that."""
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """(data_dir, {"train": (images, labels), "t10k": (images, labels)})."""
    root = tmp_path_factory.mktemp("data")
    return root, write_dataset(root)


def train_args(data_dir, out, *extra: str) -> list[str]:
    return ["train", "--data-dir", str(data_dir), "--out", str(out), "--no-download",
            "--batch-size", str(BATCH), "--progress", "off", *extra]


@pytest.fixture(scope="session")
def trained_run(synthetic, tmp_path_factory):
    """One epoch of ``ember train`` on the synthetic data: (out_dir, rc, stdout, stderr)."""
    data_dir, _ = synthetic
    out = tmp_path_factory.mktemp("run")
    stdout, stderr = io.StringIO(), io.StringIO()
    state = ember.get_rng_state()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = main(train_args(data_dir, out, "--epochs", "1"))
    ember.set_rng_state(state)
    return out, rc, stdout.getvalue(), stderr.getvalue()


def subprocess_env() -> dict:
    """Environment for running ``python -m ember`` from the repository checkout."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    return env


def torch_mlp():
    """The "Build the Neural Network" model written with torch, as a reference."""
    import torch
    from helpers import torch_seed_network

    torch.manual_seed(0)
    return torch_seed_network()


def torch_logits(state_dict, images: np.ndarray):
    """Logits of the torch reference model with ``state_dict`` on uint8 images (N, 28, 28)."""
    import torch

    model = torch_mlp()
    model.load_state_dict(state_dict)
    model.eval()
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255)).unsqueeze(1)
    with torch.no_grad():
        return model(x)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run ``main`` in this process: (status, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_one_line_error(rc: int, err: str, *fragments: str) -> None:
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ember ") and "error:" in lines[0]
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def checkpoint_of(trained_run):
    out, rc, _, err = trained_run
    assert rc == 0, err
    return out / "checkpoint.pt"


def write_png(path, pixels: np.ndarray, mode: str = "L") -> None:
    from PIL import Image
    Image.fromarray(pixels, mode=mode).save(path)


