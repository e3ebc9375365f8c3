"""Helpers shared by the tests, in one place: results, paths, the CLI, JSONL and scoring inputs."""

from tests.helpers._cli import run_cli as run_cli
from tests.helpers._jsonl import logged_row as logged_row, write_lines as write_lines
from tests.helpers._paths import ARENA as ARENA, ROOT as ROOT, arena_file as arena_file
from tests.helpers._results import error_of as error_of, value_of as value_of

__all__ = ["ARENA", "ROOT", "arena_file", "error_of", "logged_row", "run_cli", "value_of", "write_lines"]
