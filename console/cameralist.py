"""A searchable list of the registry's cameras, coloured by status, to drag onto the video wall."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from console.videowall import CAMERA_MIME
from video.registry import CameraRegistry
from data.streamurls import mask_url

CAMERA_ID_ROLE = Qt.ItemDataRole.UserRole
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1  # lower-case name, id, grid and owner
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
LIST_STATUS_COLOURS = {"online": QColor("#4cc36b"), "offline": QColor("#e05050")}


class CameraListModel(QAbstractListModel):
    """The registry's cameras as rows; dragging a row carries its camera id as CAMERA_MIME."""

    def __init__(self, registry: CameraRegistry, parent=None):
        super().__init__(parent)
        self.set_registry(registry)

    def set_registry(self, registry: CameraRegistry) -> None:
        """List another registry's cameras (the console's arrives from a loader thread)."""
        self.beginResetModel()
        self.cameras = registry.cameras
        self._search_text = [" ".join(filter(None, (c.name, c.camera_id, c.grid_code, c.owner))).lower()
                             for c in self.cameras]  # once: filtering asks for it on every key press
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.cameras)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        camera = self.cameras[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{camera.name}  [{camera.camera_class}]"
        if role == Qt.ItemDataRole.DecorationRole:
            return LIST_STATUS_COLOURS.get(camera.status, QColor("#7d868f"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{camera.camera_id} · {camera.grid_code or ''}\n{mask_url(camera.stream_main)}"
        if role == CAMERA_ID_ROLE:
            return camera.camera_id
        if role == SEARCH_ROLE:
            return self._search_text[index.row()]
        if role == STATUS_ROLE:
            return camera.status
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [CAMERA_MIME]

    def mimeData(self, indexes) -> QMimeData:
        data = QMimeData()
        if indexes:
            data.setData(CAMERA_MIME, self.cameras[indexes[0].row()].camera_id.encode("utf-8"))
        return data


class CameraFilter(QSortFilterProxyModel):
    """Rows matching the search text (any part of name, id, grid, owner), optionally offline ones only."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.offline_only = False
        self.setFilterRole(SEARCH_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_offline_only(self, offline_only: bool) -> None:
        self.beginFilterChange()
        self.offline_only = offline_only
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        if self.offline_only:
            status = self.sourceModel().index(row, 0, parent).data(STATUS_ROLE)
            if status == "online":
                return False
        return super().filterAcceptsRow(row, parent)


class CameraList(QWidget):
    """Search box, "offline for maintenance" filter and the list; double-click or drag a camera."""

    cameraActivated = Signal(str)  # camera id

    def __init__(self, registry: CameraRegistry, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = CameraListModel(registry, self)
        self.filter = CameraFilter(self)
        self.filter.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search cameras by name, id or grid"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter.setFilterFixedString)
        self.offline_only = QCheckBox(self.tr("Offline for maintenance"), self)
        self.offline_only.toggled.connect(self.filter.set_offline_only)
        self.view = QListView(self)
        self.view.setModel(self.filter)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setUniformItemSizes(True)  # thousands of rows
        self.view.doubleClicked.connect(lambda index: self.cameraActivated.emit(index.data(CAMERA_ID_ROLE)))
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.search)
        box.addWidget(self.offline_only)
        box.addWidget(self.view, 1)

    def shown_ids(self) -> list[str]:
        """The camera ids the list shows now, in order."""
        return [self.filter.index(row, 0).data(CAMERA_ID_ROLE) for row in range(self.filter.rowCount())]
