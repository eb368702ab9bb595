"""examples/save_load.py (the "Save and Load the Model" tutorial) runs, and torch reads what
it wrote."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[1]


def test_save_load_example(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(REPO / "examples" / "save_load.py")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    reference = torch.nn.Sequential(
        torch.nn.Linear(28 * 28, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
        torch.nn.ReLU(), torch.nn.Linear(512, 10))
    body = repr(reference).replace("\n", "\n  ")
    expected_model = ("NeuralNetwork(\n  (flatten): Flatten(start_dim=1, end_dim=-1)\n"
                      f"  (linear_relu_stack): {body}\n)")
    assert result.stdout == expected_model + "\n" + expected_model + "\n"
    state = torch.load(tmp_path / "model_weights.pth", weights_only=True)
    assert list(state) == [f"linear_relu_stack.{i}.{p}" for i in (0, 2, 4)
                           for p in ("weight", "bias")]
    assert state["linear_relu_stack.0.weight"].shape == (512, 784)
