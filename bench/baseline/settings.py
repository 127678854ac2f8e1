"""Settings for the baseline: the Channels tutorial chat, nothing else. No auth, no database,
no middleware; the same Redis as Rooms through the pub/sub layer (the stock layer that does
best on this fan-out, docs/channel-layer.md). BASELINE_LAYER=core switches to the core layer."""

import os
import uuid

SECRET_KEY = "benchmark-baseline-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
ROOT_URLCONF = "bench.baseline.urls"
ASGI_APPLICATION = "bench.baseline.asgi.application"
DATABASES = {}
USE_TZ = True

_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_prefix = f"baseline{uuid.uuid4().hex[:6]}"
if os.environ.get("BASELINE_LAYER", "pubsub") == "core":
    _layer = {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [_redis], "prefix": _prefix}}
else:
    _layer = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [_redis], "prefix": _prefix},
    }
CHANNEL_LAYERS = {"default": _layer}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
