"""Shared helpers for testing ember ops against PyTorch.

The central helper is ``check_op``: one line per case builds ember and torch tensors from the
same NumPy arrays (in contiguous and non-contiguous layouts), runs the op on both, compares
values, dtypes and shapes, then pushes the same random upstream gradient through both graphs
and compares the input gradients and ``grad_fn`` names::

    check_op(lambda x, y: x * y, None, a, b)              # same code for both libraries
    check_op(ember.exp, torch.exp, a, dtypes=["float32", "float64"])
    gradcheck_op(lambda x: x.exp(), a)                     # central differences, float64

Non-array arguments (Python scalars, None, tuples) are passed to both functions unchanged;
NumPy scalars (``np.float32(1.5)``, what ``rng.random(())`` returns) count as 0-d arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember

torch = pytest.importorskip("torch")

__all__ = ["check_op", "gradcheck_op", "to_ember", "to_torch", "assert_same", "assert_same_error",
           "layouts", "grad_fn_names", "dtype_name", "shapes", "broadcastable_shapes",
           "float_arrays", "array_pairs", "rng", "LAYOUTS"]

LAYOUTS = ("contiguous", "transposed", "strided")

_FLOAT_KINDS = "fc"


def rng(seed: int = 0) -> np.random.Generator:
    """A NumPy generator for test data (tests never depend on ember's own streams)."""
    return np.random.default_rng(seed)


def dtype_name(dt: Any) -> str:
    """``"float32"`` for ember.float32, torch.float32 or np.float32 alike."""
    if isinstance(dt, str):
        return dt.rsplit(".", 1)[-1]
    s = str(dt)
    if s.startswith(("torch.", "ember.")):
        return s.split(".", 1)[1]
    return np.dtype(dt).name if np.dtype(dt) != np.bool_ else "bool"


# -- layouts -----------------------------------------------------------------------------
def layouts(a: np.ndarray, layout: str) -> np.ndarray:
    """``a``'s values laid out as ``layout``: a fresh copy or a non-contiguous view.

    "transposed" swaps the last two axes in memory (a Fortran-like view); "strided" takes
    every second element of a larger buffer along the last axis. Layouts that do not apply
    to ``a`` (0-d or 1-element arrays) fall back to a contiguous copy.
    """
    a = np.asarray(a)
    if layout == "transposed" and a.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    if layout == "strided" and a.ndim >= 1:
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    return a.copy()


def to_ember(a: np.ndarray, requires_grad: bool = False) -> ember.Tensor:
    """An ember leaf tensor over ``a``'s memory (keeps a non-contiguous layout)."""
    t = ember.from_numpy(a)
    return t.requires_grad_() if requires_grad else t


def to_torch(a: np.ndarray, requires_grad: bool = False) -> Any:
    """A torch leaf tensor over ``a``'s memory (keeps a non-contiguous layout)."""
    t = torch.from_numpy(a)
    return t.requires_grad_() if requires_grad else t


# -- comparison --------------------------------------------------------------------------
def _as_numpy(t: Any) -> np.ndarray:
    if isinstance(t, ember.Tensor):
        return np.asarray(t.detach().numpy())
    return t.detach().resolve_conj().numpy()


def assert_same(e: Any, t: Any, atol: float = 1e-5, rtol: float = 1e-4, what: str = "value",
                check_dtype: bool = True) -> None:
    """Assert an ember result equals a torch result: type, shape, dtype and values.

    Tuples/lists (and torch's named tuples) are compared element by element; Python scalars
    must match in type and value.
    """
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: expected a Tensor, got {type(e).__name__}"
        assert tuple(e.shape) == tuple(t.shape), \
            f"{what}: shape {tuple(e.shape)} != {tuple(t.shape)}"
        if check_dtype:
            assert dtype_name(e.dtype) == dtype_name(t.dtype), \
                f"{what}: dtype {e.dtype} != {t.dtype}"
        ev, tv = _as_numpy(e), _as_numpy(t)
        if tv.dtype.kind in _FLOAT_KINDS:
            np.testing.assert_allclose(ev.astype(tv.dtype), tv, atol=atol, rtol=rtol,
                                       equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(ev, tv, err_msg=what)
    elif isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f"{what}: expected a sequence, got {type(e).__name__}"
        assert len(e) == len(t), f"{what}: {len(e)} results != {len(t)}"
        for i, (ei, ti) in enumerate(zip(e, t)):
            assert_same(ei, ti, atol, rtol, f"{what}[{i}]", check_dtype)
    elif t is None:
        assert e is None, f"{what}: expected None, got {e!r}"
    elif isinstance(t, torch.dtype):
        assert isinstance(e, ember.dtype) and dtype_name(e) == dtype_name(t), f"{what}: {e} != {t}"
    elif isinstance(t, torch.Size):
        assert isinstance(e, ember.Size) and tuple(e) == tuple(t), f"{what}: {e} != {t}"
    else:
        assert type(e) is type(t), f"{what}: {type(e).__name__} != {type(t).__name__}"
        if isinstance(t, float) and np.isnan(t):
            assert np.isnan(e), what
        else:
            assert e == pytest.approx(t, abs=atol, rel=rtol), f"{what}: {e!r} != {t!r}"


def _node_name(node: Any) -> str | None:
    # torch prefixes the leaf sink's name with its C++ namespace.
    return None if node is None else node.name().replace("torch::autograd::", "")


def grad_fn_names(t: Any, depth: int = 1) -> Any:
    """``(name, [children...])`` of ``t.grad_fn`` down to ``depth`` levels of next_functions.

    Comparable between libraries: ``grad_fn_names(e, 2) == grad_fn_names(t, 2)``.
    """
    return _names(t.grad_fn, depth)


def _names(node: Any, depth: int) -> Any:
    if node is None:
        return None
    if depth == 0:
        return _node_name(node)
    return (_node_name(node), [_names(n, depth - 1) for n, _ in node.next_functions])


def assert_same_error(ember_call: Callable[[], Any], torch_call: Callable[[], Any],
                      match_message: bool = True) -> None:
    """Both calls raise the same exception type (and message, module prefix aside)."""
    with pytest.raises(Exception) as te:
        torch_call()
    with pytest.raises(Exception) as ee:
        ember_call()
    assert type(ee.value).__name__ == type(te.value).__name__, \
        f"{type(ee.value).__name__}: {ee.value} != {type(te.value).__name__}: {te.value}"
    if match_message:
        expected = str(te.value).replace("torch.", "ember.")
        got = str(ee.value).replace("torch.", "ember.")
        assert got == expected, f"{got!r} != {expected!r}"


# -- check_op ----------------------------------------------------------------------------
def _per_arg(value: Any, n: int) -> list:
    if isinstance(value, (tuple, list)):
        assert len(value) == n, f"expected {n} per-argument values, got {len(value)}"
        return list(value)
    return [value] * n


def _differentiable(o: Any) -> bool:
    return isinstance(o, ember.Tensor) and o.requires_grad


def _flat_outputs(out: Any) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_op(ember_fn: Callable, torch_fn: Callable | None, *arrays: Any,
             requires_grad: Any = "auto", dtypes: Iterable[Any] | None = None,
             layouts_: Sequence[str] = LAYOUTS, atol: float = 1e-5, rtol: float = 1e-4,
             grad_atol: float | None = None, grad_rtol: float | None = None,
             check_grad_fn: bool = True, seed: int = 0) -> None:
    """Run ``ember_fn`` and ``torch_fn`` (None: the same callable) on the same data; compare.

    arrays: NumPy arrays become tensors; anything else is passed through to both functions.
    requires_grad: "auto" (floating arrays require grad), a bool, or one value per argument.
    dtypes: dtype names to cast the arrays to, each either one name for all arrays or a
        tuple with one name per argument; None keeps the arrays' own dtypes.
    layouts_: memory layouts of the inputs to try (see ``layouts``).
    For each case: values, dtypes and shapes of the outputs; then, if any output requires
    grad, the gradients of every input for one random upstream gradient, and the
    ``grad_fn`` names of the outputs with their ``next_functions``. Where torch raises
    (forward or backward), ember must raise the same exception type and message.
    """
    torch_fn = ember_fn if torch_fn is None else torch_fn
    arrays = tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in arrays)
    for dts in (list(dtypes) if dtypes is not None else [None]):
        cast = _per_arg(dts, len(arrays))
        cast_arrays = [a.astype(np.dtype(c)) if isinstance(a, np.ndarray) and c is not None
                       else a for a, c in zip(arrays, cast)]
        for layout in layouts_:
            _check_case(ember_fn, torch_fn, cast_arrays, requires_grad, layout,
                        atol, rtol, grad_atol, grad_rtol, check_grad_fn, seed,
                        f"dtypes={dts} layout={layout}")


def _make_inputs(arrays: list, requires_grad: Any, layout: str) -> tuple:
    flags = _per_arg(requires_grad, len(arrays))
    e_in, t_in, leaves = [], [], []
    for a, rg in zip(arrays, flags):
        if not isinstance(a, np.ndarray):
            e_in.append(a)
            t_in.append(a)
            continue
        rg = a.dtype.kind in _FLOAT_KINDS if rg == "auto" else bool(rg)
        data = layouts(a, layout)
        # Separate buffers: an op that writes into its input must not corrupt the other side.
        e, t = to_ember(data, rg), to_torch(layouts(a, layout), rg)
        e_in.append(e)
        t_in.append(t)
        if rg:
            leaves.append((e, t))
    return e_in, t_in, leaves


def _check_case(ember_fn: Callable, torch_fn: Callable, arrays: list, requires_grad: Any,
                layout: str, atol: float, rtol: float, grad_atol: float | None,
                grad_rtol: float | None, check_grad_fn: bool, seed: int, ctx: str) -> None:
    e_in, t_in, leaves = _make_inputs(arrays, requires_grad, layout)
    try:
        t_out = torch_fn(*t_in)
    except Exception:  # torch refuses: ember must refuse the same way
        assert_same_error(lambda: ember_fn(*e_in), lambda: torch_fn(*t_in))
        return
    e_out = ember_fn(*e_in)
    assert_same(e_out, t_out, atol, rtol, f"forward ({ctx})")
    e_outs, t_outs = _flat_outputs(e_out), _flat_outputs(t_out)
    diff = [(e, t) for e, t in zip(e_outs, t_outs)
            if isinstance(t, torch.Tensor) and t.requires_grad]
    for e, t in zip(e_outs, t_outs):
        if isinstance(t, torch.Tensor):
            assert e.requires_grad == t.requires_grad, f"requires_grad differs ({ctx})"
    if not diff:
        return
    if check_grad_fn:
        for e, t in diff:
            assert grad_fn_names(e, 1) == grad_fn_names(t, 1), f"grad_fn ({ctx})"
    gen = rng(seed)
    e_grads, t_grads = [], []
    for _, t in diff:
        g = gen.standard_normal(tuple(t.shape)).astype(_as_numpy(t).dtype)
        e_grads.append(ember.from_numpy(g.copy()))
        t_grads.append(torch.from_numpy(g))
    try:
        torch.autograd.backward([t for _, t in diff], t_grads)
    except RuntimeError:  # not differentiable in torch: ember must say so too
        assert_same_error(lambda: ember.autograd.backward([e for e, _ in diff], e_grads),
                          lambda: torch.autograd.backward([t for _, t in diff], t_grads))
        return
    ember.autograd.backward([e for e, _ in diff], e_grads)
    for i, (e, t) in enumerate(leaves):
        assert_same(e.grad, t.grad, atol if grad_atol is None else grad_atol,
                    rtol if grad_rtol is None else grad_rtol, f"grad of input {i} ({ctx})")


# -- gradcheck ---------------------------------------------------------------------------
def gradcheck_op(ember_fn: Callable, *arrays: Any, requires_grad: Any = "auto",
                 eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """Check ember's analytical gradients of ``ember_fn`` against central differences.

    Floating arrays become float64 leaf tensors requiring grad; other arguments pass through.
    """
    flags = _per_arg(requires_grad, len(arrays))
    arrays = tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in arrays)
    inputs = []
    for a, rg in zip(arrays, flags):
        if isinstance(a, np.ndarray):
            rg = a.dtype.kind in _FLOAT_KINDS if rg == "auto" else bool(rg)
            data = a.astype(np.float64) if rg else a.copy()
            inputs.append(to_ember(np.ascontiguousarray(data), rg))
        else:
            inputs.append(a)
    assert ember.autograd.gradcheck(ember_fn, tuple(inputs), eps=eps, atol=atol, rtol=rtol)


# -- hypothesis strategies ---------------------------------------------------------------
def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1,
           max_side: int = 5) -> st.SearchStrategy:
    """Array shapes, ``()`` included by default."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 4,
                         max_side: int = 4) -> st.SearchStrategy:
    """Tuples of ``num_shapes`` shapes that broadcast together (sizes of 1, missing dims)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda r: r.input_shapes)


def float_arrays(shape: Any = None, dtype: Any = np.float64, low: float = -3.0,
                 high: float = 3.0) -> st.SearchStrategy:
    """Finite floating arrays with values in [low, high]; ``shape`` a tuple or strategy."""
    shape = shapes() if shape is None else shape
    width = min(np.dtype(dtype).itemsize * 8, 64)
    if width < 64:  # hypothesis needs bounds exactly representable at this width
        low, high = float(np.dtype(dtype).type(low)), float(np.dtype(dtype).type(high))
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)
    return hnp.arrays(np.dtype(dtype), shape, elements=elements)


def array_pairs(dtype: Any = np.float64, low: float = -3.0,
                high: float = 3.0) -> st.SearchStrategy:
    """Pairs of arrays with mutually broadcastable shapes."""
    return broadcastable_shapes(2).flatmap(
        lambda ss: st.tuples(float_arrays(ss[0], dtype, low, high),
                             float_arrays(ss[1], dtype, low, high)))


def torch_seed_network() -> Any:
    """The network of "Build the Neural Network", written with torch: the reference that
    ember's ``NeuralNetwork`` (``ember.cli.models``) is compared with."""

    class NeuralNetwork(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.flatten = torch.nn.Flatten()
            self.linear_relu_stack = torch.nn.Sequential(
                torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                torch.nn.ReLU(), torch.nn.Linear(512, 10))

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    return NeuralNetwork()
