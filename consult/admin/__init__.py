"""The consultant's screens over the other domains."""
