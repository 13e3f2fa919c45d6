"""In the browser: a person files a request from the public form, confirms it from the
email the worker delivered, and the owner answers it from her desk; at 390 and 1280 px."""

import re

import sqlalchemy as sa

from consult.extensions import db
from consult.privacy.models import DONE, PrivacyRequest
from tests.e2e.outbox import delivered
from tests.factories import make_booking

LINK = re.compile(r"https?://\S+/privacy/confirm/[\w-]+")


def test_a_request_filed_confirmed_by_email_and_answered_from_the_desk(
    app, page, live_server, deliver_mail, make_user, screenshot, accessible
):
    with app.app_context():
        make_booking(db.session, client_email="ana@example.org", client_name="Ana Prospect")
        db.session.commit()
    owner = make_user(role="owner")

    # The footer of any page leads to the policy, and the policy to the form.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/fr/")
    page.locator("footer").get_by_role("link", name="Confidentialité et témoins").click()
    page.wait_for_url("**/fr/privacy")
    accessible(page)
    screenshot(page, "privacy-policy-390")
    page.get_by_role("link", name="Faire une demande sur vos renseignements").first.click()
    page.wait_for_url("**/fr/privacy/request")
    page.get_by_label("Voir ce que vous détenez sur moi").check()
    page.get_by_label("Votre adresse courriel").fill("ana@example.org")
    accessible(page)
    screenshot(page, "privacy-request-390")
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_url("**/fr/privacy/request/sent")
    assert "Consultez vos courriels" in page.locator("h1").inner_text()

    # The worker delivers the message; its link leads to one button that confirms.
    deliver_mail()
    message = delivered(app, "privacy.confirm")
    assert message["To"] == "ana@example.org"
    text = message.get_body(("plain",)).get_content()
    link = LINK.search(text).group(0)
    assert link.startswith(live_server.url)
    page.goto(link)
    page.get_by_role("button", name="Confirmer ma demande").click()
    assert "Votre demande est reçue" in page.locator("h1").inner_text()
    screenshot(page, "privacy-confirmed-390")

    # The owner signs in, finds it in the register and answers it.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/fr/login")
    page.fill("#email", owner.email)
    page.fill("#password", owner.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")
    page.goto("/fr/admin/privacy/")
    row = page.locator("tr[data-request]")
    assert row.count() == 1
    assert "À traiter" in row.inner_text()
    accessible(page)
    screenshot(page, "privacy-register-1280")
    row.get_by_role("link", name="ana@example.org").click()
    page.wait_for_url("**/fr/admin/privacy/requests/*")
    assert "Réservations" in page.locator(".held-summary").inner_text()
    page.get_by_label("Votre réponse").fill("Vous trouverez vos données en pièce jointe.")
    accessible(page)
    screenshot(page, "privacy-request-desk-1280")
    page.get_by_role("button", name="Envoyer la réponse").click()
    page.wait_for_url("**/fr/admin/privacy/requests/*")
    assert "Votre réponse est en route." in page.locator(".flashes").inner_text()
    with app.app_context():
        request = db.session.scalar(sa.select(PrivacyRequest))
        assert request.status == DONE
    deliver_mail()
    answer = delivered(app, "privacy.answer")
    assert "Vous trouverez vos données" in answer.get_body(("plain",)).get_content()

    # The same desk page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "privacy-request-desk-390")
    page.goto("/fr/admin/privacy/")
    screenshot(page, "privacy-register-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/en/privacy")
    screenshot(page, "privacy-policy-1280")


def test_the_owner_edits_her_policy_and_records_an_incident(
    app, page, make_user, screenshot, accessible
):
    owner = make_user(role="owner")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/fr/login")
    page.fill("#email", owner.email)
    page.fill("#password", owner.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")
    page.goto("/fr/admin/privacy/settings")
    accessible(page)
    page.get_by_label("Titre").fill("Présidente")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/fr/admin/privacy/settings")
    assert "Réglages de confidentialité enregistrés." in page.locator(".flashes").inner_text()
    screenshot(page, "privacy-settings-1280")
    page.goto("/fr/privacy")
    assert "Présidente" in page.locator(".privacy-officer").inner_text()

    page.goto("/fr/admin/privacy/incidents/")
    page.get_by_role("link", name="Inscrire un incident").click()
    accessible(page)
    page.get_by_label("Ce qui s’est passé, en quelques mots").fill("Portable perdu")
    page.get_by_label("Description").fill("Un portable sans chiffrement oublié dans un taxi.")
    page.get_by_label("Quand on l’a découvert").fill("2030-03-10T22:30")
    page.get_by_label("Nombre de personnes concernées (si on le sait)").fill("12")
    page.get_by_label("Risque de préjudice sérieux").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/fr/admin/privacy/incidents/*")
    assert "Portable perdu" in page.locator("h1").inner_text()
    accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "privacy-incident-390")
    page.goto("/fr/admin/privacy/incidents/")
    assert "Portable perdu" in page.locator("table").inner_text()
    screenshot(page, "privacy-incidents-390")
