"""The documentation site: every setting is described (the configuration reference is generated from
the settings class), and `mkdocs build --strict` passes (no broken link, no page left out of the nav)."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.config import Settings

from .conftest import REPO


def test_every_setting_has_a_description():
    """The generated reference shows each field's description; an empty cell is a setting nobody can use."""
    missing = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert missing == [], f"settings without Field(..., description=...) in bot/config.py: {missing}"


def test_the_reference_names_every_setting():
    sys.path.insert(0, str(REPO / "docs" / "hooks"))
    try:
        import settings_reference
    finally:
        sys.path.remove(str(REPO / "docs" / "hooks"))
    page = settings_reference.reference()
    for name in Settings.model_fields:
        assert f"| `{name.upper()}` |" in page, name


def test_the_site_builds_strictly(tmp_path):
    """Warnings (a link to a missing page or anchor, a page missing from the nav) fail a strict build."""
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--config-file", str(REPO / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    reference = (tmp_path / "site" / "configuration" / "index.html").read_text(encoding="utf-8")
    assert "BOT_DATA_DIR" in reference and "settings-reference" not in reference
