"""PyTorch's "Automatic Differentiation with torch.autograd" tutorial, run on both libraries.

The tutorial's code is run unchanged apart from its import; random weights come from one
NumPy stream for both libraries, so the printed text must be identical once object addresses
are masked and the module prefix reads the same.
"""

import contextlib
import io
import re

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

TUTORIAL = '''
import torch

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w)+b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w)+b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)

z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
'''


class _SharedRandom:
    """The library, except that ``randn`` draws from a NumPy stream shared by both runs."""

    def __init__(self, lib, seed):
        self._lib = lib
        self._gen = np.random.default_rng(seed)

    def __getattr__(self, name):
        return getattr(self._lib, name)

    def randn(self, *size, requires_grad=False):
        data = self._gen.standard_normal(size).astype(np.float32)
        return self._lib.tensor(data, requires_grad=requires_grad)


def run_tutorial(lib):
    code = TUTORIAL.replace("import torch\n", "")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"torch": _SharedRandom(lib, seed=0)})
    # object addresses differ from run to run; the module prefix is the library's own
    return re.sub(r"0x[0-9a-f]+", "0x…", out.getvalue()).replace("torch.", "ember.")


def test_autograd_tutorial_prints_the_same():
    expected = run_tutorial(torch)
    got = run_tutorial(ember)
    assert got == expected
    assert "Gradient function for z = <AddBackward0 object at 0x…>" in got
    assert "<BinaryCrossEntropyWithLogitsBackward0 object at 0x…>" in got
    assert "Call after zeroing gradients" in got
