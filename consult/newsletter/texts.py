"""The newsletter's words that are kept as proof: the consent beside the sign-up button."""
