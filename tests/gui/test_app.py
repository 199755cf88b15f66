import pytest
from PyQt5.QtWidgets import QLabel

from config.settings import AppConfig, MySQLSettings, SQLiteSettings
from gui.app import build_window

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (AppConfig(database=SQLiteSettings("/data/songs.sqlite3")), "SQLite /data/songs.sqlite3"),
        (
            AppConfig(
                database_type="mysql", database=MySQLSettings(user="u", password="secret", database="d")
            ),
            "MySQL u@127.0.0.1:3306/d",
        ),
    ],
)
def test_window_names_the_store_and_never_the_password(qtbot, config, expected):
    window = build_window(config)
    qtbot.addWidget(window)
    window.show()
    text = window.findChild(QLabel, "placeholder").text()
    assert expected in text
    assert "--recognize file" in text
    assert "secret" not in text


def test_the_shared_store_fixture_holds_the_songs(filled_config, open_store):
    with open_store(filled_config) as store:
        assert sorted(song.name for song in store.songs()) == ["Alpha", "Beta", "Gamma"]
