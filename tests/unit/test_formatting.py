"""The one formatter: Canadian French and English money, rates, dates and times, zone stated."""

import sys
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from consult import formatting

NBSP = "\u00a0"
NNBSP = "\u202f"
MONTREAL = "America/Montreal"


@pytest.mark.parametrize(
    ("lang", "cents", "expected"),
    [
        ("fr", 28744, f"287,44{NBSP}$"),
        ("en", 28744, "$287.44"),
        ("fr", 123456789, f"1{NBSP}234{NBSP}567,89{NBSP}$"),
        ("en", 123456789, "$1,234,567.89"),
        ("fr", -17246, f"-172,46{NBSP}$"),
        ("en", 5, "$0.05"),
    ],
)
def test_money_is_cents_written_as_canadians_write_dollars(lang, cents, expected):
    assert formatting.money(cents, "CAD", lang) == expected


def test_a_foreign_currency_is_named():
    assert formatting.money(1000, "USD", "fr") == f"10,00{NBSP}${NBSP}US"
    assert formatting.money(1000, "USD", "en") == "US$10.00"


@pytest.mark.parametrize(
    ("lang", "rate", "expected"),
    [
        ("fr", "0.09975", f"9,975{NBSP}%"),
        ("en", "0.09975", "9.975%"),
        ("fr", "0.05", f"5{NBSP}%"),
        ("en", Decimal("0.05"), "5%"),
        ("en", 0.14975, "14.975%"),
    ],
)
def test_a_tax_rate_keeps_every_digit(lang, rate, expected):
    assert formatting.percent(rate, lang) == expected


def test_the_first_of_a_month_is_1er_in_french_only():
    first = date(2026, 12, 1)
    assert formatting.date(first, "fr") == "1er décembre 2026"
    assert formatting.date(first, "fr", "full") == "mardi 1er décembre 2026"
    assert formatting.date(first, "fr", "day") == "mardi 1er décembre"
    assert formatting.date(first, "fr", "medium") == "1er déc. 2026"
    assert formatting.date(first, "fr", "short") == "2026-12-01"
    assert formatting.date(first, "en") == "December 1, 2026"
    assert formatting.date(date(2026, 12, 2), "fr", "full") == "mercredi 2 décembre 2026"
    assert formatting.date(date(2026, 12, 11), "fr") == "11 décembre 2026"


def test_named_date_styles():
    day = date(2027, 3, 15)
    assert formatting.date(day, "fr", "day") == "lundi 15 mars"
    assert formatting.date(day, "en", "day") == "Monday, March 15"
    assert formatting.date(day, "fr", "month") == "mars 2027"
    assert formatting.date(day, "en", "month") == "March 2027"
    assert formatting.date(day, "fr", "weekday") == "lundi"


def test_an_instant_is_dated_where_she_lives():
    late_evening = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # 22:30 on the 1st in Montréal
    assert formatting.date(late_evening, "fr", zone=MONTREAL) == "1er décembre 2026"
    with pytest.raises(ValueError):
        formatting.date(late_evening, "fr")


@pytest.mark.parametrize(
    ("lang", "value", "expected"),
    [
        ("fr", time(13, 33), "13 h 33"),
        ("fr", time(9, 0), "9 h 00"),
        ("en", time(13, 33), f"1:33{NNBSP}p.m."),
        ("en", time(4, 0), f"4:00{NNBSP}a.m."),
    ],
)
def test_times_are_24_hour_in_french_and_12_hour_in_english(lang, value, expected):
    assert formatting.time(value, lang) == expected


def test_an_instants_time_is_read_in_the_zone_given():
    moment = datetime(2026, 7, 1, 17, 33, tzinfo=UTC)
    assert formatting.time(moment, "fr", MONTREAL) == "13 h 33"
    assert formatting.time(moment, "fr", "America/Vancouver") == "10 h 33"


def test_a_date_time_states_its_zone_and_follows_daylight_saving():
    summer = datetime(2027, 3, 15, 13, 0, tzinfo=UTC)  # after the spring-forward of March 14
    winter = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)
    assert formatting.when(summer, MONTREAL, "fr") == (
        "lundi 15 mars 2027 à 9 h 00 (America/Montreal, UTC-04:00)"
    )
    assert formatting.when(winter, MONTREAL, "fr") == (
        "lundi 1er mars 2027 à 9 h 00 (America/Montreal, UTC-05:00)"
    )
    assert formatting.when(summer, MONTREAL, "en") == (
        f"Monday, March 15, 2027 at 9:00{NNBSP}a.m. (America/Montreal, UTC-04:00)"
    )
    assert formatting.when(winter, "America/Vancouver", "en") == (
        f"Monday, March 1, 2027 at 6:00{NNBSP}a.m. (America/Vancouver, UTC-08:00)"
    )


def test_a_date_time_without_the_zone_label_in_a_chosen_style():
    moment = datetime(2026, 12, 1, 18, 33, tzinfo=UTC)
    assert formatting.date_time(moment, MONTREAL, "fr", "short") == "2026-12-01 13 h 33"
    assert formatting.date_time(moment, MONTREAL, "fr") == "1er décembre 2026 à 13 h 33"
    assert formatting.date_time(moment, MONTREAL, "en", "medium") == (
        f"Dec 1, 2026, 1:33{NNBSP}p.m."
    )


def test_the_zone_label_names_the_zone_and_its_offset():
    moment = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert formatting.zone_label(moment, "Asia/Kolkata") == "Asia/Kolkata, UTC+05:30"
    assert formatting.zone_label(moment, "America/St_Johns") == "America/St Johns, UTC-03:30"


def test_weekday_names_come_from_babel():
    assert formatting.weekday_name(0, "fr") == "lundi"
    assert formatting.weekday_name(6, "en") == "Sunday"


def test_site_languages_map_to_canadian_locales():
    assert formatting.locale_for("fr") == "fr_CA"
    assert formatting.locale_for("en") == "en_CA"
    assert formatting.locale_for("fr_CA") == "fr_CA"
    assert formatting.locale_for(None) == "en_CA"


# French typography in the catalogs -------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import french_typography  # noqa: E402


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'heure", "l’heure"),
        ("Référence : %(ref)s", f"Référence{NBSP}: %(ref)s"),
        ("Rappel: votre rencontre", f"Rappel{NBSP}: votre rencontre"),
        ("Annuler ? Oui ; non !", f"Annuler{NNBSP}? Oui{NNBSP}; non{NNBSP}!"),
        ("«fermé»", "«fermé»"),
        ("« fermé »", f"«{NNBSP}fermé{NNBSP}»"),
        (
            '<a href="https://example.com/?a=1">l\'aide</a>',
            '<a href="https://example.com/?a=1">l’aide</a>',
        ),
        ("[lien](https://…) à 14:02", "[lien](https://…) à 14:02"),
        ("%(name)s:", f"%(name)s{NBSP}:"),
        ("déjà typographié\u00a0:", "déjà typographié\u00a0:"),
    ],
)
def test_french_typography_in_a_translation(text, expected):
    assert french_typography.french(text) == expected


def test_the_french_catalogs_follow_french_typography():
    assert french_typography.main(["--check"]) == 0
