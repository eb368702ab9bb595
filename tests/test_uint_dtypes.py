"""The wide unsigned dtypes (uint16, uint32, uint64) against torch: attributes, promotion,
creation, conversion, printing, the ops torch runs on them, and saving/loading."""

import io
import zipfile

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error

torch = pytest.importorskip("torch")

UNSIGNED = ["uint16", "uint32", "uint64"]
ALL_NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
             "float64", "complex64", "complex128"] + UNSIGNED


def same_outcome(fn, compare=assert_same):
    """``fn(ember)`` and ``fn(torch)`` give equal results, or raise the same error."""
    try:
        expected = fn(torch)
    except Exception:
        assert_same_error(lambda: fn(ember), lambda: fn(torch))
        return
    compare(fn(ember), expected)


def test_names_match_torch():
    torch_names = {n for n in dir(torch) if n in ("uint16", "uint32", "uint64")}
    assert torch_names == set(UNSIGNED)
    for name in UNSIGNED:
        assert isinstance(getattr(ember, name), ember.dtype)


@pytest.mark.parametrize("name", UNSIGNED)
def test_dtype_attributes(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert repr(e) == repr(t).replace("torch", "ember") and str(e) == repr(e)
    assert (e.itemsize, e.is_signed, e.is_floating_point, e.is_complex) == \
        (t.itemsize, t.is_signed, t.is_floating_point, t.is_complex)
    ei, ti = ember.iinfo(e), torch.iinfo(t)
    assert (ei.bits, ei.min, ei.max, ei.dtype, repr(ei)) == (ti.bits, ti.min, ti.max, ti.dtype,
                                                             repr(ti))
    assert_same_error(lambda: ember.finfo(e), lambda: torch.finfo(t))


@pytest.mark.parametrize("name", UNSIGNED)
def test_promote_types_table(name):
    for other in ALL_NAMES:
        for a, b in ((name, other), (other, name)):
            same_outcome(lambda L, a=a, b=b: L.promote_types(getattr(L, a), getattr(L, b)))


def test_promote_types_refuses_non_dtypes():
    assert_same_error(lambda: ember.promote_types(ember.uint16, 1),
                      lambda: torch.promote_types(torch.uint16, 1))
    assert_same_error(lambda: ember.promote_types(1, ember.float32),
                      lambda: torch.promote_types(1, torch.float32))


def _dim(L, name, shape=(2,)):
    return L.ones(shape, dtype=getattr(L, name))


RESULT_TYPE_CASES = {
    "int scalar": lambda L, n: L.result_type(_dim(L, n), 2),
    "scalar first": lambda L, n: L.result_type(2, _dim(L, n)),
    "bool scalar": lambda L, n: L.result_type(_dim(L, n), True),
    "float scalar": lambda L, n: L.result_type(_dim(L, n), 2.5),
    "complex scalar": lambda L, n: L.result_type(_dim(L, n), 1j),
    "0-d int64": lambda L, n: L.result_type(_dim(L, n), L.tensor(1)),
    "0-d float64": lambda L, n: L.result_type(_dim(L, n), L.tensor(1.0, dtype=L.float64)),
    "0-d bool": lambda L, n: L.result_type(_dim(L, n), L.tensor(True)),
    "0-d self vs int64": lambda L, n: L.result_type(_dim(L, n, ()), L.ones(2, dtype=L.int64)),
    "0-d self vs bool": lambda L, n: L.result_type(_dim(L, n, ()), L.ones(2, dtype=L.bool)),
    "0-d self vs float16": lambda L, n: L.result_type(_dim(L, n, ()), L.ones(2, dtype=L.float16)),
    "int64": lambda L, n: L.result_type(_dim(L, n), L.ones(2, dtype=L.int64)),
    "uint8": lambda L, n: L.result_type(_dim(L, n), L.ones(2, dtype=L.uint8)),
    "float32": lambda L, n: L.result_type(_dim(L, n), L.ones(2)),
}


@pytest.mark.parametrize("case", list(RESULT_TYPE_CASES))
@pytest.mark.parametrize("name", UNSIGNED)
def test_result_type(name, case):
    same_outcome(lambda L: RESULT_TYPE_CASES[case](L, name))


CREATION_CASES = {
    "zeros": lambda L, d: L.zeros(2, 3, dtype=d),
    "ones": lambda L, d: L.ones(3, dtype=d),
    "full": lambda L, d: L.full((2,), 7, dtype=d),
    "full negative wraps": lambda L, d: L.full((1,), -1, dtype=d),
    "full float truncates": lambda L, d: L.full((1,), 1.5, dtype=d),
    "zeros_like": lambda L, d: L.zeros_like(L.ones(2), dtype=d),
    "new_full": lambda L, d: L.ones(2).new_full((2,), 3, dtype=d),
    "tensor": lambda L, d: L.tensor([[1, 2], [3, 4]], dtype=d),
    "tensor bools": lambda L, d: L.tensor([True, False], dtype=d),
    "tensor negative": lambda L, d: L.tensor([-1, 5], dtype=d),
    "tensor out of range": lambda L, d: L.tensor([-70000, 1], dtype=d),
    "tensor big": lambda L, d: L.tensor([70000], dtype=d),
    "tensor 2**63": lambda L, d: L.tensor([1, 2 ** 63], dtype=d),
    "tensor 2**64": lambda L, d: L.tensor([2 ** 64], dtype=d),
    "tensor float": lambda L, d: L.tensor([1.7], dtype=d),
    "tensor negative float": lambda L, d: L.tensor([-1.5], dtype=d),
    "tensor ragged": lambda L, d: L.tensor([[1], [2, 3]], dtype=d),
    "tensor empty": lambda L, d: L.tensor([[]], dtype=d),
    "tensor range": lambda L, d: L.tensor(range(3), dtype=d),
    "tensor of int64 array": lambda L, d: L.tensor(np.array([-1, 70000]), dtype=d),
    "as_tensor list": lambda L, d: L.as_tensor([-1], dtype=d),
    "scalar_tensor": lambda L, d: L.scalar_tensor(3, dtype=d),
    "scalar_tensor negative": lambda L, d: L.scalar_tensor(-300, dtype=d),
    "scalar_tensor float": lambda L, d: L.scalar_tensor(1.5, dtype=d),
    "scalar_tensor 2**63": lambda L, d: L.scalar_tensor(2 ** 63, dtype=d),
    "scalar_tensor 2**64": lambda L, d: L.scalar_tensor(2 ** 64, dtype=d),
    "scalar_tensor huge float": lambda L, d: L.scalar_tensor(1e30, dtype=d),
    "scalar_tensor nan": lambda L, d: L.scalar_tensor(float("nan"), dtype=d),
}


@pytest.mark.parametrize("case", list(CREATION_CASES))
@pytest.mark.parametrize("name", UNSIGNED)
def test_creation(name, case):
    same_outcome(lambda L: CREATION_CASES[case](L, getattr(L, name)))


@pytest.mark.parametrize("data", [[1.5, -1], [[-1], [1.5]], [1, "a"], [1, None],
                                  [np.array([1, 2])], [np.int64(3)], 3.0], ids=repr)
def test_uint64_reads_python_ints_only(data):
    """uint64 elements go through an unsigned conversion of Python ints, in order."""
    same_outcome(lambda L: L.tensor(data, dtype=L.uint64))


@pytest.mark.parametrize("name", UNSIGNED)
def test_from_numpy_shares_memory_and_infers(name):
    a = np.array([1, 2, np.iinfo(name).max], dtype=name)
    for make in ("from_numpy", "as_tensor", "tensor"):
        same_outcome(lambda L, make=make: getattr(L, make)(a))
    t = ember.from_numpy(a)
    a[0] = 9
    assert t[0].item() == 9 and t.dtype is getattr(ember, name)


@pytest.mark.parametrize("data", [[np.uint16(1), 2], [2, np.uint16(1)], [np.uint16(1), 2.5],
                                  [np.uint32(1), np.uint32(2)], np.uint64(3), [np.uint64(3)]],
                         ids=repr)
def test_inferred_from_numpy_scalars(data):
    same_outcome(lambda L: L.tensor(data))


@pytest.mark.parametrize("dtype", [np.longdouble, "U1", "datetime64[s]", object, "V4"],
                         ids=str)
def test_unsupported_numpy_dtype_message_lists_the_new_types(dtype):
    a = np.zeros(2, dtype=dtype)
    assert_same_error(lambda: ember.from_numpy(a), lambda: torch.from_numpy(a))


@pytest.mark.parametrize("name", UNSIGNED)
def test_printing(name):
    info = np.iinfo(name)
    arrays = [np.array(5, name), np.zeros((0, 3), name), np.array([0, 7, info.max], name),
              np.random.default_rng(0).integers(0, info.max, (3, 4), dtype=name, endpoint=True),
              np.arange(2000).astype(name)]
    for a in arrays:
        assert repr(ember.from_numpy(a.copy())) == \
            repr(torch.from_numpy(a.copy())).replace("torch.", "ember.")


@pytest.mark.parametrize("name", UNSIGNED)
def test_conversions(name):
    for other in ALL_NAMES:
        values = [-2.5, 0.0, 1.0, 300.0] if other.startswith(("float", "complex")) else [0, 1, 3]
        if other == "bool":
            values = [True, False]
        same_outcome(lambda L, v=values, o=other: L.tensor(v, dtype=getattr(L, o)).to(
            getattr(L, name)))
        same_outcome(lambda L, o=other: L.tensor([0, 1, 300], dtype=getattr(L, name)).to(
            getattr(L, o)))
    same_outcome(lambda L: L.tensor([-1, 2 ** 40 + 3]).to(getattr(L, name)))


@pytest.mark.parametrize("name", UNSIGNED)
def test_scalar_reads(name):
    # (at most 2**63 - 1: torch reads a uint64 through int64 for int() and bool())
    value = min(2 ** 63 - 1, int(np.iinfo(name).max))
    for fn in (lambda t: t.item(), lambda t: t.tolist(), int, float, bool,
               lambda t: t.element_size(), lambda t: t.is_signed(),
               lambda t: t.is_floating_point(), lambda t: t.nbytes):
        same_outcome(lambda L, fn=fn: fn(L.full((), value, dtype=getattr(L, name))))
    t = torch.ones(2, dtype=getattr(torch, name))
    assert ember.ones(2, dtype=getattr(ember, name)).type() == t.type().replace("torch.", "ember.")
    same_outcome(lambda L: L.ones(2, dtype=getattr(L, name)).requires_grad_())


# The ops torch implements for these dtypes (most others raise NotImplementedError in torch).
SUPPORTED_OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "eq scalar": lambda a, b: a == 2,
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "and scalar": lambda a, b: a & 1, "mul": lambda a, b: a * b, "mul scalar": lambda a, b: a * 3,
    "mul negative scalar": lambda a, b: a * -1, "mul bool": lambda a, b: a * True,
    "mul big scalar": lambda a, b: a * 2 ** 40, "add float": lambda a, b: a + 1.5,
    "mul complex": lambda a, b: a * 1j, "div": lambda a, b: a / b,
    "sum": lambda a, b: a.sum(), "sum dim": lambda a, b: a.reshape(2, 2).sum(0),
    "prod": lambda a, b: a.prod(), "cumsum": lambda a, b: a.cumsum(0),
    "sort": lambda a, b: tuple(a.sort()), "argsort": lambda a, b: a.argsort(),
    "msort": lambda a, b: a.msort(),
    "sqrt": lambda a, b: a.sqrt(), "floor": lambda a, b: a.floor(), "round": lambda a, b: a.round(),
    "isnan": lambda a, b: a.isnan(), "any": lambda a, b: a.any(), "all": lambda a, b: a.all(),
    "clone": lambda a, b: a.clone(), "index": lambda a, b: a[1], "slice": lambda a, b: a[1:],
    "fill_": lambda a, b: a.clone().fill_(9), "fill_ negative": lambda a, b: a.clone().fill_(-1),
    "fill_ too big": lambda a, b: a.clone().fill_(2 ** 40) if a.itemsize < 8 else None,
    "float plus": lambda a, b: a.float() + a, "copy_ from float": lambda a, b: b.copy_(a.float()),
    "sum int64": lambda a, b: a.sum(dtype=a.sum().dtype),
    "mul int64": lambda a, b: a * b.long(), "eq int64": lambda a, b: a == b.long(),
    "and bool": lambda a, b: a & b.bool(),
}


@pytest.mark.parametrize("op", list(SUPPORTED_OPS))
@pytest.mark.parametrize("name", UNSIGNED)
def test_ops_torch_supports(name, op):
    def run(L):
        a = L.tensor([3, 1, 4, 2], dtype=getattr(L, name))
        b = L.tensor([1, 5, 4, 2], dtype=getattr(L, name))
        return SUPPORTED_OPS[op](a, b)
    same_outcome(run)


@pytest.mark.parametrize("name", UNSIGNED)
def test_joins_and_unique(name):
    def pair(L):
        return L.tensor([3, 1, 3], dtype=getattr(L, name)), L.tensor([2, 2, 0],
                                                                     dtype=getattr(L, name))
    same_outcome(lambda L: L.cat(pair(L)))
    same_outcome(lambda L: L.stack(pair(L)))
    same_outcome(lambda L: L.cat([pair(L)[0], L.ones(2)]))
    same_outcome(lambda L: L.cat([pair(L)[0], L.ones(2, dtype=L.int64)]))
    same_outcome(lambda L: L.unique(pair(L)[0]))
    same_outcome(lambda L: L.equal(*pair(L)))
    same_outcome(lambda L: L.isclose(*pair(L)))
    same_outcome(lambda L: L.where(L.tensor([True, False, True]), *pair(L)))


def _torch_tensors():
    return {"a": torch.tensor([1, 2, 65535], dtype=torch.uint16),
            "b": torch.tensor([3, 2 ** 64 - 1], dtype=torch.uint64),
            "c": torch.tensor([[1, 2], [3, 2 ** 32 - 1]], dtype=torch.uint32).t(),
            "f": torch.tensor([1.5])}


def _check_same_tensors(got, expected):
    assert list(got) == list(expected)
    for k, t in expected.items():
        assert_same(got[k], t, what=k)
        assert tuple(got[k].stride()) == t.stride(), k


def test_checkpoint_written_by_torch_loads():
    expected = _torch_tensors()
    expected["view"] = expected["a"][1:]
    buf = io.BytesIO()
    torch.save(expected, buf)
    for weights_only in (True, False):
        got = ember.load(io.BytesIO(buf.getvalue()), weights_only=weights_only)
        _check_same_tensors(got, expected)
        assert got["view"]._data.base is not None  # still a view of the loaded storage


def test_checkpoint_written_by_ember_loads_in_torch():
    expected = _torch_tensors()
    expected["view"] = expected["a"][1:]
    theirs = io.BytesIO()
    torch.save(expected, theirs)
    ours = io.BytesIO()
    ember.save(ember.load(io.BytesIO(theirs.getvalue())), ours)
    got = torch.load(io.BytesIO(ours.getvalue()))
    for k, t in expected.items():
        assert got[k].dtype == t.dtype and torch.equal(got[k], t) and got[k].stride() == t.stride()
    assert got["view"].untyped_storage().data_ptr() == got["a"].untyped_storage().data_ptr()
    pickled = [zipfile.ZipFile(io.BytesIO(b.getvalue())).read("archive/data.pkl")
               for b in (theirs, ours)]
    assert pickled[0] == pickled[1]


def test_safetensors_round_trip(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    expected = {"u16": torch.tensor([1, 65535], dtype=torch.uint16),
                "u32": torch.tensor([[1, 2 ** 32 - 1]], dtype=torch.uint32),
                "u64": torch.tensor([2 ** 64 - 1], dtype=torch.uint64),
                "i64": torch.tensor([1, -1]), "f16": torch.tensor([1.0], dtype=torch.float16),
                "i32": torch.tensor([3], dtype=torch.int32), "b": torch.tensor([True])}
    st.save_file(expected, tmp_path / "torch.safetensors")
    got = ember.load_file(tmp_path / "torch.safetensors")
    for k, t in expected.items():
        assert_same(got[k], t, what=k)
    ember.save_file(got, tmp_path / "ember.safetensors")
    assert (tmp_path / "ember.safetensors").read_bytes() == \
        (tmp_path / "torch.safetensors").read_bytes()
