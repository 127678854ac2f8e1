"""Development settings, the default of `manage.py` and `make run`: the project settings with
debug on (and so SQLite, the in-memory channel layer and guest sign-in unless configured
otherwise). A `.env` file or the environment still decides: DJANGO_DEBUG=0 there wins.

Production never comes here by accident: the ASGI application that Daphne serves defaults to
chatsite.settings, which refuses to start without DJANGO_SECRET_KEY."""

import os

from chatsite.env import load_dotenv

# .env before the default below, so that a DJANGO_DEBUG there is not overruled by it.
load_dotenv()
os.environ.setdefault("DJANGO_DEBUG", "1")

from chatsite.settings import *  # noqa: E402,F403
