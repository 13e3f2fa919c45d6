"""The month calendar of free days: marked days, months, names read aloud, empty days, zones."""

import re
from datetime import UTC, date, datetime, time

import pytest

from consult.booking import routes
from consult.booking.models import DateOverride
from consult.extensions import db
from tests.factories import open_every_day

#: Tuesday 20 October 2026, 8:00 in Montréal: a 30-day horizon reaches into November.
NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)


@pytest.fixture
def offer(app, monkeypatch):
    monkeypatch.setattr(routes, "utcnow", lambda: NOW)
    with app.app_context():
        offer = open_every_day(db.session)
        # Closed on Thursday 22 October: a day of the month without free time.
        db.session.add(DateOverride(day=date(2026, 10, 22), closed=True))
        db.session.commit()
        return offer.slug


def free_links(page):
    return re.findall(r'<a href="[^"]*" data-day="([\d-]+)" aria-label="([^"]+)"', page)


def test_the_month_grid_marks_the_free_days_as_links_and_the_others_as_text(client, offer):
    page = client.get(f"/en/book/{offer}").text
    assert '<table class="month-grid"' in page
    assert page.count('<th scope="col">') == 7
    assert '<abbr title="Sunday">Sun</abbr>' in page  # weeks start on Sunday
    days = [day for day, _ in free_links(page)]
    assert days[0] == "2026-10-20" and "2026-10-22" not in days
    assert '<td class="day-closed">22</td>' in page
    assert '<td class="day-closed">19</td>' in page  # before the notice
    assert "October 2026" in page  # the year is always in the month heading


def test_each_free_day_is_read_with_its_date_and_how_many_times_it_has(client, offer):
    english = dict(free_links(client.get(f"/en/book/{offer}").text))
    assert english["2026-10-21"] == "Wednesday, October 21, 8 times available"
    french = dict(free_links(client.get(f"/fr/book/{offer}").text))
    assert french["2026-10-21"] == "mercredi 21 octobre, 8 heures libres"


def test_the_chosen_day_is_marked_and_its_times_follow_the_grid(client, offer):
    page = client.get(f"/en/book/{offer}?day=2026-10-23&month=2026-10").text
    friday = 'data-day="2026-10-23" aria-label="Friday, October 23, 8 times available"'
    assert f'{friday} aria-current="date"' in page
    times = page[page.index('id="day-times"') :]
    assert "Friday, October 23" in times
    assert "start=2026-10-23T13:00Z" in times  # 9:00 EDT


def test_months_move_forward_and_back_within_the_horizon(client, offer):
    october = client.get(f"/en/book/{offer}").text
    assert 'rel="prev"' not in october
    assert "month=2026-11" in october and 'rel="next"' in october
    november = client.get(f"/en/book/{offer}?month=2026-11").text
    assert "November 2026" in november
    assert "month=2026-10" in november and 'rel="prev"' in november
    assert 'rel="next"' not in november  # the horizon ends in November
    # Without a day, the month's first free day is chosen.
    sunday = 'data-day="2026-11-01" aria-label="Sunday, November 1, 8 times available"'
    assert f'{sunday} aria-current="date"' in november


def test_a_day_without_free_time_says_so_and_offers_the_nearest_free_days(client, offer):
    page = client.get(f"/en/book/{offer}?day=2026-10-22").text
    assert "No free time on this day." in page
    nearest = page[page.index('class="nearest-days"') :]
    assert 'data-day="2026-10-21"' in nearest and 'data-day="2026-10-23"' in nearest
    assert "start=" not in page[page.index('id="day-times"') :]
    french = client.get(f"/fr/book/{offer}?day=2026-10-22").text
    assert "Aucune heure libre ce jour-là." in french


def test_the_fragment_route_answers_the_picker_alone(client, offer):
    response = client.get(f"/en/book/{offer}/times?day=2026-10-23&tz=Europe/Paris")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div class="picker" id="picker"')
    assert "Europe/Paris, UTC+02:00" in response.text
    assert "The consultant works in America/Montreal." in response.text
    assert client.get("/en/book/nothing-here/times").status_code == 404


def test_the_offer_page_tells_the_fragment_address_to_the_script(client, offer):
    page = client.get(f"/en/book/{offer}").text
    assert f'data-fragment-url="/en/book/{offer}/times"' in page


def test_an_unknown_zone_in_the_address_gets_a_message(client, offer):
    page = client.get(f"/en/book/{offer}?tz=Mars/Olympus").text
    assert "“Mars/Olympus” is not a time zone we know." in page
    assert '<option value="America/Montreal" selected>' in page
    french = client.get(f"/fr/book/{offer}?tz=Mars/Olympus").text
    assert "«\u00a0Mars/Olympus\u00a0» n’est pas un fuseau horaire connu." in french
    assert "not a time zone we know" not in client.get(f"/en/book/{offer}?tz=Asia/Tokyo").text


def test_the_fall_back_night_offers_both_passes_of_the_repeated_hour_with_their_offsets(
    app, client, monkeypatch
):
    monkeypatch.setattr(routes, "utcnow", lambda: NOW)
    with app.app_context():
        open_every_day(db.session)
        db.session.add(
            DateOverride(day=date(2026, 11, 1), closed=False, start_time=time(0), end_time=time(3))
        )
        db.session.commit()
    page = client.get("/en/book/strategie?day=2026-11-01").text
    times = page[page.index('id="day-times"') :]
    assert "The clocks change on this day" in times
    assert "start=2026-11-01T05:00Z" in times and "start=2026-11-01T06:00Z" in times
    assert re.search(r"1:00\W+a\.m\.</span> <span class=\"slot-offset\">UTC-04:00", times)
    assert re.search(r"1:00\W+a\.m\.</span> <span class=\"slot-offset\">UTC-05:00", times)


def test_an_ordinary_day_states_its_one_offset_once(client, offer):
    page = client.get(f"/en/book/{offer}?day=2026-10-23").text
    assert "America/Montreal, UTC-04:00" in page
    assert "slot-offset" not in page


def test_zones_are_listed_by_their_localized_names(client, offer):
    french = client.get(f"/fr/book/{offer}?tz=America/Vancouver").text
    assert (
        '<option value="America/Vancouver" selected>heure du Pacifique — Vancouver '
        "(America/Vancouver)</option>"
    ) in french
    english = client.get(f"/en/book/{offer}").text
    assert "Pacific Time — Vancouver (America/Vancouver)</option>" in english
    assert 'id="tz-search"' in english
