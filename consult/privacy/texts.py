# ruff: noqa: E501 - the default policy is prose, one paragraph a line
"""The words the privacy pages and forms show: the notice at collection, the cookie list, the
default governance policy in each language, and what anonymised data is replaced with."""

from flask_babel import lazy_gettext as _l

#: What a name, a message or a body becomes once anonymised (kept language-neutral: it is
#: data, read by the owner and her accountant in either language).
ANONYMISED = "[anonymised]"
#: The domain of the addresses erased emails become (".invalid" can never receive mail).
ANONYMISED_DOMAIN = "anonymised.invalid"


def anonymised_email(tag):
    """An address that says it was erased and can never receive mail ("b12" for a booking)."""
    return f"erased-{tag}@{ANONYMISED_DOMAIN}"


def notice_lines():
    """The short notice beside every form that collects personal information (Law 25 s. 8)."""
    return [
        _l(
            "We use what you give here only to answer you and, if you book, to hold, confirm "
            "and invoice your session."
        ),
        _l(
            "It is seen by the consultant and by the services that run the site: the payment "
            "processor (Stripe), the mail provider and the video host. Some of them keep data "
            "outside Québec."
        ),
        _l(
            "You may see, correct or take away what we hold about you, withdraw your consent, "
            "or ask us to erase it."
        ),
    ]


def notice_text():
    """The notice as one paragraph, as a consent record keeps it."""
    return " ".join(str(line) for line in notice_lines())


#: The box the prospect ticks on the intake form (booking.forms shows this very text).
BOOKING_CONSENT_LABEL = _l("I agree to be contacted by email about this session.")


def booking_consent_text(in_english=False):
    """What the prospect agrees to when she holds a time: as the intake form shows it. On the
    English path, offered the French terms first, she chose to go on in English."""
    parts = [
        BOOKING_CONSENT_LABEL,
        _l("The cancellation policy and the terms shown above this form apply."),
        notice_text(),
    ]
    if in_english:
        parts.append(_l("The terms were offered in French first; she chose to go on in English."))
    return " ".join(str(part) for part in parts)


def cookies():
    """(name, purpose, lifetime) of every cookie the site sets; none tracks or profiles."""
    return [
        (
            "session",
            _l(
                "Keeps the security token of the forms (CSRF), the sign-in of the owner and "
                "her accountant, and the times this browser is holding."
            ),
            _l("Until the browser closes"),
        ),
        (
            "remember_token",
            _l("Keeps the owner or her accountant signed in, when they ask for it."),
            _l("30 days"),
        ),
        (
            "lang",
            _l("Remembers the language you chose, for the home page."),
            _l("One year"),
        ),
    ]


#: The default governance policy, written for this site; `{name}` fields are filled from the
#: settings. A line "## ..." is a heading, "- ..." an item of a list.
DEFAULT_POLICY = {
    "fr": """## Ce que nous recueillons
Quand vous réservez une rencontre : votre nom, votre courriel, votre téléphone si vous le donnez, votre organisation et ce que vous voulez décider. Quand vous écrivez pour une conférence : votre nom, votre courriel, votre organisation, la date et le lieu de l’événement et votre message. Quand vous payez : le montant, les taxes et le numéro de reçu ; votre carte est saisie chez Stripe, jamais sur ce site.

## Pourquoi
Pour tenir votre plage horaire, vous confirmer la rencontre, vous la rappeler, vous envoyer le reçu et répondre à votre demande. Rien d’autre : aucun profilage, aucune publicité, aucun traceur.

## Combien de temps
- Les reçus, notes de crédit et paiements : six ans, comme l’exige la loi fiscale.
- Les réponses au formulaire de réservation (organisation, objectif, téléphone) : {intake_days} jours après la rencontre, puis anonymisées.
- Les demandes de conférence : {inquiry_days} jours après le dernier échange, puis anonymisées.
- Le texte des courriels envoyés : {outbox_days} jours, puis effacé.

## Qui les reçoit
- La consultante, {owner}, seule à lire vos réponses.
- Stripe, qui traite le paiement (États-Unis et ailleurs).
- Le fournisseur de courriel qui achemine nos messages.
- L’hôte de vidéoconférence, pour une rencontre en ligne.
Certains de ces services conservent des données hors du Québec ; nous ne leur communiquons que ce qu’il leur faut.

## Vos droits
Vous pouvez demander à voir ce que nous détenons sur vous, le faire corriger, le recevoir dans un format courant (JSON et CSV), retirer votre consentement ou demander qu’il soit anonymisé. Nous répondons dans les 30 jours. Faites-le par le formulaire de demande ci-dessous ou en écrivant à la personne responsable.

## Un incident
Si vos renseignements étaient exposés, nous l’inscririons à notre registre des incidents et, s’il y avait un risque de préjudice sérieux, nous vous en aviserions ainsi que la Commission d’accès à l’information.

## Porter plainte
Écrivez d’abord à la personne responsable ; si notre réponse ne vous satisfait pas, vous pouvez porter plainte à la Commission d’accès à l’information du Québec (www.cai.gouv.qc.ca).
""",
    "en": """## What we collect
When you book a session: your name, your email, your phone if you give it, your organisation and what you want to decide. When you write about a talk: your name, your email, your organisation, the event's date and place, and your message. When you pay: the amount, the taxes and the receipt number; your card is typed at Stripe, never on this site.

## Why
To hold your time, confirm and remind you of the session, send your receipt and answer your request. Nothing else: no profiling, no advertising, no tracker.

## How long
- Receipts, credit notes and payments: six years, as tax law requires.
- Your booking form answers (organisation, goal, phone): {intake_days} days after the session, then anonymised.
- Speaking inquiries: {inquiry_days} days after the last exchange, then anonymised.
- The text of the emails sent: {outbox_days} days, then erased.

## Who receives it
- The consultant, {owner}, the only person who reads your answers.
- Stripe, which processes the payment (in the United States and elsewhere).
- The mail provider that carries our messages.
- The video host, for a session online.
Some of these services keep data outside Québec; we give them only what they need.

## Your rights
You may ask to see what we hold about you, have it corrected, receive it in a common format (JSON and CSV), withdraw your consent or have it anonymised. We answer within 30 days. Use the request form below or write to the person in charge.

## An incident
If your information were exposed, we would enter it in our incident register and, if there were a risk of serious injury, tell you and the Commission d'accès à l'information.

## How to complain
Write to the person in charge first; if our answer does not satisfy you, you may complain to Québec's Commission d'accès à l'information (www.cai.gouv.qc.ca).
""",
}


def fill(text, values):
    """`text` with each known `{name}` replaced; other braces the owner typed stay as they are."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def blocks(text):
    """The policy as ("h", text), ("p", text) and ("ul", [items]) blocks, for the template."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            out.append(("h", line[3:].strip()))
        elif line.startswith("- "):
            if out and out[-1][0] == "ul":
                out[-1][1].append(line[2:].strip())
            else:
                out.append(("ul", [line[2:].strip()]))
        else:
            out.append(("p", line))
    return out
