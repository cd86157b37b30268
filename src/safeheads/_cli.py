"""The ``safeheads`` command: ``safeheads demo`` and ``safeheads doctor``."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

__all__ = ["main"]

#: The smallest ``--limit``: one sample leaves the test split empty.
MIN_LIMIT = 2


def _at_least(minimum: int, below: int | None = None) -> Callable[[str], int]:
    """An argparse type: an int >= ``minimum`` (and < ``below``, when given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"Expected an int. Received: {text!r}. Pass a whole number, e.g. {minimum}."
            ) from None
        if value < minimum or (below is not None and value >= below):
            bound = f">= {minimum}" if below is None else f"in [{minimum}, {below})"
            raise argparse.ArgumentTypeError(
                f"Expected an int {bound}. Received: {value}. Pass {minimum}"
                + (" or more." if below is None else f" to {below - 1}.")
            )
        return value

    return parse


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
    demo.add_argument(
        "--epochs",
        type=_at_least(1),
        default=None,
        help="training epochs per model (default: 20 on the bundled data, 8 with --data)",
    )
    demo.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="run on the text datasets in DIR (IMDB, SST-5, Reuters-21578, GoEmotions, laid "
        "out as the project's shared data folder) instead of the data bundled with "
        "scikit-learn; missing ones are skipped",
    )
    demo.add_argument(
        "--limit",
        type=_at_least(MIN_LIMIT),
        default=None,
        metavar="N",
        help=(
            f"a quick run, N >= {MIN_LIMIT}: at most N samples of each bundled dataset "
            "(digit pairs: N train, N/3 test, at least 10), or of each split with --data"
        ),
    )
    demo.add_argument(
        "--seed",
        type=_at_least(0, 2**32),  # numpy's seeds
        default=0,
        help="random seed, 0 <= SEED < 2**32 (default: 0)",
    )
    doctor = commands.add_parser(
        "doctor",
        help="check a saved model's output layer, loss, metrics and labels for mismatches",
        description="Print what safeheads.check finds in a saved Keras model. Exit status: 0 "
        "no error finding, 1 error findings, 2 unusable input.",
    )
    doctor.add_argument("model", metavar="MODEL.keras", help="a model saved with model.save()")
    doctor.add_argument(
        "--labels", metavar="LABELS.npy", default=None, help="training labels (.npy or .npz)"
    )
    doctor.add_argument(
        "--task",
        choices=("binary", "multiclass", "multilabel"),
        default=None,
        help="the task the model is meant for",
    )
    doctor.add_argument(
        "--unsafe",
        action="store_true",
        help="load code stored in the model file, such as Lambda layers (Keras' "
        "safe_mode=False): only for files you trust, since loading runs that code",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from safeheads._demo import run_demo

        return run_demo(epochs=args.epochs, data=args.data, limit=args.limit, seed=args.seed)
    if args.command == "doctor":
        from safeheads._audit import run_doctor

        return run_doctor(args.model, labels_path=args.labels, task=args.task, unsafe=args.unsafe)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover (argparse exits)
    return 2  # pragma: no cover
