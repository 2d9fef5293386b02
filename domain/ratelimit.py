"""Token buckets in Redis: atomic, shared by every API process."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from domain.redis import get_redis

# KEYS[1] bucket; ARGV: capacity, refill per second, now (s, float), cost.
# Returns {allowed, tokens left (floor), seconds until full}.
_TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
local until_full = (capacity - tokens) / rate
redis.call('EXPIRE', KEYS[1], math.ceil(until_full) + 1)
return {allowed, math.floor(tokens), tostring(until_full)}
"""


@dataclass(frozen=True)
class BucketState:
    allowed: bool
    limit: int
    remaining: int
    reset_after_s: int
    retry_after_s: int


@dataclass(frozen=True)
class TokenBucket:
    """`capacity` tokens, refilled at `per_minute` a minute."""

    name: str
    capacity: int
    per_minute: float

    async def take(self, caller: str, cost: int = 1) -> BucketState:
        rate = self.per_minute / 60.0
        redis = get_redis()
        script = redis.register_script(_TOKEN_BUCKET)
        allowed, remaining, until_full = await script(
            keys=[f"kelola:ratelimit:{self.name}:{caller}"],
            args=[self.capacity, rate, time.time(), cost],
        )
        retry_after = 0 if allowed else math.ceil((cost - remaining) / rate)
        return BucketState(
            allowed=bool(allowed),
            limit=self.capacity,
            remaining=int(remaining),
            reset_after_s=math.ceil(float(until_full)),
            retry_after_s=retry_after,
        )
