"""Samplers: deterministic ones equal torch's; random ones have torch's structure (the exact
orders differ because the generators differ)."""

from collections import Counter

import pytest

import ember
from ember.utils.data import (BatchSampler, RandomSampler, SequentialSampler,
                              SubsetRandomSampler, WeightedRandomSampler)

torch = pytest.importorskip("torch")
tud = torch.utils.data


def raised(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def test_sequential_sampler_like_torch():
    data = range(7)
    assert list(SequentialSampler(data)) == list(tud.SequentialSampler(data))
    assert len(SequentialSampler(data)) == 7


@pytest.mark.parametrize("n, size, drop_last", [
    (10, 3, False), (10, 3, True), (9, 3, False), (9, 3, True), (2, 5, False), (2, 5, True),
    (0, 2, False), (1, 1, True),
])
def test_batch_sampler_like_torch(n, size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_batch_sampler_over_a_plain_iterable():
    assert list(BatchSampler([5, 4, 3, 2, 1], 2, False)) == [[5, 4], [3, 2], [1]]


@pytest.mark.parametrize("args", [(0, False), (True, False), (2, 1), (1.5, False)])
def test_batch_sampler_errors_like_torch(args):
    assert raised(lambda: BatchSampler(range(3), *args)) == \
        raised(lambda: tud.BatchSampler(range(3), *args))


def test_random_sampler_is_a_seeded_permutation():
    data = range(50)
    orders = [list(RandomSampler(data, generator=ember.Generator().manual_seed(s)))
              for s in (3, 3, 4)]
    assert sorted(orders[0]) == list(data)
    assert orders[0] == orders[1] and orders[0] != orders[2]
    assert orders[0] != list(data)
    # torch's sampler has the same contract
    assert sorted(tud.RandomSampler(data, generator=torch.Generator().manual_seed(3))) == \
        list(data)


def test_random_sampler_epochs_differ_and_follow_manual_seed():
    sampler = RandomSampler(range(30))
    ember.manual_seed(0)
    first, second = list(sampler), list(sampler)
    assert first != second and sorted(first) == sorted(second) == list(range(30))
    ember.manual_seed(0)
    assert list(sampler) == first


def test_random_sampler_more_samples_than_data_chains_permutations():
    ours = list(RandomSampler(range(10), num_samples=25,
                              generator=ember.Generator().manual_seed(0)))
    theirs = list(tud.RandomSampler(range(10), num_samples=25,
                                    generator=torch.Generator().manual_seed(0)))
    for order in (ours, theirs):
        assert len(order) == 25
        assert sorted(order[:10]) == sorted(order[10:20]) == list(range(10))
        assert len(set(order[20:])) == 5


@pytest.mark.parametrize("num_samples", [5, 33, 100])
def test_random_sampler_with_replacement(num_samples):
    sampler = RandomSampler(range(4), replacement=True, num_samples=num_samples,
                            generator=ember.Generator().manual_seed(1))
    drawn = list(sampler)
    assert len(drawn) == len(sampler) == num_samples
    assert set(drawn) <= set(range(4))
    if num_samples == 100:
        assert len(set(drawn)) == 4  # all values appear in 100 draws


@pytest.mark.parametrize("kwargs", [{"replacement": 1}, {"num_samples": 0},
                                    {"num_samples": 1.5}, {"num_samples": -2}])
def test_random_sampler_errors_like_torch(kwargs):
    assert raised(lambda: RandomSampler(range(3), **kwargs)) == \
        raised(lambda: tud.RandomSampler(range(3), **kwargs))


def test_subset_random_sampler_permutes_the_given_indices():
    indices = [10, 20, 30, 40, 50]
    ours = list(SubsetRandomSampler(indices, generator=ember.Generator().manual_seed(0)))
    theirs = list(tud.SubsetRandomSampler(indices, generator=torch.Generator().manual_seed(0)))
    assert sorted(ours) == sorted(theirs) == indices
    assert len(SubsetRandomSampler(indices)) == 5


def test_weighted_random_sampler_follows_weights():
    weights = [0.0, 1.0, 3.0, 0.0]
    sampler = WeightedRandomSampler(weights, 4000, generator=ember.Generator().manual_seed(0))
    counts = Counter(sampler)
    assert len(sampler) == 4000 and set(counts) == {1, 2}
    assert 0.7 < counts[2] / 4000 < 0.8  # expected 0.75
    no_repeat = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(no_repeat) == [0, 1, 2, 3]


@pytest.mark.parametrize("args", [([[1.0]], 2), ([1.0], 0), ([1.0], 2, 1)])
def test_weighted_random_sampler_errors_like_torch(args):
    assert raised(lambda: WeightedRandomSampler(*args)) == \
        raised(lambda: tud.WeightedRandomSampler(*args))
