"""Form fields that keep their error beside them.

A :class:`Field` is a label, an input and an error line. Its ``name`` is the key the
service uses in :class:`~entkiosk.domain.errors.InvalidInput` (``new_password``,
``email_confirm``…), so a screen routes each error to its field without a table.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from ...domain.passwords import RULE
from ..text import plain


class KioskInput(Input):
    """An input whose cursor blinks only when the app allows it (snapshots turn it off).

    Compact (one line) so that every form of the guide fits at 80×24; Entrée is shown
    in the footer as what it does here: VALIDER.
    """

    BINDINGS = [Binding("enter", "submit", "Valider", key_display="Entrée", id="input-submit")]

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(*args, **kwargs)

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)


class SecretInput(KioskInput):
    """A masked input whose text can be neither copied nor cut."""

    def __init__(self, **kwargs) -> None:
        super().__init__(password=True, **kwargs)

    def action_copy(self) -> None:
        self.app.bell()

    def action_cut(self) -> None:
        self.app.bell()


class Field(Vertical):
    """A labelled input with its own error line."""

    DEFAULT_CSS = """
    Field { height: auto; margin: 0 0 0 0; }
    Field > .field-label { color: $text-muted; }
    Field > .field-hint { color: $text-muted; text-style: italic; }
    Field > .field-error { color: $error; text-style: bold; display: none; }
    Field.-invalid > .field-error { display: block; }
    Field.-invalid Input { border: tall $error; }
    """

    def __init__(
        self,
        label: str,
        name: str,
        *,
        secret: bool = False,
        placeholder: str = "",
        hint: str | None = None,
        value: str = "",
        disabled: bool = False,
        max_length: int = 0,
        restrict: str | None = None,
    ) -> None:
        super().__init__(id=f"{name}-field")
        self.field_name = name
        self._label = label
        self._hint = hint
        cls = SecretInput if secret else KioskInput
        self.input: Input = cls(value=value, placeholder=placeholder, id=name, disabled=disabled,
                                max_length=max_length, restrict=restrict)

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label", markup=False)
        yield self.input
        if self._hint:
            yield Static(self._hint, classes="field-hint", markup=False)
        yield Static("", id=f"{self.field_name}-error", classes="field-error", markup=False)

    @property
    def value(self) -> str:
        return self.input.value

    def set_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(plain(message or ""))

    def clear(self) -> None:
        self.input.value = ""
        self.set_error(None)


class PasswordField(Field):
    """A masked field; the new-password variant shows the guide's rule under it."""

    def __init__(self, label: str, name: str, *, rule: bool = False, hint: str | None = None,
                 placeholder: str = "") -> None:
        super().__init__(label, name, secret=True, hint=(RULE if rule else hint), placeholder=placeholder,
                         max_length=64)


class BirthDateField(Vertical):
    """``date de naissance*`` as jour / mois / année, moving on by itself when a part is full."""

    DEFAULT_CSS = """
    BirthDateField { height: auto; }
    BirthDateField > .field-label { color: $text-muted; }
    BirthDateField > .field-hint { color: $text-muted; text-style: italic; }
    BirthDateField Horizontal { height: auto; }
    BirthDateField Input { width: 10; }
    BirthDateField #birth_year { width: 12; }
    BirthDateField .date-sep { width: 1; height: 3; content-align: center middle; }
    BirthDateField > .field-error { color: $error; text-style: bold; display: none; }
    BirthDateField.-invalid > .field-error { display: block; }
    BirthDateField.-invalid Input { border: tall $error; }
    """

    field_name = "birth_date"

    def __init__(self, label: str = "date de naissance*") -> None:
        super().__init__(id="birth_date-field")
        self._label = label
        self.day = KioskInput(placeholder="jour", id="birth_day", max_length=2, restrict=r"\d*")
        self.month = KioskInput(placeholder="mois", id="birth_month", max_length=2, restrict=r"\d*")
        self.year = KioskInput(placeholder="année", id="birth_year", max_length=4, restrict=r"\d*")

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label", markup=False)
        with Horizontal():
            yield self.day
            yield Static("/", classes="date-sep")
            yield self.month
            yield Static("/", classes="date-sep")
            yield self.year
        yield Static("Saisissez le jour, le mois et l'année de votre naissance", classes="field-hint")
        yield Static("", id="birth_date-error", classes="field-error", markup=False)

    @on(Input.Changed)
    def _advance(self, event: Input.Changed) -> None:
        """Two digits of the day (or month) typed: go on to the next part."""
        if event.input in (self.day, self.month) and len(event.value) == 2 and event.input.has_focus:
            (self.month if event.input is self.day else self.year).focus()

    @property
    def value(self) -> str:
        parts = (self.day.value.strip(), self.month.value.strip(), self.year.value.strip())
        if not any(parts):
            return ""
        day, month, year = parts
        return f"{day.zfill(2)}/{month.zfill(2)}/{year}"

    def set_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(plain(message or ""))

    def clear(self) -> None:
        for part in (self.day, self.month, self.year):
            part.value = ""
        self.set_error(None)


class ErrorLine(Static):
    """A screen-wide message (not tied to one field): refusals, lockouts, storage trouble."""

    DEFAULT_CSS = """
    ErrorLine { color: $error; text-style: bold; height: auto; display: none; }
    ErrorLine.-shown { display: block; }
    ErrorLine.-info { color: $success; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)

    def show(self, message: str | None, *, info: bool = False) -> None:
        self.set_class(bool(message), "-shown")
        self.set_class(info, "-info")
        self.update(plain(message or ""))


class Working(Static):
    """« Vérification en cours… » while a worker runs."""

    DEFAULT_CSS = """
    Working { color: $warning; height: 1; display: none; }
    Working.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("Vérification en cours…", **kwargs)

