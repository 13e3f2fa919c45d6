"""The availability editor: weekly hours, date overrides, time off and rules on one screen."""

import re
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from consult.admin.service import WEEKDAY_NAMES
from consult.audit import AuditEntry
from consult.booking.models import AvailabilityRules, DateOverride, TimeOff, WeeklyHours
from consult.extensions import db
from tests.factories import make_offer

RULES = {
    "rules-min_notice_hours": "12",
    "rules-horizon_days": "45",
    "rules-slot_step_minutes": "15",
    "rules-buffer_before_minutes": "5",
    "rules-buffer_after_minutes": "10",
    "rules-daily_max_sessions": "",
}


def rows(app, model, *order):
    with app.app_context():
        return db.session.scalars(sa.select(model).order_by(*order)).all()


def actions(app):
    return [entry.action for entry in rows(app, AuditEntry, AuditEntry.id)]


def hours(**days):
    """Form data for the weekly hours: hours(monday=[("09:00", "12:00")])."""
    data = {}
    for day, intervals in days.items():
        for index, (start, end) in enumerate(intervals):
            data[f"hours-{day}-{index}-start"] = start
            data[f"hours-{day}-{index}-end"] = end
    return data


def test_the_screen_shows_every_section_and_states_the_zone(client, auth):
    auth.login()
    page = client.get("/en/admin/availability").text
    for heading in ("Weekly hours", "Dates with other hours", "Time off", "Booking rules"):
        assert heading in page
    assert "America/Montreal" in page
    assert page.count('type="time"') >= 7 * 3 * 2


def test_saving_several_intervals_a_day_replaces_the_weekly_hours(app, client, auth):
    owner = auth.login()
    response = client.post(
        "/en/admin/availability/hours",
        data=hours(monday=[("09:00", "12:00"), ("13:00", "17:00")], friday=[("10:00", "14:00")]),
    )
    assert response.status_code == 302
    saved = [
        (r.weekday, r.start_time, r.end_time)
        for r in rows(app, WeeklyHours, WeeklyHours.weekday, WeeklyHours.start_time)
    ]
    assert saved == [(0, time(9), time(12)), (0, time(13), time(17)), (4, time(10), time(14))]
    (entry,) = rows(app, AuditEntry)
    assert entry.action == "availability.weekly_hours" and entry.user_id == owner.id
    assert entry.before["monday"] == []
    assert entry.after["monday"] == ["09:00-12:00", "13:00-17:00"]
    page = client.get(response.headers["Location"]).text
    assert "Weekly hours saved." in page
    assert 'value="13:00"' in page


def test_an_end_before_its_start_and_overlapping_intervals_are_refused_field_by_field(
    app, client, auth
):
    auth.login()
    response = client.post(
        "/en/admin/availability/hours",
        data=hours(
            monday=[("12:00", "09:00")],
            tuesday=[("09:00", "12:00"), ("11:00", "13:00")],
            wednesday=[("09:00", "")],
        ),
    )
    assert response.status_code == 400
    page = response.text
    assert "The end must come after the start." in page
    assert "This interval overlaps another one." in page
    assert "Give both times, or neither." in page
    assert 'id="hours-tuesday-1-start-error"' in page
    assert rows(app, WeeklyHours) == []
    assert actions(app) == []


def test_rules_are_saved_with_before_and_after(app, client, auth):
    auth.login()
    response = client.post("/en/admin/availability/rules", data=RULES)
    assert response.status_code == 302
    (rules,) = rows(app, AvailabilityRules)
    assert (rules.min_notice_hours, rules.horizon_days, rules.slot_step_minutes) == (12, 45, 15)
    assert (rules.buffer_before_minutes, rules.buffer_after_minutes) == (5, 10)
    assert rules.daily_max_sessions is None
    client.post("/en/admin/availability/rules", data=dict(RULES, **{"rules-horizon_days": "90"}))
    entries = rows(app, AuditEntry, AuditEntry.id)
    assert [e.action for e in entries] == ["availability.rules", "availability.rules"]
    assert entries[0].before is None
    assert entries[1].before["horizon_days"] == 45 and entries[1].after["horizon_days"] == 90


def test_bad_rules_get_a_message_each_and_change_nothing(app, client, auth):
    auth.login()
    bad = dict(
        RULES,
        **{
            "rules-slot_step_minutes": "0",
            "rules-horizon_days": "",
        },
    )
    response = client.post("/en/admin/availability/rules", data=bad)
    assert response.status_code == 400
    assert 'id="rules-slot_step_minutes-error"' in response.text
    assert 'id="rules-horizon_days-error"' in response.text
    assert rows(app, AvailabilityRules) == []


def test_a_closed_date_and_a_date_with_other_hours(app, client, auth):
    auth.login()
    day = date.today() + timedelta(days=10)
    response = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": day.isoformat(), "override-closed": "y", "override-note": "Dentist"},
    )
    assert response.status_code == 302
    other = day + timedelta(days=1)
    client.post(
        "/en/admin/availability/overrides",
        data={
            "override-day": other.isoformat(),
            "override-start": "13:00",
            "override-end": "15:00",
        },
    )
    saved = rows(app, DateOverride, DateOverride.day)
    assert [(o.day, o.closed, o.start_time, o.end_time) for o in saved] == [
        (day, True, None, None),
        (other, False, time(13), time(15)),
    ]
    assert actions(app) == ["availability.override_add"] * 2
    page = client.get("/en/admin/availability").text
    assert "Dentist" in page


def test_override_mistakes_each_get_their_message(app, client, auth):
    auth.login()
    day = date.today() + timedelta(days=10)
    cases = [
        (
            {"override-start": "15:00", "override-end": "13:00"},
            "The end must come after the start.",
        ),
        ({}, "Enter the opening time, or tick closed."),
        (
            {"override-closed": "y", "override-start": "09:00"},
            "Leave the hours empty for a closed day.",
        ),
    ]
    for extra, message in cases:
        response = client.post(
            "/en/admin/availability/overrides", data={"override-day": day.isoformat(), **extra}
        )
        assert response.status_code == 400, message
        assert message in response.text
    response = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": "2027-03-14", "override-start": "02:30", "override-end": "05:00"},
    )
    assert response.status_code == 400
    assert "This time does not exist that day" in response.text
    assert rows(app, DateOverride) == []


def test_a_date_cannot_be_both_closed_and_open(app, client, auth):
    auth.login()
    day = (date.today() + timedelta(days=5)).isoformat()
    client.post(
        "/en/admin/availability/overrides", data={"override-day": day, "override-closed": "y"}
    )
    response = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": day, "override-start": "09:00", "override-end": "10:00"},
    )
    assert response.status_code == 400
    assert "already has other hours that clash" in response.text
    assert len(rows(app, DateOverride)) == 1


def test_whole_days_off_run_from_local_midnight_to_midnight_stored_in_utc(app, client, auth):
    auth.login()
    response = client.post(
        "/en/admin/availability/time-off",
        data={
            "timeoff-kind": "days",
            "timeoff-first_day": "2027-03-13",
            "timeoff-last_day": "2027-03-14",
            "timeoff-reason": "Ski",
        },
    )
    assert response.status_code == 302
    (off,) = rows(app, TimeOff)
    # Saturday is still on EST (UTC-5); the Sunday springs forward, so it ends at UTC-4.
    assert off.starts_at == datetime(2027, 3, 13, 5, tzinfo=UTC)
    assert off.ends_at == datetime(2027, 3, 15, 4, tzinfo=UTC)
    assert off.reason == "Ski"
    assert actions(app) == ["availability.time_off_add"]


def test_hours_off_are_entered_in_her_zone(app, client, auth):
    auth.login()
    client.post(
        "/en/admin/availability/time-off",
        data={
            "timeoff-kind": "hours",
            "timeoff-starts_at": "2027-07-02T13:00",
            "timeoff-ends_at": "2027-07-02T16:30",
        },
    )
    (off,) = rows(app, TimeOff)
    assert off.starts_at == datetime(2027, 7, 2, 17, tzinfo=UTC)
    assert off.ends_at == datetime(2027, 7, 2, 20, 30, tzinfo=UTC)


def test_time_off_mistakes_each_get_their_message(app, client, auth):
    auth.login()
    cases = [
        (
            {
                "timeoff-kind": "days",
                "timeoff-first_day": "2027-05-10",
                "timeoff-last_day": "2027-05-01",
            },
            "The last day cannot come before the first.",
        ),
        ({"timeoff-kind": "days"}, "Enter the first day."),
        (
            {
                "timeoff-kind": "hours",
                "timeoff-starts_at": "2027-05-10T15:00",
                "timeoff-ends_at": "2027-05-10T09:00",
            },
            "The end must come after the start.",
        ),
        (
            {
                "timeoff-kind": "hours",
                "timeoff-starts_at": "2027-03-14T02:15",
                "timeoff-ends_at": "2027-03-14T09:00",
            },
            "This time does not exist that day",
        ),
    ]
    for data, message in cases:
        response = client.post("/en/admin/availability/time-off", data=data)
        assert response.status_code == 400, message
        assert message in response.text
    assert rows(app, TimeOff) == []


def test_removing_an_override_or_a_time_off_is_audited(app, client, auth):
    auth.login()
    day = date.today() + timedelta(days=3)
    client.post(
        "/en/admin/availability/overrides",
        data={"override-day": day.isoformat(), "override-closed": "y"},
    )
    client.post(
        "/en/admin/availability/time-off",
        data={
            "timeoff-kind": "days",
            "timeoff-first_day": day.isoformat(),
            "timeoff-last_day": day.isoformat(),
        },
    )
    (override,) = rows(app, DateOverride)
    (off,) = rows(app, TimeOff)
    page = client.get("/en/admin/availability").text
    assert "data-confirm=" in page
    client.post(f"/en/admin/availability/overrides/{override.id}/remove")
    client.post(f"/en/admin/availability/time-off/{off.id}/remove")
    assert rows(app, DateOverride) == [] and rows(app, TimeOff) == []
    entries = rows(app, AuditEntry, AuditEntry.id)
    assert [e.action for e in entries][-2:] == [
        "availability.override_remove",
        "availability.time_off_remove",
    ]
    assert entries[-2].before["closed"] is True and entries[-2].after is None


def preview_summary(page):
    return re.search(r'<p id="preview-summary">(.*?)</p>', page, flags=re.S).group(1)


def test_the_preview_lists_the_free_slots_of_the_next_two_weeks_as_the_rules_stand(
    app, client, auth
):
    auth.login()
    assert (
        "Create an active offer to preview its free slots."
        in client.get("/en/admin/availability").text
    )
    with app.app_context():
        make_offer(db.session, title_en="Diagnostic", duration_minutes=60)
        db.session.commit()
    client.post("/en/admin/availability/rules", data=dict(RULES, **{"rules-min_notice_hours": "0"}))
    every_day = {day: [("09:00", "11:00")] for day in WEEKDAY_NAMES}
    client.post("/en/admin/availability/hours", data=hours(**every_day))
    page = client.get("/en/admin/availability").text
    # 09:00, 09:15, ... 10:00 each day: 5 starts for a 60-minute session, 14 or 15 days.
    count = int(re.match(r"\d+", preview_summary(page)).group())
    assert 5 * 13 <= count <= 5 * 15
    assert "Diagnostic" in preview_summary(page) and "America/Montreal" in preview_summary(page)
    assert "<time datetime=" in page

    first_day = (date.today() + timedelta(days=2)).isoformat()
    last_day = (date.today() + timedelta(days=8)).isoformat()
    client.post(
        "/en/admin/availability/time-off",
        data={"timeoff-kind": "days", "timeoff-first_day": first_day, "timeoff-last_day": last_day},
    )
    fewer = int(
        re.match(r"\d+", preview_summary(client.get("/en/admin/availability").text)).group()
    )
    assert fewer == count - 7 * 5


def test_the_preview_can_show_another_offer(app, client, auth):
    auth.login()
    with app.app_context():
        make_offer(db.session, title_en="Short call", duration_minutes=30, flagship=True)
        workshop = make_offer(db.session, title_en="Team workshop", duration_minutes=120)
        db.session.commit()
        workshop_id = workshop.id
    page = client.get("/en/admin/availability").text
    assert "Short call" in preview_summary(page)
    page = client.get(f"/en/admin/availability?offer={workshop_id}").text
    assert "Team workshop" in preview_summary(page)
