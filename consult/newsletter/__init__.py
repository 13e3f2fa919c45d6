"""The newsletter: sign-up with double opt-in, issues from articles or her own words, sent
by the worker in batches."""
