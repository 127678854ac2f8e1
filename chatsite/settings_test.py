"""Settings for the test suite: the project settings with development defaults, the
in-memory channel layer and state, and fast password hashing. Tests that need Redis switch
to it explicitly (the `redis_url` fixture), so a unit test never depends on a shared server."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("GUEST_SIGNIN_ENABLED", "1")
_redis_url = os.environ.pop("REDIS_URL", None)

from chatsite.settings import *  # noqa: E402,F403

if _redis_url:
    os.environ["REDIS_URL"] = _redis_url  # for the live-server tests' subprocesses
TEST_REDIS_URL = _redis_url
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests store many messages quickly; those about the rate limit set their own tight one.
ROOMS = {**ROOMS, "SEND_RATE_BURST": 1000}  # noqa: F405
GUEST_SIGNIN_RATE = {**GUEST_SIGNIN_RATE, "PER_ADDRESS_BURST": 1000}  # noqa: F405
# A test database of this run's own on a shared PostgreSQL server: two runs at once (a developer's
# and CI's) must not create and drop the same "test_<name>" under each other.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_rooms_{os.getpid()}"}  # noqa: F405
