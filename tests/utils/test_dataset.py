"""Datasets and random_split, compared with torch.utils.data where behaviour is deterministic."""

import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                              StackDataset, Subset, TensorDataset, default_collate,
                              random_split)

torch = pytest.importorskip("torch")
tud = torch.utils.data


def raised(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def test_tensor_dataset_items_and_length():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ours = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    theirs = tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert len(ours) == len(theirs) == 6
    for i in (0, 3, -1):
        for a, b in zip(ours[i], theirs[i]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_tensor_dataset_size_mismatch_like_torch():
    assert raised(lambda: TensorDataset(ember.zeros(2), ember.zeros(3))) == \
        raised(lambda: tud.TensorDataset(torch.zeros(2), torch.zeros(3)))


def test_tensor_dataset_batched_fetch_equals_items():
    x = ember.arange(20.0).reshape(10, 2)
    y = ember.arange(10)
    ds = TensorDataset(x, y)
    indices = [7, 2, 2, 9]
    fetched = ds.__getitems__(indices)
    assert len(fetched) == 4
    for sample, i in zip(fetched, indices):
        assert sample[0].tolist() == x[i].tolist() and sample[1].item() == i
    collated = default_collate(fetched)
    expected = default_collate([ds[i] for i in indices])
    assert [c.tolist() for c in collated] == [e.tolist() for e in expected]
    assert [c.dtype for c in collated] == [ember.float32, ember.int64]


def test_subset_and_concat_indexing_like_torch():
    data = list(range(10, 20))
    ours = ConcatDataset([Subset(data, [3, 1, 4]), data[:2]])
    theirs = tud.ConcatDataset([tud.Subset(data, [3, 1, 4]), data[:2]])
    assert len(ours) == len(theirs) == 5
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-5, 5)] == [theirs[i] for i in range(-5, 5)]
    assert raised(lambda: ours[-6]) == raised(lambda: theirs[-6])
    assert raised(lambda: ours[5]) == raised(lambda: theirs[5])


def test_subset_list_index_goes_to_dataset():
    class Recorder(Dataset):
        def __getitem__(self, idx):
            return ("got", idx)

    assert Subset(Recorder(), [10, 20, 30])[[2, 0]] == ("got", [30, 10])


def test_subset_keeps_batched_fetch():
    calls = []

    class Batched(Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            raise AssertionError("the batched path should be used")

        def __getitems__(self, indices):
            calls.append(list(indices))
            return [i * 100 for i in indices]

    sub = Subset(Batched(), [9, 8, 7, 6])
    assert sub.__getitems__([0, 3]) == [900, 600]
    assert calls == [[9, 6]]


def test_dataset_add_and_errors_like_torch():
    class Items(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return i

    assert isinstance(Items() + Items(), ConcatDataset)
    assert len(Items() + Items()) == 4
    assert raised(lambda: Dataset()[0]) == raised(lambda: tud.Dataset()[0])
    assert raised(lambda: ConcatDataset([])) == raised(lambda: tud.ConcatDataset([]))


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def test_iterable_datasets_chain():
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    assert raised(lambda: ConcatDataset([Stream(2)])) == \
        raised(lambda: tud.ConcatDataset([TorchStream(2)]))
    assert raised(lambda: list(ChainDataset([[1]]))) == \
        raised(lambda: list(tud.ChainDataset([[1]])))


def test_stack_dataset_tuple_and_dict():
    a, b = [1, 2, 3], ["x", "y", "z"]
    assert StackDataset(a, b)[1] == tud.StackDataset(a, b)[1] == (2, "y")
    assert StackDataset(p=a, q=b)[2] == tud.StackDataset(p=a, q=b)[2]
    assert raised(lambda: StackDataset(a, b[:2])) == raised(lambda: tud.StackDataset(a, b[:2]))


@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]), (7, [0.3, 0.3, 0.4]),
    (5, [1.0]), (11, [0.1, 0.2, 0.7]),
])
def test_random_split_lengths_like_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = random_split(range(n), lengths, generator=ember.Generator().manual_seed(0))
        theirs = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    # a partition of the dataset: disjoint and complete
    picked = [i for s in ours for i in s.indices]
    assert sorted(picked) == list(range(n))


def test_random_split_is_seeded_and_random():
    split = [random_split(range(50), [25, 25], generator=ember.Generator().manual_seed(s))
             for s in (1, 1, 2)]
    assert split[0][0].indices == split[1][0].indices
    assert split[0][0].indices != split[2][0].indices
    assert split[0][0].indices != list(range(25))
    ember.manual_seed(5)
    first = random_split(range(20), [10, 10])[0].indices
    ember.manual_seed(5)
    assert random_split(range(20), [10, 10])[0].indices == first


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [1.5, -0.5]])
def test_random_split_errors_like_torch(lengths):
    assert raised(lambda: random_split(range(10), lengths)) == \
        raised(lambda: tud.random_split(range(10), lengths))


def test_random_split_warns_on_empty_split_like_torch():
    with pytest.warns(UserWarning) as ours:
        random_split(range(10), [1.0, 0.0])
    with pytest.warns(UserWarning) as theirs:
        tud.random_split(range(10), [1.0, 0.0])
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
