"""The one door from a screen or a command to data: :class:`AccountService`.

Why a facade: the screens, the command line and the tests want one object to build
(``runtime.open_service``) and to call; the use cases want small rooms. So the facade
holds the shared :class:`~.core.Core` and one object per family (``activation``,
``profile``, ``recovery``, ``assisted``, ``classes``, ``staff``, ``team``, ``yearly``, ``guardians_``), and each public method of
the service is a family's method, forwarded as it is (same signature, same docstring). A new use
case goes in its family and gets one line here.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine

from ..config import Settings
from ..domain.clock import Clock
from ..domain.passwords import Hasher
from ..mail import Transport
from .activation import Activation
from .assisted import AssistedRecovery
from .classes import Classes
from .core import Core, UseCases
from .directory import DirectoryUseCases, Worker
from .guardians import Guardians
from .profile import Profile
from .recovery import Recovery
from .staff import Staff
from .team import Team
from .yearly import YearlyUpdate

if TYPE_CHECKING:
    from ..directory.client import Directory

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=UseCases)


def _forward(family: str, method: Callable[Concatenate[F, P], R]) -> Callable[Concatenate[AccountService, P], R]:
    """``AccountService.<name>`` calls ``self.<family>.<name>``."""
    name = method.__name__

    @functools.wraps(method)
    def door(self: AccountService, *args: P.args, **kwargs: P.kwargs) -> R:
        return getattr(getattr(self, family), name)(*args, **kwargs)

    return door


class AccountService:
    """The account lifecycle of the guide over one database, one mail transport, one clock."""

    def __init__(self, settings: Settings, engine: Engine, transport: Transport, *, clock: Clock | None = None,
                 hasher: Hasher | None = None, rng: random.Random | None = None,
                 mail_after_answer: bool = False, directory: Callable[[], Directory] | None = None) -> None:
        self.core = Core(settings, engine, transport, clock=clock, hasher=hasher, rng=rng,
                         mail_after_answer=mail_after_answer)
        self.directory = DirectoryUseCases(self.core, directory)
        self._directory_worker: Worker | None = None
        self.activation = Activation(self.core)
        self.profile = Profile(self.core)
        self.recovery = Recovery(self.core)
        self.assisted = AssistedRecovery(self.core)
        self.classes = Classes(self.core)
        self.staff = Staff(self.core)
        self.team = Team(self.core)
        self.yearly = YearlyUpdate(self.core, self.classes)
        self.guardians_ = Guardians(self.core, self.staff)

    # What the service was built with (read by the app, the commands and the tests).

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def engine(self) -> Engine:
        return self.core.engine

    @property
    def transport(self) -> Transport:
        return self.core.mail.transport

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def hasher(self) -> Hasher:
        return self.core.hasher

    @property
    def rng(self) -> random.Random:
        return self.core.rng

    @property
    def kiosk_id(self) -> str:
        return self.core.kiosk_id

    def start_directory_worker(self, *, poll: float = 2.0) -> None:
        """Deliver the directory's updates from this process, in a thread (the kiosk's)."""
        import os
        import socket

        if self.directory.connect is None or self._directory_worker is not None:
            return
        holder = f"{self.kiosk_id}@{socket.gethostname()}:{os.getpid()}"[:120]
        self._directory_worker = Worker(self.directory, holder, poll=poll)
        self.core.directory_kick = self._directory_worker.kick
        self._directory_worker.start()

    def stop_directory_worker(self) -> None:
        if self._directory_worker is not None:
            self.core.directory_kick = None
            self._directory_worker.stop()
            self._directory_worker = None

    def wait_for_mail(self, timeout: float | None = None) -> bool:
        """Wait until every mail handed to the background sender has been tried; False on timeout."""
        return self.core.mail.wait(timeout)

    # The guide's steps (activation.py, profile.py, recovery.py).
    authenticate = _forward("activation", Activation.authenticate)
    logout = _forward("activation", Activation.logout)
    first_connection = _forward("activation", Activation.first_connection)
    charter = _forward("activation", Activation.charter)
    accept_charter = _forward("activation", Activation.accept_charter)
    decline_charter = _forward("activation", Activation.decline_charter)
    account = _forward("profile", Profile.account)
    update_profile = _forward("profile", Profile.update_profile)
    change_password = _forward("profile", Profile.change_password)
    change_email = _forward("profile", Profile.change_email)
    resend_validation = _forward("profile", Profile.resend_validation)
    validate_email = _forward("profile", Profile.validate_email)
    forgot_identifier = _forward("recovery", Recovery.forgot_identifier)
    forgot_password = _forward("recovery", Recovery.forgot_password)
    reset_password = _forward("recovery", Recovery.reset_password)
    guardians_to_ask = _forward("recovery", Recovery.guardians_to_ask)
    mail_code_to_guardian = _forward("recovery", Recovery.mail_code_to_guardian)

    # « Je n'ai pas d'adresse mail »: a recovery an adult approves (assisted.py).
    ask_for_help = _forward("assisted", AssistedRecovery.ask_for_help)
    help_state = _forward("assisted", AssistedRecovery.help_state)
    cancel_help = _forward("assisted", AssistedRecovery.cancel_help)
    finish_help = _forward("assisted", AssistedRecovery.finish_help)
    help_requests = _forward("assisted", AssistedRecovery.help_requests)
    approve_help = _forward("assisted", AssistedRecovery.approve_help)

    # Staff work on classes (classes.py).
    import_class_list = _forward("classes", Classes.import_class_list)
    new_rows = _forward("classes", Classes.new_rows)
    preview_class_list = _forward("classes", Classes.preview_class_list)
    check_new_student = _forward("classes", Classes.check_new_student)
    add_student = _forward("classes", Classes.add_student)
    preview_identifier = _forward("classes", Classes.preview_identifier)
    class_students = _forward("classes", Classes.class_students)
    class_summaries = _forward("classes", Classes.class_summaries)
    find_reset_request = _forward("classes", Classes.find_reset_request)

    # The yearly update from SIECLE (yearly.py).
    preview_update = _forward("yearly", YearlyUpdate.preview_update)
    apply_update = _forward("yearly", YearlyUpdate.apply_update)
    # Legal guardians: their export, lists, cards, letters, and their own home (guardians.py).
    preview_guardians = _forward("guardians_", Guardians.preview_guardians)
    apply_guardians = _forward("guardians_", Guardians.apply_guardians)
    guardians = _forward("guardians_", Guardians.guardians)
    guardian_card = _forward("guardians_", Guardians.guardian_card)
    issue_guardian_letters = _forward("guardians_", Guardians.issue_guardian_letters)
    my_children = _forward("guardians_", Guardians.my_children)

    # Staff work on accounts (staff.py).
    issue_letters = _forward("staff", Staff.issue_letters)
    staff_reset = _forward("staff", Staff.staff_reset)
    reset_group = _forward("staff", Staff.reset_group)
    recreate = _forward("staff", Staff.recreate)
    unlock = _forward("staff", Staff.unlock)
    purge_expired = _forward("staff", Staff.purge_expired)
    force_password_change = _forward("staff", Staff.force_password_change)
    close_kiosk = _forward("team", Team.close_kiosk)
    audit_events = _forward("staff", Staff.audit_events)
    audit_log = _forward("staff", Staff.audit_log)
    forget_old_events = _forward("staff", Staff.forget_old_events)

    # The staff themselves: accounts, roles, sessions (team.py).
    staff_password_bounds = _forward("team", Team.staff_password_bounds)
    check_staff_role = _forward("team", Team.check_staff_role)
    add_staff = _forward("team", Team.add_staff)
    set_staff = _forward("team", Team.set_staff)
    disable_staff = _forward("team", Team.disable_staff)
    enable_staff = _forward("team", Team.enable_staff)
    staff_accounts = _forward("team", Team.staff_accounts)
    set_staff_password = _forward("team", Team.set_staff_password)
    staff_member = _forward("team", Team.staff_member)
    staff_profile = _forward("team", Team.staff_profile)
    confirm_staff = _forward("team", Team.confirm_staff)

    # The school's LDAP directory (directory.py).
    directory_status = _forward("directory", DirectoryUseCases.directory_status)
    directory_sync = _forward("directory", DirectoryUseCases.directory_sync)
    deliver_directory = _forward("directory", DirectoryUseCases.deliver)
