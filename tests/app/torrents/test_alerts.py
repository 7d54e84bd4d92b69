"""The alert router: a failing handler costs nothing but its own alert."""

from __future__ import annotations

import libtorrent as lt

from app.torrents.alerts import AlertRouter
from tests.support.swarm import MiB


class First:
    pass


class Second:
    pass


def test_each_alert_reaches_its_handlers_even_when_one_fails(caplog):
    router = AlertRouter()
    seen = []

    def boom(alert):
        raise ValueError("broken handler")

    router.register(First, boom)
    router.register(First, lambda alert: seen.append(("first", alert)))
    router.register(Second, lambda alert: seen.append(("second", alert)))
    a, b, c = First(), Second(), First()
    router.dispatch([a, b, c, object()])
    assert seen == [("first", a), ("second", b), ("first", c)]
    assert caplog.text.count("Handling First failed") == 2 and "broken handler" in caplog.text


def test_a_broken_handler_does_not_cost_a_reader_its_pieces(make_service, make_seeder):
    service = make_service()

    def boom(alert):
        raise RuntimeError("a handler registered by someone else fails")

    # before the router, the first exception ended the batch: the alerts after it were lost
    service.alerts.register(lt.read_piece_alert, boom)
    service.alerts.register(lt.piece_finished_alert, boom)
    seeder = make_seeder({"Movie/m.mkv": 2 * MiB})
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        assert reader.read() == seeder.data("Movie/m.mkv")
