"""Our own pace toward each network, so a burst of ours never earns a 429.

Two buckets per publish: one per channel (one busy account cannot starve the others, and
stays under the network's per-account limit) and one per network for the whole app.
"""

from __future__ import annotations

from domain.platforms.base import Platform
from domain.ratelimit import BucketState, TokenBucket

# (burst, per minute) per channel; X allows 200 posts / 15 min / user, Threads 250 / day.
PER_CHANNEL: dict[Platform, tuple[int, float]] = {
    Platform.X: (20, 200 / 15),
    Platform.LINKEDIN: (10, 10),
    Platform.INSTAGRAM: (5, 50 / (24 * 60)),
    Platform.FACEBOOK: (20, 30),
    Platform.PINTEREST: (10, 10),
    Platform.MASTODON: (30, 30),
    Platform.BLUESKY: (30, 30),
    Platform.SANDBOX: (100, 6000),
}
PER_APP: dict[Platform, tuple[int, float]] = {platform: (10_000, 60_000) for platform in Platform}


async def take_publish_slot(platform: Platform, channel_id: int) -> BucketState:
    """Both buckets must have a token; the app bucket is only charged when the channel's is."""
    burst, per_minute = PER_CHANNEL[platform]
    channel_state = await TokenBucket("publish:channel", burst, per_minute).take(str(channel_id))
    if not channel_state.allowed:
        return channel_state
    burst, per_minute = PER_APP[platform]
    return await TokenBucket("publish:app", burst, per_minute).take(platform.value)


# Reads (metrics, audience): their own budget per channel in the same limiter, so polling
# never spends a channel's posting allowance; (burst, calls per minute).
READS_PER_CHANNEL: dict[Platform, tuple[int, float]] = {
    Platform.X: (15, 1),  # 15 lookups / 15 min / user
    Platform.LINKEDIN: (20, 20),
    Platform.INSTAGRAM: (50, 200 / 60),  # 200 calls / hour / account
    Platform.FACEBOOK: (50, 200 / 60),
    Platform.PINTEREST: (30, 100 / 60),
    Platform.MASTODON: (60, 300 / 5),  # 300 / 5 min
    Platform.BLUESKY: (60, 3000 / 5),
    Platform.SANDBOX: (1000, 60_000),
}


async def take_read_slot(platform: Platform, channel_id: int, cost: int = 1) -> BucketState:
    """One read call (one batch of posts) toward a channel."""
    burst, per_minute = READS_PER_CHANNEL[platform]
    return await TokenBucket("read:channel", burst, per_minute).take(str(channel_id), cost)
