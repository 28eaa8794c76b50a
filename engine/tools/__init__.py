"""Stage 7, tools over the API: batch, impact reports, the documentation site, the examples runner
and coverage, schedules, editor services and the language server, bulk letters.
"""
