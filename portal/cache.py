"""The Redis cache, degraded to « no cache » while Redis is unreachable.

Every page reads the cache (host → collectivité, sessions, unread counts, rate limits): with
Django's RedisCache a stopped Redis turned each of them into a 500. Here a Redis error is
logged and answered as a miss (reads) or ignored (writes); callers already fall back to the
database on a miss. Short socket timeouts (settings.CACHES OPTIONS) bound the wait.
"""

from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _degraded(default):
    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                logger.warning("Cache unavailable (%s): %s skipped", error, method.__name__)
                return default(args, kwargs) if callable(default) else default

        return wrapper

    return decorator


def _default_arg(args, kwargs):
    # get(key, default): the caller's default, as on a miss.
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _no_counter(args, kwargs):
    # django-ratelimit (and Django's own contract) expect ValueError for a missing key.
    raise ValueError("cache unavailable")


class ResilientRedisCacheClient(RedisCacheClient):
    get = _degraded(_default_arg)(RedisCacheClient.get)
    get_many = _degraded({})(RedisCacheClient.get_many)
    has_key = _degraded(False)(RedisCacheClient.has_key)
    set = _degraded(None)(RedisCacheClient.set)
    set_many = _degraded([])(RedisCacheClient.set_many)
    add = _degraded(False)(RedisCacheClient.add)
    touch = _degraded(False)(RedisCacheClient.touch)
    delete = _degraded(False)(RedisCacheClient.delete)
    delete_many = _degraded(None)(RedisCacheClient.delete_many)
    clear = _degraded(False)(RedisCacheClient.clear)
    incr = _degraded(_no_counter)(RedisCacheClient.incr)


class ResilientRedisCache(RedisCache):
    """Django's RedisCache whose failures degrade to a miss instead of an exception."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
