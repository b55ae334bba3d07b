"""ferry: read a shipment straight off its drives.

    import ferry
    s = ferry.open(["/mnt/a", "/mnt/b", "/mnt/c"], key_file="ship.key")
    for e in s.files(prefix="train/"):
        data = s.read(e.path)

Any k of the N drives will do; with fewer than N present, bytes are rebuilt from parity.
Every byte returned was authenticated; a file read whole was checked against its SHA-256.
Errors are ferry.errors.Error and its subclasses.

A Shipment is safe to use from several threads (reads release the GIL), and it pickles:
the copy reopens the drives with the same credentials where it is first used, which is
how DataLoader workers get their own. A pickled Shipment holds the key file's path or the
passphrase as given to open(), never the data key; keep pickles as private as the key.
"""

import operator as _operator
import os as _os
import threading as _threading

from . import errors
from .errors import (Error, InvalidArgumentError, DriveIOError, CorruptionError,
                     WrongKeyError, UnsupportedError, NotEnoughDrivesError)
from ._ferry import Entry, sample_order

__all__ = ["open", "Shipment", "Entry", "sample_order", "Error", "InvalidArgumentError",
           "DriveIOError", "CorruptionError", "WrongKeyError", "UnsupportedError",
           "NotEnoughDrivesError", "errors"]

# Handles opened before a fork: the child must neither use nor destroy them (their
# threads and locks did not come along), so they are kept here, unused, for good.
_inherited = []


def _count(name, value, limit):
    """`value` as an int in [0, limit), else InvalidArgumentError naming `name`."""
    try:
        number = _operator.index(value)
    except TypeError:
        raise InvalidArgumentError(f"{name} is a whole number, not {type(value).__name__}") \
            from None
    if not 0 <= number < limit:
        raise InvalidArgumentError(f"{name} must be at least 0 and below {limit}, not {number}")
    return number


class Shipment:
    """An open shipment. Make one with ferry.open()."""

    def __init__(self, drives, key_file=None, passphrase=None, cache_bytes=256 << 20,
                 read_ahead_stripes=2):
        if key_file is None and passphrase is None:
            passphrase = _os.environ.get("FERRY_PASSPHRASE")
        if key_file is None and passphrase is None:
            raise InvalidArgumentError(
                "this needs the shipment's key: key_file=PATH or passphrase=..., "
                "or FERRY_PASSPHRASE in the environment")
        if isinstance(drives, (str, bytes, _os.PathLike)):
            raise InvalidArgumentError("drives is a list of folders, one for each drive")
        if passphrase is not None and not isinstance(passphrase, (str, bytes)):
            raise InvalidArgumentError("passphrase is a str")
        self._args = dict(drives=[_os.fspath(d) for d in drives],
                          key_file=None if key_file is None else _os.fspath(key_file),
                          passphrase=passphrase,
                          cache_bytes=_count("cache_bytes", cache_bytes, 1 << 64),
                          read_ahead_stripes=_count("read_ahead_stripes", read_ahead_stripes,
                                                    1 << 31))
        self._native = None
        self._pid = None
        self._lock = _threading.Lock()
        self._handle()  # open now, so that a wrong key or missing drives show here

    def _handle(self):
        """The native reader of this process, (re)opened after a fork or unpickling."""
        native = self._native
        if native is not None and self._pid == _os.getpid():
            return native
        with self._lock:
            if self._native is not None and self._pid == _os.getpid():
                return self._native
            if self._native is not None:
                _inherited.append(self._native)
            a = self._args
            key = None
            if a["key_file"] is not None:
                from ._ferry import read_key_file
                key = read_key_file(a["key_file"])
            from ._ferry import Shipment as _Native
            try:
                self._native = _Native.open(a["drives"], key, a["passphrase"],
                                            a["cache_bytes"], a["read_ahead_stripes"])
            except TypeError:
                # pybind11's message would repeat the arguments, the key among them.
                raise InvalidArgumentError(
                    "ferry.open(): drives must be folders, key_file a key file's path, "
                    "passphrase a str") from None
            self._pid = _os.getpid()
            return self._native

    def __getstate__(self):
        return dict(self._args)

    def __setstate__(self, state):
        self._args = state
        self._native = None
        self._pid = None
        self._lock = _threading.Lock()

    @property
    def drives(self):
        return list(self._args["drives"])

    @property
    def id(self):
        """The shipment id, 32 hex digits."""
        return self._handle().id

    @property
    def k(self):
        return self._handle().k

    @property
    def m(self):
        return self._handle().m

    @property
    def missing_slots(self):
        """Slots of the drives that were not given or could not be used."""
        return self._handle().missing_slots

    @property
    def warnings(self):
        """What opening met: drives ignored, damaged catalog copies."""
        return self._handle().warnings

    def stat(self, path):
        """The Entry at `path`, or None."""
        return self._handle().stat(path)

    def files(self, prefix=""):
        """Files at or below `prefix` ("train/" for a folder), in the order they lie on
        the drives. Entries have path, size, mtime_ns, mode, sha256 (hex) and id."""
        return [e for e in self._handle().list(prefix) if e.kind == "file"]

    def entries(self, prefix=""):
        """Every entry (files, folders, symlinks) at or below `prefix`."""
        return self._handle().list(prefix)

    def children(self, folder=""):
        """The entries directly inside `folder` ("" for the top)."""
        return self._handle().children(folder)

    def xattrs(self, path):
        """The extended attributes `path` had on the source, {name: bytes} (POSIX ACLs
        and file capabilities among them)."""
        return self._handle().xattrs(path)

    def read(self, path, offset=None, length=None):
        """The file at `path`, whole (checked against its SHA-256), or `length` bytes
        from `offset` (fewer at the end of the file)."""
        if offset is None and length is None:
            return self._handle().read(path)
        offset = 0 if offset is None else _count("offset", offset, 1 << 64)
        if length is None:
            entry = self._handle().stat(path)
            if entry is None:
                raise InvalidArgumentError(f"no such file in the shipment: {path}")
            return self._handle().read_entry(entry, offset)
        return self._handle().read_range(path, offset, _count("length", length, 1 << 64))

    def read_entry(self, entry, offset=0, length=None):
        """Bytes of the file `entry` (from files()), no look-up by path."""
        offset = _count("offset", offset, 1 << 64)
        if length is None:
            return self._handle().read_entry(entry, offset)
        return self._handle().read_entry(entry, offset, _count("length", length, 1 << 64))

    def stats(self):
        """The reader's counters in this process: bytes read from each drive (by slot),
        bytes_read (their sum), bytes_returned, units opened, stripes rebuilt, ..."""
        return self._handle().stats()

    def __repr__(self):
        return f"<ferry.Shipment {len(self._args['drives'])} drives>"


def open(drives, key_file=None, passphrase=None, cache_bytes=256 << 20, read_ahead_stripes=2):
    """Opens the shipment on `drives` (folders, any order, any k of the N).

    key_file: a key file made by `ferry keygen`; passphrase: the shipment's passphrase
    (FERRY_PASSPHRASE in the environment when neither is given). cache_bytes: decrypted
    data kept for reuse. Raises WrongKeyError, NotEnoughDrivesError, CorruptionError.
    """
    return Shipment(drives, key_file=key_file, passphrase=passphrase, cache_bytes=cache_bytes,
                    read_ahead_stripes=read_ahead_stripes)
