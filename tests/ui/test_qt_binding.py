"""Guards against Qt binding releases that corrupt reference counts.

PySide6 6.12.0 drops a reference to True on every Signal.emit() from Python and one to None
whenever a model's data() answers None (both measured here). The app emits signals every
second, so on that release it dies with "bool_dealloc" or "none_dealloc" within minutes.
These checks fail with a plain message instead of a crash at some random later moment.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Signal

ROUNDS = 200


def test_signal_emit_keeps_reference_counts(qapp):
    class Emitter(QObject):
        fired = Signal(str)

    emitter = Emitter()
    received = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(ROUNDS):
        emitter.fired.emit("x")
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(received) == ROUNDS
    assert after[0] >= before[0] - 5 and after[1] >= before[1] - 5, (
        f"PySide6 {PySide6.__version__} loses a reference to a bool on every signal emit; "
        "use another release (6.12.0 is known bad)"
    )


def test_model_data_answering_none_keeps_reference_counts(qapp):
    class Model(QAbstractListModel):
        def rowCount(self, parent=QModelIndex()):  # noqa: B008
            return 1

        def data(self, index, role=0):
            return None

    model = Model()
    index = model.index(0)
    before = sys.getrefcount(None)
    for _ in range(ROUNDS):
        index.data(1000)
    assert sys.getrefcount(None) >= before - 5, (
        f"PySide6 {PySide6.__version__} loses a reference to None when data() answers None"
    )
