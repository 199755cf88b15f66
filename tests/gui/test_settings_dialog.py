"""DatabaseSettingsDialog: testing a connection (real SQLite and MariaDB stores) and saving dejavu.cnf."""

from __future__ import annotations

import dataclasses

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QSpinBox

from config.loader import load_config
from config.settings import AppConfig, MySQLSettings, SQLiteSettings
from gui.settings_dialog import DatabaseSettingsDialog

pytestmark = pytest.mark.gui

WAIT_MS = 15_000
TUNED = dataclasses.replace(AppConfig().fingerprint, fan_value=5, min_aligned_hashes=9)


def make_dialog(qtbot, config, config_path, open_store) -> DatabaseSettingsDialog:
    dialog = DatabaseSettingsDialog(config, None if config_path is None else str(config_path), open_store)
    qtbot.addWidget(dialog)
    return dialog


def child(dialog, cls, name):
    widget = dialog.findChild(cls, name)
    assert widget is not None, name
    return widget


def choose_mysql(dialog, host, port, user, password, database) -> None:
    kind = child(dialog, QComboBox, "kind")
    kind.setCurrentIndex(kind.findData("mysql"))
    child(dialog, QLineEdit, "host").setText(host)
    child(dialog, QSpinBox, "port").setValue(port)
    child(dialog, QLineEdit, "user").setText(user)
    child(dialog, QLineEdit, "password").setText(password)
    child(dialog, QLineEdit, "database").setText(database)


def status_after_test(qtbot, dialog) -> str:
    """Press Test connection and wait for its answer in the status label."""
    status = child(dialog, QLabel, "status")
    qtbot.mouseClick(child(dialog, QPushButton, "test"), Qt.LeftButton)
    qtbot.waitUntil(lambda: status.text() not in ("", "Connecting…"), timeout=WAIT_MS)
    return status.text()


def press_ok(dialog) -> None:
    child(dialog, QDialogButtonBox, "buttons").button(QDialogButtonBox.Ok).click()


@pytest.mark.mysql
def test_test_connection_reaches_the_mariadb_server(
    qtbot, empty_config, open_store, mysql_settings, tmp_path
):
    dialog = make_dialog(qtbot, empty_config, tmp_path / "dejavu.cnf", open_store)
    choose_mysql(dialog, **mysql_settings)
    text = status_after_test(qtbot, dialog)
    assert text.startswith("Connected: MySQL"), text
    assert f"{mysql_settings['database']}, 0 songs" in text
    assert str(mysql_settings["password"]) not in text


@pytest.mark.mysql
def test_a_wrong_password_shows_access_denied_without_the_password(
    qtbot, empty_config, open_store, mysql_settings, tmp_path
):
    wrong = "Wr0ng-Pa55word-42"
    dialog = make_dialog(qtbot, empty_config, tmp_path / "dejavu.cnf", open_store)
    choose_mysql(dialog, **{**mysql_settings, "password": wrong})
    text = status_after_test(qtbot, dialog)
    assert "denied" in text.lower(), text
    assert wrong not in text
    assert child(dialog, QLineEdit, "password").echoMode() == QLineEdit.Password


def test_test_connection_describes_an_sqlite_store(qtbot, filled_config, open_store, tmp_path):
    dialog = make_dialog(qtbot, filled_config, tmp_path / "dejavu.cnf", open_store)
    assert child(dialog, QLineEdit, "sqlite_path").text() == filled_config.database.path
    assert status_after_test(qtbot, dialog) == f"Connected: SQLite {filled_config.database.path}, 3 songs"


def test_test_connection_shows_why_a_store_cannot_be_opened(qtbot, empty_config, open_store, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog = make_dialog(qtbot, empty_config, tmp_path / "dejavu.cnf", open_store)
    child(dialog, QLineEdit, "sqlite_path").setText(str(blocker / "store.sqlite3"))
    text = status_after_test(qtbot, dialog)
    assert not text.startswith("Connected"), text
    assert "a-file" in text


def test_ok_saves_a_mysql_config_and_emits_it(qtbot, empty_config, open_store, tmp_path):
    original = dataclasses.replace(empty_config, fingerprint=TUNED, fingerprint_limit=40.0)
    path = tmp_path / "dejavu.cnf"
    dialog = make_dialog(qtbot, original, path, open_store)
    choose_mysql(dialog, "db.example", 3307, "shazam", "Pa55-w0rd", "songs")
    candidate = dialog.candidate_config()
    assert candidate == AppConfig(
        database_type="mysql",
        database=MySQLSettings(
            host="db.example", port=3307, user="shazam", password="Pa55-w0rd", database="songs"
        ),
        fingerprint_limit=40.0,
        fingerprint=TUNED,
    )
    with qtbot.waitSignal(dialog.config_changed, timeout=1000) as changed:
        press_ok(dialog)
    assert changed.args == [candidate]
    assert load_config(path) == candidate == dialog.config()
    assert dialog.result() == QDialog.Accepted


def test_sqlite_path_round_trip(qtbot, empty_config, open_store, tmp_path, monkeypatch):
    path = tmp_path / "dejavu.cnf"
    dialog = make_dialog(qtbot, empty_config, path, open_store)
    chosen = str(tmp_path / "elsewhere.sqlite3")
    monkeypatch.setattr(dialog.sqlite_page, "_ask_path", lambda start: chosen)
    qtbot.mouseClick(child(dialog, QPushButton, "browse"), Qt.LeftButton)
    assert child(dialog, QLineEdit, "sqlite_path").text() == chosen
    press_ok(dialog)
    assert load_config(path) == AppConfig(database=SQLiteSettings(chosen)) == dialog.config()

    reopened = make_dialog(qtbot, load_config(path), path, open_store)
    assert child(reopened, QLineEdit, "sqlite_path").text() == chosen
    assert child(reopened, QComboBox, "kind").currentData() == "sqlite"
    assert reopened.candidate_config() == load_config(path)


def test_an_empty_sqlite_path_means_the_default_store(qtbot, open_store, tmp_path):
    dialog = make_dialog(qtbot, AppConfig(), tmp_path / "dejavu.cnf", open_store)
    assert dialog.candidate_config() == AppConfig()


def test_without_a_config_path_ok_saves_in_the_user_config_folder(
    qtbot, empty_config, open_store, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    dialog = make_dialog(qtbot, empty_config, None, open_store)
    press_ok(dialog)
    assert dialog.config_path() == tmp_path / "xdg" / "shazam-clone" / "dejavu.cnf"
    assert load_config(dialog.config_path()) == empty_config


def test_a_failed_save_stays_open_and_does_not_show_the_password(qtbot, empty_config, open_store, tmp_path):
    dialog = make_dialog(qtbot, empty_config, tmp_path / "missing" / "dejavu.cnf", open_store)
    choose_mysql(dialog, "db.example", 3306, "shazam", "Pa55-w0rd", "songs")
    emitted = []
    dialog.config_changed.connect(emitted.append)
    press_ok(dialog)
    status = child(dialog, QLabel, "status").text()
    assert "missing" in status
    assert "Pa55-w0rd" not in status
    assert emitted == []
    assert dialog.result() != QDialog.Accepted
    assert dialog.config() == empty_config
