"""DeepTrack2's ``deeptrack.utils``: small helpers about callables and lists that DeepTrack2 code
imports (``hasmethod``, ``as_list``, ``get_kwarg_names``, ``kwarg_has_default``, ``safe_call``), with
DeepTrack2 2.0.1's behaviour."""

import inspect

__all__ = ["hasmethod", "as_list", "get_kwarg_names", "kwarg_has_default", "safe_call"]


def hasmethod(obj, method_name):
    """Whether ``obj`` has an attribute ``method_name`` that is callable."""
    return callable(getattr(obj, method_name, None))


def as_list(obj):
    """``list(obj)`` when ``obj`` is iterable, else ``[obj]``."""
    try:
        return list(obj)
    except TypeError:
        return [obj]


def get_kwarg_names(function):
    """The names ``function`` accepts as keywords, as DeepTrack2 lists them: its keyword-only
    parameters when it takes ``*args`` (those before ``*args`` cannot be given by keyword alone),
    else its positional-or-keyword parameters. ``[]`` for what ``inspect`` cannot read."""
    try:
        spec = inspect.getfullargspec(function)
    except TypeError:
        return []
    names = spec.kwonlyargs if spec.varargs else spec.args
    return list(names or [])


def kwarg_has_default(function, argument):
    """Whether ``argument`` is one of :func:`get_kwarg_names`'s names of ``function`` and falls among
    the positional parameters with a default value (DeepTrack2 counts from the end of that list)."""
    names = get_kwarg_names(function)
    if argument not in names:
        return False
    defaults = inspect.getfullargspec(function).defaults or ()
    return len(names) - names.index(argument) <= len(defaults)


def safe_call(function, positional_args=(), **kwargs):
    """Calls ``function(*positional_args, **chosen)`` where ``chosen`` holds the items of ``kwargs``
    whose keys :func:`get_kwarg_names` lists for ``function``; the others are dropped."""
    names = get_kwarg_names(function)
    chosen = {name: kwargs[name] for name in names if name in kwargs}
    return function(*positional_args, **chosen)
