"""The portal choice of the guide: establishment type, then profile, « Mémoriser ce choix »."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Checkbox, RadioSet, Static

from ...domain.errors import DomainError
from ...domain.i18n import N_, _
from ..text import plain
from ..widgets.controls import KioskButton, KioskCheckbox, KioskRadioButton, KioskRadioSet
from .base import KioskScreen

if TYPE_CHECKING:
    from ..kiosk import Kiosk

#: The portal's choices: French (also what « Mémoriser ce choix » keeps), translated where shown.
ESTABLISHMENTS = (N_("Lycées et collèges"), N_("Enseignement agricole"), N_("Apprentissage"),
                  N_("Formation continue"), N_("Enseignement maritime"))
PROFILES = (N_("Élève"), N_("Parent"), N_("Personnel de l'Éducation Nationale"), N_("Personnel de collectivité"),
            N_("Invité (tous profils) et autre"))
SERVED_ESTABLISHMENT = ESTABLISHMENTS[0]
STUDENT, PARENT, STAFF = PROFILES[0], PROFILES[1], PROFILES[2]

NOT_SERVED = N_("Ce poste ne sert que les élèves, leurs responsables légaux et les personnels de l'Éducation "
                "nationale des lycées et collèges de l'établissement. Connectez-vous depuis le portail de votre propre établissement "
                "ou depuis chez vous.")


def open_portal(app: Kiosk, establishment: str, profile: str) -> bool:
    """Go to the login of a served choice; False when this kiosk does not serve it."""
    from .login import LoginScreen

    if establishment != SERVED_ESTABLISHMENT or profile not in (STUDENT, PARENT, STAFF):
        return False
    if profile == PARENT:
        app.show(app.way_in(LoginScreen, guardians=True))
    else:
        app.show(app.way_in(LoginScreen, staff=profile == STAFF))
    return True


class PortalScreen(KioskScreen):
    """« Connectez-vous en fonction de votre établissement »."""

    BAND = N_("ESPACE NUMÉRIQUE DE TRAVAIL")
    HEADING = N_("Bienvenue sur votre espace numérique de travail.")

    def compose_body(self) -> ComposeResult:
        yield Static(plain(_("Connectez-vous en fonction de votre établissement :")), classes="paragraph")
        with Horizontal(id="portal-choice"):
            with Vertical():
                with KioskRadioSet(id="establishment"):
                    for i, name in enumerate(ESTABLISHMENTS):
                        yield KioskRadioButton(_(name), value=i == 0)
            with Vertical():
                with KioskRadioSet(id="profile"):
                    for i, name in enumerate(PROFILES):
                        yield KioskRadioButton(_(name), value=i == 0)
        yield KioskCheckbox(_("Mémoriser ce choix"), id="remember")
        yield KioskButton(_("Valider"), id="validate", classes="submit", variant="primary")

    def on_mount(self) -> None:
        self.focus_first()

    def first_focus(self) -> Widget:
        return self.query_one("#establishment", RadioSet)

    def forget(self) -> None:
        for radio_set in self.query(KioskRadioSet):
            radio_set.choose_first()
        self.query_one("#remember", Checkbox).value = False
        super().forget()

    def _choice(self, set_id: str, names: tuple[str, ...]) -> str:
        index = self.query_one(f"#{set_id}", RadioSet).pressed_index
        return names[index if index >= 0 else 0]

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        establishment = self._choice("establishment", ESTABLISHMENTS)
        profile = self._choice("profile", PROFILES)
        self.clear_errors()
        remember = self.query_one("#remember", Checkbox).value
        if not open_portal(self.app, establishment, profile):
            self.show_error(DomainError(_(NOT_SERVED)))
            return
        if remember:
            self.app.memory.save(establishment, profile)
