"""The templates in prompts/ ship inside the wheel as bot/prompts, so a non-editable install finds them.

An editable install (`make run`) reads prompts/ in the checkout instead: nothing is copied there.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithTemplates(build_py):
    """Adds the repository's prompts/ to the built package."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            self.copy_tree("prompts", str(Path(self.build_lib) / "bot" / "prompts"))


setup(cmdclass={"build_py": BuildWithTemplates})
