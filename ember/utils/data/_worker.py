"""What runs inside a DataLoader worker process, and the batch fetchers both sides share.

A worker receives ``(epoch, task, index)`` messages on its own queue and answers each one
with ``(epoch, task, data)`` on its own pipe. ``data`` is a batch, an ``ExceptionWrapper``
carrying the worker's traceback, or ``_EndOfStream`` once an iterable dataset is exhausted.
The worker exits on ``None``, when the main process goes away, or when its pipe breaks.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sys
import traceback
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

import numpy as np

from .collate import default_collate

__all__ = ["WorkerInfo", "get_worker_info", "ExceptionWrapper"]

# How often an idle worker checks that the main process is still alive.
_PARENT_CHECK_INTERVAL = 1.0

_worker_info: WorkerInfo | None = None


@dataclass(frozen=True)
class WorkerInfo:
    """Facts about the current worker process, from ``get_worker_info()``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __repr__(self) -> str:
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its ``id``, ``num_workers``, ``seed`` and its copy of the
    ``dataset``. In the main process: ``None``.

    An ``IterableDataset`` uses it to give each worker a different share of the stream::

        info = get_worker_info()
        start = 0 if info is None else info.id
        step = 1 if info is None else info.num_workers
    """
    return _worker_info


class _KeyErrorMessage(str):
    # KeyError's str() is the repr of its argument; this keeps a multi-line message readable.
    def __repr__(self) -> str:
        return str(self)


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback."""

    def __init__(self, where: str) -> None:
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, tb))

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            error = self.exc_type(msg)
        except Exception:  # an exception type that does not take a single message
            raise RuntimeError(msg) from None
        raise error


class _EndOfStream:
    """Answer of a worker whose iterable dataset has no more batches."""


class MapFetcher:
    """Fetch samples by index; a list of indices makes a batch (one ``__getitems__`` call
    when the dataset has one)."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None
        # A dataset that can hand over the default collation of a batch directly (ember's
        # TensorDataset, and Subsets of it): no per-sample objects are made at all.
        collated = getattr(dataset, "_collated_batch", None)
        self._collated = collated if collate_fn is default_collate and callable(collated) \
            else None

    def fetch(self, index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._collated is not None:
            batch = self._collated(index)
            if batch is not None:
                return batch
        if self._getitems is not None:
            return self.collate_fn(self._getitems(index))
        dataset = self.dataset
        return self.collate_fn([dataset[i] for i in index])


class IterableFetcher:
    """Take the next sample, or the next ``batch_size`` samples, from a dataset's iterator."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        size = len(index)  # the batch sampler's placeholder list has the batch size
        samples = []
        for _ in range(size):
            try:
                samples.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < size):
            raise StopIteration
        return self.collate_fn(samples)


@dataclass
class WorkerConfig:
    """Everything a worker needs, passed once when it starts."""

    iterable: bool
    dataset: Any
    auto_collation: bool
    collate_fn: Callable
    drop_last: bool
    base_seed: int
    init_fn: Callable | None
    num_workers: int


def make_fetcher(cfg: WorkerConfig) -> Any:
    if cfg.iterable:
        return IterableFetcher(cfg.dataset, cfg.auto_collation, cfg.collate_fn, cfg.drop_last)
    return MapFetcher(cfg.dataset, cfg.auto_collation, cfg.collate_fn, cfg.drop_last)


def _seed_everything(seed: int, base_seed: int, worker_id: int) -> None:
    # torch's scheme: worker seed = base_seed + worker_id seeds Python's and the tensor
    # library's generators; NumPy's global generator gets a state mixed from both numbers.
    from ... import _random
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))


def worker_loop(cfg: WorkerConfig, worker_id: int, index_queue: Any, conn: Any,
                inherited: list) -> None:
    """Body of a worker process (see the module docstring for the protocol)."""
    global _worker_info
    for reader in inherited:
        reader.close()
    # Ctrl-C reaches the whole process group; the main process handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seed = cfg.base_seed + worker_id
    _seed_everything(seed, cfg.base_seed, worker_id)
    _worker_info = WorkerInfo(worker_id, cfg.num_workers, seed, cfg.dataset)
    where = f"in DataLoader worker process {worker_id}"
    setup_error, fetcher = None, None
    try:
        if cfg.init_fn is not None:
            cfg.init_fn(worker_id)
        fetcher = make_fetcher(cfg)
    except Exception:
        setup_error = ExceptionWrapper(where)
    parent = os.getppid()
    while True:
        try:
            msg = index_queue.get(timeout=_PARENT_CHECK_INTERVAL)
        except queue.Empty:
            if os.getppid() != parent:
                break  # the main process died: nobody will read our results
            continue
        if msg is None:
            break
        if msg == "reset":  # a new epoch with persistent workers: restart the stream
            if setup_error is None:
                fetcher = make_fetcher(cfg)
            continue
        epoch, task, index = msg
        data = setup_error if setup_error is not None else _fetch(fetcher, index, where)
        if not _send(conn, (epoch, task, data), where):
            break
        del data
    conn.close()


def _fetch(fetcher: Any, index: Any, where: str) -> Any:
    try:
        return fetcher.fetch(index)
    except StopIteration:
        return _EndOfStream()
    except Exception:
        return ExceptionWrapper(where)


def _send(conn: Any, message: tuple, where: str) -> bool:
    try:
        conn.send(message)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return False
    except Exception:  # the batch could not be pickled: report that instead
        try:
            conn.send(message[:2] + (ExceptionWrapper(where),))
        except OSError:
            return False
    return True
