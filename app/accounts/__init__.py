"""The administration of accounts: own passwords, temporary passwords, the users page, bulk import."""
