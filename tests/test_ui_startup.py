"""The kiosk paints its accueil first and loads its database side afterwards."""

from __future__ import annotations

from pathlib import Path

from conftest import GOOD_PASSWORD, activate, make_settings
from ui_support import settle

from entkiosk.config import ConfigError
from entkiosk.runtime import open_service
from entkiosk.ui.app import make_app
from entkiosk.ui.screens.welcome import WelcomeScreen


async def test_the_service_is_built_once_the_accueil_is_painted(tmp_path: Path, service, letter) -> None:
    activate(service, letter)
    seen = []
    app = None

    def factory():
        # Called off the event loop, once the accueil is on screen.
        seen.append((isinstance(app.screen, WelcomeScreen), app._dom_ready))
        return open_service(service.settings, clock=service.clock)

    app = make_app(service.settings, factory, blink=False, state_path=tmp_path / "state.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert seen == [(True, True)]
        assert app.service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "home"
    app.service.engine.dispose()


async def test_a_database_that_cannot_be_opened_stops_the_kiosk_with_its_reason(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)

    def factory():
        raise ConfigError("Base de données inaccessible : serveur injoignable.")

    app = make_app(settings, factory, blink=False, state_path=tmp_path / "state.json")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            if app.return_code is not None:
                break
            await pilot.pause(0.05)
    assert isinstance(app.startup_error, ConfigError)
    assert "serveur injoignable" in str(app.startup_error)
    assert app.return_code == 2
