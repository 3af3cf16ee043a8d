"""The unit of work: every use case is one transaction, and storage trouble becomes a
French sentence, never a traceback.

The transaction rules of the whole service live here:

* a use case writes in one transaction: on any error nothing is written;
* expensive argon2 work is done *before* the write transaction (so SQLite writers do not
  queue behind a hash), and the transaction re-checks that the account did not change
  meanwhile (``version``), refusing with :class:`~entkiosk.domain.errors.Conflict`;
* failure bookkeeping (failed-login counters, lockouts) commits in its own small
  transaction after a refusal (see :mod:`.lockout`);
* mail leaves after the commit (see :mod:`.outgoing`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm.exc import StaleDataError

from ..domain import errors
from ..domain.errors import DomainError
from ..domain.i18n import N_, _
from ..store import db

log = logging.getLogger(__name__)

UNSTORABLE = N_("Ces informations ne peuvent pas être enregistrées : vérifiez-les et recommencez.")


class UnitOfWork:
    """Transactions on one engine: read-write, or read-only (which never queue for
    SQLite's write lock)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = db.session_factory(engine)
        self._read_sessions = db.session_factory(engine, read_only=True)

    def listen(self, name: str, listener) -> None:
        """A SQLAlchemy session event (``before_flush``, ``after_commit``…) on the read-write
        sessions (the directory's outbox watches their flushes)."""
        from sqlalchemy import event

        event.listen(self._sessions, name, listener)

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[DbSession]:
        """One transaction; ``read_only``: one that never writes (a write there fails)."""
        try:
            with db.transaction(self._read_sessions if read_only else self._sessions) as s:
                yield s
        except StaleDataError:
            raise errors.Conflict() from None
        except IntegrityError:
            raise errors.Conflict(_("Un autre poste vient de modifier les mêmes informations. Recommencez.")) from None
        except OperationalError as exc:
            if str(getattr(exc.orig, "sqlstate", "") or "").startswith("40"):
                # PostgreSQL rolled this transaction back because another one changed the
                # same rows (deadlock 40P01, serialization failure 40001): two kiosks on one
                # account, not a database down. Nothing was written; the step can be redone.
                log.info("transaction rolled back by the database: %s", type(exc.orig).__name__)
                raise errors.Conflict() from None
            log.warning("storage unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
            raise errors.StorageUnavailable() from None
        except DBAPIError as exc:
            log.error("storage refused a value: %s", type(exc.orig).__name__ if exc.orig else exc)
            raise DomainError(_(UNSTORABLE)) from None
        except UnicodeEncodeError:
            # Text no database can hold (a lone surrogate), refused by the driver itself.
            log.error("storage refused a value: text that cannot be encoded")
            raise DomainError(_(UNSTORABLE)) from None
