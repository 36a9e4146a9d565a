"""A non-editable install (as the container image makes) carries the templates and data files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.config import templates_dir

REPO = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "bot", "prompts"]


def test_templates_are_found_in_the_package_first(tmp_path):
    package = tmp_path / "site-packages" / "bot"
    (package / "prompts").mkdir(parents=True)
    assert templates_dir(package) == package / "prompts"


def test_a_checkout_uses_the_prompts_folder_beside_the_package():
    assert templates_dir(REPO / "bot") == REPO / "prompts"


def test_the_wheel_ships_every_template_and_data_file(tmp_path):
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ and *.egg-info there
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, source / name)
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"  # PEP 517, offline
    subprocess.run([sys.executable, "-c", build, str(tmp_path / "dist")], cwd=source, check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"bot/prompts/{p.relative_to(REPO / 'prompts').as_posix()}"
                 for p in (REPO / "prompts").rglob("*") if p.is_file()}
    assert templates and templates <= shipped
    assert {"bot/index/minilm/tokenizer.json", "bot/index/stopwords.txt", "bot/assistant/decision.json",
            "bot/storage/migrations/env.py"} <= shipped
