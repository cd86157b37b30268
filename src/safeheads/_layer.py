"""The output layer of a head: a float32 Dense layer that remembers its task."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import keras
import numpy as np

from safeheads._labels import MAX_CLASSES
from safeheads._losses import (
    PosWeight,
    check_focal_gamma,
    check_label_smoothing,
    check_pos_weight_values,
)
from safeheads._messages import check_bool, describe_value, int_fix
from safeheads._ranking import check_k
from safeheads._tasks import Task, parse_task
from safeheads._thresholds import Threshold, check_min_labels, check_threshold
from safeheads._tuning import (
    Frequencies,
    PriorBias,
    check_logit_adjustment,
    prior_bias,
    resolve_prior,
)
from safeheads.errors import HeadConfigError

__all__ = ["HeadLayer"]

_LABELS = ("sparse", "one_hot")


def _check_n(task: Task, n: object) -> int:
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer))):
        raise TypeError(
            f"Expected `n` to be an int. Received: n={describe_value(n)}. "
            + (int_fix(n, "n", 1, 2) if task is Task.BINARY else int_fix(n, "n", 2, MAX_CLASSES))
        )
    if task is Task.BINARY:
        if n not in (None, 1, 2):
            hint = (
                f"For {n} classes use task='multiclass'; for {n} independent yes/no labels "
                "use task='multilabel'."
                if n > 2
                else "Leave `n` out: a binary head has one output."
            )
            raise HeadConfigError(
                f"Expected `n` to be omitted, 1 or 2 for task='binary'. Received: n={n}. {hint}"
            )
        return 2
    if n is None:
        raise HeadConfigError(
            f"Expected `n`, the number of {'classes' if task is Task.MULTICLASS else 'labels'}, "
            f"for task={task.value!r}. Received: n=None. Pass it, or build the head from "
            "labels with safeheads.Head.from_labels(y)."
        )
    if n < 2:
        hint = (
            "For a single yes/no output use task='binary'."
            if task is Task.MULTICLASS
            else "For a single yes/no label use task='binary'."
        )
        raise HeadConfigError(
            f"Expected `n` >= 2 for task={task.value!r}. Received: n={int(n)}. {hint}"
        )
    if n > MAX_CLASSES:
        raise HeadConfigError(
            f"Expected `n` <= {MAX_CLASSES} for task={task.value!r}: the head has one output "
            f"per {'class' if task is Task.MULTICLASS else 'label'}. Received: n={int(n)}. "
            "Map the labels to 0..n-1 first, e.g. with safeheads.LabelMap."
        )
    return int(n)


def _check_labels(task: Task, labels: object) -> str | None:
    if labels is None:
        return "sparse" if task is Task.MULTICLASS else None
    if not isinstance(labels, str):
        raise TypeError(
            f"Expected `labels` to be a str or None. Received: labels={describe_value(labels)}. "
            "Pass labels='sparse' for class ids or labels='one_hot' for one-hot rows."
        )
    if task is not Task.MULTICLASS:
        natural = (
            "a 0/1 column (head.encode also accepts (N, 2) one-hot rows)"
            if task is Task.BINARY
            else "a multi-hot (N, n) matrix (head.encode also accepts label lists)"
        )
        raise HeadConfigError(
            f"Expected `labels` to be omitted for task={task.value!r}: it chooses the format "
            f"of multiclass targets only. Received: labels={labels!r}. A {task.value} head "
            f"always takes {natural}: leave `labels` out."
        )
    if labels not in _LABELS:
        allowed = ", ".join(repr(value) for value in _LABELS)
        hint = (
            " Did you mean labels='one_hot'?"
            if labels in ("one-hot", "onehot", "categorical")
            else " Pass labels='sparse' for class ids or labels='one_hot' for one-hot rows."
        )
        raise HeadConfigError(
            f"Expected `labels` to be one of {allowed}. Received: labels={labels!r}.{hint}"
        )
    return labels


def check_class_names(class_names: object, n: int | None) -> tuple[str | int, ...] | None:
    """Validate ``class_names``: str or int, one type, distinct; ``n`` of them unless None."""
    if class_names is None:
        return None
    if isinstance(class_names, str) or not isinstance(class_names, (Sequence, np.ndarray)):
        raise TypeError(
            "Expected `class_names` to be a sequence of str or int. Received: "
            f"class_names={describe_value(class_names)}. Pass one name per class, in class-id "
            "order, e.g. class_names=['neg', 'pos']."
        )
    names = tuple(name.item() if isinstance(name, np.generic) else name for name in class_names)
    for i, name in enumerate(names):
        if isinstance(name, bool) or not isinstance(name, (str, int)):
            raise TypeError(
                "Expected `class_names` to hold str or int (they are saved in the .keras "
                f"file). Received: class_names[{i}]={describe_value(name)}. Convert every name "
                "to str."
            )
    mixed = [i for i, name in enumerate(names) if type(name) is not type(names[0])]
    if mixed:
        raise TypeError(
            "Expected `class_names` all str or all int: labels of one type map onto them. "
            f"Received: class_names[0]={names[0]!r} but class_names[{mixed[0]}]="
            f"{names[mixed[0]]!r}. Convert every name to str."
        )
    if n is not None and len(names) != n:
        raise HeadConfigError(
            f"Expected {n} `class_names`, one per class. Received: {len(names)} names "
            f"{list(names)[:10]}. Pass {n} names, the name of class id i at position i."
        )
    if len(set(names)) != len(names):
        duplicates = sorted({str(name) for name in names if names.count(name) > 1})
        raise HeadConfigError(
            f"Expected distinct `class_names`. Received: duplicates {duplicates}. Give every "
            "class its own name."
        )
    return names


def _check_logit_adjustment(
    task: Task, logit_adjustment: object, prior: tuple[float, ...] | None
) -> float | None:
    if logit_adjustment is None:
        return None
    tau = check_logit_adjustment(logit_adjustment)
    if task is not Task.MULTICLASS:
        raise HeadConfigError(
            f"Expected `logit_adjustment` to be omitted for task={task.value!r}: it shifts "
            f"multiclass scores. Received: logit_adjustment={tau!r}. For a {task.value} head "
            "tune the threshold instead (head.tune_thresholds)."
        )
    if prior is None:
        raise HeadConfigError(
            f"Expected `prior` with `logit_adjustment`: it subtracts tau * log(prior). "
            f"Received: logit_adjustment={tau!r}, prior=None. Pass prior=y_train."
        )
    return tau


def _check_pos_weight(
    task: Task, pos_weight: object, units: int, prior: tuple[float, ...] | None
) -> str | float | tuple[float, ...] | None:
    if pos_weight is None:
        return None
    if task is Task.MULTICLASS:
        raise HeadConfigError(
            "Expected `pos_weight` to be omitted for task='multiclass': it weighs the "
            f"positive term of a sigmoid output. Received: pos_weight={pos_weight!r}. Pass "
            "class_weight=... to model.fit instead."
        )
    if isinstance(pos_weight, str):
        if pos_weight != "balanced":
            raise HeadConfigError(
                "Expected `pos_weight` to be 'balanced', a float or one float per output. "
                f"Received: pos_weight={pos_weight!r}. Pass pos_weight='balanced' (with "
                "prior=y_train), a float such as 3.0, or a list of floats."
            )
        if prior is None:
            raise HeadConfigError(
                "Expected `prior` with pos_weight='balanced': the weights are "
                "n_negative / n_positive per output. Received: prior=None. Pass prior=y_train."
            )
        return pos_weight
    return check_pos_weight_values(pos_weight, units)


def _check_min_labels(task: Task, min_labels: object, n: int) -> int:
    zero = isinstance(min_labels, (int, np.integer)) and not isinstance(min_labels, bool)
    if task is not Task.MULTILABEL and not (zero and min_labels == 0):
        fix = (
            "Leave `min_labels` out: a multiclass head predicts exactly one class."
            if task is Task.MULTICLASS
            else "Leave `min_labels` out; for one label per sample of several, use "
            "task='multiclass'."
        )
        raise HeadConfigError(
            f"Expected `min_labels` to be omitted for task={task.value!r}: it is the fewest "
            f"labels a multilabel head predicts per sample. Received: "
            f"min_labels={describe_value(min_labels)}. " + fix
        )
    return check_min_labels(min_labels, n)


def _check_top_k(task: Task, top_k: object, n: int) -> int | None:
    if top_k is None:
        return None
    if task is not Task.MULTILABEL:
        hint = (
            " A multiclass head with n >= 10 already reports top_5_accuracy."
            if task is Task.MULTICLASS
            else " Leave `top_k` out."
        )
        raise HeadConfigError(
            f"Expected `top_k` to be omitted for task={task.value!r}: precision@k and "
            f"recall@k rank the labels of a multilabel head. Received: top_k={top_k!r}.{hint}"
        )
    return check_k(top_k, "top_k", n)


@keras.saving.register_keras_serializable(package="safeheads")
class HeadLayer(keras.layers.Dense):  # type: ignore[misc]
    """The output layer of a safeheads head: a ``Dense`` layer that knows its task.

    Its width and activation follow from the task: 1 sigmoid unit for binary,
    ``n`` softmax units for multiclass, ``n`` sigmoid units for multilabel, or
    linear units with ``from_logits=True``. It always computes in float32,
    whatever the global dtype policy (Keras' mixed precision guide keeps the
    output layer in float32). Its config carries the task, threshold and class
    names, so a model loaded from ``.keras`` yields the same head again through
    `Head.from_model`.

    Build it through `classification_head` rather than directly.

    Args:
        task: ``"binary"``, ``"multiclass"`` or ``"multilabel"``, or a `Task`.
        n: Number of classes (binary: omitted, 1 or 2) or labels.
        from_logits: Output linear logits instead of probabilities.
        labels: Multiclass target format, ``"sparse"`` (default) or ``"one_hot"``.
        threshold: Decision threshold (a probability), one or one per label.
        class_names: Optional names of the ``n`` classes or labels.
        prior: Training labels, or label frequencies, that set the initial
            bias (see `classification_head`); stored as frequencies.
        logit_adjustment: Multiclass ``tau``: decisions take the argmax of
            ``log-scores - tau * log(prior)``.
        pos_weight: Binary/multilabel positive-class weight for the loss:
            ``"balanced"``, a float, or one float per output.
        focal_gamma: Focal loss focusing parameter (0: off).
        label_smoothing: Label smoothing of the loss, in [0, 1).
        top_k: Multilabel: the ``k`` of the precision@k / recall@k metrics.
        min_labels: Multilabel: the fewest labels predicted per sample (0: none).
        **kwargs: Other ``keras.layers.Dense`` arguments (``name``,
            ``kernel_initializer``, ``bias_initializer``, regularizers, ...).
            ``units`` and ``activation`` follow from the task and are refused
            when they differ.

    Returns:
        A Keras layer.

    Raises:
        TypeError: If an argument has the wrong type.
        HeadConfigError: If an argument has a wrong value for the task.

    Example:
        >>> from safeheads import HeadLayer
        >>> layer = HeadLayer("multiclass", 4)
        >>> (layer.units, layer.activation.__name__, layer.dtype)
        (4, 'softmax', 'float32')
    """

    def __init__(
        self,
        task: Task | str,
        n: int | None = None,
        *,
        from_logits: bool = False,
        labels: str | None = None,
        threshold: Threshold | None = None,
        class_names: Sequence[Hashable] | None = None,
        prior: Any = None,
        logit_adjustment: float | None = None,
        pos_weight: str | PosWeight | None = None,
        focal_gamma: float = 0.0,
        label_smoothing: float = 0.0,
        top_k: int | None = None,
        min_labels: int = 0,
        **kwargs: Any,
    ) -> None:
        task = parse_task(task)
        n = _check_n(task, n)
        from_logits = check_bool(from_logits, "from_logits")
        labels = _check_labels(task, labels)
        units = 1 if task is Task.BINARY else n
        if task is Task.MULTICLASS:
            if threshold is not None:
                raise HeadConfigError(
                    "Expected `threshold` to be omitted for task='multiclass': the class "
                    f"with the highest score is predicted. Received: threshold={threshold!r}."
                )
            checked_threshold: float | tuple[float, ...] | None = None
        else:
            checked_threshold = check_threshold(0.5 if threshold is None else threshold, units)
        names = check_class_names(class_names, n)
        frequencies = resolve_prior(prior, task, n, units, names)
        tau = _check_logit_adjustment(task, logit_adjustment, frequencies)
        weights = _check_pos_weight(task, pos_weight, units, frequencies)
        gamma = check_focal_gamma(focal_gamma)
        smoothing = check_label_smoothing(label_smoothing)
        k = _check_top_k(task, top_k, n)
        fewest = _check_min_labels(task, min_labels, n)
        if frequencies is not None:
            if kwargs.get("bias_initializer") is not None:
                raise HeadConfigError(
                    "Expected `bias_initializer` to be omitted with `prior`: the prior sets "
                    f"the bias. Received: bias_initializer={kwargs['bias_initializer']!r}. "
                    "Leave `bias_initializer` out, or leave `prior` out to set the bias yourself."
                )
            if kwargs.get("use_bias", True) is False:
                raise HeadConfigError(
                    "Expected use_bias=True with `prior`: the prior sets the bias. "
                    "Received: use_bias=False. Leave `use_bias` out, or leave `prior` out for "
                    "an output without a bias."
                )
            kwargs["bias_initializer"] = PriorBias(prior_bias(frequencies, task).tolist())
        if from_logits:
            activation = "linear"
        else:
            activation = "softmax" if task is Task.MULTICLASS else "sigmoid"
        # A saved config carries the units and activation this layer chose; others are refused.
        given_units = kwargs.pop("units", units)
        given = kwargs.pop("activation", activation)
        if given_units != units or keras.activations.get(given) is not keras.activations.get(
            activation
        ):
            raise HeadConfigError(
                f"Expected no `units` or `activation` for a HeadLayer: task={task.value!r} "
                f"with n={n} and from_logits={from_logits} needs {units} units and "
                f"activation={activation!r}. Received: units={given_units!r}, "
                f"activation={given!r}. Leave both out; for a linear output pass "
                "from_logits=True."
            )
        given_dtype = kwargs.pop("dtype", None)
        if given_dtype is not None and keras.dtype_policies.get(given_dtype).name != "float32":
            raise HeadConfigError(
                "Expected no `dtype` for a HeadLayer: it computes and keeps its weights in "
                "float32 whatever the dtype policy, since softmax and sigmoid in float16 lose "
                f"the small probabilities. Received: dtype={given_dtype!r}. Leave it out; the "
                "layers before the head can be float16."
            )
        super().__init__(units, activation=activation, dtype="float32", **kwargs)
        self.task = task
        self.n = n
        self.from_logits = from_logits
        self.labels = labels
        self.threshold = checked_threshold
        self.class_names = names
        self.prior = frequencies
        self.logit_adjustment = tau
        self.pos_weight = weights
        self.focal_gamma = gamma
        self.label_smoothing = smoothing
        self.top_k = k
        self.min_labels = fewest

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.pop("units")
        config.pop("activation")
        threshold = self.threshold
        config.update(
            task=self.task.value,
            n=self.n,
            from_logits=self.from_logits,
            labels=self.labels if self.task is Task.MULTICLASS else None,
            threshold=list(threshold) if isinstance(threshold, tuple) else threshold,
            class_names=None if self.class_names is None else list(self.class_names),
            prior=None if self.prior is None else list(self.prior),
            logit_adjustment=self.logit_adjustment,
            pos_weight=(
                list(self.pos_weight) if isinstance(self.pos_weight, tuple) else self.pos_weight
            ),
            focal_gamma=self.focal_gamma,
            label_smoothing=self.label_smoothing,
            top_k=self.top_k,
            min_labels=self.min_labels,
        )
        if self.prior is not None:
            config.pop("bias_initializer", None)  # derived from the prior
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> HeadLayer:
        """Rebuild the layer from `get_config`; the stored prior is read as frequencies."""
        config = dict(config)
        if config.get("prior") is not None:
            config["prior"] = Frequencies(config["prior"])
        return super().from_config(config)  # type: ignore[no-any-return]
