"""Suite-wide settings."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _hold_back_progress_lines(monkeypatch):
    """Tests that expect an empty stderr check for warnings and errors, not for the progress lines a CLI run
    prints off a terminal once it outlasts ``HoldBack.DELAY`` (which a loaded machine can reach): hold those back
    for an hour. ``tests/engine/test_progress.py`` sets the delay it tests."""
    from qheat.core.progress import HoldBack

    monkeypatch.setattr(HoldBack, "DELAY", 3600.0)
