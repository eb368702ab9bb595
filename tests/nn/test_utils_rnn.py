"""ember.nn.utils.rnn (packed and padded sequences) against torch.nn.utils.rnn."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same_error, rng

import ember

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as T  # noqa: E402

from ember.nn.utils import rnn as E  # noqa: E402


def same(e, t, rtol=1e-6, atol=1e-7):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def same_packed(e, t):
    assert isinstance(e, E.PackedSequence)
    same(e.data, t.data)
    same(e.batch_sizes, t.batch_sizes)
    for a, b in ((e.sorted_indices, t.sorted_indices), (e.unsorted_indices, t.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            same(a, b)


def leaves(arrays):
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def backward_same(e_out, t_out, e_in, t_in):
    g = rng(9).standard_normal(tuple(t_out.shape))
    (e_out * ember.tensor(g)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()
    for e, t in zip(e_in, t_in):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2,), (2, 3)])
def test_pad_sequence(batch_first, padding_side, trailing):
    arrays = [rng(n).standard_normal((n, *trailing)) for n in (3, 5, 1)]
    e_in, t_in = leaves(arrays)
    e_out = E.pad_sequence(e_in, batch_first, -1.5, padding_side)
    t_out = T.pad_sequence(t_in, batch_first, -1.5, padding_side)
    same(e_out, t_out)
    backward_same(e_out, t_out, e_in, t_in)


def test_pad_sequence_dtypes_and_tensor_input():
    ints = [np.arange(n) for n in (2, 3)]
    same(E.pad_sequence([ember.tensor(a) for a in ints], padding_value=2.5),
         T.pad_sequence([torch.tensor(a) for a in ints], padding_value=2.5))
    mixed_e = [ember.ones(2, 3), ember.ones(3, 3, dtype=ember.float64)]
    mixed_t = [torch.ones(2, 3), torch.ones(3, 3, dtype=torch.float64)]
    same(E.pad_sequence(mixed_e), T.pad_sequence(mixed_t))
    x = rng(1).standard_normal((2, 3))
    same(E.pad_sequence(ember.tensor(x), batch_first=True),
         T.pad_sequence(torch.tensor(x), batch_first=True))


def test_pad_sequence_errors():
    assert_same_error(lambda: E.pad_sequence([]), lambda: T.pad_sequence([]))
    assert_same_error(lambda: E.pad_sequence(5), lambda: T.pad_sequence(5))
    assert_same_error(lambda: E.pad_sequence([ember.ones(2, 3), ember.ones(3, 4)]),
                      lambda: T.pad_sequence([torch.ones(2, 3), torch.ones(3, 4)]))
    assert_same_error(
        lambda: E.pad_sequence([ember.ones(2), ember.ones(3)], padding_side="middle"),
        lambda: T.pad_sequence([torch.ones(2), torch.ones(3)], padding_side="middle"))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [
    ([4, 3, 3, 1], True), ([4, 4, 4, 4], True), ([2, 4, 1, 4], False), ([4, 3, 2, 1], False)])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_padded_sequence(batch_first, lengths, enforce_sorted, as_tensor):
    shape = (4, 4, 2) if batch_first else (4, 4, 2)
    e_in, t_in = leaves([rng(2).standard_normal(shape)])
    e_len = ember.tensor(lengths) if as_tensor else lengths
    t_len = torch.tensor(lengths) if as_tensor else lengths
    e_out = E.pack_padded_sequence(e_in[0], e_len, batch_first, enforce_sorted)
    t_out = T.pack_padded_sequence(t_in[0], t_len, batch_first, enforce_sorted)
    same_packed(e_out, t_out)
    backward_same(e_out.data, t_out.data, e_in, t_in)


def test_pack_padded_sequence_errors():
    x_e, x_t = ember.zeros(4, 3), torch.zeros(4, 3)
    for lengths in ([2, 3, 1], [3, 2, 0], [3, 2], [], [3, 2, -1]):
        assert_same_error(lambda n=lengths: E.pack_padded_sequence(x_e, n),
                          lambda n=lengths: T.pack_padded_sequence(x_t, n))
    assert_same_error(lambda: E.pack_padded_sequence(x_e, ember.tensor([[3, 2, 1]])),
                      lambda: T.pack_padded_sequence(x_t, torch.tensor([[3, 2, 1]])))
    assert_same_error(lambda: E.pack_padded_sequence(ember.zeros(3), [1, 1, 1], True),
                      lambda: T.pack_padded_sequence(torch.zeros(3), [1, 1, 1], True))
    with pytest.raises(RuntimeError, match="at most the padded length"):
        E.pack_padded_sequence(x_e, [5, 2, 1])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("total_length", [None, 6])
def test_pad_packed_sequence(batch_first, enforce_sorted, total_length):
    arrays = [rng(n).standard_normal((n, 2)) for n in ((4, 3, 1) if enforce_sorted
                                                      else (3, 4, 1, 4))]
    e_in, t_in = leaves(arrays)
    e_packed = E.pack_sequence(e_in, enforce_sorted)
    t_packed = T.pack_sequence(t_in, enforce_sorted)
    same_packed(e_packed, t_packed)
    e_out, e_len = E.pad_packed_sequence(e_packed, batch_first, 7.0, total_length)
    t_out, t_len = T.pad_packed_sequence(t_packed, batch_first, 7.0, total_length)
    same(e_out, t_out)
    same(e_len, t_len)
    backward_same(e_out, t_out, e_in, t_in)


def test_pad_packed_sequence_total_length_error():
    e_packed = E.pack_sequence([ember.ones(3), ember.ones(2)])
    t_packed = T.pack_sequence([torch.ones(3), torch.ones(2)])
    assert_same_error(lambda: E.pad_packed_sequence(e_packed, total_length=2),
                      lambda: T.pad_packed_sequence(t_packed, total_length=2))


def test_pack_sequence_errors_and_values():
    ints = [np.array([1, 2]), np.array([4, 5, 6])]
    assert_same_error(lambda: E.pack_sequence([ember.tensor(a) for a in ints]),
                      lambda: T.pack_sequence([torch.tensor(a) for a in ints]))
    same_packed(E.pack_sequence([ember.tensor(a) for a in ints], enforce_sorted=False),
                T.pack_sequence([torch.tensor(a) for a in ints], enforce_sorted=False))


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_unpack_and_unpad_sequence(enforce_sorted):
    lengths = (5, 3, 2) if enforce_sorted else (2, 5, 3)
    arrays = [rng(n).standard_normal((n, 3)) for n in lengths]
    e_seqs = E.unpack_sequence(E.pack_sequence([ember.tensor(a) for a in arrays],
                                               enforce_sorted))
    t_seqs = T.unpack_sequence(T.pack_sequence([torch.tensor(a) for a in arrays],
                                               enforce_sorted))
    assert len(e_seqs) == len(t_seqs)
    for e, t in zip(e_seqs, t_seqs):
        same(e, t)
    for batch_first in (False, True):
        e_pad = E.pad_sequence([ember.tensor(a) for a in arrays], batch_first)
        t_pad = T.pad_sequence([torch.tensor(a) for a in arrays], batch_first)
        e_out = E.unpad_sequence(e_pad, ember.tensor(lengths), batch_first)
        t_out = T.unpad_sequence(t_pad, torch.tensor(lengths), batch_first)
        for e, t in zip(e_out, t_out):
            same(e, t)


def test_packed_sequence_is_a_named_tuple():
    e = E.pack_sequence([ember.tensor([1, 2, 3]), ember.tensor([4, 5])])
    t = T.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])])
    assert e._fields == t._fields
    assert isinstance(e, tuple) and len(e) == 4
    assert repr(e) == repr(t)
    data, batch_sizes, sorted_indices, unsorted_indices = e
    assert data is e.data and batch_sizes is e[1] and sorted_indices is None
    rebuilt = E.PackedSequence((e.data, e.batch_sizes))
    assert rebuilt.data is e.data and rebuilt.unsorted_indices is None
    assert e.to(ember.int64) is e
    same(e.double().data, t.double().data)
    same(e.float().data, t.float().data)
    assert not e.is_cuda
    order = ember.tensor([2, 0, 1])
    with_order = E.PackedSequence(e.data, e.batch_sizes, order)
    same(with_order.unsorted_indices,
         T.PackedSequence(t.data, t.batch_sizes, torch.tensor([2, 0, 1])).unsorted_indices)
    same(E.invert_permutation(order), T.invert_permutation(torch.tensor([2, 0, 1])))
    assert E.invert_permutation(None) is None
    assert_same_error(lambda: E.PackedSequence(ember.ones(3)),
                      lambda: T.PackedSequence(torch.ones(3)))
