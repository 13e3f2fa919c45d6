"""Done when: every page of her desk fits a laptop (1280 px) and a phone (390 px) with
nothing wider than the screen, and the menu stands on one line on the laptop and behind one
"Menu" button on the phone, usable from the keyboard. Screenshots land in screenshots/."""

import re
from datetime import date, time, timedelta

import pytest

from consult.admin.localtime import local_to_utc, zone
from consult.audit import AuditEntry
from consult.auth.access import OWNER, declared_access
from consult.booking.models import WeeklyHours
from consult.content.models import Article, SpeakingInquiry
from consult.extensions import db, utcnow
from tests.factories import local_day, make_booking, make_offer, make_payment, make_refund

MONTREAL = zone("America/Montreal")
SIZES = {"1280": (1280, 800), "390": (390, 844)}
#: Owner pages that answer something other than a page to look at.
NOT_PAGES = re.compile(r"\.(ics|csv|zip|xml|json|txt|png|pdf)$|/export|/feed|/download|/logout")
#: The pages this work drew, read by axe-core as well.
CHECKED_BY_AXE = ("/fr/admin/inquiries", "/fr/admin/audit", "/fr/admin/bookings")
LONG_EMAIL = "marie-claude.tremblay-desrosiers.communications@organisation-tres-longue.example.org"


def seed(app):
    """A desk with something on every page: sessions past and to come, a refund, an
    inquiry with a long address, an article bookings came from, the audit of it all."""
    now = utcnow()
    today = local_day(now)
    with app.app_context():
        for weekday in range(7):
            db.session.add(WeeklyHours(weekday=weekday, start_time=time(9), end_time=time(17)))
        db.session.add(
            Article(
                lang="fr",
                slug="faut-il-externaliser",
                title="Faut-il externaliser vos réseaux sociaux ? Ce que j’ai appris en dix ans",
                summary="Résumé",
                body_md="Texte",
                body_html="<p>Texte</p>",
                status="published",
                published_at=now - timedelta(days=30),
            )
        )
        offer = make_offer(
            db.session,
            flagship=True,
            title_fr="Faut-il externaliser vos médias sociaux ? La séance stratégique",
            title_en="Should you outsource your social media? The strategy session",
        )
        short = make_offer(db.session, title_fr="Appel découverte", title_en="Discovery call")
        ids = {}
        for offset, status, target in (
            (-40, "completed", offer),
            (-20, "no_show", short),
            (-10, "cancelled", offer),
            (3, "confirmed", offer),
        ):
            day = today + timedelta(days=offset)
            booking = make_booking(
                db.session,
                target,
                local_to_utc(day, time(10), MONTREAL),
                status=status,
                client_name="Marie-Claude Tremblay-Desrosiers de la Communication",
                client_email=LONG_EMAIL,
                organisation="Regroupement des communicatrices et communicateurs du Québec",
                organisation_size="11-50",
                came_from="/fr/articles/faut-il-externaliser" if offset < 0 else "",
                created_at=now - timedelta(days=45),
                now=now,
            )
            ids[status] = booking.id
            if status in ("completed", "cancelled", "confirmed"):
                payment = make_payment(db.session, booking, now - timedelta(days=44))
                if status == "cancelled":
                    make_refund(db.session, payment, now - timedelta(days=12))
        inquiry = SpeakingInquiry(
            name="Nadia Roy-Bélanger",
            email=LONG_EMAIL,
            organisation="Congrès annuel des communicatrices et communicateurs",
            event_date=today + timedelta(days=120),
            city="Québec",
            audience_size=300,
            budget_range="2500-5000",
            message="Bonjour,\nNous organisons un congrès.\n\nPourriez-vous ouvrir la journée ?\n"
            + "https://example.org/un/tres/long/lien/qui/ne/se/coupe/pas/" * 2,
            lang="fr",
        )
        db.session.add(inquiry)
        db.session.flush()
        db.session.add(
            AuditEntry(
                action="payment.refund",
                target_type="booking",
                target_id=str(ids["cancelled"]),
                after={"number": "CN-000003", "amount_cents": 5000, "reason": "x" * 300},
                before=None,
            )
        )
        db.session.commit()
        return {"booking": ids["confirmed"], "inquiry": inquiry.id, "offer": offer.id}


def desk_paths(app, seeded):
    """Every page the owner reaches with a plain GET, in French, plus one of each kind."""
    paths = set()
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            allowed = declared_access(rule.endpoint) or ()
            if "GET" not in rule.methods or OWNER not in allowed or "public" in allowed:
                continue
            if set(rule.arguments) - {"lang"}:
                continue
            path = rule.rule.replace("<lang:lang>", "fr")
            if not NOT_PAGES.search(path) and path != "/admin":
                paths.add(path)
    paths |= {
        f"/fr/admin/bookings/{seeded['booking']}",
        f"/fr/admin/inquiries/{seeded['inquiry']}",
        f"/fr/admin/offers/{seeded['offer']}",
        "/fr/admin/calendar/month",
    }
    return sorted(paths)


def sign_in(page, owner):
    page.goto("/fr/login")
    page.fill("#email", owner.email)
    page.fill("#password", owner.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")


def widths(page):
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1 && !e.closest('.table-scroll, .calendar-scroll'))"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)]"
    )


def name_of(path):
    return "desk" + re.sub(r"[^a-z0-9]+", "-", path.removeprefix("/fr/admin")).rstrip("-")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_desk_page_fits_the_screen(app, page, make_user, screenshot, accessible, size):
    seeded = seed(app)
    owner = make_user(role="owner", email="consultante@example.org")
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, owner)
    too_wide, broken = [], []
    for path in desk_paths(app, seeded):
        response = page.goto(path)
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if response.status != 200:
            broken.append((path, response.status))
            continue
        scroll, viewport, culprits = widths(page)
        if scroll > viewport:
            too_wide.append((path, scroll, culprits))
        screenshot(page, f"{name_of(path)}-{size}")
        if path.startswith(CHECKED_BY_AXE) or path == "/fr/admin/":
            accessible(page)
    assert too_wide == [], "\n".join(map(str, too_wide))
    assert broken == []


def test_the_menu_stands_on_one_line_on_a_laptop(app, page, make_user, screenshot):
    owner = make_user(role="owner", email="consultante@example.org")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, owner)
    for path in ("/fr/admin/", "/en/admin/"):
        page.goto(path)
        items = page.locator(".staff-nav-wide .staff-items > li")
        tops = {
            round(box["y"]) for box in (items.nth(i).bounding_box() for i in range(items.count()))
        }
        assert len(tops) == 1, f"{path}: the menu wraps ({sorted(tops)})"
        assert items.count() <= 7
        row = page.locator(".staff-row").bounding_box()
        assert row["height"] < 60  # menu and sign-out on one line
        assert not page.locator(".staff-nav-narrow").is_visible()
    # A group opens its list; the current page is marked.
    page.goto("/fr/admin/bookings")
    sessions = page.locator(".staff-group", has_text="Séances")
    assert "staff-group-current" in sessions.get_attribute("class")
    sessions.locator("summary").click()
    page.get_by_role("link", name="Disponibilités").wait_for()
    screenshot(page, "desk-menu-open-1280", full_page=False)
    # Opening another group closes the first (one open at a time, without a script).
    site = page.locator(".staff-group", has_text="Site")
    site.locator("summary").click()
    assert not page.get_by_role("link", name="Disponibilités").is_visible()
    assert site.get_by_role("link", name="Articles").is_visible()
    page.keyboard.press("Escape")
    assert not site.get_by_role("link", name="Articles").is_visible()
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"


def test_on_a_phone_the_menu_is_one_button_the_keyboard_opens(app, page, make_user, screenshot):
    owner = make_user(role="owner", email="consultante@example.org")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, owner)
    page.goto("/fr/admin/")
    assert not page.locator(".staff-nav-wide").is_visible()
    toggle = page.locator(".staff-nav-narrow summary")
    assert toggle.inner_text().strip() == "Menu"
    assert not page.get_by_role("link", name="Réservations").is_visible()
    toggle.focus()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Réservations")
    link.wait_for()
    screenshot(page, "desk-menu-open-390", full_page=False)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "A"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    assert outline in ("solid", "auto", "none")  # the summary's focus is drawn by :focus-visible
    link.click()
    page.wait_for_url("**/fr/admin/bookings")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_menu_works_without_javascript(browser, live_server, make_user):
    owner = make_user(role="owner", email="consultante@example.org")
    context = browser.new_context(
        base_url=live_server.url, locale="fr-CA", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        sign_in(page, owner)
        page.locator(".staff-nav-narrow summary").click()
        page.get_by_role("link", name="Demandes de conférence").click()
        page.wait_for_url("**/fr/admin/inquiries/")
    finally:
        context.close()


def test_an_inquiry_keeps_its_line_breaks_on_screen(app, page, make_user):
    seeded = seed(app)
    owner = make_user(role="owner", email="consultante@example.org")
    sign_in(page, owner)
    page.goto(f"/fr/admin/inquiries/{seeded['inquiry']}")
    message = page.locator(".thread .message").first
    assert page.evaluate("e => getComputedStyle(e).whiteSpace", message.element_handle()) in (
        "pre-wrap",
        "pre-line",
    )
    assert message.bounding_box()["height"] > 3 * 20  # four lines, not one
    assert date.today().year > 2000


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_day_off_over_a_session_warns_in_the_browser(app, page, make_user, screenshot, size):
    seed(app)
    owner = make_user(role="owner", email="consultante@example.org")
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, owner)
    page.goto("/fr/admin/availability")
    day = (local_day(utcnow()) + timedelta(days=3)).isoformat()
    page.locator("#timeoff-kind-0").check()
    page.fill("#timeoff-first_day", day)
    page.fill("#timeoff-last_day", day)
    page.locator("form[action$='/availability/time-off'] button.button").click()
    warning = page.get_by_role("alert").filter(has_text="Pas encore enregistré")
    warning.wait_for()
    assert "Marie-Claude Tremblay-Desrosiers" in warning.inner_text()
    assert warning.get_by_role("link", name=re.compile("^Déplacer")).count() == 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SIZES[size][0]
    warning.scroll_into_view_if_needed()
    screenshot(page, f"desk-availability-warning-{size}", full_page=False)
    warning.get_by_role("button", name="Enregistrer quand même").click()
    page.wait_for_url("**/fr/admin/availability")
    assert "1 séance réservée est hors de vos heures" in page.locator("#outside").inner_text()
    page.locator("#outside").get_by_role("link", name=re.compile("^Annuler")).click()
    page.wait_for_url(re.compile(r"/fr/admin/bookings/\d+#cancel$"))
    assert page.locator("#cancel").is_visible()
