"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

The loader picks indices with a sampler, groups them with a ``BatchSampler``, fetches the
samples (all at once through ``__getitems__`` when the dataset has it) and collates them.
With ``num_workers > 0`` each batch is fetched by a worker process; batches come back in
sampler order (unless ``in_order=False``), a worker's exception is re-raised here with its
traceback, and workers never outlive their iterator.

>>> import ember
>>> from ember.utils.data import TensorDataset
>>> loader = DataLoader(TensorDataset(ember.arange(5)), batch_size=2)
>>> [b[0].tolist() for b in loader]
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import multiprocessing.connection
import os
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import numpy as np

from ... import _random
from ._worker import ExceptionWrapper, WorkerConfig, _EndOfStream, make_fetcher, worker_loop
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

T_co = TypeVar("T_co", covariant=True)

# How long shutdown waits for workers to leave on their own before terminating them.
_JOIN_TIMEOUT = 5.0
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")
_START_METHODS = ["fork", "spawn", "forkserver"]


class _InfiniteConstantSampler(Sampler):
    """Index placeholders for iterable datasets: ``None`` forever."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style ``Dataset`` (``len`` and ``[i]``) or an ``IterableDataset``.
        batch_size: samples per batch; ``None`` turns batching off.
        shuffle: visit the samples in a new random order each epoch.
        sampler / batch_sampler: custom index orders (mutually exclusive with ``shuffle``;
            ``batch_sampler`` also with ``batch_size`` and ``drop_last``).
        num_workers: worker processes fetching batches (0: the main process does it).
        collate_fn: builds a batch from a list of samples (``default_collate``).
        drop_last: drop a last, incomplete batch.
        timeout: seconds to wait for a worker's batch before giving up (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker.
        generator: the ``ember.Generator`` for shuffling and the workers' base seed.
        prefetch_factor: batches each worker fetches ahead (2 with workers).
        persistent_workers: keep the workers alive between epochs.
        pin_memory, pin_memory_device: accepted for compatibility (no pinned memory here).
        in_order: return batches in sampler order, even if a later one is ready first.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context: Any = None,
                 generator: _random.Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 \
            else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        sampler, batch_sampler, batch_size, drop_last = _resolve_samplers(
            dataset, self._is_iterable, batch_size, shuffle, sampler, batch_sampler,
            drop_last, generator)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called: int | None = None
        self._iterator: _BaseDataLoaderIter | None = None
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in _FROZEN:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self) -> Any:
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: Any) -> None:
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                if context not in multiprocessing.get_all_start_methods():
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {_START_METHODS!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            elif not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._mp_context = context

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or not self._iterator._shutdown.alive:
                self._iterator = self._get_iterator()  # first epoch, or workers lost
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __len__(self) -> int:
        if not self._is_iterable:
            return len(self._index_sampler)
        length = len(self.dataset)  # type: ignore[arg-type]
        self._IterableDataset_len_called = length
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last \
                else math.ceil(length / self.batch_size)
        return length


def _check_worker_options(num_workers: int, timeout: float, prefetch_factor: int | None,
                          persistent_workers: bool) -> None:
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable_options(shuffle: Any, sampler: Any, batch_sampler: Any) -> None:
    prefix = "DataLoader with IterableDataset: expected unspecified"
    if shuffle not in (False, None):
        raise ValueError(f"{prefix} shuffle option, but got shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"{prefix} sampler option, but got sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError(f"{prefix} batch_sampler option, but got batch_sampler={batch_sampler}")


def _resolve_samplers(dataset: Any, iterable: bool, batch_size: int | None, shuffle: bool,
                      sampler: Any, batch_sampler: Any, drop_last: bool,
                      generator: Any) -> tuple:
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        batch_size, drop_last = None, False
    elif batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually "
                         "exclusive with drop_last")
    if sampler is None:
        if iterable:
            sampler = _InfiniteConstantSampler()
        elif shuffle:
            sampler = RandomSampler(dataset, generator=generator)
        else:
            sampler = SequentialSampler(dataset)
    if batch_size is not None and batch_sampler is None:
        batch_sampler = BatchSampler(sampler, batch_size, drop_last)
    return sampler, batch_sampler, batch_size, drop_last


class _BaseDataLoaderIter:
    """What both iterators share: the index stream, the base seed, the length check."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._sampler_iter = iter(self._index_sampler)
        # Drawn before the sampler's own draws, so a seeded generator fixes both.
        rng = _random.numpy_rng(loader.generator)
        self._base_seed = int(rng.integers(0, 2**63, dtype=np.uint64))
        self._num_yielded = 0
        self._len_called = loader._IterableDataset_len_called
        if loader.pin_memory:
            from ... import cuda
            if not cuda.is_available():
                warnings.warn("'pin_memory' argument is set as true but no accelerator is "
                              "found, then device pinned memory won't be used.", stacklevel=3)

    def __iter__(self) -> _BaseDataLoaderIter:
        return self

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._len_called = loader._IterableDataset_len_called

    def _next_index(self) -> Any:
        return next(self._sampler_iter)

    def _next_data(self) -> Any:
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        if self._is_iterable and self._len_called is not None \
                and self._num_yielded > self._len_called:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be "
                   f"{self._len_called}(when accessing len(dataloader)), but "
                   f"{self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not "
                        "properly configuring the IterableDataset replica at each worker: "
                        "split the stream in __iter__ with get_worker_info().")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")

    def _config(self, loader: DataLoader) -> WorkerConfig:
        return WorkerConfig(self._is_iterable, self._dataset, self._auto_collation,
                            self._collate_fn, self._drop_last, self._base_seed,
                            loader.worker_init_fn, self._num_workers)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = make_fetcher(self._config(loader))

    def _next_data(self) -> Any:
        index = self._next_index()
        return self._fetcher.fetch(index)  # an exhausted iterable dataset stops here too


class _WorkerPool:
    """The worker processes with their index queues and result pipes."""

    def __init__(self, context: Any, cfg: WorkerConfig, count: int) -> None:
        self.owner = os.getpid()
        self.procs: list = []
        self.queues: list = []
        self.conns: list = []
        self.closed = False
        try:
            for worker_id in range(count):
                self._start(context, cfg, worker_id)
        except BaseException:
            self.shutdown()
            raise

    def _start(self, context: Any, cfg: WorkerConfig, worker_id: int) -> None:
        index_queue = context.Queue()
        reader, writer = context.Pipe(duplex=False)
        # A forked child inherits the reading ends created so far; it closes them so that
        # only this process reads, and a worker's send fails as soon as we stop listening.
        inherited = self.conns + [reader] if context.get_start_method() == "fork" else []
        proc = context.Process(target=worker_loop,
                               args=(cfg, worker_id, index_queue, writer, inherited),
                               daemon=True)
        proc.start()
        # Only the worker holds the writing end, so its death reads as end-of-file here.
        writer.close()
        self.procs.append(proc)
        self.queues.append(index_queue)
        self.conns.append(reader)

    def shutdown(self) -> None:
        # A forked child inherits this object; only the process that started workers stops them.
        if self.closed or os.getpid() != self.owner:
            return
        self.closed = True
        for q in self.queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for conn in self.conns:
            conn.close()  # a worker blocked on sending a batch gets a broken pipe and leaves
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for proc in self.procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for q in self.queues:
            q.cancel_join_thread()
            q.close()


_MISSING = object()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Hands index batches to workers round-robin, ``prefetch_factor`` each ahead."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch = loader.prefetch_factor * self._num_workers
        self._in_order = loader.in_order
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._pool = _WorkerPool(context, self._config(loader), self._num_workers)
        self._shutdown = weakref.finalize(self, self._pool.shutdown)
        self._conn_owner = {conn: i for i, conn in enumerate(self._pool.conns)}
        self._epoch = 0
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        if not first_iter:
            # Answers still in flight from an abandoned epoch carry the old number and
            # are dropped; iterable workers restart their streams.
            self._epoch += 1
            if self._is_iterable:
                for q in self._pool.queues:
                    q.put("reset")
        self._pending: dict = {}   # task -> worker, in the order the tasks were sent
        self._results: dict = {}   # task -> answer received but not yet returned
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._send_idx = 0
        for _ in range(self._prefetch):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if not any(self._active):
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        worker = next(self._worker_cycle)
        while not self._active[worker]:
            worker = next(self._worker_cycle)
        self._pool.queues[worker].put((self._epoch, self._send_idx, index))
        self._pending[self._send_idx] = worker
        self._send_idx += 1

    def _ready_task(self) -> Any:
        if self._in_order:
            oldest = next(iter(self._pending))
            return oldest if oldest in self._results else None
        return next(iter(self._results), None)

    def _next_data(self) -> Any:
        while True:
            if not self._pending or not self._shutdown.alive:  # done, or stopped by a failure
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            task = self._ready_task()
            if task is None:
                self._receive()
                continue
            data = self._results.pop(task)
            del self._pending[task]
            self._try_put_index()
            if isinstance(data, _EndOfStream):
                continue
            if isinstance(data, ExceptionWrapper):
                data.reraise()
            return data

    def _receive(self) -> None:
        """Wait for at least one answer; fail on a dead worker or on the timeout."""
        pool = self._pool
        timeout = self._timeout if self._timeout > 0 else None
        sentinels = {p.sentinel: i for i, p in enumerate(pool.procs)}
        ready = multiprocessing.connection.wait(pool.conns + list(sentinels), timeout)
        if not ready:
            self._shutdown()
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
        got_answer = False
        for handle in ready:
            worker = self._conn_owner.get(handle)
            if worker is None:
                continue
            try:
                epoch, task, data = handle.recv()
            except (EOFError, OSError):
                raise self._dead_workers_error([worker]) from None
            got_answer = True
            if epoch != self._epoch:
                continue
            if isinstance(data, _EndOfStream):
                self._active[worker] = False
            self._results[task] = data
        if not got_answer:  # only process sentinels fired: a worker has exited
            raise self._dead_workers_error([sentinels[h] for h in ready if h in sentinels])

    def _dead_workers_error(self, workers: list) -> RuntimeError:
        procs = self._pool.procs
        dead = {i for i, p in enumerate(procs) if p.exitcode is not None} | set(workers)
        pids = ", ".join(str(procs[i].pid) for i in sorted(dead))
        self._shutdown()
        return RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
