"""The exceptions ferry raises: one class per kind of ferry's C++ Error.

Every class takes a single message, so an error raised in a DataLoader worker is raised
again, with its class, in the main process.
"""


class Error(Exception):
    """Base of every error ferry raises."""
    kind = "error"


class InvalidArgumentError(Error, ValueError):
    """The call asked for something impossible (a bad option, an unknown path)."""
    kind = "invalid_argument"


class DriveIOError(Error, OSError):
    """The operating system refused to read a drive file."""
    kind = "io"


class CorruptionError(Error):
    """Bytes on the drives are not what ferry wrote and could not be read around."""
    kind = "corruption"


class WrongKeyError(Error):
    """The key or passphrase does not open this shipment."""
    kind = "wrong_key"


class UnsupportedError(Error):
    """A format version this build does not know."""
    kind = "unsupported"


class NotEnoughDrivesError(Error):
    """Fewer drives than the data needs: attach more."""
    kind = "not_enough_drives"
