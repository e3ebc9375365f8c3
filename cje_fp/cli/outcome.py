"""The CLI's exit codes and problem printer (defined low, in ``cje_fp.errors._outcome``)."""

from cje_fp.errors._outcome import ExitCode, Problem, report

__all__ = ["ExitCode", "Problem", "report"]
