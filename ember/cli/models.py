"""Models the command line can train, by name.

``mlp`` is the network of PyTorch's "Build the Neural Network" page; its attribute names
(``flatten``, ``linear_relu_stack``) are kept so that its ``state_dict`` keys are the same as
the page's model and checkpoints move between ember and PyTorch unchanged.

New models register themselves with :func:`register_model`::

    @register_model("cnn")
    class SmallCNN(nn.Module): ...
"""

from __future__ import annotations

from collections.abc import Callable

from ember import nn

__all__ = ["NeuralNetwork", "register_model", "build_model", "MODELS"]

MODELS: dict[str, Callable[[], nn.Module]] = {}


def register_model(name: str) -> Callable:
    """Class decorator that makes a model available as ``--model NAME``."""
    def add(factory: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
        MODELS[name] = factory
        return factory
    return add


@register_model("mlp")
class NeuralNetwork(nn.Module):
    """Flatten a 28x28 image, then two hidden layers of 512 ReLU units and 10 logits.

    >>> NeuralNetwork()(ember.zeros(1, 1, 28, 28)).shape  # doctest: +SKIP
    ember.Size([1, 10])
    """

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


def build_model(name: str) -> nn.Module:
    """A freshly initialised model registered as ``name`` (uses ember's global RNG)."""
    try:
        factory = MODELS[name]
    except KeyError:
        from .common import CLIError
        raise CLIError(f"unknown model {name!r} (choose from {', '.join(sorted(MODELS))})") \
            from None
    return factory()
