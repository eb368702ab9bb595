"""Custom autograd.Function against PyTorch: ctx, saved tensors, names, edge cases."""

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, grad_fn_names, gradcheck_op

torch = pytest.importorskip("torch")


def define(L):
    """The same custom Functions written against library ``L``."""

    class MyFn(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x * x * k

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x * ctx.k, None

    class TwoOut(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x + 1

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2

    class Identity(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    class Exp(L.autograd.Function):  # saves its own output
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class Setup(L.autograd.Function):  # torch 2 style: forward without ctx
        @staticmethod
        def forward(x, w):
            return x * w

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, g * x

    class ArgMaxPair(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            i = x.argmax()
            ctx.mark_non_differentiable(i)
            return x * 2, i

        @staticmethod
        def backward(ctx, g, gi):
            return g * 2

    class NoMaterialize(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            assert g2 is None
            return g1 * 2

    class Dirty(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class WrongCount(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class WrongShape(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:2]

    class BroadcastGrad(L.autograd.Function):
        @staticmethod
        def forward(ctx, b):
            return b.expand(2, 3) * 1

        @staticmethod
        def backward(ctx, g):
            return g.double()  # wider dtype and full shape: reduced and cast back

    return dict(MyFn=MyFn, TwoOut=TwoOut, Identity=Identity, Exp=Exp, Setup=Setup,
                ArgMaxPair=ArgMaxPair, NoMaterialize=NoMaterialize, Dirty=Dirty,
                WrongCount=WrongCount, WrongShape=WrongShape, BroadcastGrad=BroadcastGrad)


FNS = {L: define(L) for L in (ember, torch)}
X = np.array([0.5, -1.0, 2.0], np.float32)


def compare(body, x=X):
    out = []
    for L in (ember, torch):
        t = L.tensor(x, requires_grad=True)
        out.append((body(L, FNS[L], t), t.grad))
    assert_same(out[0][0], out[1][0])
    assert_same(out[0][1], out[1][1])


def test_save_for_backward_and_ctx_attributes():
    def body(L, F, x):
        y = F["MyFn"].apply(x, 3.0)
        y.sum().backward()
        return y
    compare(body)


def test_grad_fn_name_and_edges():
    names = [grad_fn_names(FNS[L]["MyFn"].apply(L.ones(2, requires_grad=True), 2.0), 1)
             for L in (ember, torch)]
    assert names[0] == names[1] == ("MyFnBackward", ["AccumulateGrad"])
    e = FNS[ember]["MyFn"].apply(ember.ones(2, requires_grad=True), 2.0)
    assert repr(e.grad_fn).startswith("<ember.autograd.function.MyFnBackward object at 0x")
    assert repr(e).endswith("grad_fn=<MyFnBackward>)")


def test_several_outputs_share_the_node():
    def body(L, F, x):
        a, b = F["TwoOut"].apply(x)
        assert a.grad_fn is b.grad_fn
        (a.sum() + 2 * b.sum()).backward()
        return a
    compare(body)

    def only_first(L, F, x):  # the unused output's gradient is materialized as zeros
        a, _ = F["TwoOut"].apply(x)
        a.sum().backward()
        return a
    compare(only_first)


def test_returning_an_input_gives_a_new_tensor():
    for L in (ember, torch):
        x = L.ones(3, requires_grad=True)
        y = FNS[L]["Identity"].apply(x)
        assert y is not x and y._base is x and y.grad_fn is not None
        y.sum().backward()
        assert x.grad.tolist() == [3.0] * 3


def test_saved_output_supports_double_backward():
    def body(L, F, x):
        y = F["Exp"].apply(x)
        (g,) = L.autograd.grad(y.sum(), x, create_graph=True)
        g.sum().backward()
        return g
    compare(body)


def test_setup_context_style():
    def body(L, F, x):
        w = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = F["Setup"].apply(x, w)
        y.sum().backward()
        return w.grad
    compare(body)


def test_non_differentiable_outputs_and_materialize():
    def body(L, F, x):
        y, i = F["ArgMaxPair"].apply(x)
        assert not i.requires_grad and i.grad_fn is None
        y.sum().backward()
        return i
    compare(body)

    def no_mat(L, F, x):
        a, _ = F["NoMaterialize"].apply(x)
        a.sum().backward()
        return a
    compare(no_mat)


def test_mark_dirty_returns_the_modified_input():
    for L in (ember, torch):
        x = L.ones(3, requires_grad=True)
        z = x * 1
        w = FNS[L]["Dirty"].apply(z)
        assert w is z and w.grad_fn.name() == "DirtyBackward"
        w.sum().backward()
        assert x.grad.tolist() == [2.0] * 3


def test_gradient_checks_on_returned_grads():
    def count(L):
        FNS[L]["WrongCount"].apply(L.ones(3, requires_grad=True)).sum().backward()

    def shape(L):
        FNS[L]["WrongShape"].apply(L.ones(3, requires_grad=True)).sum().backward()
    assert_same_error(lambda: count(ember), lambda: count(torch))
    assert_same_error(lambda: shape(ember), lambda: shape(torch))

    def broadcast(L, F, x):
        b = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        F["BroadcastGrad"].apply(b).sum().backward()
        return b.grad
    compare(broadcast)


def test_no_graph_without_grad():
    for L in (ember, torch):
        with L.no_grad():
            y = FNS[L]["MyFn"].apply(L.ones(2, requires_grad=True), 2.0)
        assert y.grad_fn is None and not y.requires_grad
        assert not FNS[L]["MyFn"].apply(L.ones(2), 2.0).requires_grad


def test_needs_input_grad_and_saved_tensors_freed():
    seen = {}

    class Probe(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            seen["needs"] = ctx.needs_input_grad
            ctx.save_for_backward(x)
            return x * y

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g, None

    y = Probe.apply(ember.ones(2, requires_grad=True), ember.ones(2))
    assert seen["needs"] == (True, False)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _ = y.grad_fn.saved_tensors


def test_once_differentiable_and_gradcheck():
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.function.once_differentiable
        def backward(ctx, g):
            assert not ember.is_grad_enabled()
            (x,) = ctx.saved_tensors
            return 2 * x * g
    gradcheck_op(Square.apply, np.array([1.0, -2.0, 0.5]))
