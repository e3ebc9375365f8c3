"""``fewer_collections``: relaxed while cells are in flight, restored exactly afterwards."""

from __future__ import annotations

import gc
import threading

from cje_fp.scoring._collections import YOUNG_THRESHOLD, fewer_collections


def test_nested_and_concurrent_blocks_restore_the_settings_once_the_last_ends() -> None:
    before = gc.get_threshold()
    inside = threading.Event()
    release = threading.Event()

    def other_thread() -> None:
        with fewer_collections():
            inside.set()
            release.wait(5.0)

    thread = threading.Thread(target=other_thread)
    with fewer_collections():
        thread.start()
        assert inside.wait(5.0)
        with fewer_collections():
            assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)  # the other block still runs
    assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
    release.set()
    thread.join()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_cycle_made_inside_is_still_collected() -> None:
    class Node:
        other: object = None

    with fewer_collections():
        first, second = Node(), Node()
        first.other, second.other = second, first
        del first, second
    gc.collect()
    assert not any(isinstance(obj, Node) for obj in gc.get_objects())


def test_automatic_collection_turned_off_stays_off() -> None:
    before = gc.get_threshold()
    gc.set_threshold(0)
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)
