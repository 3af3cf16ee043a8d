"""System errors in French words, for the sentences staff read (no I/O here)."""

from __future__ import annotations

import errno

_OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EROFS: "système de fichiers en lecture seule",
}


def os_reason(exc: OSError) -> str:
    """A system error in French words."""
    return _OS_REASONS.get(exc.errno or 0, "erreur du système")
