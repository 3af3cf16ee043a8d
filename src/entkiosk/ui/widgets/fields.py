"""Form fields that keep their error beside them.

A :class:`Field` is a label, an input and an error line. Its ``name`` is the key the
service uses in :class:`~entkiosk.domain.errors.InvalidInput` (``new_password``,
``email_confirm``…), so a screen routes each error to its field without a table.

The label sits on the left of its input (one line per field): the guide's longest
form, PREMIÈRE CONNEXION, then fits on an 80×24 terminal. The field that has the
focus is marked by its label in bold and a lighter input, visible without colour too.

An error stays beside its field until the field is corrected: the first change to
what was refused takes the message away (the next VALIDER checks the field again).
A value emptied by the screen itself (a password after a refusal) is no correction.
"""

from __future__ import annotations

import unicodedata

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static
from textual.widgets.input import Selection

from ...config import AccountSettings
from ...domain.i18n import N_, _
from ...domain.passwords import STAFF_MAX_LENGTH, rule as password_rule
from ..text import plain


class KioskInput(Input):
    """An input whose cursor blinks only when the app allows it (snapshots turn it off).

    Compact (one line) so that every form of the guide fits at 80×24; Entrée is shown
    in the footer as what it does here: VALIDER.
    """

    BINDINGS = [Binding("enter", "submit", N_("Valider"), key_display=N_("Entrée"), id="input-submit")]

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(*args, **kwargs)

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)

    def on_paste(self, event: events.Paste) -> None:
        """A paste keeps printable text only: escape sequences never reach the terminal.

        Textual calls the handlers of a message from the most derived class down, so this
        runs before Input's own, which then inserts the cleaned text.
        """
        event.text = "".join(c for c in event.text if unicodedata.category(c)[0] != "C" or c == "\n")


class SecretInput(KioskInput):
    """A masked input whose text can be neither copied nor cut."""

    def __init__(self, **kwargs) -> None:
        super().__init__(password=True, **kwargs)

    def action_copy(self) -> None:
        self.app.bell()

    def action_cut(self) -> None:
        self.app.bell()


class _MarksFocus:
    """Sets ``-focused`` while one of its inputs has the focus (``:focus-within`` does
    not restyle the label, a sibling of the input)."""

    def on_descendant_focus(self) -> None:
        self.add_class("-focused")  # type: ignore[attr-defined]

    def on_descendant_blur(self) -> None:
        self.remove_class("-focused")  # type: ignore[attr-defined]


class Field(_MarksFocus, Vertical):
    """A labelled input with its own error line."""

    DEFAULT_CSS = """
    Field { height: auto; margin: 0 0 1 0; }
    Field > .field-row { height: auto; }
    Field > .field-row > Input { width: 1fr; }
    Field .field-label { width: 38; color: $text-muted; }
    Field.-focused .field-label { color: $text; text-style: bold; }
    Field > .field-hint { color: $text-muted; text-style: italic; }
    Field > .field-error { color: $text-error; text-style: bold; display: none; }
    Field.-invalid > .field-error { display: block; }
    Field.-invalid .field-label { color: $text-error; }
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
        #: What the field held when its error was shown (None: no error).
        self._refused: str | None = None
        cls = SecretInput if secret else KioskInput
        self.input: Input = cls(value=value, placeholder=placeholder, id=name, disabled=disabled,
                                max_length=max_length, restrict=restrict)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(self._label, classes="field-label", markup=False)
            yield self.input
        if self._hint:
            yield Static(self._hint, classes="field-hint", markup=False)
        yield Static("", id=f"{self.field_name}-error", classes="field-error", markup=False)

    @property
    def value(self) -> str:
        return self.input.value

    def set_error(self, message: str | None) -> None:
        self._refused = self.value if message else None
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(plain(message or ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        """The student corrects the field: its error goes. (The message goes on to the
        screen, which may filter or reset on its own fields' changes.)"""
        if self._refused is not None and self.value != self._refused:
            self.set_error(None)

    def clear(self) -> None:
        self.input.value = ""
        self.set_error(None)


class PasswordField(Field):
    """A masked field; the new-password variant shows the rule under it (the guide's, or
    the stronger one the establishment configured)."""

    def __init__(self, label: str, name: str, *, rule: bool = False, hint: str | None = None,
                 placeholder: str = "") -> None:
        super().__init__(label, name, secret=True, hint=hint, placeholder=placeholder)
        self.rule = rule

    def compose(self) -> ComposeResult:
        # The establishment's rule ([accounts]) is the app's: known once the field is in it.
        settings = getattr(self.app, "settings", None)
        accounts = settings.accounts if settings is not None else AccountSettings()
        if self.rule:
            self._hint = password_rule(accounts.password_min_length, accounts.password_max_length)
        self.input.max_length = max(STAFF_MAX_LENGTH, accounts.password_max_length)
        yield from super().compose()


class DatePart(KioskInput):
    """Jour, mois or année: its digits go to :meth:`BirthDateField.type_digit` as they arrive.

    Priority bindings on the part itself (Textual does not let a field's ancestors
    bind printable keys), read before the next key is dispatched.
    """

    BINDINGS = [Binding(digit, f"digit('{digit}')", show=False, priority=True) for digit in "0123456789"]

    def __init__(self, *, placeholder: str, id: str, max_length: int) -> None:
        super().__init__(placeholder=placeholder, id=id, max_length=max_length, restrict=r"\d*",
                         select_on_focus=False)

    def action_digit(self, digit: str) -> None:
        self.query_ancestor(BirthDateField).type_digit(self, digit)

    def action_delete_left(self) -> None:
        """Retour arrière: in an empty part (or at its start), back into the previous one,
        so that a whole date can be erased from the year to the day."""
        if self.selection.is_empty and self.cursor_position == 0:
            self.query_ancestor(BirthDateField).back_from(self)
        else:
            super().action_delete_left()


class BirthDateField(_MarksFocus, Vertical):
    """``date de naissance*`` as jour / mois / année, moving on by itself when a part is full.

    The digits are routed here as they arrive (:class:`DatePart`): the focus moves to
    the next part before the next key is read, so a date typed quickly (or sent by a
    script, « 14032010 ») lands whole, in order. Typing into a part reached with Tab or
    the mouse replaces what it held, as in any field.
    """

    DEFAULT_CSS = """
    BirthDateField { height: auto; margin: 0 0 1 0; }
    BirthDateField .field-label { width: 38; color: $text-muted; }
    BirthDateField.-focused .field-label { color: $text; text-style: bold; }
    BirthDateField > .field-row { height: 1; }
    BirthDateField Input { width: 6; }
    BirthDateField #birth_year { width: 8; }
    BirthDateField .date-sep { width: 3; height: 1; content-align: center middle; }
    BirthDateField > .field-error { color: $text-error; text-style: bold; display: none; }
    BirthDateField.-invalid > .field-error { display: block; }
    BirthDateField.-invalid .field-label { color: $text-error; }
    """

    field_name = "birth_date"

    def __init__(self, label: str | None = None) -> None:
        super().__init__(id="birth_date-field")
        self._label = label if label is not None else _("date de naissance*")
        self.day = DatePart(placeholder=_("jour"), id="birth_day", max_length=2)
        self.month = DatePart(placeholder=_("mois"), id="birth_month", max_length=2)
        self.year = DatePart(placeholder=_("année"), id="birth_year", max_length=4)
        self._typing_in: Input | None = None
        #: The three parts when the error was shown (None: no error).
        self._refused: tuple[str, str, str] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(self._label, classes="field-label", markup=False)
            yield self.day
            yield Static("/", classes="date-sep")
            yield self.month
            yield Static("/", classes="date-sep")
            yield self.year
        yield Static("", id="birth_date-error", classes="field-error", markup=False)

    def type_digit(self, part: Input, digit: str) -> None:
        """``digit`` typed in ``part``: into it, or into the next part when it is full."""
        parts = (self.day, self.month, self.year)
        if part is not self._typing_in:  # reached with Tab or a click: the digits replace the part
            self._enter(part)
        elif self._full(part) and part is not self.year:
            part = parts[parts.index(part) + 1]
            self._enter(part)
        if part.selection.is_empty:
            part.insert_text_at_cursor(digit)
        else:
            part.replace(digit, *sorted(part.selection))
        if self._full(part) and part is not self.year:
            self._enter(parts[parts.index(part) + 1])

    def back_from(self, part: Input) -> None:
        """Retour arrière at the start of ``part``: the previous part, its cursor at the end
        (the next Retour arrière erases its last digit; a digit typed goes after it)."""
        parts = (self.day, self.month, self.year)
        if part is self.day:
            return
        previous = parts[parts.index(part) - 1]
        self.screen.set_focus(previous)
        previous.selection = Selection.cursor(len(previous.value))
        self._typing_in = previous

    def _enter(self, part: Input) -> None:
        """Focus ``part`` now (not after the keys already waiting), its text selected to be typed over."""
        self.screen.set_focus(part)
        part.selection = Selection(0, len(part.value))
        self._typing_in = part

    @staticmethod
    def _full(part: Input) -> bool:
        return len(part.value) >= part.max_length and part.selection.is_empty and part.cursor_position == len(part.value)

    def on_descendant_blur(self) -> None:
        # (_MarksFocus's handler runs as well: Textual calls each class's own.)
        if self.screen.focused not in (self.day, self.month, self.year):
            self._typing_in = None

    @property
    def value(self) -> str:
        parts = (self.day.value.strip(), self.month.value.strip(), self.year.value.strip())
        if not any(parts):
            return ""
        day, month, year = parts
        return f"{day.zfill(2)}/{month.zfill(2)}/{year}"

    def _parts(self) -> tuple[str, str, str]:
        return self.day.value, self.month.value, self.year.value

    def set_error(self, message: str | None) -> None:
        self._refused = self._parts() if message else None
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(plain(message or ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._refused is not None and self._parts() != self._refused:
            self.set_error(None)

    def clear(self) -> None:
        for part in (self.day, self.month, self.year):
            part.value = ""
        self._typing_in = None
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
        super().__init__(_("Vérification en cours…"), **kwargs)

