"""kiosk.conf.example documents every key, with the built-in default as its value."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from entkiosk.config import Settings, load_settings

EXAMPLE = Path(__file__).parents[1] / "kiosk.conf.example"


def test_example_values_are_the_defaults():
    loaded = load_settings(EXAMPLE)
    assert msgspec.structs.replace(loaded, source=None) == Settings()


def test_example_names_every_key_of_every_section():
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Settings()
    for section in msgspec.structs.fields(Settings):
        if section.name == "source":
            continue
        keys = {f.name for f in msgspec.structs.fields(getattr(defaults, section.name))}
        assert set(raw[section.name]) == keys, section.name
