import logging

import pytest
from PyQt5.QtWidgets import QMessageBox

from gui.app import has_display, report_unexpected_error

pytestmark = pytest.mark.gui


def test_an_unexpected_error_is_logged_and_shown_not_fatal(qtbot, monkeypatch, caplog):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[2]))
    with caplog.at_level(logging.CRITICAL, logger="gui.app"):
        report_unexpected_error(ValueError, ValueError("bad thing"), None)
    assert "ValueError: bad thing" in shown[0]
    assert caplog.records[0].levelno == logging.CRITICAL


def test_no_display_is_detected(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert not has_display()
    monkeypatch.setenv("DISPLAY", ":0")
    assert has_display()
