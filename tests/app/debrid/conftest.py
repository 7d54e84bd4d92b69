"""Fixtures for the debrid tests: a loopback Real-Debrid and a client whose waits are counted,
not slept."""

from __future__ import annotations

import pytest

from app.debrid.realdebrid import RealDebridClient
from tests.support import realdebrid


class FakeTime:
    """A clock and a sleep for the client: sleeping records the wait and moves the clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def rd():
    with realdebrid.serve() as service:
        yield service


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_client(rd, fake_time: FakeTime, **kwargs) -> RealDebridClient:
    return RealDebridClient(
        kwargs.pop("token", realdebrid.TOKEN),
        api_url=rd.api_url,
        oauth_url=rd.oauth_url,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        **kwargs,
    )
