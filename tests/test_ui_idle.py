"""The idle timer against the kiosk's own shutdown and screen changes."""

from __future__ import annotations

from ui_support import IdleClock, kiosk, settle

from entkiosk.ui.app import IDLE_WARNING


async def test_an_idle_tick_after_the_screens_are_closed_does_nothing(service, tmp_path):
    """When the kiosk exits, Textual clears every screen stack before it stops the app's
    timers: a tick that falls in between finds no screen (it raised ``IndexError`` from
    ``has_student_state``, ending tests and the login benchmark with a traceback)."""
    idle = IdleClock()
    async with kiosk(service.settings, service, tmp_path, idle=idle) as (app, pilot):
        await pilot.press("enter")  # the portal: a student's screen, worth timing
        await settle(app, pilot)
        assert app.has_student_state()
    assert app.screen_stack == []
    idle.advance(service.settings.kiosk.idle_timeout + 1)
    app.check_inactivity()  # the tick Textual may still run: it must neither raise nor act
    assert not app.has_student_state()


async def test_the_idle_countdown_goes_on_across_screen_changes(service, tmp_path):
    """Ticks while the stack changes under them (a screen pushed, then dropped) still end the
    session at the timeout, and the countdown is shown only once."""
    from entkiosk.ui.screens.idle import IdleWarning
    from entkiosk.ui.screens.welcome import WelcomeScreen

    idle = IdleClock()
    timeout = service.settings.kiosk.idle_timeout
    async with kiosk(service.settings, service, tmp_path, idle=idle) as (app, pilot):
        await pilot.press("enter")
        await settle(app, pilot)
        idle.advance(timeout - IDLE_WARNING + 1)
        app.check_inactivity()
        app.check_inactivity()
        await settle(app, pilot)
        assert sum(isinstance(screen, IdleWarning) for screen in app.screen_stack) == 1
        idle.advance(IDLE_WARNING)
        app.check_inactivity()
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen) and len(app.screen_stack) == 2
        assert not app.has_student_state()
