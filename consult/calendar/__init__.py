"""Her calendar apps: a private ICS feed of her sessions, busy times read from her calendar."""
