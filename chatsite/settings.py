"""Settings for Rooms: production-safe on their own (debug off, so a secret key is required).
Every value that differs between machines comes from the environment or a `.env` file beside
manage.py (see `.env.example`; the environment wins).

Which defaults apply is the entry point's choice: `manage.py` and `make run` use
chatsite/settings_dev.py (debug on, SQLite, the in-memory channel layer, guest sign-in), the
ASGI application (Daphne, production) uses this module, and the tests settings_test.py."""

from datetime import timedelta
from pathlib import Path
from typing import TypedDict

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from chatsite.env import env_bool, env_int, env_list, env_str, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv()

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Only for local development: sessions signed with it are worthless anywhere else.
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "social_django",
    "axes",
    "channels",
    "rooms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sign-in failures (state mismatch, access denied, Google unreachable) end on a readable page.
    "social_django.middleware.SocialAuthExceptionMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chatsite.urls"
ASGI_APPLICATION = "chatsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if _SQLITE:
    # WAL lets readers and the writer work at once (several Daphne processes share the file);
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing
    # with "database is locked" halfway through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
elif env_bool("DATABASE_POOL", default=True):
    # Django's psycopg pool, one per process, shared by every thread. Under ASGI each request
    # runs on a thread of its own, so a per-thread persistent connection (CONN_MAX_AGE) was
    # never reused: 500 guest sign-ins opened about 500 PostgreSQL sessions (docs/deploy.md,
    # "Database connections"). The pool hands a thread a connection for a request or a socket's
    # database call and takes it back after, so it replaces CONN_MAX_AGE (Django refuses both).
    # It checks a connection as it hands it out (CONN_HEALTH_CHECKS), so one broken by a
    # database restart is replaced, never used.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0),
        # Per process; the most connections its threads hold at once. A call past it waits up
        # to DATABASE_POOL_TIMEOUT for one, then fails (503 unavailable); so does every call
        # while the database is unreachable, instead of hanging.
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20, minimum=1),
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 3, minimum=1),
        # The pool retries a failed connect with doubling delays until this many seconds have
        # passed, and starts afresh at the next call after: so once the database is back, the
        # site is within about this long of noticing, however long the outage lasted.
        "reconnect_timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL") or None
# Everything this site keeps in Redis — channel-layer channels and groups, presence, rate
# limits, tickets — lives under this prefix, so several sites can share one Redis without
# hearing each other's rooms.
REDIS_PREFIX = env_str("REDIS_PREFIX", "rooms:")
CHANNEL_LAYER_BACKEND = env_str("CHANNEL_LAYER_BACKEND", "pubsub")
# Redis clients of one process share a pool; redis-py's default cap (100) is too small for
# hundreds of sockets closing at once, each discarding its groups.
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 1000, minimum=10)

CHANNEL_LAYERS: dict[str, dict[str, object]]
if REDIS_URL is None:
    # One process: its sockets need nothing between them but a queue (rooms/local_layer.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "rooms.local_layer.ProcessLocalChannelLayer"}}
else:
    _redis_layer: dict[str, object] = {
        "hosts": [{"address": REDIS_URL, "max_connections": REDIS_MAX_CONNECTIONS}],
        "prefix": f"{REDIS_PREFIX}asgi",
    }
    if CHANNEL_LAYER_BACKEND == "pubsub":
        CHANNEL_LAYERS = {
            "default": {"BACKEND": "rooms.channel_layer.BatchingPubSubChannelLayer", "CONFIG": _redis_layer}
        }
    elif CHANNEL_LAYER_BACKEND == "core":
        _redis_layer["capacity"] = env_int("CHANNEL_LAYER_CAPACITY", 1000, minimum=1)
        CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": _redis_layer}}
    else:
        raise ImproperlyConfigured("CHANNEL_LAYER_BACKEND must be 'pubsub' or 'core'.")

# --- Chat rules -------------------------------------------------------------------------


class RoomsSettings(TypedDict):
    """The type of ROOMS, so that mypy knows each rule's type where rooms/ reads it."""

    MESSAGE_MAX_LENGTH: int
    HISTORY_SIZE: int
    HISTORY_PAGE_MAX: int
    CATCHUP_LIMIT: int
    SYNC_MAX_BYTES: int
    FRAME_MAX_BYTES: int
    SEND_RATE_COUNT: int
    SEND_RATE_PERIOD: int
    SEND_RATE_BURST: int
    PRESENCE_TTL: int
    HTTP_PRESENCE_TTL: int
    PRESENCE_GRACE: int
    PRESENCE_INTERVAL: float
    PRESENCE_FRAME_RATE: int
    ONLINE_LIST_MAX: int
    LOBBY_INTERVAL: float
    TYPING_INTERVAL: float
    TYPING_SHOWN: float
    MAX_CONNECTIONS_PER_USER: int
    WS_TICKET_TTL: int
    STATE_KEY_PREFIX: str
    DB_WRITE_THREADS: int
    DB_READ_THREADS: int
    MENTIONS_MAX: int
    MENTION_SEQS_MAX: int
    READ_RATE_PER_SECOND: int
    MEMBER_SUGGESTIONS_MAX: int
    REACTIONS_MAX_EMOJI: int
    SEARCH_QUERY_MAX_LENGTH: int
    SEARCH_TERMS_MAX: int
    SEARCH_PAGE_SIZE: int
    SEARCH_RATE_PER_SECOND: int


ROOMS: RoomsSettings = {
    "MESSAGE_MAX_LENGTH": env_int("MESSAGE_MAX_LENGTH", 4000, minimum=1),
    "HISTORY_SIZE": env_int("HISTORY_SIZE", 50, minimum=1),
    "HISTORY_PAGE_MAX": env_int("HISTORY_PAGE_MAX", 200, minimum=1),
    "CATCHUP_LIMIT": env_int("CATCHUP_LIMIT", 500, minimum=1),
    # The messages of a hello or a catch-up answer stop here; past it the answer is a resync
    # (docs/protocol.md). Under any proxy's and client's frame limits, whatever a room holds.
    "SYNC_MAX_BYTES": env_int("SYNC_MAX_BYTES", 256 * 1024, minimum=32 * 1024),
    "FRAME_MAX_BYTES": env_int("FRAME_MAX_BYTES", 64 * 1024, minimum=1024),
    "SEND_RATE_COUNT": env_int("SEND_RATE_COUNT", 10, minimum=1),
    "SEND_RATE_PERIOD": env_int("SEND_RATE_PERIOD", 10, minimum=1),
    "SEND_RATE_BURST": env_int("SEND_RATE_BURST", 5, minimum=1),
    # Presence (docs/protocol.md, "Presence"). A socket that sends no ping for PRESENCE_TTL is
    # closed (4408); an HTTP-fallback client is present for HTTP_PRESENCE_TTL after its last poll.
    "PRESENCE_TTL": env_int("PRESENCE_TTL", 60, minimum=2),
    "HTTP_PRESENCE_TTL": env_int("HTTP_PRESENCE_TTL", 10, minimum=2),
    # A user whose last connection closed is announced as gone only if not back within this.
    "PRESENCE_GRACE": env_int("PRESENCE_GRACE", 10, minimum=0),
    # One presence frame per room per interval, stretched so that a room's presence frames cost
    # at most PRESENCE_FRAME_RATE socket deliveries a second (rooms/presence_feed.py).
    "PRESENCE_INTERVAL": env_int("PRESENCE_INTERVAL_MS", 250, minimum=10) / 1000,
    "PRESENCE_FRAME_RATE": env_int("PRESENCE_FRAME_RATE", 2000, minimum=1),
    # A hello and a poll list at most this many of the users online (the count is exact).
    "ONLINE_LIST_MAX": env_int("ONLINE_LIST_MAX", 100, minimum=1),
    # How often the room list's sockets hear of changed counts and last messages.
    "LOBBY_INTERVAL": env_int("LOBBY_INTERVAL_MS", 1000, minimum=50) / 1000,
    "TYPING_INTERVAL": 2.0,
    # How long an HTTP client's poll reports someone as typing after their last typing signal.
    "TYPING_SHOWN": 3.5,
    "MAX_CONNECTIONS_PER_USER": env_int("MAX_CONNECTIONS_PER_USER", 20, minimum=1),
    # Lifetime of a one-time WebSocket ticket (POST /api/ws-ticket/).
    "WS_TICKET_TTL": env_int("WS_TICKET_TTL", 30, minimum=1),
    "STATE_KEY_PREFIX": f"{REDIS_PREFIX}state:",
    # Threads per process for socket sends and for socket joins (rooms/workers.py); each holds
    # a database connection. 0 = Channels' one shared thread, which SQLite keeps. Two write
    # threads: sends batch per thread, and fewer threads make larger batches (4 held S3's
    # chatty shape at 1,200 messages/s, 2 and 1 at 1,800; docs/benchmarks.md).
    "DB_WRITE_THREADS": env_int("DB_WRITE_THREADS", 0 if _SQLITE else 2, minimum=0),
    "DB_READ_THREADS": env_int("DB_READ_THREADS", 0 if _SQLITE else 4, minimum=0),
    # Different users one message may mention (docs/protocol.md, "Unread ... mentions").
    "MENTIONS_MAX": env_int("MENTIONS_MAX", 20, minimum=1),
    # A membership lists the seqs of at most this many unread mentions (its count is exact).
    "MENTION_SEQS_MAX": 100,
    # Read-position updates per user, all rooms and tabs together (a burst of twice as many).
    "READ_RATE_PER_SECOND": env_int("READ_RATE_PER_SECOND", 10, minimum=1),
    # People offered for one @ autocompletion.
    "MEMBER_SUGGESTIONS_MAX": 20,
    # Different emoji one message may carry (docs/protocol.md, "Replies and reactions").
    "REACTIONS_MAX_EMOJI": env_int("REACTIONS_MAX_EMOJI", 20, minimum=1),
    # Search (docs/protocol.md, "Search"): the longest query, the most words one may hold, the
    # results per page, and searches per user a second (a burst of five times as many).
    "SEARCH_QUERY_MAX_LENGTH": 200,
    "SEARCH_TERMS_MAX": 8,
    "SEARCH_PAGE_SIZE": env_int("SEARCH_PAGE_SIZE", 20, minimum=1),
    "SEARCH_RATE_PER_SECOND": env_int("SEARCH_RATE_PER_SECOND", 2, minimum=1),
}

# --- Identity ---------------------------------------------------------------------------
AUTH_USER_MODEL = "rooms.User"
GUEST_SIGNIN_ENABLED = env_bool("GUEST_SIGNIN_ENABLED", default=DEBUG)
# New guests per client address (an hour's worth, at most BURST at once) and for the whole site
# (a minute's worth): each guest is a fresh send budget and socket cap, so their creation is the
# limit that makes those worth something. Past either: 429 with Retry-After.
# Guests who have not signed in for this long are retired by `manage.py retire_idle_guests`
# (signed out, deactivated, their messages shown as "Former guest"). A guest cannot sign in
# again once their session ends (SESSION_COOKIE_AGE), so the default is that, in days.
GUEST_IDLE_DAYS = env_int("GUEST_IDLE_DAYS", 14, minimum=1)
GUEST_SIGNIN_RATE = {
    "PER_ADDRESS_PER_HOUR": env_int("GUEST_SIGNIN_PER_ADDRESS_PER_HOUR", 20, minimum=1),
    "PER_ADDRESS_BURST": env_int("GUEST_SIGNIN_PER_ADDRESS_BURST", 5, minimum=1),
    "SITE_PER_MINUTE": env_int("GUEST_SIGNIN_SITE_PER_MINUTE", 120, minimum=1),
}

SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = env_str("SOCIAL_AUTH_GOOGLE_OAUTH2_KEY", "")
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = env_str("SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET", "")
GOOGLE_SIGNIN_ENABLED = bool(SOCIAL_AUTH_GOOGLE_OAUTH2_KEY and SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET)
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account or address is refused before its password is checked.
    "rooms.password_lockout.PasswordLockoutBackend",
    "social_core.backends.google.GoogleOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
# Render templates/social_django/error.html instead of raising, in debug too.
SOCIAL_AUTH_RAISE_EXCEPTIONS = False
# Google's stable account id ("sub"), not the e-mail address: the same account is the same user.
SOCIAL_AUTH_GOOGLE_OAUTH2_USE_UNIQUE_USER_ID = True
SOCIAL_AUTH_GOOGLE_OAUTH2_WHITELISTED_DOMAINS = env_list("GOOGLE_ALLOWED_DOMAINS")
SOCIAL_AUTH_PIPELINE = [
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "rooms.auth_pipeline.leave_the_guest_behind",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
    "rooms.auth_pipeline.save_google_profile",
    "rooms.auth_pipeline.sign_in_instead_of_the_guest",
]
LOGIN_URL = "/"

# Password sign-in (the admin's login form) is locked for an account, and for a client address,
# after LOGIN_FAILURE_LIMIT failures, for LOGIN_LOCKOUT_MINUTES (rooms/password_lockout.py).
# Counted in the database, so across processes; a successful sign-in clears the account's count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rooms.password_lockout.locked_out_response"
# Axes would also log every successful sign-in, a row per guest; failures are what it is for.
AXES_DISABLE_ACCESS_LOG = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- HTTP security ----------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "rooms.api.errors.csrf_failure"
# The SPA reads the token from GET /api/auth/csrf/, so the cookie itself can stay HttpOnly.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
# Database sessions that remember their row's expiry (rooms/sessions.py).
SESSION_ENGINE = "rooms.sessions"
# Lax: the session rides along on top-level navigation (the Google redirect back to us needs
# it) but not on cross-site POSTs or cross-site WebSocket handshakes. A front end on another
# *site* (not just another subdomain) needs "None", which browsers only honour over HTTPS.
SESSION_COOKIE_SAMESITE = env_str("SESSION_COOKIE_SAMESITE", "Lax")
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
if SESSION_COOKIE_SAMESITE not in ("Lax", "Strict", "None"):
    raise ImproperlyConfigured("SESSION_COOKIE_SAMESITE must be Lax, Strict or None.")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=60)

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    # TLS ends at the reverse proxy, which tells us the original scheme in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy on every page, in development too so a violation shows early: scripts,
# styles and connections from this origin only ('self' covers our own ws:/wss:), avatars also
# from Google, forms posting here or to Google's sign-in. Nothing inline anywhere: the React
# build, the admin and the API docs need none. tests/e2e/test_content_security_policy.py loads
# every screen under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https://*.googleusercontent.com"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF, "https://accounts.google.com"],
    }
}

# Who may read /metrics/ (Prometheus): client addresses or networks. Loopback by default, where
# Prometheus scrapes each Daphne process on a VM; the compose file adds its private network.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
FRONTEND_DIST_DIR = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST_DIR] if FRONTEND_DIST_DIR.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Vite already puts a content hash in every asset name; those may be cached for ever.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^.+/assets/.+-[0-9A-Za-z_-]{8,}\.[0-9a-z]+$"

# --- REST -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rooms.api.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rooms.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "rooms.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# /api/schema/ and /api/docs/ for anyone; otherwise for staff only (rooms/api/permissions.py).
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", default=DEBUG)
SPECTACULAR_SETTINGS = {
    "TITLE": "Rooms API",
    "DESCRIPTION": "Rooms, history and identity. WebSocket frames: docs/protocol.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Misc -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # Its start-up banner, at every manage.py command; lockouts are logged at WARNING.
        "axes.apps": {"level": "WARNING"},
    },
}
