from __future__ import annotations

from pathlib import Path

from returns.result import Failure, Success

from cje_fp import sealed
from cje_fp.scoring._checkpoint import RowJournal, compact, read_rows
from tests.helpers.results import error_of, value_of


def test_rows_reach_the_file_before_close(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = RowJournal.open(path, id_field="id")
    journal.append({"id": "a", "value": 1})
    # no close, no fsync due yet: a killed process would still leave the row behind
    assert value_of(read_rows(path, id_field="id")).rows == {"a": {"id": "a", "value": 1}}
    journal.close()


def test_a_torn_last_line_is_cut_and_later_lines_supersede(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b'{"id":"a","v":1}\n{"id":"b","v":2}\n{"id":"a","v":3}\n{"id":"c","v"')
    read = value_of(read_rows(path, id_field="id"))
    assert read.rows == {"a": {"id": "a", "v": 3}, "b": {"id": "b", "v": 2}}
    assert read.superseded == 1 and read.torn_tail_bytes == len(b'{"id":"c","v"')
    assert path.read_bytes().endswith(b'{"id":"c","v"')  # reading never writes
    with RowJournal.open(path, id_field="id", keep_bytes=read.complete_bytes) as journal:
        journal.append({"id": "c", "v": 4})
    assert set(value_of(read_rows(path, id_field="id")).rows) == {"a", "b", "c"}


def test_a_bad_line_in_the_middle_is_corruption(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('{"id":"a"}\nnot json\n{"id":"b"}\n')
    corrupt = error_of(read_rows(path, id_field="id"))
    assert corrupt.line == 2 and "not JSON" in corrupt.reason
    path.write_text('{"id":"a"}\n{"other":"b"}\n')
    assert error_of(read_rows(path, id_field="id")).reason == "no string 'id'"


def test_compact_rewrites_atomically_in_the_given_order(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with RowJournal.open(path, id_field="id") as journal:
        for row_id in "abcab":
            journal.append({"id": row_id})
    compact(path, [{"id": "c"}, {"id": "a"}, {"id": "b"}])
    assert path.read_text() == '{"id":"c"}\n{"id":"a"}\n{"id":"b"}\n'
    assert not (tmp_path / "journal.jsonl.compacting").exists()


def test_a_missing_file_is_an_empty_journal(tmp_path: Path) -> None:
    match sealed(read_rows(tmp_path / "absent.jsonl", id_field="id")):
        case Success(read):
            assert read.rows == {} and read.torn_tail_bytes == 0
        case Failure(error):
            raise AssertionError(error)
