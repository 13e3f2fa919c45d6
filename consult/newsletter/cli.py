"""Sending side: being written."""
