"""Printing through the public API (factories, ops, autograd, nn.Parameter) matches PyTorch.

Each case runs the same code with ``ember`` and with ``torch`` and compares the text, with
``torch.`` read as ``ember.``.
"""

import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def default_options():
    yield
    ember.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)


def outcome(fn, lib):
    """What ``fn(lib)`` prints, or the exception it raises, as comparable text."""
    try:
        text = fn(lib)
    except Exception as exc:  # noqa: BLE001 - the exception is the result under test
        text = f"{type(exc).__name__}: {exc}"
    return text.replace("torch.", "ember.")


def assert_same_text(fn):
    assert outcome(fn, ember) == outcome(fn, torch)


# -- tensors made by factories and ops -------------------------------------------------------
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64", "complex128"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (4,), (2, 3), (2, 2, 3), (1, 2, 1, 3)])
def test_factories_every_dtype(dtype, shape):
    assert_same_text(lambda L: repr(L.ones(shape, dtype=getattr(L, dtype))))
    assert_same_text(lambda L: str(L.zeros(shape, dtype=getattr(L, dtype))))


VALUES = [
    3.5, -0.0, [-0.0, 1.0], [-0.0, 1.5], [math.nan, -math.inf], [1.0, math.inf],
    [1.5, math.inf], [1e10, math.nan], [1e-9, 1e9], [123456789.0], [1e20], [1e8], [1e8 + 100],
    [1000.0, 1.0], [1001.0, 1.0], [100000.0, 1.0], [1e-4], [9e-5], [1.0, 2.0, 3.0],
    [[1e-5, 1.0], [3.0, 4.0]], [2**60, -2**62], [2**63 - 1], [True, False], 1 + 2j,
]


@pytest.mark.parametrize("values", VALUES, ids=repr)
def test_values_from_lists(values):
    assert_same_text(lambda L: repr(L.tensor(values)))


@pytest.mark.parametrize("dtype", ["float16", "float64", "complex64"])
@pytest.mark.parametrize("options", [{"sci_mode": True}, {"sci_mode": False},
                                     {"precision": 0, "sci_mode": True}, {"linewidth": 1},
                                     {"threshold": 0}, {"edgeitems": 0}])
def test_special_values_under_options(dtype, options):
    cases = [[math.nan] * 3, [math.inf, -math.inf], [0.0, -0.0], 0.0, -0.0, math.nan, 5.0,
             [1e-20, 1e20], [12345.678, -0.5], [0.95, 0.05], [9.5, 0.5], [1.0, 2.0, 3.0] * 50]
    ember.set_printoptions(**options)
    torch.set_printoptions(**options)
    for values in cases:
        with np.errstate(over="ignore"):
            arr = np.array(values, dtype=dtype)
        assert_same_text(lambda L, arr=arr: repr(L.tensor(arr)))


def test_large_tensors_are_summarized():
    assert_same_text(lambda L: repr(L.arange(2000.0)))
    assert_same_text(lambda L: repr(L.arange(5000).reshape(50, 100)))
    assert_same_text(lambda L: repr(L.arange(4096.0).reshape(8, 8, 8, 8) / 7))
    assert_same_text(lambda L: repr(L.arange(120.0).reshape(1, 2, 3, 4, 5)))


# -- autograd suffixes and gradients ---------------------------------------------------------
GRAPH_CASES = {
    "leaf": lambda L, x: x,
    "mul": lambda L, x: x * 2,
    "sum": lambda L, x: (x * 2).sum(),
    "mean": lambda L, x: x.mean(),
    "select": lambda L, x: x[0],
    "view": lambda L, x: x.view(2, 1),
    "unsqueeze": lambda L, x: x.unsqueeze(0),
    "clone": lambda L, x: x.clone(),
    "to_float64": lambda L, x: x.to(L.float64),
    "half": lambda L, x: x.half(),
    "long": lambda L, x: x.long(),
    "detach": lambda L, x: x.detach(),
    "no_grad": lambda L, x: no_grad_double(L, x),
}


def no_grad_double(L, x):
    with L.no_grad():
        return x * 2


@pytest.mark.parametrize("case", GRAPH_CASES)
def test_grad_fn_and_requires_grad_suffixes(case):
    assert_same_text(lambda L: repr(GRAPH_CASES[case](L, L.tensor([1.5, -2.0],
                                                               requires_grad=True))))


def test_suffixes_wrap_at_narrow_linewidth():
    ember.set_printoptions(linewidth=20)
    torch.set_printoptions(linewidth=20)
    assert_same_text(lambda L: repr(L.arange(30.0).reshape(2, 15)))
    assert_same_text(lambda L: repr(L.ones(3, 4, dtype=L.float64, requires_grad=True) * 1))
    assert_same_text(lambda L: repr(L.zeros(0, 2, requires_grad=True) * 2))


def test_printed_gradients():
    def grads(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        unused = L.tensor([1.0], requires_grad=True)
        return "\n".join([repr(x.grad), str(x.grad), str(unused.grad)])
    assert_same_text(grads)


def test_custom_function_grad_fn_name():
    def run(L):
        class Double(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2
        return repr(Double.apply(L.ones(2, requires_grad=True)))
    assert_same_text(run)


# -- nn.Parameter ----------------------------------------------------------------------------
PARAMETER_CASES = {
    "vector": lambda L: L.nn.Parameter(L.ones(2)),
    "frozen": lambda L: L.nn.Parameter(L.ones(2), requires_grad=False),
    "float64": lambda L: L.nn.Parameter(L.ones(2, dtype=L.float64)),
    "scalar": lambda L: L.nn.Parameter(L.tensor(3.0)),
    "empty": lambda L: L.nn.Parameter(L.zeros(2, 0)),
    "large": lambda L: L.nn.Parameter(L.arange(2000.0)),
    "wide_row": lambda L: L.nn.Parameter(L.arange(12.0) * 1.5 + 0.25),
    "linear_weight": lambda L: filled_linear(L).weight,
}


def filled_linear(L):
    layer = L.nn.Linear(3, 2)
    with L.no_grad():
        layer.weight.fill_(0.5)
        layer.bias.fill_(-1.0)
    return layer


@pytest.mark.parametrize("case", PARAMETER_CASES)
def test_parameter_repr(case):
    assert_same_text(lambda L: repr(PARAMETER_CASES[case](L)))
    assert_same_text(lambda L: str(PARAMETER_CASES[case](L)))


def test_layer_output_and_parameter_list():
    assert_same_text(lambda L: repr(filled_linear(L)(L.ones(1, 3))))
    assert_same_text(lambda L: repr(list(filled_linear(L).parameters())))


# -- Tensor.__format__ -----------------------------------------------------------------------
FORMAT_CASES = [
    ("tensor(3.14159)", ".2f"), ("tensor(3)", "d"), ("tensor(3)", "5"), ("tensor(3.5)", ""),
    ("tensor(3.5)", ">10"), ("tensor(0.5)", ".2%"), ("tensor(1000000)", ","),
    ("tensor(True)", ""), ("tensor(True)", "d"), ("tensor(1 + 2j)", ".1f"),
    ("tensor(2.5, requires_grad=True)", ".3f"), ("tensor(1.5, dtype=L.float16)", ".3f"),
    ("tensor(1, dtype=L.uint8)", "08b"), ("tensor([1.0, 2.0])", ""),
    ("tensor([1.5])", ".2f"), ("tensor([[1.0]])", ".2f"), ("tensor([])", ""),
]


@pytest.mark.parametrize(("source", "spec"), FORMAT_CASES)
def test_format(source, spec):
    assert_same_text(lambda L: format(eval("L." + source, {"L": L}), spec))


def test_format_of_graph_result_and_printf_style():
    assert_same_text(lambda L: f"{L.tensor(2.0, requires_grad=True) * 3:.1f}")
    # printf-style formatting goes through __float__ and __index__, not __format__
    assert_same_text(lambda L: "%.2f and %d" % (L.tensor(2.5), L.tensor(3)))  # noqa: UP031


# -- Size and dtype --------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda L: L.Size([2, 3]), lambda L: L.Size([]), lambda L: L.Size([5]),
    lambda L: L.Size((np.int64(2), 3)), lambda L: L.zeros(2, 3).shape,
    lambda L: L.zeros(()).shape, lambda L: L.zeros(4, 0, 1).size(), lambda L: L.Size([2, 3])[1:],
    lambda L: L.Size([2]) + (3,),
])
def test_size_text(make):
    assert_same_text(lambda L: repr(make(L)))
    assert_same_text(lambda L: str(make(L)))
    assert_same_text(lambda L: f"{make(L)}")


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int8", "int16", "int32",
                                  "int64", "uint8", "bool", "complex64", "complex128", "float",
                                  "double", "half", "long", "int", "short", "cfloat",
                                  "cdouble"])
def test_dtype_text(name):
    assert_same_text(lambda L: repr(getattr(L, name)))
    assert_same_text(lambda L: str(getattr(L, name)))


# -- print options ---------------------------------------------------------------------------
def test_profiles_reset_everything_including_sci_mode():
    for lib in (ember, torch):
        lib.set_printoptions(precision=7, threshold=3, edgeitems=1, linewidth=30, sci_mode=True)
    assert_same_text(lambda L: repr(L.arange(10.0) / 3))
    for profile in ("short", "full", "default"):
        for lib in (ember, torch):
            lib.set_printoptions(profile=profile)
        assert ember._tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
        assert_same_text(lambda L: repr(L.arange(1500.0).reshape(30, 50) / 3))


@pytest.mark.parametrize("precision", [0, 1, 12, 20])
def test_precision_reaches_float32_and_float64(precision):
    for lib in (ember, torch):
        lib.set_printoptions(precision=precision)
    assert_same_text(lambda L: repr(L.tensor([1 / 3], dtype=L.float64)))
    assert_same_text(lambda L: repr(L.tensor([1 / 3, 2.0e-3])))


@pytest.mark.parametrize("default", ["float16", "float64"])
def test_dtype_suffix_follows_default_dtype(default):
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    for dtype in ("float16", "float32", "float64", "complex64", "complex128", "int32"):
        for shape in ((2,), (0,), (), (0, 2)):
            assert_same_text(lambda L, d=dtype, s=shape: repr(L.ones(s, dtype=getattr(L, d))))
    assert_same_text(lambda L: repr(L.nn.Parameter(L.tensor([1.5, 2.0]))))
