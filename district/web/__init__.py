"""The district web (`hall district`): every hall live, cross-hall reports, follow-ups, the fleet
of devices, accounts with district-wide and hall-scoped roles. The same Starlette stack and look
as the hall's management web, whose generic pieces it imports (hall_controller.web: access,
guard, users' checks, render, charts, headers, server, static files) and nothing of the
controller's internals. docs/district.md is the manual.

    live.py        every hall as the district broker shows it (pure)
    follow.py      the one MQTT seam: follows the district broker, wakes the page streams
    accounts.py    users with roles and scopes, in PostgreSQL (migration 0100)
    data.py        registry, the current day's satisfaction, closing a follow-up: SQL over the district's tables
    site.py        what the pages share; app.py the Starlette app
    pages.py, login.py, reports_page.py, users_page.py, templates/, static/   the pages
    main.py        `hall district`: serve, and `hall district user …`
"""
