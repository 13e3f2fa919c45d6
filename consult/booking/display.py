"""Times for people: a UTC instant shown in a reader's zone and language, zone stated."""

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time

FORMATS = {
    "fr": {"datetime": "EEEE d MMMM y 'à' HH:mm", "time": "HH:mm", "day": "EEEE d MMMM"},
    "en": {"datetime": "EEEE, MMMM d, y 'at' h:mm a", "time": "h:mm a", "day": "EEEE, MMMM d"},
}


def _formats(lang):
    return FORMATS.get(str(lang)[:2], FORMATS["en"])


def zone_label(moment, time_zone):
    """ "Europe/Paris, UTC+01:00": the zone's name and its offset at that moment."""
    local = moment.astimezone(ZoneInfo(time_zone))
    offset = local.strftime("%z")
    return f"{time_zone.replace('_', ' ')}, UTC{offset[:3]}:{offset[3:]}"


def when(moment, time_zone, lang):
    """ "lundi 15 mars 2027 à 09:00 (America/Montreal, UTC-04:00)"."""
    text = format_datetime(
        moment, _formats(lang)["datetime"], tzinfo=ZoneInfo(time_zone), locale=lang
    )
    return f"{text} ({zone_label(moment, time_zone)})"


def clock(moment, time_zone, lang):
    """The local time of day only: "09:00" or "9:00 AM"."""
    return format_time(moment, _formats(lang)["time"], tzinfo=ZoneInfo(time_zone), locale=lang)


def day_name(day, lang):
    """A local date: "lundi 15 mars"."""
    return format_date(day, _formats(lang)["day"], locale=lang)
