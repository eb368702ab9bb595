"""DataLoader semantics against torch's DataLoader, and the worker processes' life cycle."""

import gc
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                              SequentialSampler, Subset, TensorDataset, get_worker_info)

torch = pytest.importorskip("torch")
tud = torch.utils.data

REPO = Path(__file__).resolve().parents[2]


def plain(obj):
    """Batches as nested Python lists, to compare ember's and torch's outputs."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [plain(o) for o in obj]
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    return obj


def raised(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def datasets(n=10):
    x = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    y = np.arange(n) % 3
    return (TensorDataset(ember.from_numpy(x), ember.from_numpy(y)),
            tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)))


# -- batching and order, single process ------------------------------------------------------
@pytest.mark.parametrize("n, batch_size, drop_last", [
    (10, 1, False), (10, 3, False), (10, 3, True), (9, 3, True), (4, 8, False), (4, 8, True),
])
def test_lengths_and_batches_like_torch(n, batch_size, drop_last):
    ours_ds, theirs_ds = datasets(n)
    ours = DataLoader(ours_ds, batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(theirs_ds, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert plain(list(ours)) == plain(list(theirs))
    assert len(list(ours)) == len(ours)


def test_batch_dtypes_and_shapes():
    ours_ds, _ = datasets(5)
    x, y = next(iter(DataLoader(ours_ds, batch_size=4)))
    assert (tuple(x.shape), x.dtype, tuple(y.shape), y.dtype) == \
        ((4, 2), ember.float32, (4,), ember.int64)


@pytest.mark.parametrize("kwargs", [
    {"sampler": [4, 2, 0, 1, 9], "batch_size": 2},
    {"sampler": [4, 2, 0, 1, 9], "batch_size": 2, "drop_last": True},
    {"batch_sampler": [[1, 2], [0], [3, 3, 7]]},
    {"batch_size": None},
    {"batch_size": None, "sampler": [3, 1]},
])
def test_custom_samplers_like_torch(kwargs):
    ours_ds, theirs_ds = datasets()
    ours = DataLoader(ours_ds, **kwargs)
    theirs = tud.DataLoader(theirs_ds, **kwargs)
    assert plain(list(ours)) == plain(list(theirs))
    assert len(ours) == len(theirs)


def test_batch_sampler_object_and_collate_fn():
    loader = DataLoader(list(range(7)), batch_sampler=BatchSampler(
        SequentialSampler(range(7)), 3, True), collate_fn=lambda batch: sum(batch))
    assert list(loader) == [3, 12]


def test_shuffle_is_a_seeded_permutation_each_epoch():
    n = 40
    loader = DataLoader(list(range(n)), batch_size=8, shuffle=True,
                        generator=ember.Generator().manual_seed(11))
    epochs = [[i for b in loader for i in b.tolist()] for _ in range(2)]
    assert all(sorted(e) == list(range(n)) for e in epochs)
    assert epochs[0] != epochs[1] and epochs[0] != list(range(n))
    again = DataLoader(list(range(n)), batch_size=8, shuffle=True,
                       generator=ember.Generator().manual_seed(11))
    assert [i for b in again for i in b.tolist()] == epochs[0]
    # torch's shuffled order has the same property (its exact order differs: other RNG)
    theirs = tud.DataLoader(list(range(n)), batch_size=8, shuffle=True,
                            generator=torch.Generator().manual_seed(11))
    assert sorted(i for b in theirs for i in b.tolist()) == list(range(n))


def test_shuffle_follows_manual_seed_without_generator():
    loader = DataLoader(list(range(20)), batch_size=5, shuffle=True)
    ember.manual_seed(3)
    first = plain(list(loader))
    ember.manual_seed(3)
    assert plain(list(loader)) == first


class Recorder(Dataset):
    """Answers batches through __getitems__ and records the index lists it was given."""

    def __init__(self):
        self.calls = []

    def __len__(self):
        return 7

    def __getitem__(self, i):
        raise AssertionError("the batched fetch should be used")

    def __getitems__(self, indices):
        self.calls.append(list(indices))
        return [i * 10 for i in indices]


class TorchRecorder(Recorder, tud.Dataset):
    pass


def test_getitems_is_used_for_whole_batches_like_torch():
    ours, theirs = Recorder(), TorchRecorder()
    assert plain(list(DataLoader(ours, batch_size=3))) == \
        plain(list(tud.DataLoader(theirs, batch_size=3)))
    assert ours.calls == theirs.calls == [[0, 1, 2], [3, 4, 5], [6]]


# -- iterable datasets -------------------------------------------------------------------------
def make_stream(base, info_fn):
    class Stream(base):
        """Worker k yields (k, 0), (k, 1), ... with worker-specific lengths."""

        def __init__(self, reported_len=None):
            self.reported_len = reported_len

        def __iter__(self):
            info = info_fn()
            wid = 0 if info is None else info.id
            return iter([(wid, k) for k in range(3 + 2 * wid)])

        def __len__(self):
            return self.reported_len

    return Stream


Stream = make_stream(IterableDataset, get_worker_info)
TorchStream = make_stream(tud.IterableDataset, tud.get_worker_info)


@pytest.mark.parametrize("kwargs", [
    {"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None},
    {"batch_size": 2, "num_workers": 2}, {"batch_size": 2, "num_workers": 2, "drop_last": True},
    {"batch_size": None, "num_workers": 2},
])
def test_iterable_dataset_like_torch(kwargs):
    ours = list(DataLoader(Stream(), **kwargs))
    theirs = list(tud.DataLoader(TorchStream(), **kwargs))
    assert plain(ours) == plain(theirs)


def test_iterable_length_and_overrun_warning_like_torch():
    ours = DataLoader(Stream(2), batch_size=None)
    theirs = tud.DataLoader(TorchStream(2), batch_size=None)
    assert len(ours) == len(theirs) == 2
    with pytest.warns(UserWarning) as ours_w:
        list(ours)
    with pytest.warns(UserWarning) as theirs_w:
        list(theirs)
    tail = "was reported to be 2(when accessing len(dataloader)), but 3 samples have been fetched."
    assert tail in str(ours_w[0].message) and tail in str(theirs_w[0].message)
    assert len(DataLoader(Stream(5), batch_size=2)) == len(tud.DataLoader(TorchStream(5),
                                                                          batch_size=2)) == 3


# -- constructor checks --------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2},
    {"num_workers": 1, "prefetch_factor": -1}, {"persistent_workers": True},
    {"batch_sampler": [[1]], "batch_size": 2}, {"batch_sampler": [[1]], "shuffle": True},
    {"batch_sampler": [[1]], "drop_last": True}, {"sampler": [1], "shuffle": True},
    {"batch_size": None, "drop_last": True}, {"multiprocessing_context": "fork"},
    {"num_workers": 1, "multiprocessing_context": "bogus"},
    {"num_workers": 1, "multiprocessing_context": 3},
])
def test_option_errors_like_torch(kwargs):
    ours_ds, theirs_ds = datasets()
    assert raised(lambda: DataLoader(ours_ds, **kwargs)) == \
        raised(lambda: tud.DataLoader(theirs_ds, **kwargs))


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [1, 2]},
                                    {"batch_sampler": [[1, 2]]}])
def test_iterable_option_errors_like_torch(kwargs):
    assert raised(lambda: DataLoader(Stream(), **kwargs)) == \
        raised(lambda: tud.DataLoader(TorchStream(), **kwargs))


def test_frozen_attributes_and_pin_memory_like_torch():
    ours_ds, theirs_ds = datasets()
    ours, theirs = DataLoader(ours_ds), tud.DataLoader(theirs_ds)
    for name in ("batch_size", "sampler", "drop_last"):
        assert raised(lambda n=name: setattr(ours, n, 3)) == \
            raised(lambda n=name: setattr(theirs, n, 3))
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        next(iter(DataLoader(ours_ds, pin_memory=True)))
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        next(iter(tud.DataLoader(theirs_ds, pin_memory=True)))
    assert [str(w.message) for w in ours_w] == [str(w.message) for w in theirs_w]
    assert raised(lambda: iter(DataLoader(ours_ds, timeout=1))) == \
        raised(lambda: iter(tud.DataLoader(theirs_ds, timeout=1)))


# -- worker processes ----------------------------------------------------------------------------
@pytest.mark.parametrize("num_workers", [1, 3])
def test_workers_give_the_single_process_batches(num_workers):
    ours_ds, theirs_ds = datasets(23)
    expected = plain(list(tud.DataLoader(theirs_ds, batch_size=4)))
    assert plain(list(DataLoader(ours_ds, batch_size=4, num_workers=num_workers))) == expected
    shuffled = [plain(list(DataLoader(ours_ds, batch_size=4, shuffle=True, num_workers=w,
                                      generator=ember.Generator().manual_seed(5))))
                for w in (0, num_workers)]
    assert shuffled[0] == shuffled[1]  # the order is decided in the main process


def test_out_of_order_delivery_keeps_every_batch():
    ours_ds, _ = datasets(20)
    loader = DataLoader(ours_ds, batch_size=3, num_workers=2, in_order=False)
    got = sorted(tuple(b[1].tolist()) + tuple(b[0][:, 0].tolist()) for b in loader)
    expected = sorted(tuple(b[1].tolist()) + tuple(b[0][:, 0].tolist())
                      for b in DataLoader(ours_ds, batch_size=3))
    assert got == expected


class WorkerFacts(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return [info.id, info.num_workers, info.seed, random.random(), np.random.rand(),
                ember.rand(1).item()]


def test_worker_info_and_seeds():
    assert get_worker_info() is None
    runs = [plain(list(DataLoader(WorkerFacts(), num_workers=2, batch_size=None,
                                  generator=ember.Generator().manual_seed(s))))
            for s in (1, 1, 2)]
    assert runs[0] == runs[1] and runs[0] != runs[2]
    rows = runs[0]
    assert [r[0] for r in rows] == [0, 1] * 4 and all(r[1] == 2 for r in rows)
    by_worker = {r[0]: r for r in rows}
    # torch's scheme: seed = base_seed + worker_id, so the workers' random streams differ
    assert by_worker[1][2] - by_worker[0][2] == 1
    assert all(by_worker[0][k] != by_worker[1][k] for k in (3, 4, 5))


def record_pid(folder, worker_id):
    with open(Path(folder) / f"worker-{worker_id}-{os.getpid()}", "w"):
        pass


def recorded_pids(folder, expected=0, seconds=10.0):
    """Pids the workers wrote at start-up; waits until ``expected`` of them are there."""
    deadline = time.monotonic() + seconds
    while True:
        pids = sorted(int(p.name.split("-")[2]) for p in Path(folder).glob("worker-*"))
        if len(pids) >= expected or time.monotonic() > deadline:
            return pids
        time.sleep(0.02)


def is_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie has finished; only its parent's bookkeeping is left


def wait_gone(pids, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(is_gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not is_gone(p)]


def init_recorder(tmp_path):
    import functools
    return functools.partial(record_pid, str(tmp_path))


def test_worker_init_fn_and_early_deletion_stops_workers(tmp_path):
    ours_ds, _ = datasets(200)
    it = iter(DataLoader(ours_ds, num_workers=2, worker_init_fn=init_recorder(tmp_path)))
    next(it)
    pids = recorded_pids(tmp_path, 2)
    assert len(pids) == 2 and not any(is_gone(p) for p in pids)
    del it
    gc.collect()
    assert wait_gone(pids, 1.0) == []


def test_persistent_workers_survive_epochs(tmp_path):
    ours_ds, theirs_ds = datasets(15)
    expected = plain(list(tud.DataLoader(theirs_ds, batch_size=2)))
    loader = DataLoader(ours_ds, batch_size=2, num_workers=2, persistent_workers=True,
                        worker_init_fn=init_recorder(tmp_path))
    assert plain(list(loader)) == expected
    it = iter(loader)
    next(it)  # abandon this epoch after one batch
    assert plain(list(loader)) == expected
    assert plain(list(loader)) == expected
    pids = recorded_pids(tmp_path, 2)
    assert len(pids) == 2 and not any(is_gone(p) for p in pids)
    del loader, it
    gc.collect()
    assert wait_gone(pids, 1.0) == []


def test_persistent_workers_restart_iterable_streams():
    loader = DataLoader(Stream(), batch_size=2, num_workers=2, persistent_workers=True)
    first = plain(list(loader))
    assert plain(list(loader)) == first
    assert first == plain(list(tud.DataLoader(TorchStream(), batch_size=2, num_workers=2)))


class Failing(Dataset):
    def __init__(self, error=ValueError):
        self.error = error

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 2:
            raise self.error(f"bad item {i}")
        return i


class TorchFailing(Failing, tud.Dataset):
    pass


def test_worker_exception_reaches_caller_with_traceback(tmp_path):
    with pytest.raises(ValueError) as ours:
        list(DataLoader(Failing(), num_workers=2, worker_init_fn=init_recorder(tmp_path)))
    with pytest.raises(ValueError) as theirs:
        list(tud.DataLoader(TorchFailing(), num_workers=2))
    ours_lines, theirs_lines = str(ours.value).splitlines(), str(theirs.value).splitlines()
    assert ours_lines[:2] == theirs_lines[:2] == [
        "Caught ValueError in DataLoader worker process 0.",
        "Original Traceback (most recent call last):"]
    assert ours_lines[-1] == theirs_lines[-1] == "ValueError: bad item 2"
    assert "raise self.error(f\"bad item {i}\")" in str(ours.value)  # the worker's frame
    del ours
    gc.collect()
    pids = recorded_pids(tmp_path, 2)
    assert len(pids) == 2 and wait_gone(pids, 5.0) == []


def test_worker_key_error_message_like_torch():
    with pytest.raises(KeyError) as ours:
        list(DataLoader(Failing(KeyError), num_workers=1))
    with pytest.raises(KeyError) as theirs:
        list(tud.DataLoader(TorchFailing(KeyError), num_workers=1))
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]
    assert str(ours.value).startswith("Caught KeyError")


def test_worker_init_fn_error_and_unpicklable_batch():
    def bad_init(worker_id):
        raise RuntimeError("no setup")

    with pytest.raises(RuntimeError, match="in DataLoader worker process 0"):
        list(DataLoader(list(range(4)), num_workers=1, worker_init_fn=bad_init))
    with pytest.raises(Exception, match="in DataLoader worker process"):
        list(DataLoader(list(range(4)), num_workers=1, collate_fn=lambda b: (lambda: b)))


class Killer(Dataset):
    """Index 5 ends its worker process: by SIGKILL or by os._exit."""

    def __init__(self, how):
        self.how = how

    def __len__(self):
        return 40

    def __getitem__(self, i):
        if i == 5:
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)
        return i


@pytest.mark.parametrize("how", ["kill", "exit"])
def test_dead_worker_is_reported_and_the_rest_stopped(tmp_path, how):
    loader = DataLoader(Killer(how), num_workers=2, worker_init_fn=init_recorder(tmp_path))
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly$"):
        list(loader)
    pids = recorded_pids(tmp_path, 2)
    assert len(pids) == 2 and wait_gone(pids, 1.0) == []


class Sleepy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(0.8)
        return i


def test_timeout():
    with pytest.raises(RuntimeError) as info:
        list(DataLoader(Sleepy(), num_workers=1, timeout=0.2))
    assert str(info.value) == "DataLoader timed out after 0.2 seconds"


def test_spawned_workers(tmp_path):
    ours_ds, theirs_ds = datasets(7)
    loader = DataLoader(ours_ds, batch_size=3, num_workers=1, multiprocessing_context="spawn")
    assert plain(list(loader)) == plain(list(tud.DataLoader(theirs_ds, batch_size=3)))


def test_workers_exit_when_the_main_process_dies(tmp_path):
    script = textwrap.dedent(f"""
        import functools, os, sys, time
        sys.path.insert(0, {str(REPO)!r})
        from ember.utils.data import DataLoader, Dataset

        def record(folder, worker_id):
            open(os.path.join(folder, f"worker-{{worker_id}}-{{os.getpid()}}"), "w").close()

        class Slow(Dataset):
            def __len__(self):
                return 10000
            def __getitem__(self, i):
                time.sleep(0.01)
                return i

        loader = DataLoader(Slow(), num_workers=2,
                            worker_init_fn=functools.partial(record, {str(tmp_path)!r}))
        it = iter(loader)
        next(it)
        os._exit(0)  # no cleanup of any kind, as if the process were killed
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids = recorded_pids(tmp_path, 2)
    assert len(pids) == 2
    assert wait_gone(pids, 15.0) == []


# -- TensorDataset batches gathered at once --------------------------------------------------
def _batches_like_torch(ours_ds, theirs_ds, **kw):
    ours, theirs = list(DataLoader(ours_ds, **kw)), list(tud.DataLoader(theirs_ds, **kw))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert type(a) is type(b) is list and len(a) == len(b)
        for e, t in zip(a, b):
            assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
            assert e.is_contiguous() and e.tolist() == t.tolist()
    return ours


@pytest.mark.parametrize("kw", [{"batch_size": 4}, {"batch_size": 3, "drop_last": True},
                                {"batch_size": 16}])
def test_tensor_dataset_batches_equal_torch_stacking(kw):
    ours_ds, theirs_ds = datasets(10)
    _batches_like_torch(ours_ds, theirs_ds, **kw)
    _batches_like_torch(Subset(ours_ds, [9, 0, 4, 4, 7]), tud.Subset(theirs_ds, [9, 0, 4, 4, 7]),
                        **kw)


def test_sampled_tensor_dataset_batches_are_the_sampled_rows():
    ours_ds, theirs_ds = datasets(50)
    order = np.random.default_rng(3).permutation(50).tolist()
    _batches_like_torch(ours_ds, theirs_ds, batch_size=8, sampler=order)
    ember.manual_seed(3)
    batches = list(DataLoader(ours_ds, batch_size=8, shuffle=True))
    rows = sorted(map(tuple, ember.cat([b[0] for b in batches]).tolist()))
    assert rows == sorted(map(tuple, ours_ds.tensors[0].tolist()))  # each row once


def test_gathered_batch_is_a_copy():
    ours_ds, _ = datasets(6)
    (x, _), = list(DataLoader(ours_ds, batch_size=6))
    x.add_(100)  # writing into the batch must leave the dataset alone, as stacking does
    assert ours_ds.tensors[0].max().item() == 11


def test_tensor_dataset_subclass_items_reach_the_loader():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    class DoubledTorch(tud.TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    ours_ds, theirs_ds = datasets(7)
    _batches_like_torch(Doubled(*ours_ds.tensors), DoubledTorch(*theirs_ds.tensors),
                        batch_size=3)


def test_custom_collate_receives_samples_and_grad_tensors_are_stacked():
    ours_ds, _ = datasets(5)
    seen = []
    list(DataLoader(ours_ds, batch_size=2, collate_fn=lambda samples: seen.append(samples)))
    assert [len(s) for s in seen] == [2, 2, 1] and isinstance(seen[0][0], tuple)
    w = ember.ones(4, 2, requires_grad=True)
    (batch,) = list(DataLoader(TensorDataset(w * 1), batch_size=4))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.ones(4, 2, requires_grad=True) * 1),
                                 batch_size=4))[0]
    assert batch[0].grad_fn.name() == theirs[0].grad_fn.name()
