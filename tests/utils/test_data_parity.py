"""ember.utils.data against torch.utils.data: the same calls, run through both libraries.

Each case is one function of the library module (``ember`` or ``torch``); results are
compared structurally (container types, tensor dtypes, shapes and values) and errors by type
and message.
"""

import collections
import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same_error

torch = pytest.importorskip("torch")

Pair = collections.namedtuple("Pair", "x y")


def structure(obj):
    """A comparable description of a result: types, dtypes, shapes and values."""
    if isinstance(obj, (ember.Tensor, torch.Tensor)):
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, [structure(o) for o in obj])
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: structure(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [structure(o) for o in obj])
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.tolist())
    return (type(obj).__name__, obj)


def compare(case):
    """Run ``case(lib)`` for both libraries: same result structure, or the same error."""
    try:
        expected = case(torch)
    except Exception:
        assert_same_error(lambda: case(ember), lambda: case(torch))
        return
    assert structure(case(ember)) == structure(expected)


def data(lib):
    return lib.utils.data


def pairs(lib, n=10):
    return data(lib).TensorDataset(lib.arange(n), lib.arange(n) * 10)


def loader(lib, dataset=None, **kwargs):
    return data(lib).DataLoader(pairs(lib) if dataset is None else dataset, **kwargs)


def counting(lib, n=7, with_len=False):
    """An iterable dataset streaming 0 .. n-1 (reporting ``n`` as its length if asked)."""
    class Stream(data(lib).IterableDataset):
        def __iter__(self):
            return iter(range(n))
    if with_len:
        Stream.__len__ = lambda self: n
    return Stream()


LOADER_CASES = {
    "batch_size=None": lambda L: list(loader(L, batch_size=None)),
    "batch_size=3": lambda L: list(loader(L, batch_size=3)),
    "drop_last": lambda L: list(loader(L, batch_size=3, drop_last=True)),
    "drop_last bigger batch": lambda L: list(loader(L, pairs(L, 3), batch_size=5, drop_last=True)),
    "len": lambda L: [len(loader(L, batch_size=3)), len(loader(L, batch_size=3, drop_last=True)),
                      len(loader(L, batch_size=None)), len(iter(loader(L, batch_size=4)))],
    "iterate twice": lambda L: (lambda d: [list(d), list(d)])(loader(L, batch_size=4)),
    "exhausted iterator": lambda L: (lambda it: [list(it), list(it)])(
        iter(loader(L, batch_size=4))),
    "sampler list": lambda L: [list(loader(L, sampler=[3, 1, 2], batch_size=2)),
                               len(loader(L, sampler=[3, 1, 2], batch_size=2))],
    "batch_sampler list": lambda L: [list(loader(L, batch_sampler=[[0, 1], [5, 3, 2]])),
                                     len(loader(L, batch_sampler=[[0, 1], [5, 3, 2]]))],
    "batch_sampler with batch_size=None": lambda L: list(
        loader(L, batch_size=None, batch_sampler=[[0, 1]])),
    "list dataset": lambda L: list(loader(L, [1, 2, 3], batch_size=2)),
    "numpy dataset": lambda L: list(loader(L, np.arange(6).reshape(3, 2), batch_size=2)),
    "numpy dataset unbatched": lambda L: list(loader(L, np.arange(6).reshape(3, 2),
                                                     batch_size=None)),
    "dict samples": lambda L: list(loader(L, [{"a": 1, "b": 2.5, "c": "x"}] * 3, batch_size=2)),
    "empty dataset": lambda L: list(loader(L, [], batch_size=2, shuffle=True)),
    "pin_memory accepted": lambda L: list(loader(L, batch_size=4, pin_memory=True)),
    "default attributes": lambda L: (lambda d: [
        d.batch_size, d.drop_last, type(d.sampler).__name__, type(d.batch_sampler).__name__,
        d.num_workers, d.prefetch_factor, d.timeout, d.pin_memory, d.generator,
        d.collate_fn.__name__])(loader(L)),
    "unbatched attributes": lambda L: (lambda d: [
        d.batch_size, type(d.sampler).__name__, d.batch_sampler, d.collate_fn.__name__])(
        loader(L, batch_size=None)),
    "shuffle sampler": lambda L: (lambda s: [type(s).__name__, s.replacement, s.num_samples])(
        loader(L, shuffle=True).sampler),
    "two workers": lambda L: [list(loader(L, batch_size=3, num_workers=2)),
                              len(loader(L, batch_size=3, num_workers=2))],
}

LOADER_ERRORS = {
    "batch_size=None with drop_last": lambda L: loader(L, batch_size=None, drop_last=True),
    "sampler with shuffle": lambda L: loader(L, shuffle=True, sampler=[0, 1]),
    "batch_sampler with batch_size": lambda L: loader(L, batch_size=2, batch_sampler=[[0]]),
    "batch_sampler with shuffle": lambda L: loader(L, shuffle=True, batch_sampler=[[0]]),
    "batch_sampler with drop_last": lambda L: loader(L, drop_last=True, batch_sampler=[[0]]),
    "batch_sampler with sampler": lambda L: loader(L, sampler=[0], batch_sampler=[[0]]),
    "batch_size=0": lambda L: loader(L, batch_size=0),
    "batch_size float": lambda L: loader(L, batch_size=2.0),
    "drop_last not bool": lambda L: loader(L, batch_size=2, drop_last=1),
    "negative num_workers": lambda L: loader(L, num_workers=-1),
    "negative timeout": lambda L: loader(L, timeout=-1),
    "prefetch_factor without workers": lambda L: loader(L, prefetch_factor=2),
    "persistent_workers without workers": lambda L: loader(L, persistent_workers=True),
    "set batch_size later": lambda L: setattr(loader(L), "batch_size", 3),
    "len of unsized dataset": lambda L: len(loader(L, iter([1, 2]))),
}


@pytest.mark.parametrize("name", LOADER_CASES)
def test_dataloader_matches_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pin_memory without an accelerator
        compare(LOADER_CASES[name])


@pytest.mark.parametrize("name", LOADER_ERRORS)
def test_dataloader_errors_match_torch(name):
    assert_same_error(lambda: LOADER_ERRORS[name](ember), lambda: LOADER_ERRORS[name](torch))


def test_shuffle_with_generator_repeats_and_covers_every_sample():
    def epoch(seed):
        gen = ember.Generator().manual_seed(seed)
        return [b[0].tolist() for b in loader(ember, batch_size=4, shuffle=True, generator=gen)]
    first = epoch(1)
    assert first == epoch(1)
    assert sorted(sum(first, [])) == list(range(10))
    assert [len(b) for b in first] == [len(b[0]) for b in loader(torch, batch_size=4)]


ITERABLE_CASES = {
    "unbatched": lambda L: list(loader(L, counting(L), batch_size=None)),
    "batched": lambda L: list(loader(L, counting(L), batch_size=3)),
    "drop_last": lambda L: list(loader(L, counting(L), batch_size=3, drop_last=True)),
    "shuffle=False": lambda L: list(loader(L, counting(L), shuffle=False, batch_size=4)),
    "twice": lambda L: (lambda d: [list(d), list(d)])(loader(L, counting(L), batch_size=3)),
    "len": lambda L: [len(loader(L, counting(L, with_len=True), batch_size=3)),
                      len(loader(L, counting(L, with_len=True), batch_size=3, drop_last=True)),
                      len(loader(L, counting(L, with_len=True), batch_size=None))],
    "len without __len__": lambda L: len(loader(L, counting(L), batch_size=3)),
    "shuffle": lambda L: loader(L, counting(L), shuffle=True),
    "sampler": lambda L: loader(L, counting(L), sampler=[1]),
    "batch_sampler": lambda L: loader(L, counting(L), batch_sampler=[[1]]),
    "abstract base": lambda L: data(L).IterableDataset(),
    "abstract base in ConcatDataset": lambda L: data(L).ConcatDataset(
        [pairs(L, 3), data(L).IterableDataset()]),
    "chain with +": lambda L: list(counting(L, 2) + counting(L, 3)),
}


@pytest.mark.parametrize("name", ITERABLE_CASES)
def test_iterable_dataset_matches_torch(name):
    compare(ITERABLE_CASES[name])


COLLATE_CASES = {
    "tuples": [(1, 2.0), (3, 4.0)],
    "lists": [[1, 2], [3, 4]],
    "lists of unequal size": [[1, 2], [3]],
    "named tuples": [Pair(1, 2.0), Pair(3, 4.0)],
    "float32 arrays": [np.ones(2, np.float32), np.zeros(2, np.float32)],
    "int32 arrays": [np.ones(2, np.int32), np.zeros(2, np.int32)],
    "arrays of unequal shape": [np.ones(2), np.ones(3)],
    "string arrays": [np.array(["a"]), np.array(["b"])],
    "numpy float32 scalars": [np.float32(1), np.float32(2)],
    "numpy int64 scalars": [np.int64(1), np.int64(2)],
    "numpy bools": [np.bool_(True), np.bool_(False)],
    "0-d arrays": [np.array(1.0), np.array(2.0)],
    "bools": [True, False],
    "ints": [1, 2],
    "floats": [1.5, 2.0],
    "int then float": [1, 2.5],
    "strings": ["a", "b"],
    "bytes": [b"a", b"b"],
    "dicts": [{"a": 1, "b": [1, 2]}, {"a": 2, "b": [3, 4]}],
    "ordered dicts": [collections.OrderedDict(a=1.0), collections.OrderedDict(a=2.0)],
    "dicts with other keys": [{"a": 1}, {"b": 2}],
    "None": [None, None],
    "sets": [{1}, {2}],
    "nested": [((1, 2), "a"), ((3, 4), "b")],
    "empty": [],
}


@pytest.mark.parametrize("name", COLLATE_CASES)
def test_default_collate_matches_torch(name):
    batch = COLLATE_CASES[name]
    compare(lambda L: data(L).default_collate(batch))


def test_default_collate_of_tensors_matches_torch():
    compare(lambda L: data(L).default_collate([L.ones(2), L.zeros(2)]))
    compare(lambda L: data(L).default_collate([L.tensor(1), L.tensor(2)]))
    compare(lambda L: data(L).default_collate([L.ones(2), L.zeros(3)]))


CONVERT_CASES = {
    "array": np.arange(3),
    "string array": np.array(["a"]),
    "numpy scalar": np.float32(3),
    "int": 3,
    "string": "abc",
    "tuple": (np.arange(2), 1),
    "list": [np.arange(2), 1],
    "dict": {"a": np.arange(2)},
    "named tuple": Pair(np.arange(2), 1),
}


@pytest.mark.parametrize("name", CONVERT_CASES)
def test_default_convert_matches_torch(name):
    compare(lambda L: data(L).default_convert(CONVERT_CASES[name]))


def seeded(lib, seed=0):
    return lib.Generator().manual_seed(seed)


SAMPLER_CASES = {
    "random len": lambda L: [len(data(L).RandomSampler(range(5))),
                             len(data(L).RandomSampler(range(5), num_samples=12))],
    "random covers": lambda L: sorted(data(L).RandomSampler(range(5), generator=seeded(L))),
    "random num_samples < n": lambda L: len(list(data(L).RandomSampler(range(5), num_samples=3))),
    "random replacement": lambda L: [
        len(list(data(L).RandomSampler(range(5), replacement=True, num_samples=40))),
        len(list(data(L).RandomSampler(range(5), replacement=True)))],
    "random attributes": lambda L: (lambda s: [s.replacement, s.num_samples, s._num_samples,
                                               s.generator])(data(L).RandomSampler(range(5))),
    "random index types": lambda L: [type(i).__name__ for i in data(L).RandomSampler(range(3))],
    "random num_samples=0": lambda L: data(L).RandomSampler(range(5), num_samples=0),
    "random num_samples float": lambda L: data(L).RandomSampler(range(5), num_samples=2.0),
    "random replacement not bool": lambda L: data(L).RandomSampler(range(5), replacement=1),
    "random empty": lambda L: data(L).RandomSampler([]),
    "sequential": lambda L: [list(data(L).SequentialSampler(range(4))),
                             len(data(L).SequentialSampler(range(4)))],
    "batch": lambda L: [list(data(L).BatchSampler(range(7), 3, False)),
                        list(data(L).BatchSampler(range(7), 3, True)),
                        len(data(L).BatchSampler(range(7), 3, False)),
                        len(data(L).BatchSampler(range(7), 3, True))],
    "batch size 0": lambda L: data(L).BatchSampler(range(7), 0, False),
    "batch size bool": lambda L: data(L).BatchSampler(range(7), True, False),
    "batch drop_last not bool": lambda L: data(L).BatchSampler(range(7), 2, 0),
    "subset random": lambda L: [sorted(data(L).SubsetRandomSampler([5, 7, 9])),
                                len(data(L).SubsetRandomSampler([5, 7, 9])),
                                sorted(data(L).SubsetRandomSampler([5, 7], generator=seeded(L)))],
    "weighted": lambda L: [len(list(data(L).WeightedRandomSampler([0.1, 0.9], 5))),
                           len(data(L).WeightedRandomSampler([0.1, 0.9], 5)),
                           list(data(L).WeightedRandomSampler([0, 1.0, 0], 3)),
                           sorted(data(L).WeightedRandomSampler([0.1, 0.9, 1], 3, False))],
    "weighted weights": lambda L: data(L).WeightedRandomSampler([1, 2], 2).weights,
    "weighted index types": lambda L: [type(i).__name__
                                       for i in data(L).WeightedRandomSampler([1, 2], 2)],
    "weighted 2-d": lambda L: data(L).WeightedRandomSampler([[0.1, 0.9]], 3),
    "weighted num_samples=0": lambda L: data(L).WeightedRandomSampler([0.1, 0.9], 0),
    "weighted replacement not bool": lambda L: data(L).WeightedRandomSampler([1, 2], 2,
                                                                             replacement=1),
}


@pytest.mark.parametrize("name", SAMPLER_CASES)
def test_samplers_match_torch(name):
    compare(SAMPLER_CASES[name])


DATASET_CASES = {
    "tensor dataset": lambda L: [pairs(L)[3], pairs(L)[-1], pairs(L)[1:3], len(pairs(L))],
    "tensor dataset size mismatch": lambda L: data(L).TensorDataset(L.ones(3), L.ones(4)),
    "tensor dataset out of range": lambda L: pairs(L)[10],
    "subset": lambda L: (lambda s: [s[0], s[1], len(s)])(data(L).Subset(pairs(L), [3, 1])),
    "subset list index": lambda L: data(L).Subset(list(range(10)), [3, 1, 5])[[0, 2]],
    "subset out of range": lambda L: data(L).Subset(pairs(L), [3, 1])[5],
    "concat": lambda L: (lambda c: [c[i] for i in (0, 3, 4, -1, -5)] + [len(c),
                                                                        c.cumulative_sizes])(
        data(L).ConcatDataset([pairs(L, 3), pairs(L, 2)])),
    "concat with +": lambda L: [type(pairs(L) + pairs(L)).__name__, len(pairs(L) + pairs(L, 3))],
    "concat with an empty part": lambda L: [data(L).ConcatDataset([[1, 2], [], [3]])[i]
                                            for i in range(3)],
    "concat out of range": lambda L: data(L).ConcatDataset([pairs(L, 3), pairs(L, 2)])[5],
    "concat negative out of range": lambda L: data(L).ConcatDataset([pairs(L, 3)])[-4],
    "concat of nothing": lambda L: data(L).ConcatDataset([]),
    "base dataset": lambda L: data(L).Dataset()[0],
    "stack": lambda L: [data(L).StackDataset(pairs(L, 3), pairs(L, 3))[1],
                        data(L).StackDataset(a=pairs(L, 3), b=pairs(L, 3))[1]],
    "stack size mismatch": lambda L: data(L).StackDataset(pairs(L, 3), pairs(L, 2)),
}


@pytest.mark.parametrize("name", DATASET_CASES)
def test_datasets_match_torch(name):
    compare(DATASET_CASES[name])


SPLIT_CASES = {
    "lengths": (10, [3, 7]),
    "tuple of lengths": (10, (5, 5)),
    "fractions": (10, [0.33, 0.33, 0.34]),
    "fractions with remainder": (11, [0.5, 0.5]),
    "small fractions": (7, [0.1, 0.1, 0.8]),
    "fractions of a tiny dataset": (1, [0.5, 0.5]),
}


@pytest.mark.parametrize("name", SPLIT_CASES)
def test_random_split_sizes_match_torch(name):
    n, lengths = SPLIT_CASES[name]

    def split(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = data(lib).random_split(range(n), lengths, generator=seeded(lib))
        return ([type(p).__name__ for p in parts], [len(p) for p in parts],
                [str(w.message) for w in caught],
                sorted(i for p in parts for i in p.indices))
    assert split(ember) == split(torch)


@pytest.mark.parametrize("lengths", [[3, 8], [0.5, 0.6], [1.5, -0.5]])
def test_random_split_errors_match_torch(lengths):
    assert_same_error(lambda: data(ember).random_split(range(10), lengths),
                      lambda: data(torch).random_split(range(10), lengths))


def test_random_split_with_a_seeded_generator_repeats():
    def split():
        gen = ember.Generator().manual_seed(3)
        return [p.indices for p in data(ember).random_split(range(10), [0.3, 0.7], gen)]
    assert split() == split()
