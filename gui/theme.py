"""Light, dark and the system's own look."""

from __future__ import annotations

from PyQt5.QtGui import QColor, QPalette
from PyQt5.QtWidgets import QApplication, QStyleFactory

THEMES = ("system", "light", "dark")

_system_look: tuple[str, QPalette] | None = None


def _dark_palette() -> QPalette:
    palette = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    for role, colour in (
        (QPalette.Window, window),
        (QPalette.WindowText, text),
        (QPalette.Base, base),
        (QPalette.AlternateBase, window),
        (QPalette.ToolTipBase, window),
        (QPalette.ToolTipText, text),
        (QPalette.Text, text),
        (QPalette.Button, window),
        (QPalette.ButtonText, text),
        (QPalette.BrightText, QColor(255, 80, 80)),
        (QPalette.Link, QColor(90, 160, 255)),
        (QPalette.Highlight, QColor(60, 120, 215)),
        (QPalette.HighlightedText, QColor(255, 255, 255)),
    ):
        palette.setColor(role, colour)
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        palette.setColor(QPalette.Disabled, role, QColor(130, 130, 130))
    return palette


def apply_theme(name: str) -> str:
    """Switch the application to `name`, one of THEMES (anything else means "system"); return the name."""
    global _system_look
    app = QApplication.instance()
    if _system_look is None:
        _system_look = (app.style().objectName(), QPalette(app.palette()))
    style_name, system_palette = _system_look
    if name == "dark":
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(_dark_palette())
    elif name == "light":
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(app.style().standardPalette())
    else:
        name = "system"
        app.setStyle(QStyleFactory.create(style_name) or QStyleFactory.create("Fusion"))
        app.setPalette(system_palette)
    return name
