"""``ember train`` end to end on a small dataset: outputs, progress, Ctrl-C and resume."""

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_line_error, run_cli, subprocess_env, train_args

import ember
from ember.cli.plot import METRIC_FIELDS

SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
TIMING = {"epoch_seconds", "samples_per_second"}


def load(path):
    return ember.load(path, weights_only=True)


def test_train_writes_checkpoint_metrics_and_curves(trained_run):
    out, rc, stdout, stderr = trained_run
    assert rc == 0, stderr
    assert str(ember.cli.models.NeuralNetwork()) in stdout  # print(model), as the page does
    assert "Epoch 1/1: train loss" in stdout and "samples/s" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert [h["epoch"] for h in metrics["history"]] == [1]
    record = metrics["history"][0]
    assert set(record) == set(METRIC_FIELDS)
    assert record["test_accuracy"] > 0.9  # the synthetic classes are easy to tell apart
    assert metrics["settings"]["optimizer"] == "adam" and metrics["settings"]["lr"] == 1e-3
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and float(rows[0]["test_accuracy"]) == pytest.approx(
        record["test_accuracy"])
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ckpt = load(out / "checkpoint.pt")
    assert (ckpt["epoch"], ckpt["step"]) == (1, 0)
    assert ckpt["history"] == metrics["history"]
    assert ckpt["args"]["batch_size"] == 64 and ckpt["args"]["seed"] == 0
    assert set(ckpt["optimizer"]) == {"state", "param_groups"}


def test_progress_bar_shows_loss_and_throughput(capsys, synthetic, tmp_path):
    rc, _, err = run_cli(capsys, *train_args(synthetic[0], tmp_path, "--epochs", "1",
                                             "--limit-train", "128", "--limit-test", "64"))
    assert rc == 0
    rc, _, err = run_cli(capsys, "train", "--resume", tmp_path / "checkpoint.pt", "--epochs",
                         "2", "--progress", "on", "--data-dir", synthetic[0], "--no-download")
    assert rc == 0
    assert "Epoch 2/2" in err and "loss=" in err and "samples/s" in err


def test_default_output_directory(capsys, monkeypatch, synthetic, tmp_path):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run_cli(capsys, "train", "--data-dir", synthetic[0], "--no-download",
                         "--epochs", "1", "--limit-train", "64", "--limit-test", "64",
                         "--progress", "off")
    assert rc == 0
    (run,) = (tmp_path / "runs").glob("2*")  # runs/<timestamp>
    assert f"writing to {Path('runs') / run.name}" in out
    assert (run / "checkpoint.pt").is_file() and (run / "metrics.json").is_file()
    assert (tmp_path / "runs" / "latest" / "checkpoint.pt").is_file()


def assert_same_run(a: Path, b: Path) -> None:
    """Same weights, optimizer state, position and metrics (timings aside), bit for bit."""
    ca, cb = load(a / "checkpoint.pt"), load(b / "checkpoint.pt")
    assert ca["model"].keys() == cb["model"].keys()
    for key in ca["model"]:
        np.testing.assert_array_equal(ca["model"][key].numpy(), cb["model"][key].numpy(),
                                      err_msg=key)
    sa, sb = ca["optimizer"]["state"], cb["optimizer"]["state"]
    assert sa.keys() == sb.keys()
    for index in sa:
        for name in sa[index]:
            np.testing.assert_array_equal(np.asarray(sa[index][name]),
                                          np.asarray(sb[index][name]))
    assert ca["optimizer"]["param_groups"] == cb["optimizer"]["param_groups"]
    assert (ca["epoch"], ca["step"]) == (cb["epoch"], cb["step"])
    strip = [{k: v for k, v in h.items() if k not in TIMING} for h in ca["history"]]
    assert strip == [{k: v for k, v in h.items() if k not in TIMING} for h in cb["history"]]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_interrupt_then_resume_equals_uninterrupted(capsys, monkeypatch, synthetic, tmp_path,
                                                    optimizer):
    data_dir = synthetic[0]
    batches = 4
    settings = ["--epochs", "2", "--optimizer", optimizer, "--seed", "7",
                "--limit-train", str(64 * batches), "--limit-test", "64"]
    assert run_cli(capsys, *train_args(data_dir, tmp_path / "ref", *settings))[0] == 0
    run = tmp_path / "run"
    ckpt = run / "checkpoint.pt"
    resume = ["train", "--resume", ckpt, "--progress", "off", "--data-dir", data_dir,
              "--no-download"]
    # Stop mid-epoch 1, then exactly at the end of epoch 1, then mid-epoch 2, then finish.
    monkeypatch.setenv("EMBER_TEST_SIGINT_AFTER_STEPS", "2")
    rc, _, err = run_cli(capsys, *train_args(data_dir, run, *settings))
    assert rc == 130
    assert f"Interrupted: saved a resumable checkpoint (epoch 1, batch 2/{batches})" in err
    assert f"ember train --resume {ckpt}" in err and "Traceback" not in err
    assert (load(ckpt)["epoch"], load(ckpt)["step"]) == (0, 2)
    assert run_cli(capsys, *resume)[0] == 130  # 2 more steps: the end of epoch 1
    assert (load(ckpt)["epoch"], load(ckpt)["step"]) == (1, 0)
    monkeypatch.setenv("EMBER_TEST_SIGINT_AFTER_STEPS", "1")
    assert run_cli(capsys, *resume)[0] == 130
    assert (load(ckpt)["epoch"], load(ckpt)["step"]) == (1, 1)
    monkeypatch.delenv("EMBER_TEST_SIGINT_AFTER_STEPS")
    rc, out, _ = run_cli(capsys, *resume)
    assert rc == 0 and "resuming at epoch 2, batch 2" in out
    assert_same_run(tmp_path / "ref", run)
    # a finished run has nothing left to do, unless asked for more epochs
    rc, out, _ = run_cli(capsys, *resume)
    assert rc == 0 and out.startswith("Nothing to do")


def test_ctrl_c_from_outside(synthetic, tmp_path):
    """Ctrl-C in a terminal signals the whole process group, DataLoader workers included:
    ``ember train`` stops cleanly with a resumable checkpoint."""
    argv = train_args(synthetic[0], tmp_path / "run", "--epochs", "50", "--batch-size", "4",
                      "--workers", "2")
    proc = subprocess.Popen([sys.executable, "-m", "ember", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=subprocess_env(),
                            start_new_session=True)
    try:
        for line in proc.stdout:  # the header is printed just before the first batch
            if line.startswith("Training mlp"):
                break
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "Interrupted: saved a resumable checkpoint" in stderr
    assert "Traceback" not in stderr
    ckpt = load(tmp_path / "run" / "checkpoint.pt")
    assert ckpt["epoch"] < 50 and (ckpt["epoch"], ckpt["step"]) != (0, 0)


@pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(), reason="FashionMNIST is not installed")
def test_train_on_real_fashion_mnist_subset(capsys, tmp_path):
    rc, out, err = run_cli(capsys, "train", "--data-dir", tmp_path / "data", "--out",
                           tmp_path / "run", "--limit-train", "2048", "--limit-test", "500",
                           "--epochs", "1", "--progress", "off", "--no-download")
    assert rc == 0, err
    assert "(2,048 train / 500 test samples)" in out
    accuracy = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"][0]
    assert accuracy["test_accuracy"] > 0.6
    rc, out, _ = run_cli(capsys, "predict", tmp_path / "run", "--index", "0", "--data-dir",
                         tmp_path / "data", "--no-download")
    assert rc == 0 and "test item 0 (true class: Ankle boot):" in out


@pytest.mark.slow
@pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(), reason="FashionMNIST is not installed")
def test_default_training_reaches_88_percent(tmp_path):
    """``ember train`` with its defaults: the seed MLP, Adam 1e-3, batch 64, 10 epochs."""
    result = subprocess.run([sys.executable, "-m", "ember", "train", "--out",
                             str(tmp_path / "run"), "--data-dir", str(tmp_path / "data"),
                             "--progress", "off", "--no-download"],
                            capture_output=True, text=True, env=subprocess_env(),
                            cwd=os.fspath(tmp_path))
    assert result.returncode == 0, result.stderr
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    assert len(history) == 10
    print(result.stdout)
    assert history[-1]["test_accuracy"] >= 0.88


def test_train_runs_without_the_train_extra(monkeypatch, capsys, synthetic, tmp_path):
    # NumPy alone: no tqdm, matplotlib or Pillow (a None entry in sys.modules makes the
    # import fail, as if the package were not installed)
    import sys
    for name in ("tqdm", "tqdm.auto", "matplotlib", "matplotlib.figure",
                 "matplotlib.backends.backend_agg", "PIL", "PIL.Image"):
        monkeypatch.setitem(sys.modules, name, None)
    data_dir, _ = synthetic
    out = tmp_path / "run"
    args = train_args(data_dir, out, "--epochs", "1")
    args[args.index("--progress") + 1] = "on"
    rc, stdout, err = run_cli(capsys, *args)
    assert rc == 0, err
    assert (out / "checkpoint.pt").is_file() and (out / "metrics.csv").is_file()
    assert not (out / "curves.png").exists()
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 2 and "pip install 'ember[train]'" in notes[0]
    assert any("tqdm" in n for n in notes) and any("matplotlib" in n for n in notes)
    rc, _, err = run_cli(capsys, "evaluate", out, "--data-dir", data_dir, "--no-download",
                         "--plot", tmp_path / "c.png")
    assert_one_line_error(rc, err, "matplotlib", "ember[train]")
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    rc, _, err = run_cli(capsys, "predict", out / "checkpoint.pt", png)
    assert_one_line_error(rc, err, "Pillow")
