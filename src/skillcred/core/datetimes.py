"""XML Schema date-times as the VC data model and Data Integrity use them.

``validFrom``, ``validUntil`` (VC 2.0 §4.9) and a proof's ``created``/``expires`` (Data
Integrity §2.1) are ``xsd:dateTimeStamp``: a date-time *with* a time zone, ``T`` between
date and time. VC 1.1's ``issuanceDate``/``expirationDate`` are ``xsd:dateTime`` (zone
optional; a missing zone is read as UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_DATE_TIME = re.compile(
    r"(?P<year>-?(?:[1-9][0-9]{3,}|0[0-9]{3}))-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12][0-9]|3[01])"
    r"T(?:(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9]):(?P<second>[0-5][0-9])(?P<fraction>\.[0-9]+)?"
    r"|(?P<midnight>24:00:00(?:\.0+)?))"
    r"(?P<zone>Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)


class DateTimeFormatError(ValueError):
    """Not an XML Schema date-time of the required form."""


def parse_date_time(value: object, *, require_zone: bool) -> datetime:
    """An aware UTC ``datetime`` from an ``xsd:dateTimeStamp`` (or ``xsd:dateTime``)."""
    if not isinstance(value, str):
        raise DateTimeFormatError("a date-time must be a string")
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        expected = "an XML Schema dateTimeStamp such as 2024-05-01T12:00:00Z"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}.*", value):
            raise DateTimeFormatError(f"{value!r} separates date and time with a space, not 'T'")
        raise DateTimeFormatError(f"{value!r} is not {expected}")
    zone = match["zone"]
    if zone is None and require_zone:
        raise DateTimeFormatError(f"{value!r} has no time zone (add 'Z' or an offset)")
    year = int(match["year"])
    if year < 1 or year > 9999:
        raise DateTimeFormatError(f"{value!r}: year {year} is out of the supported range")
    try:
        if match["midnight"]:
            base = datetime(year, int(match["month"]), int(match["day"])) + timedelta(days=1)
        else:
            fraction = match["fraction"] or ""
            micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
            base = datetime(
                year,
                int(match["month"]),
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                micro,
            )
    except ValueError as exc:  # e.g. 2023-02-30
        raise DateTimeFormatError(f"{value!r} is not a valid date: {exc}") from exc
    if zone in (None, "Z"):
        tz = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return base.replace(tzinfo=tz).astimezone(UTC)


def format_date_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (whole seconds), the form other implementations emit."""
    if moment.tzinfo is None:
        raise ValueError("format_date_time needs an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    return datetime.now(UTC)
