"""The one place for the product's exceptions.

Each message is a single actionable line; ``cli.py`` prints it and picks the exit code.
"""


class GovmonError(Exception):
    """Base class: str(error) is what the user reads."""

    exit_code = 2


class InputError(GovmonError):
    """A report file or URL that cannot be used: empty, binary, unreadable, too large."""


class ConfigError(GovmonError):
    """An invalid sources.toml: the message names the file, the line and the key."""


class FetchError(GovmonError):
    """A portal that could not be fetched after the retries."""


class StateError(GovmonError):
    """The database is not there yet, or another govmon process holds it."""


class ReaderMissing(InputError):
    """A report in a format whose reader is not installed here (LibreOffice, the OCR engine): it is a
    report all the same, which staff are told in one Chinese line, never "not a report"."""
