"""``ember train``: train a model on FashionMNIST or MNIST, resumably.

Every epoch ends with an evaluation on the test split and writes, into ``--out``, the
checkpoint (``checkpoint.pt``), the metrics (``metrics.json`` and ``metrics.csv``) and the
curves (``curves.png``). Ctrl-C finishes the batch in progress, saves the checkpoint with the
position inside the epoch and exits with status 130; ``--resume`` continues from there with the
same weights, optimizer state and sample order, so the result equals an uninterrupted run.

The sample order of epoch ``e`` is a pure function of ``(seed, e)``
(:func:`ember.cli.data.epoch_order`), which is what lets a resumed epoch skip exactly the
batches already trained.

For tests, ``EMBER_TEST_SIGINT_AFTER_STEPS=N`` makes the process send itself SIGINT after its
N-th optimizer step, as a Ctrl-C at that moment would.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import threading
import time
from pathlib import Path

from .common import DATASETS, CLIError

__all__ = ["add_parser", "run", "DEFAULTS"]

# Settings that decide the numbers a run produces; a resumed run must keep them.
DEFAULTS = {"dataset": "fashion-mnist", "model": "mlp", "epochs": 10, "batch_size": 64,
            "lr": 1e-3, "lr_schedule": "constant", "optimizer": "adam", "momentum": 0.9,
            "weight_decay": None, "seed": 0, "limit_train": None, "limit_test": None}
# Of those, the ones a resumed run may change (training longer is fine).
RESUME_MAY_CHANGE = {"epochs"}


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _default(key: str, value: str) -> str:
    """``default: 10; cnn: 12``: the default, then the models that register their own."""
    from .models import MODEL_DEFAULTS

    pairs = [f"{m}: {d[key]}" for m, d in sorted(MODEL_DEFAULTS.items()) if key in d]
    return "; ".join([f"default: {value}"] + pairs)


def add_parser(subparsers) -> None:
    from .models import MODELS

    p = subparsers.add_parser(
        "train", help="train a model (default: the seed MLP on FashionMNIST)",
        description="Train a classifier and write checkpoint, metrics and curves to --out. "
                    "Ctrl-C saves a resumable checkpoint.")
    p.add_argument("--dataset", choices=sorted(DATASETS), help="default: fashion-mnist")
    p.add_argument("--model", choices=sorted(MODELS), help="default: mlp")
    p.add_argument("--epochs", type=_positive, help=_default("epochs", "10"))
    p.add_argument("--batch-size", type=_positive, help="default: 64")
    p.add_argument("--lr", type=_positive_float, help="learning rate (default: 1e-3)")
    p.add_argument("--lr-schedule", choices=["constant", "cosine"],
                   help="learning rate over the epochs: constant, or cosine decay from --lr "
                        f"towards 0 ({_default('lr_schedule', 'constant')})")
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], help="default: adam")
    p.add_argument("--momentum", type=float, help="SGD momentum (default: 0.9)")
    p.add_argument("--weight-decay", type=float,
                   help="default: 0 for sgd and adam, 0.01 for adamw")
    p.add_argument("--seed", type=_non_negative, help="seeds weights and sample order "
                   "(default: 0)")
    p.add_argument("--limit-train", type=_positive, metavar="N",
                   help="train on the first N samples only")
    p.add_argument("--limit-test", type=_positive, metavar="N",
                   help="evaluate on the first N test samples only")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--data-dir", default="data", help="dataset root (default: ./data); "
                   "system copies such as Debian's are found too")
    p.add_argument("--no-download", action="store_true", help="never download the dataset")
    p.add_argument("--out", help="output directory (default: runs/<timestamp>, or the "
                   "checkpoint's directory with --resume)")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue an interrupted run")
    p.add_argument("--workers", type=_non_negative, default=0,
                   help="DataLoader worker processes (default: 0)")
    p.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                   help="progress bars (auto: only on a terminal)")
    p.set_defaults(run=run)


def _settings(args: argparse.Namespace, saved: dict | None) -> dict:
    """Merge command-line settings with the defaults or, when resuming, the checkpoint's."""
    from .models import MODEL_DEFAULTS

    given = {k: getattr(args, k) for k in DEFAULTS if getattr(args, k) is not None}
    if saved is None:
        model = given.get("model", DEFAULTS["model"])
        cfg = {**DEFAULTS, **MODEL_DEFAULTS.get(model, {}), **given}
    else:
        cfg = {**DEFAULTS, **{k: saved[k] for k in DEFAULTS if k in saved}}
        for key, value in given.items():
            if key not in RESUME_MAY_CHANGE and value != cfg[key]:
                raise CLIError(f"--{key.replace('_', '-')} {value} differs from the resumed "
                               f"run's {cfg[key]}; a resumed run keeps its settings")
        cfg.update({k: given[k] for k in RESUME_MAY_CHANGE if k in given})
    if cfg["weight_decay"] is None:
        cfg["weight_decay"] = 0.01 if cfg["optimizer"] == "adamw" else 0.0
    return cfg


def build_optimizer(cfg: dict, params):
    from ember import optim

    name, lr, wd = cfg["optimizer"], cfg["lr"], cfg["weight_decay"]
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=cfg["momentum"], weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd)
    raise CLIError(f"unknown optimizer {name!r}")


def epoch_lr(cfg: dict, epoch: int) -> float:
    """Learning rate of epoch ``epoch`` (counted from 0).

    ``cosine`` gives the values of ``CosineAnnealingLR(T_max=epochs)`` stepped once per
    epoch. Being a pure function of the settings, the schedule needs no state of its own in
    the checkpoint; a resumed run that changes ``--epochs`` follows the new length.
    """
    if cfg.get("lr_schedule") == "cosine":
        return cfg["lr"] * 0.5 * (1 + math.cos(math.pi * epoch / cfg["epochs"]))
    return cfg["lr"]


def _default_out() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out, n = Path("runs") / stamp, 1
    while out.exists():
        n += 1
        out = Path("runs") / f"{stamp}-{n}"
    return out


def _link_latest(out: Path) -> None:
    # runs/latest -> the newest run, for ``ember evaluate runs/latest``; best effort only.
    link = out.parent / "latest"
    try:
        if link.is_symlink():
            link.unlink()
        if not link.exists():
            link.symlink_to(out.name, target_is_directory=True)
    except OSError:
        pass


class GracefulStop:
    """The first SIGINT asks the loop to stop at the next batch boundary; a second one raises
    KeyboardInterrupt at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        import sys
        print("\nStopping after this batch to save a checkpoint (Ctrl-C again to quit now)",
              file=sys.stderr, flush=True)

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def run(args: argparse.Namespace) -> int:
    from .checkpoint import CHECKPOINT_NAME, load_checkpoint
    from .common import resolve_device
    from .trainer import Trainer

    saved = load_checkpoint(args.resume) if args.resume else None
    if saved is not None and saved.get("bare"):
        raise CLIError(f"{saved['path']} holds only model weights; --resume needs a "
                       "checkpoint written by ember train")
    cfg = _settings(args, saved["args"] if saved else None)
    device = resolve_device(args.device)
    if args.out:
        out = Path(args.out)
    elif saved is not None:
        out = Path(saved["path"]).parent
    else:
        out = _default_out()
    # the data first: a run that cannot load its dataset leaves no empty directory behind
    trainer = Trainer(cfg, device=device, out=out, data_dir=args.data_dir,
                      download=not args.no_download, workers=args.workers,
                      progress=args.progress, checkpoint_name=CHECKPOINT_NAME)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"cannot create output directory {out}: {e.strerror}") from None
    if not args.out and saved is None and out.parent.name == "runs":
        _link_latest(out)
    trainer.setup(saved)
    interrupt_after = os.environ.get("EMBER_TEST_SIGINT_AFTER_STEPS")
    trainer.sigint_after = int(interrupt_after) if interrupt_after else None
    with GracefulStop() as stop:
        return trainer.fit(stop)
