"""The forum's calendar: its time zone and the Indonesian day and month names, in one place."""

from __future__ import annotations

from zoneinfo import ZoneInfo

#: Digest days, schedules, chat exports and the desk all follow the forum's clock (WIB).
TIME_ZONE = "Asia/Jakarta"
WIB = ZoneInfo(TIME_ZONE)
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
