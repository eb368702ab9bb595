"""``ember summary``: a model's structure and parameters, as "Build the Neural Network" prints.

    $ ember summary
    Model structure: NeuralNetwork(
      (flatten): Flatten(start_dim=1, end_dim=-1)
      ...
    Layer: linear_relu_stack.0.weight | Size: ember.Size([512, 784]) | Count: 401,408
    ...
    Total: 669,706 parameters (669,706 trainable)
"""

from __future__ import annotations

import argparse

from .common import fmt_count

__all__ = ["add_parser", "run", "format_summary"]


def add_parser(subparsers) -> None:
    from .models import MODELS

    p = subparsers.add_parser("summary", help="print a model's structure and parameters",
                              description="Print a model's structure and its parameters.")
    p.add_argument("checkpoint", nargs="?", help="read the weights (and model) from this "
                   "checkpoint; default: a freshly initialised model")
    p.add_argument("--model", choices=sorted(MODELS), help="default: mlp, or the checkpoint's")
    p.add_argument("--values", action="store_true",
                   help="also print the first two rows of each parameter, as the page does")
    p.set_defaults(run=run)


def format_summary(model, values: bool = False) -> str:
    """Structure, one line per parameter (name, size, count) and the totals."""
    lines = [f"Model structure: {model}", ""]
    total = trainable = 0
    for name, param in model.named_parameters():
        n = param.numel()
        total += n
        trainable += n if param.requires_grad else 0
        line = f"Layer: {name} | Size: {param.size()} | Count: {fmt_count(n)}"
        if values:
            line += f" | Values : {param[:2]} \n"
        lines.append(line)
    lines += ["", f"Total: {fmt_count(total)} parameters ({fmt_count(trainable)} trainable)"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.checkpoint:
        from .checkpoint import load_checkpoint, restore_model
        model = restore_model(load_checkpoint(args.checkpoint), args.model)
    else:
        import ember

        from .models import build_model
        ember.manual_seed(0)  # a fixed draw, so --values prints the same numbers every time
        model = build_model(args.model or "mlp")
    print(format_summary(model, args.values))
    return 0
