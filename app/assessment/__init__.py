"""The assessment domain: questionnaire definition, scoring and suggestions.

Plain Python on dataclasses. Nothing here imports Flask, SQLAlchemy or ReportLab,
so it is tested without an application.
"""
