"""Account states and the activation deadline."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class AccountState(StrEnum):
    CREATED = "created"  # letter issued, provisional password
    ACTIVE = "active"  # first connection done


class EmailState(StrEnum):
    NONE = "none"
    PENDING = "pending"
    VALIDATED = "validated"


class Kind(StrEnum):
    STUDENT = "student"
    STAFF = "staff"
    PARENT = "parent"  # a legal guardian, from SIECLE's guardians' export


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (30 Nov + 3 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def activation_deadline(issued_at: datetime, months: int, tz: ZoneInfo) -> tuple[date, datetime]:
    """The last day a provisional password works, and the instant it stops working.

    The letter promises ``months`` months: the password works through the whole
    deadline day, local time, and stops at the next local midnight.
    """
    last_day = add_months(issued_at.astimezone(tz).date(), months)
    ends = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    return last_day, ends
