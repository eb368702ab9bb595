"""``ember evaluate CHECKPOINT``: accuracy, per-class accuracy and the confusion matrix."""

from __future__ import annotations

import argparse

import numpy as np

from .common import DATASETS

__all__ = ["add_parser", "run", "evaluate_model", "format_report"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="test accuracy, per-class accuracy and confusion matrix",
        description="Evaluate a checkpoint (or a run directory) on the test split.")
    p.add_argument("checkpoint", help="checkpoint file, or a run directory holding one")
    p.add_argument("--dataset", choices=sorted(DATASETS),
                   help="default: the checkpoint's dataset")
    p.add_argument("--data-dir", default="data", help="dataset root (default: ./data)")
    p.add_argument("--no-download", action="store_true", help="never download the dataset")
    p.add_argument("--limit-test", type=int, metavar="N", help="first N test samples only")
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--plot", metavar="PATH", help="also draw the confusion matrix as a PNG")
    p.set_defaults(run=run)


def evaluate_model(model, loader, device, num_classes: int) -> dict:
    """Mean loss, accuracy and confusion matrix (rows: true class) of ``model`` on ``loader``."""
    import ember
    from ember.nn import functional as F

    model.eval()
    loss_sum, confusion = 0.0, np.zeros((num_classes, num_classes), dtype=np.int64)
    with ember.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            pred = logits.argmax(1).cpu().numpy()
            true = y.cpu().numpy()
            confusion += np.bincount(true * num_classes + pred,
                                     minlength=num_classes ** 2).reshape(num_classes, -1)
    total = int(confusion.sum())
    correct = int(np.trace(confusion))
    return {"loss": loss_sum / max(total, 1), "accuracy": correct / max(total, 1),
            "correct": correct, "total": total, "confusion": confusion}


def format_report(result: dict, classes: list[str]) -> str:
    """The text report: overall and per-class accuracy, then the confusion matrix."""
    cm = result["confusion"]
    lines = [f"Test accuracy: {100 * result['accuracy']:.2f}% "
             f"({result['correct']}/{result['total']}), average loss {result['loss']:.4f}",
             "", "Per-class accuracy:"]
    width = max(len(c) for c in classes)
    for i, name in enumerate(classes):
        n = int(cm[i].sum())
        acc = f"{100 * cm[i, i] / n:5.1f}%" if n else "    -"
        lines.append(f"  {i:>2} {name:<{width}}  {acc}  ({cm[i, i]}/{n})")
    cell = max(len(str(int(cm.max()))), 2) + 1
    lines += ["", "Confusion matrix (rows: true class, columns: predicted class):",
              " " * (width + 6) + "".join(f"{j:>{cell}}" for j in range(len(classes)))]
    for i, name in enumerate(classes):
        lines.append(f"  {i:>2} {name:<{width}} " + "".join(f"{v:>{cell}}" for v in cm[i]))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from . import data as D
    from .checkpoint import load_checkpoint, restore_model
    from .common import resolve_device

    ckpt = load_checkpoint(args.checkpoint)
    saved = ckpt.get("args", {})
    dataset = args.dataset or saved.get("dataset") or "fashion-mnist"
    device = resolve_device(args.device)
    model = restore_model(ckpt).to(device)
    split = D.load_split(dataset, args.data_dir, False, args.limit_test, not args.no_download)
    classes = ckpt.get("classes") or split.classes
    result = evaluate_model(model, D.make_loader(split, args.batch_size), device, len(classes))
    print(f"Checkpoint: {ckpt['path']} (model {saved.get('model', 'mlp')}, {dataset}, "
          f"{_trained_for(ckpt)})")
    print(format_report(result, classes))
    if args.plot:
        from .plot import plot_confusion
        plot_confusion(args.plot, result["confusion"], classes,
                       title=f"{dataset}: {100 * result['accuracy']:.2f}% accuracy")
        print(f"Confusion matrix plot: {args.plot}")
    return 0


def _trained_for(ckpt: dict) -> str:
    if ckpt.get("bare"):
        return "weights only"
    epoch, step = ckpt.get("epoch", 0), ckpt.get("step", 0)
    return f"{epoch} epochs" + (f" and {step} batches" if step else "")
