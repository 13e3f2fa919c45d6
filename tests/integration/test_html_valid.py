"""Every page is valid HTML: the Nu HTML checker finds no error on any public or private page.

The browser tests check the pages they visit (tests/e2e/html_check.py); this one walks the
whole URL map instead, as a visitor, the owner and the accountant, plus the pages behind a
private link, over the demo content, and hands them all to vnu in one run.
"""

import re

import pytest
import sqlalchemy as sa

from consult.booking.models import Booking, Offer
from consult.content import models as content
from consult.extensions import db, utcnow
from tests.e2e.html_check import PageRecorder, describe, in_ci, vnu_missing
from tests.factories import make_booking, make_held_booking, make_payment, make_refund, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["consult", "seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        now = utcnow()
        held = make_held_booking(db.session, now, client_name="Awa Diallo")
        confirmed = make_booking(db.session, now=now, client_name="Luc Roy")
        payment = make_payment(db.session, confirmed, now, number="R-VALID-1")
        refund = make_refund(db.session, payment, now, total_cents=5000, number="CN-VALID-1")
        db.session.commit()
        return {
            "held": held.manage_token,
            "confirmed": confirmed.manage_token,
            "booking_id": confirmed.id,
            "receipt": payment.number,
            "credit_note": refund.number,
        }


def simple_get_paths(app):
    """Each GET page of the URL map that needs nothing but its language, in French."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or set(rule.arguments) - {"lang"}:
            continue
        if rule.endpoint in ("static", "content.feed", "content.manifest"):
            continue
        paths.append(rule.rule.replace("<lang:lang>", "fr"))
    return sorted(set(paths))


def record(recorder, client, path):
    response = client.get(path)
    # 404 too: the page a mistyped address gets is a page like any other.
    if response.status_code in (200, 404) and response.mimetype == "text/html":
        recorder.add(path, response.data)
    response.close()
    return response


def test_no_page_has_an_html_error(app, client, demo, tmp_path):
    missing = vnu_missing()
    if missing:
        if in_ci():
            pytest.fail(missing)
        pytest.skip(missing)
    recorder = PageRecorder(tmp_path)
    with app.app_context():
        articles = db.session.scalars(sa.select(content.Article)).all()
        article_paths = [f"/{item.lang}/articles/{item.slug}" for item in articles]
        article_ids = [item.id for item in articles]
        tags = [(item.lang, tag) for item in articles for tag in item.tags]
        offers = db.session.scalars(sa.select(Offer)).all()
        offer_paths = [
            f"/{lang}/book/{offer.slug_in(lang)}" for offer in offers for lang in ["fr", "en"]
        ]
        offer_ids = [offer.id for offer in offers]
        talk_ids = db.session.scalars(sa.select(content.Talk.id)).all()
        testimonial_ids = db.session.scalars(sa.select(content.Testimonial.id)).all()
        booking_ids = db.session.scalars(sa.select(Booking.id)).all()

    # A visitor: every public page, both languages, and the private links.
    public = [
        "/fr/", "/en/", "/en/articles/", "/en/speaker/", "/en/speaker/invite",
        "/en/speaker/invite/thanks", "/en/book/", "/fr/search?q=voix", "/en/search?q=zzzz",
        "/fr/nowhere",
        *article_paths, *offer_paths,
        *{f"/{lang}/articles/tag/{tag}" for lang, tag in tags},
        f"/fr/booking/{demo['held']}", f"/fr/book/status/{demo['held']}",
        f"/fr/booking/{demo['confirmed']}", f"/en/booking/{demo['confirmed']}",
        f"/fr/booking/{demo['confirmed']}/reschedule",
        f"/fr/booking/{demo['confirmed']}/receipts/{demo['receipt']}",
        f"/fr/booking/{demo['confirmed']}/receipts/{demo['credit_note']}",
        f"/fr/pay/demo/{demo['held']}",
    ]  # fmt: skip
    for path in [*simple_get_paths(app), *public]:
        response = record(recorder, client, path)
        if response.status_code in (301, 308) and response.location.startswith("/"):
            record(recorder, client, response.location)

    # The accountant's desk.
    sign_in(app, client, role="accountant")
    for path in [
        *simple_get_paths(app),
        f"/fr/accounting/receipts/{demo['receipt']}",
        f"/fr/accounting/receipts/{demo['credit_note']}",
    ]:
        record(recorder, client, path)

    # The owner's desk, each kind of screen.
    client.post("/fr/logout")
    sign_in(app, client, role="owner")
    owner_paths = [
        *simple_get_paths(app),
        *(f"/fr/admin/content/articles/{item}" for item in article_ids),
        *(f"/fr/admin/content/articles/{item}/revisions" for item in article_ids[:2]),
        *(f"/fr/admin/content/articles/{item}/preview" for item in article_ids[:2]),
        *(f"/fr/admin/content/talks/{item}" for item in talk_ids[:2]),
        *(f"/fr/admin/content/testimonials/{item}" for item in testimonial_ids[:1]),
        *(f"/fr/admin/offers/{item}" for item in offer_ids[:1]),
        *(f"/fr/admin/bookings/{item}" for item in booking_ids),
        "/fr/admin/content/bio/fr", "/en/admin/content/bio/en",
        "/fr/admin/content/bio/fr/revisions",
        "/fr/admin/content/articles/new", "/fr/admin/content/talks/new",
        "/fr/admin/content/testimonials/new", "/fr/admin/offers/new",
    ]  # fmt: skip
    for path in owner_paths:
        record(recorder, client, path)

    assert len(recorder.names) > 40, sorted(recorder.names.values())
    errors = recorder.errors()
    assert not errors, describe(errors, recorder.names)
    skipped = heading_skips(recorder)
    assert not skipped, "\n".join(skipped)


HEADING = re.compile(rb"<h([1-6])[\s>]")


def heading_skips(recorder):
    """Pages whose headings skip a level (an h3 right after an h1): vnu does not count it as an
    error, screen-reader users who jump by heading do."""
    found = []
    for path in sorted(recorder.folder.glob("*.html")):
        body = path.read_bytes()
        main = body[body.find(b"<main") :] if b"<main" in body else body
        levels = [int(level) for level in HEADING.findall(main)]
        for before, after in zip([0, *levels], levels, strict=False):
            if after > before + 1:
                found.append(f"{recorder.names[path.name]}: h{before} then h{after}")
                break
    return found
