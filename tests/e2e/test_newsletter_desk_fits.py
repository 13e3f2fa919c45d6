"""Her newsletter pages with content in them (long addresses, long subjects, a consent
proof, an import's refused lines) fit a laptop (1280 px) and a phone (390 px)."""

from datetime import timedelta

import pytest

from consult.database import write
from consult.extensions import db, utcnow
from consult.newsletter import sending
from consult.newsletter.models import ACTIVE, BOUNCED, Issue
from tests.e2e.test_desk_fits_every_screen import LONG_EMAIL, SIZES, sign_in, widths
from tests.newsletter_support import make_issue, make_reader

LONG_SUBJECT = "Faut-il externaliser vos médias sociaux ? Ce que dix ans de mandats m’ont appris"


def seed(app):
    with app.app_context():
        with write(db.session):
            make_reader(db.session, LONG_EMAIL, "both", ACTIVE)
            make_reader(db.session, "b." + LONG_EMAIL, "en", BOUNCED)
            draft = make_issue(db.session, subject_fr=LONG_SUBJECT, subject_en=LONG_SUBJECT)
            sent = make_issue(db.session, subject_fr=LONG_SUBJECT)
        sending.queue_issue(db.session, db.session.get(Issue, sent.id), utcnow())
        sending.schedule(
            db.session, db.session.get(Issue, draft.id), utcnow() + timedelta(days=2), utcnow()
        )
        return draft.id, sent.id


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_newsletter_pages_fit_the_screen(app, page, make_user, screenshot, size):
    draft_id, sent_id = seed(app)
    owner = make_user(role="owner", email="consultante@example.org")
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, owner)
    too_wide = []
    for name, path in (
        ("issues", "/fr/admin/newsletter/"),
        ("issue", f"/fr/admin/newsletter/issues/{draft_id}"),
        ("issue-sent", f"/fr/admin/newsletter/issues/{sent_id}"),
        ("preview", f"/fr/admin/newsletter/issues/{draft_id}/preview"),
        ("subscribers", "/fr/admin/newsletter/subscribers"),
        ("import", "/fr/admin/newsletter/subscribers/import"),
    ):
        response = page.goto(path)
        assert response.status == 200, path
        if name == "subscribers":
            page.locator("main table details summary").first.click()
        scroll, viewport, culprits = widths(page)
        if scroll > viewport:
            too_wide.append((path, scroll, culprits))
        screenshot(page, f"desk-newsletter-{name}-{size}")
    assert too_wide == [], "\n".join(map(str, too_wide))
