"""The staff console's use cases on both databases: counts, search, preview, forced change,
re-creation, letters delivered inside their transaction, and staff-only access."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, last_code, student

from entkiosk.domain import errors
from entkiosk.domain.lifecycle import EmailState

STAFF_PASSWORD = "Craie7tableau26"


def _fail_logins(service, identifier: str) -> None:
    for _ in range(service.settings.accounts.lockout_threshold):
        with pytest.raises((errors.AuthenticationFailed, errors.Locked)):
            service.authenticate(identifier, "Wrong9999x")


@pytest.fixture
def staff_token(service) -> str:
    service.add_staff("prof.martin", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:test")
    return service.authenticate("prof.martin", STAFF_PASSWORD, kind="staff").token


def test_class_counts_follow_each_state(service, clock, outbox):
    letters = service.import_class_list(
        [student("Julie", "Baillet"), student("Zoé", "N'Diaye"), student("Paul", "Martin"), student("Léa", "Roux"),
         student("Hugo", "Petit", cls="1re 2")], actor="cli:test")
    julie, zoe, paul, lea, _hugo = letters
    token = activate(service, julie, email="julie@example.org")  # charter accepted, address pending
    service.validate_email(last_code(outbox), token=token)
    activate(service, zoe, accept=False)  # activated, charter not accepted
    _fail_logins(service, paul.identifier)  # locked while waiting
    assert [(c.name, c.students, c.waiting, c.activated, c.charter, c.email_validated, c.locked, c.expired)
            for c in service.class_summaries()] == [
        ("1re 2", 1, 1, 0, 0, 0, 0, 0),
        ("2nde 1", 4, 2, 2, 1, 1, 1, 0),
    ]
    by_id = {s.identifier: s for s in service.class_students("2nde 1")}
    assert by_id[julie.identifier].state == "ready" and by_id[julie.identifier].email_state == EmailState.VALIDATED
    assert by_id[zoe.identifier].state == "activated" and not by_id[zoe.identifier].charter
    assert by_id[paul.identifier].locked and by_id[paul.identifier].state == "waiting"
    assert by_id[lea.identifier].state == "waiting" and by_id[lea.identifier].deadline == lea.deadline

    clock.set(datetime(2026, 12, 2, 12, tzinfo=UTC))  # past the deadline (1 Dec)
    summary = {c.name: c for c in service.class_summaries()}
    assert (summary["2nde 1"].waiting, summary["2nde 1"].expired) == (0, 2)
    assert summary["1re 2"].expired == 1
    # The lockout has run out meanwhile: no longer counted.
    assert summary["2nde 1"].locked == 0


def test_students_sorted_by_name_and_searched_without_accents(service):
    service.import_class_list([student("Zoé", "N'Diaye"), student("Julie", "Baillet"), student("Paul", "Martin"),
                               student("Zoe", "Zorro", cls="3e")], actor="cli:test")
    assert [s.last_name for s in service.class_students("2nde 1")] == ["Baillet", "Martin", "N'Diaye"]
    assert [s.identifier for s in service.class_students("2nde 1", search="zoe")] == ["zoe.n-diaye"]
    assert [s.identifier for s in service.class_students("2nde 1", search="  DIAYE  zo ")] == ["zoe.n-diaye"]
    assert [s.identifier for s in service.class_students("2nde 1", search="julie.baillet")] == ["julie.baillet"]
    assert service.class_students("2nde 1", search="personne") == []
    assert len(service.class_students()) == 4  # every class


def test_preview_writes_nothing_and_predicts_identifiers(service):
    service.import_class_list([student("Julie", "Baillet")], actor="cli:test")
    data = ("nom;prénom;date de naissance;classe\n"
            "Baillet;Julie;15/03/2010;2nde 4\n"
            "Baillet;Julie;16/03/2010;2nde 4\n"
            "Lefebvre;Hugo;03/04/2010;2nde 4\n").encode()
    events = len(service.audit_events())
    preview = service.preview_class_list(data)
    assert preview.problems == []
    assert preview.identifiers == ["julie.baillet1", "julie.baillet2", "hugo.lefebvre"]
    assert preview.classes == {"2nde 4": 3}
    assert len(service.class_students()) == 1 and len(service.audit_events()) == events
    # What the preview announced is what the import creates.
    created = service.import_class_list(preview.rows, actor="cli:test")
    assert [letter.identifier for letter in created] == preview.identifiers


def test_preview_names_every_bad_row(service):
    service.import_class_list([student("Julie", "Baillet")], actor="cli:test")
    data = ("nom;prénom;date de naissance;classe\n"
            "Roux;;03/04/2010;2nde 4\n"
            "Petit;Emma;31/02/2010;2nde 4\n"
            "Baillet;Julie;14/03/2010;2nde 1\n"
            "Lefebvre;Hugo;03/04/2010;2nde 4\n").encode()
    preview = service.preview_class_list(data)
    assert [line for line, _ in preview.problems] == [2, 3]
    assert "prénom manquant" in preview.problems[0][1]
    assert "31/02/2010" in preview.problems[1][1]
    # Already enrolled is not a mistake: an updated class list leaves that student alone.
    assert preview.enrolled == [(4, "julie.baillet")]
    assert [r.line for r in preview.rows] == [5] and preview.identifiers == ["hugo.lefebvre"]
    assert len(service.class_students()) == 1


def test_an_updated_class_list_imports_only_the_newcomers(service):
    [julie] = service.import_class_list([student("Julie", "Baillet", cls="2NDE3")], actor="cli:t")
    data = ("nom;prénom;date de naissance;classe\n"
            "BAILLET;julie;14/03/2010;2nde3\n"  # the same student, typed otherwise
            "Martin;Jean Pierre;01/02/2010;2nde3\n").encode()
    preview = service.preview_class_list(data)
    assert preview.enrolled == [(2, julie.identifier)] and preview.problems == []
    created = service.import_class_list(preview.rows, actor="cli:t")
    assert [(c.identifier, c.class_name) for c in created] == [("jean-pierre.martin", "2NDE3")]
    assert [c.name for c in service.class_summaries()] == ["2NDE3"]  # not a second class « 2nde3 »
    # « Jean-Pierre » is « Jean Pierre »: the same student again, not a homonym.
    again = service.preview_class_list("Martin;Jean-Pierre;01/02/2010;2NDE3\n".encode())
    assert again.rows == [] and again.enrolled == [(1, "jean-pierre.martin")]
    with pytest.raises(errors.InvalidInput, match="déjà inscrit"):
        service.add_student(last_name="MARTIN", first_name="jean-pierre", birth_date="01/02/2010",
                            class_name="2NDE3", actor="cli:t")


def test_a_reset_account_no_longer_counts_its_charter(service):
    [julie] = service.import_class_list([student()], actor="cli:t")
    activate(service, julie)
    service.staff_reset(julie.identifier, actor="cli:prof.martin")
    [summary] = service.class_summaries()
    assert (summary.activated, summary.charter, summary.waiting) == (0, 0, 1)
    [status] = service.class_students()
    assert status.state == "waiting" and not status.charter


def test_letters_come_out_by_name(service):
    service.import_class_list([student("Zoé", "Adam"), student("Aline", "Zola"), student("Bruno", "Martin")],
                              actor="cli:t")
    letters = service.issue_letters(class_name="2nde 1", actor="cli:t")
    assert [letter.last_name for letter in letters] == ["Adam", "Martin", "Zola"]


def test_forced_change_for_a_class_ends_sessions_and_leads_to_the_profile(service):
    julie, zoe, paul = service.import_class_list(
        [student("Julie", "Baillet"), student("Zoé", "N'Diaye"), student("Paul", "Martin", cls="1re 2")], actor="cli:t")
    token = activate(service, julie)
    activate(service, paul)
    assert service.force_password_change(class_name="2nde 1", actor="cli:prof.martin") == 1  # Zoé never activated
    with pytest.raises(errors.SessionExpired):
        service.account(token)
    login = service.authenticate(julie.identifier, GOOD_PASSWORD)
    assert login.next_step == "change_password"
    # Nothing but the new password is accepted meanwhile.
    with pytest.raises(errors.InvalidInput):
        service.update_profile(login.token, current_password=GOOD_PASSWORD, new_email="a@example.org",
                               confirm_email="a@example.org")
    service.change_password(login.token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate(julie.identifier, OTHER_PASSWORD).next_step == "home"
    # The other class was left alone; the still-provisional account too.
    assert service.authenticate(paul.identifier, GOOD_PASSWORD).next_step == "home"
    assert service.authenticate(zoe.identifier, zoe.provisional_password).next_step == "first_connection"
    forced = [e for e in service.audit_events() if e.event == "staff.force_change"]
    assert [(e.identifier, e.actor) for e in forced] == [(julie.identifier, "cli:prof.martin")]


def test_forced_change_for_everyone_or_one_student(service):
    julie, paul = service.import_class_list([student("Julie", "Baillet"), student("Paul", "Martin", cls="1re 2")],
                                            actor="cli:t")
    activate(service, julie)
    activate(service, paul)
    assert service.force_password_change(everyone=True, actor="cli:prof.martin") == 2
    assert service.authenticate(paul.identifier, GOOD_PASSWORD).next_step == "change_password"
    with pytest.raises(errors.DomainError):
        service.force_password_change(actor="cli:prof.martin")  # whom? never everyone by default
    waiting = service.import_class_list([student("Léa", "Roux")], actor="cli:t")[0]
    with pytest.raises(errors.NotAllowed):
        service.force_password_change(identifier=waiting.identifier, actor="cli:prof.martin")
    with pytest.raises(errors.NotFound):
        service.force_password_change(identifier="nobody.here", actor="cli:prof.martin")


def test_add_student_checks_each_field_and_writes_nothing_on_error(service):
    with pytest.raises(errors.InvalidInput) as err:
        service.add_student(last_name="", first_name="Ju\x1blie", birth_date="31/02/2010", class_name="",
                            actor="cli:prof.martin")
    assert set(err.value.errors) == {"last_name", "first_name", "birth_date", "class_name"}
    assert "31/02/2010" in err.value.errors["birth_date"]
    assert service.class_students() == []
    letter = service.add_student(last_name="Baillet", first_name="Julie", birth_date="14/03/2010",
                                 class_name="2nde 1", actor="cli:prof.martin")
    assert service.authenticate(letter.identifier, letter.provisional_password).next_step == "first_connection"
    with pytest.raises(errors.InvalidInput) as err:  # the same student twice
        service.add_student(last_name="Baillet", first_name="Julie", birth_date="14/03/2010", class_name="2nde 1",
                            actor="cli:prof.martin")
    assert "déjà inscrit" in err.value.errors["last_name"]


def test_recreate_an_expired_account(service, clock):
    old = service.import_class_list([student()], actor="cli:t")[0]
    with pytest.raises(errors.NotAllowed):
        service.recreate(old.identifier, actor="cli:prof.martin")
    clock.set(datetime(2026, 12, 2, 12, tzinfo=UTC))
    with pytest.raises(errors.AccountExpired):
        service.authenticate(old.identifier, old.provisional_password)
    new = service.recreate(old.identifier, actor="cli:prof.martin")
    assert new.identifier == old.identifier and new.deadline > old.deadline
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(old.identifier, old.provisional_password)
    assert service.authenticate(new.identifier, new.provisional_password).next_step == "first_connection"
    assert [s.state for s in service.class_students()] == ["waiting"]
    assert any(e.event == "staff.recreate" and e.actor == "cli:prof.martin" for e in service.audit_events())


@pytest.mark.parametrize("use_case", ["issue_letters", "staff_reset", "import_class_list", "recreate"])
def test_letters_that_cannot_be_delivered_change_nothing(service, clock, use_case):
    """The letters file is written inside the transaction: if it fails, the old letter still works."""
    old = service.import_class_list([student()], actor="cli:t")[0]
    if use_case == "recreate":
        clock.set(datetime(2026, 12, 2, 12, tzinfo=UTC))
    events = len(service.audit_events())

    def deliver(letters):
        assert letters and all(letter.provisional_password for letter in letters)
        raise errors.DomainError("Impossible d'écrire /plein/courriers.pdf (disque plein).")

    with pytest.raises(errors.DomainError, match="disque plein"):
        if use_case == "issue_letters":
            service.issue_letters(class_name="2nde 1", actor="cli:prof.martin", deliver=deliver)
        elif use_case == "staff_reset":
            service.staff_reset(old.identifier, actor="cli:prof.martin", deliver=deliver)
        elif use_case == "recreate":
            service.recreate(old.identifier, actor="cli:prof.martin", deliver=deliver)
        else:
            service.import_class_list([student("Paul", "Martin")], actor="cli:prof.martin", deliver=deliver)
    assert len(service.audit_events()) == events
    assert [s.identifier for s in service.class_students()] == [old.identifier]
    if use_case != "recreate":
        assert service.authenticate(old.identifier, old.provisional_password).next_step == "first_connection"


def test_delivered_letters_are_the_committed_ones(service):
    old = service.import_class_list([student()], actor="cli:t")[0]
    delivered = []
    issued = service.issue_letters(identifier=old.identifier, actor="cli:prof.martin", deliver=delivered.extend)
    assert delivered == issued
    assert service.authenticate(old.identifier, issued[0].provisional_password).next_step == "first_connection"


def test_only_a_live_staff_session_reaches_the_console(service, staff_token):
    letter = service.import_class_list([student()], actor="cli:t")[0]
    token = activate(service, letter)
    assert service.staff_member(staff_token) == "prof.martin"
    with pytest.raises(errors.NotAllowed):
        service.staff_member(token)
    with pytest.raises(errors.NotAllowed):
        service.close_kiosk(token)
    with pytest.raises(errors.SessionExpired):
        service.staff_member("not-a-token")
    service.close_kiosk(staff_token)
    with pytest.raises(errors.SessionExpired):
        service.staff_member(staff_token)
    closed = [e for e in service.audit_events() if e.event == "kiosk.closed"]
    assert [(e.identifier, e.actor) for e in closed] == [("prof.martin", "prof.martin")]


def test_closing_a_kiosk_ends_the_staff_session_of_that_kiosk_only(service, staff_token):
    """« Fermer le kiosque » in room B ends the session that closed it; the same staff member's
    live view, open on another terminal, goes on (the next refresh is answered)."""
    live_view = service.authenticate("prof.martin", STAFF_PASSWORD, kind="staff").token
    service.close_kiosk(staff_token)
    with pytest.raises(errors.SessionExpired):
        service.staff_member(staff_token)
    assert service.staff_member(live_view) == "prof.martin"


def test_staff_logins_lock_like_students(service, staff_token, clock):
    _fail_logins(service, "prof.martin")
    with pytest.raises(errors.Locked):
        service.authenticate("prof.martin", STAFF_PASSWORD, kind="staff")
    clock.advance(seconds=service.settings.accounts.lockout_base_seconds)
    assert service.authenticate("prof.martin", STAFF_PASSWORD, kind="staff").kind == "staff"


def test_classes_in_natural_order(service):
    service.import_class_list([student("A", "Un", cls="2nde 10"), student("B", "Deux", cls="2nde 2"),
                               student("C", "Trois", cls="1re 1"), student("D", "Quatre", cls="2nde 1")], actor="cli:t")
    assert [c.name for c in service.class_summaries()] == ["1re 1", "2nde 1", "2nde 2", "2nde 10"]
