"""PyTorch's autograd errors, same type and message (module prefix aside)."""

from functools import partial

import pytest

import ember
from helpers import assert_same_error

torch = pytest.importorskip("torch")


def second_backward(L, op):
    x = L.ones(3, requires_grad=True)
    y = op(x).sum()
    y.backward()
    y.backward()


def modified_saved(L, make, modify):
    x = L.ones(2, 3, requires_grad=True)
    saved, out = make(L, x)
    modify(saved)
    out.sum().backward()


class Twice:  # custom Function that saves its input and its output
    @staticmethod
    def build(L):
        class Twice(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * 2
                ctx.save_for_backward(x, y)
                return y

            @staticmethod
            def backward(ctx, g):
                x, y = ctx.saved_tensors
                return g * 2
        return Twice


TWICE = {L: Twice.build(L) for L in (ember, torch)}

CASES = {
    # a graph whose saved tensors were freed by the first backward
    "second_backward_mul": partial(second_backward, op=lambda x: x * x),
    "second_backward_exp": partial(second_backward, op=lambda x: x.exp()),
    "second_backward_matmul": partial(second_backward, op=lambda x: x @ x.unsqueeze(1)),
    "second_backward_index": partial(second_backward, op=lambda x: x[x > 0] ** 2),
    "second_backward_autograd_grad": lambda L: [
        L.autograd.grad(y, x) for x in [L.ones(2, requires_grad=True)]
        for y in [(x.sigmoid() * 1).sum()] for _ in range(2)],
    # in-place on a leaf that requires grad (or on a view of it)
    "leaf_add_": lambda L: L.ones(3, requires_grad=True).add_(1),
    "leaf_mul_": lambda L: L.ones(3, requires_grad=True).mul_(2),
    "leaf_zero_": lambda L: L.ones(3, requires_grad=True).zero_(),
    "leaf_exp_": lambda L: L.ones(3, requires_grad=True).exp_(),
    "leaf_iadd": lambda L: L.ones(3, requires_grad=True).__iadd__(1),
    "leaf_setitem_advanced": lambda L: L.ones(3, requires_grad=True).__setitem__(
        L.tensor([0]), 2.0),
    "leaf_setitem_basic": lambda L: L.ones(3, requires_grad=True).__setitem__(0, 2.0),
    "leaf_view_mul_": lambda L: L.ones(2, 3, requires_grad=True)[0].mul_(2),
    "leaf_view_t_add_": lambda L: L.ones(2, 3, requires_grad=True).t().add_(1),
    # in-place change to a tensor saved for backward (version counter)
    "saved_input_add_": partial(modified_saved, make=lambda L, x: ((y := x * 2), y * y),
                                modify=lambda y: y.add_(1)),
    "saved_input_twice": partial(modified_saved, make=lambda L, x: ((y := x + 1), y * y),
                                 modify=lambda y: (y.mul_(2), y.mul_(3))),
    "saved_output_exp": partial(modified_saved, make=lambda L, x: ((y := x.exp()), y),
                                modify=lambda y: y.add_(1)),
    "saved_output_sigmoid": partial(modified_saved, make=lambda L, x: ((y := x.sigmoid()),
                                                                      y * 3),
                                    modify=lambda y: y.mul_(2)),
    "saved_0d": partial(modified_saved, make=lambda L, x: ((y := x.sum() * 1), y * y),
                        modify=lambda y: y.add_(1)),
    "saved_by_setitem": partial(modified_saved, make=lambda L, x: ((y := x * 1), y * y),
                                modify=lambda y: y.__setitem__(0, 5.0)),
    "saved_not_requiring_grad": partial(
        modified_saved, make=lambda L, x: ((c := L.ones(4, 2)), c @ x), modify=lambda c: c.add_(1)),
    "saved_view_of_modified_base": partial(
        modified_saved, make=lambda L, x: ((y := x * 1), (y * y)[0]),
        modify=lambda y: y[1].add_(1)),
    "saved_by_custom_function": partial(
        modified_saved, make=lambda L, x: ((y := TWICE[L].apply(x * 1)), y), modify=lambda y:
        y.add_(1)),
    "saved_double": partial(modified_saved, make=lambda L, x: ((y := x.double() * 1), y * y),
                            modify=lambda y: y.add_(1)),
    # implicit gradients and shapes
    "non_scalar_backward": lambda L: (L.ones(3, requires_grad=True) * 2).backward(),
    "non_scalar_grad": lambda L: L.autograd.grad(L.ones(3, requires_grad=True) * 2,
                                                 L.ones(3, requires_grad=True)),
    "gradient_shape_mismatch": lambda L: (L.ones(3, requires_grad=True) * 2).backward(
        L.ones(4)),
    "grad_output_shape_mismatch": lambda L: L.autograd.grad(
        (x := L.ones(3, requires_grad=True)).sum(), x, L.ones(3)),
    "integer_root": lambda L: L.ones(3).long().sum().backward(),
    "no_grad_root": lambda L: L.ones(3).sum().backward(),
    "no_grad_input": lambda L: L.autograd.grad((L.ones(3, requires_grad=True) * 2).sum(),
                                               L.ones(3)),
    "unused_input": lambda L: L.autograd.grad((L.ones(3, requires_grad=True) * 2).sum(),
                                              [L.ones(3, requires_grad=True)]),
    "empty_inputs": lambda L: (L.ones(3, requires_grad=True) * 2).sum().backward(inputs=[]),
    # matrix products
    "mm_mismatch": lambda L: L.mm(L.zeros(3, 784), L.zeros(20, 10)),
    "matmul_mismatch": lambda L: L.zeros(3, 784) @ L.zeros(20, 10),
    # flags and conversions
    "int_requires_grad_": lambda L: L.ones(3, dtype=L.int64).requires_grad_(),
    "int_requires_grad_attr": lambda L: setattr(L.ones(3, dtype=L.int64), "requires_grad", True),
    "nonleaf_requires_grad_false": lambda L: (L.ones(3, requires_grad=True) * 2).requires_grad_(
        False),
    "numpy_requires_grad": lambda L: L.ones(3, requires_grad=True).numpy(),
    "retain_grad_no_grad": lambda L: L.ones(3).retain_grad(),
    "hook_no_grad": lambda L: L.ones(3).register_hook(lambda g: g),
    "item_many": lambda L: L.ones(3).item(),
    "bool_many": lambda L: bool(L.ones(3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_matches_torch(name):
    assert_same_error(partial(CASES[name], ember), partial(CASES[name], torch))


def test_version_message_names_versions():
    with pytest.raises(RuntimeError) as e:
        CASES["saved_input_twice"](ember)
    assert "is at version 2; expected version 0 instead" in str(e.value)


def test_retain_graph_then_free():
    x = ember.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        y.backward()
