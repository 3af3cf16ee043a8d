"""The use cases of the student guide and of staff work: the only door from a screen or a
command to data.

The door is :class:`AccountService` (:mod:`.facade`), built by
:func:`entkiosk.runtime.open_service`. Behind it, one module per family of use cases:

========================  ======================================================
``activation``            Se connecter, première connexion, charte, déconnexion
``profile``               VOTRE COMPTE: new password, new address, validation
``recovery``              Identifiant oublié, mot de passe oublié, reset code
``assisted``              « Je n'ai pas d'adresse mail »: a recovery an adult approves
``classes``               class lists in, where classes stand, searches
``staff``                 letters, resets, unlock, forced change, purge, the audit
``team``                  staff accounts, roles and classes, staff sessions
``yearly``                the September update from SIECLE
========================  ======================================================

over the shared machinery: ``unit_of_work`` (one transaction per use case and its
rules), ``audit``, ``lockout``, ``sessions`` (sessions and one-time tokens),
``outgoing`` (mail), ``forms`` (checks of typed input), gathered by ``core``. What the
use cases return are the plain values of ``views``.
"""

from ..domain.errors import MailNotSent
from ..domain.letter import IssuedLetter
from .facade import AccountService
from .yearly import Change, UpdateDone, UpdatePlan
from .views import (
    AccountView,
    AuditFilter,
    AuditRecord,
    Charter,
    ClassSummary,
    Deliver,
    HelpRequestView,
    HelpTicket,
    ImportPreview,
    LoginResult,
    NextStep,
    Outcome,
    Progress,
    ResetReference,
    ResetRequestView,
    StaffView,
    StudentStatus,
    GuardianStatus,
    ChildView,
    audit_csv,
    audit_rows,
    class_order,
    student_matches,
    guardian_matches,
)

__all__ = [
    "AccountService",
    "AccountView",
    "AuditFilter",
    "AuditRecord",
    "Change",
    "Charter",
    "ClassSummary",
    "Deliver",
    "HelpRequestView",
    "HelpTicket",
    "ImportPreview",
    "IssuedLetter",
    "LoginResult",
    "MailNotSent",
    "NextStep",
    "Outcome",
    "Progress",
    "ResetReference",
    "ResetRequestView",
    "StaffView",
    "StudentStatus",
    "GuardianStatus",
    "ChildView",
    "UpdateDone",
    "UpdatePlan",
    "audit_csv",
    "audit_rows",
    "class_order",
    "student_matches",
    "guardian_matches",
]
