"""The thin layer over the C ABI: owned handles, status checks, value and image conversion, callbacks.

Ownership: every owned library handle is held by exactly one :class:`Owned`, which frees it when
collected. Borrowed pointers (property dicts, values inside dicts) are read immediately or kept
together with the ``Owned`` that keeps them alive.
"""

import atexit
import ctypes
import inspect
import itertools
import threading
import weakref
from ctypes import byref, c_bool, c_char_p, c_double, c_int64, c_size_t, c_ssize_t, c_uint32, c_void_p

import numpy as np

from . import _lib, _objects, units
from ._lib import lib
from .errors import error_class
from .image import Image, PropertyDict

_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_MAX_NDIM = 32


# -- errors -------------------------------------------------------------------------------------------

_tls = threading.local()


def _set_pending(exc):
    _tls.pending = exc


def _take_pending():
    exc = getattr(_tls, "pending", None)
    _tls.pending = None
    return exc


def raise_for(status):
    """Raises the exception for a non-OK status: the Python exception a callback raised during the
    call on this thread (re-raised as is), or the library's error with its message.

    Python callbacks run on the thread that called the library (``Feature.resolve_batch`` renders
    pipelines holding Python callables on the calling thread), so each thread finds its own
    callback's exception here, whatever other threads are doing."""
    pending = _take_pending()
    message = _lib.last_error_message()
    if pending is not None:
        if hasattr(pending, "add_note"):
            pending.add_note(f"(raised in a deeptrack callback: {message})")
        raise pending
    raise error_class(status)(status, _lib.status_name(status), message)


def call(fn, *args):
    """Calls a library function that returns a status, raising on failure."""
    _tls.pending = None
    status = fn(*args)
    if status != _lib.OK:
        raise_for(status)


# -- handles ------------------------------------------------------------------------------------------


# Handles collected while the interpreter shuts down are left to the process's end: freeing them could
# run callbacks (free_userdata) into a half-finalised interpreter. A list, bound as a default argument,
# because module globals are wiped during shutdown.
_EXITING = []
atexit.register(_EXITING.append, True)

# How long (seconds) the interpreter's exit waits for callables running in library callbacks on other
# (daemon) threads to return.
EXIT_WAIT = 5.0


def _close_callbacks(lib=lib):
    # At exit, before the interpreter ends daemon threads where they stand (Python 3.11 calls
    # pthread_exit in a thread taking the interpreter lock during finalization, which unwinds through the
    # library's frames when the thread is inside a callback, and glibc aborts the process): the library
    # calls no callback any more (the calls that would fail), and this waits, the interpreter lock
    # released (ctypes), for the callables running to return.
    try:
        lib.deeptrack_close_callbacks(int(EXIT_WAIT * 1000), None)
    except Exception:
        pass


# Registered after _EXITING's: atexit runs it first.
atexit.register(_close_callbacks)


class Owned:
    """An owned library handle, freed when this object is collected (or on :meth:`release`)."""

    __slots__ = ("ptr", "_free", "__weakref__")

    def __init__(self, ptr, free):
        self.ptr = ptr
        self._free = free

    def free(self):
        """Frees the handle now (idempotent)."""
        self.__del__()

    def release(self):
        """Gives up ownership (the library took the handle) and returns the pointer."""
        ptr, self.ptr = self.ptr, None
        return ptr

    def __del__(self, _exiting=_EXITING):
        ptr, self.ptr = self.ptr, None
        if ptr and not _exiting:
            try:
                self._free(ptr)
            except Exception:  # interpreter shutdown: the library may already be gone
                pass


def new_handle(fn, *args, free):
    """Calls a constructor ``fn(*args, &out)`` and owns the result."""
    out = c_void_p()
    call(fn, *args, byref(out))
    return Owned(out.value, free)


# -- values -------------------------------------------------------------------------------------------


def _new_value(fn, *args):
    return new_handle(fn, *args, free=lib.deeptrack_value_free)


# The constructors of the plain Python numbers, by exact type (a subclass, e.g. bool of int or a numpy
# scalar, takes to_value's full path).
_PLAIN = {int: lib.deeptrack_value_new_int, float: lib.deeptrack_value_new_float}


def to_value(obj, what):
    """A new library value holding ``obj`` (None, bool, int, float, complex, str, a real or complex
    array, or a list or tuple of those; a 0-d complex array is a complex number; an integer array is
    one of int64, which comes back as one). ``what`` names the property in errors."""
    if obj is None:
        return _new_value(lib.deeptrack_value_new_none)
    if isinstance(obj, (bool, np.bool_)):
        return _new_value(lib.deeptrack_value_new_bool, bool(obj))
    if isinstance(obj, (int, np.integer)):
        if not -(2**63) <= int(obj) < 2**63:
            raise OverflowError(f"{what}: the integer {obj} does not fit in 64 bits")
        return _new_value(lib.deeptrack_value_new_int, int(obj))
    if isinstance(obj, (float, np.floating)):
        return _new_value(lib.deeptrack_value_new_float, float(obj))
    if isinstance(obj, (complex, np.complexfloating)):
        return _new_value(lib.deeptrack_value_new_complex, obj.real, obj.imag)
    if isinstance(obj, str):
        if "\0" in obj:
            raise ValueError(f"{what}: strings must not contain NUL characters")
        return _new_value(lib.deeptrack_value_new_string, obj.encode("utf-8"))
    if isinstance(obj, Image):
        return to_value(obj._value, what)
    name = dtype_name(obj)
    if name is not None:
        return to_value(name, what)
    if units.is_quantity(obj):
        return to_value(units.property_value(obj, what), what)
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "c" and obj.ndim == 0:
        return to_value(obj[()], what)
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "c":
        if obj.ndim > _MAX_NDIM:
            raise ValueError(f"{what}: arrays have at most {_MAX_NDIM} dimensions, got {obj.ndim}")
        arr = np.asarray(obj, dtype=np.complex128, order="C")  # real and imaginary parts interleaved
        shape = (c_size_t * arr.ndim)(*arr.shape)
        return _new_value(lib.deeptrack_value_new_array_complex, arr.ctypes.data if arr.size else None, shape, arr.ndim)
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "b":
        # numpy's bools stay bools (a mask indexes as a mask, and reads back as bools).
        if obj.ndim > _MAX_NDIM:
            raise ValueError(f"{what}: arrays have at most {_MAX_NDIM} dimensions, got {obj.ndim}")
        arr = np.asarray(obj, dtype=np.bool_, order="C")
        shape = (c_size_t * arr.ndim)(*arr.shape)
        return _new_value(lib.deeptrack_value_new_array_bool, arr.ctypes.data if arr.size else None, shape, arr.ndim)
    if isinstance(obj, np.ndarray) and _holds_int64(obj):
        # numpy's integers stay integers (a dict gives them back as int64, and they index).
        if obj.ndim > _MAX_NDIM:
            raise ValueError(f"{what}: arrays have at most {_MAX_NDIM} dimensions, got {obj.ndim}")
        arr = np.asarray(obj, dtype=np.int64, order="C")
        shape = (c_size_t * arr.ndim)(*arr.shape)
        return _new_value(lib.deeptrack_value_new_array_int, arr.ctypes.data if arr.size else None, shape, arr.ndim)
    if isinstance(obj, np.ndarray):
        arr = _real_array(obj, what)
        shape = (c_size_t * arr.ndim)(*arr.shape)
        return _new_value(lib.deeptrack_value_new_array, arr.ctypes.data if arr.size else None, shape, arr.ndim)
    if isinstance(obj, slice):
        # A slice as the library's index element: "start:stop:step" (empty parts for None).
        parts = [obj.start, obj.stop, obj.step]
        if not all(p is None or isinstance(p, (int, np.integer)) for p in parts):
            raise TypeError(f"{what}: slice parts must be integers or None, got {obj!r}")
        return to_value(":".join("" if p is None else str(int(p)) for p in parts), what)
    if obj is Ellipsis:
        return to_value("...", what)
    if isinstance(obj, (list, tuple)):
        # A tuple stays a tuple in the library, so that it reads back as one (DeepTrack2 keeps it).
        out = _new_value(lib.deeptrack_value_new_tuple if isinstance(obj, tuple) else lib.deeptrack_value_new_list)
        push, scratch = lib.deeptrack_value_list_push, c_void_p()
        for i, item in enumerate(obj):
            # Plain numbers (the bulk of long lists: axes, slices' parts) in two library calls and no
            # handle object; anything else (with its checks and the item's name in errors) as above.
            kind = type(item)
            maker = _PLAIN.get(kind)
            if maker is not None and (kind is not int or -(2**63) <= item < 2**63):
                call(maker, item, byref(scratch))
                try:
                    call(push, out.ptr, scratch)
                finally:
                    lib.deeptrack_value_free(scratch)
                continue
            v = to_value(item, f"{what}[{i}]")
            call(push, out.ptr, v.ptr)
        return out
    raise TypeError(
        f"{what}: a {type(obj).__name__} cannot be a property value "
        "(use None, a bool, int, float, complex, str, a numpy array of real or complex numbers, a list or tuple "
        "of those, "
        "a callable, another feature or a feature's property)"
    )


def object_value(obj):
    """A new library value holding the Python object ``obj`` itself, unread by the library (any
    object DeepTrack2 would keep as a property's value: a dict, a set, an instance of a user's class,
    a function). It comes back as ``obj`` from every dict and reader (see ``_objects``)."""
    token = _objects.token_for(obj)
    try:
        return _new_value(lib.deeptrack_value_new_object, token, _objects._release)
    except BaseException:
        _objects.forget(token)
        raise


def object_image(obj):
    """A new library image standing for the Python object ``obj`` in place of samples (what a custom
    ``get`` returned that is no array: DeepTrack2 passes any object on); it comes back as ``obj``."""
    token = _objects.token_for(obj)
    try:
        return new_handle(lib.deeptrack_image_new_object, token, _objects._release, free=lib.deeptrack_image_free)
    except BaseException:
        _objects.forget(token)
        raise


def list_image(items, what):
    """A new library image standing for the list ``items`` (``deeptrack_image_new_list``: a custom
    ``get``'s several images): each item image-like becomes an image (an Image with its dicts), any
    other an object image (:func:`object_image`). ``what`` names the list in errors."""
    owned = []
    for i, item in enumerate(items):
        value = item._value if isinstance(item, Image) else item
        if image_like(value):
            owned.append(to_library_image(item, f"item {i} of {what}")[0])
        else:
            owned.append(object_image(value))  # any object passes on, as in DeepTrack2
    pointers = (c_void_p * max(len(owned), 1))(*(o.ptr for o in owned))
    # The list shares the items; the handles here are freed with ``owned``.
    return new_handle(lib.deeptrack_image_new_list, pointers, len(owned), free=lib.deeptrack_image_free)


def image_object(ptr, _nothing=_objects.NOTHING):
    """The Python object a library image stands for (:func:`object_image`), or ``_objects.NOTHING``
    for an image of samples. Only 0-d images can stand for one: call it for those."""
    token, release = c_void_p(), c_void_p()
    if lib.deeptrack_image_object(ptr, byref(token), byref(release)) != _lib.OK:
        return _nothing
    return _objects.held(token.value, release.value)


def image_like(value):
    """Whether ``value`` (a custom ``get``'s result, unwrapped from an Image, or an item of the list it
    returned) is what the library makes an image of: a numeric array, a number, or a list or tuple
    numpy makes a numeric array of; anything else (a dict, a string, a user's object, a ragged tuple)
    is an object passed on as it is."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufc"
    if isinstance(value, (bool, int, float, complex, np.bool_, np.number)):
        return True
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value).dtype.kind in "biufc"
        except (ValueError, TypeError):  # ragged
            return False
    return False


def dtype_name(obj):
    """numpy's name of the dtype ``obj`` stands for when it is a dtype object (``np.dtype('int16')``)
    or a numpy scalar type (``np.float32``); else None. The library holds the name, where DeepTrack2
    hands the object to numpy. Python's own types (``float``, ``int``) are not converted: they are
    also dict keys (``OneOfDict({int: ...})``), which must stay themselves."""
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, type):
        if issubclass(obj, np.generic):
            try:
                return np.dtype(obj).name
            except TypeError:  # an abstract type (np.floating) is no dtype
                return None
    return None


def type_name(obj):
    """numpy's name of the type ``obj`` when it is a type numpy reads as a dtype: Python's ``float``,
    ``int``, ``bool`` and ``complex`` (``"float64"``, ``"int64"``, ``"bool"``, ``"complex128"``) as well
    as what :func:`dtype_name` converts; else None. For the properties that are numpy types (the
    registry's ``DEEPTRACK_PARAM_DTYPE``: ``AsType``'s ``dtype``), where such a type is no dict key."""
    if obj in (float, int, bool, complex):
        return np.dtype(obj).name
    return dtype_name(obj)


def library_holds(obj):
    """Whether :func:`to_value` can make a library value of ``obj`` by its type (its checks of
    range and contents aside): what cannot is kept on the Python side (see ``_objects``)."""
    if obj is None or obj is Ellipsis or isinstance(obj, (bool, int, float, complex, str, slice, np.bool_, np.number, Image)):
        return True
    if dtype_name(obj) is not None:
        return True
    if units.is_quantity(obj):  # without building the unit registry (pint is imported on first use)
        return True
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind in "biufc"
    if isinstance(obj, (list, tuple)):
        return all(type(item) in _PLAIN or library_holds(item) for item in obj)
    return False


def new_value_ptr(obj, what):
    """Like :func:`to_value`, as a raw pointer the caller owns: the fast path of callbacks, which
    mostly return floats, float arrays and int64 arrays."""
    t = type(obj)
    if t is float or t is np.float64:
        out = c_void_p()
        status = lib.deeptrack_value_new_float(obj, byref(out))
    elif t is np.ndarray and obj.dtype == _F64 and obj.flags.c_contiguous and 0 < obj.ndim <= _MAX_NDIM and obj.size:
        out = c_void_p()
        shape = (c_size_t * obj.ndim)(*obj.shape)
        status = lib.deeptrack_value_new_array(obj.ctypes.data, shape, obj.ndim, byref(out))
    elif t is np.ndarray and obj.dtype == _I64 and obj.flags.c_contiguous and 0 < obj.ndim <= _MAX_NDIM and obj.size:
        # np.random.randint's draws (a position, a label): kept as integers.
        out = c_void_p()
        shape = (c_size_t * obj.ndim)(*obj.shape)
        status = lib.deeptrack_value_new_array_int(obj.ctypes.data, shape, obj.ndim, byref(out))
    else:
        return to_value(obj, what).release()
    if status != _lib.OK:
        raise_for(status)
    return out.value


def _holds_int64(arr):
    """Whether the numpy array ``arr`` holds integers that int64 holds: a signed integer dtype, or an
    unsigned one whose values fit (uint64 beyond 2^63 - 1 stays a float array, as before)."""
    kind = arr.dtype.kind
    if kind == "i":
        return True
    if kind != "u":
        return False
    return arr.dtype.itemsize < 8 or arr.size == 0 or int(arr.max()) < 2**63


def _real_array(obj, what):
    arr = np.asarray(obj)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what}: arrays of {arr.dtype} are not supported (libdeeptrack holds real numbers)")
    if arr.ndim > _MAX_NDIM:
        raise ValueError(f"{what}: arrays have at most {_MAX_NDIM} dimensions, got {arr.ndim}")
    return np.asarray(arr, dtype=np.float64, order="C")  # keeps 0-d arrays 0-d (ascontiguousarray would not)


def _array_copy(data_ptr, shape):
    n = 1
    for d in shape:
        n *= d
    if n == 0 or not data_ptr:
        return np.zeros(shape)
    return np.frombuffer((ctypes.c_double * n).from_address(data_ptr), dtype=_F64).reshape(shape).copy()


# The hot paths below call the library directly and check statuses inline (``call`` costs a Python
# call per library call): a pipeline of Python callables converts values on every sample.
_value_kind = lib.deeptrack_value_kind
_as_float = lib.deeptrack_value_as_float
_as_int = lib.deeptrack_value_as_int
_value_array = lib.deeptrack_value_array
_SHAPE_PTR = ctypes.POINTER(c_size_t)


def from_value(ptr, key=None):
    """The Python value of a borrowed library value: arrays as numpy arrays (copies), lists as lists,
    tuples and ``_ID`` as tuples."""
    kind = _value_kind(ptr)
    if kind == _lib.KIND_FLOAT:
        out = c_double()
        status = _as_float(ptr, byref(out))
        if status:
            raise_for(status)
        return out.value
    if kind == _lib.KIND_ARRAY:
        data = c_void_p()
        shape_ptr = _SHAPE_PTR()
        ndim = c_size_t()
        status = _value_array(ptr, byref(data), byref(shape_ptr), byref(ndim))
        if status:
            raise_for(status)
        return _array_copy(data.value, tuple(shape_ptr[: ndim.value]))
    if kind == _lib.KIND_INT:
        out = c_int64()
        status = _as_int(ptr, byref(out))
        if status:
            raise_for(status)
        return out.value
    if kind == _lib.KIND_STRING:
        out = c_char_p()
        call(lib.deeptrack_value_as_string, ptr, byref(out))
        return _text(out.value)
    if kind == _lib.KIND_NONE:
        return None
    if kind == _lib.KIND_BOOL:
        out = c_bool()
        call(lib.deeptrack_value_as_bool, ptr, byref(out))
        return bool(out.value)
    if kind == _lib.KIND_COMPLEX:
        re, im = c_double(), c_double()
        call(lib.deeptrack_value_as_complex, ptr, byref(re), byref(im))
        return complex(re.value, im.value)
    if kind == _lib.KIND_INT_ARRAY:
        return _lent_copy(lib.deeptrack_value_array_int, ptr, ctypes.c_int64, 1, np.int64)
    if kind == _lib.KIND_BOOL_ARRAY:
        return _lent_copy(lib.deeptrack_value_array_bool, ptr, ctypes.c_bool, 1, np.bool_)
    if kind == _lib.KIND_COMPLEX_ARRAY:
        return _lent_copy(lib.deeptrack_value_array_complex, ptr, ctypes.c_double, 2, np.complex128)
    if kind == _lib.KIND_OBJECT:
        token, release = c_void_p(), c_void_p()
        call(lib.deeptrack_value_object, ptr, byref(token), byref(release))
        return _objects.held(token.value, release.value)
    if kind == _lib.KIND_LIST or kind == _lib.KIND_TUPLE:
        get = lib.deeptrack_value_list_get
        items = [from_value(get(ptr, i)) for i in range(lib.deeptrack_value_list_len(ptr))]
        return tuple(items) if key == "_ID" or kind == _lib.KIND_TUPLE else items
    raise TypeError(f"unknown value kind {kind}")


def _lent_copy(reader, ptr, ctype, per_element, dtype):
    """A numpy copy of the array a library value lends through ``reader`` (one of the array readers:
    elements of ``per_element`` ``ctype`` samples, read as ``dtype``)."""
    data = c_void_p()
    shape_ptr = _SHAPE_PTR()
    ndim = c_size_t()
    call(reader, ptr, byref(data), byref(shape_ptr), byref(ndim))
    shape = tuple(shape_ptr[: ndim.value])
    n = 1
    for d in shape:
        n *= d
    if n == 0 or not data.value:
        return np.zeros(shape, dtype=dtype)
    samples = (ctype * (per_element * n)).from_address(data.value)
    return np.frombuffer(samples, dtype=dtype).reshape(shape).copy()


# Decoded keys and short strings (property names, feature names): decoding them once.
_TEXTS = {}


def _text(raw):
    text = _TEXTS.get(raw)
    if text is None:
        text = raw.decode("utf-8")
        if len(_TEXTS) < 4096 and len(raw) <= 64:
            _TEXTS[raw] = text
    return text


def take_value(owned):
    """Converts an owned value and frees it."""
    try:
        return from_value(owned.ptr)
    finally:
        owned.free()


# -- property dicts -----------------------------------------------------------------------------------

# Library dict address -> the PropertyDict mirroring it. An entry lives as long as its PropertyDict,
# which keeps alive the image owning the library dict, so an address is never reused while mapped.
_DICTS = weakref.WeakValueDictionary()


def dict_items(dict_ptr, _len=lib.deeptrack_property_dict_len, _key=lib.deeptrack_property_dict_key,
               _get=lib.deeptrack_property_dict_get):
    """The entries of a borrowed library dict as a list of ``(key, python value)``."""
    items = []
    key = c_char_p()
    value = c_void_p()
    key_out = byref(key)
    value_out = byref(value)
    for i in range(_len(dict_ptr)):
        status = _key(dict_ptr, i, key_out)
        if status:
            raise_for(status)
        raw = key.value
        status = _get(dict_ptr, raw, value_out)
        if status:
            raise_for(status)
        name = _text(raw)
        items.append((name, from_value(value.value, name)))
    return items


def dict_object(owner, dict_ptr, known=None):
    """The Python dict for library dict ``dict_ptr`` of image ``owner``: the object already mirroring
    it if any (so identity carries over), else a new PropertyDict."""
    if known:
        obj = known.get(dict_ptr)
        if obj is not None:
            return obj
    obj = _DICTS.get(dict_ptr)
    if obj is None:
        obj = PropertyDict(dict_items(dict_ptr))
        obj._dt_ptr = dict_ptr
        obj._dt_owner = owner
        _DICTS[dict_ptr] = obj
    return obj


# -- images -------------------------------------------------------------------------------------------


class _Buffer:
    """Exposes library image memory to numpy; the array's base, so it keeps the image alive."""

    __slots__ = ("owner", "__array_interface__")

    def __init__(self, owner, data_ptr, shape, strides=None, typestr=_F64.str):
        self.owner = owner
        self.__array_interface__ = {
            "version": 3,
            "shape": shape,
            "typestr": typestr,
            "data": (data_ptr, True),
            "strides": strides,
        }


_SHAPE_BUF = c_size_t * _MAX_NDIM


def image_shape(ptr, _ndim=lib.deeptrack_image_ndim, _shape=lib.deeptrack_image_shape):
    ndim = _ndim(ptr)
    shape = _SHAPE_BUF() if ndim <= _MAX_NDIM else (c_size_t * ndim)()
    status = _shape(ptr, shape, ndim)
    if status:
        raise_for(status)
    return tuple(shape[:ndim])


def _image_data(ptr, _data=lib.deeptrack_image_data):
    """``(data address or None, shape)`` of a library image."""
    data = c_void_p()
    n = c_size_t()
    status = _data(ptr, byref(data), byref(n))
    if status:
        raise_for(status)
    return (data.value if n.value else None), image_shape(ptr)


_STRIDES_BUF = c_ssize_t * _MAX_NDIM


def image_view(owner, _samples=lib.deeptrack_image_samples):
    """A read-only numpy view of an owned library image's data (no copy); keeps ``owner`` alive. A
    view of another image (a Transpose or MoveAxis, a flip, a crop, the real or imaginary part of a
    complex image, sharing its memory) is a strided view of that memory with numpy's strides (negative
    along a reversed axis), as numpy's ``transpose``, ``flip``, slices and ``.real`` are. An image holding samples of a narrow
    type (AsType's, the comparisons' bools, and views of them) is viewed in that dtype, with the same
    strides (``deeptrack_image_samples``); other images as float64."""
    ptr = owner.ptr
    shape = image_shape(ptr)
    ndim = len(shape)
    data = c_void_p()
    lent = c_uint32()
    strides = _STRIDES_BUF() if ndim <= _MAX_NDIM else (c_ssize_t * ndim)()
    permuted = c_bool()
    status = _samples(ptr, byref(data), byref(lent), strides, ndim, byref(permuted))
    if status:
        raise_for(status)
    dtype = _F64 if lent.value == 0 else _dtype(lent.value)
    if not data.value:
        arr = np.zeros(shape, dtype=dtype)
        arr.flags.writeable = False
        return arr
    byte_strides = tuple(dtype.itemsize * s for s in strides[:ndim]) if permuted.value else None
    return np.asarray(_Buffer(owner, data.value, shape, byte_strides, dtype.str))


def borrowed_view(ptr, _layout=lib.deeptrack_image_layout):
    """A numpy view of a borrowed library image's data, valid while the library lends it (during a
    callback): copy it, or compare with it, before returning. A permuted image (``Pool``'s blocks) is
    a strided view of its memory (read-only). Always float64: the samples of a narrow image are read
    through their float64 conversion (made once by the library), with the same strides."""
    shape = image_shape(ptr)
    ndim = len(shape)
    data = c_void_p()
    strides = _STRIDES_BUF() if ndim <= _MAX_NDIM else (c_ssize_t * ndim)()
    permuted = c_bool()
    status = _layout(ptr, byref(data), strides, ndim, byref(permuted))
    if status:
        raise_for(status)
    if not data.value:
        return np.zeros(shape)
    if permuted.value:
        # Strided (maybe negative, maybe with gaps): numpy reads it from the first element's address.
        return np.asarray(_Buffer(None, data.value, shape, tuple(8 * s for s in strides[:ndim])))
    n = 1
    for d in shape:
        n *= d
    return np.frombuffer((ctypes.c_double * n).from_address(data.value), dtype=_F64).reshape(shape)


def image_properties(owner, known=None):
    """The Python dicts of an owned library image, in order."""
    out = c_void_p()
    props = []
    for i in range(lib.deeptrack_image_property_count(owner.ptr)):
        call(lib.deeptrack_image_property_dict, owner.ptr, i, byref(out))
        props.append(dict_object(owner, out.value, known))
    return props


def owned_image(ptr):
    return Owned(ptr, lib.deeptrack_image_free)


def from_library_image(owner, known=None):
    """A pipeline result: an Image when it carries properties, else a read-only ndarray (a view). The
    Image's dicts are read from the library when its ``properties`` are first used."""
    view = image_view(owner)
    if view.ndim == 0 and _objects.holds_any():
        held = image_object(owner.ptr)
        if held is not _objects.NOTHING:
            # An object a custom get returned, passed on: itself, or an Image of it with its dicts
            # (DeepTrack2 2.0.1's Image(obj) when properties are stored).
            if lib.deeptrack_image_property_count(owner.ptr) == 0:
                return held
            img = Image(held, copy=False)
            img._defer_properties(lambda: image_properties(owner, known))
            return img
    narrow = view.dtype != _F64  # narrow samples (AsType's, the comparisons' bools), in their own dtype
    if narrow:
        pass
    elif view.ndim and view.shape[-1] == 2 and _is_complex(owner):
        # A complex image (ComplexGaussian's): its last axis holds the real and imaginary parts,
        # viewed as complex numbers without a copy.
        view = view.view(np.complex128)[..., 0]
    else:
        # Doubles: float64, or the values of a narrow type held as doubles (a whole-number Value).
        view = _typed(owner, view)
    if lib.deeptrack_image_property_count(owner.ptr) == 0:
        if view.ndim == 0 and not narrow:
            # A single number is a number, as numpy's reductions and DeepTrack2's Value give it:
            # an int or a bool (Value's whole numbers and bools) as Python's, others as numpy scalars.
            # Narrow samples stay a 0-d array of their dtype, as numpy's astype gives them
            # (DeepTrack2's AsType); resolve makes a comparison's numpy's bool scalar, and the
            # result of a kind that passes its input array on a 0-d array (features._zero_d_results).
            return view.item() if view.dtype.kind in "bi" else view[()]
        return view
    img = Image(view, copy=False)
    img._defer_properties(lambda: image_properties(owner, known))
    return img


def _borrowable(arr):
    """Whether the library can read ``arr`` in place: a C-contiguous, aligned, native float64 ndarray
    with elements."""
    return (
        type(arr) is np.ndarray
        and arr.dtype == _F64
        and arr.flags.c_contiguous
        and arr.flags.aligned
        and 0 < arr.size
        and 0 < arr.ndim <= _MAX_NDIM
    )


def _borrow(arr):
    """A new library image reading ``arr`` in place (``deeptrack_image_borrow``). ``arr`` is kept in
    ``_CALLBACKS`` until the library releases it (``free_userdata``, from whichever thread drops the
    last image sharing its samples; the library has released it on an error too). Handles left at
    interpreter exit are never freed (see :class:`Owned`), so no release runs into a finalised
    interpreter; a forked child releases its own copy of the entry."""
    key = register(arr)
    out = c_void_p()
    status = lib.deeptrack_image_borrow(
        arr.__array_interface__["data"][0], _SHAPE_BUF(*arr.shape), arr.ndim, free_userdata, key, byref(out)
    )
    if status:
        raise_for(status)
    return Owned(out.value, lib.deeptrack_image_free)


def input_image(obj, what="image"):
    """:func:`to_library_image` for an input the library only reads during calls: a C-contiguous,
    aligned float64 or complex128 ndarray (or an Image of one) is read in place, without a copy, and kept alive
    while the library needs it; a resolve reads its current contents. Returns ``(owned image,
    known, borrowed)``."""
    value = obj._value if isinstance(obj, Image) else obj
    if isinstance(value, Image):
        value = value._value
    complex_input = (
        type(value) is np.ndarray and value.dtype == np.complex128 and value.flags.c_contiguous and value.ndim
    )
    if complex_input:
        # A complex128 array is read in place too: its real and imaginary parts along a last axis of
        # 2 (the same memory), marked complex.
        value = value.view(np.float64).reshape(*value.shape, 2)
    if not _borrowable(value):
        return (*to_library_image(obj, what), False)
    owner = _borrow(value)
    if complex_input:
        call(lib.deeptrack_image_set_complex, owner.ptr, True)
    known = {}
    if isinstance(obj, Image):
        for d in obj.properties:
            known[_attach_dict(owner, d, what)] = d
    return owner, known, True


#: numpy's dtypes by the library's numbers (``DEEPTRACK_DTYPE_*``), named by the library.
_DTYPES = {}


def _dtype(number):
    """numpy's dtype numbered ``number`` by the library (``DEEPTRACK_DTYPE_*``)."""
    dtype = _DTYPES.get(number)
    if dtype is None:
        dtype = _DTYPES[number] = np.dtype(lib.deeptrack_dtype_name(number).decode())
    return dtype


def _typed(owner, view):
    """``view`` (doubles) as an array of numpy's type of the image (a whole-number Value's int64;
    the library's samples are exactly that type's values), read-only as the view; ``view`` itself
    for float64."""
    out = c_uint32()
    call(lib.deeptrack_image_dtype, owner.ptr, byref(out))
    if out.value == 0:
        return view
    dtype = _dtype(out.value)
    with np.errstate(invalid="ignore"):  # int64 and uint64 beyond 2**53 (see the README)
        typed = view.astype(dtype)
    typed.flags.writeable = False
    return typed


def _is_complex(owner):
    return _ptr_is_complex(owner.ptr)


def complex_numbers(parts):
    """The complex numbers of ``parts``, a float64 array whose last axis (of length 2) holds the real
    and imaginary parts: a view when that axis is contiguous, else a copy."""
    if parts.strides[-1] != parts.itemsize:
        parts = np.ascontiguousarray(parts)
    return parts.view(np.complex128)[..., 0]


def _ptr_is_complex(ptr):
    out = c_bool()
    call(lib.deeptrack_image_is_complex, ptr, byref(out))
    return out.value


def take_warnings():
    """The calling thread's pending library warnings (``deeptrack_take_warnings``), taken: a list of
    messages, oldest first."""
    needed = c_size_t()
    status = lib.deeptrack_take_warnings(None, 0, byref(needed))
    if status == _lib.OK or needed.value <= 1:
        return []
    buf = ctypes.create_string_buffer(needed.value)
    call(lib.deeptrack_take_warnings, buf, len(buf), None)
    return buf.value.decode("utf-8", "replace").split("\n")


def _narrow_numbers():
    """The library's numbers (``DEEPTRACK_DTYPE_*``) of the narrow numpy types, by numpy's kind and
    item size (``("u", 1)`` for uint8, ``("b", 1)`` for bool, ...), whatever the name of the type."""
    numbers = {}
    number = 1  # 0 is float64, which crosses as doubles
    while True:
        name = lib.deeptrack_dtype_name(number)
        if not name:
            return numbers
        dtype = np.dtype(name.decode())
        numbers[(dtype.kind, dtype.itemsize)] = number
        number += 1


_NARROW = _narrow_numbers()


def _typed_input(value):
    """A new library image holding a copy of ``value`` in its own type (``deeptrack_image_new_typed``)
    when it is an ndarray of a narrow type the library holds (bool, int8 ... uint64, float16,
    float32), as DeepTrack2 keeps an input array's dtype through the kinds that only move samples;
    None for other values (float64 and complex arrays, lists, numbers), which cross as doubles. No
    float64 copy is made: the library converts the samples once, where a kind computes."""
    if not isinstance(value, np.ndarray) or value.ndim > _MAX_NDIM:
        return None
    number = _NARROW.get((value.dtype.kind, value.dtype.itemsize))
    if number is None:
        return None
    # C order and the machine's byte order: a copy only when the array is not so already.
    arr = np.require(value, dtype=value.dtype.newbyteorder("="), requirements="C")
    shape = (c_size_t * max(arr.ndim, 1))(*arr.shape)
    return new_handle(
        lib.deeptrack_image_new_typed,
        arr.ctypes.data if arr.size else None,
        number,
        shape,
        arr.ndim,
        free=lib.deeptrack_image_free,
    )


def to_library_image(obj, what="image"):
    """A new library image holding a copy of ``obj`` (an Image, array or number) and, for an Image,
    its dicts. Returns ``(owned image, known)``, where ``known`` maps the library dicts created for
    plain Python dicts back to those dicts."""
    if type(obj) is np.ndarray and obj.dtype == _F64 and obj.flags.c_contiguous and 0 < obj.size and obj.ndim:
        # The common case, without the general conversion.
        out = c_void_p()
        shape = _SHAPE_BUF(*obj.shape)
        status = lib.deeptrack_image_new(obj.ctypes.data, shape, obj.ndim, byref(out))
        if status:
            raise_for(status)
        return Owned(out.value, lib.deeptrack_image_free), {}
    value = obj._value if isinstance(obj, Image) else obj
    if isinstance(value, Image):
        value = value._value
    if value is None:
        raise TypeError(f"{what}: None is not an image")
    owner = _typed_input(value)
    if owner is not None:
        # A narrow array (uint8, int16, bool, float32, ...) keeps its type in the library.
        known = {}
        if isinstance(obj, Image):
            for d in obj.properties:
                known[_attach_dict(owner, d, what)] = d
        return owner, known
    complex_input = np.iscomplexobj(value)
    if complex_input:
        # A complex image crosses as its real and imaginary parts along a last axis of 2, marked
        # complex (deeptrack_image_set_complex).
        value = np.asarray(value)
        if value.dtype == np.complex128 and value.flags.c_contiguous and value.ndim:
            value = value.view(np.float64).reshape(*value.shape, 2)  # the same memory, no copy
        # (numpy cannot view a 0-d array as another dtype: a 0-d one is stacked)
        else:
            value = np.stack([value.real, value.imag], axis=-1)
    try:
        arr = _real_array(value, what)
    except (TypeError, ValueError, MemoryError):  # MemoryError: numpy's, for a copy it cannot allocate
        raise
    except Exception as e:  # e.g. a ragged list
        raise TypeError(f"{what}: cannot be converted to an array of real numbers ({e})") from None
    shape = (c_size_t * max(arr.ndim, 1))(*arr.shape)
    owner = new_handle(
        lib.deeptrack_image_new, arr.ctypes.data if arr.size else None, shape, arr.ndim, free=lib.deeptrack_image_free
    )
    if complex_input:
        call(lib.deeptrack_image_set_complex, owner.ptr, True)
    known = {}
    if isinstance(obj, Image):
        for d in obj.properties:
            known[_attach_dict(owner, d, what)] = d
    return owner, known


def holds_data(owner, obj):
    """Whether the owned library image ``owner`` holds exactly (bit for bit, same shape) the data of
    ``obj`` (an Image, array or number), as :func:`to_library_image` would copy it."""
    value = obj._value if isinstance(obj, Image) else obj
    if isinstance(value, Image):
        value = value._value
    out = c_uint32()
    call(lib.deeptrack_image_dtype, owner.ptr, byref(out))
    number = _NARROW.get((value.dtype.kind, value.dtype.itemsize)) if isinstance(value, np.ndarray) else None
    if number is not None or out.value:
        # A narrow array was copied in its type (:func:`_typed_input`): the same type and bits.
        if number != out.value or value.ndim > _MAX_NDIM:
            return False
        held = image_view(owner)
        if held.shape != value.shape:
            return False
        bits = np.dtype(f"u{value.dtype.itemsize}")
        return bool((held.view(bits) == np.require(value, dtype=held.dtype).view(bits)).all())
    try:
        arr = _real_array(value, "the input image")
    except MemoryError:
        raise
    except Exception:
        return False
    data, shape = _image_data(owner.ptr)
    if tuple(arr.shape) != shape:
        return False
    if not data:
        return True
    return _same_bits(arr, borrowed_view(owner.ptr))


def _same_bits(a, b):
    """Whether two C-contiguous float64 arrays of one shape hold the same bits."""
    if a.size <= 4096:
        return a.tobytes() == b.tobytes()
    return bool((a.view(np.uint64) == b.view(np.uint64)).all())


def _attach_dict(owner, d, what):
    ptr = getattr(d, "_dt_ptr", None)
    if ptr is not None and getattr(d, "_dt_owner", None) is not None:
        call(lib.deeptrack_image_append_properties, owner.ptr, ptr)
        return ptr
    if not isinstance(d, dict):
        raise TypeError(f"{what}: its properties must be dicts, got a {type(d).__name__}")
    keys = list(d.keys())
    for k in keys:
        if not isinstance(k, str):
            raise TypeError(f"{what}: property keys must be strings, got {k!r}")
    values = [to_value(d[k], f"{what}: property '{k}'") for k in keys]
    c_keys = (c_char_p * max(len(keys), 1))(*[k.encode("utf-8") for k in keys])
    c_values = (c_void_p * max(len(values), 1))(*[v.ptr for v in values])
    out = c_void_p()
    call(lib.deeptrack_image_push_properties, owner.ptr, c_keys, c_values, len(keys), byref(out))
    return out.value


# -- callbacks ----------------------------------------------------------------------------------------

# userdata key -> what the callback needs. Entries are removed by the library's free_userdata.
_CALLBACKS = {}
_keys = itertools.count(1)


def register(entry):
    """Registers callback data and returns its userdata key."""
    key = next(_keys)
    _CALLBACKS[key] = entry
    return key


@_lib.FREE_FN
def free_userdata(key):
    try:
        _CALLBACKS.pop(key, None)
    except Exception:  # interpreter shutdown
        pass


def _fail(exc):
    _set_pending(exc)
    try:
        lib.deeptrack_set_error_message(f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
    except Exception:
        pass
    return 9  # CALLBACK_FAILED


def current_contexts():
    """The stack of sampling contexts of the running callbacks on this thread."""
    stack = getattr(_tls, "contexts", None)
    if stack is None:
        stack = _tls.contexts = []
    return stack


def replicate_index(ctx):
    depth = c_size_t()
    buf = (c_size_t * 8)()
    status = lib.deeptrack_context_replicate_index(ctx, buf, 8, byref(depth))
    if status == _lib.BUFFER_TOO_SMALL:
        buf = (c_size_t * depth.value)()
        status = lib.deeptrack_context_replicate_index(ctx, buf, depth.value, byref(depth))
    if status != _lib.OK:
        raise_for(status)
    return tuple(buf[i] for i in range(depth.value))


class _Missing(Exception):
    pass


def parameters(fn):
    """``(name, has_default)`` of the parameters a rule callable takes by name (DeepTrack2 passes the
    sibling properties named by its parameters)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature, e.g. np.random.rand
        return []
    return [
        (p.name, p.default is not inspect.Parameter.empty)
        for p in sig.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]


class _OwnerRef:
    """A weak reference to the feature owning a rule, and the rule's property: called, ``(feature,
    property)`` or None once the feature is gone (a rule must not keep its feature alive)."""

    __slots__ = ("feature", "prop")

    def __init__(self, feature, prop):
        self.feature = weakref.ref(feature)
        self.prop = prop

    def __call__(self):
        feature = self.feature()
        return None if feature is None else (feature, self.prop)


@_lib.SAMPLE_FN
def sample_trampoline(key, ctx, out):
    try:
        fn, params, what, meters, pixels, owner = _CALLBACKS[key]
        owner = owner() if owner is not None else None
        kwargs = {}
        value = c_void_p()
        objects = owner is not None and _objects.any_pinned()
        for name, has_default in params:
            if name == "_ID":
                kwargs[name] = replicate_index(ctx)
                continue
            if objects:
                held = _objects.lookup(owner[0], name)
                if held is not _objects.NOTHING:
                    kwargs[name] = held  # an object only Python holds (see _objects)
                    continue
            status = lib.deeptrack_context_get(ctx, name.encode("utf-8"), byref(value))
            if status == _lib.NOT_FOUND:
                if has_default:
                    continue
                raise error_class(status)(
                    status,
                    _lib.status_name(status),
                    f"{what}: its callable takes '{name}', which is not a property of the same feature "
                    "(add that property, or give the parameter a default)",
                )
            if status != _lib.OK:
                raise_for(status)
            kwargs[name] = from_value(value.value, name)
        stack = current_contexts()
        stack.append(ctx)
        try:
            result = fn(**kwargs)
        finally:
            stack.pop()
        if (meters and units.is_pixels(result)) or (pixels and units.is_length(result)):
            size = c_double()
            call(lib.deeptrack_context_pixel_size, ctx, byref(size))
            if meters:
                result = np.multiply(result.magnitude, size.value)
            else:
                result = np.divide(result.to(units.meter).magnitude, size.value)
        if owner is not None and isinstance(result, type) and owner[1] in getattr(owner[0], "_dtype_params", ()):
            result = type_name(result) or result  # a numpy type returned for AsType's dtype: its name
        if owner is not None and not library_holds(result):
            # Any object is a value in DeepTrack2: this sample's is pinned on the feature (dropped
            # at its next update, when the rule samples again), and the library holds the object.
            _objects.pin(owner[0], owner[1], result)
            out[0] = object_value(result).release()
            return 0
        out[0] = new_value_ptr(result, "the value returned")
        return 0
    except BaseException as e:  # noqa: B036 - every exception becomes a failed resolve, re-raised later
        return _fail(e)


def callback_rule(fn, what, meters=False, pixels=False, owner=None, prop=None):
    """A library rule calling ``fn`` with the sibling properties its parameters name; ``what`` names
    the property in errors. For a length in meters (``meters``), a quantity in pixels that ``fn``
    returns is converted with the pixel size of the optics imaging the feature; for a number of
    pixels (``pixels``), a length that ``fn`` returns is. With the Python ``owner`` feature and its
    property's name ``prop``, a value the library cannot hold (a dict, an object) is pinned on the
    owner (see _objects), and the parameters naming objects the owner holds get them."""
    ref = None if owner is None else _OwnerRef(owner, prop)
    key = register((fn, parameters(fn), what, meters, pixels, ref))
    try:
        return new_handle(
            lib.deeptrack_rule_callback, sample_trampoline, key, free_userdata, free=lib.deeptrack_rule_free
        )
    except BaseException:
        _CALLBACKS.pop(key, None)
        raise


def _argument_image(input_ptr):
    """What a custom feature's ``get`` receives: None without input; a writable copy of the input (in
    its numpy type), as an Image when it carries properties (its dicts then belong to a clone of the input, which keeps
    them alive). Returns ``(argument, view of the input, number of dicts)``."""
    if not input_ptr:
        return None, None, 0
    original = borrowed_view(input_ptr)
    if original.ndim == 0 and _objects.holds_any():
        held = image_object(input_ptr)
        if held is not _objects.NOTHING:
            # An object an earlier custom get returned: given as it is (an Image of it with dicts).
            return _given(held, input_ptr, None)
    if original.ndim and original.shape[-1] == 2 and original.flags.c_contiguous and _ptr_is_complex(input_ptr):
        # A complex image (an optics' pupil handed to an Aberration's get, a returned field) is given
        # as complex numbers, as DeepTrack2 gives it.
        original = original.view(np.complex128)[..., 0]
    number = c_uint32()
    call(lib.deeptrack_image_dtype, input_ptr, byref(number))
    # An image of a narrow type (a typed input's, AsType's) is given in that type, as DeepTrack2
    # gives its array (the library's doubles are exactly that type's values).
    data = original.astype(_dtype(number.value)) if number.value else original.copy()
    return _given(data, input_ptr, original)


def _given(data, input_ptr, original):
    """``_argument_image``'s result for ``data`` (an array, or an object): an Image of it when the
    input carries dicts (they then belong to a clone of the input, which keeps them alive)."""
    count = lib.deeptrack_image_property_count(input_ptr)
    if count == 0:
        return data, original, 0
    owner = new_handle(lib.deeptrack_image_clone, input_ptr, free=lib.deeptrack_image_free)
    img = Image(data, copy=False)
    img.properties = image_properties(owner)
    return img, original, count


def _unchanged(arg, original, count):
    """Whether ``arg``, the argument ``get`` returned, still holds the input's data ``original`` (bit
    for bit) and its ``count`` dicts, so that the input can pass through."""
    value = np.asarray(arg._value if isinstance(arg, Image) else arg)
    if isinstance(arg, Image) and len(arg.properties) != count:
        return False
    if value.shape != original.shape or value.dtype != _F64 or not value.flags.c_contiguous:
        return False
    return _same_bits(value, original)


def _record(feature, outcome):
    """Records what a custom feature's get gave in the resolve under way (see no_image_scope)."""
    calls = getattr(_tls, "calls", None)
    if calls is None:
        return
    if outcome == "dropped":
        _tls.no_image = True
    if len(calls) < _MAX_RECORDED:
        calls.append((feature, outcome))


#: How many get calls a resolve records (beyond, a list's images that gave none are dropped).
_MAX_RECORDED = 1 << 20


class no_image_scope:
    """What the custom features' gets of one resolve gave (DeepTrack2's get returning None), for the
    shape of its result: ``with no_image_scope() as scope: ...`` then ``scope.calls``, the
    ``(feature, outcome)`` of each call (``"image"``, ``"dropped"``: it returned None for an image,
    ``"skipped"``: no input). Once a get gave no image, the features that follow it in the resolve get
    DeepTrack2's empty list: a custom get is not called without input. Nested resolves (inside a get)
    have their own scope."""

    def __enter__(self):
        self.outer = (getattr(_tls, "no_image", False), getattr(_tls, "calls", None))
        _tls.no_image, _tls.calls = False, []
        self.calls = _tls.calls
        return self

    def __exit__(self, *exc):
        _tls.no_image, _tls.calls = self.outer
        return False

    def restart(self):
        """Forgets the calls recorded so far (a batch's next item)."""
        _tls.no_image = False
        del self.calls[:]


@_lib.GET_FN
def get_trampoline(key, input_ptr, dict_ptr, out):
    try:
        ref = _CALLBACKS[key]
        feature = ref()
        if feature is None:
            raise RuntimeError("the Python object of this custom feature was garbage collected")
        props = dict(dict_items(dict_ptr))
        if "_ID" in props:
            props["_ID"] = tuple(props["_ID"])
        arg, original, count = _argument_image(input_ptr)
        if arg is None and getattr(_tls, "no_image", False):
            # A get gave no image earlier in this resolve: what follows computes on DeepTrack2's
            # empty list, where 2.0.1 calls no get (2.0.1 never calls get without an image).
            _record(feature, "skipped")
            return 0
        if arg is None and getattr(type(feature).get, "_not_defined", False):
            # DeepTrack2 calls get once per input image: without input a subclass that defines no get
            # (a holder of properties, e.g. for TakeProperties) gives no image rather than failing.
            return 0
        # While get runs, the feature's properties read this computation's values (DeepTrack2's
        # ``self.properties["key"]()`` inside ``get``).
        state = feature.__dict__
        # Functions set as values (resolve(x, key=f)) reach get as DeepTrack2 gives them.
        props.update(_objects.pinned(feature))
        outer = state.get("_running")
        state["_running"] = props
        try:
            result = feature.get(arg, **props)
        finally:
            state["_running"] = outer
        if result is None and arg is None:
            _record(feature, "skipped")
            return 0  # no input, and none made: no image, as DeepTrack2's get returning its empty input
        if result is None:
            # DeepTrack2's get returning None for an image: no image (see no_image_scope).
            _record(feature, "dropped")
            return _lib.NO_IMAGE
        if isinstance(result, list):
            # DeepTrack2 2.0.1 splits a list (not a tuple): several images in the input's place, which
            # what follows computes one by one; an empty list gives none.
            _record(feature, "list")
            if not result:
                _tls.no_image = True
            out[0] = list_image(result, f"the list {type(feature).__name__}.get returned").release()
            return 0
        _record(feature, "image")
        if arg is not None and result is arg and (original is None or _unchanged(arg, original, count)):
            return 0  # pass the input through (keeps its identity)
        if not image_like(result._value if isinstance(result, Image) else result):
            # Any object passes on, as in DeepTrack2 (a dict of labels, a string, a ragged tuple).
            image = object_image(result._value if isinstance(result, Image) else result)
            out[0] = image.release()
            return 0
        image, _ = to_library_image(result, f"the image {type(feature).__name__}.get returned")
        out[0] = image.release()
        return 0
    except BaseException as e:  # noqa: B036
        return _fail(e)


@_lib.GET_FN
def function_trampoline(key, input_ptr, dict_ptr, out):
    """The ``get`` of a function given to a built-in kind (``Blur``'s filter, ``Pool``'s per-block
    function): ``call(image, properties)`` on a read-only view of the input, without copying it; a new
    float64 array it returns is lent to the library as it is."""
    try:
        call = _CALLBACKS[key]
        props = dict(dict_items(dict_ptr))
        if "_ID" in props:
            props["_ID"] = tuple(props["_ID"])
        if not input_ptr:
            raise TypeError("a function of the image was called without an image")
        view = borrowed_view(input_ptr)
        if view.ndim and view.shape[-1] == 2 and _ptr_is_complex(input_ptr):
            # A complex image (Pool's blocks, Blur's image) is given as complex numbers, as numpy
            # hands DeepTrack2's functions a complex array.
            view = complex_numbers(view)
        view.flags.writeable = False
        result = call(view, props)
        if isinstance(result, np.ndarray) and result.flags.owndata and _borrowable(result):
            image = _borrow(result)
        else:
            image, _ = to_library_image(result, "the image the function returned")
        out[0] = image.release()
        return 0
    except BaseException as e:  # noqa: B036 - every exception becomes a failed resolve, re-raised later
        return _fail(e)


def new_function_feature(call, name):
    """A library custom feature named ``name`` whose computation is ``call(image, properties)`` (held
    until the library drops the feature): the function parameter of a built-in kind."""
    key = register(call)
    try:
        return new_handle(
            lib.deeptrack_feature_new_custom,
            name.encode("utf-8"),
            function_trampoline,
            key,
            free_userdata,
            free=lib.deeptrack_feature_free,
        )
    except BaseException:
        _CALLBACKS.pop(key, None)
        raise


def new_custom_feature(feature, name, append=False):
    """A library feature whose computation is ``feature.get`` (held weakly: the Python object owns
    the handle); with ``append``, its image is appended to its input list (``MERGE_STRATEGY_APPEND``)."""
    key = register(weakref.ref(feature))
    try:
        if append:
            return new_handle(
                lib.deeptrack_feature_new_custom_appending,
                name.encode("utf-8"),
                get_trampoline,
                key,
                free_userdata,
                False,
                free=lib.deeptrack_feature_free,
            )
        return new_handle(
            lib.deeptrack_feature_new_custom,
            name.encode("utf-8"),
            get_trampoline,
            key,
            free_userdata,
            free=lib.deeptrack_feature_free,
        )
    except BaseException:
        _CALLBACKS.pop(key, None)
        raise


@_lib.GET_FN
def scatterer_trampoline(key, input_ptr, dict_ptr, out):
    """The volume of a subclass of a built-in scatterer that overrides ``get``: DeepTrack2 2.0.1 calls
    ``get([], **properties)`` (its scatterers are computed without input, from an empty list) with the
    kind's processed properties, ``voxel_size`` and ``pixel_size``; what it returns is the volume."""
    try:
        feature = _CALLBACKS[key]()
        if feature is None:
            raise RuntimeError("the Python object of this scatterer was garbage collected")
        props = dict(dict_items(dict_ptr))
        if "_ID" in props:
            props["_ID"] = tuple(props["_ID"])
        props.update(_objects.pinned(feature))
        state = feature.__dict__
        outer = state.get("_running")
        state["_running"] = props
        try:
            result = feature.get([], **props)
        finally:
            state["_running"] = outer
        if result is None:
            raise TypeError(f"{type(feature).__name__}.get returned None, where a scatterer returns its volume")
        image, _ = to_library_image(np.asarray(result), f"the volume {type(feature).__name__}.get returned")
        out[0] = image.release()
        return 0
    except BaseException as e:  # noqa: B036
        return _fail(e)


def new_scatterer_feature(feature, kind):
    """A library scatterer of built-in ``kind`` whose volume is ``feature.get`` (held weakly: the
    Python object owns the handle)."""
    key = register(weakref.ref(feature))
    try:
        return new_handle(
            lib.deeptrack_feature_new_scatterer,
            kind.encode("utf-8"),
            scatterer_trampoline,
            key,
            free_userdata,
            False,
            free=lib.deeptrack_feature_free,
        )
    except BaseException:
        _CALLBACKS.pop(key, None)
        raise


def builtin_volume(kind, properties):
    """The volume built-in scatterer ``kind`` computes from ``properties`` (its own parameters,
    ``voxel_size`` and ``pixel_size``; the others are ignored), uncropped, as a new float64 array:
    DeepTrack2's ``super().get(...)`` inside a subclass's ``get``."""
    keys, values = [], []
    for k, v in properties.items():
        keys.append(k.encode("utf-8"))
        values.append(to_value(v, f"property '{k}' of feature '{kind}'"))
    key_array = (c_char_p * max(len(keys), 1))(*keys)
    value_array = (c_void_p * max(len(values), 1))(*(v.ptr for v in values))
    owner = new_handle(
        lib.deeptrack_scatterer_volume, kind.encode("utf-8"), key_array, value_array, len(keys),
        free=lib.deeptrack_image_free,
    )
    return np.array(image_view(owner), dtype=np.float64)


@_lib.MERGE_FN
def merge_trampoline(key, inputs, count, dict_ptr, output):
    try:
        feature = _CALLBACKS[key]()
        if feature is None:
            raise RuntimeError("the Python object of this Merge feature was garbage collected")
        props = dict(dict_items(dict_ptr))
        if "_ID" in props:
            props["_ID"] = tuple(props["_ID"])
        images = [_argument_image(inputs[i])[0] for i in range(count)]
        # Functions and objects set as values (the property ``function``) reach it as given.
        props.update(_objects.pinned(feature))
        result = feature._merge(images, props)
        results = list(result) if isinstance(result, (list, tuple)) else [result]
        for i, r in enumerate(results):
            value = r._value if isinstance(r, Image) else r
            if image_like(value):
                image, _ = to_library_image(r, f"image {i} the Merge function returned")
            else:
                image = object_image(value)  # any object passes on, as in DeepTrack2
            call(lib.deeptrack_merge_output_push, output, image.ptr)
            image.release()  # the library owns it now
        return 0
    except BaseException as e:  # noqa: B036
        return _fail(e)


def new_merge_feature(feature, name):
    """A library ``Merge`` feature whose function is ``feature._merge`` (held weakly: the Python
    object owns the handle)."""
    key = register(weakref.ref(feature))
    try:
        return new_handle(
            lib.deeptrack_feature_new_merge,
            name.encode("utf-8"),
            merge_trampoline,
            key,
            free_userdata,
            free=lib.deeptrack_feature_free,
        )
    except BaseException:
        _CALLBACKS.pop(key, None)
        raise
