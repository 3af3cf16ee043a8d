"""5. Accueil de l'élève: « Bienvenue <Prénom> », last login, the establishment's message and services."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ..text import local_date, plain
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys


class HomeScreen(KioskScreen):
    """MON COMPTE, CONTACT, SE DÉCONNECTER."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Choisir"), back=N_("Se déconnecter"))
    BAND = N_("SCOLARITÉ SERVICES")

    def compose_body(self) -> ComposeResult:
        settings = self.app.settings
        # The student's own lines are written by show_student(): this screen is built once
        # and kept (App.way_in), and every student finds their own name on it.
        yield Static("", classes="heading", id="welcome")
        yield Static("", classes="paragraph", id="last-login")
        children = Static(_("Vos enfants"), classes="subheading", id="children-title")
        children.display = False
        yield children
        yield Static("", classes="paragraph", id="children")
        with Horizontal(id="home-menu"):
            yield KioskButton(_("MON COMPTE"), id="account", variant="primary")
            yield KioskButton(_("CONTACT"), id="contact")
            yield KioskButton(_("SE DÉCONNECTER"), id="logout")
        if settings.establishment.message:
            yield Static(_("Message de l'établissement"), classes="subheading")
            yield Static(plain(settings.establishment.message), classes="paragraph", id="message")
        yield Static(_("Vos services"), classes="subheading")
        with Vertical(id="services"):
            for service in settings.services.list:
                # The default list (config.py) is marked with N_: translated; a school's own names as
                # written. (Never _(""): gettext's answer to it is the catalog's header.)
                yield Static(plain(f"• {_(service) if service else service}"), classes="service")
        yield Static("", id="contact-box", classes="paragraph")

    def on_mount(self) -> None:
        self.show_student()
        self.focus_first()

    def on_screen_resume(self) -> None:
        self.show_student()

    def show_student(self) -> None:
        """« Bienvenue <Prénom> » and the last login, of the student of this session."""
        session = self.app.session
        previous = session.previous_login_at if session else None
        self.query_one("#welcome", Static).update(plain(_("Bienvenue {first_name}").format(
            first_name=session.first_name if session else "")))
        if previous:
            last = _("Dernière connexion le {date}").format(date=local_date(previous, self.app.settings.timezone))
        else:
            last = _("Première connexion à vos services")
        self.query_one("#last-login", Static).update(plain(last))
        guardian = session is not None and session.kind == "parent"
        self.query_one("#children-title").display = guardian
        self.query_one("#children", Static).display = guardian
        if guardian:
            self.call(self.app.service.my_children, self.app.token, then=self._show_children)

    def _show_children(self, children: list) -> None:
        """A guardian's children and where each one's account stands (never a password or code)."""
        lines = [(_("• {first_name} {last_name} ({class_name}) : compte {state}") if c.class_name
                  else _("• {first_name} {last_name} : compte {state}")).format(
                      first_name=c.first_name, last_name=c.last_name, class_name=c.class_name, state=c.state_label)
                 for c in children]
        self.query_one("#children", Static).update(plain("\n".join(lines) or _("Aucun enfant inscrit.")))

    def forget(self) -> None:
        for line in ("#welcome", "#last-login", "#contact-box", "#children"):
            self.query_one(line, Static).update("")
        self.query_one("#contact-box").remove_class("-shown")
        super().forget()

    def first_focus(self) -> Widget:
        return self.query_one("#account", Button)

    def action_submit(self) -> None:
        if isinstance(self.focused, Button):
            self.focused.press()

    def action_back(self) -> None:
        self.app.end_session()

    @on(Button.Pressed, "#account")
    def _account(self) -> None:
        from .profile import ProfileScreen

        self.app.push_screen(ProfileScreen())

    @on(Button.Pressed, "#contact")
    def _contact(self) -> None:
        est = self.app.settings.establishment
        box = self.query_one("#contact-box", Static)
        box.update(plain(_("{name}\n{address}\nTél : {phone}\nMail : {email}").format(
            name=est.name, address=est.address, phone=est.phone, email=est.email)))
        box.add_class("-shown")
        box.scroll_visible()

    @on(Button.Pressed, "#logout")
    def _logout(self) -> None:
        self.app.end_session()
