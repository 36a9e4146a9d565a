"""`python -m bot` is the `workshop-bot` command."""

from bot.cli import main

main()
