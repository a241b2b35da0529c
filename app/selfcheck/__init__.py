"""Filling in the annual self-check: one pillar per page, autosave, review, submit."""
