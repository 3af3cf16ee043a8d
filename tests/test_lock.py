"""The lock files the README's commands and CI install from (issue 19, supply chain).

``requirements.lock`` (the kiosk: runtime and build) and ``requirements-test.lock`` (the
suite: runtime, the [test] extra and build) pin every release with its files' hashes, so
that two kiosks installed a month apart run the same code. These tests fail when
``pyproject.toml`` declares what a lock file does not satisfy (a range changed without
``bash .ci/lock``), when a pin has no hash, and when the README's commands or ``.ci/run``
stop installing from them.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: The platform the lock files are resolved for (.ci/lock): the kiosks'.
KIOSK = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux", "platform_system": "Linux",
         "platform_machine": "x86_64", "os_name": "posix", "implementation_name": "cpython",
         "platform_python_implementation": "CPython"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def pins(name: str) -> dict[str, Version]:
    """Package → version pinned in lock file ``name``; each pin must carry a hash."""
    pinned: dict[str, Version] = {}
    # A requirement spans its continuation lines (`` \\`` at the end of a line).
    for entry in re.split(r"\n(?=\S)", (ROOT / name).read_text(encoding="utf-8")):
        if entry.startswith("#") or not entry.strip():
            continue
        found = PIN.match(entry)
        assert found, f"{name}: not an exact pin: {entry.splitlines()[0]!r}"
        assert HASH.search(entry), f"{name}: {found[1]} has no hash"
        pinned[canonicalize_name(found[1])] = Version(found[2])
    return pinned


def build_requirements() -> list[str]:
    """What builds entkiosk: the build backend and the custom hook's dependencies (Babel)."""
    hooks = PYPROJECT["tool"]["hatch"]["build"]["hooks"]
    return PYPROJECT["build-system"]["requires"] + [dep for hook in hooks.values() for dep in hook.get("dependencies", [])]


def declared(*extras: str) -> list[Requirement]:
    wanted = PYPROJECT["project"]["dependencies"] + build_requirements()
    for extra in extras:
        wanted += PYPROJECT["project"]["optional-dependencies"][extra]
    return [Requirement(text) for text in wanted]


def unmet(requirements: list[Requirement], pinned: dict[str, Version]) -> list[str]:
    """The requirements (for the kiosks' platform) that the pins do not satisfy, said why."""
    problems = []
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate(KIOSK):
            continue  # tzdata on Windows only
        name = canonicalize_name(req.name)
        if name not in pinned:
            problems.append(f"{req}: not in the lock file")
        elif not req.specifier.contains(pinned[name], prereleases=True):
            problems.append(f"{req}: the lock file pins {pinned[name]}")
    return problems


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", ()), ("requirements-test.lock", ("test",))])
def test_each_lock_file_pins_with_hashes_every_dependency_pyproject_declares(lock: str, extras: tuple[str, ...]) -> None:
    pinned = pins(lock)
    assert unmet(declared(*extras), pinned) == [], "pyproject.toml changed: refresh the lock files with bash .ci/lock"
    assert "entkiosk" not in pinned
    # The extras asked for ("psycopg[binary]"): what they bring is pinned too.
    for req in declared(*extras):
        for extra in req.extras:
            try:
                brought = [Requirement(r) for r in metadata.requires(req.name) or []]
            except metadata.PackageNotFoundError:
                continue
            extra_env = dict(KIOSK, extra=extra)
            more = [r for r in brought if r.marker is not None and r.marker.evaluate(extra_env)
                    and not r.marker.evaluate(dict(KIOSK, extra=""))]
            assert unmet(more, pinned) == [], f"{req}: refresh the lock files with bash .ci/lock"


def test_the_kiosk_lock_pins_what_the_suite_tested() -> None:
    """The kiosks run the releases the suite ran with: every pin of the kiosk's lock is the
    test lock's."""
    kiosk, suite = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: version for name, version in kiosk.items() if suite.get(name) != version} == {}


def test_a_range_the_pins_leave_is_reported() -> None:
    """The check above can fail: a range that excludes a pinned release is named."""
    pinned = pins("requirements-test.lock")
    moved = [Requirement(f"textual>{pinned['textual']}"), Requirement("no-such-package-entkiosk>=1")]
    assert unmet(moved, pinned) == [f"textual>{pinned['textual']}: the lock file pins {pinned['textual']}",
                                    "no-such-package-entkiosk>=1: not in the lock file"]


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)\n```", readme.split("\n## ", 1)[0], re.DOTALL)


def test_the_readme_installs_from_the_lock_files_and_ci_runs_its_test_command() -> None:
    demo, suite = readme_commands()
    for command, lock in ((demo, "requirements.lock"), (suite, "requirements-test.lock")):
        assert "\n" not in command and command.startswith("python3 -m venv .venv && "), command
        assert f"pip install -q --require-hashes -r {lock} && " in command, command
        # entkiosk itself: nothing fetched, built by the pinned hatchling and Babel.
        assert "pip install -q --no-deps --no-build-isolation -e . && " in command, command
    assert demo.endswith(" && .venv/bin/entkiosk demo") and suite.endswith(" && .venv/bin/pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert suite in ci.splitlines(), ".ci/run must run the README's test command verbatim"
    lock_script = (ROOT / ".ci" / "lock").read_text(encoding="utf-8")
    for name in ("requirements.lock", "requirements-test.lock"):
        assert (ROOT / name).read_text(encoding="utf-8").splitlines()[4] == "#    bash .ci/lock", name
        assert f"-o {name} pyproject.toml" in lock_script
