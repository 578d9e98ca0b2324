"""The duty bar's search box: type a grid, a responder, a camera, a ticket id or coordinates;
the hits pop up ranked; Enter goes to the first, arrows and Enter to another.

The search itself is data.search (indexed SQL; on a city's tens of thousands of names a scan
takes tens of milliseconds), run on a worker thread a moment after the last key, so that
neither typing nor the map ever waits for it.
"""

from __future__ import annotations

import logging
import queue
import threading

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit

from console.labels import label
from data.search import Hit, search

log = logging.getLogger(__name__)

TYPING_PAUSE_MS = 150
SHOWN_HITS = 10


class _Searcher(QObject):
    """Runs searches on its own thread, only the newest of those waiting; answers as signals."""

    found = Signal(str, list)  # text, [Hit]

    def __init__(self, store):
        super().__init__()
        self._store = store
        self._texts: queue.Queue[str | None] = queue.Queue()
        # A Python thread, not QThreadPool: PROJ crashes on a pool thread's small stack (console/app.py).
        threading.Thread(target=self._serve, name="search", daemon=True).start()

    def request(self, text: str) -> None:
        self._texts.put(text)

    def stop(self) -> None:
        self._texts.put(None)

    def _serve(self) -> None:
        while (text := self._newest(self._texts.get())) is not None:
            try:
                self.found.emit(text, search(self._store, text, SHOWN_HITS))
            except Exception:  # a bug or a store gone: this thread is the last place to report it
                log.exception("searching for %r failed", text)
                self.found.emit(text, [])

    def _newest(self, text: str | None) -> str | None:
        while text is not None:
            try:
                text = self._texts.get_nowait()
            except queue.Empty:
                return text
        return None


class SearchBox(QLineEdit):
    """Emits `chosen(Hit)` when the dispatcher picks a hit; `left` when Escape gives focus back."""

    chosen = Signal(object)
    left = Signal()

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.hits: list[Hit] = []
        self._searched = ""  # the text `hits` belong to
        self._go_when_found = False  # Enter was pressed before the hits for the text arrived
        # No parent: the searcher outlives a window closed while it works.
        self._searcher = _Searcher(store)
        self._searcher.found.connect(self._on_found)
        self.setObjectName("search")
        self.setClearButtonEnabled(True)
        self.setPlaceholderText(self.tr("Search grid, responder, camera, ticket, lon,lat (Ctrl+F)"))
        self.setToolTip(self.tr("Coordinates: 114.1,30.5 (WGS-84) or gcj02:114.1,30.5 or bd09:114.1,30.5"))
        self._model = QStandardItemModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setMaxVisibleItems(SHOWN_HITS)
        self._completer.setWidget(self)
        self._completer.activated[QModelIndex].connect(self._on_activated)
        self._pause = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._pause.timeout.connect(lambda: self._searcher.request(self.text()))
        self.textEdited.connect(lambda _: self._pause.start())
        self.returnPressed.connect(self.choose_first)

    def stop(self) -> None:
        self._searcher.stop()

    def focus(self) -> None:
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def choose_first(self) -> None:
        """Enter: go to the best hit for what is typed now (as soon as it is found)."""
        if self._completer.popup().isVisible():
            return  # the popup's own Enter picks the highlighted hit
        self._pause.stop()
        if self._searched == self.text():
            self._go_to_first()
        else:
            self._go_when_found = True
            self._searcher.request(self.text())

    def _go_to_first(self) -> None:
        self._go_when_found = False
        if self.hits:
            self.chosen.emit(self.hits[0])

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._completer.popup().hide()
            self.left.emit()
            return
        super().keyPressEvent(event)

    def _on_found(self, text: str, hits: list) -> None:
        if text != self.text():
            return  # typed on meanwhile: a newer search is on its way
        self._searched, self.hits = text, hits
        self._model.clear()
        for hit in hits:
            item = QStandardItem(self.describe(hit))
            item.setEditable(False)
            self._model.appendRow(item)
        if self._go_when_found:
            self._go_to_first()
        elif hits and self.hasFocus():
            self._completer.complete()
        else:
            self._completer.popup().hide()

    def describe(self, hit: Hit) -> str:
        """One line per hit: what kind it is, its name, and what tells it apart."""
        if hit.kind == "point":
            return self.tr("Position {where} ({system})").format(where=hit.title, system=hit.attribute.upper())
        if hit.kind == "ticket":
            return self.tr("Ticket {id} · {state}").format(id=hit.id, state=label("state", hit.attribute))
        if hit.kind == "grid":
            return self.tr("Grid {name} · {code}").format(name=hit.title, code=hit.id)
        if hit.kind == "responder":
            return self.tr("Responder {name} · {id} · {kind}").format(name=hit.title, id=hit.id,
                                                                     kind=label("kind", hit.attribute))
        return self.tr("Camera {name} · {id}").format(name=hit.title, id=hit.id)

    def _on_activated(self, index: QModelIndex) -> None:
        row = self._completer.completionModel().mapToSource(index).row()
        if 0 <= row < len(self.hits):
            self.chosen.emit(self.hits[row])
        # The completer wrote the hit's line into the box; the query is what the dispatcher typed.
        QTimer.singleShot(0, lambda: self.setText(self._searched))
