"""Reminders: a leader reminds the branches that have not submitted; shown on their home page, mailed."""
