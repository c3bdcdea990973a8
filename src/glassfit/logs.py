"""Logging for workflow scripts: one log file per job, plus the console."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup(log_file: str | Path | None, name: str = "glassfit") -> logging.Logger:
    """A logger writing to ``log_file`` (created with its folder) and to stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers, force=True)
    logger = logging.getLogger(name)

    def log_uncaught(kind, value, tb):
        logger.error("job failed", exc_info=(kind, value, tb))

    sys.excepthook = log_uncaught  # a crash lands in the job's log file, not only on the console
    return logger
