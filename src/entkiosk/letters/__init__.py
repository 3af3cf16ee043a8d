"""Notification letters (SPEC §6): plain text and PDF, from one template of wording.

The staff console and the command line use :func:`check_output` before issuing any
password, then :func:`write_letters`; the console names its files with
:func:`console_letters_path`.
"""

from .output import check_output, console_letters_path, files_sentence, os_reason, write_letters, write_private

__all__ = ["check_output", "console_letters_path", "files_sentence", "os_reason", "write_letters", "write_private"]
