"""The forum's calendar: its time zone and the Indonesian day and month names, in one place."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Digest days, schedules, chat exports and the desk all follow the forum's clock (WIB).
TIME_ZONE = "Asia/Jakarta"
WIB = ZoneInfo(TIME_ZONE)
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
#: Indonesia's zones as people name them (``--tz WITA``, ``settings.schedule.timezone: WIB``).
ZONE_NAMES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}


def zone_name(value: str) -> str:
    """The IANA name of ``value`` (WIB, WITA, WIT, or a name such as ``Asia/Makassar``).

    Raises:
        ValueError: not a time zone, in words a forum member understands.
    """
    name = ZONE_NAMES.get(value.strip().lower(), value.strip())
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{value!r} is not a time zone: use WIB, WITA, WIT or a name like "
                         "'Asia/Makassar'") from None
    return name


def zone_label(zone: str = TIME_ZONE) -> str:
    """How the forum names its clock after a time: 'WIB', 'WITA', 'WIT' (by the offset, so
    ``Asia/Pontianak`` is WIB too), else the zone's own abbreviation."""
    from datetime import datetime

    now = datetime.now(ZoneInfo(zone))
    hours = now.utcoffset().total_seconds() / 3600
    return {7: "WIB", 8: "WITA", 9: "WIT"}.get(hours) or now.tzname() or zone


def today(zone: str = TIME_ZONE) -> date:
    """Today on the forum's clock (``settings.schedule.timezone``, the zone its scheduled runs
    follow): a WITA forum's 00:30 run is still yesterday in Jakarta. Reads :func:`saring.clock.now`
    (a simulated run's day is the simulated one)."""
    from saring import clock

    return clock.now().astimezone(ZoneInfo(zone)).date()


BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
