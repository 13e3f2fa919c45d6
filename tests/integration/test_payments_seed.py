"""Demo payments: a ledger with receipts, fees and a half refund, seeded once."""

import sqlalchemy as sa

from consult.extensions import db
from consult.payments.models import PAYMENT, REFUND, LedgerEntry


def test_seed_demo_fills_the_ledger_once(app, runner):
    assert runner.invoke(args=["consult", "seed-demo"]).exit_code == 0
    assert runner.invoke(args=["consult", "seed-demo"]).exit_code == 0
    with app.app_context():
        rows = db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.id)).all()
        assert [(row.kind, row.number) for row in rows] == [
            (PAYMENT, "R-000001"),
            (PAYMENT, "R-000002"),
            (REFUND, "CN-000001"),
            (PAYMENT, "R-000003"),
        ]
        payment, refund = rows[1], rows[2]
        assert payment.total_cents == 28_744 and payment.fee_cents == 864
        assert refund.total_cents == -14_372 and refund.refund_of_id == payment.id
        assert {tax.code: tax.amount_cents for tax in refund.taxes} == {"GST": -625, "QST": -1247}
