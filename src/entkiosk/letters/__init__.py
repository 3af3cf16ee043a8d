"""Notification letters (SPEC §6)."""
