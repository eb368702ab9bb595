"""The seed network written directly in NumPy: the reference a framework should not fall behind.

No autograd, no modules, no tensors: the forward pass keeps its activations, the backward
pass is written out by hand, and the optimizers update the arrays in place. It is what a
careful NumPy programmer would write (float32 throughout, in-place ufuncs with ``out=``, no
needless copies), with the weights stored as ``(in, out)`` so that every product is
``x @ w`` without transposed operands. Plain NumPy only: no direct BLAS calls.

The weights, biases and batches are drawn from the same seeds as the other frameworks'
(``cases._seed_model``), and the optimizers follow PyTorch's update rules, so one step gives
the same parameters as ``torch.optim.SGD`` and ``Adam`` up to float32 rounding.
"""

from __future__ import annotations

import numpy as np

from benchmarks.cases import SEED_LAYERS


class SeedMLP:
    """784-512-512-10 with ReLU between the linear layers; ``weights[i]`` is ``(in, out)``."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)  # the draws of ``cases._seed_model``, in its order
        self.weights, self.biases = [], []
        for fan_in, fan_out in zip(SEED_LAYERS, SEED_LAYERS[1:]):
            bound = 1 / np.sqrt(fan_in)
            w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
            self.weights.append(np.ascontiguousarray(w.T))
            self.biases.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))

    def params(self) -> list:
        return [p for wb in zip(self.weights, self.biases) for p in wb]

    def forward(self, x: np.ndarray) -> list:
        """The activations of every layer, input first and logits last."""
        acts = [x.reshape(len(x), -1)]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = acts[-1] @ w
            h += b
            if i < last:
                np.maximum(h, 0, out=h)
            acts.append(h)
        return acts

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """Mean cross-entropy of the batch and the gradients, in ``params()`` order."""
        acts = self.forward(x)
        n = len(y)
        rows = np.arange(n)
        z = acts[-1]
        z -= z.max(axis=1, keepdims=True)  # the logits are not needed again
        e = np.exp(z)
        sums = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(sums[:, 0]) - z[rows, y]))
        g = e  # softmax minus the one-hot targets, over the batch size
        g /= sums
        g[rows, y] -= 1.0
        g *= 1.0 / n
        grads: list = []
        for i in reversed(range(len(self.weights))):
            a = acts[i]
            grads[:0] = [a.T @ g, g.sum(axis=0)]
            if i:
                g = g @ self.weights[i].T
                g *= a > 0  # ReLU's derivative, from its output
        return loss, grads

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[-1].argmax(axis=1)


class SGD:
    """``torch.optim.SGD`` with momentum (no dampening, no weight decay)."""

    def __init__(self, params: list, lr: float, momentum: float) -> None:
        self.params, self.lr, self.momentum = params, lr, momentum
        self.buffers: list = [None] * len(params)
        self.tmp = [np.empty_like(p) for p in params]

    def step(self, grads: list) -> None:
        for i, (p, g) in enumerate(zip(self.params, grads)):
            buf = self.buffers[i]
            if buf is None:
                buf = self.buffers[i] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            np.multiply(buf, self.lr, out=self.tmp[i])
            p -= self.tmp[i]


class Adam:
    """``torch.optim.Adam`` with its default betas and epsilon."""

    def __init__(self, params: list, lr: float, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.lr, (self.beta1, self.beta2), self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]
        self.steps = 0

    def step(self, grads: list) -> None:
        self.steps += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr / (1 - b1 ** self.steps)
        root_correction = (1 - b2 ** self.steps) ** 0.5
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.tmp):
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= root_correction
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


def training_step(optimizer: str, data: list, lr: float = 1e-3):
    """A call that runs one step of the seed network on the next batch of ``data``."""
    model = SeedMLP()
    opt = (SGD(model.params(), lr, momentum=0.9) if optimizer == "sgd"
           else Adam(model.params(), lr))
    it = [0]

    def step() -> None:
        x, y = data[it[0] % len(data)]
        it[0] += 1
        opt.step(model.loss_and_grads(x, y)[1])
    return step
