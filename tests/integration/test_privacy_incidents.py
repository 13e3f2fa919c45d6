"""The register of confidentiality incidents on the owner's desk: record, list, read."""

from datetime import UTC, datetime

import sqlalchemy as sa

from consult.extensions import db
from consult.privacy.models import PrivacyIncident
from tests.factories import sign_in

INCIDENT = {
    "title": "Courriel envoyé à la mauvaise personne",
    "description": "Une confirmation est partie vers une autre adresse.",
    "occurred_at": "2030-03-10T09:05",
    "discovered_at": "2030-03-10T22:30",
    "data_concerned": "Nom, date de la rencontre",
    "people_count": "1",
    "risk_assessment": "Faible : aucune donnée de paiement.",
    "commission_notified_at": "",
    "people_notified_at": "2030-03-11T10:00",
    "notices": "La personne a été avisée par téléphone.",
    "measures": "Adresse corrigée; vérification ajoutée.",
}


def test_the_owner_records_an_incident_and_finds_it_in_the_register(client, app):
    sign_in(app, client, "owner")
    assert client.get("/fr/admin/privacy/incidents/new").status_code == 200
    response = client.post("/fr/admin/privacy/incidents/new", data=INCIDENT)
    assert response.status_code == 302
    with app.app_context():
        incident = db.session.scalar(sa.select(PrivacyIncident))
        # Her wall-clock time in Montréal, stored in UTC: 22:30 on 10 March 2030 is already
        # daylight time (it began at 2:00 that morning), so 02:30 UTC the next day.
        assert incident.discovered_at == datetime(2030, 3, 11, 2, 30, tzinfo=UTC)
        assert incident.people_count == 1 and incident.serious_risk is False
        assert incident.commission_notified_at is None
    listing = client.get("/fr/admin/privacy/incidents/").text
    assert "Courriel envoyé à la mauvaise personne" in listing
    page = client.get(response.headers["Location"]).text
    assert "La personne a été avisée par téléphone." in page
    assert "22 h 30" in page


def test_an_incomplete_incident_is_a_form_message_not_a_500(client, app):
    sign_in(app, client, "owner")
    response = client.post(
        "/en/admin/privacy/incidents/new",
        data={**INCIDENT, "title": "", "discovered_at": "not a date", "people_count": "-3"},
    )
    assert response.status_code == 400
    assert "Please give a title." in response.text
    far = client.post(
        "/en/admin/privacy/incidents/new", data={**INCIDENT, "discovered_at": "9999-01-01T00:00"}
    )
    assert far.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PrivacyIncident.id))) == 0


def test_the_register_is_the_owners_alone(client, app):
    sign_in(app, client, "accountant")
    assert client.get("/fr/admin/privacy/incidents/").status_code == 403
    assert client.post("/fr/admin/privacy/incidents/new", data=INCIDENT).status_code == 403
