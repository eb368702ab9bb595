"""The "Quickstart" and "Optimizing Model Parameters" tutorials (examples/) in quick mode.

They run on the real FashionMNIST (read from the system copy); what they print is checked
against the same computation done with torch on the weights they produce."""

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import torch_seed_network  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(),
                                reason="FashionMNIST is not installed")
QUICK_TEST_ITEMS = 320  # what quick mode keeps of the test split


def run_example(name: str, cwd: Path) -> str:
    env = dict(os.environ, EMBER_EXAMPLE_QUICK="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, str(REPO / "examples" / name)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def read_idx(name: str) -> np.ndarray:
    with gzip.open(SYSTEM_FASHION_MNIST / f"{name}.gz") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw[4:4 + 4 * ndim], dtype=">u4")
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def test_quickstart(tmp_path):
    out = run_example("quickstart.py", tmp_path)
    assert "Shape of X [N, C, H, W]: ember.Size([64, 1, 28, 28])\n" in out
    assert "Shape of y: ember.Size([64]) ember.int64\n" in out
    assert "Using cpu device\n" in out or "Using cuda device\n" in out
    reference = torch_seed_network()
    assert str(reference) in out
    assert re.search(r"^loss: \d\.\d{6}  \[   64/  640\]$", out, re.M)
    assert "Done!\n" in out and "Saved PyTorch Model State to model.pth\n" in out
    # the saved weights are a torch-readable state_dict of the same network
    state = torch.load(tmp_path / "model.pth", weights_only=True)
    reference.load_state_dict(state)
    images = read_idx("t10k-images-idx3-ubyte")[:QUICK_TEST_ITEMS]
    labels = read_idx("t10k-labels-idx1-ubyte")[:QUICK_TEST_ITEMS].astype(np.int64)
    with torch.no_grad():
        logits = reference(torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1))
    accuracy = (logits.argmax(1).numpy() == labels).mean()
    assert f"Accuracy: {100 * accuracy:>0.1f}%" in out
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    predicted = classes[int(logits[0].argmax())]
    assert out.rstrip().endswith(f'Predicted: "{predicted}", Actual: "Ankle boot"')


def test_optimization(tmp_path):
    out = run_example("optimization.py", tmp_path)
    assert out.startswith("Epoch 1\n-------------------------------\n")
    losses = [float(x) for x in re.findall(r"^loss: (\d\.\d{6})  \[   64/  640\]$", out, re.M)]
    # the first batch of an untrained 10-class classifier: close to ln(10)
    assert len(losses) == 1 and abs(losses[0] - np.log(10)) < 0.1
    match = re.search(r"Test Error: \n Accuracy: (\d+\.\d)%, Avg loss: (\d\.\d{6}) \n", out)
    assert match and 0 <= float(match.group(1)) <= 100
    assert out.rstrip().endswith("Done!")
