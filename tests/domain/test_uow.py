"""unit_of_work: one commit point; after-commit actions run once, after the outermost commit."""

from __future__ import annotations

import pytest

from domain.identity.models import User
from domain.uow import after_commit, unit_of_work


class Boom(Exception):
    pass


def recorder(log: list[str], name: str):
    async def action() -> None:
        # What a subscriber or job would see when the action runs.
        log.append(f"{name}:{await User.filter(email=f'{name}@example.com').exists()}")

    return action


async def make_user(name: str) -> None:
    await User.create(email=f"{name}@example.com", name=name, password_hash="x")


async def test_after_commit_outside_a_unit_is_refused():
    async def action() -> None:
        pass

    with pytest.raises(RuntimeError, match="outside unit_of_work"):
        after_commit(action)


async def test_actions_run_after_commit_in_order():
    log: list[str] = []
    async with unit_of_work():
        await make_user("first")
        after_commit(recorder(log, "first"))
        after_commit(recorder(log, "second"))
        assert log == []
    assert log == ["first:True", "second:False"]


async def test_rollback_drops_actions_and_data():
    log: list[str] = []
    with pytest.raises(Boom):
        async with unit_of_work():
            await make_user("gone")
            after_commit(recorder(log, "gone"))
            raise Boom
    assert log == []
    assert not await User.filter(email="gone@example.com").exists()


async def test_nested_units_wait_for_the_outermost_commit():
    log: list[str] = []
    async with unit_of_work():
        async with unit_of_work():
            await make_user("inner")
            after_commit(recorder(log, "inner"))
        assert log == []  # the inner unit does not commit
        after_commit(recorder(log, "outer"))
    assert log == ["inner:True", "outer:False"]


async def test_outer_rollback_drops_the_inner_actions():
    log: list[str] = []
    with pytest.raises(Boom):
        async with unit_of_work():
            async with unit_of_work():
                await make_user("inner")
                after_commit(recorder(log, "inner"))
            raise Boom
    assert log == []
    assert not await User.filter(email="inner@example.com").exists()


async def test_a_rolled_back_inner_unit_drops_its_actions_only():
    log: list[str] = []
    async with unit_of_work():
        await make_user("kept")
        after_commit(recorder(log, "kept"))
        with pytest.raises(Boom):
            async with unit_of_work():
                await make_user("undone")
                after_commit(recorder(log, "undone"))
                raise Boom
    # The savepoint rolled the inner row back; its event must not announce it.
    assert not await User.filter(email="undone@example.com").exists()
    assert log == ["kept:True"]


async def test_a_failing_action_does_not_stop_the_others(caplog):
    log: list[str] = []

    async def broken() -> None:
        raise RuntimeError("redis is down")

    async with unit_of_work():
        after_commit(broken)
        after_commit(recorder(log, "after"))
    assert log == ["after:False"]
    assert "after-commit action failed" in caplog.text


async def test_units_after_a_unit_start_fresh():
    log: list[str] = []
    async with unit_of_work():
        after_commit(recorder(log, "one"))
    async with unit_of_work():
        pass
    assert log == ["one:False"]
    with pytest.raises(RuntimeError):
        after_commit(recorder(log, "late"))
