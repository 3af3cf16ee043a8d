"""Build hook: the gettext catalogs (``src/entkiosk/locale/*/LC_MESSAGES/entkiosk.po``) are
compiled to ``.mo`` with Babel when the package is built or installed (editable or not);
the compiled files are never committed."""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for source in sorted(Path(self.root, "src", "entkiosk", "locale").glob("*/LC_MESSAGES/entkiosk.po")):
            with source.open("rb") as file:
                catalog = read_po(file, locale=source.parts[-3])
            with source.with_suffix(".mo").open("wb") as file:
                write_mo(file, catalog)
        build_data["artifacts"].append("src/entkiosk/locale/*/LC_MESSAGES/entkiosk.mo")
