"""« Je n'ai pas d'adresse mail » in the service (issue 15, point 3): a request shown with a
short code, approved in person by a staff member who reaches the class and names the pupil,
then the new password at the kiosk that asked — and nothing happens otherwise."""

from __future__ import annotations

import threading
import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, student

from entkiosk.domain import errors
from entkiosk.service import AccountService

PASSWORD = "Prof2martin2026"


@pytest.fixture
def school(service: AccountService):
    julie, paul = service.import_class_list([student("Julie", "Baillet", cls="3A"),
                                             student("Paul", "Martin", cls="3B")], actor="cli:seed")
    activate(service, julie)
    activate(service, paul)
    service.add_staff("prof.durand", PASSWORD, PASSWORD, role="enseignant", classes=["3A"], actor="cli:install")
    service.add_staff("mme.roux", PASSWORD, PASSWORD, role="enseignant", classes=["3A"], actor="cli:install")
    return julie, paul


def test_a_request_approved_in_person_lets_the_pupil_choose_a_password(service, school, outbox):
    julie, _ = school
    ticket = service.ask_for_help(julie.identifier, "14/03/2010")
    assert (ticket.first_name, ticket.last_name, ticket.class_name) == ("Julie", "Baillet", "3A")
    assert len(ticket.code) == 7 and ticket.code[3] == "-"
    assert service.help_state(ticket.token) == "pending"
    # Nothing before an adult approves.
    with pytest.raises(errors.DomainError, match="n'est plus valable"):
        service.finish_help(ticket.token, OTHER_PASSWORD, OTHER_PASSWORD)
    [seen] = service.help_requests("3A", actor="prof.durand")
    assert (seen.code, seen.identifier, seen.state) == (ticket.code, julie.identifier, "pending")
    # The name must be the request's.
    with pytest.raises(errors.InvalidInput, match="Ce n'est pas l'élève de la demande"):
        service.approve_help(ticket.code, "Paul Martin", actor="prof.durand")
    assert service.help_state(ticket.token) == "pending"
    done = service.approve_help(ticket.code.lower().replace("-", " "), "baillet julie", actor="prof.durand")
    assert (done.state, done.approved_by) == ("approved", "prof.durand")
    assert service.help_state(ticket.token) == "approved"
    with pytest.raises(errors.Conflict, match="déjà été approuvée par prof.durand"):
        service.approve_help(ticket.code, "Julie Baillet", actor="mme.roux")
    service.finish_help(ticket.token, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.help_state(ticket.token) == "used"
    assert service.authenticate(julie.identifier, OTHER_PASSWORD).next_step == "home"
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(julie.identifier, GOOD_PASSWORD)
    with pytest.raises(errors.DomainError, match="n'est plus valable"):  # used once
        service.finish_help(ticket.token, GOOD_PASSWORD, GOOD_PASSWORD)
    events = [(e.event, e.actor) for e in service.audit_events() if e.identifier == julie.identifier][-4:]
    assert events == [("recovery.help_approved", "prof.durand"), ("password.reset", None), ("login.ok", None),
                      ("login.failed", None)]


def test_an_unknown_pupil_or_a_wrong_birth_date_is_one_sentence(service, school):
    julie, _ = school
    before = len(service.audit_events())
    for identifier, born in ((julie.identifier, "15/03/2010"), ("personne.inconnue", "14/03/2010")):
        with pytest.raises(errors.DomainError) as refused:
            service.ask_for_help(identifier, born)
        assert str(refused.value) == "Identifiant ou date de naissance incorrect."
    with pytest.raises(errors.InvalidInput) as refused:
        service.ask_for_help(julie.identifier, "31/02/2010")
    assert "birth_date" in refused.value.errors
    assert service.help_requests(actor="cli:t") == []
    assert [e.event for e in service.audit_events()[before:]] == ["recovery.help_refused"] * 2


def test_an_expired_request_lets_nothing_happen(service, school, clock):
    julie, _ = school
    ticket = service.ask_for_help(julie.identifier, "14/03/2010")
    clock.advance(minutes=15)
    assert service.help_state(ticket.token) == "expired"
    assert service.help_requests(actor="prof.durand") == []
    with pytest.raises(errors.DomainError, match=f"La demande {ticket.code} a expiré : rien n'a été approuvé"):
        service.approve_help(ticket.code, "Julie Baillet", actor="prof.durand")
    with pytest.raises(errors.DomainError, match="n'est plus valable"):
        service.finish_help(ticket.token, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate(julie.identifier, GOOD_PASSWORD).next_step == "home"


def test_a_teacher_of_another_class_cannot_approve(service, school):
    _, paul = school
    ticket = service.ask_for_help(paul.identifier, "14/03/2010")
    assert service.help_requests(actor="prof.durand") == []
    with pytest.raises(errors.NotFound, match="Aucune demande de vos classes n'a le code"):
        service.approve_help(ticket.code, "Paul Martin", actor="prof.durand")
    assert service.help_state(ticket.token) == "pending"
    assert service.approve_help(ticket.code, "Paul Martin", actor="cli:secretariat").state == "approved"


def test_a_new_request_or_leaving_the_screen_voids_the_older_one(service, school):
    julie, _ = school
    first = service.ask_for_help(julie.identifier, "14/03/2010")
    second = service.ask_for_help(julie.identifier, "14/03/2010")
    assert service.help_state(first.token) == "cancelled"
    with pytest.raises(errors.DomainError, match="a été annulée"):
        service.approve_help(first.code, "Julie Baillet", actor="prof.durand")
    service.cancel_help(second.token)
    assert service.help_state(second.token) == "cancelled"
    assert service.help_requests(actor="prof.durand") == []


def test_two_staff_approving_at_once_make_one_winner(service, school):
    julie, _ = school
    ticket = service.ask_for_help(julie.identifier, "14/03/2010")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(actor: str) -> None:
        start.wait()
        try:
            service.approve_help(ticket.code, "Julie Baillet", actor=actor)
            outcomes.append("won")
        except errors.Conflict as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=approve, args=(a,)) for a in ("prof.durand", "mme.roux")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1
    approvals = [e for e in service.audit_events() if e.event == "recovery.help_approved"]
    assert len(approvals) == 1
