"""Administration pages: the audit log."""
