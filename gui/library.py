"""The song library: a sortable, filterable table of the store's songs, with delete and add actions.

Every store access runs off the GUI thread on a store of its own (opened with the StoreOpener, then
closed). Store errors are shown in the view's "error" label; no slot lets one escape.
"""

from __future__ import annotations

from collections.abc import Sequence

from PyQt5 import sip
from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QObject, QSortFilterProxyModel, Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from config.settings import AppConfig
from database.base import SongRecord
from fingerprint.types import format_local_time
from gui import StoreOpener
from gui.workers import run_task

#: The role holding each cell's raw value, by which the proxy sorts.
SORT_ROLE = Qt.UserRole


def format_duration(seconds: float) -> str:
    """Minutes and seconds, "m:ss"."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


class SongTableModel(QAbstractTableModel):
    """The songs as rows: Name, Duration, Hashes, Added."""

    HEADERS = ("Name", "Duration", "Hashes", "Added")
    NAME, DURATION, HASHES, ADDED = range(4)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._songs: list[SongRecord] = []

    def set_songs(self, songs: Sequence[SongRecord]) -> None:
        self.beginResetModel()
        self._songs = list(songs)
        self.endResetModel()

    def song(self, row: int) -> SongRecord:
        return self._songs[row]

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent is not None and parent.isValid() else len(self._songs)

    def columnCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent is not None and parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> object:  # noqa: N802 (Qt's name)
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> object:
        if not index.isValid():
            return None
        song, column = self._songs[index.row()], index.column()
        if role == Qt.DisplayRole:
            return self._shown(song, column)
        if role == SORT_ROLE:
            return (song.name.casefold(), song.duration_s, song.total_hashes, song.date_created)[column]
        if role == Qt.TextAlignmentRole and column in (self.DURATION, self.HASHES):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def _shown(self, song: SongRecord, column: int) -> str:
        if column == self.NAME:
            return song.name
        if column == self.DURATION:
            return format_duration(song.duration_s)
        if column == self.HASHES:
            return f"{song.total_hashes:,}"
        return format_local_time(song.date_created)


class LibraryView(QWidget):
    """The songs of the configured store, with a name filter and Delete / Add files / Fingerprint folder."""

    counts_changed = pyqtSignal(int, int)  # (songs, fingerprints)
    store_described = pyqtSignal(str)
    song_chosen = pyqtSignal(int, str)  # (song id, name), on double-click
    add_files_requested = pyqtSignal()
    fingerprint_folder_requested = pyqtSignal()

    def __init__(self, config: AppConfig, open_store: StoreOpener, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self._open_store = open_store
        self._generation = 0  # answers of older refreshes are ignored
        self._delete_error: BaseException | None = None  # shown once the refresh after a delete is done
        self.model = SongTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(SongTableModel.NAME)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.filter_edit = QLineEdit(
            objectName="filter", placeholderText="Filter by name", clearButtonEnabled=True
        )
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.add_files_button = QPushButton("Add files…", objectName="add_files")
        self.add_files_button.clicked.connect(self.add_files_requested)
        self.folder_button = QPushButton("Fingerprint folder…", objectName="fingerprint_folder")
        self.folder_button.clicked.connect(self.fingerprint_folder_requested)
        self.delete_button = QPushButton("Delete", objectName="delete", enabled=False)
        self.delete_button.clicked.connect(self.delete_selected)
        self.error_label = QLabel(objectName="error", wordWrap=True, visible=False)
        self.error_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #b00020")

        self.table = QTableView(objectName="songs")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(SongTableModel.NAME, Qt.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in range(len(SongTableModel.HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(SongTableModel.NAME, QHeaderView.Stretch)
        self.table.doubleClicked.connect(self._choose)
        self.table.selectionModel().selectionChanged.connect(self._update_delete_button)

        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        for button in (self.add_files_button, self.folder_button, self.delete_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error_label)
        layout.addWidget(self.table)

    def set_config(self, config: AppConfig) -> None:
        """Show the store `config` names."""
        self._config = config
        self.refresh()

    def refresh(self) -> None:
        """Reload the songs and counts off the GUI thread."""
        self._generation += 1
        generation, config, open_store = self._generation, self._config, self._open_store

        def load() -> tuple[list[SongRecord], tuple[int, int], str]:
            store = open_store(config)
            try:
                return store.songs(), store.counts(), store.description
            finally:
                store.close()

        run_task(load, lambda result, error: self._loaded(generation, result, error))

    def selected_song_ids(self) -> list[int]:
        """The ids of the selected songs, in table order."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda index: index.row())
        return [self._song_at(index).song_id for index in rows]

    def delete_selected(self) -> None:
        """Ask, then delete the selected songs off the GUI thread and refresh."""
        rows = self.table.selectionModel().selectedRows()
        songs = [self._song_at(index) for index in sorted(rows, key=lambda index: index.row())]
        if not songs or not self._confirm_delete([song.name for song in songs]):
            return
        ids, config, open_store = [song.song_id for song in songs], self._config, self._open_store

        def delete() -> None:
            store = open_store(config)
            try:
                for song_id in ids:
                    store.delete_song(song_id)
            finally:
                store.close()

        self.delete_button.setEnabled(False)
        run_task(delete, self._deleted)

    def _confirm_delete(self, names: Sequence[str]) -> bool:
        listed = "\n".join(names[:10]) + (f"\n… and {len(names) - 10} more" if len(names) > 10 else "")
        answer = QMessageBox.question(
            self,
            "Delete songs",
            f"Delete {len(names)} song(s) and their fingerprints from the store?\n\n{listed}",
            QMessageBox.Yes | QMessageBox.No,
            QMessageBox.No,
        )
        return answer == QMessageBox.Yes

    def _loaded(self, generation: int, result: object, error: BaseException | None) -> None:
        if sip.isdeleted(self) or generation != self._generation:
            return
        if error is not None:
            self.model.set_songs([])
            self._update_delete_button()
            self._show_error(error)
            return
        songs, (song_count, fingerprint_count), description = result
        self.model.set_songs(songs)
        self._update_delete_button()
        self._show_error(self._delete_error)
        self._delete_error = None
        self.store_described.emit(description)
        self.counts_changed.emit(song_count, fingerprint_count)

    def _deleted(self, _result: object, error: BaseException | None) -> None:
        if sip.isdeleted(self):
            return
        self._delete_error = error
        self.refresh()

    def _show_error(self, error: BaseException | None) -> None:
        self.error_label.setText("" if error is None else str(error) or type(error).__name__)
        self.error_label.setVisible(error is not None)

    def _song_at(self, proxy_index: QModelIndex) -> SongRecord:
        return self.model.song(self.proxy.mapToSource(proxy_index).row())

    def _choose(self, proxy_index: QModelIndex) -> None:
        song = self._song_at(proxy_index)
        self.song_chosen.emit(song.song_id, song.name)

    def _update_delete_button(self) -> None:
        self.delete_button.setEnabled(self.table.selectionModel().hasSelection())
