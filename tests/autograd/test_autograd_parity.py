"""autograd.grad/backward arguments, tensor hooks, custom Function checks, grad modes inside
inference mode, gradcheck and autograd.functional, each against PyTorch."""

import warnings

import pytest

import ember
import ember.autograd as ember_autograd
from helpers import assert_same, assert_same_error

torch = pytest.importorskip("torch")


def leaf(L, values=(1.0, 2.0)):
    return L.tensor(list(values), requires_grad=True)


def both(fn):
    """``fn`` run with each library: (ember result, torch result)."""
    return fn(ember), fn(torch)


# -- autograd.grad / autograd.backward: argument errors ---------------------------------
ERROR_CASES = {
    "materialize_with_allow_unused_false": lambda L: L.autograd.grad(
        (leaf(L) * 2).sum(), [leaf(L)], allow_unused=False, materialize_grads=True),
    "grad_empty_inputs": lambda L: L.autograd.grad((leaf(L) * 2).sum(), []),
    "grad_int_inputs": lambda L: L.autograd.grad((leaf(L) * 2).sum(), 3),
    "grad_int_in_input_list": lambda L: L.autograd.grad((leaf(L) * 2).sum(), [3]),
    "grad_int_output": lambda L: L.autograd.grad(3, [leaf(L)]),
    "grad_int_in_output_list": lambda L: L.autograd.grad([leaf(L).sum(), 3], [leaf(L)]),
    "grad_int_grad_outputs": lambda L: L.autograd.grad(leaf(L).sum(), leaf(L), grad_outputs=3),
    "grad_int_in_grad_outputs": lambda L: L.autograd.grad(leaf(L).sum(), leaf(L),
                                                          grad_outputs=[3]),
    "grad_fewer_grad_outputs": lambda L: L.autograd.grad(
        [leaf(L) * 2, leaf(L) * 3], [leaf(L)], [L.ones(2)]),
    "grad_shape_before_requires_grad": lambda L: L.autograd.grad(leaf(L) * 2, [L.ones(2)]),
    "backward_fewer_grads": lambda L: L.autograd.backward(
        [leaf(L) * 2, leaf(L) * 3], [L.ones(2)]),
    "backward_int_in_inputs": lambda L: L.autograd.backward((leaf(L) * 2).sum(), inputs=[3]),
    "backward_int_inputs": lambda L: L.autograd.backward((leaf(L) * 2).sum(), inputs=3),
    "backward_shape_before_inputs": lambda L: L.autograd.backward(
        leaf(L) * 2, [L.ones(3)], inputs=[3]),
    "backward_input_without_grad": lambda L: (leaf(L) * 2).sum().backward(inputs=[L.ones(2)]),
    "complex_scalar_implicit_grad": lambda L: (
        L.ones(2, dtype=L.complex64, requires_grad=True) * 2).sum().backward(),
    "set_grad_enabled_int": lambda L: L.set_grad_enabled(1),
    "set_grad_enabled_none": lambda L: L.set_grad_enabled(None),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_argument_errors(case):
    fn = ERROR_CASES[case]
    assert_same_error(lambda: fn(ember), lambda: fn(torch))
    assert ember.is_grad_enabled()


def test_materialize_grads_implies_allow_unused():
    def run(L):
        x, unused = leaf(L), leaf(L)
        return L.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert_same(*both(run))


def test_backward_of_no_tensors_is_a_no_op():
    assert_same(*both(lambda L: L.autograd.backward([])))


def test_extra_grad_outputs_are_ignored():
    def run(L):
        x = leaf(L)
        return L.autograd.grad((x * 2).sum(), x, grad_outputs=[L.tensor(2.0), None])
    assert_same(*both(run))


def test_only_inputs_false_warns_and_is_ignored():
    def run(L):
        x = leaf(L)
        with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
            return L.autograd.grad((x * 2).sum(), x, only_inputs=False)
    assert_same(*both(run))


def test_backward_create_graph_warns_about_the_cycle(monkeypatch):
    monkeypatch.setattr(ember_autograd, "_cycle_warned", False)
    x = leaf(ember)
    with pytest.warns(UserWarning, match="create a reference cycle between the parameter"):
        (x ** 3).sum().backward(create_graph=True)
    with warnings.catch_warnings():  # once per process, as torch's
        warnings.simplefilter("error")
        (x ** 3).sum().backward(create_graph=True)


@pytest.mark.parametrize("retained", [False, True])
def test_backward_inputs_on_a_non_leaf_retains_its_grad(retained):
    def run(L):
        x = leaf(L)
        y = x * 3
        if retained:
            y.retain_grad()
        (y * 2).sum().backward(inputs=[y], retain_graph=True)
        (y * 5).sum().backward()
        return y.grad, y.retains_grad, x.grad
    assert_same(*both(run))


# -- is_grads_batched ---------------------------------------------------------------------
def test_grads_batched_runs_one_backward_per_row():
    def run(L):
        x = leaf(L)
        rows = L.arange(6.0).reshape(3, 2)
        return L.autograd.grad([x * x, (x ** 3).sum()], x,
                               grad_outputs=[rows, L.ones(3)], is_grads_batched=True)
    assert_same(*both(run))


def test_grads_batched_unused_input_and_materialized_zeros():
    def run(L):
        x, unused = leaf(L), leaf(L)
        a = L.autograd.grad([x * 2], [x, unused], grad_outputs=[L.ones(3, 2)],
                            is_grads_batched=True, allow_unused=True, retain_graph=True)
        b = L.autograd.grad([x * 2], [x, unused], grad_outputs=[L.ones(3, 2)],
                            is_grads_batched=True, materialize_grads=True)
        return a, b
    assert_same(*both(run))


@pytest.mark.parametrize("grad_outputs", [[(2,)], [(3, 2), (4,)]],
                         ids=["unbatched", "batch_sizes_differ"])
def test_grads_batched_errors(grad_outputs):
    def run(L):
        x = leaf(L)
        outs = [x * 2, (x * x).sum()][:len(grad_outputs)]
        return L.autograd.grad(outs, x, grad_outputs=[L.ones(s) for s in grad_outputs],
                               is_grads_batched=True)
    assert_same_error(lambda: run(ember), lambda: run(torch))


# -- tensor hooks ---------------------------------------------------------------------------
def _named_hook(L):
    def resize(g):
        return L.ones(5)
    return resize


HOOK_CASES = {
    "leaf_size": lambda L: L.ones(3),
    "leaf_dtype": lambda L: lambda g: g.double(),
    "leaf_not_a_tensor": lambda L: lambda g: 3,
    "named_function": _named_hook,
}


@pytest.mark.parametrize("on_leaf", [True, False], ids=["leaf", "non_leaf"])
@pytest.mark.parametrize("case", HOOK_CASES, ids=list(HOOK_CASES))
def test_hook_must_keep_type_shape_and_dtype(case, on_leaf):
    def run(L):
        made = HOOK_CASES[case](L)
        hook = made if callable(made) else (lambda g: made)
        x = leaf(L)
        target = x if on_leaf else x * 2
        target.register_hook(hook)
        (target * target).sum().backward()
    assert_same_error(lambda: run(ember), lambda: run(torch))


def test_hook_returning_a_same_shaped_grad_replaces_it():
    def run(L):
        x = leaf(L)
        y = x * 2
        y.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        return x.grad
    assert_same(*both(run))


# -- custom Function ----------------------------------------------------------------------
def _function(L, forward, backward, name="F"):
    return type(name, (L.autograd.Function,), {"forward": staticmethod(forward),
                                               "backward": staticmethod(backward)})


FUNCTION_ERRORS = {
    "save_for_backward_an_int": (
        lambda ctx, a: (ctx.save_for_backward(a, 3), a * 2)[1], lambda ctx, g: g, 1),
    "gradient_not_a_tensor": (lambda ctx, a: a * 2, lambda ctx, g: 3, 1),
    "gradient_for_a_non_tensor_argument": (
        lambda ctx, a, k: a * k, lambda ctx, g: (g, g), 2),
    "mark_dirty_on_a_leaf": (
        lambda ctx, a: (a.mul_(2), ctx.mark_dirty(a), a)[2], lambda ctx, g: g, 1),
}


@pytest.mark.parametrize("case", FUNCTION_ERRORS, ids=list(FUNCTION_ERRORS))
def test_custom_function_errors(case):
    forward, backward, n_args = FUNCTION_ERRORS[case]

    def run(L):
        fn = _function(L, forward, backward)
        args = (leaf(L), 3.0)[:n_args]
        fn.apply(*args).sum().backward()
    assert_same_error(lambda: run(ember), lambda: run(torch))


def test_mark_dirty_on_a_view_of_a_leaf():
    def run(L):
        fn = _function(L, lambda ctx, a: (a.mul_(2), ctx.mark_dirty(a), a)[2],
                       lambda ctx, g: g)
        return fn.apply(leaf(L)[:1])
    assert_same_error(lambda: run(ember), lambda: run(torch))


def test_vjp_alone_serves_as_backward_and_both_are_rejected():
    def run(L, with_backward):
        attrs = {"forward": staticmethod(lambda ctx, a: a * 2),
                 "vjp": staticmethod(lambda ctx, g: g * 7)}
        if with_backward:
            attrs["backward"] = staticmethod(lambda ctx, g: g)
        fn = type("F", (L.autograd.Function,), attrs)
        x = leaf(L)
        fn.apply(x).sum().backward()
        return x.grad
    assert_same(run(ember, False), run(torch, False))
    assert_same_error(lambda: run(ember, True), lambda: run(torch, True))


def test_backward_class_lives_in_the_function_module():
    def run(L):
        fn = _function(L, lambda ctx, a: a * 2, lambda ctx, g: g, name="Cube")
        node = fn.apply(leaf(L)).grad_fn
        return str(type(node)).replace("torch", "ember"), node.name()
    e, t = both(run)
    assert e == t


# -- grad modes inside inference mode -------------------------------------------------------
def test_enable_grad_inside_inference_mode_records_nothing():
    def run(L):
        x = leaf(L)
        seen = []
        with L.inference_mode():
            seen.append(L.is_grad_enabled())
            with L.enable_grad():
                seen += [L.is_grad_enabled(), (x * 2).requires_grad]
                with L.no_grad():
                    seen.append(L.is_grad_enabled())
                seen.append(L.is_grad_enabled())
            with L.inference_mode(False):
                seen += [L.is_grad_enabled(), (x * 2).requires_grad]
            with L.set_grad_enabled(True):
                seen += [L.is_grad_enabled(), (x * 2).requires_grad]
        seen += [L.is_grad_enabled(), (x * 2).requires_grad]
        return seen
    e, t = both(run)
    assert e == t


# -- gradcheck ------------------------------------------------------------------------------
def test_gradcheck_mismatch_message_and_error_type():
    def run(L):
        fn = _function(L, lambda ctx, a: a * 2, lambda ctx, g: g * 3)
        L.autograd.gradcheck(fn.apply, (leaf(L).double().detach().requires_grad_(),))
    assert_same_error(lambda: run(ember), lambda: run(torch))
    with pytest.raises(RuntimeError):
        run(ember)


def test_gradcheck_input_checks():
    assert_same_error(lambda: ember.autograd.gradcheck(lambda t: t * 2, (ember.ones(2),)),
                      lambda: torch.autograd.gradcheck(lambda t: t * 2, (torch.ones(2),)))
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        e = ember.autograd.gradcheck(lambda t: t * 2, (leaf(ember),), raise_exception=False)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        t = torch.autograd.gradcheck(lambda t: t * 2, (leaf(torch),), raise_exception=False)
    assert e == t


# -- autograd.functional ------------------------------------------------------------------
FUNCTIONAL_CASES = {
    "jacobian_single": lambda L, F: F.jacobian(lambda a: a.reshape(2, 1) @ a.reshape(1, 2),
                                               L.tensor([1.0, 2.0])),
    "jacobian_tuples": lambda L, F: F.jacobian(lambda a, b: (a * b, a.sum()),
                                               (L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0]))),
    "jacobian_constant_output": lambda L, F: F.jacobian(lambda a: L.ones(2),
                                                        L.tensor([1.0, 2.0])),
    "jacobian_create_graph": lambda L, F: F.jacobian(lambda a: (a ** 2).sum(),
                                                     L.tensor([1.0, 2.0]), create_graph=True),
    "hessian_single": lambda L, F: F.hessian(lambda a: (a ** 3).sum(),
                                             L.tensor([[1.0], [2.0]], dtype=L.float64)),
    "hessian_tuples": lambda L, F: F.hessian(lambda a, b: (a ** 3 * b).sum(),
                                             (L.tensor([1.0, 2.0]), L.tensor([2.0, 3.0]))),
    "vjp": lambda L, F: F.vjp(lambda a: (a * 2, a * 3), L.tensor([1.0, 2.0]),
                              (L.ones(2), L.tensor([1.0, -1.0]))),
    "vjp_scalar_output": lambda L, F: F.vjp(lambda a: (a ** 2).sum(), L.tensor([1.0, 2.0])),
}


@pytest.mark.parametrize("case", FUNCTIONAL_CASES, ids=list(FUNCTIONAL_CASES))
def test_functional(case):
    fn = FUNCTIONAL_CASES[case]
    e = fn(ember, ember.autograd.functional)
    t = fn(torch, torch.autograd.functional)
    assert_same(e, t)
    flat_e = e if isinstance(e, tuple) else (e,)
    flat_t = t if isinstance(t, tuple) else (t,)
    assert [getattr(x, "requires_grad", None) for x in flat_e] == \
        [getattr(x, "requires_grad", None) for x in flat_t]


FUNCTIONAL_ERRORS = {
    "int_inputs": lambda L, F: F.jacobian(lambda a: a * 2, 3),
    "list_inputs": lambda L, F: F.jacobian(lambda a: a * 2, [L.ones(2)]),
    "int_in_input_tuple": lambda L, F: F.jacobian(lambda a, b: a, (L.ones(2), 3)),
    "int_output": lambda L, F: F.jacobian(lambda a: 3, L.ones(2)),
    "int_in_output_tuple": lambda L, F: F.jacobian(lambda a: (a, 3), L.ones(2)),
    "strict_independent": lambda L, F: F.jacobian(lambda a: L.ones(2), L.ones(2), strict=True),
    "bad_strategy": lambda L, F: F.jacobian(lambda a: a, L.ones(2), strategy="bad"),
    "hessian_not_scalar": lambda L, F: F.hessian(lambda a: a * 2, L.ones(2)),
    "hessian_tuple_output": lambda L, F: F.hessian(lambda a: (a.sum(), a.sum()), L.ones(2)),
}


@pytest.mark.parametrize("case", FUNCTIONAL_ERRORS, ids=list(FUNCTIONAL_ERRORS))
def test_functional_errors(case):
    fn = FUNCTIONAL_ERRORS[case]
    assert_same_error(lambda: fn(ember, ember.autograd.functional),
                      lambda: fn(torch, torch.autograd.functional))


def test_jacobian_keeps_an_outer_graph_only_with_create_graph():
    def run(L):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        plain = L.autograd.functional.jacobian(lambda a: a * w, L.tensor([1.0, 2.0]))
        kept = L.autograd.functional.jacobian(lambda a: a * w * a, L.tensor([1.0, 2.0]),
                                              create_graph=True)
        kept.sum().backward()
        return plain, plain.requires_grad, kept, w.grad
    assert_same(*both(run))
