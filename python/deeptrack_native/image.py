"""``Image``: an array plus the list of property dicts that produced it (DeepTrack2 2.0.1 semantics).

Like DeepTrack2's ``Image`` it is a wrapper, not an ``ndarray`` subclass: ``np.asarray(image)`` gives
the array, arithmetic and numpy functions give new Images whose property lists merge their operands'
lists, and ``merge_properties_from`` compares dicts by identity (``is``), never by equality.

Images returned by a pipeline view the library's memory without a copy; that memory is shared with
the pipeline's caches, so those arrays are read-only (``np.array(image)`` gives a writable copy).
"""

import numbers
import operator

import numpy as np

__all__ = ["Image", "PropertyDict", "strip", "coerce", "pad_image_to_fft", "maybe_cupy"]


class PropertyDict(dict):
    """A property dict of an image: the ``{key: value}`` one computation of a feature used.

    A plain ``dict`` in every respect; it also remembers which library dict it mirrors, so that the same
    library dict always gives the same Python object (identity is what merges compare) and passing an
    image back to the library keeps its dicts' identity. Pickles as a plain ``dict``.
    """

    def __reduce__(self):
        return (dict, (dict(self),))

    def __copy__(self):
        return dict(self)


def _copy_value(value):
    if isinstance(value, Image):
        return _copy_value(value._value)
    if isinstance(value, (np.ndarray, list, int, float, bool)):
        return np.array(value)
    return value


def strip(value):
    """Unwraps Images (also inside lists and tuples) into their values."""
    if isinstance(value, Image):
        return value._value
    if isinstance(value, list):
        return [strip(v) for v in value]
    if isinstance(value, tuple):
        return tuple(strip(v) for v in value)
    return value


def coerce(images):
    """The images of the list ``images`` as Images (DeepTrack2's ``coerce``; there is no GPU backend, so
    they all stay numpy)."""
    return [Image(image, copy=False) for image in images]


def maybe_cupy(array):
    """``array`` unchanged (DeepTrack2's ``maybe_cupy`` converts to CuPy when its GPU backend is
    enabled; deeptrack_native has none)."""
    return array


# The sizes FFTs are fastest on, as DeepTrack2 lists them: 0 and the products 2**a * 3**b with
# a + b < 9, sorted.
_FASTEST_SIZES = np.sort([0] + [2**a * 3 ** (n - a - 1) for n in range(1, 10) for a in range(n)])


def pad_image_to_fft(image, axes=(0, 1)):
    """``image`` padded with zeros at the end of each of ``axes`` to the next of the sizes FFTs are
    fastest on (:data:`_FASTEST_SIZES`, up to 6561); a ValueError for a longer axis."""
    shape = np.shape(image)
    new_shape = list(shape)
    for axis in axes:
        length = new_shape[axis]
        at = int(np.searchsorted(_FASTEST_SIZES, length))
        if at == len(_FASTEST_SIZES):
            raise ValueError(
                f"pad_image_to_fft: axis {axis} has length {length}, which exceeds the largest FFT size "
                f"of {int(_FASTEST_SIZES[-1])}"
            )
        new_shape[axis] = int(_FASTEST_SIZES[at])
    return np.pad(image, [(0, new - old) for new, old in zip(new_shape, shape)], mode="constant")


def _images_in(values):
    for v in values:
        if isinstance(v, Image):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _images_in(v)


def _wrap(result, sources):
    out = Image(result, copy=False)
    for src in sources:
        out.merge_properties_from(src)
    return out


class Image:
    """An array (``_value``) plus ``properties``, the list of property dicts that produced it.

    ``Image(value, copy=True)`` copies arrays, lists and numbers into a new array (other values are kept
    as they are); given an Image it takes a copy of its value and a new list holding the same dicts.
    ``copy=False`` shares the value.
    """

    __array_priority__ = 100

    def __init__(self, value, copy=True):
        if isinstance(value, Image):
            self._value = _copy_value(value._value) if copy else value._value
            self.properties = list(value.properties)
        else:
            self._value = _copy_value(value) if copy else value
            self.properties = []

    def _view(self, value):
        """``value`` as it is stored in an Image (DeepTrack2's ``Image._view``): the value of an Image
        (unwrapped, never nested), a new array for arrays, lists, ints, floats and bools, and any other
        value unchanged."""
        return _copy_value(value)

    # -- properties -------------------------------------------------------------------------------

    @property
    def properties(self):
        """The list of property dicts (a pipeline result reads them from the library on first use)."""
        state = self.__dict__
        props = state.get("_properties")
        if props is None:
            load = state.get("_load_properties")
            props = load() if load is not None else []
            state["_properties"] = props
            state.pop("_load_properties", None)
        return props

    @properties.setter
    def properties(self, value):
        self.__dict__.pop("_load_properties", None)
        self.__dict__["_properties"] = value

    def _defer_properties(self, load):
        """Makes ``load()`` give the property list when it is first needed."""
        self.__dict__["_properties"] = None
        self.__dict__["_load_properties"] = load

    def append(self, property_dict):
        """Appends a dict to the property list (no deduplication) and returns self."""
        self.properties = [*self.properties, property_dict]
        return self

    def get_property(self, key, get_one=True, default=None):
        """The value of ``key`` in the first dict that has it (``get_one``), or the list of the values
        in every dict that has it, in order; ``default`` when no dict has it."""
        if get_one:
            for prop in self.properties:
                if key in prop:
                    return prop[key]
            return default
        return [prop[key] for prop in self.properties if key in prop] or default

    def merge_properties_from(self, other):
        """Appends the dicts of ``other`` (an Image, or a list of them, nested or not) that this image
        does not already hold as the same object. Arrays, strings and numbers are ignored. Returns self."""
        if isinstance(other, np.ndarray):
            return self
        if isinstance(other, Image):
            for new_prop in other.properties:
                if not any(mine is new_prop for mine in self.properties):
                    self.append(new_prop)
            return self
        if not isinstance(other, (str, bytes)) and hasattr(other, "__iter__"):
            for item in other:
                self.merge_properties_from(item)
        return self

    # -- pictures (not in DeepTrack2's Image; deeptrack_native.pictures) ----------------------------

    def plot(self, ax=None, positions=None, **kwargs):
        """Shows the image with matplotlib's ``imshow`` and returns the axes; ``positions=True`` marks
        its ``position`` properties (the ground truth). See :func:`deeptrack_native.pictures.plot_image`."""
        from .pictures import plot_image

        return plot_image(self, ax=ax, positions=positions, **kwargs)

    def save_png(self, path):
        """Writes the image as a 16-bit PNG, its range scaled to 0 … 65535 (:mod:`deeptrack_native.pictures`)."""
        from .pictures import save_png

        return save_png(self, path)

    def save_tiff(self, path, scale=None):
        """Writes the image as a 16-bit TIFF (:mod:`deeptrack_native.pictures`)."""
        from .pictures import save_tiff

        return save_tiff(self, path, scale=scale)

    # -- conversions ------------------------------------------------------------------------------

    def to_cupy(self):
        """DeepTrack2's ``to_cupy``: where CuPy is not installed, the image itself, as in DeepTrack2
        2.0.1 (its samples stay a numpy array). deeptrack_native has no GPU backend: where CuPy is
        installed, a NotImplementedError saying so, not a numpy array taken for a CuPy one."""
        import importlib.util

        if importlib.util.find_spec("cupy") is not None:
            raise NotImplementedError("Image.to_cupy: deeptrack_native has no GPU backend (its images are numpy arrays)")
        return self

    def to_numpy(self):
        """Returns self (the value is already a numpy array)."""
        if not isinstance(self._value, np.ndarray) and isinstance(self._value, (list, numbers.Number)):
            return Image(self._value).merge_properties_from(self)
        return self

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype, copy=True)
        return np.asarray(self._value, dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = strip(list(inputs))
        if "out" in kwargs:
            kwargs["out"] = strip(kwargs["out"])
        result = getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        sources = list(_images_in(inputs))
        if isinstance(result, tuple):
            return tuple(_wrap(r, sources) for r in result)
        return _wrap(result, sources)

    def __array_function__(self, func, types, args, kwargs):
        result = func(*strip(list(args)), **{k: strip(v) for k, v in kwargs.items()})
        if isinstance(result, (bool, int, float, complex, np.generic)):
            return result
        sources = list(_images_in(args))
        if isinstance(result, tuple):
            return tuple(_wrap(r, sources) for r in result)
        return _wrap(result, sources)

    # -- the value --------------------------------------------------------------------------------

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_value", "properties"):
            raise AttributeError(name)
        return getattr(self._value, name)

    def __getitem__(self, key):
        out = self._value[strip(key)]
        if isinstance(out, (bool, int, float, complex, np.generic)):
            return out
        return Image(out, copy=False).merge_properties_from(self)

    def __setitem__(self, key, value):
        self._value[strip(key)] = strip(value)
        self.merge_properties_from([key, value])

    def __len__(self):
        return len(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __bool__(self):
        return bool(self._value)

    def __round__(self, ndigits=None):
        return round(self._value, ndigits)

    def __repr__(self):
        return f"Image({self._value!r})"

    def __getstate__(self):
        # Library handles cached for resolving do not pickle; the value and dicts do.
        return {
            "_value": np.array(self._value) if isinstance(self._value, np.ndarray) else self._value,
            "properties": list(self.properties),
        }

    def __setstate__(self, state):
        self._value = state["_value"]
        self.properties = state["properties"]

    __hash__ = None


def _forward(op):
    def method(self, other):
        return _wrap(op(self._value, strip(other)), [self, other])

    return method


def _reflected(op):
    def method(self, other):
        return _wrap(op(strip(other), self._value), [other, self])

    return method


def _inplace(op):
    def method(self, other):
        self._value = op(self._value, strip(other))
        self.merge_properties_from(other)
        return self

    return method


def _unary(op):
    def method(self):
        return Image(op(self._value), copy=False).merge_properties_from(self)

    return method


for _name, _op, _iop in [
    ("add", operator.add, operator.iadd),
    ("sub", operator.sub, operator.isub),
    ("mul", operator.mul, operator.imul),
    ("matmul", operator.matmul, operator.imatmul),
    ("truediv", operator.truediv, operator.itruediv),
    ("floordiv", operator.floordiv, operator.ifloordiv),
    ("mod", operator.mod, operator.imod),
    ("pow", operator.pow, operator.ipow),
    ("lshift", operator.lshift, operator.ilshift),
    ("rshift", operator.rshift, operator.irshift),
    ("and", operator.and_, operator.iand),
    ("xor", operator.xor, operator.ixor),
    ("or", operator.or_, operator.ior),
]:
    setattr(Image, f"__{_name}__", _forward(_op))
    setattr(Image, f"__r{_name}__", _reflected(_op))
    setattr(Image, f"__i{_name}__", _inplace(_iop))

for _name, _op in [
    ("lt", operator.lt),
    ("le", operator.le),
    ("eq", operator.eq),
    ("ne", operator.ne),
    ("gt", operator.gt),
    ("ge", operator.ge),
]:
    setattr(Image, f"__{_name}__", _forward(_op))

for _name, _op in [("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs), ("invert", operator.invert)]:
    setattr(Image, f"__{_name}__", _unary(_op))

Image.__divmod__ = _forward(divmod)
Image.__rdivmod__ = _reflected(divmod)



def __getattr__(name):
    # DeepTrack2's image module imports Property (``from deeptrack.image import Property``); the
    # properties module imports this one, so it is looked up when asked for.
    if name == "Property":
        from .properties import Property

        return Property
    if name == "NumberLike":
        from .types import NumberLike

        return NumberLike
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
