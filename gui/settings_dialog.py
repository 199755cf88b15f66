"""The database settings dialog: choose SQLite or MySQL, test the connection, save ``dejavu.cnf``.

The fingerprint parameters and limit of the configuration are kept as they are. The password is shown
only in its (masked) field: connection errors are shown with it replaced by "***".
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from PyQt5 import sip
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from config.errors import ConfigError
from config.paths import default_sqlite_path
from config.settings import AppConfig, MySQLSettings, SQLiteSettings
from config.writer import default_config_path, save_config
from gui import StoreOpener
from gui.workers import run_task

SQLITE_FILTER = "SQLite stores (*.sqlite3 *.sqlite *.db);;All files (*)"


def probe_store(open_store: StoreOpener, config: AppConfig) -> str:
    """Open the store `config` names (in a worker thread) and describe it: "Connected: <where>, N songs"."""
    store = open_store(config)
    try:
        songs, _ = store.counts()
        return f"Connected: {store.description}, {songs} songs"
    finally:
        store.close()


class SQLitePage(QWidget):
    """The path of an SQLite store, typed or chosen with Browse… (empty: the default location)."""

    def __init__(self, settings: SQLiteSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path_edit = QLineEdit(settings.path or "", objectName="sqlite_path")
        self.path_edit.setPlaceholderText(str(default_sqlite_path()))
        browse = QPushButton("Browse…", objectName="browse")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Store file:"))
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)

    def settings(self) -> SQLiteSettings:
        text = self.path_edit.text().strip()
        return SQLiteSettings(os.path.abspath(os.path.expanduser(text)) if text else None)

    def _browse(self) -> None:
        path = self._ask_path(self.path_edit.text().strip() or str(default_sqlite_path()))
        if path:
            self.path_edit.setText(path)

    def _ask_path(self, start: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self, "SQLite store", start, SQLITE_FILTER, options=QFileDialog.DontConfirmOverwrite
        )
        return path


class MySQLPage(QWidget):
    """Host, port, user, password and database of a MySQL/MariaDB server; other options are kept."""

    def __init__(self, settings: MySQLSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kept = settings  # unix_socket and connect_timeout_s have no field here
        self.host_edit = QLineEdit(settings.host, objectName="host")
        self.port_spin = QSpinBox(objectName="port")
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(settings.port)
        self.user_edit = QLineEdit(settings.user, objectName="user")
        self.password_edit = QLineEdit(settings.password, objectName="password", echoMode=QLineEdit.Password)
        self.database_edit = QLineEdit(settings.database, objectName="database")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Host:", self.host_edit)
        form.addRow("Port:", self.port_spin)
        form.addRow("User:", self.user_edit)
        form.addRow("Password:", self.password_edit)
        form.addRow("Database:", self.database_edit)

    def settings(self) -> MySQLSettings:
        return dataclasses.replace(
            self._kept,
            host=self.host_edit.text().strip(),
            port=self.port_spin.value(),
            user=self.user_edit.text().strip(),
            password=self.password_edit.text(),
            database=self.database_edit.text().strip(),
        )


class DatabaseSettingsDialog(QDialog):
    """Edits where the fingerprints are stored; OK saves the configuration file and emits config_changed."""

    config_changed = pyqtSignal(object)  # the new AppConfig
    KINDS = (("SQLite", "sqlite"), ("MySQL", "mysql"))

    def __init__(
        self,
        config: AppConfig,
        config_path: str | None,
        open_store: StoreOpener,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Database settings")
        self._config = config
        self._path = Path(config_path) if config_path is not None else default_config_path()
        self._create_folder = config_path is None
        self._open_store = open_store
        self._probe = 0  # answers of older connection tests are ignored
        self._build(config)

    def _build(self, config: AppConfig) -> None:
        database = config.database
        self.sqlite_page = SQLitePage(database if isinstance(database, SQLiteSettings) else SQLiteSettings())
        self.mysql_page = MySQLPage(database if isinstance(database, MySQLSettings) else MySQLSettings())
        self.pages = QStackedWidget()
        self.pages.addWidget(self.sqlite_page)
        self.pages.addWidget(self.mysql_page)
        self.kind_combo = QComboBox(objectName="kind")
        for label, kind in self.KINDS:
            self.kind_combo.addItem(label, kind)
        self.kind_combo.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(config.database_type))
        self.test_button = QPushButton("Test connection", objectName="test")
        self.test_button.clicked.connect(self.test_connection)
        self.status_label = QLabel(objectName="status", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, objectName="buttons")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        kind_row = QFormLayout()
        kind_row.addRow("Store:", self.kind_combo)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(kind_row)
        layout.addWidget(self.pages)
        layout.addLayout(test_row)
        layout.addWidget(QLabel(f"Saved to {self._path}", objectName="target"))
        layout.addWidget(self.buttons)

    def config(self) -> AppConfig:
        """The configuration in use: the original one, or the one saved by OK."""
        return self._config

    def config_path(self) -> Path:
        """The file OK writes."""
        return self._path

    def candidate_config(self) -> AppConfig:
        """The configuration the fields describe, with the original fingerprint settings."""
        kind = self.kind_combo.currentData()
        page = self.mysql_page if kind == "mysql" else self.sqlite_page
        return dataclasses.replace(self._config, database_type=kind, database=page.settings())

    def test_connection(self) -> None:
        """Open the candidate store off the GUI thread and show how that went in the status label."""
        self._probe += 1
        probe, candidate, open_store = self._probe, self.candidate_config(), self._open_store
        self.status_label.setText("Connecting…")
        run_task(
            lambda: probe_store(open_store, candidate),
            lambda text, error: self._tested(probe, candidate, text, error),
        )

    def accept(self) -> None:
        """Save the candidate configuration; stay open and show why if it cannot be saved."""
        candidate = self.candidate_config()
        try:
            if self._create_folder:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            save_config(candidate, self._path)
        except (ConfigError, OSError) as error:
            self.status_label.setText(f"Not saved: {error}")
            return
        self._config = candidate
        self.config_changed.emit(candidate)
        super().accept()

    def _tested(
        self, probe: int, candidate: AppConfig, text: str | None, error: BaseException | None
    ) -> None:
        if sip.isdeleted(self) or probe != self._probe:
            return
        if error is not None:
            text = _masked(str(error) or type(error).__name__, candidate)
        self.status_label.setText(text)


def _masked(message: str, config: AppConfig) -> str:
    """`message` with the configuration's password, if any, replaced by "***"."""
    password = config.database.password if isinstance(config.database, MySQLSettings) else ""
    return message.replace(password, "***") if password else message
