"""What a screen may ask of the kiosk: :class:`Kiosk`, the app as its screens see it.

Screens never import the app module (:mod:`.app` imports screens, so that would be a
cycle): they are typed against this base, which :class:`~.app.KioskApp` implements.
It names the few things the guide's screens share — the settings, the service, the
student's session, the portal choice remembered, the demo's letters — and the moves
between screens that need the whole stack (end a session, open one, go home).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from textual.app import App
from textual.screen import Screen

from ..config import Settings

if TYPE_CHECKING:
    from ..service import AccountService, IssuedLetter, LoginResult

log = logging.getLogger(__name__)

#: A kept screen, of the type asked for.
S = TypeVar("S", bound=Screen)


class PortalMemory:
    """The portal choice remembered by this kiosk (« Mémoriser ce choix »)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def load(self) -> tuple[str, str] | None:
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return str(data["establishment"]), str(data["profile"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, establishment: str, profile: str) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"establishment": establishment, "profile": profile}), encoding="utf-8")
        except OSError as exc:
            log.warning("portal choice not saved: %s", exc.strerror)

    def forget(self) -> None:
        if self.path is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("portal choice not forgotten: %s", exc.strerror)


class Kiosk(App[None]):
    """The kiosk app as its screens see it (the one implementation is ``KioskApp``)."""

    settings: Settings
    memory: PortalMemory
    #: The student or staff member logged in on this kiosk, if any.
    session: LoginResult | None
    #: ``entkiosk demo``: the letters F2 shows, and the demo's staff account (identifier, password).
    demo_letters: Sequence[IssuedLetter]
    demo_staff: tuple[str, str] | None
    #: Set when a staff confirmation is accepted: the screen behind waits for the job.
    job_follows: bool

    @property
    def service(self) -> AccountService:
        raise NotImplementedError

    @property
    def token(self) -> str:
        """The session's token ("" when nobody is logged in)."""
        return self.session.token if self.session else ""

    def end_session(self, notice: str | None = None) -> None:
        """Log out, forget everything typed, and show a fresh accueil (with ``notice``)."""
        raise NotImplementedError

    def open_session(self, login: LoginResult) -> None:
        """Where a successful login leads, as in the guide."""
        raise NotImplementedError

    def go_home(self, *, instead_of_current: bool = False) -> None:
        """The student's home screen (ACCÉDER AUX SERVICES)."""
        raise NotImplementedError

    def way_in(self, screen_type: type[S], **options: object) -> S:
        """The one kept instance of a screen every student passes through."""
        raise NotImplementedError

    def show(self, screen: Screen, *, instead_of_current: bool = False) -> None:
        """Show a kept screen: back to it, on top of the current one, or in its place."""
        raise NotImplementedError

    def change_portal(self) -> None:
        """« Changer de portail »: forget the remembered choice and show the portal."""
        raise NotImplementedError
