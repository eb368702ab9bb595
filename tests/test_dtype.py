"""dtypes: names, attributes, promotion rules and the default dtype, against PyTorch."""

import pickle

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, dtype_name

torch = pytest.importorskip("torch")

NAMES = ["float16", "float32", "float64", "complex64", "complex128", "uint8", "int8", "int16",
         "int32", "int64", "bool"]
ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
           "int": "int32", "short": "int16", "cfloat": "complex64", "cdouble": "complex128"}


@pytest.mark.parametrize("name", NAMES)
def test_attributes_match_torch(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert str(e) == str(t).replace("torch.", "ember.")
    for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert dtype_name(e.to_real()) == dtype_name(t.to_real())
    if e.is_floating_point and name != "float16":  # torch's complex32 has no ember twin
        assert dtype_name(e.to_complex()) == dtype_name(t.to_complex())
    assert pickle.loads(pickle.dumps(e)) is e
    assert ember._dtype.from_np(e.np) is e
    assert ember.tensor([1], dtype=e).dtype is e


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases(alias):
    assert getattr(ember, alias) is getattr(ember, ALIASES[alias])


@pytest.mark.parametrize("a", NAMES)
def test_promote_types_matches_torch(a):
    for b in NAMES:
        expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
        got = ember.promote_types(getattr(ember, a), getattr(ember, b))
        assert dtype_name(got) == dtype_name(expected), (a, b)


SCALARS = [2, 2.5, True, 1j, -3]


@pytest.mark.parametrize("a", NAMES)
def test_result_type_matches_torch(a):
    """Dimensioned tensors beat 0-d tensors beat Python scalars, unless of a higher kind."""
    for shape in ((2,), ()):
        te = ember.zeros(shape, dtype=getattr(ember, a))
        tt = torch.zeros(shape, dtype=getattr(torch, a))
        for s in SCALARS:
            if a == "float16" and isinstance(s, complex):
                continue  # torch gives complex32, which ember does not have
            assert dtype_name(ember.result_type(te, s)) == dtype_name(torch.result_type(tt, s))
        for b in NAMES:
            if {a, b} & {"float16"} and (a + b).count("complex"):
                continue  # torch gives complex32, which ember does not have
            for shape_b in ((2,), ()):
                oe = ember.zeros(shape_b, dtype=getattr(ember, b))
                ot = torch.zeros(shape_b, dtype=getattr(torch, b))
                assert dtype_name(ember.result_type(te, oe)) == \
                    dtype_name(torch.result_type(tt, ot)), (a, shape, b, shape_b)


def test_result_type_of_two_scalars():
    for s in SCALARS:
        for r in SCALARS:
            assert dtype_name(ember.result_type(s, r)) == dtype_name(torch.result_type(s, r))


@pytest.mark.parametrize("name", ["float64", "float16", "float32"])
def test_default_dtype(name):
    ember.set_default_dtype(getattr(ember, name))
    torch.set_default_dtype(getattr(torch, name))
    try:
        assert dtype_name(ember.get_default_dtype()) == name
        for fn in (lambda L: L.tensor([1.5]), lambda L: L.tensor([1, 2]) * 0.5,
                   lambda L: L.ones(2), lambda L: L.arange(3.0), lambda L: L.tensor(2) / 4,
                   lambda L: L.result_type(L.tensor([1]), 1.0),
                   lambda L: L.tensor([1], dtype=L.float32) * 2.5):
            assert_same(fn(ember), fn(torch), atol=1e-3)
        if name != "float16":  # torch warns that complex32 is experimental
            assert_same(ember.tensor([1j]), torch.tensor([1j]))
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)
    assert ember.get_default_dtype() is ember.float32


@pytest.mark.parametrize("name", ["int64", "complex64", "bool"])
def test_default_dtype_must_be_floating(name):
    assert_same_error(lambda: ember.set_default_dtype(getattr(ember, name)),
                      lambda: torch.set_default_dtype(getattr(torch, name)))


def test_numpy_dtypes_without_torch_twin_are_refused():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.longdouble"):
        ember.from_numpy(np.zeros(2, np.longdouble))
    with pytest.raises(TypeError, match="numpy.str"):
        ember.as_tensor(np.array(["a"]))
