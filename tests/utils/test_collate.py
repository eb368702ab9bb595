"""default_collate / default_convert against torch's on the same samples."""

import collections

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate, default_convert
from ember.utils.data.collate import BatchedSamples

torch = pytest.importorskip("torch")
from torch.utils.data import default_collate as torch_collate  # noqa: E402
from torch.utils.data import default_convert as torch_convert  # noqa: E402

Point = collections.namedtuple("Point", "x y")


class TaggedDict(dict):
    pass


def assert_like_torch(ours, theirs):
    """Same structure, container types, dtypes, shapes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), type(ours)
        assert str(ours.dtype).replace("ember.", "") == str(theirs.dtype).replace("torch.", "")
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    assert type(ours).__name__ == type(theirs).__name__, (type(ours), type(theirs))
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for key in theirs:
            assert_like_torch(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_like_torch(a, b)
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


def build(spec, lib):
    """Turn a sample spec into library objects: ('T', array) becomes a lib tensor."""
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and spec[0] == "T":
        return lib.from_numpy(np.array(spec[1]))
    if isinstance(spec, Point):
        return Point(*(build(s, lib) for s in spec))
    if isinstance(spec, TaggedDict):
        return TaggedDict({k: build(v, lib) for k, v in spec.items()})
    if isinstance(spec, dict):
        return {k: build(v, lib) for k, v in spec.items()}
    if isinstance(spec, tuple):
        return tuple(build(s, lib) for s in spec)
    if isinstance(spec, list):
        return [build(s, lib) for s in spec]
    return spec


def T(values, dtype=np.float32):  # noqa: N802 - reads as a tensor literal in the specs
    return ("T", np.asarray(values, dtype=dtype))


BATCHES = {
    "ints": [1, 2, 3],
    "floats": [1.0, 2.5],
    "bools": [True, False],
    "int_then_float": [1, 2.5],
    "float_then_int": [1.0, 2],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"b"],
    "np_float32_scalars": [np.float32(1), np.float32(2)],
    "np_float64_scalars": [np.float64(1), np.float64(2)],
    "np_int64_scalars": [np.int64(3), np.int64(4)],
    "np_bool_scalars": [np.bool_(True), np.bool_(False)],
    "np_0d_arrays": [np.array(3.0), np.array(4.0)],
    "np_arrays_f32": [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    "np_arrays_u8": [np.arange(4, dtype=np.uint8), np.arange(4, dtype=np.uint8)],
    "np_arrays_i64": [np.arange(3), np.arange(3) * 2],
    "tensors_f32": [T([1, 2]), T([3, 4])],
    "tensors_i32": [T([1, 2], np.int32), T([3, 4], np.int32)],
    "tensors_2d": [T(np.ones((2, 2))), T(np.zeros((2, 2)))],
    "tensors_0d": [T(1.5), T(2.5)],
    "image_label_pairs": [(T(np.ones((1, 2, 2))), 3), (T(np.zeros((1, 2, 2))), 7)],
    "tuples_with_strings": [(1, "a"), (2, "b")],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"x": T([1, 2]), "y": 1}, {"x": T([3, 4]), "y": 2}],
    "nested_dicts": [{"a": {"b": 1.0, "c": [1, 2]}}, {"a": {"b": 2.0, "c": [3, 4]}}],
    "dict_subclass": [TaggedDict(a=1), TaggedDict(a=2)],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "namedtuple_of_tensors": [Point(T([1]), T([2])), Point(T([3]), T([4]))],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_matches_torch(name):
    spec = BATCHES[name]
    assert_like_torch(default_collate(build(spec, ember)), torch_collate(build(spec, torch)))


CONVERTS = {
    "array": np.arange(3.0),
    "string_array": np.array(["a", "b"]),
    "np_scalar": np.float64(2),
    "np_int": np.int32(5),
    "tuple": (np.zeros(2), 1, "a"),
    "list": [np.ones(2, np.float32), 2],
    "dict": {"a": np.arange(2), "b": "s"},
    "namedtuple": Point(np.arange(2), 1),
    "tensor": T([1, 2]),
    "string": "plain",
    "int": 3,
}


@pytest.mark.parametrize("name", sorted(CONVERTS))
def test_default_convert_matches_torch(name):
    spec = CONVERTS[name]
    assert_like_torch(default_convert(build(spec, ember)), torch_convert(build(spec, torch)))


def test_collated_tensor_dtype_follows_samples():
    out = default_collate([ember.zeros(2, dtype=ember.float64), ember.ones(2, dtype=ember.float64)])
    assert out.dtype == ember.float64 and tuple(out.shape) == (2, 2)


ERRORS = {
    "object": [object(), object()],
    "none": [None, None],
    "string_array": [np.array(["a"]), np.array(["b"])],
    "object_array": [np.array([None], dtype=object), np.array([None], dtype=object)],
    "ragged_lists": [[1, 2], [1]],
    "ragged_tensors": [T([1.0, 2.0]), T([1.0, 2.0, 3.0])],
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_collate_errors_match_torch(name):
    spec = ERRORS[name]
    with pytest.raises(Exception) as theirs:
        torch_collate(build(spec, torch))
    with pytest.raises(type(theirs.value)) as ours:
        default_collate(build(spec, ember))
    assert str(ours.value) == str(theirs.value)


def test_batched_samples_shortcut_and_its_invalidation():
    samples = [(ember.tensor([1.0]), 1), (ember.tensor([2.0]), 2)]
    prebuilt = [ember.tensor([[1.0], [2.0]]), ember.tensor([1, 2])]
    batch = BatchedSamples(samples, prebuilt)
    assert default_collate(batch) is prebuilt
    # a caller that edits the list must not get the stale batch
    batch.append((ember.tensor([3.0]), 3))
    out = default_collate(batch)
    assert out is not prebuilt and out[0].tolist() == [[1.0], [2.0], [3.0]]
    batch = BatchedSamples(samples, prebuilt)
    batch[0] = (ember.tensor([9.0]), 9)
    assert default_collate(batch)[1].tolist() == [9, 2]
    # it is a list for any other collate function
    assert isinstance(batch, list) and len(batch) == 2
