"""Train/eval isolation: golden cases must not appear in the training data (exact or nearly).

:func:`check_isolation` reads the files named in ``train_data``
(:mod:`~releasegate.isolation.readers`), looks for every golden case's input and expected answer
in them (:mod:`~releasegate.isolation.matching`) and returns an :class:`IsolationReport`; the
pytest plugin turns it into one ``<suite>::isolation`` test per suite, and ``releasegate
isolation`` prints it without a model.
"""

from .check import (
    GoldenText,
    IsolationReport,
    Leak,
    check_isolation,
    describe_leak,
    golden_texts,
)
from .readers import LAYOUTS, TrainingFile, read_training_file

__all__ = [
    "LAYOUTS",
    "GoldenText",
    "IsolationReport",
    "Leak",
    "TrainingFile",
    "check_isolation",
    "describe_leak",
    "golden_texts",
    "read_training_file",
]
