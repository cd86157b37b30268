"""The ``safeheads`` command: ``safeheads demo`` and ``safeheads doctor``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``safeheads`` command line and return its exit status."""
    parser = argparse.ArgumentParser(
        prog="safeheads",
        description="Keras classification heads that are correct by construction.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="train common mistaken heads and safeheads heads side by side"
    )
    demo.add_argument("--epochs", type=int, default=30, help="training epochs per model")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from safeheads._demo import run_demo

        return run_demo(epochs=args.epochs)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover (argparse exits)
    return 2  # pragma: no cover
