"""The audit: every use case records what it did, who did it and on which kiosk — never
a password, a provisional password, a code or a token (only their effects)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from ..domain.clock import Clock
from ..store.models import AuditEvent
from .views import AuditRecord


class Audit:
    """Audit events of one kiosk, dated by its clock, written in the use case's transaction
    (an action rolled back leaves no event)."""

    def __init__(self, clock: Clock, kiosk_id: str) -> None:
        self.clock = clock
        self.kiosk_id = kiosk_id

    def record(self, s: DbSession, event: str, identifier: str | None = None, *, actor: str | None = None,
               **details: object) -> None:
        s.add(AuditEvent(at=self.clock.now(), kiosk_id=self.kiosk_id, event=event, identifier=identifier,
                         actor=actor, details=details))

    @staticmethod
    def events(s: DbSession) -> list[AuditRecord]:
        """Every event, oldest first."""
        return [AuditRecord(e.at, e.kiosk_id, e.event, e.identifier, e.actor, dict(e.details or {}))
                for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
