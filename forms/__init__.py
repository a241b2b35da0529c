"""Flask-WTF forms: log-in and administrative forms, and the self-check form built from the questionnaire."""
