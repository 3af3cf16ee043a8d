"""The served kiosk in a real browser (issue 17): Debian's Chromium, headless, driven by
Selenium through Debian's chromedriver (no browser download). The page draws the terminal
on a canvas, so the test reads what the kiosk sent to the page: the websocket frames the
browser received (Chrome's performance log), while every key is typed into the page.

Run alone with ``pytest -k browser``. Without Chromium these tests are skipped saying why;
in CI (``CI`` set, where ``.ci/run`` installs it) a missing browser is a failure."""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, make_settings
from sqlalchemy import select
from test_serve import served, served_idle  # noqa: F401 - the served kiosk (fixtures)

from entkiosk.runtime import open_service
from entkiosk.store.models import Account, AuditEvent

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
DOCS = Path(__file__).resolve().parents[1] / "docs"

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        pytest.fail("Chromium or chromedriver is missing: .ci/run installs Debian's chromium and chromium-driver",
                    pytrace=False)
    pytest.skip("no browser: install Debian's chromium and chromium-driver (bash .ci/install-chromium) to run "
                "the browser tests", allow_module_level=True)


class Browser:
    """A headless Chromium window on the served page; ``seen`` is the text the kiosk sent it."""

    def __init__(self, url: str, width: int, height: int) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                         "--no-first-run", "--disable-extensions", "--disable-background-networking"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        self.driver.set_window_size(width, height)
        self.seen = ""
        self.driver.get(url)

    def _read(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") != "Network.webSocketFrameReceived":
                continue
            response = message["params"]["response"]
            data = response["payloadData"]
            if response.get("opcode") == 2:
                data = base64.b64decode(data).decode("utf-8", "replace")
            self.seen += data

    def wait_for(self, word: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            if word in self.seen:
                return
            assert time.monotonic() < deadline, f"« {word} » never reached the page; it shows: {self.seen[-300:]!r}"
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        for key in keys:
            ActionChains(self.driver).send_keys(key).perform()
            time.sleep(0.05)

    def close(self) -> None:
        self.driver.quit()


def activate_from_the_letter(window: Browser, letter) -> None:
    """A pupil at the page: accueil, « Se connecter », « Élève », the letter's identifier and
    password, the first connection (birth date, new password twice), the charter, the home."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    window.wait_for("ACCUEIL")
    window.driver.find_element(By.ID, "terminal").click()
    window.keys(Keys.ENTER)
    window.wait_for("Connectez-vous en fonction")
    window.keys(Keys.TAB, Keys.ENTER)  # profile « Élève »: the login
    window.wait_for("authentification")
    window.keys(letter.identifier, Keys.TAB, letter.provisional_password, Keys.ENTER)
    window.wait_for("Vos informations")
    window.keys("14032010", Keys.TAB, GOOD_PASSWORD, Keys.TAB, GOOD_PASSWORD, Keys.ENTER)
    window.wait_for("accepte la charte")
    window.keys(Keys.TAB, " ", Keys.TAB, Keys.ENTER)
    window.wait_for("Bienvenue Julie")


@pytest.fixture
def browser_at(request):
    """Windows on the served kiosk of the test (``served`` or ``served_idle``)."""
    opened: list[Browser] = []
    port = request.getfixturevalue("served_idle" if "served_idle" in request.fixturenames else "served")[0]

    def open_window(width: int = 1024, height: int = 768, query: str = "") -> Browser:
        window = Browser(f"http://127.0.0.1:{port}/{query}", width, height)
        opened.append(window)
        return window

    yield open_window
    for window in opened:
        window.close()


def test_browser_first_connection_from_the_letter(served, browser_at, tmp_path: Path) -> None:  # noqa: F811
    """A pupil opens the served page, reaches the accueil, logs in with the letter and
    completes the first connection and the charter: the account is active, the login
    recorded with this tab's kiosk id."""

    port, server, db_url, letter = served
    window = browser_at()
    assert window.driver.title == "Lycée de démonstration — Scolarité Services"
    activate_from_the_letter(window, letter)
    screenshot = tmp_path / "kiosque-navigateur.png"
    window.driver.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("ENTKIOSK_UPDATE_DOCS"):
        shutil.copy(screenshot, DOCS / "kiosque-navigateur.png")
    service = open_service(make_settings(db_url, tmp_path))
    try:
        with service.engine.connect() as c:
            state = c.scalar(select(Account.state).where(Account.identifier == letter.identifier))
            kiosks = c.scalars(select(AuditEvent.kiosk_id).where(AuditEvent.event == "account.activated")).all()
    finally:
        service.engine.dispose()
    assert state == "active"
    assert len(kiosks) == 1 and kiosks[0].startswith("test-kiosk/web-")


def test_browser_tablet_live_view_sees_a_pupil_activate(served, browser_at, tmp_path: Path) -> None:  # noqa: F811
    """A teacher's tablet (768×1024, 80 columns at 15 px) opens the live view of the class; a pupil
    activates from another tab; the tablet's live view shows the class complete."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    port, server, db_url, letter = served
    service = open_service(make_settings(db_url, tmp_path))
    service.add_staff("prof.martin", "Craie7tableau26", "Craie7tableau26", actor="cli:install")
    service.engine.dispose()
    tablet = browser_at(768, 1024, "?fontsize=15")
    tablet.wait_for("ACCUEIL")
    tablet.driver.find_element(By.ID, "terminal").click()
    tablet.keys(Keys.ENTER)
    tablet.wait_for("Connectez-vous en fonction")
    tablet.keys(Keys.TAB, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.TAB, Keys.TAB, Keys.ENTER)
    tablet.wait_for("Personnel de l'")
    tablet.keys("prof.martin", Keys.TAB, "Craie7tableau26", Keys.ENTER)
    tablet.wait_for("Console du personnel")
    tablet.keys(Keys.ENTER)  # the class under the cursor
    tablet.wait_for("Classe 2nde 1")
    tablet.keys(Keys.TAB, Keys.ENTER)  # « Séance en direct »
    tablet.wait_for("Il manque encore")

    pupil = browser_at()
    activate_from_the_letter(pupil, letter)

    tablet.wait_for("Tous les")
    assert tablet.driver.get_window_size()["width"] == 768


def test_browser_tab_left_idle_ends_the_session_then_closes_and_reopens(served_idle, browser_at,  # noqa: F811
                                                                         tmp_path: Path) -> None:
    """A pupil leaves the page in the middle of the first connection: the countdown, the
    accueil with its notice, then the page says the kiosk is closed; « Rouvrir le kiosque »
    brings a fresh accueil (a new kiosk for the tab)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _port, _server, _db_url, letter = served_idle
    window = browser_at()
    window.wait_for("ACCUEIL")
    window.driver.find_element(By.ID, "terminal").click()
    window.keys(Keys.ENTER)
    window.wait_for("Connectez-vous en fonction")
    window.keys(Keys.TAB, Keys.ENTER)
    window.wait_for("authentification")
    window.keys(letter.identifier, Keys.TAB, letter.provisional_password, Keys.ENTER)
    window.wait_for("Vos informations")
    window.keys("1403")
    window.wait_for("toujours là", timeout=30)
    window.wait_for("inactivité", timeout=30)
    notice = window.driver.find_element(By.CSS_SELECTOR, ".closed")
    deadline = time.monotonic() + 40
    while not notice.is_displayed():
        assert time.monotonic() < deadline, "the page never said the kiosk was closed"
        time.sleep(0.2)
    assert notice.text.startswith("Ce kiosque est fermé")
    window.seen = ""
    notice.find_element(By.TAG_NAME, "button").click()
    window.wait_for("ACCUEIL")
    assert not window.driver.find_element(By.CSS_SELECTOR, ".closed").is_displayed()
