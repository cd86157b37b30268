"""The model doctor: find and explain head / loss / metric / label mismatches.

`check` inspects a Keras model that safeheads did not necessarily build
(Sequential, functional, nested, or loaded from ``.keras``) and returns a
`Report` of `Finding` s. Each finding has a stable code, a severity, a
one-sentence explanation of what will happen in training and the exact fix.

Finding codes
-------------
Codes are ``"SH"`` plus three digits; the first digit names what is inspected
and a code never changes meaning once released. The severity of a code is
fixed: an *error* is a model that trains wrongly, not at all, or stops with an
error; a *warning* is a model that trains but reports or computes something
misleading.

=======  ========  ==========================================================
code     severity  what
=======  ========  ==========================================================
SH101    error     softmax over a single output unit (always 1.0)
SH102    error     output activation that gives neither probabilities nor
                   logits (relu, tanh, ...) under a crossentropy
SH103    warning   output layer computing in float16/bfloat16 (mixed precision)
SH201    error     linear output (logits) with ``from_logits=False``
SH202    error     sigmoid/softmax output with ``from_logits=True``
SH203    error     sigmoid output (several units) with a categorical crossentropy
SH204    error     softmax output (several units) with binary crossentropy
SH205    error     categorical crossentropy over a single output unit
SH206    warning   a loss not recognised as a classification crossentropy
SH207    error     a loss Keras cannot use (an unknown name, or not callable)
SH208    error     loss, metrics or labels keyed or listed for outputs the
                   model does not have (``fit`` stops)
SH209    warning   an output of a multi-output model that gets no loss (it never
                   trains)
SH301    error     argmax accuracy (``'accuracy'`` resolved by shape) on a
                   multilabel output
SH302    warning   ``'binary_accuracy'`` on a multilabel output
SH303    warning   a metric reading logits as probabilities, or probabilities
                   as logits
SH304    warning   ``F1Score``/``FBetaScore`` with ``threshold=None`` on a
                   multilabel output
SH305    warning   ``keras.metrics.Accuracy()``, which compares labels with the
                   raw scores for equality
SH306    error     a metric built for another output width (e.g. the metrics of
                   another output's head, or Keras' top-5 accuracy on 5 classes)
SH307    error     a metric that reads one label column per output, given class ids
SH401    error     malformed labels (`safeheads.LabelFormatError`)
SH402    error     binary crossentropy with labels outside {0, 1}
SH403    error     class ids out of range for the output width
SH404    error     label width or number of classes differs from the output
SH405    error     rows that are not one-hot given to categorical crossentropy
SH406    error     multi-hot labels given to a single-choice output
SH407    error     class ids given to categorical crossentropy, or one-hot rows
                   to sparse categorical crossentropy
SH408    error     class names or label lists, which ``fit`` cannot take
SH409    warning   suspicious but legal labels (a class with no examples, ...)
SH410    error     class weights on a multilabel output
SH411    warning   class weights that rescale the loss far from 1 (such as
                   1/count)
SH501    error     ``task=`` that the model cannot do
SH502    error     ``task=`` that the labels do not fit
SH503    warning   ``task='multiclass'`` on independent sigmoid units
=======  ========  ==========================================================

docs/findings.md has one entry per code with an example and the fix.

Malformed labels do not raise: `check` turns the `LabelFormatError` into an
SH401 finding so that the model's own findings are still reported.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import math
import os
import sys
import textwrap
import warnings
import zipfile
from collections.abc import Sequence
from typing import Any, TextIO

import keras
import numpy as np

from safeheads._auc import RocAUC
from safeheads._labels import _Parsed, _suspicious, parse_labels
from safeheads._layer import HeadLayer
from safeheads._losses import SigmoidCrossentropy, SoftmaxCrossentropy
from safeheads._metrics import _ConfusionMetric, _ThresholdMetric
from safeheads._ranking import TopKAccuracy, _AtK
from safeheads._tasks import Task, parse_task
from safeheads._tuning import LogitAdjustedAccuracy
from safeheads._weights import _class_counts
from safeheads.errors import HeadMismatchError, LabelFormatError, SafeheadsWarning

__all__ = ["CODES", "Finding", "Report", "check", "inspect_model", "run_doctor"]

#: Every finding code with its fixed severity and a short title.
CODES: dict[str, tuple[str, str]] = {
    "SH101": ("error", "softmax over a single output unit"),
    "SH102": ("error", "output activation gives neither probabilities nor logits"),
    "SH103": ("warning", "output layer computes in float16/bfloat16"),
    "SH201": ("error", "linear output with from_logits=False"),
    "SH202": ("error", "sigmoid/softmax output with from_logits=True"),
    "SH203": ("error", "sigmoid output with categorical crossentropy"),
    "SH204": ("error", "softmax output with binary crossentropy"),
    "SH205": ("error", "categorical crossentropy over a single output unit"),
    "SH206": ("warning", "loss not recognised as a classification crossentropy"),
    "SH207": ("error", "a loss Keras cannot use (an unknown name, or not callable)"),
    "SH208": ("error", "loss, metrics or labels that do not fit the model's outputs"),
    "SH209": ("warning", "an output of a multi-output model that gets no loss"),
    "SH301": ("error", "argmax accuracy on a multilabel output"),
    "SH302": ("warning", "binary_accuracy on a multilabel output"),
    "SH303": ("warning", "metric reads logits as probabilities or the reverse"),
    "SH304": ("warning", "F1Score(threshold=None) on a multilabel output"),
    "SH305": ("warning", "keras.metrics.Accuracy(), label == raw score, on a classifier"),
    "SH306": ("error", "a metric built for another output width"),
    "SH307": ("error", "a metric that reads one label column per output, given class ids"),
    "SH401": ("error", "malformed labels"),
    "SH402": ("error", "binary crossentropy with labels outside {0, 1}"),
    "SH403": ("error", "class ids out of range for the output"),
    "SH404": ("error", "label width differs from the output units"),
    "SH405": ("error", "rows that are not one-hot given to categorical crossentropy"),
    "SH406": ("error", "multi-hot labels given to a single-choice output"),
    "SH407": ("error", "label format does not match the loss"),
    "SH408": ("error", "class names or label lists cannot be passed to fit"),
    "SH409": ("warning", "suspicious labels"),
    "SH410": ("error", "fit(class_weight=...) on a multilabel output"),
    "SH411": ("warning", "class weights that rescale the loss far from 1 (such as 1/count)"),
    "SH501": ("error", "the model cannot do the given task"),
    "SH502": ("error", "the labels do not fit the given task"),
    "SH503": ("warning", "multiclass task on independent sigmoid units"),
}

_WIDTH = 100


# ----------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class Finding:
    """One mismatch found by `check`.

    Attributes:
        code: Stable code such as ``"SH101"`` (see docs/findings.md).
        severity: ``"error"`` (the model trains wrongly or not at all) or
            ``"warning"`` (it trains, but something it reports is misleading).
        message: One sentence: what will happen in training.
        fix: The exact change, ideally the safeheads call that replaces the
            user's lines.
        output: Name of the model output concerned.

    Example:
        >>> import keras, safeheads
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "softmax")])
        >>> finding = safeheads.check(model).findings[0]
        >>> (finding.code, finding.severity)
        ('SH101', 'error')
    """

    code: str
    severity: str
    message: str
    fix: str
    output: str | None = None

    def __str__(self) -> str:
        title = f"{self.severity} {self.code}: "
        body = _wrap(title + self.message, "", "    ")
        return body + "\n" + _wrap("fix: " + self.fix, "    ", "         ")


@dataclasses.dataclass(frozen=True)
class Report:
    """What `check` found: findings, and what was inspected.

    Attributes:
        findings: The findings, errors first, then by code.
        model_name: Name of the inspected model.
        inspected: One line per thing inspected (output, loss, metrics, labels).
        notes: What could not be checked, and why.

    Example:
        >>> import keras, safeheads
        >>> layer, loss, metrics = safeheads.classification_head("binary")
        >>> model = keras.Sequential([keras.Input((4,)), layer])
        >>> model.compile("adam", loss=loss, metrics=metrics)
        >>> report = safeheads.check(model)
        >>> report.ok, report.errors, report.warnings
        (True, (), ())
    """

    findings: tuple[Finding, ...]
    model_name: str = ""
    inspected: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no finding is an error (warnings may remain)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The error findings."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The warning findings."""
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all findings, in report order."""
        return tuple(f.code for f in self.findings)

    def __str__(self) -> str:
        errors, warns = len(self.errors), len(self.warnings)
        if not self.findings:
            verdict = "no problems found"
        else:
            parts = []
            if errors:
                parts.append(f"{errors} error{'s' * (errors != 1)}")
            if warns:
                parts.append(f"{warns} warning{'s' * (warns != 1)}")
            verdict = " and ".join(parts)
        lines = [f"safeheads check of model {self.model_name!r}: {verdict}"]
        lines.extend(_wrap(line, "  ", "      ") for line in self.inspected)
        lines.extend(_wrap("note: " + note, "  ", "        ") for note in self.notes)
        for finding in self.findings:
            lines.append("")
            lines.append(self._about(finding) + str(finding))
        return "\n".join(lines)

    def _about(self, finding: Finding) -> str:
        """``"[output 'name'] "`` for a finding on one output of several, else ``""``."""
        several = sum(line.startswith("output ") for line in self.inspected) > 1
        return f"[output {finding.output!r}] " if several and finding.output else ""

    def raise_for_errors(self) -> None:
        """Raise `HeadMismatchError` with the report text if any finding is an error.

        Raises:
            HeadMismatchError: If ``report.ok`` is False.

        Example:
            >>> import keras, safeheads
            >>> layers = [keras.Input((4,)), keras.layers.Dense(1, "softmax")]
            >>> model = keras.Sequential(layers, name="clf")
            >>> try:
            ...     safeheads.check(model).raise_for_errors()
            ... except safeheads.HeadMismatchError as err:
            ...     print(str(err).splitlines()[0])
            safeheads check of model 'clf': 1 error
        """
        if not self.ok:
            raise HeadMismatchError(str(self))


def _wrap(text: str, first: str, rest: str) -> str:
    return textwrap.fill(
        text,
        width=_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


# ----------------------------------------------------------------------------- the output


_PASS_THROUGH = ("Dropout", "Identity", "GaussianNoise", "GaussianDropout", "AlphaDropout")
#: Layers that reshape the scores but keep their scale (probabilities stay in [0, 1], logits
#: stay free): the activation is that of the layer below, the shape their own.
_SCALE_KEEPING = (
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Flatten",
)  # fmt: skip
#: Layers whose output is an affine map of their input: free scores (linear) whatever the
#: activation below, so probabilities no longer.
_RESCALING = ("BatchNormalization", "LayerNormalization", "GroupNormalization")
_ACTIVATION_LAYERS = {
    "Softmax": "softmax",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
}
_ACTIVATION_OPS = {
    "Sigmoid": "sigmoid",
    "Softmax": "softmax",
    "LogSoftmax": "log_softmax",
    "Relu": "relu",
    "Tanh": "tanh",
    "Softplus": "softplus",
}
_LOGITS = ("linear", "log_softmax")
_PROBABILITIES = ("sigmoid", "softmax")
#: Keras' (and tf.nn's) activations whose outputs are neither probabilities nor free
#: logits (SH102). Others (hard_sigmoid, sparsemax, a user's own function) are not judged.
_NOT_SCORES = (
    "celu", "crelu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "log_sigmoid", "mish", "relu", "relu6", "selu",
    "silu", "soft_shrink", "softplus", "softsign", "sparse_plus", "squareplus", "swish",
    "tanh", "tanh_shrink", "threshold",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class _Output:
    """The layer (or op chain) that produces one model output."""

    name: str
    layer: Any  # the layer with the units (Dense, HeadLayer, ...), or None
    activation: str | None  # the final activation; None when unknown
    activation_source: str
    units: int | None
    rank: int | None
    low_precision: tuple[tuple[str, str, str], ...]  # (layer name, compute dtype, policy)
    keyed: bool = False  # one value of the dict a subclassed model's call() returns

    @property
    def head(self) -> HeadLayer | None:
        return self.layer if isinstance(self.layer, HeadLayer) else None

    def describe(self) -> str:
        if self.layer is None:
            what = "an unknown layer"
        else:
            what = f"{type(self.layer).__name__} {self.layer.name!r}"
        units = "?" if self.units is None else str(self.units)
        activation = self.activation or "unknown activation"
        if self.activation_source:
            activation += f" ({self.activation_source})"
        unit_word = "unit" if self.units == 1 else "units"
        return f"output {self.name!r}: {what}, {units} {unit_word}, {activation}"


#: The activation source of a subclassed model's output that could not be traced.
_UNTRACED = "subclassed model: call() could not be traced"
_UNBUILT = "subclassed model, not built yet"

_ACTIVATION_ALIASES = {
    "softmax_v2": "softmax",
    "log_softmax_v2": "log_softmax",
    "crelu_v2": "crelu",  # tf.nn.crelu
    "exp": "exponential",  # tf.math.exp, keras.ops.exp
}


def _activation_name(function: Any) -> str | None:
    """The activation's name (``tf.nn`` aliases normalised); None when unknown (a lambda)."""
    if function is None:
        return "linear"
    name = getattr(function, "__name__", None)
    if name is None or name.startswith("<"):
        return None
    return _ACTIVATION_ALIASES.get(str(name), str(name))


def _compute_dtype(layer: Any) -> tuple[str, str] | None:
    policy = getattr(layer, "dtype_policy", None)
    compute = getattr(policy, "compute_dtype", None)
    if compute in ("float16", "bfloat16"):
        return str(compute), str(getattr(policy, "name", compute))
    return None


def _walk_layers(layers: Sequence[Any], name: str) -> _Output:
    """The output of a layer stack: trailing activation layers, then the layer below."""
    final: str | None = None
    source = ""
    low: list[tuple[str, str, str]] = []
    float32_activation = False  # found in a float32 layer: the layers below may be float16
    identity: int | None = None  # len(low) at a float32 linear Activation on top
    shaped: Any = None  # the top scale-keeping layer: the output's shape is its own
    for layer in reversed(layers):
        kind = type(layer).__name__
        if kind in _PASS_THROUGH:
            continue
        if kind in _SCALE_KEEPING:
            shaped = shaped or layer
            continue
        if isinstance(layer, keras.Model):  # its own layers' dtypes count, not its policy
            inner = _outputs_of(layer)
            if len(inner) == 1:
                merged = _merge(inner[0], final, source, low, name, float32_activation)
                if shaped is None:
                    return merged
                return dataclasses.replace(merged, units=_units_of(shaped), rank=_rank_of(shaped))
            return _Output(name, None, final, source, None, None, tuple(low))
        dtype = _compute_dtype(layer)
        if dtype and not float32_activation:
            low.append((layer.name, *dtype))
        activation: str | None
        if kind == "Activation":
            activation = _activation_name(getattr(layer, "activation", None))
            if activation == "linear":  # the identity: the activation is below it
                if identity is None and final is None and dtype is None:
                    identity = len(low)
                continue
        elif kind in _ACTIVATION_LAYERS:
            activation = _ACTIVATION_LAYERS[kind]
        elif kind in _RESCALING:
            activation = "linear"
        else:
            own = _activation_name(layer.activation) if hasattr(layer, "activation") else None
            units = _units_of(shaped or layer)
            if final is None:
                final, source = own, ""
            _keep_float16_logits(low, identity, final)
            rank = _rank_of(shaped or layer)
            return _Output(name, layer, final, source, units, rank, tuple(low))
        if final is None:
            final = activation
            source = f"{kind} layer {layer.name!r}"
            float32_activation = dtype is None  # Keras' mixed precision guide's pattern
    return _Output(name, None, final, source, None, None, tuple(low))


def _keep_float16_logits(
    low: list[tuple[str, str, str]], identity: int | None, final: str | None
) -> None:
    """Keras' mixed precision guide for logits: float16 layers without activation under
    a float32 ``Activation('linear')`` (whose entry in ``low`` is ``identity``) give
    float32 logits to the loss; they are not SH103."""
    if identity is not None and final in (None, "linear"):
        del low[identity:]


def _merge(
    below: _Output,
    final: str | None,
    source: str,
    low: list[tuple[str, str, str]],
    name: str,
    float32_activation: bool,
) -> _Output:
    """A nested model's output under the layers above it; with ``float32_activation``
    (a float32 activation layer above), its low-precision layers do not count."""
    if final is None:
        final, source = below.activation, below.activation_source
    inner = () if float32_activation else below.low_precision
    return _Output(name, below.layer, final, source, below.units, below.rank, tuple(low) + inner)


def _units_of(layer: Any) -> int | None:
    units = getattr(layer, "units", None)
    if isinstance(units, (int, np.integer)) and not isinstance(units, bool):
        return int(units)
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return None
    last = shape[-1] if shape else None
    return int(last) if last is not None else None


def _rank_of(layer: Any) -> int | None:
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError, TypeError):
        return None


def _walk_tensor(tensor: Any, name: str) -> _Output:
    """Follow a functional output back through activation ops to the layer with units."""
    final: str | None = None
    source = ""
    low: list[tuple[str, str, str]] = []
    rank = len(tensor.shape) if getattr(tensor, "shape", None) is not None else None
    units = tensor.shape[-1] if rank else None
    units = int(units) if units is not None else None
    float32_activation = False  # found in a float32 layer: the layers below may be float16
    identity: int | None = None  # len(low) at a float32 linear Activation on top
    for _ in range(100):
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            break
        operation = history.operation
        kind = type(operation).__name__
        activation: str | None = None
        if isinstance(operation, keras.Model):  # its own layers' dtypes count, not its policy
            inner = _outputs_of(operation)
            if len(inner) == 1:
                merged = _merge(inner[0], final, source, low, name, float32_activation)
                return dataclasses.replace(merged, units=units, rank=rank)
            break
        dtype = _compute_dtype(operation)
        if dtype and not float32_activation:
            low.append((operation.name, *dtype))
        if isinstance(operation, keras.layers.Layer):
            if kind in _PASS_THROUGH + _SCALE_KEEPING:
                pass  # units and rank are the output tensor's
            elif kind in _RESCALING:
                activation = "linear"
            elif kind == "Activation":
                activation = _activation_name(getattr(operation, "activation", None))
                if activation == "linear":  # the identity: the activation is below it
                    activation = None
                    if identity is None and final is None and dtype is None:
                        identity = len(low)
            elif kind in _ACTIVATION_LAYERS:
                activation = _ACTIVATION_LAYERS[kind]
            else:
                own = (
                    _activation_name(operation.activation)
                    if hasattr(operation, "activation")
                    else None
                )
                if final is None:
                    final, source = own, ""
                _keep_float16_logits(low, identity, final)
                return _Output(name, operation, final, source, units, rank, tuple(low))
        elif kind in _ACTIVATION_OPS:
            activation = _ACTIVATION_OPS[kind]
        else:
            break
        if activation is not None and final is None:
            final = activation
            layer = isinstance(operation, keras.layers.Layer)
            source = f"{kind} {'layer' if layer else 'op'} {operation.name!r}"
            # Keras' mixed precision guide's pattern: a float16 Dense under a float32
            # activation layer (an op computes in its input's dtype).
            float32_activation = layer and dtype is None
        node = operation._inbound_nodes[history.node_index]
        inputs = node.input_tensors
        if len(inputs) != 1:
            break
        tensor = inputs[0]
    return _Output(name, None, final, source, units, rank, tuple(low))


def _outputs_of(model: Any, input_shape: tuple[int | None, ...] | None = None) -> list[_Output]:
    if isinstance(model, keras.Sequential):
        if not model.layers:
            return []
        output = _walk_layers(model.layers, model.layers[-1].name)
        if output.rank is None and input_shape is not None:  # not built: the data's shape
            try:
                shape = model.compute_output_shape((None, *tuple(input_shape)[1:]))
            except Exception:  # a layer that cannot tell without running: rank unknown
                shape = None
            if isinstance(shape, (tuple, list)) and shape:
                last = shape[-1]
                units = output.units if output.units is not None or last is None else int(last)
                output = dataclasses.replace(output, rank=len(shape), units=units)
        return [output]
    outputs = None
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if outputs:
        names = list(getattr(model, "output_names", None) or [])
        struct = getattr(model, "_outputs_struct", None)
        if isinstance(struct, dict) and len(struct) == len(outputs):
            # Keras pairs losses, metrics and labels with dict outputs by key, not layer name.
            names = [str(key) for key in keras.tree.flatten({key: key for key in struct})]
        if len(names) != len(outputs):
            names = [f"output_{i}" for i in range(len(outputs))]
        return [_walk_tensor(tensor, name) for tensor, name in zip(outputs, names, strict=True)]
    if model.layers:  # a subclassed model: follow its call() on a symbolic input
        return _trace_subclassed(model, input_shape)
    return []


def _trace_subclassed(model: Any, input_shape: tuple[int | None, ...] | None) -> list[_Output]:
    """The outputs of a subclassed model, traced by calling ``call()`` on a ``keras.Input``
    of the shape it was built with. The layers are not the output in the order they were
    assigned, and activations applied in ``call()`` belong to no layer, so a model that
    cannot be traced (not built yet, several inputs, Python logic on values) gets one
    output of unknown width and activation rather than a guess. ``input_shape`` (from
    the data of a running ``fit``) serves for a model not built yet."""
    shapes = getattr(model, "_build_shapes_dict", None) or {}
    shape = next(iter(shapes.values())) if len(shapes) == 1 else None
    if shape is None and not model.built:
        shape = input_shape
    traced: Any = None
    if isinstance(shape, (tuple, list)) and len(shape) >= 1:
        try:
            # fit() trains through the training branch of call(): trace that one.
            training = "training" in inspect.signature(model.call).parameters
            inputs = keras.Input(batch_shape=(None, *tuple(shape)[1:]))
            traced = model.call(inputs, training=True) if training else model.call(inputs)
        except Exception:  # any failure (shapes, values, custom code): cannot trace
            traced = None
    keyed = isinstance(traced, collections.abc.Mapping)
    if keyed:
        # Keras pairs list losses and metrics with a dict's values in sorted key order.
        named = [(str(key), traced[key]) for key in keras.tree.flatten({k: k for k in traced})]
    elif isinstance(traced, (list, tuple)):
        named = [(f"output_{i}", tensor) for i, tensor in enumerate(traced)]
    else:
        named = [("output_0", traced)]
    if not all(isinstance(tensor, keras.KerasTensor) for _, tensor in named):
        untraced = _UNTRACED if model.built or shape is not None else _UNBUILT
        return [_Output(str(model.name), None, None, untraced, None, None, ())]
    outputs = [dataclasses.replace(_walk_tensor(t, name), keyed=keyed) for name, t in named]
    if len(outputs) == 1 and outputs[0].layer is not None and not keyed:  # named after its layer
        outputs = [dataclasses.replace(outputs[0], name=outputs[0].layer.name)]
    return outputs


# ----------------------------------------------------------------------------- the loss


@dataclasses.dataclass(frozen=True)
class _Loss:
    name: str
    family: str  # "bce" | "cce" | "scce" | "auto" | "other" | "unusable" (Keras refuses it)
    from_logits: bool | None
    safeheads: bool = False  # a safeheads loss object
    ignore_class: int | None = None  # sparse categorical crossentropy's ignored label
    unusable: str | None = None  # "name" (unknown to Keras), "object" or "head" (not callable)
    regression: bool = False  # one of Keras' regression losses (mse, mae, Huber, ...)

    def describe(self) -> str:
        if self.from_logits is None:
            return self.name
        return f"{self.name} (from_logits={self.from_logits})"


_LOSS_FUNCTIONS = {
    "binary_crossentropy": "bce",
    "binary_focal_crossentropy": "bce",
    "categorical_crossentropy": "cce",
    "categorical_focal_crossentropy": "cce",
    "sparse_categorical_crossentropy": "scce",
}


def _loss_class_family(obj: Any) -> str | None:
    if isinstance(obj, (keras.losses.BinaryCrossentropy, keras.losses.BinaryFocalCrossentropy)):
        return "bce"
    if isinstance(
        obj, (keras.losses.CategoricalCrossentropy, keras.losses.CategoricalFocalCrossentropy)
    ):
        return "cce"
    if isinstance(obj, keras.losses.SparseCategoricalCrossentropy):
        return "scce"
    return None


def _is_safeheads(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "safeheads"


def _name_of(obj: Any) -> str:
    if isinstance(obj, str):
        return repr(obj)
    if isinstance(obj, functools.partial):
        return f"partial({_name_of(obj.func)})"
    if isinstance(obj, (keras.losses.Loss, keras.metrics.Metric)):
        return type(obj).__name__
    return str(getattr(obj, "__name__", type(obj).__name__))


#: Keras' regression losses, as functions and classes: an output trained with one of them
#: (and no sigmoid or softmax) is not a classification output, and is not checked.
_REGRESSION_LOSSES = frozenset({
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "cosine_similarity", "poisson",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "LogCosh", "CosineSimilarity", "Poisson",
})  # fmt: skip


def _resolve_loss(identifier: Any) -> _Loss:
    name = _name_of(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("crossentropy", "ce"):
            return _Loss(name, "auto", False)
        try:
            obj = keras.losses.get(identifier)
        except (ValueError, TypeError):
            return _Loss(name, "unusable", None, unusable="name")
    else:
        obj = identifier
    if not callable(obj):
        head = _is_safeheads(obj) and type(obj).__name__ == "Head"
        return _Loss(name, "unusable", None, unusable="head" if head else "object")
    if _is_safeheads(obj):
        if isinstance(obj, SigmoidCrossentropy):
            kind = "bce"
        elif isinstance(obj, SoftmaxCrossentropy):
            kind = "scce" if obj.sparse else "cce"
        else:
            return _Loss(name, "other", None)
        return _Loss(name, kind, bool(obj.from_logits), safeheads=True)
    kwargs: dict[str, Any] = {}
    if isinstance(obj, functools.partial):
        kwargs = dict(obj.keywords)
        obj = obj.func
    family = _loss_class_family(obj)
    if family is None and type(obj).__name__ in _REGRESSION_LOSSES:
        return _Loss(name, "other", None, regression=True)
    if family is not None:
        kwargs = obj.get_config()
    else:
        function = getattr(obj, "fn", obj)  # LossFunctionWrapper keeps the function in .fn
        kwargs.update(getattr(obj, "_fn_kwargs", None) or {})
        family = _LOSS_FUNCTIONS.get(getattr(function, "__name__", ""))
        if family is None or not callable(function):
            regression = getattr(function, "__name__", "") in _REGRESSION_LOSSES
            return _Loss(name, "other", None, regression=regression)
    ignore = kwargs.get("ignore_class") if family == "scce" else None
    return _Loss(
        name,
        family,
        bool(kwargs.get("from_logits", False)),
        ignore_class=int(ignore) if isinstance(ignore, (int, np.integer)) else None,
    )


def _str_keys(value: Any) -> Any:
    """A dict keyed as the doctor names outputs (``str(key)``: an int key 0 is output '0');
    anything else as it is."""
    if isinstance(value, collections.abc.Mapping):
        return {str(key): item for key, item in value.items()}
    return value


def _loss_for(loss: Any, index: int, output_name: str, n_outputs: int) -> Any:
    if isinstance(loss, collections.abc.Mapping):
        return loss.get(output_name)
    if isinstance(loss, (list, tuple)):
        if len(loss) == n_outputs:
            return loss[index]
        # Keras gives a one-element list to the first output only (the others get none)
        return loss[0] if len(loss) == 1 and index == 0 else None
    return loss


# ----------------------------------------------------------------------------- metrics


@dataclasses.dataclass(frozen=True)
class _Metric:
    name: str
    resolved: str  # Keras class (or function) name it resolves to
    obj: Any


def _width_mismatch(obj: Any, units: int) -> tuple[str, str, str | None] | None:
    """How a safeheads metric built for another output width fails on ``units`` outputs:
    (what it was built for, what happens, the fix when not the usual one), or None when
    it fits."""
    crash = "so fit stops at the first batch with a shape error"
    if (
        isinstance(obj, _ThresholdMetric)
        and obj.min_labels
        and (obj.min_labels > units or units == 1)
    ):
        fix = (
            "Leave `min_labels` out of this metric: one output is binary."
            if units == 1
            else f"Build this metric with min_labels={units} or less."
        )
        return (
            f"at least min_labels={obj.min_labels} labels per sample",
            "so fit stops at the first batch with a ValueError",
            fix,
        )
    if isinstance(obj, (RocAUC, _ConfusionMetric)):
        width, what = obj.num_labels, f"num_labels={obj.num_labels}"
    elif isinstance(obj, _ThresholdMetric) and isinstance(obj.threshold, tuple):
        width, what = len(obj.threshold), f"{len(obj.threshold)} per-output thresholds"
    elif isinstance(obj, LogitAdjustedAccuracy):
        width, what = len(obj.offsets), f"{len(obj.offsets)} classes (its offsets)"
    elif isinstance(obj, _AtK):
        if obj.k <= units:
            return None
        return f"the top k={obj.k} of at least {obj.k} outputs", crash, None
    elif isinstance(obj, TopKAccuracy):
        if units == 1:
            return (
                "a multiclass output (one unit per class)",
                "and the argmax of one unit is always class 0: it reports the share of "
                "label 0, not an accuracy",
                None,
            )
        if 1 < obj.k and units <= obj.k:
            return (
                f"the top k={obj.k} of more than {obj.k} classes",
                f"and among {units} classes every one is in the top {obj.k}: it is always 1.0",
                None,
            )
        return None
    else:
        return None
    return None if width == units else (what, crash, None)


#: Metrics that read one label column per output (one-hot or multi-hot rows): given class
#: ids on an output of several units they stop fit at the first batch with a shape error,
#: or (categorical_accuracy) compare every sample with the argmax of the batch's ids.
_COLUMN_METRICS = frozenset({
    "CategoricalAccuracy", "categorical_accuracy", "TopKCategoricalAccuracy",
    "top_k_categorical_accuracy", "BinaryAccuracy", "binary_accuracy", "AUC", "F1Score",
    "FBetaScore", "CategoricalCrossentropy", "categorical_crossentropy",
    "BinaryCrossentropy", "binary_crossentropy", "MeanSquaredError", "mean_squared_error",
    "MeanAbsoluteError", "mean_absolute_error", "ThresholdAccuracy", "ExactMatch",
    "ThresholdPrecision", "ThresholdRecall", "ThresholdF1", "RocAUC", "PrecisionAtK",
    "RecallAtK", "OneHotIoU", "OneHotMeanIoU", "RootMeanSquaredError", "CosineSimilarity",
    "cosine_similarity", "Hinge", "hinge", "SquaredHinge", "squared_hinge",
    "CategoricalHinge", "categorical_hinge", "Poisson", "poisson",
    "MeanSquaredLogarithmicError", "mean_squared_logarithmic_error",
    "MeanAbsolutePercentageError", "mean_absolute_percentage_error", "R2Score",
    "KLDivergence", "kl_divergence", "LogCoshError", "log_cosh",
})  # fmt: skip

_KERAS_TOP_K = (
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
)


def _keras_width_mismatch(resolved: str, obj: Any, units: int) -> tuple[str, str, str] | None:
    """Keras' argmax and top-k accuracies on an output they cannot score: (what they are
    built for, what happens, the fix), or None."""
    if units == 1 and resolved in _ARGMAX_METRICS:
        happens = (
            "the share of label 0, not an accuracy"
            if "parse" in resolved
            else "a number that is not an accuracy (1.0 for labels of shape (N, 1))"
        )
        return (
            "a multiclass output (one unit per class)",
            f"and the argmax of one unit is always class 0: it reports {happens}",
            "Use 'accuracy' (binary accuracy at 0.5 on one sigmoid unit) or the metrics of "
            f"`{_head_call(Task.BINARY, 1)}`.",
        )
    k = getattr(obj, "k", 5)
    if getattr(obj, "from_sorted_ids", False):  # the output holds the top ids, not scores
        return None
    if resolved in _KERAS_TOP_K and isinstance(k, int) and 1 < units <= k:
        sparse = "Sparse" if "parse" in resolved else ""
        return (
            f"the top k={k} of more than {k} classes",
            f"and among {units} classes every one is in the top {k}: it is always 1.0",
            f"Drop it, or pass a k below {units}: "
            f"`keras.metrics.{sparse}TopKCategoricalAccuracy(k={units - 1})`.",
        )
    return None


_ARGMAX_METRICS = (
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
)
_CLIPPING_METRICS = (
    "Precision",
    "Recall",
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
)


def _flat_metrics(metrics: Any) -> list[Any]:
    if metrics is None:
        return []
    if isinstance(metrics, (list, tuple)):
        flat: list[Any] = []
        for item in metrics:
            flat.extend(_flat_metrics(item))
        return flat
    return [metrics]


def _metrics_for(metrics: Any, index: int, output_name: str, n_outputs: int) -> list[Any]:
    if metrics is None:
        return []
    if n_outputs == 1:
        if isinstance(metrics, collections.abc.Mapping):
            return _flat_metrics(list(metrics.values()))
        return _flat_metrics(metrics)
    if isinstance(metrics, collections.abc.Mapping):
        return _flat_metrics(metrics.get(output_name))
    if isinstance(metrics, (list, tuple)) and len(metrics) == n_outputs:
        return _flat_metrics(metrics[index])
    return []


def _resolve_metric(
    identifier: Any, units: int | None, label_columns: int | None, family: str | None = None
) -> _Metric:
    """Resolve a metric identifier the way keras/src/trainers/compile_utils.py does
    (by the labels' shape; without labels, the loss says which shape they will have)."""
    name = identifier if isinstance(identifier, str) else _name_of(identifier)
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        if units == 1:
            resolved = "BinaryAccuracy"
        elif label_columns == 1 or (label_columns is None and family == "scce"):
            resolved = "SparseCategoricalAccuracy"
        else:
            resolved = "CategoricalAccuracy"  # (without labels: or the sparse one, both argmax)
        return _Metric(name, resolved, None)
    obj = identifier
    if isinstance(identifier, str):
        try:
            obj = keras.metrics.get(identifier)
        except (ValueError, TypeError):
            return _Metric(name, identifier, None)
    if isinstance(obj, keras.metrics.Metric):
        resolved = type(obj).__name__
    else:
        resolved = str(getattr(obj, "__name__", type(obj).__name__))
    return _Metric(name, resolved, obj)


def _describe_metrics(metrics: list[_Metric]) -> str:
    if not metrics:
        return "none"
    parts = []
    for metric in metrics:
        plain = metric.name.strip("'")
        parts.append(plain if plain == metric.resolved else f"{metric.name} -> {metric.resolved}")
    return ", ".join(parts)


def _compiled_metrics(model: Any) -> tuple[Any, Any]:
    """The metrics fit() will use (a later compile without metrics keeps the old ones)."""
    compiled = getattr(model, "_compile_metrics", None)
    if compiled is not None:
        return getattr(compiled, "_user_metrics", None), getattr(
            compiled, "_user_weighted_metrics", None
        )
    return None, None


# ----------------------------------------------------------------------------- fixes


def _head_call(
    task: Task | None, n: int | None, *, from_logits: bool = False, **options: Any
) -> str:
    if task is None:
        return "safeheads.classification_head(task, n)"
    args = [repr(task.value)]
    if task is not Task.BINARY:
        args.append(str(n) if n else "n")
    if from_logits:
        args.append("from_logits=True")
    args.extend(f"{key}={value!r}" for key, value in options.items())
    return f"safeheads.classification_head({', '.join(args)})"


def _use_head(task: Task | None, n: int | None, **options: Any) -> str:
    return (
        f"`layer, loss, metrics = {_head_call(task, n, **options)}` and "
        "`model.compile(optimizer, loss=loss, metrics=metrics)`"
    )


def _plain(task: Task | None, n: int | None) -> str:
    width = n if n else "n"
    if task is Task.BINARY:
        return "`Dense(1, activation='sigmoid')` with `loss='binary_crossentropy'`"
    if task is Task.MULTICLASS:
        return (
            f"`Dense({width}, activation='softmax')` with "
            "`loss='sparse_categorical_crossentropy'` (class ids) or "
            "`'categorical_crossentropy'` (one-hot rows)"
        )
    if task is Task.MULTILABEL:
        return f"`Dense({width}, activation='sigmoid')` with `loss='binary_crossentropy'`"
    return "a matching output layer and loss"


def _replace_with(task: Task | None, n: int | None, **options: Any) -> str:
    return f"use {_use_head(task, n, **options)}; in plain Keras: {_plain(task, n)}."


def _either(n: int | None) -> str:
    return (
        f"If each sample has exactly one class, {_replace_with(Task.MULTICLASS, n)} "
        f"If a sample can have several labels, {_replace_with(Task.MULTILABEL, n)}"
    )


# ----------------------------------------------------------------------------- labels


def _position(parsed: _Parsed, bad: np.ndarray) -> tuple[str, int]:
    index = int(np.flatnonzero(bad)[0])
    return f"y[{index}]={int(parsed.values[index])}", int(bad.sum())


def _two_values_fix(values: np.ndarray, units: int) -> str | None:
    """The fix for binary labels written as two ids other than 0/1 (e.g. 1 and 2)."""
    found = np.unique(values)
    if units != 1 or found.size != 2 or int(found[0]) < 1:
        return None
    low, high = (int(v) for v in found)
    return (
        f"If these are two classes written as {low} and {high}, map them to 0/1 "
        f"(y == {high}) or use safeheads.classification_head('binary', class_names=[{low}, "
        f"{high}]) and head.encode(y); if there are more classes, "
        + _replace_with(Task.MULTICLASS, high + 1)
    )


def _label_keys_finding(y: Any, outputs: list[_Output]) -> Finding | None:
    """SH208 for labels in a dict none of whose keys names an output: ``fit`` then fails at
    the first batch (Keras 3.15: "TypeError: Expected float32, but got <key> of type 'str'")."""
    names = [output.name for output in outputs]
    if not isinstance(y, collections.abc.Mapping) or not y or any(str(key) in names for key in y):
        return None
    keys = list(y)
    fix = "Key the labels by the outputs: y={" + ", ".join(f"{n!r}: ..." for n in names) + "}."
    layers = {output.layer.name for output in outputs if output.layer is not None}
    if all(key in layers for key in keys):
        fix += " A model whose outputs are a dict is keyed by the dict's keys, not its layers'."
    return Finding(
        "SH208",
        "error",
        f"The labels are a dict keyed {keys}, which name no output of the model, so fit() "
        f"stops at the first batch (this model's outputs: {names}).",
        fix,
    )


def _split_labels(
    y: Any, outputs: list[_Output], *, note_unknown_keys: bool = True
) -> tuple[list[Any], list[str]]:
    """The labels of each output, as Keras pairs them, and notes on labels left unchecked
    (``note_unknown_keys=False`` where a finding already says that no key names an output)."""
    names = [output.name for output in outputs]
    if y is None:
        return [None] * len(outputs), []
    if isinstance(y, collections.abc.Mapping):
        unknown = [key for key in y if key not in names]
        notes = []
        if unknown and note_unknown_keys:
            notes.append(
                f"the labels' keys {unknown} name no output of the model (outputs: {names}): "
                "those labels were not checked; key them by output name."
            )
        return [y.get(name) for name in names], notes
    if len(outputs) > 1:
        if isinstance(y, (list, tuple)) and len(y) == len(outputs):
            return list(y), []
        what = (
            f"a {type(y).__name__} of {len(y)} array{'s' * (len(y) != 1)}"
            if isinstance(y, (list, tuple))
            else f"one array of shape {_shape(y)}"
        )
        return [None] * len(outputs), [
            f"the model has {len(outputs)} outputs {names} but the labels are {what}: they "
            "were not checked; pass one array per output, as a list in output order or a dict "
            "keyed by output name."
        ]
    if isinstance(y, (list, tuple)) and len(y) == 1 and len(getattr(y[0], "shape", ())) >= 1:
        return [y[0]], []  # fit(x, [y]) on a single output: Keras unwraps it too
    return [y], []


# ----------------------------------------------------------------------------- the checks


class _OutputCheck:
    """All checks on one model output; collects findings in ``self.findings``."""

    def __init__(
        self,
        output: _Output,
        loss: _Loss | None,
        metrics: list[_Metric],
        y: Any,
        task: Task | None,
        *,
        labels_complete: bool,
        backend: str,
    ) -> None:
        self.out = output
        self.loss = loss
        self.metrics = metrics
        self.task = task
        self.labels_complete = labels_complete
        self.tf = backend == "tensorflow"
        self.findings: list[Finding] = []
        self.parsed: _Parsed | None = None
        self.label_error: LabelFormatError | None = None
        self.y_shape: tuple[int, ...] | None = None
        self.ignored = 0  # labels equal to the loss's ignore_class, left out of the checks
        # a loss safeheads does not recognise may take any target (regression values, soft
        # labels of a distillation): its labels are not judged as class labels
        self.labels_unjudged = y is not None and loss is not None and loss.family == "other"
        if y is not None and not self.labels_unjudged:
            self.y_shape = _shape(y)
            if loss is not None and loss.ignore_class is not None:
                y, self.ignored = _without_ignored(y, loss.ignore_class)
            try:
                self.parsed = None if y is None else parse_labels(y)
            except LabelFormatError as err:
                self.label_error = err
        self.family = self._family()

    # -- helpers --------------------------------------------------------------------------

    def add(self, code: str, message: str, fix: str) -> None:
        severity = CODES[code][0]
        self.findings.append(Finding(code, severity, message, fix, self.out.name))

    def has(self, *codes: str) -> bool:
        return any(f.code in codes for f in self.findings)

    @property
    def units(self) -> int | None:
        return self.out.units

    @property
    def act(self) -> str | None:
        return self.out.activation

    @property
    def label_columns(self) -> int | None:
        if self.y_shape is None or len(self.y_shape) == 0:
            return None
        return 1 if len(self.y_shape) == 1 else int(self.y_shape[-1])

    def _family(self) -> str | None:
        """The loss family after Keras' resolution; ``None`` when there is no loss."""
        if self.loss is None:
            return None
        if self.loss.family == "auto":
            if self.units == 1:
                return "bce"
            if self.label_columns == 1:
                return "scce"
            if self.label_columns is not None:
                return "cce"
            return "categorical"  # cce or scce: Keras picks by the label shape
        return self.loss.family

    @property
    def trusted(self) -> bool:
        """A safeheads loss made for this safeheads HeadLayer: matching by construction."""
        head, loss = self.out.head, self.loss
        if head is None or loss is None or not loss.safeheads:
            return False
        family = "bce"
        if head.task is Task.MULTICLASS:
            family = "cce" if head.labels == "one_hot" else "scce"
        return loss.family == family and loss.from_logits == bool(head.from_logits)

    @property
    def crossentropy(self) -> bool:
        return self.family in ("bce", "cce", "scce", "categorical")

    @property
    def from_logits(self) -> bool | None:
        if self.loss is None:
            return None
        return self.loss.from_logits

    def guess_task(self) -> Task | None:
        """The task the user most likely means, for fixes and for the metric checks."""
        if self.task is not None:
            return self.task
        head = self.out.head
        if head is not None:
            return head.task
        parsed = self.parsed
        if parsed is not None and parsed.format == "multi-hot":
            return Task.MULTILABEL
        if parsed is not None and parsed.format in ("sparse", "one-hot") and (self.units or 0) != 1:
            return Task.MULTICLASS
        return self.model_task()

    def model_task(self) -> Task | None:
        if self.units == 1:
            return Task.BINARY
        if self.act == "softmax":
            return Task.MULTICLASS
        if self.act == "sigmoid":
            return (
                Task.MULTICLASS
                if self.family in ("cce", "scce", "categorical")
                else Task.MULTILABEL
            )
        if self.act in _LOGITS:
            if self.family == "bce":
                return Task.MULTILABEL
            if self.family in ("cce", "scce", "categorical"):
                return Task.MULTICLASS
        return None

    def guess_n(self) -> int | None:
        parsed = self.parsed
        if parsed is not None and parsed.format in ("sparse", "one-hot", "multi-hot"):
            if parsed.format == "sparse" and self.units and self.units > parsed.n:
                return self.units
            return parsed.n
        return self.units

    def options(self, task: Task | None = None) -> dict[str, str]:
        """``labels='one_hot'`` for a multiclass fix when the labels or loss are one-hot."""
        task = task if task is not None else self.guess_task()
        one_hot = self.family == "cce" or (
            self.parsed is not None and self.parsed.format == "one-hot"
        )
        head = self.out.head
        if head is not None and head.task is Task.MULTICLASS:
            one_hot = head.labels == "one_hot"
        return {"labels": "one_hot"} if task is Task.MULTICLASS and one_hot else {}

    def multilabel(self) -> bool:
        """Whether the output is used for several labels per sample (for the metric checks)."""
        if self.task is not None:
            return self.task is Task.MULTILABEL
        head = self.out.head
        if head is not None:
            return head.task is Task.MULTILABEL
        if self.parsed is not None and self.parsed.format in ("one-hot", "multi-hot"):
            return self.parsed.format == "multi-hot"  # the labels say what the rows are
        return self.model_task() is Task.MULTILABEL and (self.units or 0) > 1

    def loss_name(self) -> str:
        return self.loss.name if self.loss is not None else "the loss"

    # -- SH1xx: the output layer ----------------------------------------------------------

    def check_layer(self) -> None:
        act, units = self.act, self.units
        if act == "softmax" and units == 1:
            if self.crossentropy and self.tf:
                tail = (
                    "; on the TensorFlow backend the loss still falls because Keras computes it "
                    "from the logit under the softmax, while predict() returns 1.0 for every sample"
                )
            elif self.crossentropy:
                tail = "; the loss cannot fall because the output never changes"
            else:
                tail = ""
            self.add(
                "SH101",
                "Softmax over 1 unit always outputs 1.0, so the model can never predict the "
                f"negative class{tail}.",
                "For one yes/no output (a sigmoid), " + _replace_with(Task.BINARY, None),
            )
        if act in _NOT_SCORES and self.crossentropy:
            task = self.guess_task()
            self.add(
                "SH102",
                f"The output activation {act!r} gives neither probabilities (sigmoid, softmax) "
                "nor free logits (linear), so the crossentropy reads values it was not built for "
                "and the model learns poorly or not at all.",
                "For a sigmoid/softmax output (or a linear one with from_logits=True), "
                + _replace_with(task, self.guess_n(), **self.options(task)),
            )
        for layer_name, dtype, policy in self.out.low_precision[:1]:
            tail = (
                ", and Keras on TensorFlow can no longer reuse the logits under the activation "
                "for a stable crossentropy"
                if self.tf and act in _PROBABILITIES
                else ""
            )
            self.add(
                "SH103",
                f"The output layer {layer_name!r} computes in {dtype} under the {policy!r} dtype "
                f"policy, so its scores lose precision and probabilities saturate at 0 and 1"
                f"{tail}.",
                "Keep the output layer float32; safeheads heads do: pass `dtype='float32'` to the "
                "output layer (and to an activation layer after it), or "
                + _replace_with(self.guess_task(), self.guess_n(), **self.options()),
            )

    # -- SH2xx: the loss against the output -----------------------------------------------

    def check_loss(self) -> None:
        if self.loss is None or self.trusted:
            return
        act, units, family = self.act, self.units, self.family
        task, n = self.guess_task(), self.guess_n()
        loss = self.loss_name()
        if family == "unusable":
            assert self.loss is not None
            why = "no Keras loss has that name" if self.loss.unusable == "name" else "not callable"
            self.add(
                "SH207",
                f"Keras cannot use the loss {loss} ({why}), so fit() stops at the first batch "
                "(Could not interpret loss identifier).",
                "Pass the head's loss, not the head: `model.compile(optimizer, loss=head.loss, "
                "metrics=head.metrics)` (a Head unpacks as layer, loss, metrics)."
                if self.loss.unusable == "head"
                else "Pass a loss Keras knows; " + _replace_with(task, n, **self.options(task)),
            )
            return
        if family == "other":
            self.add(
                "SH206",
                f"The loss {loss} is not a classification crossentropy that safeheads "
                "recognises, so it cannot check it against the output layer; if it is not a "
                "crossentropy at all, training may be slow or biased (squared error gives "
                "vanishing gradients on confident mistakes).",
                "For the crossentropy that matches the output, "
                + _replace_with(task, n, **self.options(task)),
            )
            return
        if self.has("SH101"):
            return
        from_logits = self.from_logits
        if from_logits is False and act in _LOGITS:
            self.add(
                "SH201",
                f"The output is linear (logits) but {loss} has from_logits=False, so Keras clips "
                "the raw outputs to [1e-7, 1 - 1e-7]: outputs outside (0, 1) get no gradient, "
                "training stalls or learns a poor model, and predict() returns unbounded scores, "
                "not probabilities.",
                f"Pass from_logits=True to the loss (e.g. `{_logits_loss(family)}`), or give the "
                "output layer its activation; safeheads keeps both in step: "
                + _use_head(task, n, from_logits=True, **self.options(task))
                + ".",
            )
        if from_logits is True and act in _PROBABILITIES:
            if self.tf:
                what = (
                    f", so Keras on TensorFlow warns and silently uses the logits under the {act}; "
                    f"the same model applies {act} twice on JAX and PyTorch and stops learning"
                )
            else:
                what = (
                    f", so the loss applies {act} a second time: scores are squashed into a "
                    "narrow band and training stalls"
                )
            self.add(
                "SH202",
                f"The output already applies {act} but {loss} has from_logits=True{what}.",
                f"Use from_logits=False with this output (e.g. `{_probs_loss(family)}`), or make "
                "the output linear; consistently: "
                + _use_head(task, n, **self.options(task))
                + " (or with from_logits=True for a linear output).",
            )
        if act == "sigmoid" and (units or 0) > 1 and family in ("cce", "scce", "categorical"):
            if self.tf:
                what = (
                    "on the TensorFlow backend Keras computes it from the logits under the "
                    "sigmoid, so training optimises a softmax that predict() never returns (the "
                    "scores do not sum to 1), and on JAX or PyTorch the loss divides the sigmoid "
                    "scores by their sum instead"
                )
            else:
                what = (
                    "the loss divides the sigmoid scores by their sum instead of applying a "
                    "softmax, so the scores are not class probabilities"
                )
            self.add(
                "SH203",
                f"{units} independent sigmoid units are trained with {loss}: {what}.",
                self._choose_fix(task, n, prefer_one_hot=family == "cce"),
            )
        if act in ("softmax", "log_softmax") and (units or 0) > 1 and family == "bce":
            if self.tf:
                what = (
                    "on the TensorFlow backend Keras computes it from the logits under the "
                    "softmax, so each unit is trained as an independent sigmoid while predict() "
                    "returns softmax scores that sum to 1: at a 0.5 threshold at most one label "
                    "is ever predicted"
                )
            else:
                what = (
                    "binary crossentropy treats each softmax score as an independent yes/no "
                    "probability, but softmax scores compete and sum to 1, so at most one label "
                    "can pass 0.5"
                )
            self.add(
                "SH204",
                f"The {units}-unit softmax output is trained with binary crossentropy: {what}.",
                self._choose_fix(task, n, prefer_one_hot=True),
            )
        if units == 1 and family in ("cce", "scce") and act != "softmax":
            if family == "cce":
                what = (
                    "the only class always has probability 1, so the loss is 0 and nothing is "
                    "learned"
                )
            else:
                what = (
                    "the only valid class id is 0, so label 1 is out of range (an error on CPU "
                    "TensorFlow, NaN with XLA, zero loss on JAX)"
                )
            self.add(
                "SH205",
                f"{loss} over a single output unit treats it as a 1-class softmax: {what}.",
                "For one yes/no output (binary crossentropy), " + _replace_with(Task.BINARY, None),
            )

    def _choose_fix(self, task: Task | None, n: int | None, *, prefer_one_hot: bool) -> str:
        if task is Task.MULTILABEL:
            return "For several labels per sample, " + _replace_with(task, n)
        if task is Task.MULTICLASS:
            options = {"labels": "one_hot"} if prefer_one_hot and self._one_hot_labels() else {}
            return "For one class per sample, " + _replace_with(task, n, **options)
        return _either(n)

    def _one_hot_labels(self) -> bool:
        return self.parsed is not None and self.parsed.format == "one-hot"

    # -- SH3xx: metrics -------------------------------------------------------------------

    def check_metrics(self) -> None:
        if not self.metrics:
            return
        multilabel = self.multilabel()
        n = self.guess_n()
        if n is not None and n < 2:
            n = None  # a one-unit output told task='multilabel' (SH501): the fix names `n`
        logits = self.act in _LOGITS
        probabilities = self.act in _PROBABILITIES
        # the fixes' metrics read the output's own scale: a linear output gives logits
        head = _head_call(Task.MULTILABEL, n, **({"from_logits": True} if logits else {}))
        from_logits = "from_logits=True, " if logits else ""
        # Keras' F1Score takes thresholds in (0, 1] only: it cannot cut logits at 0
        keras_f1 = (
            "; Keras' F1Score cuts probabilities only"
            if logits
            else ", or `keras.metrics.F1Score(average='micro', threshold=0.5)`"
        )
        # class ids (by the labels, or without labels by a sparse loss) on several units
        class_ids = (
            (self.units or 0) > 1
            and (self.out.rank or 2) <= 2
            and (
                self.parsed.format in ("sparse", "binary-column")
                if self.parsed is not None
                else self.family == "scce"
            )
        )
        for metric in self.metrics:
            resolved, obj = metric.resolved, metric.obj
            one_hot_accuracy = isinstance(obj, TopKAccuracy) and not obj.sparse
            if class_ids and (
                resolved in _COLUMN_METRICS or resolved in _CLIPPING_METRICS or one_hot_accuracy
            ):
                why = (
                    "a sparse loss"
                    if self.parsed is None
                    else f"shape {tuple(self.parsed.values.shape)}"
                )
                self.add(
                    "SH307",
                    f"The metric {metric.name} ({resolved}) reads one label column per output, "
                    f"but the labels are class ids ({why}) and the output has {self.units} "
                    "units: fit stops at the first batch with a shape error, or the metric "
                    "reports a number that is not what it names (categorical accuracy compares "
                    "every sample with the argmax of the whole batch's ids).",
                    "Use metrics that read class ids: 'sparse_categorical_accuracy', or the "
                    f"metrics of `{_head_call(Task.MULTICLASS, self.units)}`"
                    + (
                        "."
                        if self.loss is not None and self.loss.ignore_class is not None
                        else "; or one-hot encode the labels, "
                        f"`safeheads.to_categorical(y, {self.units})`, with a categorical loss."
                    ),
                )
                continue
            mismatch = None if self.units is None else _width_mismatch(obj, self.units)
            if mismatch is not None:
                what, happens, fix = mismatch
                self.add(
                    "SH306",
                    f"The metric {metric.name} was built for {what}, but this output has "
                    f"{self.units} unit{'s' * (self.units != 1)}, {happens}.",
                    fix
                    or "Give each output the metrics of its own head (`head.metrics` of the "
                    "head whose layer it is); with several outputs, pass metrics as a dict "
                    "keyed by output name so that no list is paired with another output.",
                )
                continue
            keras_mismatch = (
                None
                if self.units is None or multilabel
                else _keras_width_mismatch(resolved, obj, self.units)
            )
            if keras_mismatch is not None:
                what, happens, fix = keras_mismatch
                self.add(
                    "SH306",
                    f"The metric {metric.name} ({resolved}) is built for {what}, but this output "
                    f"has {self.units} unit{'s' * (self.units != 1)}, {happens}.",
                    fix,
                )
                continue
            if multilabel and resolved in _ARGMAX_METRICS:
                via = (
                    f"resolves to {resolved} here"
                    if metric.name.lower() in ("accuracy", "acc")
                    else f"is {resolved}"
                )
                self.add(
                    "SH301",
                    f"The metric {metric.name} {via}, which on a multilabel output compares the "
                    "argmax of the scores with the argmax of the labels, so it scores one label "
                    "per sample (the first positive one) and ignores all the others.",
                    f"Use exact match and F1: the metrics of `{head}` (ExactMatch, "
                    f"ThresholdF1, ...){keras_f1}.",
                )
                continue
            if multilabel and resolved in ("BinaryAccuracy", "binary_accuracy"):
                baseline = ""
                if self.parsed is not None and self.parsed.format == "multi-hot":
                    rate = float(self.parsed.values.mean())
                    baseline = f" ({100 * (1 - rate):.1f}% on these labels)"
                self.add(
                    "SH302",
                    f"The metric {metric.name} on a multilabel output is the share of correct "
                    "label cells, so a model that predicts no label at all scores 1 minus the "
                    f"share of positive cells{baseline}.",
                    "Report it under an honest name, "
                    f"`safeheads.ThresholdAccuracy({from_logits}name='label_accuracy')`, and "
                    f"judge the model by exact match and F1: the metrics of `{head}`.",
                )
                continue
            if (
                multilabel
                and resolved in ("F1Score", "FBetaScore")
                and obj is not None
                and getattr(obj, "threshold", None) is None
            ):
                self.add(
                    "SH304",
                    f"The metric {metric.name} has threshold=None, so it marks only the "
                    "argmax of each row as positive and can never credit a sample with "
                    "several labels.",
                    (
                        f"Use the ThresholdF1 metrics of `{head}`: Keras' {resolved} takes "
                        "probability thresholds only, and this output gives logits."
                    )
                    if logits
                    else f"Pass a threshold, `keras.metrics.{resolved}(average='micro', "
                    "threshold=0.5)`, or use the ThresholdF1 metrics of "
                    f"`{head}`.",
                )
                continue
            if resolved == "Accuracy":
                task = Task.MULTILABEL if multilabel else self.guess_task()
                options = {"from_logits": True} if logits else {}
                head_call = _head_call(task, self.guess_n(), **options)
                if task is Task.MULTILABEL:
                    instead = "Use"
                elif task is Task.BINARY and logits:
                    instead = (
                        "Pass `keras.metrics.BinaryAccuracy(threshold=0.0)` instead (it cuts "
                        "logits at 0), or use"
                    )
                else:
                    instead = (
                        "Pass the string 'accuracy' instead (Keras picks the accuracy that "
                        "fits the output's shape), or use"
                    )
                self.add(
                    "SH305",
                    f"The metric {metric.name} is keras.metrics.Accuracy, which counts the "
                    "samples whose label equals the raw output exactly: on scores it reports "
                    "about 0 whatever the model learns (with one output per class the shapes "
                    "differ and fit stops at the first batch).",
                    f"{instead} the metrics of `{head_call}`.",
                )
                continue
            self._check_metric_scale(metric, logits=logits, probabilities=probabilities)

    def _check_metric_scale(self, metric: _Metric, *, logits: bool, probabilities: bool) -> None:
        resolved, obj = metric.resolved, metric.obj
        metric_logits = _metric_from_logits(obj)
        task, n = self.guess_task(), self.guess_n()
        threshold: float | None = None  # the probability threshold of a thresholding metric
        if resolved in ("BinaryAccuracy", "binary_accuracy"):
            threshold = float(getattr(obj, "threshold", 0.5)) if obj is not None else 0.5
        elif resolved in ("F1Score", "FBetaScore") and obj is not None:
            value = getattr(obj, "threshold", None)
            threshold = float(value) if isinstance(value, (int, float)) else None
        clipping = resolved in _CLIPPING_METRICS
        cuts: list[float] = []  # several thresholds compared with the raw scores
        if resolved in _CLIPPING_METRICS[:6]:  # Precision ... FalseNegatives: `thresholds`
            if getattr(obj, "top_k", None) is not None:
                return  # the k highest scores: the same on logits and probabilities
            # Keras clips the scores to [0, 1] only for 3 or more evenly spaced thresholds;
            # other thresholds (0.5 by default) are compared with the raw scores.
            values = [float(v) for v in (getattr(obj, "thresholds", None) or [0.5])]
            clipping = bool(getattr(obj, "_thresholds_distributed_evenly", False))
            if len(values) == 1 and not clipping:
                threshold = values[0]
            elif not clipping:
                cuts = values
        if logits:
            detail = None
            if threshold is not None:
                if threshold != 0:
                    cut = 1 / (1 + math.exp(-min(max(threshold, -700.0), 700.0)))
                    detail = f"it cuts logits at {threshold:g}, i.e. at probability {cut:.2f}"
                    if 0 < threshold < 1:
                        detail += f" instead of {threshold:g}"
            elif cuts:
                detail = f"it cuts logits at {[round(c, 4) for c in cuts]}, read as probabilities"
            elif clipping or (resolved == "AUC" and metric_logits is False):
                detail = (
                    "it clips the scores to [0, 1], so every negative logit counts as 0 and "
                    "every logit above 1 as 1"
                )
            elif metric_logits is False:
                detail = "it has from_logits=False, so it reads each logit as a probability"
            if detail:
                self.add(
                    "SH303",
                    f"The metric {metric.name} reads the output as probabilities, but the output "
                    f"is linear (logits): {detail}.",
                    "Use metrics that read logits: `keras.metrics.AUC(from_logits=True)`, "
                    "`keras.metrics.BinaryAccuracy(threshold=0.0)`, or the metrics of "
                    f"`{_head_call(task, n, from_logits=True)}`.",
                )
        elif probabilities and threshold is not None and not 0 < threshold < 1:
            every = "positive" if threshold <= 0 else "negative"
            self.add(
                "SH303",
                f"The metric {metric.name} cuts the output at threshold={threshold:g}, but the "
                f"output applies {self.act} (probabilities in [0, 1]): it counts every output "
                f"as {every}.",
                "Pass a probability threshold in (0, 1), e.g. threshold=0.5 (0 is the matching "
                f"cut for logits), or use the metrics of `{_head_call(task, n)}`.",
            )
        elif probabilities and metric_logits is True:
            effect = (
                "it applies a softmax to probabilities, which pulls every row toward uniform"
                if "Categorical" in resolved
                else "it reads probabilities as logits: after its sigmoid every score lies in "
                "[0.5, 0.73]"
            )
            self.add(
                "SH303",
                f"The metric {metric.name} has from_logits=True but the output applies "
                f"{self.act}: {effect}.",
                f"Pass from_logits=False to the metric, or use the metrics of "
                f"`{_head_call(task, n)}`.",
            )

    # -- SH4xx: labels --------------------------------------------------------------------

    def check_class_weight(self, class_weight: collections.abc.Mapping[Any, Any]) -> None:
        """``fit(class_weight=...)``: a multilabel output, or weights far from a mean of 1."""
        parsed = self.parsed
        if self.multilabel() or (parsed is not None and parsed.format == "multi-hot"):
            self.add(
                "SH410",
                "fit(class_weight=...) weighs each sample by one class, the argmax of its "
                "label row, but a multilabel sample has several labels or none: Keras weighs "
                "each multi-hot row by its first label only, silently.",
                "Drop class_weight and weigh each label's positives in the loss: `"
                + _head_call(Task.MULTILABEL, self.guess_n())[:-1]
                + ", prior=y_train, pos_weight='balanced')` (y_train: the training labels; or "
                "a vector of per-label weights).",
            )
            return
        # The mean weight per sample needs every label: balanced weights average 1 over
        # all samples, not over one batch nor over the classes.
        if not self.labels_complete or parsed is None:
            return
        if parsed.format not in ("binary-column", "sparse", "one-hot"):
            return
        # Keras looks each sample's class id up in the dict: other keys are never used.
        weights = {
            int(key): float(value)
            for key, value in class_weight.items()
            if isinstance(key, (int, np.integer)) and not isinstance(key, bool)
        }
        counts = _class_counts(parsed)  # Keras weighs a one-hot row by its argmax
        per_class = np.array([weights.get(i, 1.0) for i in range(counts.size)])
        mean = float((counts * per_class).sum() / counts.sum())
        if 0.1 <= mean <= 10.0:
            return
        self.add(
            "SH411",
            f"class_weight averages {mean:.3g} per sample of these labels (weights such as "
            f"1/count), so it scales "
            f"the loss and every gradient by about {mean:.3g}: with SGD the steps shrink (or "
            "grow) by that much and training stalls (or diverges); Adam and other adaptive "
            "optimizers mostly undo the scale.",
            "Use balanced weights, whose mean per sample is 1: "
            "`model.fit(..., class_weight=safeheads.class_weight(y))`.",
        )

    def check_labels(self) -> None:
        if self.label_error is not None:
            soft = (
                " Soft targets on purpose (mixup, CutMix, distillation) are not judged: guard "
                "the hard labels they are made from instead, in the format the loss takes "
                "(e.g. one-hot rows), `safeheads.HeadGuard(labels=y_hard)`."
                if any(
                    kind in str(self.label_error)
                    for kind in ("look like soft labels", "look like probabilities")
                )
                else ""
            )
            self.add(
                "SH401",
                f"The labels cannot be trained on: {self.label_error}",
                "Fix the labels as the message says; `safeheads.describe_labels(y)` names "
                f"the first bad value of each kind.{soft}",
            )
            return
        parsed = self.parsed
        if parsed is None:
            return
        fmt, units, family, act = parsed.format, self.units, self.family, self.act
        if fmt in ("class-names", "label-lists"):
            what = "class names" if fmt == "class-names" else "one list of labels per sample"
            self.add(
                "SH408",
                f"The labels are {what}, which fit() cannot take: Keras needs numbers "
                "shaped like the output, and the loss fails or misreads anything else.",
                "The output's head knows its class names: encode the labels with it for fit, "
                "and check what fit gets: `model.fit(x, head.encode(y))`, "
                "`safeheads.check(model, head.encode(y))`, "
                "`HeadGuard(labels=head.encode(y))`."
                if self.out.head is not None and self.out.head.class_names is not None
                else "Encode them with a head that knows the class names: "
                "`head = safeheads.Head.from_labels(y)`, then `model.fit(x, head.encode(y))`.",
            )
            return
        if units is None:
            return
        if family == "bce":
            self._check_binary_targets(parsed, units)
        elif fmt == "multi-hot":
            self._check_multi_hot(parsed, units)
        elif fmt == "one-hot":
            width = int(parsed.values.shape[1])
            if family == "scce":
                self.add(
                    "SH407",
                    f"{self.loss_name()} expects class ids but the labels are one-hot rows (shape "
                    f"{self.y_shape}), so Keras stops at the first batch with a shape error.",
                    "Use `loss='categorical_crossentropy'` with one-hot rows ("
                    + _use_head(Task.MULTICLASS, width, labels="one_hot")
                    + "), or convert them with `safeheads.to_sparse(y)`.",
                )
            if width != units:
                target = Task.BINARY if width == 2 and units == 1 else Task.MULTICLASS
                self._width(f"{width} columns", units, target, width, parsed)
        else:
            self._check_ids(parsed, units)
        if not self.labels_complete or any(
            f.code.startswith("SH4") and f.severity == "error" for f in self.findings
        ):
            return  # suspicious-label warnings need all labels, and well-formed ones
        single_choice = family in ("cce", "scce", "categorical") or act == "softmax"
        if fmt in ("binary-column", "sparse") and single_choice and units > parsed.n:
            self._suspicious(dataclasses.replace(parsed, format="sparse", n=units))
        else:
            self._suspicious(parsed)

    def _check_binary_targets(self, parsed: _Parsed, units: int) -> None:
        """Binary crossentropy: 0/1 cells, one column per output unit."""
        fmt = parsed.format
        if fmt == "sparse":
            top = int(parsed.values.max())
            where, count = _position(parsed, parsed.values > 1)
            self.add(
                "SH402",
                "Binary crossentropy expects 0/1 targets but the labels hold class ids up to "
                f"{top} ({where}, {count} of {parsed.n_samples} values above 1), so the loss goes "
                "negative and falls without bound while the model learns nothing useful.",
                _two_values_fix(parsed.values, units)
                or f"These are {top + 1} classes; "
                + _replace_with(Task.MULTICLASS, max(top + 1, units)),
            )
        elif fmt == "binary-column":
            if units > 1:
                self._width("1 column of 0/1 labels", units, self.guess_task(), units, parsed)
        else:
            width = int(parsed.values.shape[1])
            if width != units:
                target = Task.BINARY if width == 2 and units == 1 else self.guess_task()
                self._width(f"{width} columns", units, target, width, parsed)

    def _check_multi_hot(self, parsed: _Parsed, units: int) -> None:
        """Multi-hot rows on a model whose loss is not binary crossentropy."""
        family, act = self.family, self.act
        width = int(parsed.values.shape[1])
        if family == "cce":
            self._not_one_hot(parsed)
        elif family in ("scce", "categorical") or act in ("softmax", "log_softmax"):
            rows = parsed.values.sum(axis=1)
            count = int((rows != 1).sum())
            what = "softmax output" if act == "softmax" else f"loss {self.loss_name()}"
            self.add(
                "SH406",
                f"The labels are multi-hot ({count} of {parsed.n_samples} rows hold no label or "
                f"several), but the {what} picks exactly one class per sample, so the model "
                "cannot learn to predict several labels at once.",
                "For several labels per sample, " + _replace_with(Task.MULTILABEL, width),
            )
        if width != units:
            self._width(f"{width} columns", units, Task.MULTILABEL, width, parsed)

    def _check_ids(self, parsed: _Parsed, units: int) -> None:
        """One class id per sample (binary-column or sparse) on a non-BCE model."""
        family, act = self.family, self.act
        top = int(parsed.values.max())
        if family == "cce" and not self.has("SH101", "SH205"):
            self.add(
                "SH407",
                f"{self.loss_name()} expects one-hot rows but the labels are class ids "
                f"(shape {self.y_shape}), so Keras stops at the first batch with a shape error.",
                "Use `loss='sparse_categorical_crossentropy'` with class ids ("
                + _use_head(Task.MULTICLASS, max(units, top + 1))
                + "), or one-hot encode them with "
                f"`safeheads.to_categorical(y, {units})`.",
            )
        if (
            units > 1
            and top >= units
            and (family in ("cce", "scce", "categorical") or act in ("softmax", "log_softmax"))
        ):
            self._out_of_range(parsed, units, top)
        elif units == 1 and parsed.format == "sparse" and not self.has("SH101", "SH205"):
            self._width(f"{top + 1} classes", units, Task.MULTICLASS, top + 1, parsed)
        elif units > 1 and act == "sigmoid" and family not in ("cce", "scce", "categorical"):
            self._width("1 column of labels", units, self.guess_task(), units, parsed)

    def _suspicious(self, parsed: _Parsed) -> None:
        message = _suspicious(parsed)
        if message:
            self.add(
                "SH409",
                message,
                "Check that these are the full training labels; `safeheads.describe_labels(y)` "
                "describes them, and a class the data never shows cannot be learned.",
            )

    def _width(
        self, labels: str, units: int, task: Task | None, n: int | None, parsed: _Parsed
    ) -> None:
        if self.has("SH404"):
            return
        if parsed.format == "one-hot" and parsed.n == 2 and units == 1:
            fix = (
                "Pass the positive column `y[:, 1]`, or encode with the head: "
                "`head = safeheads.classification_head('binary')`, `model.fit(x, head.encode(y))`."
            )
        else:
            fix = f"Fix the labels, or build the output with {n} units; " + _replace_with(
                task, n, **self.options(task)
            )
        if self.out.rank is None:  # not built: per-timestep scores would take such labels
            fix += (
                " If the output scores each timestep, build the model with keras.Input so "
                "that the check sees its rank."
            )
        self.add(
            "SH404",
            f"The labels have {labels} but the output has {units} unit{'s' * (units != 1)}, so "
            "the loss compares mismatched shapes: Keras stops with a shape error at the first "
            "batch or silently broadcasts the labels.",
            fix,
        )

    def _not_one_hot(self, parsed: _Parsed) -> None:
        rows = parsed.values.sum(axis=1)
        bad = rows != 1
        first = int(np.flatnonzero(bad)[0])
        width = int(parsed.values.shape[1])
        self.add(
            "SH405",
            f"Categorical crossentropy expects one-hot rows, but {int(bad.sum())} of "
            f"{parsed.n_samples} label rows hold no 1 or several 1s (y[{first}] sums to "
            f"{int(rows[first])}), so the loss spreads each target over several classes that a "
            "softmax must share.",
            "If each sample has one class, fix those rows; if a sample can have several labels, "
            + _replace_with(Task.MULTILABEL, width),
        )

    def _out_of_range(self, parsed: _Parsed, units: int, top: int) -> None:
        where, count = _position(parsed, parsed.values >= units)
        hint = (
            " (the labels seem to start at 1: subtract 1)"
            if int(parsed.values.min()) >= 1 and top == units
            else ""
        )
        self.add(
            "SH403",
            f"The output has {units} units, so class ids must be in [0, {units}), but {where} "
            f"({count} of {parsed.n_samples} values out of range): sparse categorical "
            "crossentropy raises on CPU TensorFlow and PyTorch, gives NaN with XLA, and "
            "silently adds zero loss on JAX.",
            f"Fix those labels{hint}, or build the output with {top + 1} units; "
            + _replace_with(Task.MULTICLASS, top + 1),
        )

    # -- SH5xx: the task the user says ----------------------------------------------------

    def check_task(self) -> None:
        task = self.task
        if task is None:
            return
        units, act, family = self.units, self.act, self.family
        head = self.out.head
        n = self.guess_n()
        description = f"{units} {act or 'unknown-activation'} unit{'s' * (units != 1)}"
        problem = None
        if head is not None:
            if head.task is not task and not {head.task, task} <= {Task.BINARY, Task.MULTICLASS}:
                problem = f"the output is a safeheads {head.task.value} head ({description})"
            elif head.task is Task.MULTICLASS and task is Task.BINARY and head.n > 2:
                problem = f"the output is a {head.n}-class head"
        elif units is not None:
            if task is Task.BINARY and units > 2:
                problem = f"the output has {description}, one per class"
            elif task is Task.BINARY and units == 2 and act == "sigmoid":
                problem = None
            elif task is not Task.BINARY and units == 1:
                problem = "the output has a single unit and can only say yes or no"
            elif task is Task.MULTILABEL and (
                act in ("softmax", "log_softmax") or family in ("cce", "scce")
            ):
                problem = (
                    f"the output ({description}, loss {self.loss_name()}) picks exactly one "
                    "class per sample"
                )
            elif (
                task is Task.MULTICLASS
                and act == "sigmoid"
                and family in ("bce", None)
                and units > 1
            ):
                self.add(
                    "SH503",
                    f"task='multiclass' but the output is {units} independent sigmoid units"
                    + (" trained with binary crossentropy" if family == "bce" else "")
                    + ", so the scores do not sum to 1 and a sample can get several classes or "
                    "none at a 0.5 threshold.",
                    "For one class per sample, " + _replace_with(Task.MULTICLASS, units),
                )
        if problem is not None:
            width = None if task is Task.BINARY or n is None or n < 2 else n
            fix = "Build the model for the task"
            if width is None and task is not Task.BINARY:
                what = "labels" if task is Task.MULTILABEL else "classes"
                fix += f", with n the number of {what} (>= 2)"
            fix += "; " + _replace_with(task, width, **self.options(task))
            if width is None and task is not Task.BINARY:
                fix += " If each sample is one yes/no, the task is 'binary'."
            self.add(
                "SH501", f"task={task.value!r} cannot be learned by this model: {problem}.", fix
            )
        parsed = self.parsed
        if parsed is None or parsed.format in ("class-names", "label-lists"):
            return
        fmt = parsed.format
        mismatch = (
            (task is Task.BINARY and fmt in ("sparse", "multi-hot"))
            or (task is Task.BINARY and fmt == "one-hot" and parsed.n > 2)
            or (task is Task.MULTICLASS and fmt == "multi-hot")
            or (task is Task.MULTILABEL and fmt in ("binary-column", "sparse"))
        )
        if mismatch:
            labels_task = parsed.task
            if parsed.format == "one-hot":
                labels_task = Task.MULTICLASS
            self.add(
                "SH502",
                f"task={task.value!r} but the labels are {fmt} labels of task "
                f"{labels_task.value!r} (n={parsed.n}), so the model would be trained for a "
                "different problem than the data poses.",
                f"Pass task={labels_task.value!r} if the labels are right, or fix the labels; for "
                "these labels, "
                + _replace_with(labels_task, parsed.n if labels_task is not Task.BINARY else None),
            )


def _without_ignored(y: Any, ignore_class: int) -> tuple[Any, int]:
    """Class ids without those equal to ``ignore_class`` (which the loss skips), and how
    many were left out (None when all were); other labels are returned as they are."""
    try:
        array = np.asarray(y)
    except (ValueError, TypeError):
        return y, 0
    if array.dtype.kind not in "iuf" or not (
        array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1)
    ):
        return y, 0
    keep = array.reshape(-1) != ignore_class
    if not keep.any():
        return None, keep.size  # every label ignored: nothing to check
    return array[keep], int(keep.size - keep.sum())


def _is_ragged(y: Any) -> bool:
    if isinstance(y, (list, tuple)) and y and isinstance(y[0], (list, tuple, set, frozenset)):
        lengths = {len(row) if isinstance(row, (list, tuple, set, frozenset)) else -1 for row in y}
        return len(lengths) > 1 or isinstance(y[0], (set, frozenset))
    return isinstance(y, np.ndarray) and y.dtype == object


def _shape(y: Any) -> tuple[int, ...] | None:
    """The shape of a label array; None for ragged lists or object arrays."""
    if _is_ragged(y):
        return None
    try:
        return tuple(int(d) for d in np.shape(y))
    except (ValueError, TypeError):
        return None


def _metric_from_logits(obj: Any) -> bool | None:
    if obj is None or not isinstance(obj, keras.metrics.Metric):
        return None
    for attribute in ("from_logits", "_from_logits"):
        value = getattr(obj, attribute, None)
        if isinstance(value, bool):
            return value
    return None


def _logits_loss(family: str | None) -> str:
    name = {
        "bce": "BinaryCrossentropy",
        "cce": "CategoricalCrossentropy",
        "scce": "SparseCategoricalCrossentropy",
    }.get(family or "", "CategoricalCrossentropy")
    return f"keras.losses.{name}(from_logits=True)"


def _probs_loss(family: str | None) -> str:
    return _logits_loss(family).replace("True", "False")


# ----------------------------------------------------------------------------- structure


def _per_step_labels(
    y: Any, shape: Sequence[int | None], units: int | None, loss: _Loss | None
) -> bool:
    """Labels that only an output of rank 3 or more takes: of rank 3 or more, or several
    class ids per sample under a sparse loss (a rank-2 output takes one), unless they are
    one-hot rows as wide as the output (the sparse loss's classic mistake, SH407)."""
    if len(shape) >= 3:
        return True
    columns = shape[-1] if len(shape) == 2 else None
    if loss is None or loss.family != "scce" or columns is None or columns < 2:
        return False
    try:
        rows = np.asarray(y)
    except Exception:  # labels numpy cannot read: leave them to the checks
        return True
    one_hot = (
        columns == units
        and rows.dtype.kind in "biuf"
        and bool(np.isin(rows, (0, 1)).all())
        and bool((rows.sum(axis=1) == 1).all())
    )
    return not one_hot


def _flat_outputs(struct: Any, outputs: list[_Output]) -> bool:
    """Whether the outputs are known and flat (one tensor, a list or a dict of tensors):
    the only structures `_structure_findings` pairs losses with. Nested outputs, and
    those of a subclassed model that could not be traced, are left to Keras."""
    if any(output.activation_source in (_UNTRACED, _UNBUILT) for output in outputs):
        return False
    items = struct.values() if isinstance(struct, dict) else struct
    if isinstance(items, (list, tuple)) or isinstance(struct, dict):
        return not any(isinstance(item, (list, tuple, dict)) for item in items)
    return True


def _structure_findings(
    loss: Any, metrics: Any, weighted: Any, outputs: list[_Output], dict_outputs: bool
) -> list[Finding]:
    """SH208 and SH209: compile's loss and metrics against the model's outputs, paired
    the way Keras 3 pairs them (by output key, or by position)."""
    names = [output.name for output in outputs]
    n = len(names)
    keyed = ", ".join(repr(name) for name in names)
    per_output = "{" + ", ".join(f"{name!r}: ..." for name in names) + "}"
    findings: list[Finding] = []

    def mismatch(what: str, fix: str) -> None:
        findings.append(
            Finding(
                "SH208",
                "error",
                f"{what}, so fit() stops before the first step (this model's outputs: {keyed}).",
                fix,
            )
        )

    def unknown_keys(argument: str, keys: list[Any]) -> None:
        quoted = ", ".join(repr(key) for key in keys)
        one = len(keys) == 1
        fix = f"Key `{argument}` by the outputs: {argument}={per_output}."
        layers = {output.layer.name for output in outputs if output.layer is not None}
        if dict_outputs and all(key in layers for key in keys):
            fix += (
                f" {quoted} {'names an output layer' if one else 'name the output layers'}; a "
                "model whose outputs are a dict is keyed by the dict's keys."
            )
        mismatch(f"`{argument}` has the key{'' if one else 's'} {quoted}, which no output has", fix)

    lost = loss
    if isinstance(loss, collections.abc.Mapping):
        unknown = [key for key in loss if key not in names]
        missing = [name for name in names if name not in loss]
        if unknown:
            unknown_keys("loss", unknown)
            lost = None
        elif missing and n > 1 and not dict_outputs:  # Keras wants every key of a list's
            mismatch(
                f"`loss` has no key {', '.join(repr(name) for name in missing)} for a model "
                "whose outputs are a list (Keras wants a key for every output)",
                f"Key every output: loss={per_output}; give an output that should not train "
                "the loss None, or drop it from the model.",
            )
            lost = None
    elif (
        isinstance(loss, (list, tuple))
        and n > 1
        and len(loss) != n
        and (dict_outputs or len(loss) != 1)  # Keras gives one loss to a list's first output
    ):
        mismatch(
            f"`loss` is a list of {len(loss)} for {n} outputs",
            f"Give one loss per output, in order (a list of {n}), or a dict: loss={per_output}.",
        )
        lost = None
    for argument, value in (("metrics", metrics), ("weighted_metrics", weighted)):
        if n < 2 or value is None:
            continue
        if isinstance(value, collections.abc.Mapping):
            unknown = [key for key in value if key not in names]
            if unknown:
                unknown_keys(argument, unknown)
        elif isinstance(value, (list, tuple)) and len(value) != n:
            mismatch(
                f"`{argument}` is a list of {len(value)} for {n} outputs: Keras pairs a "
                "multi-output model's metrics with its outputs",
                f"Give each output its metrics: {argument}={per_output} (or a list of {n} "
                "lists, in output order); a safeheads head's are head.metrics.",
            )
    if n > 1 and lost is not None:
        first_only = isinstance(lost, (list, tuple)) and len(lost) == 1
        for index, output in enumerate(outputs):
            if _loss_for(lost, index, output.name, n) is not None:
                continue
            if first_only:
                why = "a one-element loss list is applied to the first output only"
            elif isinstance(lost, collections.abc.Mapping) and output.name not in lost:
                why = "the loss dict has no entry for it"
            else:
                why = "its loss is None"
            findings.append(
                Finding(
                    "SH209",
                    "warning",
                    f"Output {output.name!r} gets no loss ({why}), so fit() never fits it to "
                    "its labels: its layer's weights stay as initialised.",
                    f"Give every output its loss: loss={per_output} (a safeheads head's is "
                    "head.loss); drop the output from the model if it is not meant to be "
                    "trained.",
                    output.name,
                )
            )
    return findings


# ----------------------------------------------------------------------------- the facade


def _order(finding: Finding) -> tuple[int, str]:
    return (0 if finding.severity == "error" else 1, finding.code)


def inspect_model(
    model: Any,
    y: Any = None,
    *,
    task: Task | str | None = None,
    labels_complete: bool = True,
    backend: str | None = None,
    label_note: str | None = None,
    input_shape: tuple[int | None, ...] | None = None,
    class_weight: Any = None,
) -> Report:
    """`check` without warnings; ``labels_complete=False`` for one batch of labels;
    ``input_shape`` traces a subclassed model that is not built yet."""
    if class_weight is not None and not isinstance(class_weight, collections.abc.Mapping):
        raise TypeError(
            "Expected `class_weight` to be a dict {class id: weight}, as fit() takes it. "
            f"Received: class_weight of type {type(class_weight).__name__}. Pass a dict, e.g. "
            "safeheads.class_weight(y_train)."
        )
    if not isinstance(model, keras.Model):
        raise TypeError(
            "Expected `model` to be a keras.Model (Sequential, functional or loaded with "
            f"keras.models.load_model). Received: model of type {type(model).__name__}. Pass "
            "the compiled Keras model."
        )
    parsed_task = parse_task(task) if task is not None else None
    backend = backend or keras.backend.backend()
    outputs = _outputs_of(model, input_shape)
    if not outputs:
        raise ValueError(
            f"Expected a model with an output layer. Received: model {model.name!r} with no "
            "layers. Add the layers (or call the model on an input) before checking it."
        )
    compiled = bool(getattr(model, "compiled", False))
    loss = _str_keys(getattr(model, "loss", None)) if compiled else None
    metrics, weighted = _compiled_metrics(model) if compiled else (None, None)
    metrics, weighted = _str_keys(metrics), _str_keys(weighted)
    struct = getattr(model, "_outputs_struct", None)
    # outputs Keras names as the doctor does (a functional model's flat outputs); those of
    # Sequential and subclassed models, which may return a dict of their own, are left to Keras
    known = struct is not None and _flat_outputs(struct, outputs)
    keys_finding = _label_keys_finding(y, outputs) if known else None
    ys, label_notes = _split_labels(y, outputs, note_unknown_keys=keys_finding is None)
    findings: list[Finding] = [] if keys_finding is None else [keys_finding]
    if compiled and _flat_outputs(struct, outputs):
        # a subclassed model's traced dict counts as a dict (struct is None for it)
        dict_outputs = isinstance(struct, dict) or (
            struct is None and any(o.keyed for o in outputs)
        )
        findings.extend(_structure_findings(loss, metrics, weighted, outputs, dict_outputs))
    inspected: list[str] = []
    notes: list[str] = []
    if not compiled:
        notes.append(
            "the model is not compiled: the loss and metrics were not checked (compile it, or "
            "pass the compiled model, to check them)."
        )
    elif loss is None:
        notes.append("the model is compiled without a loss: only the output layer was checked.")
    if y is None:
        notes.append(label_note or "no labels given: pass y to check them against the model.")
    elif label_note:
        notes.append(label_note)
    notes.extend(label_notes)
    for index, (output, y_out) in enumerate(zip(outputs, ys, strict=True)):
        identifier = _loss_for(loss, index, output.name, len(outputs)) if compiled else None
        output_loss = _resolve_loss(identifier) if identifier is not None else None
        label_columns = None
        shape = _shape(y_out) if y_out is not None else None
        if (
            output.rank is None
            and input_shape is None  # HeadGuard: the rank came from fit's x where it could
            and shape
            and _per_step_labels(y_out, shape, output.units, output_loss)
        ):
            notes.append(
                f"output {output.name!r} has no known rank (the model is not built) and labels "
                f"of shape {tuple(shape)}, which fit per-timestep or per-pixel scores: they were "
                "not checked. Build the model (e.g. with keras.Input) to check them."
            )
            y_out, shape = None, None
        if shape:  # Keras' rule: labels of a lower rank than the output are class ids
            below = output.rank is not None and len(shape) < output.rank
            label_columns = 1 if len(shape) == 1 or below else int(shape[-1])
        output_metrics = [
            _resolve_metric(
                m, output.units, label_columns, output_loss.family if output_loss else None
            )
            for m in _metrics_for(metrics, index, output.name, len(outputs))
            + _metrics_for(weighted, index, output.name, len(outputs))
        ]
        if output.rank is not None and output.rank > 2 and y_out is not None:
            notes.append(
                f"output {output.name!r} has rank {output.rank} (per-timestep or per-pixel "
                "scores): its labels were not checked."
            )
            y_out = None
        checker = _OutputCheck(
            output,
            output_loss,
            output_metrics,
            y_out,
            parsed_task,
            labels_complete=labels_complete,
            backend=backend,
        )
        regression = (
            output_loss is not None
            and output_loss.regression
            and output.head is None  # a safeheads head is a classification output
            and output.activation not in ("sigmoid", "softmax")
        )
        if regression:
            assert output_loss is not None
            notes.append(
                f"output {output.name!r} is trained with the regression loss "
                f"{output_loss.name}: it is not a classification output, so it was not checked."
            )
        else:
            if output.activation not in (None, *_LOGITS, *_PROBABILITIES, *_NOT_SCORES):
                notes.append(
                    f"output {output.name!r} has the activation {output.activation!r}, which "
                    "the doctor does not know: whether it gives probabilities or logits was "
                    "not checked."
                )
            elif output.activation is None and output.layer is not None:
                kind = type(output.layer).__name__
                notes.append(
                    f"the activation of output {output.name!r} could not be read (its "
                    f"{kind} layer {output.layer.name!r}): whether it gives probabilities or "
                    "logits was not checked."
                )
            checker.check_layer()
            checker.check_loss()
            checker.check_metrics()
            checker.check_labels()
            if class_weight is not None and len(outputs) == 1:
                checker.check_class_weight(class_weight)
            checker.check_task()
        findings.extend(checker.findings)
        inspected.append(output.describe())
        if compiled and loss is not None:
            inspected.append(
                f"loss: {output_loss.describe() if output_loss else 'none for this output'}"
            )
        if compiled:
            inspected.append(f"metrics: {_describe_metrics(output_metrics)}")
        if checker.parsed is not None:
            parsed = checker.parsed
            size = (
                f"shape {checker.y_shape}"
                if checker.y_shape is not None
                else f"{parsed.n_samples} samples"
            )
            ignored = (
                f" ({checker.ignored} equal to ignore_class={output_loss.ignore_class} left out)"
                if checker.ignored and output_loss is not None
                else ""
            )
            inspected.append(f"labels: {parsed.format}, {size}, n={parsed.n}{ignored}")
        elif checker.label_error is not None:
            inspected.append("labels: malformed (see SH401)")
        elif checker.labels_unjudged:
            inspected.append("labels: not checked (the loss is not a classification crossentropy)")
        elif checker.ignored and output_loss is not None:
            inspected.append(
                f"labels: all {checker.ignored} equal to ignore_class={output_loss.ignore_class} "
                "(nothing to check)"
            )
        if output.activation_source in (_UNTRACED, _UNBUILT):
            why = (
                "is not built yet: its call() is traced once it is (after fit() or a call on "
                "data; HeadGuard traces it with the shape of fit's x)"
                if output.activation_source == _UNBUILT
                else "has a call() that could not be traced on one symbolic input (several "
                "inputs, or Python logic on values)"
            )
            notes.append(
                f"subclassed model {model.name!r} {why}: the output's width and activation are "
                "unknown, so only what does not depend on them was checked."
            )
        elif output.head is None and output.layer is None:
            notes.append(
                f"output {output.name!r}: the layer with the units was not found, so its width "
                "and activation were taken from the output tensor where possible."
            )
    findings.sort(key=_order)
    return Report(tuple(findings), str(model.name), tuple(inspected), tuple(notes))


def check(
    model: keras.Model,
    y: Any = None,
    *,
    task: Task | str | None = None,
    class_weight: collections.abc.Mapping[int, float] | None = None,
) -> Report:
    """Inspect a Keras model's head, loss, metrics and labels, and explain each mismatch.

    Works on models safeheads did not build: Sequential, functional (the output
    is followed back through Activation / Softmax layers and activation ops to
    the layer with the units), nested, or loaded from ``.keras``. A subclassed
    model is traced by calling its ``call()`` on a symbolic input once it is
    built (`HeadGuard` traces it with the shape of ``fit``'s ``x``); until then
    its output is unknown and only what does not depend on it is checked. The
    compiled loss may be a string, a function or a Loss object (a sparse loss's
    ``ignore_class`` ids are left out of the label checks); metrics are resolved
    as Keras resolves them (``'accuracy'`` by shape). An uncompiled model gets its
    output layer (and labels) checked, and the report notes that the loss was
    not. A safeheads loss on a safeheads `HeadLayer` is trusted as matching.

    Args:
        model: A built or compiled ``keras.Model``.
        y: Optional training labels, as passed to ``fit`` (a dict or list per
            output for a model with several outputs).
        task: Optional task the model is meant for (``"binary"``,
            ``"multiclass"``, ``"multilabel"`` or a `Task`); a model or labels
            that cannot do it is a finding.
        class_weight: Optional ``fit(class_weight=...)`` dict of a single-output
            model: a multilabel output (SH410) or weights whose mean per sample
            of ``y`` is far from 1, such as 1/count (SH411), is a finding.

    Returns:
        A `Report`; ``report.ok`` is False when a finding is an error. Malformed
        labels are an SH401 finding, not an exception.

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``, ``task`` has the
            wrong type, or ``class_weight`` is not a dict.
        HeadConfigError: If ``task`` is not a known task.
        ValueError: If the model has no layers.

    Warns:
        SafeheadsWarning: Once per call, for suspicious but legal labels (the
            SH409 finding), as `describe_labels` does.

    Example:
        >>> import keras, safeheads
        >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3, "softmax")])
        >>> model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
        >>> report = safeheads.check(model)
        >>> report.ok, report.codes
        (False, ('SH204',))
        >>> print(report.findings[0].message)  # doctest: +ELLIPSIS
        The 3-unit softmax output is trained with binary crossentropy: ...
    """
    report = inspect_model(model, y, task=task, class_weight=class_weight)
    suspicious = [f for f in report.findings if f.code == "SH409"]
    if suspicious:
        warnings.warn(
            report._about(suspicious[0]) + suspicious[0].message, SafeheadsWarning, stacklevel=2
        )
    return report


# ----------------------------------------------------------------------------- the command


def _load_labels(path: str, output_names: list[str]) -> Any:
    """One array, or (an .npz of one array per output, keyed by output name) a dict."""
    if zipfile.is_zipfile(path):  # an .npz, whatever its file name
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            if "y" in keys:
                return archive["y"]
            if len(keys) == 1 and not (len(output_names) > 1 and keys[0] in output_names):
                return archive[keys[0]]
            if keys and all(key in output_names for key in keys):
                per_output = {key: archive[key] for key in keys}
                lengths = {key: len(value) for key, value in per_output.items()}
                if len(set(lengths.values())) > 1:  # fit() takes one row per sample in each
                    raise ValueError(
                        f"expected one label per sample in every output's array; found "
                        f"lengths {lengths}"
                    )
                return per_output
            raise ValueError(
                "expected an .npz file holding one array (or an array named 'y'), or one array "
                f"per output named after the model's outputs {output_names}; found {keys}"
            )
    return np.load(path, allow_pickle=False)


def run_doctor(
    model_path: str,
    *,
    labels_path: str | None = None,
    task: str | None = None,
    unsafe: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``safeheads doctor``: print the report; 0 no error, 1 errors, 2 unusable input.

    ``unsafe`` loads with Keras' ``safe_mode=False`` (``--unsafe``): code stored in
    the file, such as a ``Lambda`` layer's function, is then run.
    """
    out = out or sys.stdout
    err = err or sys.stderr

    def fail(message: str) -> int:
        print(f"safeheads doctor: error: {message}", file=err)
        return 2

    if not os.path.exists(model_path):
        return fail(f"{model_path}: no such file.")
    if os.path.isdir(model_path):
        return fail(
            f"{model_path} is a directory; expected a .keras file (TensorFlow SavedModel "
            "folders cannot be inspected: re-save with model.save('model.keras'))."
        )
    if model_path.endswith(".keras") and not zipfile.is_zipfile(model_path):
        return fail(
            f"{model_path} is not a .keras archive (a zip file written by "
            "model.save('model.keras'))."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = keras.models.load_model(model_path, safe_mode=not unsafe)
        except Exception as error:  # any load failure is unusable input
            if "safe_mode" in str(error):
                return fail(
                    f"{model_path} holds Python code (e.g. a Lambda layer's function), which "
                    "Keras does not load by default since loading runs it. If you trust the "
                    "file, pass --unsafe."
                )
            return fail(
                f"{model_path} could not be loaded as a Keras model ({type(error).__name__}: "
                f"{str(error).strip().splitlines()[0] if str(error).strip() else ''}). Expected a "
                "file written by model.save('model.keras'); import the modules that define "
                "custom layers or losses first."
            )
    if not isinstance(model, keras.Model):
        return fail(f"{model_path} holds a {type(model).__name__}, not a keras.Model.")
    y = None
    if labels_path is not None:
        if not os.path.exists(labels_path):
            return fail(f"{labels_path}: no such file.")
        if os.path.isdir(labels_path):
            return fail(f"{labels_path} is a directory; expected a .npy or .npz file.")
        try:
            with open(labels_path, "rb") as file:
                magic = file.read(6)
        except OSError as error:
            return fail(f"{labels_path} could not be read ({type(error).__name__}: {error}).")
        if magic != b"\x93NUMPY" and not zipfile.is_zipfile(labels_path):
            return fail(
                f"{labels_path} is not a .npy or .npz file. Save the labels with "
                "numpy.save('labels.npy', y) (class names encoded first: head.encode(y))."
            )
        try:
            y = _load_labels(labels_path, [output.name for output in _outputs_of(model)])
        except Exception as error:  # any read failure is unusable input
            return fail(
                f"{labels_path} could not be read as labels ({type(error).__name__}: {error}). "
                "Expected a numeric array saved with numpy.save('labels.npy', y); encode class "
                "names first (head.encode(y))."
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SafeheadsWarning)
        report = inspect_model(model, y, task=task)
    print(report, file=out)
    return 0 if report.ok else 1
