"""LibraryView on a real SQLite store: listing, filtering, sorting, deleting, errors."""

from __future__ import annotations

import dataclasses

import pytest
from PyQt5.QtCore import Qt

from config.settings import AppConfig, SQLiteSettings
from gui.library import LibraryView, SongTableModel, format_duration

pytestmark = pytest.mark.gui

WAIT_MS = 10_000


def loaded_view(qtbot, config, open_store) -> LibraryView:
    """A LibraryView whose first load has finished."""
    view = LibraryView(config, open_store)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.counts_changed, timeout=WAIT_MS):
        pass
    return view


def column(view: LibraryView, col: int) -> list[str]:
    return [view.proxy.index(row, col).data() for row in range(view.proxy.rowCount())]


def select(view: LibraryView, name: str) -> None:
    view.table.selectRow(column(view, SongTableModel.NAME).index(name))


def stored_songs(open_store, config):
    with open_store(config) as store:
        return {song.name: song for song in store.songs()}


def error_shown(view: LibraryView) -> bool:
    return not view.error_label.isHidden() and bool(view.error_label.text())


def test_the_table_lists_the_stored_songs(qtbot, filled_config, open_store):
    view = loaded_view(qtbot, filled_config, open_store)
    songs = stored_songs(open_store, filled_config)
    assert view.table.objectName() == "songs"
    assert column(view, SongTableModel.NAME) == ["Alpha", "Beta", "Gamma"]
    for row, name in enumerate(column(view, SongTableModel.NAME)):
        assert view.proxy.index(row, SongTableModel.DURATION).data() == format_duration(
            songs[name].duration_s
        )
        assert view.proxy.index(row, SongTableModel.HASHES).data() == f"{songs[name].total_hashes:,}"
    assert column(view, SongTableModel.DURATION) == ["0:30"] * 3
    assert all(len(added) == len("YYYY-MM-DD HH:MM") for added in column(view, SongTableModel.ADDED))
    assert error_shown(view) is False


def test_the_filter_narrows_by_name_ignoring_case(qtbot, filled_config, open_store):
    view = loaded_view(qtbot, filled_config, open_store)
    qtbot.keyClicks(view.findChild(type(view.filter_edit), "filter"), "bET")
    assert column(view, SongTableModel.NAME) == ["Beta"]
    view.filter_edit.clear()
    assert len(column(view, SongTableModel.NAME)) == 3


def test_sorting_by_hashes_orders_by_number(qtbot, filled_config, open_store):
    view = loaded_view(qtbot, filled_config, open_store)
    songs = stored_songs(open_store, filled_config)
    view.table.sortByColumn(SongTableModel.HASHES, Qt.DescendingOrder)
    by_hashes = sorted(songs, key=lambda name: songs[name].total_hashes, reverse=True)
    assert column(view, SongTableModel.NAME) == by_hashes
    view.table.sortByColumn(SongTableModel.NAME, Qt.DescendingOrder)
    assert column(view, SongTableModel.NAME) == ["Gamma", "Beta", "Alpha"]


def test_counts_and_description_come_from_the_store(qtbot, filled_config, open_store):
    view = LibraryView(filled_config, open_store)
    qtbot.addWidget(view)
    with (
        qtbot.waitSignal(view.counts_changed, timeout=WAIT_MS) as counts,
        qtbot.waitSignal(view.store_described, timeout=WAIT_MS) as described,
    ):
        pass
    with open_store(filled_config) as store:
        assert tuple(counts.args) == store.counts()
        assert described.args == [store.description]


def test_delete_confirmed_removes_the_song(qtbot, filled_config, open_store, monkeypatch):
    view = loaded_view(qtbot, filled_config, open_store)
    asked = []
    monkeypatch.setattr(view, "_confirm_delete", lambda names: asked.append(list(names)) or True)
    select(view, "Beta")
    beta_id = stored_songs(open_store, filled_config)["Beta"].song_id
    assert view.selected_song_ids() == [beta_id]
    with qtbot.waitSignal(view.counts_changed, timeout=WAIT_MS) as counts:
        qtbot.mouseClick(view.findChild(type(view.delete_button), "delete"), Qt.LeftButton)
    assert asked == [["Beta"]]
    assert column(view, SongTableModel.NAME) == ["Alpha", "Gamma"]
    assert set(stored_songs(open_store, filled_config)) == {"Alpha", "Gamma"}
    assert counts.args[0] == 2
    assert view.delete_button.isEnabled() is False


def test_delete_refused_keeps_the_song(qtbot, filled_config, open_store, monkeypatch):
    view = loaded_view(qtbot, filled_config, open_store)
    monkeypatch.setattr(view, "_confirm_delete", lambda names: False)
    select(view, "Beta")
    qtbot.mouseClick(view.delete_button, Qt.LeftButton)
    assert set(stored_songs(open_store, filled_config)) == {"Alpha", "Beta", "Gamma"}
    assert column(view, SongTableModel.NAME) == ["Alpha", "Beta", "Gamma"]


def test_a_failed_delete_is_shown_and_the_list_refreshed(qtbot, filled_config, open_store, monkeypatch):
    view = loaded_view(qtbot, filled_config, open_store)
    monkeypatch.setattr(view, "_confirm_delete", lambda names: True)
    select(view, "Gamma")
    with open_store(filled_config) as store:  # someone else deletes it first
        store.delete_song(store.find_songs("Gamma")[0].song_id)
    with qtbot.waitSignal(view.counts_changed, timeout=WAIT_MS):
        view.delete_selected()
    assert error_shown(view)
    assert "No song with id" in view.error_label.text()
    assert column(view, SongTableModel.NAME) == ["Alpha", "Beta"]


def test_double_click_chooses_the_song(qtbot, filled_config, open_store):
    view = loaded_view(qtbot, filled_config, open_store)
    row = column(view, SongTableModel.NAME).index("Gamma")
    with qtbot.waitSignal(view.song_chosen) as chosen:
        view.table.doubleClicked.emit(view.proxy.index(row, SongTableModel.HASHES))
    assert chosen.args == [stored_songs(open_store, filled_config)["Gamma"].song_id, "Gamma"]


@pytest.mark.parametrize(
    ("button", "signal"),
    [("add_files", "add_files_requested"), ("fingerprint_folder", "fingerprint_folder_requested")],
)
def test_add_buttons_only_ask_the_window(qtbot, filled_config, open_store, button, signal):
    view = loaded_view(qtbot, filled_config, open_store)
    with qtbot.waitSignal(getattr(view, signal), timeout=1000):
        qtbot.mouseClick(view.findChild(type(view.add_files_button), button), Qt.LeftButton)


def test_an_unopenable_store_shows_an_error_and_the_view_stays_usable(
    qtbot, tmp_path, filled_config, open_store
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    view = LibraryView(AppConfig(database=SQLiteSettings(str(blocker / "store.sqlite3"))), open_store)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: error_shown(view), timeout=WAIT_MS)
    assert view.findChild(type(view.error_label), "error") is view.error_label
    assert view.proxy.rowCount() == 0
    with qtbot.waitSignal(view.counts_changed, timeout=WAIT_MS):
        view.set_config(filled_config)
    assert error_shown(view) is False
    assert column(view, SongTableModel.NAME) == ["Alpha", "Beta", "Gamma"]


def test_a_params_mismatch_shows_an_error(qtbot, filled_config, open_store):
    view = loaded_view(qtbot, filled_config, open_store)
    other_params = dataclasses.replace(
        filled_config.fingerprint, fan_value=filled_config.fingerprint.fan_value + 1
    )
    view.set_config(dataclasses.replace(filled_config, fingerprint=other_params))
    qtbot.waitUntil(lambda: error_shown(view), timeout=WAIT_MS)
    assert "fan_value" in view.error_label.text()
    assert view.proxy.rowCount() == 0
    qtbot.keyClicks(view.filter_edit, "a")  # still responsive
    assert view.filter_edit.text() == "a"
