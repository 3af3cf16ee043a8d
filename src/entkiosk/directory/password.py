"""The bind password, read from its own file (never from kiosk.conf), at start-up.

Kept apart from the LDAP client so that the kiosk checks it before its first paint
without loading ldap3."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..config import ConfigError, DirectorySettings
from ..domain.i18n import _


def bind_password(directory: DirectorySettings, source: str) -> str:
    """The bind password, read from ``[directory] password_file``: a file its owner only may
    read (the password opens the pupils' entries for writing); and ``ca_file`` readable, when
    set. Raises :class:`ConfigError`."""
    path = Path(directory.password_file).expanduser()
    try:
        found = path.stat()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(_("{source} : clé « directory.password_file » : le fichier {file} est introuvable.")
                          .format(source=source, file=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else _("il n'est pas encodé en UTF-8")
        raise ConfigError(_("{source} : clé « directory.password_file » : le fichier {file} ne peut pas être lu "
                            "({reason}).").format(source=source, file=path, reason=reason)) from None
    if os.name == "posix" and stat.S_IMODE(found.st_mode) & 0o077:
        raise ConfigError(_("{source} : clé « directory.password_file » : le fichier {file} peut être lu par "
                            "d'autres comptes (droits {mode:o}) : il doit être réservé à son propriétaire "
                            "(chmod 600 {file}).").format(source=source, file=path,
                                                          mode=stat.S_IMODE(found.st_mode)))
    if directory.ca_file:  # read when the first connection is made: said now, not then
        authority = Path(directory.ca_file).expanduser()
        try:
            authority.read_bytes()
        except OSError as exc:
            raise ConfigError(_("{source}\u00a0: clé «\u00a0directory.ca_file\u00a0»\u00a0: le certificat {file} ne peut "
                                "pas être lu ({reason}).").format(source=source, file=authority,
                                                                   reason=exc.strerror)) from None
    password = text.split("\n", 1)[0].rstrip("\r")
    if not password:
        raise ConfigError(_("{source} : clé « directory.password_file » : le fichier {file} est vide : il doit "
                            "contenir le mot de passe de {bind_dn} sur sa première ligne.")
                          .format(source=source, file=path, bind_dn=directory.bind_dn))
    return password
