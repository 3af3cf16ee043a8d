"""The kiosk in-process (``make_app`` + ``run_test`` at 80×24), on a real SQLite file and real argon2.

A key is posted through the terminal driver as a terminal would deliver it, and the
clock stops at the first frame the screen produces once the key has taken effect
(the app's ``_display`` is wrapped: it is called with every frame the compositor
renders, headless or not). Nothing measured goes through ``pilot.press`` or
``pilot.pause``: those wait for the process to look idle in 20 ms steps, which is
not what a student waits for (and never happens while a hash runs in the background).

Figures: **login** (Entrée until the home screen is painted, against one argon2
verify), **keys** and **screens** (each keystroke in a form, each screen change, while
a thread hashes passwords in a loop; the same without that thread is the reference).
:func:`full_path` drives a whole student path for the memory figure.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from .report import Figure
from .support import (
    ACTIVATION_PASSWORD,
    PROFILE_PASSWORD,
    RESET_PASSWORD,
    make_settings,
    median,
    percentile,
    school,
    scratch,
    verify_time,
)

SIZE = (80, 24)
TYPED = "Abcdefgh12ijklmnop34"  # 20 characters, letters and digits
REMEMBERED_PORTAL = '{"establishment": "Lycées et collèges", "profile": "Élève"}'


class BenchError(RuntimeError):
    """The kiosk did not do what the scripted student expected (the product changed?)."""


# ---------------------------------------------------------------- frames and keys


class Frames:
    """Wraps ``app._display``: a waiter wakes at the first frame for which its predicate holds."""

    def __init__(self, app) -> None:
        self.app = app
        self.count = 0
        self._waiters: list[tuple[Callable[[Any], bool], asyncio.Future[float]]] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            now = time.perf_counter()
            self.count += 1
            for waiter in list(self._waiters):
                predicate, future = waiter
                if future.done():
                    self._waiters.remove(waiter)
                elif predicate(screen):
                    future.set_result(now)
                    self._waiters.remove(waiter)

        app._display = display

    def expect(self, predicate: Callable[[Any], bool]) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return future


def key_event(app, key: str):
    """The Key event a terminal delivers for ``key`` ("a", "tab", "enter", "escape"…)."""
    from textual import events
    from textual.keys import _character_to_key, _get_unicode_name_from_key

    if len(key) == 1:  # a printable character: the terminal sends it as is
        event = events.Key(key if key.isalnum() else _character_to_key(key), key)
        event.set_sender(app)
        return event
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = None
    event = events.Key(key, char)
    event.set_sender(app)
    return event


async def timed_key(app, frames: Frames, key: str, done: Callable[[Any], bool], timeout: float = 10.0) -> float:
    """Seconds from posting ``key`` until the first frame after which ``done(screen)`` holds."""
    future = frames.expect(done)
    started = time.perf_counter()
    app._driver.send_message(key_event(app, key))
    try:
        return await asyncio.wait_for(future, timeout) - started
    except TimeoutError:
        raise BenchError(f"no frame within {timeout:.0f} s after {key!r} on {type(app.screen).__name__}") from None


def on_screen(app, name: str) -> Callable[[Any], bool]:
    """A frame of the screen class ``name``, which is the current screen."""
    return lambda screen: type(screen).__name__ == name and screen is app.screen


# ---------------------------------------------------------------- driving like a student (not timed)


async def settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def press(app, pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(app, pilot)


async def type_text(app, pilot, text: str) -> None:
    for char in text:
        app._driver.send_message(key_event(app, char))
    await pilot.pause()


def expect(app, *names: str) -> None:
    current = type(app.screen).__name__
    if current not in names:
        text = " ".join(" ".join(strip.text for strip in app.screen._compositor.render_strips()).split())
        raise BenchError(f"expected {' or '.join(names)}, the kiosk shows {current}: {text[:1200]}")


async def tab_to(app, pilot, widget_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        if app.focused is not None and app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise BenchError(f"#{widget_id} never got the focus with Tab on {type(app.screen).__name__}")


async def fill(app, pilot, widget_id: str, text: str) -> None:
    await tab_to(app, pilot, widget_id)
    await type_text(app, pilot, text)


def last_code(outbox: Path) -> str:
    """The short code (K7QF-2M9X) of the newest mail of a Maildir outbox."""
    from entkiosk.mail import OutboxTransport

    entries = OutboxTransport(outbox).entries()
    if not entries:
        raise BenchError(f"no mail in {outbox}")
    match = re.search(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", entries[-1].body, re.MULTILINE)
    if not match:
        raise BenchError(f"no code in the newest mail ({entries[-1].subject})")
    return match.group(1)


async def to_login(app, pilot) -> None:
    """Accueil → Se connecter → (portal: Lycées et collèges, Élève, VALIDER) → login."""
    expect(app, "WelcomeScreen")
    await press(app, pilot, "enter")
    if type(app.screen).__name__ == "PortalScreen":
        await tab_to(app, pilot, "validate")
        await press(app, pilot, "enter")
    expect(app, "LoginScreen")
    await tab_to(app, pilot, "identifier")


async def log_in(app, pilot, identifier: str, password: str) -> None:
    await to_login(app, pilot)
    await type_text(app, pilot, identifier)
    await pilot.press("tab")
    await type_text(app, pilot, password)
    await press(app, pilot, "enter")


async def full_path(app, pilot, letter, outbox: Path, *, email: str) -> None:
    """The whole student path of the guide at the kiosk, keyboard only.

    Login with the letter → PREMIÈRE CONNEXION with an address → charter → home →
    MON COMPTE: new password, then the validation code of the mail → logout →
    MOT DE PASSE OUBLIÉ → the reset code and a new password → login again → home.
    """
    await log_in(app, pilot, letter.identifier, letter.provisional_password)
    expect(app, "FirstConnectionScreen")
    await tab_to(app, pilot, "birth_day")
    await type_text(app, pilot, letter.birth_date.strftime("%d%m%Y"))
    await fill(app, pilot, "new_password", ACTIVATION_PASSWORD)
    await fill(app, pilot, "new_password_confirm", ACTIVATION_PASSWORD)
    await fill(app, pilot, "email", email)
    await fill(app, pilot, "email_confirm", email)
    await press(app, pilot, "enter")
    expect(app, "MessageScreen")  # « Compte en attente de validation »
    await press(app, pilot, "enter")
    expect(app, "CharterScreen")
    await settle(app, pilot)
    await tab_to(app, pilot, "accept")
    await press(app, pilot, "space")
    await tab_to(app, pilot, "validate")
    await press(app, pilot, "enter")
    expect(app, "HomeScreen")
    await press(app, pilot, "enter")  # MON COMPTE
    expect(app, "ProfileScreen")
    await settle(app, pilot)
    await fill(app, pilot, "current_password", ACTIVATION_PASSWORD)
    await fill(app, pilot, "new_password", PROFILE_PASSWORD)
    await fill(app, pilot, "new_password_confirm", PROFILE_PASSWORD)
    await press(app, pilot, "enter")
    expect(app, "ProfileScreen")
    await settle(app, pilot)
    await tab_to(app, pilot, "enter-code")
    await press(app, pilot, "enter")
    expect(app, "ValidateEmailScreen")
    await type_text(app, pilot, last_code(outbox))
    await press(app, pilot, "enter")
    expect(app, "MessageScreen")  # « Confirmation de votre adresse mail »
    await press(app, pilot, "enter")
    expect(app, "HomeScreen")
    await press(app, pilot, "escape")  # SE DÉCONNECTER
    expect(app, "WelcomeScreen")
    await tab_to(app, pilot, "forgot-password")
    await press(app, pilot, "enter")
    expect(app, "ForgotPasswordScreen")
    await type_text(app, pilot, letter.identifier)
    await press(app, pilot, "enter")
    expect(app, "MessageScreen")  # the reference of the request
    await press(app, pilot, "enter")
    expect(app, "ResetPasswordScreen")
    await tab_to(app, pilot, "code")
    await type_text(app, pilot, last_code(outbox))
    await fill(app, pilot, "new_password", RESET_PASSWORD)
    await fill(app, pilot, "new_password_confirm", RESET_PASSWORD)
    await press(app, pilot, "enter")
    expect(app, "MessageScreen")  # « Confirmation de modification de mot de passe »
    await press(app, pilot, "enter")
    expect(app, "WelcomeScreen")
    await log_in(app, pilot, letter.identifier, RESET_PASSWORD)
    expect(app, "HomeScreen")


# ---------------------------------------------------------------- the scene


def open_kiosk(folder: Path, *, students: int = 1, activated: bool = False):
    """A service on a fresh SQLite file with ``students`` letters; the first one activated if asked."""
    from entkiosk.runtime import open_service

    settings = make_settings(folder)
    service = open_service(settings)
    letters = service.import_class_list(school(students), actor="cli:bench")
    if activated:
        letter = letters[0]
        login = service.authenticate(letter.identifier, letter.provisional_password)
        service.first_connection(login.token, birth_date=letter.birth_date.strftime("%d/%m/%Y"),
                                 new_password=ACTIVATION_PASSWORD, confirm_password=ACTIVATION_PASSWORD)
        service.accept_charter(login.token, settings.charter.version)
        service.logout(login.token)
    return settings, service, letters


def stored_hash(service, identifier: str) -> str:
    from sqlalchemy import select

    from entkiosk.store.models import Account

    with service.engine.connect() as c:
        return c.execute(select(Account.password_hash).where(Account.identifier == identifier)).scalar_one()


class HashHog:
    """A thread hashing passwords in a loop with the kiosk's parameters (as a login worker does)."""

    def __init__(self, hasher) -> None:
        self.hasher = hasher
        self.hashes = 0
        self._on = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._on.wait(0.05):
                continue
            self.hasher.hash("Velo2roues")
            self.hashes += 1

    def running(self, on: bool) -> None:
        self._on.set() if on else self._on.clear()

    def stop(self) -> None:
        self._stop.set()
        self._on.set()
        self._thread.join()


class GcWatch:
    """Every collection of Python's cyclic GC while it is on: (generation, start, end)."""

    def __init__(self) -> None:
        import gc

        self._gc = gc
        self.collections: list[tuple[int, float, float]] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections.append((info["generation"], self._started, time.perf_counter()))

    def __enter__(self) -> Self:
        self._gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        self._gc.callbacks.remove(self._callback)

    def during(self, start: float, end: float) -> list[tuple[int, float]]:
        """(generation, seconds) of the collections that overlapped [start, end]."""
        return [(gen, b - a) for gen, a, b in self.collections if a < end and b > start]


# ---------------------------------------------------------------- login


async def _logins(folder: Path, count: int) -> dict:
    from entkiosk.ui.app import make_app

    settings, service, letters = open_kiosk(folder, activated=True)
    letter = letters[0]
    verify = verify_time(service.hasher, stored_hash(service, letter.identifier), ACTIVATION_PASSWORD, samples=10)
    (folder / "state.json").write_text(REMEMBERED_PORTAL, encoding="utf-8")
    service_times: list[float] = []
    authenticate = service.authenticate

    def timed_authenticate(*args, **kwargs):
        started = time.perf_counter()
        try:
            return authenticate(*args, **kwargs)
        finally:
            service_times.append(time.perf_counter() - started)

    service.authenticate = timed_authenticate  # what LoginScreen calls, in its worker thread
    app = make_app(settings, service, state_path=folder / "state.json")
    app.freeze_after_start = True  # as run_kiosk sets it: what was loaded at start is not scanned again
    logins: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        frames = Frames(app)
        await settle(app, pilot)
        for _ in range(count):
            await to_login(app, pilot)
            await type_text(app, pilot, letter.identifier)
            await pilot.press("tab")
            await type_text(app, pilot, ACTIVATION_PASSWORD)
            await settle(app, pilot)
            logins.append(await timed_key(app, frames, "enter", on_screen(app, "HomeScreen")))
            await settle(app, pilot)
            await press(app, pilot, "escape")  # SE DÉCONNECTER
            expect(app, "WelcomeScreen")
    service.engine.dispose()
    return {"login": logins, "verify": verify, "authenticate": service_times}


def measure_login(runs: int, figures: dict[str, Figure], details: dict, *, quick: bool = False) -> None:
    fig = figures["login"]
    per_run = details.setdefault("login", [])
    for _ in range(runs):
        with scratch("login") as folder:
            got = asyncio.run(_logins(folder, 3 if quick else 10))
        login, auth = median(got["login"]), median(got["authenticate"])
        fig.add(login * 1000, got["verify"] * 1000)
        per_run.append({"login_ms": login * 1000, "verify_ms": got["verify"] * 1000,
                        "service_authenticate_ms": auth * 1000, "ui_after_service_ms": (login - auth) * 1000,
                        "samples_ms": [t * 1000 for t in got["login"]]})


# ---------------------------------------------------------------- keys and screen changes


async def _keys_and_screens(folder: Path, rounds: int, cycles: int, busy_first: bool = True) -> dict:
    """Keystrokes and screen changes, each measured with and without a hash in the background.

    A first cycle of screen changes, not counted, pays what only the first student after
    start-up pays (screen modules imported on first use, first styles of new widgets);
    it is kept apart in the details (``first_cycle_ms``).
    """
    from entkiosk.ui.app import make_app

    settings, service, letters = open_kiosk(folder)
    letter = letters[0]
    app = make_app(settings, service, state_path=folder / "state.json")
    app.freeze_after_start = True  # as run_kiosk sets it: what was loaded at start is not scanned again
    hog = HashHog(service.hasher)
    samples: dict[str, dict[str, list[float]]] = {
        phase: {"keys": [], "screens": []} for phase in ("busy", "idle", "first")}
    per_screen: dict[str, list[float]] = {}
    spans: list[tuple[str, str, float, float]] = []  # (what, phase, start, seconds)

    async def screens(phase: str, cycles: int = cycles) -> None:
        for _ in range(cycles):
            expect(app, "WelcomeScreen")
            await tab_to(app, pilot, "login")
            for key, target, label in (("enter", "PortalScreen", "accueil → portal"),
                                       (None, "LoginScreen", "portal → login"),
                                       ("escape", "PortalScreen", "login → portal (Échap)"),
                                       ("escape", "WelcomeScreen", "portal → accueil (Échap)")):
                if key is None:  # VALIDER on the portal: Tab there first (not timed)
                    await tab_to(app, pilot, "validate")
                    key = "enter"
                hog.running(phase == "busy")
                await asyncio.sleep(0.03)  # the hash is under way when the key arrives
                began = time.perf_counter()
                took = await timed_key(app, frames, key, on_screen(app, target))
                hog.running(False)
                samples[phase]["screens"].append(took)
                spans.append(("screen", phase, began, took))
                per_screen.setdefault(f"{label} ({phase})", []).append(took)
                await settle(app, pilot)

    async def keystrokes(phase: str, field_id: str) -> None:
        from textual.widgets import Input

        field = app.screen.query_one(f"#{field_id}", Input)
        for _ in range(rounds):
            field.value = ""
            await asyncio.sleep(0.05)
            for i, char in enumerate(TYPED):
                expected = TYPED[: i + 1]
                began = time.perf_counter()
                took = await timed_key(app, frames, char, lambda _screen, e=expected: field.value == e)
                samples[phase]["keys"].append(took)
                spans.append((field_id, phase, began, took))
                await asyncio.sleep(0.01)  # a quick typist, one key at a time

    async with app.run_test(size=SIZE) as pilot:
        frames = Frames(app)
        await settle(app, pilot)
        watch = GcWatch()
        try:
            await screens("first", cycles=1)
            watch.__enter__()
            for phase in ("busy", "idle") if busy_first else ("idle", "busy"):
                await screens(phase)
                # The login's identifier field.
                await to_login(app, pilot)
                hog.running(phase == "busy")
                await keystrokes(phase, "identifier")
                hog.running(False)
                # PREMIÈRE CONNEXION's new password field (a session in first-connection state).
                app.screen.query_one("#identifier").value = ""
                await type_text(app, pilot, letter.identifier)
                await pilot.press("tab")
                await type_text(app, pilot, letter.provisional_password)
                await press(app, pilot, "enter")
                expect(app, "FirstConnectionScreen")
                await tab_to(app, pilot, "new_password")
                hog.running(phase == "busy")
                await keystrokes(phase, "new_password")
                hog.running(False)
                await press(app, pilot, "escape")  # ANNULER: the session ends, the accueil comes back
                expect(app, "WelcomeScreen")
        finally:
            watch.__exit__()
            hog.stop()
    service.engine.dispose()
    slow = []
    for what, phase, began, took in spans:
        if took > 0.016:
            collections = watch.during(began, began + took)
            slow.append({"what": what, "phase": phase, "ms": round(took * 1000, 1),
                         "gc_ms": round(sum(sec for _, sec in collections) * 1000, 1),
                         "gc_oldest_generation": max((gen for gen, _ in collections), default=None)})
    return {"samples": samples, "per_screen": per_screen, "hashes": hog.hashes, "slow": slow,
            "first_cycle": {k: v[0] * 1000 for k, v in per_screen.items() if k.endswith("(first)")},
            "gc_collections": Counter(gen for gen, _, _ in watch.collections),
            "gen2_ms": [round((b - a) * 1000, 1) for gen, a, b in watch.collections if gen == 2]}


def measure_keys(runs: int, figures: dict[str, Figure], details: dict, *, quick: bool = False) -> None:
    per_run = details.setdefault("keys", [])
    for i in range(runs):
        with scratch("keys") as folder:
            got = asyncio.run(_keys_and_screens(folder, rounds=1 if quick else 3, cycles=1 if quick else 5,
                                                busy_first=i % 2 == 0))
        busy, idle = got["samples"]["busy"], got["samples"]["idle"]
        row: dict[str, Any] = {"background_hashes": got["hashes"]}
        for what in ("keys", "screens"):
            for stat, q in (("p50", 50), ("p99", 99)):
                measured, reference = percentile(busy[what], q) * 1000, percentile(idle[what], q) * 1000
                figures[f"{what} {stat}"].add(measured, reference)
                row[f"{what}_{stat}_ms"] = {"busy": measured, "idle": reference}
            row[f"{what}_count"] = len(busy[what])
        row["per_screen_median_ms"] = {k: median(v) * 1000 for k, v in got["per_screen"].items()
                                       if not k.endswith("(first)")}
        row["first_cycle_ms"] = got["first_cycle"]
        built = [ms for label, ms in got["first_cycle"].items() if "Échap" not in label]
        if built:  # the portal and the login, built at their first visit (then kept)
            figures["screens built"].add(median(built))
        pushes = {phase: [t for k, v in got["per_screen"].items() if k.endswith(f"({phase})") and "Échap" not in k
                          for t in v] for phase in ("busy", "idle")}
        figures["screens push"].add(median(pushes["busy"]) * 1000, median(pushes["idle"]) * 1000)
        row["over_16ms"] = got["slow"]
        row["gc_collections_by_generation"] = dict(got["gc_collections"])
        row["gen2_pauses_ms"] = got["gen2_ms"]
        if got["gen2_ms"]:
            figures["gc pause"].add(max(got["gen2_ms"]))
        row["keys_ms"] = {phase: [t * 1000 for t in got["samples"][phase]["keys"]] for phase in ("busy", "idle")}
        per_run.append(row)
