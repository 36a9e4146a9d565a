"""The console on a real terminal (a pseudo-terminal): what the knowledge base's loading reports while the
prompt waits is printed above the prompt, and the prompt is drawn again, as a shell does."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

from .conftest import KNOWLEDGE, REPO, copy_tree
from .waiting import wait_until

PROMPT = "you>"
CLEAR_LINE = "\r\x1b[K"


class Terminal:
    """A process on a pseudo-terminal, and everything it drew there."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(argv, cwd=REPO, env=env, stdin=slave, stdout=slave, stderr=slave,
                                        start_new_session=True)
        os.close(slave)
        self.screen = ""

    def read(self) -> str:
        """What it drew so far (reading whatever is waiting)."""
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the process has gone
                break
            if not chunk:
                break
            self.screen += chunk.decode("utf-8", "replace")
        return self.screen

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        os.close(self.master)


def test_an_ingest_warning_goes_above_the_waiting_prompt_which_is_drawn_again(tmp_path):
    knowledge = copy_tree(KNOWLEDGE, tmp_path / "knowledge")
    (knowledge / "neurips2025" / "_config.yml").write_text("title: [unclosed\n", encoding="utf-8")
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(knowledge),
           "TERM": "xterm", "COLUMNS": "200", "LINES": "50"}
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "PORT"):
        env.pop(name, None)
    terminal = Terminal([sys.executable, "-m", "bot", "serve"], env)
    try:
        wait_until(lambda: PROMPT in terminal.read(), timeout=120, every=0.1, what="the prompt")
        warned = wait_until(lambda: "the site is read without its configuration" in terminal.read(), timeout=300,
                            every=0.1, what="the ingest's warning on the terminal")
        wait_until(lambda: PROMPT in terminal.read().rsplit("the site is read without its configuration", 1)[1],
                   timeout=60, every=0.1, what="the prompt drawn again after the warning")
        screen = terminal.read()
        before, _, after = screen.rpartition("the site is read without its configuration")
        cleared = before.rindex(CLEAR_LINE)  # the prompt's line, cleared for the warning
        assert before.rindex(PROMPT) < cleared, repr(before[-300:])
        assert "warning" in before[cleared:] and "_config.yml" in before[cleared:], repr(before[cleared:])
        assert PROMPT in after, repr(after)
        assert warned

        terminal.type("quit\r")
        wait_until(lambda: terminal.read() is not None and terminal.process.poll() is not None, timeout=60,
                   every=0.1, what="the console ending at quit")
        assert terminal.process.returncode == 0
    finally:
        terminal.close()
