"""The ``ember`` command: train, evaluate, predict and summarise the seed classifier.

    $ ember train                          # FashionMNIST, the seed MLP, Adam, 10 epochs
    $ ember train --resume runs/latest/checkpoint.pt
    $ ember evaluate runs/latest --plot confusion.png
    $ ember predict runs/latest shoe.png --index 0
    $ ember summary

``main(argv)`` returns the exit status instead of exiting, so it can be called from Python.
Importing this package stays cheap: tqdm, matplotlib and Pillow load only when a command
needs them.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main", "build_parser"]

_COMMANDS = ("train", "evaluate", "predict", "summary")


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    import ember

    parser = argparse.ArgumentParser(
        prog="ember", description="Train and use image classifiers with ember.")
    parser.add_argument("--version", action="version", version=f"ember {ember.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``ember`` command line with ``argv`` (default: ``sys.argv[1:]``).

    Problems with the input are reported as one line on stderr with exit status 1; usage
    errors exit with 2 as argparse does; Ctrl-C outside training exits with 130.
    """
    from .common import CLIError, one_line

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, --version and usage errors
        return e.code if isinstance(e.code, int) else 1
    try:
        return args.run(args)
    except CLIError as e:
        print(f"ember {args.command}: error: {one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nember {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that quit (``| head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:  # noqa: BLE001 - never show a traceback unless asked for
        if os.environ.get("EMBER_DEBUG"):
            raise
        print(f"ember {args.command}: error: {type(e).__name__}: {one_line(e)} "
              "(set EMBER_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
