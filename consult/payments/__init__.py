"""Payments: gateways, webhooks, refunds, taxes and receipts."""
