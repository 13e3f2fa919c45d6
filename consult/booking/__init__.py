"""Booking: offers, availability, slots, holds, confirmations, manage links, invitations."""
