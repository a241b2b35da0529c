"""Diagnostic reports: a self-check's result as a printable PDF in Chinese, English or both.

result → view-model (`viewmodel`) → flowables (`components`, `app.charts`; Chinese lines broken
by `linebreak`) → document (`document`), laid out by a template of report_templates/;
`service` loads the data, `routes` serves the downloads.
"""
