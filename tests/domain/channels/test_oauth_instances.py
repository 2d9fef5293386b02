"""Checking the Mastodon instance URL a member typed before Kelola sends anything there."""

import pytest

from domain.channels.instances import check_instance_url
from domain.errors import DomainError


def resolver(addresses):
    async def resolve(host, port):
        if addresses is None:
            raise OSError("name does not resolve")
        return addresses

    return resolve


PUBLIC = resolver(["203.0.114.10", "2a01:4f8::1"])  # documentation-free public ranges


async def code_of(url, *, production=True, resolve=PUBLIC):
    with pytest.raises(DomainError) as raised:
        await check_instance_url(url, production=production, resolver=resolve)
    [problem] = raised.value.problems
    assert problem.field == "mastodon.instanceUrl"
    return problem.code.value, problem.message


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("https://mastodon.social/@kopi", "https://mastodon.social"),
        ("  https://fosstodon.org:8443  ", "https://fosstodon.org:8443"),
    ],
)
async def test_public_instances_are_normalised(typed, normal):
    assert await check_instance_url(typed, production=True, resolver=PUBLIC) == normal


async def test_only_https_without_credentials():
    assert (await code_of("http://mastodon.social"))[0] == "INVALID"
    assert "https" in (await code_of("ftp://mastodon.social"))[1]
    assert (await code_of("https://me:pw@mastodon.social"))[0] == "INVALID"
    assert (await code_of("https://bad host"))[0] == "INVALID"
    assert (await code_of(""))[0] == "REQUIRED"
    assert (await code_of("https://" + "a" * 300 + ".social"))[0] == "INVALID"
    # https is required in dev and test as well: tokens never travel in clear.
    assert (await code_of("http://localhost:3000", production=False))[0] == "INVALID"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1",
        "https://10.0.0.7",
        "https://192.168.1.20:8443",
        "https://169.254.169.254",
        "https://[::1]",
        "https://[fd00::1]",
        "https://0.0.0.0",
        "https://localhost",
        "https://mastodon.localhost",
        "https://printer.local",
        "https://intranet",
        "https://db.internal",
    ],
)
async def test_private_and_loopback_hosts_are_refused_in_production(url):
    code, message = await code_of(url)
    assert code == "INVALID" and "public" in message


async def test_names_resolving_to_private_addresses_are_refused_in_production():
    assert (await code_of("https://sneaky.example", resolve=resolver(["10.1.2.3"])))[0] == (
        "INVALID"
    )
    mixed = resolver(["203.0.114.10", "127.0.0.1"])
    assert (await code_of("https://sneaky.example", resolve=mixed))[0] == "INVALID"
    code, message = await code_of("https://nowhere.example", resolve=resolver(None))
    assert code == "INVALID" and "resolve" in message


async def test_dev_and_test_allow_local_instances():
    local = await check_instance_url(
        "https://localhost:3000", production=False, resolver=resolver(None)
    )
    assert local == "https://localhost:3000"
    assert await check_instance_url("https://[::1]", production=False) == "https://[::1]"
