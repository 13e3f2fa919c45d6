"""Reader side (sign-up, confirmation, preferences): being written."""
