"""Outgoing mail: messages are queued in the database, then delivered."""
