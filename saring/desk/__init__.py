"""The forum's desk: a small FastAPI + Jinja2 web app over the saring database (``saring web``)."""
