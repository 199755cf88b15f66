import threading

import pytest

from gui.workers import run_task

pytestmark = pytest.mark.gui


def test_result_comes_back_on_the_gui_thread(qtbot):
    gui_thread = threading.get_ident()
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    def done(result, error):
        seen["done"] = (threading.get_ident(), result, error)

    run_task(work, done)
    qtbot.waitUntil(lambda: "done" in seen, timeout=5000)
    assert seen["worker"] != gui_thread
    assert seen["done"] == (gui_thread, 42, None)


def test_an_exception_is_delivered_not_lost(qtbot):
    outcome = []
    run_task(lambda: 1 / 0, lambda result, error: outcome.append((result, error)))
    qtbot.waitUntil(lambda: bool(outcome), timeout=5000)
    result, error = outcome[0]
    assert result is None
    assert isinstance(error, ZeroDivisionError)
