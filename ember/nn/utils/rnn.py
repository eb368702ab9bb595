"""Packed and padded sequences for the recurrent layers.

A batch of sequences of different lengths is either *padded* into one ``(T, B, *)`` tensor
(``(B, T, *)`` with ``batch_first``) or *packed* into a :class:`PackedSequence`: the valid
elements of each time step one after another, with ``batch_sizes[t]`` the number of
sequences still running at step ``t``. The recurrent layers accept packed input and then
stop every sequence at its own last step.

>>> import ember
>>> from ember.nn.utils.rnn import pack_sequence, pad_packed_sequence
>>> packed = pack_sequence([ember.tensor([1, 2, 3]), ember.tensor([4, 5])])
>>> packed.data, packed.batch_sizes
(tensor([1, 4, 2, 5, 3]), tensor([2, 2, 1]))
>>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
>>> padded
tensor([[1, 2, 3],
        [4, 5, 0]])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from ... import _dtype as D
from ... import ops
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A packed batch of variable-length sequences (a named tuple of four fields).

    Attributes:
        data: the valid elements, time step after time step, ``(N, *)``.
        batch_sizes: int64 tensor, how many sequences are running at each step.
        sorted_indices: how the sequences were reordered (longest first), or None.
        unsorted_indices: the inverse reordering, or None.

    Made by :func:`pack_padded_sequence` and :func:`pack_sequence` rather than by hand.
    ``PackedSequence((data, batch_sizes))`` is accepted as well.
    """

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` converted as ``Tensor.to`` converts it; ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to("cpu", *args, **kwargs)

    def double(self) -> PackedSequence:
        return self.to(dtype=D.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=D.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=D.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=D.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=D.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=D.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=D.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    order = permutation.detach().numpy()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size, dtype=order.dtype)
    return ops.from_numpy(inverse)


def _lengths_array(lengths: Any) -> np.ndarray:
    """``lengths`` (a list or a tensor) as an int64 array, refusing what is not 1-D."""
    if isinstance(lengths, Tensor):
        values = lengths.detach().numpy().astype(np.int64)
        if values.ndim != 1:
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{values.ndim}D cpu Long tensor")
        return values
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _check_lengths(lengths: np.ndarray, batch: int, steps: int, enforce_sorted: bool) -> None:
    if enforce_sorted and np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability.")
    if lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={batch})")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if lengths.size and lengths.max() > steps:
        # Reading past the padded length would read memory that is not part of the input.
        raise RuntimeError(f"Expected all lengths to be at most the padded length {steps}, "
                           f"but got a length of {int(lengths.max())}")


def pack_padded_sequence(input: Tensor, lengths: Tensor | list[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded ``(T, B, *)`` batch (``(B, T, *)`` with ``batch_first``).

    ``lengths`` gives each sequence's valid length; with ``enforce_sorted`` they must not
    increase, otherwise the sequences are sorted (longest first, stable) and the order is
    kept in ``sorted_indices``. Gradients flow from ``data`` back to ``input``.
    """
    lengths = _lengths_array(lengths)
    if batch_first:
        batch, steps = input.size(0), input.size(1)
    else:
        steps, batch = input.size(0), input.size(1)
    if enforce_sorted:
        order, sorted_indices = np.arange(lengths.size), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = ops.from_numpy(order.astype(np.int64))
    _check_lengths(lengths[order], batch, steps, enforce_sorted)
    batch_sizes = (lengths[order][None, :] > np.arange(int(lengths.max()))[:, None]).sum(1)
    # One gather: row (t, b) of the flattened input for each valid step t of each b,
    # time step after time step.
    rows = [order[:size] * (steps if batch_first else 1) + t * (1 if batch_first else batch)
            for t, size in enumerate(batch_sizes)]
    flat = input.reshape(batch * steps, *input.shape[2:])
    data = flat.index_select(0, ops.from_numpy(np.concatenate(rows).astype(np.int64)))
    return PackedSequence(data, ops.from_numpy(batch_sizes.astype(np.int64)), sorted_indices,
                          None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: ``(padded, lengths)`` in the original order.

    ``total_length`` pads to at least that many steps.
    """
    sizes = sequence.batch_sizes.detach().numpy().astype(np.int64)
    steps = sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
        steps = total_length
    batch = int(sizes[0]) if sizes.size else 0
    lengths = (sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    position = np.full((steps, batch), sequence.data.shape[0], dtype=np.int64)  # the pad row
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for t, (start, size) in enumerate(zip(starts, sizes)):
        position[t, :size] = np.arange(start, start + size)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices.detach().numpy()
        position, lengths = position[:, order], lengths[order]
    if batch_first:
        position = position.T
    data = sequence.data
    pad = ops.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    rows = ops.cat([data, pad]).index_select(0, ops.from_numpy(position.reshape(-1).copy()))
    return rows.reshape(*position.shape, *data.shape[1:]), ops.from_numpy(lengths)


def _check_sequences(sequences: tuple, padding_side: str) -> None:
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    trailing = sequences[0].shape[1:]
    for seq in sequences:
        if seq.dim() == 0:
            raise RuntimeError("pad_sequence: every sequence needs at least one dimension")
        for dim, (want, got) in enumerate(zip(trailing, seq.shape[1:]), 1):
            if want != got and got != 1:
                raise RuntimeError(f"The size of tensor a ({want}) must match the size of "
                                   f"tensor b ({got}) at non-singleton dimension {dim}")


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences of shape ``(L_i, *)`` into ``(T, B, *)`` (or ``(B, T, *)``), padding
    the shorter ones with ``padding_value`` on ``padding_side``; the result takes the first
    sequence's dtype."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    _check_sequences(sequences, padding_side)
    first = sequences[0]
    steps = max(seq.shape[0] for seq in sequences)
    trailing = tuple(first.shape[1:])
    columns = []
    for seq in sequences:
        seq = seq.to(first.dtype).expand(seq.shape[0], *trailing)
        missing = steps - seq.shape[0]
        if missing:
            pad = ops.full((missing, *trailing), padding_value, dtype=first.dtype)
            seq = ops.cat([seq, pad] if padding_side == "right" else [pad, seq])
        columns.append(seq)
    return ops.stack(columns, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences, ``lengths[b]`` steps each."""
    batch_major = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    counts = _lengths_array(lengths).tolist()
    return [seq[:length] for seq, length in zip(batch_major.unbind(0), counts, strict=True)]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` sequences (longest first unless ``enforce_sorted`` is
    False)."""
    lengths = [seq.size(0) for seq in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a :class:`PackedSequence` holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
