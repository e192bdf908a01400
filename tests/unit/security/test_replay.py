"""Replay window and clock-skew check: pure, with a pluggable mapping for persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security import ClockSkewRejected, RejectReason, ReplayWindow, check_clock_skew, replay_key

NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
S = timedelta(seconds=1)


def test_first_sight_then_replay() -> None:
    window = ReplayWindow(600)
    assert not window.seen_before("e1", NOW, NOW)
    assert window.seen_before("e1", NOW, NOW + 10 * S)
    assert not window.seen_before("e2", NOW, NOW + 10 * S)
    assert len(window) == 2


def test_ids_are_forgotten_after_the_window() -> None:
    store: dict[str, float] = {}
    window = ReplayWindow(600, store)
    window.seen_before("old", NOW, NOW)
    window.seen_before("new", NOW + 300 * S, NOW + 300 * S)
    assert window.evict(NOW + 601 * S) == 1
    assert set(store) == {"new"}


def test_event_older_than_window_counts_as_seen() -> None:
    """Its id may already have been evicted, so it cannot be proven new (fail closed)."""
    window = ReplayWindow(600)
    assert window.seen_before("never-seen", NOW - 601 * S, NOW)
    assert len(window) == 0


def test_store_is_the_memory_and_survives_restart() -> None:
    store: dict[str, float] = {}
    ReplayWindow(600, store).seen_before("e1", NOW, NOW)
    restarted = ReplayWindow(600, store)  # e.g. a Faust table recovered from its changelog
    assert restarted.seen_before("e1", NOW, NOW + 5 * S)
    assert restarted.evict(NOW + 700 * S) == 1
    assert store == {}


def test_future_dated_event_is_remembered_until_its_time_leaves_the_window() -> None:
    window = ReplayWindow(600)
    future = NOW + 120 * S
    assert not window.seen_before("f", future, NOW)
    assert window.seen_before("f", future, NOW + 650 * S)  # would be evicted if keyed by now


@given(
    times=st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=40),
    window_s=st.integers(min_value=1, max_value=900),
)
def test_matches_a_naive_model(times: list[int], window_s: int) -> None:
    """Same answers as 'remember everything forever, compare times' within the window."""
    window = ReplayWindow(window_s)
    first_seen: dict[str, int] = {}
    clock = 0
    for i, t in enumerate(times):
        clock = max(clock, t)
        event_id = f"e{i % 5}"
        got = window.seen_before(event_id, NOW + t * S, NOW + clock * S)
        horizon = clock - window_s
        previous = first_seen.get(event_id)
        expected = t < horizon or (previous is not None and previous >= horizon)
        assert got == expected
        if not got:
            first_seen[event_id] = t if previous is None or previous < horizon else previous
    assert all(v >= 0 for v in first_seen.values())


def test_replay_key_is_unambiguous() -> None:
    assert replay_key("ab", "c") != replay_key("a", "bc")
    assert replay_key("a:1", "x") != replay_key("a", "1x")


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ReplayWindow(0)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ReplayWindow(10).seen_before("e", NOW.replace(tzinfo=None), NOW)


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_clock_skew_within_limit(offset: int) -> None:
    check_clock_skew(NOW + offset * S, NOW, 300)


@pytest.mark.parametrize(("offset", "side"), [(-301, "behind"), (301, "ahead of")])
def test_clock_skew_beyond_limit(offset: int, side: str) -> None:
    with pytest.raises(ClockSkewRejected) as info:
        check_clock_skew(NOW + offset * S, NOW, 300)
    assert info.value.reason is RejectReason.CLOCK_SKEW
    assert f"301.0 s {side}" in info.value.detail
