"""safeheads: Keras classification heads that are correct by construction."""

from safeheads._auc import RocAUC
from safeheads._audit import Finding, Report, check
from safeheads._guard import HeadGuard
from safeheads._heads import Head, classification_head
from safeheads._labelmap import LabelMap
from safeheads._labels import (
    FORMATS,
    LabelInfo,
    describe_labels,
    to_categorical,
    to_multi_hot,
    to_sparse,
)
from safeheads._layer import HeadLayer
from safeheads._losses import SigmoidCrossentropy, SoftmaxCrossentropy
from safeheads._metrics import (
    ExactMatch,
    ThresholdAccuracy,
    ThresholdF1,
    ThresholdPrecision,
    ThresholdRecall,
)
from safeheads._plots import plot_confusion, plot_history, plot_label_f1
from safeheads._ranking import PrecisionAtK, RecallAtK, TopKAccuracy
from safeheads._tasks import Task
from safeheads._tuning import LogitAdjustedAccuracy
from safeheads._version import __version__
from safeheads._weights import class_weight, label_pos_weight
from safeheads.errors import HeadConfigError, HeadMismatchError, LabelFormatError, SafeheadsWarning

__all__ = [
    "FORMATS",
    "ExactMatch",
    "Finding",
    "Head",
    "HeadConfigError",
    "HeadGuard",
    "HeadLayer",
    "HeadMismatchError",
    "LabelFormatError",
    "LabelInfo",
    "LabelMap",
    "LogitAdjustedAccuracy",
    "PrecisionAtK",
    "RecallAtK",
    "Report",
    "RocAUC",
    "SafeheadsWarning",
    "SigmoidCrossentropy",
    "SoftmaxCrossentropy",
    "Task",
    "ThresholdAccuracy",
    "ThresholdF1",
    "ThresholdPrecision",
    "ThresholdRecall",
    "TopKAccuracy",
    "__version__",
    "check",
    "class_weight",
    "classification_head",
    "describe_labels",
    "label_pos_weight",
    "plot_confusion",
    "plot_history",
    "plot_label_f1",
    "to_categorical",
    "to_multi_hot",
    "to_sparse",
]
