"""The command line's logging: the library only logs; the CLI decides what is shown.

The library logs through ``logging.getLogger("cje_fp....")`` (retries, refusals,
resumes) and adds no handler. The CLI attaches one handler on stderr to the
``cje_fp`` logger: WARNING by default, DEBUG with ``--verbose``, ERROR with ``--quiet``.

>>> import logging
>>> level_for(verbose=True, quiet=False) == logging.DEBUG
True
>>> level_for(verbose=False, quiet=True) == logging.ERROR
True
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

LIBRARY_LOGGER: Final = "cje_fp"
FORMAT: Final = "cje-fp %(levelname)s %(name)s: %(message)s"


def level_for(*, verbose: bool, quiet: bool) -> int:
    """The level the flags ask for (``--quiet`` wins over ``--verbose``)."""
    if quiet:
        return logging.ERROR
    if verbose:
        return logging.DEBUG
    return logging.WARNING


def configure_logging(*, verbose: bool, quiet: bool) -> logging.Handler:
    """Show the library's log records at the flags' level on stderr; return the handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    library = logging.getLogger(LIBRARY_LOGGER)
    library.addHandler(handler)
    library.setLevel(level_for(verbose=verbose, quiet=quiet))
    library.propagate = False
    return handler


@contextmanager
def restored_logging() -> Iterator[None]:
    """Give the ``cje_fp`` logger back as it was (handlers, level, propagation) when the block ends.

    ``main`` runs inside it, so calling the CLI in-process (tests, notebooks) leaves no handler
    behind and does not stop the library's records from reaching the caller's logging.

    >>> library = logging.getLogger(LIBRARY_LOGGER)
    >>> with restored_logging():
    ...     _ = configure_logging(verbose=False, quiet=False)
    >>> library.propagate, library.handlers
    (True, [])
    """
    library = logging.getLogger(LIBRARY_LOGGER)
    handlers, level, propagate = list(library.handlers), library.level, library.propagate
    try:
        yield
    finally:
        for handler in library.handlers:
            if handler not in handlers:
                library.removeHandler(handler)
        library.setLevel(level)
        library.propagate = propagate
