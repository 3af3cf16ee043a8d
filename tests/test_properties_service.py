"""Generated bad input against every public entry point of AccountService.

Each call either succeeds or raises a DomainError whose text is a French sentence safe to
show (no traceback, no control character, no echoed secret), never another exception;
and a refused call leaves the database as it was: every table is dumped before and
after the call and compared. The only rows a refusal may write are the failure
bookkeeping the service commits on purpose (service.py's docstring): throttle counters,
the audit event of the failed attempt, the attempt counter of a one-time code, and the
last use of the live session the call came with.

One seeded school per database (SQLite file and PostgreSQL) serves the whole module: a
student waiting for activation, one activated without the charter, one ready with a
pending e-mail and reset code, one whose deadline passed, a spare one for staff actions,
and a staff member, each with a live session token. Examples run one after the other on
it; since each call is judged only by its own before/after dump, what earlier examples
left behind cannot hide a fault. Throttles are emptied after each call so that repeated
failures on a seeded identifier do not lock it (and end its session) for the examples
that follow; the lockout itself is covered by test_lockout.py.

Sizes: every property runs a share of the Hypothesis profile's examples (see
properties_support.examples and conftest.py).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import GOOD_PASSWORD, PG_ENV, START, make_settings, student
from hypothesis import HealthCheck, assume, event, given
from hypothesis import strategies as st
from properties_support import examples, french_problem
from sqlalchemy import delete, select

from entkiosk.domain.classlist import StudentRow
from entkiosk.domain.clock import FixedClock
from entkiosk.domain.errors import DomainError, ImportRejected, InvalidInput, Locked
from entkiosk.runtime import open_service
from entkiosk.service import AccountService
from entkiosk.store.models import Base, Throttle

STAFF_PASSWORD = "Correct horse 9 battery"
SERVICE_SHARE = 0.3  # 30 examples per property under "ci", 600 under "long"

# ---------------------------------------------------------------- generated input

SPECIAL = [
    "", " ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u200b", "\u200f", "\u202e", "\ufeff", "\x00", "a\x00b",
    "\x1b[31mrouge", "\ud800", "\udfff", "e\u0301", "\u0301", "🙂", "Ⅻ", "İ", "ß", "ǅ", "%s", "{0}", "%(x)s",
    "'; DROP TABLE accounts; --", "\" OR 1=1 --", "<script>", "[bold]x[/]", "../../etc/passwd", "NULL", "None",
    "0", "-1", "julie.baillet", " JULIE.BAILLET ", "prof.test", "Velo2roues",
]
ANY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates included
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2028\u2029\u3000"


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any Unicode: specials, random text with controls and surrogates, blanks, 10k+ strings."""
    return st.one_of(
        st.sampled_from(SPECIAL),
        st.text(ANY_CHAR, max_size=max_size),
        st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=8),
        st.builds(lambda c, n: c * n, ANY_CHAR, st.integers(10_000, 12_000)),
        st.builds(lambda a, b, c: a + b + c, st.sampled_from(SPECIAL), st.text(ANY_CHAR, max_size=8),
                  st.sampled_from(SPECIAL)),
    )


BAD_DATES = ["31/02/2010", "2010-03-14", "99/99/9999", "", " ", "00/00/0000", "14/03/10", "14/03/2010 10:00",
             "14-03-2010", "14.03.2010", "1/1/1", "32/01/2010", "14/13/2010", "29/02/2009", "01/01/1899",
             "01/01/2999", "14/03/99999", "-1/03/2010", "１４/０３/２０１０", "١٤/٠٣/٢٠١٠", "14 / 03 / 2010",
             "14/03/2010\x00", "14/03/2010\u200b", "aa/bb/cccc", "//", "14//2010", "15/03/2010"]


def date_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(BAD_DATES),
        st.dates().map(lambda d: d.isoformat()),
        st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}", st.integers(-5, 120), st.integers(-5, 120),
                  st.integers(-10, 100_000), st.sampled_from("/-. ")),
        texts(),
    )


BAD_EMAILS = ["a@b", "a@@b.fr", "@x.fr", "a@", "é@x.fr", "a@x.fr\r\nBcc: victime@x.fr", "a@x.fr\nSubject: x",
              "a" * 300 + "@x.fr", "zoe@example.org\x00", "<a@x.fr>", "a b@x.fr", "a@x..fr", "a@-x.fr",
              "\"a\"@x.fr", "a@[127.0.0.1]", "a@localhost", "zoe@EXAMPLE.org", "zoé@exämple.fr"]


def emails() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(BAD_EMAILS), st.emails(), texts())


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
URLSAFE = string.ascii_letters + string.digits + "-_"


def codes() -> st.SearchStrategy[str]:
    """Garbage, near-codes (8 characters of the alphabet or not), link tokens, pasted links."""
    link = st.text(st.sampled_from(URLSAFE), min_size=38, max_size=66)
    return st.one_of(
        texts(),
        st.text(st.sampled_from(CROCKFORD + "-OILUoilu "), min_size=6, max_size=12),
        link,
        link.map(lambda t: f"https://services.example.org/email?code={t}&x=1"),
        st.builds(lambda t, s: f"code={t}{s}", link, st.sampled_from(SPECIAL)),
    )


def tokens_or(*real: str) -> st.SearchStrategy[str]:
    """A session token: garbage, a well-formed unknown one, or one of ``real``."""
    well_formed = st.text(st.sampled_from(URLSAFE), min_size=40, max_size=64)
    if real:
        well_formed = st.one_of(well_formed, st.sampled_from(real))
    bad = st.one_of(
        texts(), well_formed,
        # Padded with (Unicode) blanks or cut: what a paste or a stale screen could hand over.
        st.builds(lambda a, t, b: a + t + b, st.sampled_from(["", " ", "\u2003", "\n"]), well_formed,
                  st.sampled_from(["", "\t", "\u00a0", "\x00", "é"])),
        well_formed.map(lambda t: t[:-1]))
    if not real:
        return bad
    # A live session half the time, so that the checks behind the session get their share.
    return either(st.sampled_from(real), bad)


def either(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """``good`` or ``bad`` with even odds (``one_of`` would weigh each branch of ``bad``)."""
    return st.booleans().flatmap(lambda pick: bad if pick else good)


# ---------------------------------------------------------------- the seeded school


@dataclass(repr=False)  # no tokens or passwords in Hypothesis's failure reports
class School:
    service: AccountService
    clock: FixedClock
    waiting: str  # identifier of a student not yet activated
    waiting_password: str
    waiting_token: str  # first_connection session
    activated: str  # activated, charter not accepted
    activated_token: str
    ready: str  # activated, charter, validated e-mail, pending new e-mail, pending reset code
    ready_token: str
    expired: str  # deadline passed, never activated
    expired_password: str
    spare: str  # waiting student in class « Réserve », for staff actions that succeed
    staff_token: str
    student_tokens: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"School({self.engine.dialect.name})"

    @property
    def engine(self):
        return self.service.engine


def _seed(service: AccountService, clock: FixedClock) -> School:
    clock.set(START - timedelta(days=200))  # a letter issued long ago: its deadline has passed
    expired = service.import_class_list([student("Léa", "Roux", date(2010, 1, 1), "2nde 2")], actor="cli:seed")[0]
    clock.set(START)
    waiting, activated, ready = service.import_class_list([
        student("Julie", "Baillet", date(2010, 3, 14), "2nde 1", line=2),
        student("Hugo", "Martin", date(2009, 5, 2), "2nde 1", line=3),
        student("Zoé", "N'Diaye", date(2009, 11, 30), "2nde 1", line=4),
    ], actor="cli:seed")
    spare = service.import_class_list([student("Tom", "Petit", date(2010, 6, 1), "Réserve")], actor="cli:seed")[0]
    waiting_token = service.authenticate(waiting.identifier, waiting.provisional_password).token

    login = service.authenticate(activated.identifier, activated.provisional_password)
    service.first_connection(login.token, birth_date="02/05/2009", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD)
    activated_token = login.token

    login = service.authenticate(ready.identifier, ready.provisional_password)
    service.first_connection(login.token, birth_date="30/11/2009", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD, email="zoe@example.org", confirm_email="zoe@example.org")
    service.accept_charter(login.token, service.settings.charter.version)
    link = _last_link(service)
    service.validate_email(link)
    service.forgot_password(ready.identifier)  # a live reset code
    clock.advance(minutes=2)
    service.change_email(login.token, GOOD_PASSWORD, "zoe@example.net", "zoe@example.net")  # a pending address
    ready_token = login.token

    service.add_staff("prof.test", STAFF_PASSWORD, STAFF_PASSWORD, first_name="Paul", last_name="Prof", actor="cli:seed")
    staff_token = service.authenticate("prof.test", STAFF_PASSWORD, kind="staff").token
    return School(service, clock, waiting.identifier, waiting.provisional_password, waiting_token,
                  activated.identifier, activated_token, ready.identifier, ready_token, expired.identifier,
                  expired.provisional_password, spare.identifier, staff_token,
                  (waiting_token, activated_token, ready_token))


def _last_link(service: AccountService) -> str:
    import re

    from entkiosk.mail import OutboxTransport

    body = OutboxTransport(service.settings.outbox_path()).entries()[-1].body
    return re.search(r"code=([A-Za-z0-9_-]+)", body).group(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def school(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_template) -> Iterator[School]:
    """One seeded school per database for the whole module (see the module docstring)."""
    folder = tmp_path_factory.mktemp(f"props-{request.param}")
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'entkiosk.db'}"
    else:
        if pg_template is None:
            pytest.skip(f"PostgreSQL not available: set {PG_ENV}")
        name = pg_template.fresh()
        url = pg_template.url(name)
    clock = FixedClock(START)
    service = open_service(make_settings(url, folder), clock=clock)
    try:
        yield _seed(service, clock)
    finally:
        service.engine.dispose()
        if name is not None:
            pg_template.drop(name)


# ---------------------------------------------------------------- dumps and the judgement


def dump(school: School) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every table of the models, each row by primary key (so rows compare whatever their order)."""
    tables: dict[str, dict[Any, dict[str, Any]]] = {}
    with school.engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            pk = [col.name for col in table.primary_key.columns]
            rows = {}
            for row in c.execute(select(table)).mappings():
                rows[tuple(row[k] for k in pk)] = dict(row)
            tables[table.name] = dict(sorted(rows.items(), key=lambda item: repr(item[0])))
    return tables


#: Audit events a refusal writes on purpose: the record of the failed attempt.
FAILURE_EVENTS = {"login.failed", "login.expired", "activation.bad_birth_date", "profile.bad_password",
                  "email.bad_code", "password.bad_code", "lockout", "recovery.identifier"}


def unexplained_changes(before: dict, after: dict, error: DomainError) -> list[str]:
    """What a refused call changed beyond the failure bookkeeping (empty: nothing)."""
    found = []
    for table, old in before.items():
        new = after[table]
        if old == new or table == "throttles":  # failure counters and lockouts: on purpose
            continue
        added = [new[k] for k in new.keys() - old.keys()]
        removed = [old[k] for k in old.keys() - new.keys()]
        changed = {k: (old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k]}
        if table == "audit_events" and not removed and not changed:
            odd = [row["event"] for row in added if row["event"] not in FAILURE_EVENTS]
            if odd:
                found.append(f"audit events {odd} written by a refused call")
            continue
        if table == "tokens" and not added and not removed:
            # A wrong short code uses up one attempt of the live codes, the last one voids them.
            odd = {k for k, (o, n) in changed.items()
                   if {c for c in o if o[c] != n[c]} - {"attempts", "voided_at"}}
            if odd:
                found.append(f"tokens {sorted(odd)} changed beyond their attempt counters")
            continue
        if table == "sessions" and not added and not removed:
            # Using a live session touches it (its idle timer), refused or not; a lockout
            # inside a session ends it.
            allowed = {"last_seen_at", "revoked_at"} if isinstance(error, Locked) else {"last_seen_at"}
            odd = {k for k, (o, n) in changed.items() if {c for c in o if o[c] != n[c]} - allowed}
            if odd:
                found.append(f"sessions {sorted(odd)} changed beyond their last use")
            continue
        found.append(f"{table}: {len(added)} added, {len(removed)} removed, {len(changed)} changed "
                     f"({list(changed.values())[:1]!r:.300})")
    return found


def attempt(school: School, call: Callable[[], Any], *, secrets: tuple[str, ...] = ()) -> Any:
    """Run ``call``: a success, or a DomainError in French that changed nothing but bookkeeping.

    Any other exception propagates and fails the test (Hypothesis then shrinks the input).
    ``secrets``: typed passwords and codes that must never appear in the message.
    """
    before = dump(school)
    try:
        result = call()
        event("succeeded")  # --hypothesis-show-statistics tells how deep the examples went
        return result
    except DomainError as error:
        event(f"refused: {type(error).__name__}")
        message = str(error)
        problem = french_problem(message, allow_newlines=isinstance(error, ImportRejected))
        assert problem is None, f"{type(error).__name__}: {problem}: {message!r:.500}"
        if isinstance(error, InvalidInput):
            assert error.errors, "InvalidInput without a field"
            for field_name, text in error.errors.items():
                assert french_problem(text) is None, f"{field_name}: {french_problem(text)}: {text!r:.300}"
        for secret in secrets:
            if len(secret.strip()) >= 6:
                assert secret not in message, "a typed secret is echoed in the message"
        after = dump(school)
        changes = unexplained_changes(before, after, error)
        assert not changes, f"{type(error).__name__} ({message!r:.200}) but the database changed: {changes}"
        return error
    finally:
        with school.service.core.tx() as s:  # see the module docstring: no lockout across examples
            s.execute(delete(Throttle))


def identifiers(school: School, *extra: str) -> st.SearchStrategy[str]:
    known = [school.waiting, school.activated, school.ready, school.expired, school.spare, "prof.test", *extra]
    return st.one_of(texts(), st.sampled_from(known),
                     st.sampled_from(known).map(lambda i: f"  {i.upper()}\t"))


# Module-scoped fixtures do not trip Hypothesis's function_scoped_fixture health check; the
# seeded school is reused across examples on purpose (each call is judged by its own dumps).
PROPERTY = dict(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def service_examples(share: float = SERVICE_SHARE):
    return examples(share, **PROPERTY)


# ---------------------------------------------------------------- the student side


@service_examples()
@given(data=st.data())
def test_authenticate(school: School, data: st.DataObject) -> None:
    identifier = data.draw(identifiers(school))
    password = data.draw(st.one_of(texts(), st.sampled_from([GOOD_PASSWORD, school.expired_password,
                                                             school.waiting_password.lower()])))
    kind = data.draw(st.one_of(st.sampled_from(["student", "staff"]), texts()))
    assume(not (identifier.strip().lower() == school.ready and password == GOOD_PASSWORD))
    attempt(school, lambda: school.service.authenticate(identifier, password, kind=kind), secrets=(password,))


@service_examples()
@given(data=st.data())
def test_first_connection(school: School, data: st.DataObject) -> None:
    token = data.draw(tokens_or(*school.student_tokens))
    birth = data.draw(st.one_of(st.just("14/03/2010"), date_texts()))
    password = data.draw(st.one_of(st.just(GOOD_PASSWORD), texts()))
    confirm = data.draw(st.one_of(st.just(password), texts()))
    email = data.draw(st.one_of(st.just(""), emails()))
    confirm_email = data.draw(st.one_of(st.just(email), emails()))
    # Everything right for the waiting student would activate it: that is no bad input.
    assume(not (birth == "14/03/2010" and password == GOOD_PASSWORD and confirm == password))
    attempt(school, lambda: school.service.first_connection(
        token, birth_date=birth, new_password=password, confirm_password=confirm, email=email,
        confirm_email=confirm_email), secrets=(password, confirm))


@service_examples()
@given(data=st.data())
def test_accept_charter(school: School, data: st.DataObject) -> None:
    token = data.draw(tokens_or(*school.student_tokens, school.staff_token))
    version = data.draw(texts())
    assume(version != school.service.settings.charter.version)
    attempt(school, lambda: school.service.accept_charter(token, version))


@service_examples()
@given(token=tokens_or())
def test_decline_charter_logout_close_kiosk(school: School, token: str) -> None:
    """Bad tokens only: a live one would end the seeded session."""
    attempt(school, lambda: school.service.decline_charter(token))
    attempt(school, lambda: school.service.logout(token))
    attempt(school, lambda: school.service.close_kiosk(token))


@service_examples()
@given(data=st.data())
def test_account_and_staff_member(school: School, data: st.DataObject) -> None:
    token = data.draw(tokens_or(*school.student_tokens, school.staff_token))
    attempt(school, lambda: school.service.account(token))
    attempt(school, lambda: school.service.staff_member(token))
    if token in school.student_tokens:  # a student's live session does not close the kiosk
        attempt(school, lambda: school.service.close_kiosk(token))


@service_examples()
@given(data=st.data())
def test_update_profile_change_password_change_email(school: School, data: st.DataObject) -> None:
    token = data.draw(tokens_or(*school.student_tokens, school.staff_token))
    current = data.draw(texts())
    new_password = data.draw(st.one_of(st.just("Bateau7voile"), texts()))
    confirm_password = data.draw(st.one_of(st.just(new_password), texts()))
    new_email = data.draw(st.one_of(st.just(""), emails()))
    confirm_email = data.draw(st.one_of(st.just(new_email), emails()))
    assume(current != GOOD_PASSWORD)
    service = school.service
    secrets = (current, new_password, confirm_password)
    attempt(school, lambda: service.update_profile(token, current_password=current, new_email=new_email,
                                                   confirm_email=confirm_email, new_password=new_password,
                                                   confirm_password=confirm_password), secrets=secrets)
    attempt(school, lambda: service.change_password(token, current, new_password, confirm_password), secrets=secrets)
    attempt(school, lambda: service.change_email(token, current, new_email, confirm_email), secrets=secrets)


@service_examples()
@given(data=st.data())
def test_resend_and_validate_email(school: School, data: st.DataObject) -> None:
    token = data.draw(st.one_of(st.none(), tokens_or(*school.student_tokens)))
    code = data.draw(codes())
    service = school.service
    if token is not None:
        attempt(school, lambda: service.resend_validation(token))
    attempt(school, lambda: service.validate_email(code, token=token), secrets=(code,))


@service_examples()
@given(data=st.data())
def test_forgot_identifier_and_password(school: School, data: st.DataObject) -> None:
    email = data.draw(st.one_of(emails(), st.sampled_from(["zoe@example.org", " ZOE@example.org "])))
    identifier = data.draw(identifiers(school))
    attempt(school, lambda: school.service.forgot_identifier(email))
    attempt(school, lambda: school.service.forgot_password(identifier))


@service_examples()
@given(data=st.data())
def test_reset_password(school: School, data: st.DataObject) -> None:
    identifier = data.draw(st.one_of(st.just(school.ready), identifiers(school)))
    code = data.draw(st.one_of(st.text(st.sampled_from(CROCKFORD), min_size=8, max_size=8), codes()))
    password = data.draw(st.one_of(st.just("Bateau7voile"), texts()))
    confirm = data.draw(st.one_of(st.just(password), texts()))
    attempt(school, lambda: school.service.reset_password(identifier, code, password, confirm),
            secrets=(code, password, confirm))


# ---------------------------------------------------------------- the staff side


def actors() -> st.SearchStrategy[str]:
    return st.one_of(st.just("prof.test"), texts())


@service_examples()
@given(data=st.data())
def test_add_staff(school: School, data: st.DataObject) -> None:
    identifier = data.draw(st.one_of(st.text(st.sampled_from(string.ascii_lowercase + ".-_"), min_size=1, max_size=12)
                                     .map(lambda t: "p" + t), st.sampled_from(["prof.test", "PROF.TEST "]), texts()))
    password = data.draw(st.one_of(st.just(STAFF_PASSWORD), texts()))
    confirm = data.draw(st.one_of(st.just(password), texts()))
    first, last, actor = data.draw(texts()), data.draw(texts()), data.draw(actors())
    attempt(school, lambda: school.service.add_staff(identifier, password, confirm, first_name=first, last_name=last,
                                                     actor=actor), secrets=(password, confirm))


@service_examples()
@given(data=st.data())
def test_unlock_staff_reset_recreate(school: School, data: st.DataObject) -> None:
    """Known identifiers are the spare student's and the staff member's: a reset of a seeded
    student would end the session the other properties use."""
    identifier = data.draw(st.one_of(texts(), st.sampled_from([school.spare, "prof.test", school.waiting])))
    actor = data.draw(actors())
    service = school.service
    attempt(school, lambda: service.unlock(identifier, actor=actor))
    if identifier.strip().lower() != school.waiting:
        attempt(school, lambda: service.staff_reset(identifier, actor=actor))
    attempt(school, lambda: service.recreate(identifier, actor=actor))


@service_examples()
@given(data=st.data())
def test_force_password_change_and_issue_letters(school: School, data: st.DataObject) -> None:
    identifier = data.draw(st.one_of(st.none(), texts(), st.sampled_from([school.spare, school.waiting])))
    class_name = data.draw(st.one_of(st.none(), texts(), st.just("Réserve")))
    actor = data.draw(actors())
    service = school.service
    attempt(school, lambda: service.force_password_change(identifier=identifier, class_name=class_name, actor=actor))
    if identifier != school.waiting:
        attempt(school, lambda: service.issue_letters(class_name=class_name, identifier=identifier, actor=actor))


@service_examples()
@given(data=st.data())
def test_check_new_student_and_add_student(school: School, data: st.DataObject) -> None:
    last = data.draw(st.one_of(st.sampled_from(["Baillet", "Martin-Durand"]), texts()))
    first = data.draw(st.one_of(st.sampled_from(["Julie", "Élodie"]), texts()))
    born = data.draw(st.one_of(st.sampled_from(["14/03/2010", "1/2/2011"]), date_texts()))
    class_name = data.draw(st.one_of(st.sampled_from(["2nde 1", "Réserve"]), texts()))
    actor = data.draw(actors())
    service = school.service
    attempt(school, lambda: service.check_new_student(last_name=last, first_name=first, birth_date=born,
                                                      class_name=class_name))
    attempt(school, lambda: service.add_student(last_name=last, first_name=first, birth_date=born,
                                                class_name=class_name, actor=actor))


@service_examples()
@given(data=st.data())
def test_class_students_summaries_preview(school: School, data: st.DataObject) -> None:
    class_name = data.draw(st.one_of(st.none(), texts(), st.just("2nde 1")))
    search = data.draw(texts())
    raw = data.draw(st.one_of(st.binary(max_size=300), texts().map(lambda t: t.encode("utf-8", "surrogatepass"))))
    service = school.service
    attempt(school, lambda: service.class_students(class_name, search=search))
    attempt(school, service.class_summaries)
    attempt(school, lambda: service.preview_class_list(raw))


# ---------------------------------------------------------------- imports: all or nothing


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ';,"\n\r') else value


@st.composite
def class_lists(draw: st.DrawFn, school: School) -> tuple[bytes, list[StudentRow]]:
    """A class list (bytes) mixing good rows, bad rows, duplicates and an enrolled student."""
    good = st.builds(lambda f, l, d, c: (f, l, d.strftime("%d/%m/%Y"), c),
                     st.sampled_from(["Anna", "Éric", "Noé", "Inès", "Lou"]),
                     st.sampled_from(["Durand", "Lefèvre", "Ngo", "O'Brien", "Da Silva"]),
                     st.dates(date(2005, 1, 1), date(2012, 12, 31)), st.sampled_from(["2nde 3", "1re 2"]))
    bad = st.tuples(texts(20), texts(20), date_texts(), texts(20))
    enrolled = st.just(("Baillet", "Julie", "14/03/2010", "2nde 1"))
    short = st.lists(texts(10), max_size=3).map(tuple)  # missing columns
    rows = draw(st.lists(st.one_of(good, good, bad, enrolled, short), min_size=1, max_size=4))
    if draw(st.booleans()) and rows:
        rows.append(rows[0])  # a duplicate row
    delimiter = draw(st.sampled_from([";", ","]))
    header = draw(st.sampled_from(["", "nom;prénom;date de naissance;classe\n", "Nom,Prénom,Né le,Classe\n"]))
    text = header + "".join(delimiter.join(_csv_field(c) for c in r) + "\n" for r in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]))
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")
    return data, rows


@service_examples()
@given(data=st.data())
def test_import_of_a_list_with_any_bad_row_writes_nothing(school: School, data: st.DataObject) -> None:
    """As the command line and the console import: parse, refuse the bad rows, import the rest or nothing."""
    raw, _ = data.draw(class_lists(school))
    service = school.service
    preview = attempt(school, lambda: service.preview_class_list(raw))
    if isinstance(preview, DomainError):
        return
    rows, problems = preview.rows + [r for r in _enrolled_rows(service, raw)], preview.problems
    for line, reason in problems:
        assert line >= 1 and french_problem(reason, fragment=True) is None, reason
    if problems or not rows:
        return  # nothing is imported from a list with problems (cmd_import, the import screen)
    before = service.class_students()
    result = attempt(school, lambda: service.import_class_list(rows, actor="cli:prof.test"))
    after = service.class_students()
    if isinstance(result, DomainError):
        assert isinstance(result, ImportRejected) and before == after
        assert any("déjà inscrit" in reason for _, reason in result.problems)
    else:
        assert len(after) == len(before) + len(rows) == len(before) + len(result)


def _enrolled_rows(service: AccountService, raw: bytes) -> list[StudentRow]:
    """The rows of ``raw`` whose student is already on file (preview leaves them out): importing
    them with the others must refuse the whole list."""
    from entkiosk.domain.classlist import parse_class_list

    rows, _ = parse_class_list(raw, today=START.date())
    _, enrolled = service.new_rows(rows)
    lines = {line for line, _ in enrolled}
    return [r for r in rows if r.line in lines]


# ---------------------------------------------------------------- last: changes the seeded school


@service_examples()
@given(actor=actors())
def test_purge_expired(school: School, actor: str) -> None:
    attempt(school, lambda: school.service.purge_expired(actor=actor))
