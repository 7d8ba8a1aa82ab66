"""The leased offline numbers on disk: never reused, one service day each, a damaged file refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from devices.kiosk.offline import BadLease, OfflineNumbers, OfflineStoreError, service_day


def _at(hall, day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=hall.tz).timestamp()


@pytest.fixture
def numbers(example_hall, tmp_path):
    return OfflineNumbers(tmp_path / "offline.json", example_hall, "K1")


def test_numbers_are_taken_in_order_and_marked_used_on_disk_first(numbers, example_hall, tmp_path):
    now = _at(example_hall, 23, 9)
    assert numbers.take("social", now) is None  # nothing leased yet
    assert numbers.add("social", "20261123", 950, 999)
    first = numbers.take("social", now)
    assert (first.service, first.number, first.day) == ("social", 950, "20261123")
    again = OfflineNumbers(tmp_path / "offline.json", example_hall, "K1")  # as after a power cut
    assert again.take("social", now).number == 951
    assert again.left("social", now) == 48


def test_arrival_times_increase_even_within_one_millisecond(numbers, example_hall):
    numbers.add("tax", "20261123", 950, 999)
    now = _at(example_hall, 23, 10)
    times = [numbers.take("tax", now).issued_at for _ in range(5)]
    assert times == sorted(set(times)) and times[-1] - times[0] == pytest.approx(0.004, abs=1e-5)


def test_a_block_is_for_one_service_day(numbers, example_hall):
    numbers.add("social", "20261123", 950, 999)
    assert numbers.left("social", _at(example_hall, 23, 23, 59)) == 50
    assert numbers.wants_lease("social", _at(example_hall, 23, 12)) is False
    next_day = _at(example_hall, 24, 0, 1)  # social resets at 00:00
    assert numbers.left("social", next_day) == 0 and numbers.wants_lease("social", next_day)
    assert numbers.take("social", next_day) is None
    assert numbers.blocks == []  # discarded, not just skipped
    numbers.add("social", "20261125", 950, 999)  # a day not begun yet: kept, not used
    assert numbers.left("social", next_day) == 0 and len(numbers.blocks) == 1
    assert service_day(_at(example_hall, 24, 0, 1), example_hall.services["social"], example_hall) == "20261124"


def test_a_service_that_never_resets_keeps_its_block(example_hall, tmp_path):
    import copy
    import tomllib

    from hall import config

    from .conftest import EXAMPLE_HALL

    raw = copy.deepcopy(tomllib.loads(EXAMPLE_HALL.read_text(encoding="utf-8")))
    raw["services"][0]["reset"] = "never"
    hall = config.parse(raw)
    numbers = OfflineNumbers(tmp_path / "n.json", hall, "K1")
    numbers.add("social", "20261123", 950, 999)
    assert numbers.left("social", _at(hall, 28, 9)) == 50


def test_leases_that_do_not_fit_are_refused_and_change_nothing(numbers, tmp_path):
    numbers.add("fund", "20261123", 950, 999)
    before = (tmp_path / "offline.json").read_bytes()
    assert numbers.add("fund", "20261123", 950, 999) is False  # the same reply twice
    for bad in [
        ("nope", "20261123", 1, 5),
        ("fund", "2026-11-23", 1, 5),
        ("fund", "20261123", 990, 1005),
        ("fund", "20261123", 940, 960),
        ("fund", "20261123", 10, 5),
        ("fund", "20261123", 1.5, 5),
    ]:
        with pytest.raises(BadLease):
            numbers.add(*bad)
    assert (tmp_path / "offline.json").read_bytes() == before
    assert len(numbers.blocks) == 1


def test_a_used_up_block_is_remembered_so_a_late_copy_is_not_issued_again(numbers, example_hall):
    now = _at(example_hall, 23, 9)
    numbers.add("business", "20261123", 998, 999)
    assert [numbers.take("business", now).number for _ in range(2)] == [998, 999]
    assert numbers.take("business", now) is None
    assert numbers.add("business", "20261123", 998, 999) is False
    assert numbers.take("business", now) is None


def test_a_damaged_file_is_refused_with_one_sentence(example_hall, tmp_path):
    path = tmp_path / "offline.json"
    for text in [
        "{not json",
        json.dumps({"version": 1, "kiosk": "K2", "last_issued_ms": 0, "blocks": []}),
        json.dumps(
            {
                "version": 1,
                "kiosk": "K1",
                "last_issued_ms": 0,
                "blocks": [{"service": "social", "day": "20261123", "first": 950, "last": 999, "next": 2000}],
            }
        ),
    ]:
        path.write_text(text)
        with pytest.raises(OfflineStoreError, match="is damaged"):
            OfflineNumbers(path, example_hall, "K1")
        assert path.read_text() == text
    with pytest.raises(OfflineStoreError, match="not a kiosk"):
        OfflineNumbers(path, example_hall, "E1")
