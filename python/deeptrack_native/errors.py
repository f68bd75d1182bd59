"""Exceptions raised for the library's error statuses.

Every library error is a :class:`DeepTrackError` carrying the library's message (which names the
feature and property at fault) and its status. Each status also derives from the matching built-in
exception, so ``except ValueError`` catches an invalid argument as usual.
"""


class DeepTrackError(Exception):
    """An error reported by libdeeptrack.

    Attributes:
        status: the numeric status code (``DEEPTRACK_STATUS_*`` of the C header).
        status_name: its name, e.g. ``"DEEPTRACK_STATUS_INVALID_ARGUMENT"``.
        message: the library's message, e.g. ``"property 'sigma' of feature 'Gaussian': ..."``.
    """

    def __init__(self, status, status_name, message):
        super().__init__(message)
        self.status = status
        self.status_name = status_name
        self.message = message

    def __reduce__(self):
        # Pickles (e.g. from a batch worker process) with its status, message and notes.
        return (type(self), (self.status, self.status_name, self.message), self.__dict__)


class InvalidArgumentError(DeepTrackError, ValueError):
    """A value outside its domain (NaN, a negative size, a bad shape, ...)."""


class IndexOutOfRangeError(InvalidArgumentError, IndexError):
    """An index beyond what it indexes (``DEEPTRACK_STATUS_OUT_OF_RANGE``), e.g. ``OneOf``'s ``key``
    beyond its collection: an ``IndexError``, as in DeepTrack2."""


class TypeMismatchError(DeepTrackError, TypeError):
    """A value of the wrong kind (a string where a number is expected, ...)."""


class NotFoundError(DeepTrackError, KeyError):
    """An unknown feature kind, property or key: a ``KeyError`` (a ``LookupError``), as DeepTrack2
    raises for a key missing from a ``OneOfDict`` or a property dict."""

    # KeyError quotes its message in str(); the library's messages read as sentences.
    __str__ = Exception.__str__


class CycleError(DeepTrackError, ValueError):
    """Properties that depend on each other in a cycle."""


class CallbackError(DeepTrackError, RuntimeError):
    """A callback failed without a Python exception to re-raise."""


class BusyError(DeepTrackError, RuntimeError):
    """A pipeline re-entered from one of its own callbacks."""


class OutOfMemoryError(DeepTrackError, MemoryError):
    """A size that cannot be allocated."""


class PanicError(DeepTrackError, RuntimeError):
    """An internal error of the library (a bug: please report it)."""


_BY_STATUS = {
    1: InvalidArgumentError,  # NULL_ARGUMENT: only reachable through a bug of this package
    2: InvalidArgumentError,
    3: InvalidArgumentError,  # INVALID_UTF8
    4: TypeMismatchError,
    5: NotFoundError,
    6: IndexOutOfRangeError,  # OUT_OF_RANGE
    8: CycleError,
    9: CallbackError,
    11: OutOfMemoryError,
    12: BusyError,
    13: PanicError,
}


def error_class(status):
    """The exception class for a status code."""
    return _BY_STATUS.get(status, DeepTrackError)
