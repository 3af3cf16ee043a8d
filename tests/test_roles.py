"""Staff roles in the service, without any screen (issue 15, point 1): the direction does
everything, the secretariat runs the accounts of every class, a teacher reaches their own
classes only — and a refusal is a domain error that changes nothing."""

from __future__ import annotations

import pytest
from conftest import student

from entkiosk.domain import errors
from entkiosk.domain.roles import Role
from entkiosk.service import AccountService

PASSWORD = "Craie7tableau26"


def _staff(service: AccountService, ident: str, role: str, classes: tuple[str, ...] = ()) -> str:
    return service.add_staff(ident, PASSWORD, PASSWORD, role=role, classes=classes, actor="cli:install")


@pytest.fixture
def school(service: AccountService) -> dict[str, list]:
    letters = service.import_class_list(
        [student("Julie", "Baillet", cls="3A"), student("Zoé", "N'Diaye", cls="3A"),
         student("Paul", "Martin", cls="3B"), student("Léa", "Roux", cls="4C")], actor="cli:seed")
    _staff(service, "mme.durand", "direction")
    _staff(service, "m.petit", "secretariat")
    _staff(service, "prof.martin", "enseignant", ("3A", "3b"))  # a class typed loosely is that class
    return {"3A": letters[:2], "3B": [letters[2]], "4C": [letters[3]]}


def _events(service: AccountService) -> int:
    return len(service.audit_events())


def test_a_teacher_sees_only_their_classes(service, school):
    assert [c.name for c in service.class_summaries(actor="prof.martin")] == ["3A", "3B"]
    assert [c.name for c in service.class_summaries(actor="m.petit")] == ["3A", "3B", "4C"]
    assert {s.identifier for s in service.class_students(actor="prof.martin")} == {
        le.identifier for le in school["3A"] + school["3B"]}
    assert len(service.class_students("3a", actor="prof.martin")) == 2
    lea = school["4C"][0]
    for call in (lambda: service.class_students("4C", actor="prof.martin"),
                 lambda: service.issue_letters(class_name="4C", actor="prof.martin"),
                 lambda: service.issue_letters(identifier=lea.identifier, actor="prof.martin"),
                 lambda: service.issue_letters(identifiers=[school["3A"][0].identifier, lea.identifier],
                                               actor="prof.martin"),
                 lambda: service.issue_letters(everyone=True, actor="prof.martin"),
                 lambda: service.unlock(lea.identifier, actor="prof.martin"),
                 lambda: service.unlock("mme.durand", actor="prof.martin")):
        before = _events(service)
        with pytest.raises(errors.NotAllowed) as refused:
            call()
        assert "vos classes" in str(refused.value) or "vôtres" in str(refused.value)
        assert _events(service) == before
    # A class that does not exist is refused the same way: a teacher learns nothing of others.
    with pytest.raises(errors.NotAllowed):
        service.class_students("6Z", actor="prof.martin")
    # Their own pupils: letters and unlocking work.
    [again] = service.issue_letters(identifier=school["3B"][0].identifier, actor="prof.martin")
    assert again.class_name == "3B"
    service.unlock(school["3A"][0].identifier, actor="prof.martin")


def test_a_teacher_cannot_run_the_school(service, school, tmp_path):
    julie = school["3A"][0]
    refused = {
        "import": lambda: service.import_class_list([student("Noé", "Blanc", cls="3A")], actor="prof.martin"),
        "preview": lambda: service.preview_class_list(b"nom;prenom;date;classe\n", actor="prof.martin"),
        "sync": lambda: service.preview_update(b"<x/>", actor="prof.martin"),
        "reset": lambda: service.staff_reset(julie.identifier, actor="prof.martin"),
        "force": lambda: service.force_password_change(class_name="3A", actor="prof.martin"),
        "purge": lambda: service.purge_expired(actor="prof.martin"),
        "add student": lambda: service.add_student(last_name="Blanc", first_name="Noé", birth_date="01/02/2011",
                                                   class_name="3A", actor="prof.martin"),
        "audit": lambda: service.audit_log(actor="prof.martin"),
        "staff list": lambda: service.staff_accounts(actor="prof.martin"),
        "staff add": lambda: service.add_staff("x.y", PASSWORD, PASSWORD, role="direction", actor="prof.martin"),
        "staff disable": lambda: service.disable_staff("mme.durand", actor="prof.martin"),
    }
    for name, call in refused.items():
        before = _events(service)
        with pytest.raises(errors.NotAllowed) as error:
            call()
        assert str(error.value).startswith("Votre rôle (enseignant) ne permet pas de"), name
        assert _events(service) == before, name
    assert [s.state for s in service.class_students("3A")] == ["waiting", "waiting"]


def test_the_secretariat_runs_accounts_but_not_staff_nor_audit(service, school):
    [added] = service.import_class_list([student("Noé", "Blanc", cls="4C")], actor="m.petit")
    assert service.staff_reset(added.identifier, actor="m.petit").identifier == added.identifier
    assert service.purge_expired(actor="m.petit") == []
    for call in (lambda: service.audit_log(actor="m.petit"), lambda: service.staff_accounts(actor="m.petit"),
                 lambda: service.set_staff("prof.martin", role="direction", actor="m.petit")):
        with pytest.raises(errors.NotAllowed, match=r"^Votre rôle \(secrétariat\)"):
            call()
    assert service.audit_log(actor="mme.durand")[0].event == "staff.reset"


def test_a_reset_request_of_another_class_is_not_found_for_a_teacher(service, school):
    lea = school["4C"][0]
    reference = service.forgot_password(lea.identifier)
    with pytest.raises(errors.NotFound, match="de vos classes"):
        service.find_reset_request(reference, actor="prof.martin")
    assert service.find_reset_request(reference, actor="m.petit").identifier == lea.identifier


def test_roles_and_classes_are_checked(service, school):
    before = _events(service)
    cases = [
        ({"role": "chef"}, "role", "Rôle inconnu « chef » : direction, secretariat ou enseignant."),
        ({"role": "enseignant"}, "classes", "Un enseignant a au moins une classe"),
        ({"role": "enseignant", "classes": ("3A", "6Z")}, "classes", "Classe inconnue : 6Z (classes de "
                                                                     "l'établissement : 3A, 3B, 4C)."),
        ({"role": "secretariat", "classes": ("3A",)}, "classes", "ce rôle voit toutes les classes"),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(errors.InvalidInput) as refused:
            service.add_staff("m.nouveau", PASSWORD, PASSWORD, actor="mme.durand", **kwargs)
        assert message.replace(" :", "\u00a0:").replace("« ", "«\u00a0").replace(" »", "\u00a0»") in \
            refused.value.errors[field]
    assert _events(service) == before
    assert "m.nouveau" not in [v.identifier for v in service.staff_accounts()]
    # « secrétariat » and « prof » are understood as typed by a person.
    _staff(service, "mme.roux", "secrétariat")
    assert {v.identifier: v.role for v in service.staff_accounts()}["mme.roux"] == Role.SECRETARIAT


def test_a_change_of_role_or_classes_ends_the_members_sessions(service, school):
    token = service.authenticate("prof.martin", PASSWORD, kind="staff").token
    assert service.staff_member(token) == "prof.martin"
    view = service.set_staff("prof.martin", classes=["4C"], actor="mme.durand")
    assert (view.role, view.classes) == (Role.TEACHER, ("4C",))
    with pytest.raises(errors.SessionExpired):
        service.staff_member(token)
    assert [c.name for c in service.class_summaries(actor="prof.martin")] == ["4C"]
    view = service.set_staff("prof.martin", role="secretariat", actor="mme.durand")
    assert (view.role, view.classes) == (Role.SECRETARIAT, ())  # the classes go with the role
    changed = [e for e in service.audit_events() if e.event == "staff.changed"]
    assert [(e.identifier, e.actor, e.details["role"]) for e in changed] == [
        ("prof.martin", "mme.durand", "enseignant"), ("prof.martin", "mme.durand", "secretariat")]


def test_a_disabled_member_cannot_log_in_and_the_last_direction_stays(service, school):
    token = service.authenticate("m.petit", PASSWORD, kind="staff").token
    service.disable_staff("m.petit", actor="mme.durand")
    with pytest.raises(errors.SessionExpired):
        service.staff_member(token)
    with pytest.raises(errors.DomainError, match="désactivé"):
        service.authenticate("m.petit", PASSWORD, kind="staff")
    with pytest.raises(errors.DomainError, match="désactivé"):
        service.class_students(actor="m.petit")
    # A wrong password still says only « incorrect »: « désactivé » needs the right one.
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate("m.petit", "Wrong-password-1", kind="staff")

    before = _events(service)
    for call in (lambda: service.disable_staff("mme.durand", actor="mme.durand"),
                 lambda: service.set_staff("mme.durand", role="secretariat", actor="cli:install")):
        with pytest.raises(errors.NotAllowed, match="dernier compte actif de la direction"):
            call()
    assert _events(service) == before
    _staff(service, "m.adjoint", "direction")
    service.disable_staff("mme.durand", actor="m.adjoint")
    with pytest.raises(errors.NotAllowed, match="dernier compte actif"):
        service.disable_staff("m.adjoint", actor="cli:install")
    service.enable_staff("m.petit", actor="m.adjoint")
    assert service.authenticate("m.petit", PASSWORD, kind="staff").kind == "staff"
    states = {v.identifier: v.active for v in service.staff_accounts(actor="m.adjoint")}
    assert states == {"m.adjoint": True, "mme.durand": False, "prof.martin": True, "m.petit": True}


def test_only_the_command_line_or_a_staff_account_acts(service, school):
    """An actor that is no staff account (a pupil's identifier, a name made up) is refused:
    the console only ever passes the identifier of a live staff session."""
    julie = school["3A"][0]
    for actor in (julie.identifier, "quelqu.un"):
        with pytest.raises(errors.NotAllowed, match="Réservé au personnel"):
            service.class_students(actor=actor)


def test_the_staff_commands(tmp_path, db_url):
    """entkiosk staff add --role --classes, set, list (--csv), disable, enable through the
    installed command: refusals are one French sentence and change nothing."""
    from conftest import make_settings
    from pty_support import run_installed
    from test_cli import write_conf

    from entkiosk.runtime import open_service

    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    live = open_service(make_settings(db_url, tmp_path))
    try:
        live.import_class_list([student("Julie", "Baillet", cls="3A"), student("Paul", "Martin", cls="3B")],
                               actor="cli:seed")
    finally:
        live.engine.dispose()

    def staff(*args: str, typed: str = "") -> tuple[int, str, str]:
        import os
        import subprocess

        from pty_support import installed_command

        if not typed:
            done = run_installed(conf, "staff", *args, cwd=tmp_path)
        else:
            env = dict(os.environ, ENTKIOSK_CONFIG=str(conf), PYTHONUTF8="1")
            done = subprocess.run([str(installed_command()), "staff", *args], input=typed, capture_output=True,
                                  text=True, env=env, cwd=tmp_path, timeout=120, check=False)
        assert "Traceback" not in done.stderr
        return done.returncode, done.stdout, done.stderr

    twice = f"{PASSWORD}\n{PASSWORD}\n"
    assert staff("add", "mme.durand", "--role", "direction", "--last-name", "Durand", typed=twice)[0] == 0
    status, _, err = staff("add", "prof.x", "--role", "chef", typed=twice)
    assert status == 1 and err == "Erreur\u00a0: Rôle inconnu «\u00a0chef\u00a0»\u00a0: direction, secretariat ou enseignant.\n"
    status, _, err = staff("add", "prof.x", "--role", "enseignant", typed=twice)
    assert status == 1 and "Un enseignant a au moins une classe" in err
    status, out, err = staff("add", "prof.x", "--role", "enseignant", "--classes", "3A,5E", typed=twice)
    assert status == 1 and "Classe inconnue\u00a0: 5E (classes de l'établissement\u00a0: 3A, 3B)" in err
    assert out == ""  # refused before the password rule is said and the password asked
    status, out, err = staff("add", "prof.martin", "--role", "enseignant", "--classes", "3a, 3B", typed=twice)
    assert status == 0, err
    status, out, _ = staff("list")
    assert status == 0
    assert out.splitlines() == ["mme.durand (Durand)\u00a0: direction",
                                "prof.martin\u00a0: enseignant, classes 3A, 3B",
                                "2 comptes du personnel."]
    assert staff("set", "prof.martin", "--classes", "3B")[0] == 0
    status, _, err = staff("disable", "mme.durand")
    assert status == 1 and "dernier compte actif de la direction" in err
    assert staff("disable", "prof.martin")[0] == 0
    status, out, _ = staff("list", "--csv")
    assert out.splitlines() == ["identifiant;nom;prénom;rôle;classes;état",
                                "mme.durand;Durand;;direction;;actif",
                                "prof.martin;;;enseignant;3B;désactivé"]
    status, _, err = staff("set", "prof.martin")
    assert status == 1 and "Précisez le nouveau rôle" in err
    assert staff("enable", "prof.martin")[0] == 0


def test_an_action_from_a_session_left_open_needs_the_password_again(service, school, clock):
    """staff_member(confirmed=True): the password typed in this session within 5 minutes
    (the login counts), else PasswordNeeded; a wrong one counts like a failed login; another
    session of the same member is not covered."""
    token = service.authenticate("prof.martin", PASSWORD, kind="staff").token
    assert service.staff_member(token, confirmed=True) == "prof.martin"  # just logged in
    clock.advance(minutes=5)
    other = service.authenticate("prof.martin", PASSWORD, kind="staff").token
    with pytest.raises(errors.PasswordNeeded):
        service.staff_member(token, confirmed=True)
    with pytest.raises(errors.WrongPassword):
        service.confirm_staff(token, "Pas-le-bon-2026")
    with pytest.raises(errors.PasswordNeeded):
        service.staff_member(token, confirmed=True)
    service.confirm_staff(token, PASSWORD)
    assert service.staff_member(token, confirmed=True) == "prof.martin"
    clock.advance(minutes=5)
    with pytest.raises(errors.PasswordNeeded):
        service.staff_member(other, confirmed=True)  # its login is 5 minutes old
    service.confirm_staff(token, PASSWORD)
    clock.advance(minutes=4, seconds=59)
    assert service.staff_member(token, confirmed=True) == "prof.martin"
    clock.advance(seconds=1)
    with pytest.raises(errors.PasswordNeeded):
        service.staff_member(token, confirmed=True)
    for _ in range(service.settings.accounts.lockout_threshold):
        try:
            service.confirm_staff(token, "Pas-le-bon-2026")
        except errors.DomainError:
            pass
    with pytest.raises(errors.Locked):
        service.confirm_staff(token, PASSWORD)
