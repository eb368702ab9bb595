"""The training loop behind ``ember train``: epochs, evaluation, checkpoints, resuming."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import ember
from ember import nn

from . import data as D
from .checkpoint import FORMAT, restore_model, save_checkpoint
from .common import MissingExtra, fmt_count, need
from .evaluate import evaluate_model
from .models import build_model
from .train import build_optimizer, epoch_lr

__all__ = ["Trainer"]


def _progress_disabled(mode: str) -> bool | None:
    return {"auto": None, "on": False, "off": True}[mode]  # None: tqdm decides by the tty


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Trainer:
    """Holds one run's model, optimizer, data and position (epoch, step within it)."""

    def __init__(self, cfg: dict, *, device, out: Path, data_dir: str, download: bool,
                 workers: int, progress: str, checkpoint_name: str) -> None:
        self.cfg, self.device, self.out = cfg, device, out
        self.workers, self.progress = workers, progress
        self.checkpoint_path = out / checkpoint_name
        self.train_split = D.load_split(cfg["dataset"], data_dir, True, cfg["limit_train"],
                                        download)
        self.test_split = D.load_split(cfg["dataset"], data_dir, False, cfg["limit_test"],
                                       download)
        self.loss_fn = nn.CrossEntropyLoss()
        self.epoch, self.step, self.history = 0, 0, []
        self.partial = self._fresh_partial()
        self.sigint_after: int | None = None
        self._steps_here = 0
        self._notes: set = set()  # notices printed once per run

    @staticmethod
    def _fresh_partial() -> dict:
        return {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}

    def setup(self, saved: dict | None) -> None:
        """Initialise from the seed, or restore model, optimizer and position from ``saved``."""
        if saved is None:
            ember.manual_seed(self.cfg["seed"])
            self.model = build_model(self.cfg["model"])
        else:
            self.model = restore_model(saved, self.cfg["model"])
        self.model.to(self.device)
        self.optimizer = build_optimizer(self.cfg, self.model.parameters())
        if saved is not None:
            self.optimizer.load_state_dict(saved["optimizer"])
            ember.set_rng_state(saved["rng_state"])
            self.epoch, self.step = int(saved["epoch"]), int(saved["step"])
            self.history = list(saved.get("history", []))
            self.partial = dict(saved.get("partial") or self._fresh_partial())

    # -- the loop ------------------------------------------------------------------------
    def fit(self, stop) -> int:
        epochs = self.cfg["epochs"]
        if self.epoch >= epochs:
            print(f"Nothing to do: the checkpoint has finished {_plural(self.epoch, 'epoch')} "
                  f"(pass --epochs N with N > {self.epoch} to train longer).")
            return 0
        self._print_header()
        while self.epoch < epochs:
            if not self._train_epoch(stop):
                return self._interrupted()
            self._end_epoch()
            if stop.requested:
                return self._interrupted()
        last = self.history[-1]
        mean_s = sum(h["epoch_seconds"] for h in self.history) / len(self.history)
        print(f"Done: test accuracy {100 * last['test_accuracy']:.2f}% after "
              f"{_plural(epochs, 'epoch')} ({mean_s:.1f} s per epoch). "
              f"Checkpoint: {self.checkpoint_path}")
        return 0

    def _print_header(self) -> None:
        cfg = self.cfg
        print(self.model)
        where = f"epoch {self.epoch + 1}" + (f", batch {self.step + 1}" if self.step else "")
        print(f"Training {cfg['model']} on {cfg['dataset']} "
              f"({fmt_count(len(self.train_split))} train / {fmt_count(len(self.test_split))} "
              f"test samples): {cfg['optimizer']} lr={cfg['lr']:g}"
              f"{' (cosine)' if cfg.get('lr_schedule') == 'cosine' else ''}, "
              f"batch {cfg['batch_size']}, "
              f"{_plural(cfg['epochs'], 'epoch')} on {self.device}; "
              f"{'resuming' if self.epoch or self.step else 'starting'} at {where}; "
              f"writing to {self.out}", flush=True)

    def _epoch_loader(self):
        order = D.epoch_order(len(self.train_split), self.cfg["seed"], self.epoch)
        skip = self.step * self.cfg["batch_size"]
        return D.make_loader(self.train_split, self.cfg["batch_size"], order[skip:],
                             self.workers)

    def _train_epoch(self, stop) -> bool:
        """Train the rest of the current epoch; False when a stop was requested midway."""
        bs, n = self.cfg["batch_size"], len(self.train_split)
        total = -(-n // bs)
        for group in self.optimizer.param_groups:
            group["lr"] = epoch_lr(self.cfg, self.epoch)
        self.model.train()
        progress = self._progress_bar()
        bar = progress(self._epoch_loader(), total=total, initial=self.step, unit="batch",
                       desc=f"Epoch {self.epoch + 1}/{self.cfg['epochs']}", file=sys.stderr,
                       disable=_progress_disabled(self.progress), dynamic_ncols=True,
                       leave=False)
        p = self.partial
        started = time.perf_counter() - p["seconds"]
        try:
            for i, (x, y) in enumerate(bar):
                self._step(x, y)
                p["seconds"] = time.perf_counter() - started
                # tqdm redraws at its own pace; the first batch forces one so the loss shows
                bar.set_postfix_str(f"loss={p['loss_sum'] / p['seen']:.4f}, "
                                    f"{p['seen'] / max(p['seconds'], 1e-9):,.0f} samples/s",
                                    refresh=i == 0)
                if stop.requested and self.step < total:
                    return False
        finally:
            bar.close()
        return True

    def _step(self, x, y) -> None:
        x, y = x.to(self.device), y.to(self.device)
        logits = self.model(x)
        loss = self.loss_fn(logits, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        p = self.partial
        p["loss_sum"] += loss.item() * len(y)
        p["correct"] += int((logits.argmax(1) == y).sum().item())
        p["seen"] += len(y)
        self.step += 1
        self._steps_here += 1
        if self.sigint_after is not None and self._steps_here == self.sigint_after:
            os.kill(os.getpid(), signal.SIGINT)

    def _end_epoch(self) -> None:
        result = evaluate_model(self.model, self._test_loader(), self.device,
                                len(self.test_split.classes))
        p = self.partial
        record = {"epoch": self.epoch + 1,
                  "train_loss": p["loss_sum"] / max(p["seen"], 1),
                  "train_accuracy": p["correct"] / max(p["seen"], 1),
                  "test_loss": result["loss"], "test_accuracy": result["accuracy"],
                  "epoch_seconds": p["seconds"],
                  "samples_per_second": p["seen"] / max(p["seconds"], 1e-9)}
        self.history.append(record)
        self.epoch, self.step, self.partial = self.epoch + 1, 0, self._fresh_partial()
        print(f"Epoch {record['epoch']}/{self.cfg['epochs']}: "
              f"train loss {record['train_loss']:.4f}, acc {100 * record['train_accuracy']:.1f}%"
              f" | test loss {record['test_loss']:.4f}, acc {100 * record['test_accuracy']:.2f}%"
              f" | {record['epoch_seconds']:.1f} s, "
              f"{record['samples_per_second']:,.0f} samples/s", flush=True)
        self._save()
        self._write_metrics()

    def _test_loader(self):
        return D.make_loader(self.test_split, max(self.cfg["batch_size"], 1000),
                             workers=self.workers)

    # -- outputs -------------------------------------------------------------------------
    def _payload(self) -> dict:
        return {"format": FORMAT, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "epoch": self.epoch,
                "step": self.step, "rng_state": ember.get_rng_state(), "args": dict(self.cfg),
                "classes": list(self.train_split.classes), "history": list(self.history),
                "partial": dict(self.partial)}

    def _save(self) -> None:
        save_checkpoint(self.checkpoint_path, self._payload())

    def _write_metrics(self) -> None:
        from .plot import plot_curves, write_metrics

        write_metrics(self.out, self.history, self.cfg)
        try:
            plot_curves(self.out / "curves.png", self.history, self.cfg)
        except MissingExtra as e:
            self._note_once(f"{e}; curves.png is not written")

    def _progress_bar(self):
        """tqdm's bar, or a silent stand-in when bars are off or tqdm is not installed."""
        if self.progress == "off":
            return _NoBar
        try:
            return need("tqdm.auto", "tqdm", "a progress bar").tqdm
        except MissingExtra as e:
            self._note_once(f"{e}; training without progress bars")
            return _NoBar

    def _note_once(self, message: str) -> None:
        if message not in self._notes:
            self._notes.add(message)
            print(f"note: {message}", file=sys.stderr, flush=True)

    def _interrupted(self) -> int:
        self._save()
        total = -(-len(self.train_split) // self.cfg["batch_size"])
        where = (f"epoch {self.epoch + 1}, batch {self.step}/{total}" if self.step
                 else f"after epoch {self.epoch}")
        print(f"Interrupted: saved a resumable checkpoint ({where}) to {self.checkpoint_path}"
              f"\nResume with: ember train --resume {self.checkpoint_path}", file=sys.stderr,
              flush=True)
        return 130


class _NoBar:
    """What ``_train_epoch`` uses of a tqdm bar, doing nothing but iterate."""

    def __init__(self, iterable, **_options) -> None:
        self._iterable = iterable

    def __iter__(self):
        return iter(self._iterable)

    def set_postfix_str(self, *_args, **_kwargs) -> None:
        pass

    def close(self) -> None:
        pass
