"""Benchmark: the movies page with 5,000 movies (offscreen Qt).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/movies_view.py [--movies N] [--rounds N]

Figures, each the median of --rounds, next to a baseline measured in the same run (the machine
is shared and noisy: compare the columns, not runs):
  load    set_rows(N movies): the page's model, sorted once in Python. Baseline: the same rows
          in a QStandardItemModel under a QSortFilterProxyModel sorting by title (the proxy
          calls data() n*log n times). Target <= 0.2 s.
  frame   repaint of the grid's viewport at 40 scroll positions: median and worst. Baseline: a
          QListView in icon mode over the QStandardItemModel. Targets: median <= 16 ms (one
          frame at 60 Hz), worst <= 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSortFilterProxyModel, Qt  # noqa: E402
from PySide6.QtGui import QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QListView  # noqa: E402

from ui.library.movies_model import MoviesModel  # noqa: E402
from ui.library.movies_page import MoviesPage  # noqa: E402
from ui.library.posters import PosterProvider  # noqa: E402
from ui.library.snapshot import MovieRow  # noqa: E402
from ui.status_board import StatusBoard  # noqa: E402


def movies(count: int) -> list[MovieRow]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        MovieRow(
            n + 1,
            f"Movie {n:05d}",
            f"Movie {n:05d}",
            1950 + n % 70,
            start + timedelta(minutes=n),
            None,
            "",
        )  # fmt: skip
        for n in reversed(range(count))
    ]


def frames(view, app: QApplication) -> list[float]:
    bar = view.verticalScrollBar()
    deadline = time.monotonic() + 5
    while bar.maximum() <= 0 and time.monotonic() < deadline:  # the view lays out lazily
        app.processEvents()
    measured = []
    for step in range(40):
        bar.setValue(bar.maximum() * step // 39)
        started = time.perf_counter()
        view.viewport().repaint()
        measured.append(time.perf_counter() - started)
    return measured


def ours(rows: list[MovieRow], app: QApplication) -> tuple[float, list[float]]:
    board = StatusBoard()
    page = MoviesPage(MoviesModel(board, PosterProvider()), board)
    page.resize(1000, 700)
    page.show()
    started = time.perf_counter()
    page.set_rows(rows)
    load = time.perf_counter() - started
    measured = frames(page.view.grid, app)
    page.close()
    page.deleteLater()
    return load, measured


def baseline(rows: list[MovieRow], app: QApplication) -> tuple[float, list[float]]:
    model = QStandardItemModel()
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setUniformItemSizes(True)
    view.resize(1000, 700)
    view.show()
    started = time.perf_counter()
    for row in rows:
        model.appendRow(QStandardItem(row.title))
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    view.setModel(proxy)
    load = time.perf_counter() - started
    measured = frames(view, app)
    view.close()
    view.deleteLater()
    return load, measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    rows = movies(args.movies)
    results: dict[str, list[tuple[float, list[float]]]] = {"ours": [], "baseline": []}
    for _ in range(args.rounds):
        results["baseline"].append(baseline(rows, app))
        results["ours"].append(ours(rows, app))

    def figure(name: str) -> tuple[float, float, float]:
        loads = [load for load, _ in results[name]]
        medians = [statistics.median(f) for _, f in results[name]]
        worst = [max(f) for _, f in results[name]]
        return statistics.median(loads), statistics.median(medians), statistics.median(worst)

    base, mine = figure("baseline"), figure("ours")
    print(f"{args.movies} movies, median of {args.rounds} rounds")
    print(f"{'figure':28} {'baseline':>9} {'Reelbox':>9} {'ratio':>6}  target")
    targets = (
        ("load (set_rows) (s)", 0.2),
        ("repaint median (s)", 0.016),
        ("repaint worst (s)", 0.1),
    )
    for (label, target), b, m in zip(targets, base, mine, strict=True):
        verdict = "ok" if m <= target else "MISS"
        print(f"{label:28} {b:9.4f} {m:9.4f} {m / b:6.2f}  <= {target} s {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
