"""Mail as the browser tests read it: the .eml file the worker wrote for an outbox message."""

import email
from email import policy
from pathlib import Path

import sqlalchemy as sa

from consult.extensions import db
from consult.mail.models import OutboxMessage


def delivered(app, topic):
    """The .eml file the worker wrote for the newest outbox message of `topic`."""
    with app.app_context():
        message = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.topic.startswith(topic))
            .order_by(OutboxMessage.id.desc())
        ).first()
        path = Path(app.instance_path) / "outbox" / f"{message.id:06d}.eml"
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=policy.default)
