"""What an unexpected error leaves behind: a few lines in the kiosk's log, nothing on screen.

Textual prints what stopped an app (its traceback, with the values of each frame's
variables) on the app's ``error_console`` as it exits. The kiosk points that console at
:class:`TracebackToLog`, which keeps the frames (file, line, function, source) and the
exception's type, and leaves out the variables' values and the exception's message:
both may hold what a student typed, a password among them.
"""

from __future__ import annotations

import io
import logging
import re

log = logging.getLogger(__name__)

#: The boxes rich draws around a traceback and around each frame's variables.
BOX = "╭│╰"
EXCEPTION_TYPE = re.compile(r"[A-Za-z_][\w.]*(?=:|$)")


def frames_only(text: str) -> list[str]:
    """The lines of a rich traceback worth logging: frames and exception types, no values."""
    kept: list[str] = []
    after_box = False
    for line in text.splitlines():
        if line[:1] in BOX:
            inner = line[1:].strip().rstrip("│").rstrip()
            after_box = line.startswith("╰")
            if line.startswith("│") and inner and inner[0] not in BOX:  # not a box of variables
                kept.append(inner)
            continue
        if after_box and line.strip():
            # The exception: its type only (its message may quote what was typed).
            found = EXCEPTION_TYPE.match(line.strip())
            kept.append(found.group(0) if found else "(exception)")
            after_box = False
        elif line.startswith(("The above exception", "During handling")):
            kept.append(line.strip())
    return kept


class TracebackToLog(io.StringIO):
    """A file for a rich console: each flush goes to the log as :func:`frames_only` keeps it."""

    def flush(self) -> None:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        if text.strip():
            log.error("unexpected error in the kiosk (values and message left out):\n%s",
                      "\n".join(frames_only(text)))
