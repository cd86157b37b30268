"""safeheads: Keras classification heads that are correct by construction."""

from safeheads._heads import Head, classification_head
from safeheads._labels import (
    FORMATS,
    LabelInfo,
    describe_labels,
    to_categorical,
    to_multi_hot,
    to_sparse,
)
from safeheads._layer import HeadLayer
from safeheads._metrics import (
    ExactMatch,
    ThresholdAccuracy,
    ThresholdF1,
    ThresholdPrecision,
    ThresholdRecall,
)
from safeheads._tasks import Task
from safeheads._version import __version__
from safeheads.errors import HeadConfigError, HeadMismatchError, LabelFormatError, SafeheadsWarning

__all__ = [
    "FORMATS",
    "ExactMatch",
    "Head",
    "HeadConfigError",
    "HeadLayer",
    "HeadMismatchError",
    "LabelFormatError",
    "LabelInfo",
    "SafeheadsWarning",
    "Task",
    "ThresholdAccuracy",
    "ThresholdF1",
    "ThresholdPrecision",
    "ThresholdRecall",
    "__version__",
    "classification_head",
    "describe_labels",
    "to_categorical",
    "to_multi_hot",
    "to_sparse",
]
