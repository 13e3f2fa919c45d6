"""The owner's offer editor: both languages, price in dollars stored as cents, never deleted."""

import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.booking.models import Offer
from consult.extensions import db
from tests.factories import make_offer

VALID = {
    "slug": "diagnostic",
    "title_fr": "Diagnostic express",
    "title_en": "Quick diagnostic",
    "description_fr": "Trente minutes pour y voir clair.",
    "description_en": "Thirty minutes to see clearly.",
    "duration_minutes": "30",
    "price_cents": "95,50",
    "taxable": "y",
    "active": "y",
    "position": "2",
}


def offers(app):
    with app.app_context():
        return db.session.scalars(sa.select(Offer).order_by(Offer.id)).all()


def audit(app, action):
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def test_the_owner_creates_an_offer_with_its_price_typed_in_dollars(app, client, auth):
    owner = auth.login()
    response = client.post("/en/admin/offers/new", data=VALID)
    assert response.status_code == 302
    (offer,) = offers(app)
    assert offer.price_cents == 9550
    assert offer.title_fr == "Diagnostic express" and offer.title_en == "Quick diagnostic"
    assert offer.duration_minutes == 30 and offer.taxable and offer.active
    assert "Quick diagnostic" in client.get(response.headers["Location"]).text
    (entry,) = audit(app, "offer.create")
    assert entry.user_id == owner.id
    assert entry.before is None and entry.after["price_cents"] == 9550


def test_bad_offer_input_comes_back_with_a_message_per_field_and_saves_nothing(app, client, auth):
    auth.login()
    bad = dict(VALID, slug="Not A Slug", price_cents="12.345", duration_minutes="", title_en="")
    response = client.post("/en/admin/offers/new", data=bad)
    assert response.status_code == 400
    assert "Use lowercase letters, digits and single hyphens only." in response.text
    assert "Enter an amount in dollars, like 150 or 150.00." in response.text
    assert "Enter a whole number of minutes." in response.text
    assert offers(app) == []


def test_a_price_of_only_spaces_is_asked_for_again_and_zero_is_free(app, client, auth):
    auth.login()
    for blank in ("\t", "   ", "\u00a0"):
        response = client.post("/fr/admin/offers/new", data=dict(VALID, price_cents=blank))
        assert response.status_code == 400, repr(blank)
        assert "Entrez un prix, 0 pour une séance gratuite." in response.text
    assert offers(app) == []
    assert client.post("/en/admin/offers/new", data=dict(VALID, price_cents="0")).status_code == 302


def test_the_messages_speak_french_on_the_french_desk(client, auth):
    auth.login()
    response = client.post("/fr/admin/offers/new", data=dict(VALID, price_cents="douze"))
    assert response.status_code == 400
    assert "Entrez un montant en dollars" in response.text


def test_two_offers_cannot_share_an_address_name(app, client, auth):
    auth.login()
    with app.app_context():
        make_offer(db.session, slug="diagnostic")
        db.session.commit()
    response = client.post("/en/admin/offers/new", data=VALID)
    assert response.status_code == 400
    assert "Another offer already uses this address name." in response.text
    assert len(offers(app)) == 1


def test_editing_an_offer_records_before_and_after_and_withdrawing_keeps_it(app, client, auth):
    auth.login()
    with app.app_context():
        offer_id = make_offer(db.session, slug="diagnostic", price_cents=9500).id
        db.session.commit()
    page = client.get(f"/en/admin/offers/{offer_id}")
    assert 'value="95.00"' in page.text
    edited = {key: value for key, value in VALID.items() if key != "active"}
    response = client.post(f"/en/admin/offers/{offer_id}", data=dict(edited, price_cents="120"))
    assert response.status_code == 302
    (offer,) = offers(app)
    assert offer.price_cents == 12000 and not offer.active
    (entry,) = audit(app, "offer.update")
    assert entry.before["price_cents"] == 9500 and entry.before["active"] is True
    assert entry.after["price_cents"] == 12000 and entry.after["active"] is False
    listing = client.get("/en/admin/offers").text
    assert "Withdrawn" in listing


def test_a_new_flagship_takes_the_title_from_the_old_one(app, client, auth):
    auth.login()
    with app.app_context():
        old_id = make_offer(db.session, slug="old-flagship", flagship=True).id
        db.session.commit()
    client.post("/en/admin/offers/new", data=dict(VALID, flagship="y"))
    flags = {offer.slug: offer.flagship for offer in offers(app)}
    assert flags == {"old-flagship": False, "diagnostic": True}
    assert any(entry.target_id == str(old_id) for entry in audit(app, "offer.update"))


def test_there_is_no_way_to_delete_an_offer(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.offer")]
    assert all("DELETE" not in rule.methods for rule in rules)
    assert not any("delete" in rule.rule or "remove" in rule.rule for rule in rules)
