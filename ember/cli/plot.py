"""Metrics files and PNG figures of a run.

Figures are drawn with matplotlib's object API on an Agg canvas: no pyplot, no global backend
switch, no display needed. matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from .common import CLIError, need

__all__ = ["write_metrics", "plot_curves", "plot_confusion", "METRIC_FIELDS"]

METRIC_FIELDS = ["epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                 "epoch_seconds", "samples_per_second"]


def write_metrics(out: Path, history: list[dict], settings: dict) -> None:
    """``metrics.json`` (settings and history) and ``metrics.csv`` (one row per epoch)."""
    with open(out / "metrics.json", "w") as f:
        json.dump({"settings": settings, "history": history}, f, indent=2)
        f.write("\n")
    with open(out / "metrics.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=METRIC_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(history)


def _figure(width: float, height: float, ncols: int = 1):
    need("matplotlib", "matplotlib", "drawing a PNG")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols)


def _save(fig, path: str | os.PathLike) -> None:
    try:
        fig.savefig(path, dpi=100)
    except (OSError, ValueError) as e:
        raise CLIError(f"cannot write {path}: {e}") from None


def plot_curves(path: str | os.PathLike, history: list[dict], settings: dict) -> None:
    """Loss and accuracy per epoch, train and test, side by side."""
    fig, (ax_loss, ax_acc) = _figure(10, 4, ncols=2)
    epochs = [h["epoch"] for h in history]
    for split, style in (("train", "o-"), ("test", "s-")):
        ax_loss.plot(epochs, [h[f"{split}_loss"] for h in history], style, label=split)
        ax_acc.plot(epochs, [100 * h[f"{split}_accuracy"] for h in history], style,
                    label=split)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"{settings.get('model')} on {settings.get('dataset')}, "
                 f"{settings.get('optimizer')} lr={settings.get('lr')}")
    _save(fig, path)


def plot_confusion(path: str | os.PathLike, confusion: np.ndarray, classes: list[str],
                   title: str = "") -> None:
    """The confusion matrix as a heat map with the counts written in the cells."""
    fig, ax = _figure(8, 7)
    ax.imshow(confusion, cmap="Blues")
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right")
    ax.set_yticks(ticks, classes)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    threshold = confusion.max() / 2
    for i in ticks:
        for j in ticks:
            ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if confusion[i, j] > threshold else "black")
    _save(fig, path)
