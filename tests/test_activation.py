"""Login, first connection, charter and the activation deadline, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, student
from sqlalchemy import func, select

from entkiosk.domain import errors
from entkiosk.domain.lifecycle import AccountState
from entkiosk.domain.passwords import PROVISIONAL_DIGITS, PROVISIONAL_LETTERS
from entkiosk.store.models import Account, AuditEvent


def _account(service, identifier):
    from sqlalchemy.orm import Session

    with Session(service.engine) as s:
        return s.scalar(select(Account).where(Account.identifier == identifier))


def test_letter_has_unambiguous_provisional_password_stored_only_hashed(service, letter):
    password = letter.provisional_password
    assert len(password) == 8
    assert set(password) <= set(PROVISIONAL_LETTERS + PROVISIONAL_DIGITS)
    assert any(c.isdigit() for c in password) and any(c.isalpha() for c in password)
    row = _account(service, letter.identifier)
    assert row.password_hash.startswith("$argon2id$") and password not in row.password_hash
    assert row.provisional and row.state == AccountState.CREATED
    assert password not in repr(letter)


def test_provisional_login_leads_to_first_connection(service, letter):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    assert login.next_step == "first_connection"
    assert login.first_name == "Julie"


def test_full_activation_then_login_goes_home(service, letter):
    token = activate(service, letter, accept=False)
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "charter"
    assert service.accept_charter(token, service.settings.charter.version) == "home"
    login = service.authenticate(letter.identifier, GOOD_PASSWORD)
    assert login.next_step == "home"
    assert login.previous_login_at is not None
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(letter.identifier, letter.provisional_password)


def test_wrong_birth_date_does_not_activate_and_counts_as_failure(service, letter):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="15/03/2010", new_password=GOOD_PASSWORD,
                                 confirm_password=GOOD_PASSWORD)
    assert "date de naissance" in err.value.errors["birth_date"]
    assert _account(service, letter.identifier).state == AccountState.CREATED
    with service.core.tx() as s:
        events = list(s.scalars(select(AuditEvent.event).where(AuditEvent.identifier == letter.identifier)))
    assert "activation.bad_birth_date" in events


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Abcdef1", "trop court"),  # 7
        ("Abcdefghijkl1x2", "trop long"),  # 15
        ("Abcdefghij", "au moins un chiffre"),
        ("12345678", "au moins une lettre"),
        ("azerty123", "trop courant"),
        ("julie.baillet", "au moins un chiffre"),
    ],
)
def test_first_connection_refuses_each_password_rule(service, letter, password, problem):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="14/03/2010", new_password=password, confirm_password=password)
    assert problem in err.value.errors["new_password"]
    assert _account(service, letter.identifier).state == AccountState.CREATED


@pytest.mark.parametrize("password", ["Bxkdqfg1", "Bxkdqfghijkl1x"])  # 8 and 14
def test_first_connection_accepts_8_and_14_characters(service, letter, password):
    activate(service, letter, password=password)
    assert service.authenticate(letter.identifier, password).next_step == "home"


def test_password_equal_to_identifier_refused(service):
    letter = service.import_class_list([student("Alice2", "Martin3")], actor="cli:t")[0]
    assert letter.identifier == "alice2.martin3"  # 14 characters, letters and digits
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="14/03/2010", new_password="Alice2.Martin3",
                                 confirm_password="Alice2.Martin3")
    assert "identifiant" in err.value.errors["new_password"]


def test_password_equal_to_provisional_refused(service, letter):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    p = letter.provisional_password
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="14/03/2010", new_password=p, confirm_password=p)
    assert "provisoire" in err.value.errors["new_password"]


def test_mismatched_confirmation_refused(service, letter):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="14/03/2010", new_password=GOOD_PASSWORD,
                                 confirm_password=OTHER_PASSWORD)
    assert "différents" in err.value.errors["new_password_confirm"]


def test_an_empty_confirmation_asks_for_it(service, letter):
    """A password typed once, its confirmation empty: asked to type it again (not told the
    two differ), and nothing activated."""
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="14/03/2010", new_password=GOOD_PASSWORD,
                                 confirm_password="")
    assert err.value.errors == {"new_password_confirm": "Saisissez à nouveau le mot de passe pour le confirmer."}
    assert service.authenticate(letter.identifier, letter.provisional_password).next_step == "first_connection"


def test_malformed_birth_date_refused(service, letter):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    for typed in ("", "31/02/2010", "2010-03-14", "14/3"):
        with pytest.raises(errors.InvalidInput) as err:
            service.first_connection(login.token, birth_date=typed, new_password=GOOD_PASSWORD,
                                     confirm_password=GOOD_PASSWORD)
        assert "birth_date" in err.value.errors


def test_activation_with_email_sends_validation_mail(service, letter, outbox):
    token = activate(service, letter, email="julie.baillet@example.org")
    view = service.account(token)
    assert view.email is None and view.pending_email == "julie.baillet@example.org"
    mail = outbox.entries()[-1]
    assert mail.to == "julie.baillet@example.org"
    assert mail.subject == "Message des services en ligne - Mise à jour de votre adresse mail"
    assert "https://services.example.org/email?code=" in mail.body


def test_activation_with_mismatched_email_refused(service, letter, outbox):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="14/03/2010", new_password=GOOD_PASSWORD,
                                 confirm_password=GOOD_PASSWORD, email="a@example.org", confirm_email="b@example.org")
    assert "email_confirm" in err.value.errors
    with pytest.raises(errors.InvalidInput) as err:
        service.first_connection(login.token, birth_date="14/03/2010", new_password=GOOD_PASSWORD,
                                 confirm_password=GOOD_PASSWORD, email="pas-une-adresse", confirm_email="pas-une-adresse")
    assert "email" in err.value.errors
    assert outbox.entries() == []
    assert _account(service, letter.identifier).state == AccountState.CREATED


# ------------------------------------------------------------ deadline (3 calendar months)


def test_deadline_is_three_calendar_months_through_the_last_day(service, letter, clock):
    # Issued 1 Sept 2026 (Lille): the provisional password works through 1 Dec 2026.
    assert letter.deadline.isoformat() == "2026-12-01"
    last_day_evening = datetime(2026, 12, 1, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Lille
    clock.set(last_day_evening)
    assert service.authenticate(letter.identifier, letter.provisional_password).next_step == "first_connection"
    clock.advance(seconds=1)  # midnight in Lille, 2 Dec
    with pytest.raises(errors.AccountExpired) as err:
        service.authenticate(letter.identifier, letter.provisional_password)
    assert "3 mois" in str(err.value)


def test_deadline_day_before_works_day_after_expired(service, letter, clock):
    clock.set(datetime(2026, 11, 30, 12, tzinfo=UTC))
    service.authenticate(letter.identifier, letter.provisional_password)
    clock.set(datetime(2026, 12, 2, 12, tzinfo=UTC))
    with pytest.raises(errors.AccountExpired):
        service.authenticate(letter.identifier, letter.provisional_password)


def test_expired_wrong_password_says_nothing_about_expiry(service, letter, clock):
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(letter.identifier, "Wrong1234")


def test_purge_deletes_expired_only_and_frees_identifier(service, clock):
    old = service.import_class_list([student()], actor="cli:t")[0]
    clock.advance(days=40)
    young = service.import_class_list([student("Paul", "Petit", line=3)], actor="cli:t")[0]
    clock.set(datetime(2026, 12, 2, 12, tzinfo=UTC))
    assert service.purge_expired(actor="cli:t") == [old.identifier]
    assert _account(service, old.identifier) is None
    assert _account(service, young.identifier) is not None
    again = service.import_class_list([student()], actor="cli:t")[0]
    assert again.identifier == old.identifier


def test_staff_reset_recreates_expired_account_and_voids_old_letter(service, letter, clock):
    clock.set(datetime(2027, 1, 10, tzinfo=UTC))
    renewed = service.staff_reset(letter.identifier, actor="staff:test")
    assert renewed.deadline.isoformat() == "2027-04-10"
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(letter.identifier, letter.provisional_password)
    assert service.authenticate(letter.identifier, renewed.provisional_password).next_step == "first_connection"


def test_reissued_letter_invalidates_previous_password_and_sessions(service, letter):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    [new] = service.issue_letters(identifier=letter.identifier, actor="cli:t")
    assert new.provisional_password != letter.provisional_password
    with pytest.raises(errors.SessionExpired):
        service.first_connection(login.token, birth_date="14/03/2010", new_password=GOOD_PASSWORD,
                                 confirm_password=GOOD_PASSWORD)
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(letter.identifier, letter.provisional_password)


# ------------------------------------------------------------ charter


def test_new_charter_version_asks_again(service, letter, settings, clock, tmp_path):
    import msgspec

    from entkiosk.service import AccountService

    activate(service, letter)
    bumped = msgspec.structs.replace(settings, charter=msgspec.structs.replace(settings.charter, version="2027-1"))
    newer = AccountService(bumped, service.engine, service.transport, clock=clock, hasher=service.hasher)
    login = newer.authenticate(letter.identifier, GOOD_PASSWORD)
    assert login.next_step == "charter"
    with pytest.raises(errors.NotAllowed):
        newer.update_profile(login.token, current_password=GOOD_PASSWORD,
                                                  new_password=OTHER_PASSWORD, confirm_password=OTHER_PASSWORD)
    with pytest.raises(errors.Conflict):
        newer.accept_charter(login.token, "2026-1")
    assert newer.accept_charter(login.token, "2027-1") == "home"


def test_declining_charter_logs_out(service, letter):
    token = activate(service, letter, accept=False)
    service.decline_charter(token)
    with pytest.raises(errors.SessionExpired):
        service.accept_charter(token, service.settings.charter.version)
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "charter"


def test_charter_text_is_the_sample(service):
    charter = service.charter()
    assert "CHARTE" in charter.text and charter.version == "2026-1"


# ------------------------------------------------------------ sessions


def test_session_expires_after_inactivity(service, letter, clock):
    token = activate(service, letter)
    clock.advance(seconds=service.settings.accounts.session_timeout - 1)
    service.account(token)
    clock.advance(seconds=service.settings.accounts.session_timeout + 1)
    with pytest.raises(errors.SessionExpired):
        service.account(token)


def test_logout_revokes_session(service, letter):
    token = activate(service, letter)
    service.logout(token)
    with pytest.raises(errors.SessionExpired):
        service.account(token)


def test_profile_before_activation_not_allowed(service, letter):
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.NotAllowed):
        service.update_profile(login.token, current_password=letter.provisional_password,
                               new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD)


@pytest.mark.argon2
def test_rehash_on_login_when_parameters_change(service, letter, settings, clock):
    import msgspec

    from entkiosk.service import AccountService

    activate(service, letter)
    before = _account(service, letter.identifier).password_hash
    assert "t=2" in before
    stronger = msgspec.structs.replace(settings, accounts=msgspec.structs.replace(settings.accounts, argon2_time_cost=3))
    AccountService(stronger, service.engine, service.transport, clock=clock).authenticate(letter.identifier, GOOD_PASSWORD)
    after = _account(service, letter.identifier).password_hash
    assert after != before and "t=3" in after
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "home"


def test_audit_records_activation_without_secrets(service, letter):
    activate(service, letter, email="julie@example.org")
    with service.core.tx() as s:
        rows = s.execute(select(AuditEvent.event, AuditEvent.details, AuditEvent.kiosk_id)).all()
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == len(rows)
    events = [r.event for r in rows]
    assert {"accounts.imported", "login.ok", "account.activated", "email.requested", "charter.accepted"} <= set(events)
    dump = repr(rows)
    for secret in (letter.provisional_password, GOOD_PASSWORD):
        assert secret not in dump
    assert all(r.kiosk_id == "test-kiosk" for r in rows)


def test_dates_are_aware_utc_on_both_backends(service, letter):
    row = _account(service, letter.identifier)
    assert row.issued_at.tzinfo is not None
    assert row.issued_at == datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    assert row.deadline_at - row.issued_at > timedelta(days=90)
