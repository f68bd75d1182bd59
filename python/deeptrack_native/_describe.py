"""A pipeline's description for a dataset's metadata: the calls that built it, as JSON.

Each feature is ``{"feature": class name, "id": n, "args": [...], "kwargs": {...}}`` with its
constructor arguments (the ones pickling repeats); a feature met again is ``{"ref": n}``; a callable is
``{"callable": its qualified name, "source": its source line(s)}`` (as far as ``inspect`` finds it);
an array is its values (or its shape and dtype past 10,000 values). With the seed it says what was
rendered; the pickled pipeline (when it pickles) lets it be rendered again exactly.
"""

import base64
import inspect
import pickle

import numpy as np

_MAX_VALUES = 10_000


def describe(feature):
    """The JSON-ready description of ``feature`` and everything it was built from."""
    ids = {}
    return _describe(feature, ids)


def _describe(value, ids):
    from .features import Feature, Property

    if isinstance(value, Feature):
        if id(value) in ids:
            return {"ref": ids[id(value)]}
        ids[id(value)] = n = len(ids)
        args, kwargs = value.__dict__.get("_init_args", ((), {}))
        out = {"feature": type(value).__name__, "id": n}
        if value._kind is not None and value._kind != type(value).__name__:
            out["kind"] = value._kind
        out["args"] = [_describe(a, ids) for a in args]
        out["kwargs"] = {str(k): _describe(v, ids) for k, v in kwargs.items()}
        return out
    if isinstance(value, Property):
        return {"property": value.__dict__.get("key", repr(value)), "of": _describe(value.__dict__.get("feature"), ids)}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if isinstance(value, np.generic):
        return _describe(value.item(), ids)
    if isinstance(value, np.ndarray):
        if value.size > _MAX_VALUES:
            return {"array": {"shape": list(value.shape), "dtype": str(value.dtype)}}
        return {"array": _describe(value.tolist(), ids)}
    if isinstance(value, (list, tuple)):
        return [_describe(v, ids) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe(v, ids) for k, v in value.items()}
    if callable(value):
        out = {"callable": getattr(value, "__qualname__", type(value).__name__)}
        try:
            out["source"] = inspect.getsource(value).strip()
        except (OSError, TypeError):
            pass
        return out
    return {"repr": repr(value)}


def pickled(feature):
    """The pipeline pickled (base64 text), or None when it does not pickle (lambdas do not)."""
    try:
        return base64.b64encode(pickle.dumps(feature)).decode("ascii")
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - any failure to pickle means: not stored
        return None
