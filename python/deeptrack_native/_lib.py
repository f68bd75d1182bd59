"""Loading libdeeptrack and declaring its C functions for ctypes.

The library is looked up, in order, at:

1. the path in the environment variable ``DEEPTRACK_LIBRARY``;
2. the library inside this package's directory (what ``pip install ./python`` puts there);
3. ``target/release`` and then ``target/debug`` of the repository checkout this package sits in
   (the development path: ``cargo build --lib`` and ``PYTHONPATH=python``).

The first file found is loaded, and its ``deeptrack_version()`` must equal this package's version.
"""

import ctypes
import os
import sys
from ctypes import POINTER, c_bool, c_char_p, c_double, c_int64, c_size_t, c_ssize_t, c_uint32, c_uint64, c_void_p

from . import __version__

if sys.platform == "darwin":
    LIBRARY_FILE = "libdeeptrack.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "deeptrack.dll"
else:
    LIBRARY_FILE = "libdeeptrack.so"

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_REPO_DIR = os.path.dirname(os.path.dirname(_PACKAGE_DIR))


def candidate_paths():
    """The paths tried, in order, with where each comes from."""
    env = os.environ.get("DEEPTRACK_LIBRARY")
    if env:
        return [(env, "DEEPTRACK_LIBRARY")]
    paths = [(os.path.join(_PACKAGE_DIR, LIBRARY_FILE), "the package directory")]
    if os.path.exists(os.path.join(_REPO_DIR, "Cargo.toml")):
        builds = [
            (os.path.join(_REPO_DIR, "target", profile, LIBRARY_FILE), f"the checkout's target/{profile}")
            for profile in ("release", "debug")
        ]
        # The most recently built first: that is the one matching the sources.
        builds.sort(key=lambda b: os.path.getmtime(b[0]) if os.path.exists(b[0]) else 0.0, reverse=True)
        paths.extend(builds)
    return paths


def _load():
    tried = []
    for path, origin in candidate_paths():
        if not os.path.exists(path):
            tried.append(f"  {path} ({origin}): no such file")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"  {path} ({origin}): {e}")
            continue
        try:
            version_fn = lib.deeptrack_version
        except AttributeError:
            raise ImportError(
                f"deeptrack_native: {path} ({origin}) is not libdeeptrack: it has no deeptrack_version()"
            ) from None
        version_fn.argtypes = []
        version_fn.restype = c_char_p
        found = version_fn().decode()
        if found != __version__:
            raise ImportError(
                f"deeptrack_native {__version__}: the library {path} ({origin}) is version {found}; "
                f"install the matching version (pip install ./python from the same checkout) or point "
                f"DEEPTRACK_LIBRARY at a libdeeptrack {__version__}"
            )
        return lib, path
    raise ImportError(
        "deeptrack_native: cannot find libdeeptrack. Tried:\n"
        + "\n".join(tried)
        + "\nInstall the package with `pip install ./python` from the repository (it builds the library), "
        "or build it with `cargo build --lib` and use PYTHONPATH=python, or set DEEPTRACK_LIBRARY to its path."
    )


lib, LIBRARY_PATH = _load()

status = c_uint32
handle = c_void_p
out_handle = POINTER(c_void_p)

GET_FN = ctypes.CFUNCTYPE(c_uint32, c_void_p, c_void_p, c_void_p, POINTER(c_void_p))
SAMPLE_FN = ctypes.CFUNCTYPE(c_uint32, c_void_p, c_void_p, POINTER(c_void_p))
FREE_FN = ctypes.CFUNCTYPE(None, c_void_p)
MERGE_FN = ctypes.CFUNCTYPE(c_uint32, c_void_p, POINTER(c_void_p), c_size_t, c_void_p, c_void_p)
PROGRESS_FN = ctypes.CFUNCTYPE(c_bool, c_void_p, c_size_t, c_size_t)

_DECLARATIONS = {
    "deeptrack_status_str": ([c_uint32], c_char_p),
    "deeptrack_last_error_message": ([c_char_p, c_size_t, POINTER(c_size_t)], status),
    "deeptrack_take_warnings": ([c_char_p, c_size_t, POINTER(c_size_t)], status),
    "deeptrack_clear_error": ([], None),
    "deeptrack_set_error_message": ([c_char_p], status),
    "deeptrack_set_callback_wait": ([c_uint32, POINTER(c_uint32)], status),
    "deeptrack_close_callbacks": ([c_uint32, POINTER(c_size_t)], status),
    # features
    "deeptrack_feature_new": ([c_char_p, out_handle], status),
    "deeptrack_feature_new_with": ([c_char_p, POINTER(c_void_p), c_size_t, out_handle], status),
    "deeptrack_feature_new_custom": ([c_char_p, GET_FN, c_void_p, FREE_FN, out_handle], status),
    "deeptrack_feature_new_custom_appending": ([c_char_p, GET_FN, c_void_p, FREE_FN, c_bool, out_handle], status),
    "deeptrack_feature_new_merge": ([c_char_p, MERGE_FN, c_void_p, FREE_FN, out_handle], status),
    "deeptrack_feature_new_scatterer": ([c_char_p, GET_FN, c_void_p, FREE_FN, c_bool, out_handle], status),
    "deeptrack_scatterer_volume": ([c_char_p, POINTER(c_char_p), POINTER(c_void_p), c_size_t, out_handle], status),
    "deeptrack_merge_output_push": ([handle, handle], status),
    "deeptrack_feature_set_property": ([handle, c_char_p, handle], status),
    "deeptrack_feature_get_property": ([handle, c_char_p, out_handle], status),
    "deeptrack_feature_has_property": ([handle, c_char_p, POINTER(c_bool)], status),
    "deeptrack_feature_property_names": ([handle, out_handle], status),
    "deeptrack_feature_order_properties": ([handle, POINTER(c_char_p), c_size_t], status),
    "deeptrack_feature_set_value": ([handle, c_char_p, handle, POINTER(c_bool)], status),
    "deeptrack_feature_set_value_everywhere": ([handle, c_char_p, handle, POINTER(c_size_t)], status),
    "deeptrack_feature_is_valid": ([handle, POINTER(c_bool)], status),
    "deeptrack_feature_chain": ([handle, handle, out_handle], status),
    "deeptrack_feature_repeat": ([handle, c_size_t, out_handle], status),
    "deeptrack_feature_microscope": ([handle, handle, out_handle], status),
    "deeptrack_feature_store_properties": ([handle, c_bool], status),
    "deeptrack_feature_store_own_properties": ([handle, c_bool], status),
    "deeptrack_feature_bind_arguments": ([handle, handle], status),
    "deeptrack_feature_seed": ([handle, c_uint64], status),
    "deeptrack_feature_update": ([handle], status),
    "deeptrack_feature_resolve_many": ([handle, handle, out_handle, c_size_t, POINTER(c_size_t)], status),
    "deeptrack_feature_resolve_list": (
        [handle, POINTER(c_void_p), c_size_t, out_handle, c_size_t, POINTER(c_size_t)],
        status,
    ),
    "deeptrack_feature_resolve_batch": ([handle, handle, c_uint64, c_uint64, c_size_t, c_size_t, out_handle], status),
    "deeptrack_feature_resolve_batch_with": (
        [handle, handle, c_uint64, c_uint64, c_size_t, c_size_t, c_size_t, PROGRESS_FN, c_void_p, out_handle],
        status,
    ),
    "deeptrack_feature_free": ([handle], None),
    # the registry of kinds
    "deeptrack_kind_count": ([], c_size_t),
    "deeptrack_kind_name": ([c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_module": ([c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_base": ([c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_zero_d_array": ([c_size_t, POINTER(c_bool)], status),
    "deeptrack_kind_bool_output": ([c_size_t, POINTER(c_bool)], status),
    "deeptrack_kind_doc": ([c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_alias_count": ([c_size_t, POINTER(c_size_t)], status),
    "deeptrack_kind_alias": ([c_size_t, c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_positional_count": ([c_size_t, POINTER(c_size_t)], status),
    "deeptrack_kind_positional": ([c_size_t, c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_param_count": ([c_size_t, POINTER(c_size_t)], status),
    "deeptrack_kind_param_name": ([c_size_t, c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_param_doc": ([c_size_t, c_size_t, POINTER(c_char_p)], status),
    "deeptrack_kind_param_type": ([c_size_t, c_size_t, POINTER(c_uint32)], status),
    "deeptrack_kind_param_flags": ([c_size_t, c_size_t, POINTER(c_uint32)], status),
    "deeptrack_kind_param_default": ([c_size_t, c_size_t, out_handle], status),
    # images
    "deeptrack_image_new": ([c_void_p, POINTER(c_size_t), c_size_t, out_handle], status),
    "deeptrack_image_new_typed": ([c_void_p, c_uint32, POINTER(c_size_t), c_size_t, out_handle], status),
    "deeptrack_image_borrow": ([c_void_p, POINTER(c_size_t), c_size_t, FREE_FN, c_void_p, out_handle], status),
    "deeptrack_image_clone": ([handle, out_handle], status),
    "deeptrack_image_ndim": ([handle], c_size_t),
    "deeptrack_image_shape": ([handle, POINTER(c_size_t), c_size_t], status),
    "deeptrack_image_data": ([handle, POINTER(c_void_p), POINTER(c_size_t)], status),
    "deeptrack_image_layout": ([handle, POINTER(c_void_p), POINTER(c_ssize_t), c_size_t, POINTER(c_bool)], status),
    "deeptrack_image_property_count": ([handle], c_size_t),
    "deeptrack_image_is_complex": ([handle, POINTER(c_bool)], status),
    "deeptrack_image_set_complex": ([handle, c_bool], status),
    "deeptrack_image_dtype": ([handle, POINTER(c_uint32)], status),
    "deeptrack_image_samples": (
        [handle, POINTER(c_void_p), POINTER(c_uint32), POINTER(c_ssize_t), c_size_t, POINTER(c_bool)],
        status,
    ),
    "deeptrack_dtype_name": ([c_uint32], c_char_p),
    "deeptrack_image_property_dict": ([handle, c_size_t, out_handle], status),
    "deeptrack_image_append_properties": ([handle, handle], status),
    "deeptrack_image_push_properties": (
        [handle, POINTER(c_char_p), POINTER(c_void_p), c_size_t, out_handle],
        status,
    ),
    "deeptrack_image_free": ([handle], None),
    "deeptrack_image_save_png": ([handle, c_char_p, POINTER(c_double)], status),
    "deeptrack_image_save_tiff": ([handle, c_char_p, c_bool, POINTER(c_double)], status),
    # holography
    "deeptrack_holography_propagation_matrix": (
        [c_size_t, c_size_t, c_double, c_double, c_double, c_double, c_double, out_handle],
        status,
    ),
    "deeptrack_image_table_json": ([handle, c_char_p, c_void_p, c_size_t, POINTER(c_size_t)], status),
    "deeptrack_property_dict_len": ([handle], c_size_t),
    "deeptrack_property_dict_key": ([handle, c_size_t, POINTER(c_char_p)], status),
    "deeptrack_property_dict_get": ([handle, c_char_p, out_handle], status),
    # rules
    "deeptrack_rule_constant": ([handle, out_handle], status),
    "deeptrack_rule_pixels": ([handle, out_handle], status),
    "deeptrack_rule_meters": ([handle, out_handle], status),
    "deeptrack_rule_callback": ([SAMPLE_FN, c_void_p, FREE_FN, out_handle], status),
    # sequences (deeptrack_native.sequences)
    "deeptrack_feature_set_sequential": ([handle, c_char_p, handle], status),
    "deeptrack_rule_brownian": ([c_double, c_double, c_double, out_handle], status),
    "deeptrack_rule_brownian_pixels": ([c_double, out_handle], status),
    "deeptrack_rule_drift": ([POINTER(c_double), c_size_t, out_handle], status),
    "deeptrack_rule_increment": ([handle, out_handle], status),
    "deeptrack_rule_normal": ([c_double, c_double, out_handle], status),
    "deeptrack_rule_uniform": ([c_double, c_double, out_handle], status),
    "deeptrack_rule_uniform_array": ([POINTER(c_double), POINTER(c_double), c_size_t, out_handle], status),
    "deeptrack_feature_resolve_batch_many": (
        [handle, handle, c_uint64, c_uint64, c_size_t, c_size_t, out_handle, c_size_t, POINTER(c_size_t), POINTER(c_size_t)],
        status,
    ),
    "deeptrack_rule_property_of": ([handle, c_char_p, out_handle], status),
    "deeptrack_rule_feature": ([handle, out_handle], status),
    "deeptrack_rule_list": ([POINTER(c_void_p), c_size_t, c_bool, out_handle], status),
    "deeptrack_rule_free": ([handle], None),
    "deeptrack_context_get": ([handle, c_char_p, out_handle], status),
    "deeptrack_context_uniform": ([handle, POINTER(c_double)], status),
    "deeptrack_context_normal": ([handle, POINTER(c_double)], status),
    "deeptrack_context_pixel_size": ([handle, POINTER(c_double)], status),
    "deeptrack_context_replicate_index": ([handle, POINTER(c_size_t), c_size_t, POINTER(c_size_t)], status),
    # values
    "deeptrack_value_new_float": ([c_double, out_handle], status),
    "deeptrack_value_new_complex": ([c_double, c_double, out_handle], status),
    "deeptrack_value_new_int": ([c_int64, out_handle], status),
    "deeptrack_value_new_bool": ([c_bool, out_handle], status),
    "deeptrack_value_new_none": ([out_handle], status),
    "deeptrack_value_new_string": ([c_char_p, out_handle], status),
    "deeptrack_value_new_array": ([c_void_p, POINTER(c_size_t), c_size_t, out_handle], status),
    "deeptrack_value_new_array_complex": ([c_void_p, POINTER(c_size_t), c_size_t, out_handle], status),
    "deeptrack_value_new_array_bool": ([c_void_p, POINTER(c_size_t), c_size_t, out_handle], status),
    "deeptrack_value_new_array_int": ([c_void_p, POINTER(c_size_t), c_size_t, out_handle], status),
    "deeptrack_value_new_list": ([out_handle], status),
    "deeptrack_value_new_tuple": ([out_handle], status),
    "deeptrack_value_list_push": ([handle, handle], status),
    "deeptrack_value_kind": ([handle], c_uint32),
    "deeptrack_value_as_float": ([handle, POINTER(c_double)], status),
    "deeptrack_value_as_complex": ([handle, POINTER(c_double), POINTER(c_double)], status),
    "deeptrack_value_as_int": ([handle, POINTER(c_int64)], status),
    "deeptrack_value_as_bool": ([handle, POINTER(c_bool)], status),
    "deeptrack_value_as_string": ([handle, POINTER(c_char_p)], status),
    "deeptrack_value_array": ([handle, POINTER(c_void_p), POINTER(POINTER(c_size_t)), POINTER(c_size_t)], status),
    "deeptrack_value_array_bool": ([handle, POINTER(c_void_p), POINTER(POINTER(c_size_t)), POINTER(c_size_t)], status),
    "deeptrack_value_array_int": ([handle, POINTER(c_void_p), POINTER(POINTER(c_size_t)), POINTER(c_size_t)], status),
    "deeptrack_value_new_object": ([c_void_p, FREE_FN, out_handle], status),
    "deeptrack_value_object": ([handle, POINTER(c_void_p), POINTER(c_void_p)], status),
    "deeptrack_image_new_object": ([c_void_p, FREE_FN, out_handle], status),
    "deeptrack_image_new_list": ([c_void_p, c_size_t, out_handle], status),
    "deeptrack_image_object": ([handle, POINTER(c_void_p), POINTER(c_void_p)], status),
    "deeptrack_value_array_complex": (
        [handle, POINTER(c_void_p), POINTER(POINTER(c_size_t)), POINTER(c_size_t)],
        status,
    ),
    "deeptrack_value_list_len": ([handle], c_size_t),
    "deeptrack_value_list_get": ([handle, c_size_t], c_void_p),
    "deeptrack_value_free": ([handle], None),
    # Mie scattering's mathematics (deeptrack_native.backend)
    "deeptrack_bessel_evaluate": ([c_uint32, c_void_p, c_void_p, c_size_t, c_bool, c_void_p], status),
    "deeptrack_mie_coefficients": ([c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_void_p], status),
    "deeptrack_mie_harmonics": ([c_void_p, c_size_t, c_size_t, c_void_p, c_void_p], status),
    # A camera's scale from a photon budget (deeptrack_native.cameras.photons_per_unit)
    "deeptrack_camera_photons_per_unit": ([handle, c_double, c_double, POINTER(c_double)], status),
    # The centre of radial symmetry (deeptrack_native.extras.radialcenter)
    "deeptrack_radial_center": ([c_void_p, c_size_t, c_size_t, POINTER(c_double), POINTER(c_double)], status),
}

for _name, (_argtypes, _restype) in _DECLARATIONS.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:
        raise ImportError(
            f"deeptrack_native {__version__}: the library {LIBRARY_PATH} has no {_name}(); it was built from "
            "older sources than this package: rebuild it (cargo build --lib, or pip install ./python)"
        ) from None
    _fn.argtypes = _argtypes
    _fn.restype = _restype

# Status codes (include/deeptrack.h).
OK = 0
NULL_ARGUMENT = 1
INVALID_ARGUMENT = 2
INVALID_UTF8 = 3
TYPE_MISMATCH = 4
NOT_FOUND = 5
OUT_OF_RANGE = 6
BUFFER_TOO_SMALL = 7
CYCLE = 8
CALLBACK_FAILED = 9
INVALID_HANDLE = 10
OUT_OF_MEMORY = 11
BUSY = 12
PANIC = 13
#: What a get callback returns to give no image (never returned by the library).
NO_IMAGE = 14

# Value kinds.
KIND_NONE, KIND_BOOL, KIND_INT, KIND_FLOAT, KIND_STRING, KIND_ARRAY, KIND_LIST, KIND_COMPLEX, KIND_TUPLE = range(9)
KIND_COMPLEX_ARRAY = 9
KIND_BOOL_ARRAY = 10
KIND_INT_ARRAY = 11
KIND_OBJECT = 12


def last_error_message():
    """The calling thread's last library error message."""
    needed = c_size_t(0)
    lib.deeptrack_last_error_message(None, 0, ctypes.byref(needed))
    buf = ctypes.create_string_buffer(max(needed.value, 1))
    lib.deeptrack_last_error_message(buf, len(buf), None)
    return buf.value.decode("utf-8", "replace")


def status_name(code):
    """The name of a status code, e.g. ``DEEPTRACK_STATUS_NOT_FOUND``."""
    return lib.deeptrack_status_str(code).decode()
