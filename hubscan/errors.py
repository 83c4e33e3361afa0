"""What can go wrong for a user of the `hubscan` command, and the exit code each case gets.

One hierarchy for the CLI: every error a user can fix or a scheduler should alert on is a
`HubscanError` (or one of the product packages' own errors, mapped below), printed as one line by
`hubscan.cli.main` and turned into its exit code there, never a traceback:

| exit | meaning |
|---:|---|
| 0 | done (also: another crawl holds the lock; the output was piped into a reader that stopped early) |
| 1 | the crawl failed (the next crawl resumes it) |
| 2 | bad arguments, an unusable database, file or directory |
| 130 | interrupted (Ctrl-C) |

crawler/, store/ and reports/ raise their own errors (they know nothing of exit codes);
`product_error` maps them. It looks the classes up in `sys.modules`, so this module imports none of
them: an error of a module that was never imported cannot have been raised.
"""

from __future__ import annotations

import sys

USAGE = 2
CRAWL_FAILED = 1
INTERRUPTED = 130


class HubscanError(Exception):
    """A problem a user can act on, printed as `hubscan: <message>` with `exit_code`."""

    exit_code = USAGE


class UsageError(HubscanError):
    """A bad argument, option value or setting."""


class UnusablePath(HubscanError):
    """A file or directory that cannot be read or written as asked."""


class NotFound(HubscanError):
    """What was asked about is not in the database (a model id, a week)."""


class CrawlFailed(HubscanError):
    """The crawl itself failed (after its retries); what it stored is kept and the next crawl resumes."""

    exit_code = CRAWL_FAILED


class Interrupted(HubscanError):
    exit_code = INTERRUPTED


# (module, class, exit code, prefix for the message): the product packages' errors as the CLI reports them.
PRODUCT_ERRORS: tuple[tuple[str, str, int, str], ...] = (
    ("store.db", "DatabaseUnavailable", USAGE, ""),
    ("store.query", "QueryRefused", USAGE, "query refused: "),
    ("reports.runs", "ReportError", USAGE, ""),
    ("crawler.run", "CrawlError", CRAWL_FAILED, ""),
)


def product_error(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, message) for an error raised by crawler/, store/ or reports/; None for anything else."""
    for module_name, class_name, code, prefix in PRODUCT_ERRORS:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if cls is not None and isinstance(exc, cls):
            return code, prefix + one_line(exc)
    return None


def os_error(exc: OSError) -> str:
    """A file-system error as one line naming the path: `cannot write /proc/x: Permission denied`."""
    reason = exc.strerror or one_line(exc)
    if exc.filename is None:
        return reason
    where = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
    return f"{where}: {reason}"


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
