"""System errors in French words, for the sentences staff read (no I/O here)."""

from __future__ import annotations

import errno

from .i18n import N_, _

_OS_REASONS = {
    errno.ENOENT: N_("fichier ou dossier introuvable"),
    errno.EACCES: N_("accès refusé"),
    errno.EPERM: N_("opération non permise"),
    errno.EISDIR: N_("c'est un dossier"),
    errno.ENOTDIR: N_("un élément du chemin n'est pas un dossier"),
    errno.ENOSPC: N_("disque plein"),
    errno.EDQUOT: N_("quota disque dépassé"),
    errno.EROFS: N_("système de fichiers en lecture seule"),
}


def os_reason(exc: OSError) -> str:
    """A system error in French words."""
    reason = _OS_REASONS.get(exc.errno or 0)
    return _(reason) if reason is not None else _("erreur du système")
