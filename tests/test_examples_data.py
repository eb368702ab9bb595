"""The "Datasets & DataLoaders" and "Transforms" tutorials (examples/) in quick mode, on the
real FashionMNIST read from the system copy."""

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(),
                                reason="FashionMNIST is not installed")


def run_example(name: str, cwd: Path) -> str:
    env = dict(os.environ, EMBER_EXAMPLE_QUICK="1")
    env.pop("DISPLAY", None)  # the scripts must pick the off-screen backend themselves
    env.pop("MPLBACKEND", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, str(REPO / "examples" / name)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def first_train_label() -> int:
    with gzip.open(SYSTEM_FASHION_MNIST / "train-labels-idx1-ubyte.gz") as f:
        return f.read(9)[8]


def test_datasets_and_dataloaders(tmp_path):
    out = run_example("datasets_dataloaders.py", tmp_path)
    assert "Feature batch shape: ember.Size([64, 1, 28, 28])\n" in out
    assert "Labels batch shape: ember.Size([64])\n" in out
    label = re.search(r"^Label: (\d+)$", out, re.M)
    assert label and 0 <= int(label.group(1)) <= 9
    assert not (tmp_path / "data").exists()  # the system copy was used, nothing downloaded


def test_transforms(tmp_path):
    torch = pytest.importorskip("torch")
    out = run_example("transforms.py", tmp_path)
    y = first_train_label()
    expected = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)
    shown = re.search(r"^target: tensor\(\[(.*)\]\)$", out, re.M).group(1)
    values = np.array([float(v.rstrip(".")) for v in shown.split(",")], dtype=np.float32)
    np.testing.assert_array_equal(values, expected.numpy())
    assert "image: ember.Size([1, 28, 28]) ember.float32, min 0.0000, max 1.0000\n" in out
    assert "Transform: ToTensor()\nTarget transform: Lambda()\n" in out
    assert "same one-hot with keyword arguments: True\n" in out
