"""The schema: Alembic migrations match the models, SQLite runs in WAL, upgrade is idempotent."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from entkiosk.store import db
from entkiosk.store.models import Base


def test_migrations_match_models(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_records_head(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.HEAD == "0008"
    assert {"accounts", "tokens", "reset_requests", "charter_acceptances", "throttles", "sessions",
            "audit_events", "classes", "establishments"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_uses_wal_and_busy_timeout(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'k.db'}", busy_timeout=7)
    with engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == 7000
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_sqlite_file_created_in_missing_folder(tmp_path):
    path = tmp_path / "a" / "b" / "k.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    assert path.is_file()


def test_head_constant_is_alembics_newest_migration(db_url, tmp_path):
    """``db.HEAD`` lets a kiosk open an up-to-date database without loading Alembic."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == db.HEAD
    empty = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert not db.at_head(empty)  # no schema at all
    empty.dispose()
    engine = db.make_engine(db_url)  # (the PostgreSQL one is copied from a migrated template)
    db.upgrade(engine)
    assert db.at_head(engine)
    downgrade(engine, "0001")  # an older schema is upgraded, not skipped
    assert not db.at_head(engine) and "installation" not in inspect(engine).get_table_names()
    db.upgrade(engine)
    assert db.at_head(engine) and "installation" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_read_only_transaction_reads_past_a_writer_and_cannot_write(tmp_path):
    """A read-only transaction begins with a plain BEGIN: while another connection holds the
    write lock (longer than the busy timeout) it still reads; a write in it fails at once;
    and the next ordinary transaction on the same connection writes again."""
    import pytest
    from sqlalchemy.exc import OperationalError

    engine = db.make_engine(f"sqlite:///{tmp_path / 'k.db'}", busy_timeout=0.2)
    db.upgrade(engine)
    reads, writes = db.session_factory(engine, read_only=True), db.session_factory(engine)
    other = db.make_engine(f"sqlite:///{tmp_path / 'k.db'}", busy_timeout=0.2)
    with other.connect() as holder:
        holder.exec_driver_sql("INSERT INTO throttles (key, failures, level) VALUES ('held', 0, 0)")  # BEGIN IMMEDIATE
        with db.transaction(reads) as s:
            assert s.execute(text("SELECT count(*) FROM throttles")).scalar() == 0  # not the uncommitted row
        with pytest.raises(OperationalError, match="locked"), db.transaction(writes) as s:
            s.execute(text("SELECT 1"))
        holder.rollback()
    with pytest.raises(OperationalError, match="readonly"), db.transaction(reads) as s:
        s.execute(text("INSERT INTO throttles (key, failures, level) VALUES ('ro', 0, 0)"))
    with db.transaction(writes) as s:
        s.execute(text("INSERT INTO throttles (key, failures, level) VALUES ('rw', 0, 0)"))
    with engine.connect() as c:
        assert c.execute(text("SELECT key FROM throttles")).scalars().all() == ["rw"]
    other.dispose()
    engine.dispose()


def downgrade(engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_siecle_keys_migration_keeps_every_account(db_url):
    """0002 → 0003: the accounts already there stay as they were, with no SIECLE key and
    not leavers; the keys are unique once set (two pupils cannot share an INE)."""
    from datetime import UTC, datetime

    from sqlalchemy.exc import IntegrityError

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    downgrade(engine, "0002")
    now = datetime(2026, 9, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as c:
        assert "ine" not in {col["name"] for col in inspect(c).get_columns("accounts")}
        for n, ident in enumerate(("zoe.ndiaye", "lucas.martin")):
            c.execute(text(
                "INSERT INTO accounts (id, identifier, kind, state, first_name, last_name, password_hash, provisional,"
                " must_change_password, issued_at, version) VALUES (:id, :ident, 'student', 'active', 'A', 'B', 'h',"
                " false, false, :now, 1)"), {"id": 100 + n, "ident": ident, "now": now})
    db.upgrade(engine)
    with engine.begin() as c:
        rows = c.execute(text("SELECT identifier, state, ine, eleve_id, left_at FROM accounts ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("zoe.ndiaye", "active", None, None, None),
                                            ("lucas.martin", "active", None, None, None)]
        assert c.execute(text("SELECT uai FROM establishments")).all() == []
        c.execute(text("UPDATE accounts SET ine = '1234567890A' WHERE id = 100"))
    try:
        with engine.begin() as c:
            c.execute(text("UPDATE accounts SET ine = '1234567890A' WHERE id = 101"))
    except IntegrityError:
        pass
    else:
        raise AssertionError("two accounts took the same INE")
    engine.dispose()


def test_roles_migration_makes_every_staff_account_the_directions(db_url):
    """0003 → 0004: every staff account could do everything; it stays so as `direction`,
    with no class delegated; pupils get no role."""
    from datetime import UTC, datetime

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    downgrade(engine, "0003")
    now = datetime(2026, 9, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as c:
        assert "role" not in {col["name"] for col in inspect(c).get_columns("accounts")}
        for n, (ident, kind) in enumerate((("mme.durand", "staff"), ("zoe.ndiaye", "student"), ("m.petit", "staff"))):
            c.execute(text(
                "INSERT INTO accounts (id, identifier, kind, state, first_name, last_name, password_hash, provisional,"
                " must_change_password, issued_at, version) VALUES (:id, :ident, :kind, 'active', 'A', 'B', 'h',"
                " false, false, :now, 1)"), {"id": 100 + n, "ident": ident, "kind": kind, "now": now})
    db.upgrade(engine)
    with engine.begin() as c:
        rows = c.execute(text("SELECT identifier, role, disabled_at FROM accounts ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("mme.durand", "direction", None), ("zoe.ndiaye", None, None),
                                            ("m.petit", "direction", None)]
        assert c.execute(text("SELECT count(*) FROM staff_classes")).scalar() == 0
    engine.dispose()
