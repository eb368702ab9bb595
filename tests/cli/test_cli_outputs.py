"""What ``ember summary``, ``evaluate`` and ``predict`` print, checked against the same
model run with torch; checkpoints of ``ember train`` read by ``torch.load``."""

import json
import re

import numpy as np
import pytest
from conftest import checkpoint_of, run_cli, torch_logits, torch_mlp, write_png

import ember

torch = pytest.importorskip("torch")


def torch_state(path):
    return torch.load(path, weights_only=True)["model"]


# -- summary --------------------------------------------------------------------------------
def test_summary_matches_torch_model(capsys):
    rc, out, _ = run_cli(capsys, "summary")
    assert rc == 0
    reference = torch_mlp()
    assert out.startswith(f"Model structure: {reference}\n")
    for name, param in reference.named_parameters():
        size = str(param.size()).replace("torch.", "ember.")
        assert f"Layer: {name} | Size: {size} | Count: {param.numel():,}\n" in out
    total = sum(p.numel() for p in reference.parameters())
    assert out.rstrip().endswith(f"Total: {total:,} parameters ({total:,} trainable)")


def test_summary_values_and_checkpoint(capsys, trained_run):
    ckpt = checkpoint_of(trained_run)
    rc, out, _ = run_cli(capsys, "summary", ckpt, "--values")
    assert rc == 0
    bias = torch_state(ckpt)["linear_relu_stack.4.bias"]
    # the last layer's bias has 10 values; ``param[:2]`` shows the first two
    first = f"{bias[0].item():.4f}"
    line = next(x for x in out.splitlines() if x.startswith("Layer: linear_relu_stack.4.bias"))
    assert "Values : tensor([" in line and first in line


# -- evaluate -------------------------------------------------------------------------------
def test_evaluate_matches_torch(capsys, tmp_path, trained_run, synthetic):
    data_dir, splits = synthetic
    ckpt = checkpoint_of(trained_run)
    plot = tmp_path / "confusion.png"
    rc, out, _ = run_cli(capsys, "evaluate", ckpt, "--data-dir", data_dir, "--no-download",
                         "--plot", plot)
    assert rc == 0
    images, labels = splits["t10k"]
    logits = torch_logits(torch_state(ckpt), images)
    pred = logits.argmax(1).numpy()
    correct = int((pred == labels).sum())
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels.astype(np.int64)))
    assert f"Test accuracy: {100 * correct / len(labels):.2f}% ({correct}/{len(labels)})" in out
    assert f"average loss {loss.item():.4f}" in out
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels, pred), 1)
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+ \S.*?(\s+\d+){10}$", line)]
    printed = np.array([[int(v) for v in row.split()[-10:]] for row in rows])
    np.testing.assert_array_equal(printed, confusion)
    assert "Per-class accuracy:" in out and "Trouser" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_run_directory_and_limit(capsys, trained_run, synthetic):
    out_dir, *_ = trained_run
    rc, out, _ = run_cli(capsys, "evaluate", out_dir, "--data-dir", synthetic[0],
                         "--no-download", "--limit-test", "100")
    assert rc == 0
    assert re.search(r"Test accuracy: [\d.]+% \(\d+/100\)", out)


# -- predict --------------------------------------------------------------------------------
def test_predict_image_matches_torch(capsys, tmp_path, trained_run, synthetic):
    ckpt = checkpoint_of(trained_run)
    images, _ = synthetic[1]["t10k"]
    write_png(tmp_path / "item.png", images[3])
    rc, out, _ = run_cli(capsys, "predict", ckpt, tmp_path / "item.png", "--top-k", "3")
    assert rc == 0
    probs = torch.softmax(torch_logits(torch_state(ckpt), images[3:4]), 1)[0]
    top = torch.topk(probs, 3)
    classes = ember.cli.common.DATASETS["fashion-mnist"]["classes"]
    lines = out.splitlines()
    assert lines[0] == f"{tmp_path / 'item.png'}:"
    for rank, (p, c) in enumerate(zip(top.values.tolist(), top.indices.tolist()), 1):
        assert lines[rank].split() [:1] == [f"{rank}."]
        assert classes[c] in lines[rank] and f"{100 * p:6.2f}%" in lines[rank]


def test_predict_index_names_true_class(capsys, trained_run, synthetic):
    ckpt = checkpoint_of(trained_run)
    data_dir, splits = synthetic
    rc, out, _ = run_cli(capsys, "predict", ckpt, "--index", "0", "--index", "5",
                         "--data-dir", data_dir, "--no-download", "--top-k", "1")
    assert rc == 0
    classes = ember.cli.common.DATASETS["fashion-mnist"]["classes"]
    labels = splits["t10k"][1]
    probs = torch.softmax(torch_logits(torch_state(ckpt), splits["t10k"][0][[0, 5]]), 1)
    for i, row in zip((0, 5), probs):
        block = out.split(f"test item {i} (true class: {classes[labels[i]]}):\n")[1]
        top = block.splitlines()[0].split()
        assert top[:-1] == ["1.", *classes[int(row.argmax())].split()]
        assert top[-1] == f"{100 * row.max().item():.2f}%"




# -- checkpoints ----------------------------------------------------------------------------
def test_checkpoint_is_read_by_torch(trained_run, synthetic):
    out, *_ = trained_run
    ckpt = torch.load(checkpoint_of(trained_run), weights_only=True)
    model = torch_mlp()
    assert {k: v.shape for k, v in ckpt["model"].items()} == \
        {k: v.shape for k, v in model.state_dict().items()}
    model.load_state_dict(ckpt["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    optimizer.load_state_dict(ckpt["optimizer"])  # the same layout as torch's Adam
    steps = {float(s["step"]) for s in optimizer.state_dict()["state"].values()}
    assert steps == {512 / 64}
    assert ckpt["rng_state"].dtype == torch.uint8
    assert (ckpt["epoch"], ckpt["step"], ckpt["args"]["model"]) == (1, 0, "mlp")
    images, labels = synthetic[1]["t10k"]
    accuracy = (torch_logits(ckpt["model"], images).argmax(1).numpy() == labels).mean()
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert history[0]["test_accuracy"] == pytest.approx(accuracy, abs=1e-12)
