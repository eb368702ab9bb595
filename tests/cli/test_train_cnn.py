"""``ember train --model cnn``: the model against PyTorch, a quick run, and (slow) the full run."""

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, subprocess_env, synthetic_split, write_idx

import ember
from ember.cli import train as train_command
from ember.cli.models import MODEL_DEFAULTS, SmallCNN, build_model

torch = pytest.importorskip("torch")

SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def torch_cnn():
    """The same network written with torch, layer by layer, as a plain ``nn.Sequential``."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10))


def test_cnn_prints_and_names_its_parameters_as_torch():
    ours, theirs = SmallCNN(), torch_cnn()
    body = repr(ours).split("\n", 1)[1]
    assert repr(ours).startswith("SmallCNN(\n")
    assert body == repr(theirs).split("\n", 1)[1]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), name


def test_torch_trained_state_dict_gives_the_same_logits():
    torch.manual_seed(0)
    reference = torch_cnn()
    opt = torch.optim.Adam(reference.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    for _ in range(3):  # running statistics and weights away from their initial values
        x = torch.from_numpy(rng.random((16, 1, 28, 28), dtype=np.float32))
        loss = torch.nn.functional.cross_entropy(reference(x),
                                                 torch.from_numpy(rng.integers(0, 10, 16)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    buf = io.BytesIO()
    torch.save(reference.state_dict(), buf)
    buf.seek(0)
    model = build_model("cnn")
    model.load_state_dict(ember.load(buf))
    reference.eval(), model.eval()
    x = rng.random((8, 1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    got = model(ember.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def settings(*argv):
    parser = argparse.ArgumentParser()
    train_command.add_parser(parser.add_subparsers())
    return train_command._settings(parser.parse_args(["train", *argv]), None)


def test_cnn_has_its_own_default_epochs_and_options_still_win():
    assert settings("--model", "cnn")["epochs"] == MODEL_DEFAULTS["cnn"]["epochs"] == 12
    assert settings("--model", "cnn")["lr_schedule"] == "cosine"
    assert settings("--model", "cnn", "--lr-schedule", "constant")["lr_schedule"] == "constant"
    assert settings("--model", "cnn", "--epochs", "3")["epochs"] == 3
    assert settings()["epochs"] == 10 and settings("--model", "mlp")["epochs"] == 10


def test_cosine_schedule_gives_cosine_annealing_lr_per_epoch():
    params = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD(params, lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)
    cfg = {"lr": 1e-3, "epochs": 12, "lr_schedule": "cosine"}
    for epoch in range(12):
        assert train_command.epoch_lr(cfg, epoch) == pytest.approx(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    assert train_command.epoch_lr({**cfg, "lr_schedule": "constant"}, 5) == 1e-3


def test_trainer_applies_the_schedule(capsys, synthetic, tmp_path):
    rc, out, err = run_cli(capsys, "train", "--epochs", "2", "--lr-schedule", "cosine",
                           "--limit-train", "128", "--limit-test", "64", "--data-dir",
                           synthetic[0], "--out", tmp_path, "--progress", "off",
                           "--no-download")
    assert rc == 0, err
    assert "adam lr=0.001 (cosine), batch 64" in out
    ckpt = ember.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ckpt["optimizer"]["param_groups"][0]["lr"] == pytest.approx(5e-4)  # epoch 2 of 2


@pytest.fixture(scope="module")
def data_1024(tmp_path_factory):
    """1,024 training and 256 test images of the easy synthetic classes, as FashionMNIST."""
    root = tmp_path_factory.mktemp("data")
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, (n, seed) in {"train": (1024, 1), "t10k": (256, 2)}.items():
        images, labels = synthetic_split(n, seed)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def test_one_epoch_of_the_cnn_on_a_subset(capsys, data_1024, tmp_path):
    rc, out, err = run_cli(capsys, "train", "--model", "cnn", "--epochs", "1",
                           "--limit-train", "1024", "--limit-test", "256", "--data-dir",
                           data_1024, "--out", tmp_path / "run", "--progress", "off",
                           "--no-download")
    assert rc == 0, err
    assert out.startswith(str(SmallCNN()))
    assert "Training cnn on fashion-mnist (1,024 train / 256 test samples)" in out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["settings"]["model"] == "cnn" and metrics["settings"]["epochs"] == 1
    assert metrics["history"][0]["test_accuracy"] > 0.5  # 16 steps on easy classes
    rc, out, _ = run_cli(capsys, "evaluate", tmp_path / "run", "--data-dir", data_1024,
                         "--no-download")
    assert rc == 0, out


@pytest.mark.slow
@pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(), reason="FashionMNIST is not installed")
def test_cnn_training_reaches_93_percent(tmp_path):
    """``ember train --model cnn`` with its defaults on the real FashionMNIST."""
    result = subprocess.run([sys.executable, "-m", "ember", "train", "--model", "cnn",
                             "--out", str(tmp_path / "run"), "--data-dir",
                             str(tmp_path / "data"), "--progress", "off", "--no-download"],
                            capture_output=True, text=True, env=subprocess_env(),
                            cwd=os.fspath(tmp_path))
    assert result.returncode == 0, result.stderr
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    print(result.stdout)
    assert len(history) == MODEL_DEFAULTS["cnn"]["epochs"]
    assert history[-1]["test_accuracy"] >= 0.93


def test_benchmark_cnn_is_the_command_line_cnn(monkeypatch):
    # benchmarks/cnn_case.py writes the layers out (its PyTorch process must not import ember)
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))  # the repository
    from benchmarks.cnn_case import build_cnn
    from benchmarks.epoch import build_mlp

    from ember import nn
    from ember.cli.models import NeuralNetwork
    assert repr(build_cnn(nn)).split("\n", 1)[1] == repr(SmallCNN()).split("\n", 1)[1]
    mlp = [repr(m) for m in build_mlp(nn).modules() if not list(m.children())]
    assert mlp == [repr(m) for m in NeuralNetwork().modules() if not list(m.children())]
