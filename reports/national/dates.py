"""Dates and times as the forms write them: dd/mm/yyyy and hh:mm, in Vietnam time (UTC+7)."""

from __future__ import annotations

from datetime import datetime

from netwarden.collector.incidents.times import VIETNAM


def vn_date(t: float) -> str:
    """``23/11/2026``."""
    return datetime.fromtimestamp(t, VIETNAM).strftime("%d/%m/%Y")


def vn_time(t: float) -> str:
    """``05:50``."""
    return datetime.fromtimestamp(t, VIETNAM).strftime("%H:%M")


def vn_datetime(t: float) -> str:
    """``05:50 ngày 23/11/2026``."""
    return f"{vn_time(t)} ngày {vn_date(t)}"
