"""``ember`` usage and bad input: one clear line on stderr and a non-zero status, never a
traceback; image loading for ``predict``."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import assert_one_line_error, checkpoint_of, run_cli, subprocess_env, write_png

import ember

# -- import cost, usage ------------------------------------------------------------------
def test_import_does_not_load_heavy_modules():
    code = ("import sys, ember.cli; "
            "print(sorted(m for m in ('tqdm', 'matplotlib', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=subprocess_env(), check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv", [["train", "--bogus"], ["frobnicate"], [],
                                  ["train", "--optimizer", "lbfgs"], ["train", "--epochs", "0"]])
def test_usage_errors_exit_2_without_traceback(capsys, argv):
    rc, _, err = run_cli(capsys, *argv)
    assert rc == 2
    assert "usage: ember" in err and "error:" in err and "Traceback" not in err


def test_help_exits_0(capsys):
    rc, out, _ = run_cli(capsys, "--help")
    assert rc == 0
    for command in ("train", "evaluate", "predict", "summary"):
        assert command in out


def test_load_image_any_size_and_invert(tmp_path):
    from ember.cli.predict import load_image

    pixels = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    write_png(tmp_path / "same.png", pixels)
    np.testing.assert_array_equal(load_image(str(tmp_path / "same.png")), pixels)
    np.testing.assert_array_equal(load_image(str(tmp_path / "same.png"), invert=True),
                                  255 - pixels)
    # a wide RGB photo: white background, a dark square in the middle
    photo = np.full((300, 600, 3), 255, dtype=np.uint8)
    photo[100:200, 250:350] = 0
    write_png(tmp_path / "photo.jpg", photo, "RGB")
    small = load_image(str(tmp_path / "photo.jpg"), invert=True)
    assert small.shape == (28, 28) and small.dtype == np.uint8
    # padded to a square with the (inverted, black) background; the square stays square
    assert small[0].max() < 20 and small[14, 14] > 235
    bright = np.argwhere(small > 128)
    height, width = np.ptp(bright, axis=0) + 1
    assert abs(int(height) - int(width)) <= 1




# -- bad input: one line on stderr, status 1 ------------------------------------------------
def test_missing_checkpoint(capsys, tmp_path):
    for command in ("evaluate", "predict", "summary"):
        argv = [command, tmp_path / "nope.pt"] + (["--index", "0"] if command == "predict" else [])
        rc, _, err = run_cli(capsys, *argv)
        assert_one_line_error(rc, err, "not found", "nope.pt")
    rc, _, err = run_cli(capsys, "train", "--resume", tmp_path / "nope.pt")
    assert_one_line_error(rc, err, "not found")


def test_not_a_checkpoint(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    rc, _, err = run_cli(capsys, "evaluate", tmp_path / "notes.txt")
    assert_one_line_error(rc, err, "cannot read checkpoint", "notes.txt")
    ember.save({"weights": [1, 2, 3]}, tmp_path / "other.pt")
    rc, _, err = run_cli(capsys, "summary", tmp_path / "other.pt")
    assert_one_line_error(rc, err, "not an ember checkpoint")
    rc, _, err = run_cli(capsys, "evaluate", tmp_path)
    assert_one_line_error(rc, err, "directory")


def test_checkpoint_of_another_model(capsys, tmp_path):
    ember.save(ember.nn.Linear(3, 2).state_dict(), tmp_path / "linear.pt")
    rc, _, err = run_cli(capsys, "summary", tmp_path / "linear.pt")
    assert_one_line_error(rc, err, "does not hold weights for model 'mlp'")


def test_weights_only_checkpoint_cannot_resume(capsys, tmp_path, trained_run):
    state = ember.load(checkpoint_of(trained_run), weights_only=True)["model"]
    ember.save(state, tmp_path / "weights.pth")
    rc, _, err = run_cli(capsys, "train", "--resume", tmp_path / "weights.pth")
    assert_one_line_error(rc, err, "only model weights")
    rc, out, _ = run_cli(capsys, "summary", tmp_path / "weights.pth")  # fine for inference
    assert rc == 0 and out.startswith("Model structure: NeuralNetwork(")


def test_bad_images(capsys, tmp_path, trained_run):
    ckpt = checkpoint_of(trained_run)
    (tmp_path / "fake.png").write_bytes(b"this is not a png")
    rc, _, err = run_cli(capsys, "predict", ckpt, tmp_path / "fake.png")
    assert_one_line_error(rc, err, "fake.png", "not an image")
    rc, _, err = run_cli(capsys, "predict", ckpt, tmp_path / "missing.png")
    assert_one_line_error(rc, err, "image not found")
    noise = np.random.default_rng(0).integers(0, 256, (40, 40), dtype=np.uint8)
    write_png(tmp_path / "ok.png", noise)  # noise does not compress: cutting loses pixels
    (tmp_path / "cut.png").write_bytes((tmp_path / "ok.png").read_bytes()[:800])
    rc, _, err = run_cli(capsys, "predict", ckpt, tmp_path / "cut.png")
    assert_one_line_error(rc, err, "cut.png")
    rc, _, err = run_cli(capsys, "predict", ckpt)
    assert_one_line_error(rc, err, "nothing to predict")


def test_bad_index_and_dataset(capsys, tmp_path, trained_run, synthetic):
    ckpt = checkpoint_of(trained_run)
    rc, _, err = run_cli(capsys, "predict", ckpt, "--index", "99999", "--data-dir",
                         synthetic[0], "--no-download")
    assert_one_line_error(rc, err, "out of range")
    rc, _, err = run_cli(capsys, "evaluate", ckpt, "--data-dir", tmp_path / "empty",
                         "--dataset", "mnist", "--no-download")
    assert_one_line_error(rc, err, "cannot load mnist")
    rc, _, err = run_cli(capsys, "train", "--data-dir", tmp_path / "empty", "--dataset", "mnist",
                         "--no-download", "--out", tmp_path / "run")
    assert_one_line_error(rc, err, "cannot load mnist")
    assert not (tmp_path / "run").exists()


def test_resume_rejects_changed_settings(capsys, trained_run):
    rc, _, err = run_cli(capsys, "train", "--resume", checkpoint_of(trained_run), "--lr", "0.5")
    assert_one_line_error(rc, err, "--lr 0.5 differs")


@pytest.mark.skipif(ember.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_unavailable(capsys, trained_run):
    rc, _, err = run_cli(capsys, "evaluate", checkpoint_of(trained_run), "--device", "cuda")
    assert_one_line_error(rc, err, "--device cuda")


def test_console_errors_have_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ember", "evaluate", str(tmp_path / "x.pt")],
                            capture_output=True, text=True, env=subprocess_env())
    assert result.returncode == 1
    missing = tmp_path / "x.pt"
    assert result.stderr.strip() == f"ember evaluate: error: checkpoint not found: {missing}"
