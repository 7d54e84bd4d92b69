"""The notifier: a burst of changes is one batch to every target, failing targets do not
hold up the others, tokens come from the keyring, results are kept per target.

Time is a FakeClock (tests/support/clock.py): the debounce is played, never waited for.
"""

from __future__ import annotations

import asyncio
import json
import sys

from app.notify.notifier import MAX_WAIT, Notifier
from app.notify.targets import token_key
from app.secrets import Secrets
from app.settings import NotifySettings, NotifyTarget
from app.share.live import LiveTree
from app.share.tree import FileSpec, ShareTree
from tests.app.share.test_tree import assign
from tests.support.clock import FakeClock
from tests.support.loopback import free_port
from tests.support.media_servers import serve

MOUNT = {"path_from": "/", "path_to": "/mnt/reelbox"}


def movies(*titles: str) -> ShareTree:
    return ShareTree.from_files(
        FileSpec(f"Movies/{t}/{t}.mkv", 100, 0.0, "a" * 40, n, n) for n, t in enumerate(titles, 1)
    )


def keyring_tokens(**tokens: str):
    secrets = Secrets()
    for name, token in tokens.items():
        secrets.set(token_key(name), token)
    return lambda name: secrets.get(token_key(name))


def test_a_burst_of_five_changes_is_one_notification_to_every_target(tmp_path):
    out = tmp_path / "calls.jsonl"
    script = tmp_path / "record.py"
    script.write_text(
        f"import json, sys\nopen({str(out)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )

    async def scenario(jellyfin, emby, plex):
        clock = FakeClock()
        targets = (
            NotifyTarget("jf", "jellyfin", url=jellyfin.url, **MOUNT),
            NotifyTarget("emby", "emby", url=emby.url, **MOUNT),
            NotifyTarget("plex", "plex", url=plex.url, **MOUNT),
            NotifyTarget("cmd", "command", command=f'"{sys.executable}" "{script}"'),
        )
        tokens = keyring_tokens(jf="jf-token", emby="emby-token", plex="plex-token")
        notifier = Notifier(NotifySettings(2.0, targets), tokens, clock=clock)
        notifier.tree_changed(movies())  # what the servers already see
        titles: list[str] = []
        for n in range(5):  # five assignments, a second apart: under the 2 s debounce
            titles.append(f"Film {n} (2000)")
            notifier.tree_changed(movies(*titles))
            await clock.advance(1.0)
        await notifier.settled()
        assert jellyfin.requests == [] and emby.requests == [] and plex.requests == []
        await clock.advance(1.0)  # 2 s after the last change
        await notifier.settled()
        await clock.advance(60.0)  # nothing more is due
        await notifier.settled()
        await notifier.aclose()
        return notifier.report()

    with serve("jellyfin") as jellyfin, serve("emby") as emby, serve("plex") as plex:
        reports = asyncio.run(scenario(jellyfin, emby, plex))
    expected = [f"/Movies/Film {n} (2000)" for n in range(5)]
    mounted = ["/mnt/reelbox" + p for p in expected]
    (jf_call,) = jellyfin.requests
    assert jf_call.headers["authorization"] == 'MediaBrowser Token="jf-token"'
    assert [u["Path"] for u in jf_call.json()["Updates"]] == mounted
    assert {u["UpdateType"] for u in jf_call.json()["Updates"]} == {"Created"}
    (emby_call,) = emby.requests
    assert emby_call.headers["x-emby-token"] == "emby-token"
    assert len(plex.of("GET", "/library/sections")) == 1
    assert [r.query["path"][0] for r in plex.requests[1:]] == mounted
    assert [json.loads(line) for line in out.read_text().splitlines()] == [expected]
    for report in reports:
        (delivery,) = report.history
        assert (delivery.reason, delivery.outcome, delivery.error) == ("change", "ok", None)
        assert list(delivery.paths) == expected


def test_failing_targets_never_block_the_others_and_each_result_is_kept():
    async def scenario(good, broken):
        clock = FakeClock()
        targets = (
            NotifyTarget("refused", "jellyfin", url=f"http://127.0.0.1:{free_port()}"),
            NotifyTarget("broken", "emby", url=broken.url),
            NotifyTarget("good", "jellyfin", url=good.url),
        )
        notifier = Notifier(NotifySettings(2.0, targets), keyring_tokens(), clock=clock)
        notifier.tree_changed(movies())
        notifier.tree_changed(movies("Heat (1995)"))
        await clock.advance(2.0)
        await notifier.settled()
        notifier.tree_changed(movies("Heat (1995)", "Alien (1979)"))
        await clock.advance(2.0)
        await notifier.settled()
        await notifier.aclose()
        return {r.target.name: r.history for r in notifier.report()}

    with serve("jellyfin") as good, serve("emby") as broken:
        broken.status = 500
        history = asyncio.run(scenario(good, broken))
    assert [r.json()["Updates"][0]["Path"] for r in good.requests] == [
        "/Movies/Heat (1995)",
        "/Movies/Alien (1979)",
    ]
    assert len(broken.requests) == 2
    assert [d.outcome for d in history["good"]] == ["ok", "ok"]
    assert history["good"][0].paths == ("/Movies/Alien (1979)",)  # newest first
    assert [d.outcome for d in history["broken"]] == ["error", "error"]
    assert "HTTP 500" in history["broken"][0].error
    assert "cannot reach" in history["refused"][0].error
    assert "Authorization" not in good.requests[0].headers  # no token in the keyring: none sent


def test_a_change_that_never_pauses_is_still_reported_after_max_wait():
    async def scenario(jellyfin):
        clock = FakeClock()
        target = NotifyTarget("jf", "jellyfin", url=jellyfin.url)
        notifier = Notifier(NotifySettings(2.0, (target,)), keyring_tokens(), clock=clock)
        notifier.tree_changed(movies())
        titles = []
        steps = int(MAX_WAIT) + 5  # a change every second, for longer than MAX_WAIT
        for n in range(steps):
            titles.append(f"Film {n} (2000)")
            notifier.tree_changed(movies(*titles))
            await clock.advance(1.0)
            await notifier.settled()
        await clock.advance(5.0)
        await notifier.settled()
        await notifier.aclose()
        return steps

    with serve("jellyfin") as jellyfin:
        steps = asyncio.run(scenario(jellyfin))
    sent = [[u["Path"] for u in r.json()["Updates"]] for r in jellyfin.requests]
    assert len(sent) == 2  # one at MAX_WAIT, the rest once the changes pause
    assert len(sent[0]) == int(MAX_WAIT)  # the changes of seconds 0 to MAX_WAIT - 1
    assert sorted(sent[0] + sent[1]) == sorted(f"/Movies/Film {n} (2000)" for n in range(steps))


def test_the_share_trees_changes_reach_the_servers(library):
    """The real path: library writes -> LiveTree rebuilds -> its listener -> the notifier."""

    async def scenario(jellyfin):
        clock = FakeClock()
        target = NotifyTarget("jf", "jellyfin", url=jellyfin.url, **MOUNT)
        notifier = Notifier(NotifySettings(2.0, (target,)), keyring_tokens(jf="t"), clock=clock)
        live = LiveTree(library.active_entries)
        live.add_listener(notifier.tree_changed)
        heat = library.add_movie("Heat", 1995)
        show = library.add_show("Severance", 2022, seasons={1: 2})
        episodes = library.episodes(library.seasons(show.id)[0].id)
        for kind, item in (("movie", heat.id), ("episode", episodes[0].id)):
            assign(library, kind, item)
            live.rebuild()
            await clock.advance(0.5)
        await clock.advance(2.0)
        await notifier.settled()
        library.deactivate(library.active_assignment("movie", heat.id).id)
        live.rebuild()
        await clock.advance(2.0)
        await notifier.settled()
        await notifier.aclose()

    with serve("jellyfin") as jellyfin:
        asyncio.run(scenario(jellyfin))
    assert [r.json()["Updates"] for r in jellyfin.requests] == [
        [
            {"Path": "/mnt/reelbox/Movies/Heat (1995)", "UpdateType": "Created"},
            {"Path": "/mnt/reelbox/TV Shows/Severance (2022)", "UpdateType": "Created"},
        ],
        [{"Path": "/mnt/reelbox/Movies/Heat (1995)", "UpdateType": "Deleted"}],
    ]


def test_a_test_notification_sends_the_top_folders_and_is_recorded():
    async def scenario(plex):
        target = NotifyTarget("plex", "plex", url=plex.url, **MOUNT)
        notifier = Notifier(
            NotifySettings(2.0, (target,)), keyring_tokens(plex="p"), clock=FakeClock()
        )
        result = await notifier.test("plex")
        unsaved = await notifier.test_unsaved(
            NotifyTarget("other", "plex", url=plex.url, path_to="/nowhere"), "p"
        )
        await notifier.aclose()
        return result, unsaved, notifier.report()

    with serve("plex") as plex:
        result, unsaved, (report,) = asyncio.run(scenario(plex))
    assert (result.reason, result.outcome) == ("test", "ok")
    assert result.summary == "2 folders refreshed"
    assert report.history == (result,)  # the unsaved target's test is not kept
    assert unsaved.outcome == "error" and "no Plex library holds" in unsaved.error
