"""Run by the image's build, as root, after `uv sync`: imports every module of the bot, so that Python writes
the bytecode of them and of what they import into /opt/venv (the bot's user cannot write there, and would
compile them at every start). A module whose extra is not installed is passed over, saying so."""

import importlib
import pkgutil
import sys

import bot

for module in pkgutil.walk_packages(bot.__path__, f"{bot.__name__}."):
    if module.name.endswith(".__main__"):  # runs the CLI
        continue
    try:
        importlib.import_module(module.name)
    except ModuleNotFoundError as error:
        print(f"{module.name} not imported: {error} (an extra this image does not install)", file=sys.stderr)
