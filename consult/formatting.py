"""The one formatter: money, percentages, dates, times and zones for people, on Babel.

Every function below takes its locale (and zone) as arguments, so a test needs no app;
`init_app` registers request-aware wrappers as Jinja filters and globals, the only ones
templates and emails use. The site's languages map to Canadian locales ("fr" -> fr_CA,
"en" -> en_CA): "287,44 $" and "$287.44", "9,975 %" and "9.975%", "13 h 33" and
"1:33 p.m.". French dates say "1er décembre", as French typography wants.
"""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask_babel import get_locale

#: The Babel locale of each site language; anything else reads as Canadian English.
LOCALES = {"fr": "fr_CA", "en": "en_CA"}
DEFAULT_LOCALE = "en_CA"
#: Named date styles beyond Babel's four (short, medium, long, full).
DAY = "day"  # "lundi 1er décembre", "Monday, December 1": the full date without its year
MONTH = "month"  # "décembre 2026", "December 2026"
WEEKDAY = "weekday"  # "lundi", "Monday"
#: CLDR's "atTime" joins for the long and full styles (Babel gives only the ", " ones):
#: "mardi 1er décembre 2026 à 13 h 33", "Tuesday, December 1, 2026 at 1:33 p.m.".
AT_TIME = {"fr": "{1} 'à' {0}", "en": "{1} 'at' {0}"}
#: French writes the hour without a leading zero ("9 h 05"), as the OQLF recommends.
FRENCH_TIME = "H 'h' mm"
_QUOTED = re.compile(r"('[^']*')")
_LONE_DAY = re.compile(r"(?<!d)d(?!d)")
_YEAR = re.compile(r",?\s*y+")


def locale_for(lang):
    """The Babel locale of a site language ("fr" or "fr_CA" -> "fr_CA")."""
    text = str(lang or "")
    if "_" in text and text.split("_")[1] == "CA":
        return text
    return LOCALES.get(text[:2], DEFAULT_LOCALE)


def _is_french(locale):
    return locale_for(locale).startswith("fr")


def _zone(zone):
    return zone if isinstance(zone, dt.tzinfo) else ZoneInfo(zone)


def _zone_name(zone):
    return getattr(zone, "key", None) or str(zone)


# Numbers ---------------------------------------------------------------------------------


def money(cents, currency, locale):
    """Integer cents as money: 28744 CAD -> "287,44 $" (fr) or "$287.44" (en)."""
    amount = Decimal(int(cents)).scaleb(-2)
    return babel_numbers.format_currency(amount, currency, locale=locale_for(locale))


def percent(rate, locale):
    """A rate as a percentage, every digit kept: 0.09975 -> "9,975 %" (fr) or "9.975%" (en)."""
    value = rate if isinstance(rate, Decimal) else Decimal(str(rate))
    return babel_numbers.format_percent(
        value, locale=locale_for(locale), decimal_quantization=False
    )


# Dates and times -------------------------------------------------------------------------


def _first_of_month(pattern):
    """The pattern with "1er" for the day: French writes the first of a month so."""
    parts = _QUOTED.split(pattern)
    return "".join(
        part if index % 2 else _LONE_DAY.sub("d'er'", part) for index, part in enumerate(parts)
    )


def date_pattern(style, locale):
    """The Babel pattern of a date style: short, medium, long, full, day, month or weekday."""
    locale = locale_for(locale)
    if style == DAY:
        return _YEAR.sub("", babel_dates.get_date_format("full", locale=locale).pattern).strip()
    if style == MONTH:
        return Locale.parse(locale).datetime_skeletons["yMMMM"].pattern
    if style == WEEKDAY:
        return "EEEE"
    return babel_dates.get_date_format(style, locale=locale).pattern


def _local(moment, zone):
    if zone is None:
        raise ValueError("a date-time needs the zone to show it in")
    return moment.astimezone(_zone(zone))


def date(value, locale, style="long", zone=None):
    """A date, or an aware instant's local date in `zone`: "1er décembre 2026"."""
    if isinstance(value, dt.datetime):
        value = _local(value, zone).date()
    pattern = date_pattern(style, locale)
    if value.day == 1 and _is_french(locale):
        pattern = _first_of_month(pattern)
    return babel_dates.format_date(value, pattern, locale=locale_for(locale))


def time(value, locale, zone=None):
    """A wall-clock time, or an instant's local time in `zone`: "13 h 33" or "1:33 p.m."."""
    if isinstance(value, dt.datetime):
        value = _local(value, zone).time()
    pattern = FRENCH_TIME if _is_french(locale) else "short"
    return babel_dates.format_time(value, pattern, locale=locale_for(locale))


def date_time(moment, zone, locale, style="long"):
    """An instant in `zone`: "mardi 1er décembre 2026 à 13 h 33" (the date in `style`)."""
    local = _local(moment, zone)
    if style in ("long", "full"):
        joined = AT_TIME["fr" if _is_french(locale) else "en"]
    else:
        joined = babel_dates.get_datetime_format(style, locale=locale_for(locale))
    return joined.replace("'", "").format(
        time(local.time(), locale), date(local.date(), locale, style)
    )


def zone_label(moment, zone):
    """ "America/Montreal, UTC-04:00": the zone's name and its offset at that moment."""
    offset = _local(moment, zone).strftime("%z")
    name = _zone_name(_zone(zone)).replace("_", " ")
    return f"{name}, UTC{offset[:3]}:{offset[3:]}"


def when(moment, zone, locale, style="full"):
    """An instant, zone stated: "lundi 15 mars 2027 à 9 h 00 (America/Montreal, UTC-04:00)"."""
    return f"{date_time(moment, zone, locale, style)} ({zone_label(moment, zone)})"


def weekday_name(index, locale):
    """Monday is 0: "lundi", "Monday"."""
    return babel_dates.get_day_names("wide", locale=locale_for(locale))[index]


def month_name(number, locale):
    """January is 1: "janvier", "January" (standing alone, as in a list of months)."""
    names = babel_dates.get_month_names("wide", context="stand-alone", locale=locale_for(locale))
    return names[number]


# In a request or an email: the reader's language, her zone -----------------------------


def current_locale():
    """The Babel locale of the request (or of the email being rendered, under force_locale)."""
    return locale_for(get_locale())


def business_zone():
    """Her zone: the TIME_ZONE setting, through the Business settings object."""
    from . import business

    return business.current().zone


def _in_zone(zone):
    """The zone asked for (a name or a tzinfo), else hers."""
    return business_zone() if zone is None else _zone(zone)


def format_money(cents, currency=None):
    """Money in the reader's language; her currency unless another is given."""
    if currency is None:
        from . import business

        currency = business.current().currency
    return money(cents, currency, current_locale())


def format_percent(rate):
    return percent(rate, current_locale())


def format_date(value, style="long", zone=None):
    zone = _in_zone(zone) if isinstance(value, dt.datetime) else None
    return date(value, current_locale(), style, zone)


def format_time(value, zone=None):
    zone = _in_zone(zone) if isinstance(value, dt.datetime) else None
    return time(value, current_locale(), zone)


def format_date_time(moment, zone=None, style="long"):
    """An instant in `zone` (her zone by default), in the reader's language."""
    return date_time(moment, _in_zone(zone), current_locale(), style)


def format_when(moment, zone=None, style="full"):
    """An instant with its zone stated, for pages and emails that show one time."""
    return when(moment, _in_zone(zone), current_locale(), style)


def format_zone_label(moment, zone=None):
    return zone_label(moment, _in_zone(zone))


def format_weekday_name(index):
    return weekday_name(index, current_locale())


def format_month_name(number):
    return month_name(number, current_locale())


def label(text, locale):
    """A label before its value: "Rencontre :" in French (a no-break space before the colon,
    as French typography wants), "Session:" in English."""
    return f"{text}\u00a0:" if _is_french(locale) else f"{text}:"


def format_label(text):
    return label(text, current_locale())


#: The names templates use: `{{ cents|money(currency) }}`, `{{ moment|when(zone) }}`, ...
FILTERS = {
    "money": format_money,
    "percent": format_percent,
    "date": format_date,
    "time": format_time,
    "date_time": format_date_time,
    "when": format_when,
    "label": format_label,
}
GLOBALS = {
    "money": format_money,
    "zone_label": format_zone_label,
    "weekday_name": format_weekday_name,
    "business_zone": business_zone,
}


def init_app(app):
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
