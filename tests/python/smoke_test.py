"""ctypes smoke test of libdeeptrack: declares argtypes/restype for what it calls and runs one resolve.

Usage: python3 smoke_test.py /path/to/libdeeptrack.so   (run by tests/python_smoke.rs)
"""

import ctypes
import sys
from ctypes import POINTER, c_bool, c_char_p, c_double, c_size_t, c_uint32, c_void_p

OK = 0
NOT_FOUND = 5

lib = ctypes.CDLL(sys.argv[1])

# Handles are opaque pointers: c_void_p, never c_char_p for returned strings we do not own.
status = c_uint32
decl = {
    "deeptrack_version": ([], ctypes.c_char_p),  # static string: copying it is fine
    "deeptrack_status_str": ([c_uint32], ctypes.c_char_p),
    "deeptrack_last_error_message": ([ctypes.c_char_p, c_size_t, POINTER(c_size_t)], status),
    "deeptrack_feature_new": ([c_char_p, POINTER(c_void_p)], status),
    "deeptrack_feature_set_property": ([c_void_p, c_char_p, c_void_p], status),
    "deeptrack_feature_store_properties": ([c_void_p, c_bool], status),
    "deeptrack_feature_seed": ([c_void_p, ctypes.c_uint64], status),
    "deeptrack_feature_resolve": ([c_void_p, c_void_p, POINTER(c_void_p)], status),
    "deeptrack_feature_free": ([c_void_p], None),
    "deeptrack_rule_uniform": ([c_double, c_double, POINTER(c_void_p)], status),
    "deeptrack_image_new": ([POINTER(c_double), POINTER(c_size_t), c_size_t, POINTER(c_void_p)], status),
    "deeptrack_image_copy_to": ([c_void_p, POINTER(c_double), c_size_t], status),
    "deeptrack_image_property_count": ([c_void_p], c_size_t),
    "deeptrack_image_get_property": ([c_void_p, c_char_p, c_bool, POINTER(c_void_p)], status),
    "deeptrack_image_free": ([c_void_p], None),
    "deeptrack_value_as_float": ([c_void_p, POINTER(c_double)], status),
    "deeptrack_value_free": ([c_void_p], None),
}
for name, (argtypes, restype) in decl.items():
    fn = getattr(lib, name)
    fn.argtypes = argtypes
    fn.restype = restype


def check(code):
    if code != OK:
        buf = ctypes.create_string_buffer(1024)
        lib.deeptrack_last_error_message(buf, len(buf), None)
        raise RuntimeError(f"{lib.deeptrack_status_str(code).decode()}: {buf.value.decode()}")


print("libdeeptrack", lib.deeptrack_version().decode())

add = c_void_p()
check(lib.deeptrack_feature_new(b"Add", ctypes.byref(add)))
rule = c_void_p()
check(lib.deeptrack_rule_uniform(1.0, 2.0, ctypes.byref(rule)))
check(lib.deeptrack_feature_set_property(add, b"value", rule))  # takes the rule
check(lib.deeptrack_feature_store_properties(add, True))
check(lib.deeptrack_feature_seed(add, 7))

data = (c_double * 6)(*range(6))
shape = (c_size_t * 2)(2, 3)
img = c_void_p()
check(lib.deeptrack_image_new(data, shape, 2, ctypes.byref(img)))
out = c_void_p()
check(lib.deeptrack_feature_resolve(add, img, ctypes.byref(out)))
result = (c_double * 6)()
check(lib.deeptrack_image_copy_to(out, result, 6))

value = c_void_p()
check(lib.deeptrack_image_get_property(out, b"value", True, ctypes.byref(value)))
added = c_double()
check(lib.deeptrack_value_as_float(value, ctypes.byref(added)))
assert 1.0 <= added.value < 2.0, added.value
assert [round(r - added.value, 12) for r in result] == [0, 1, 2, 3, 4, 5], list(result)
assert lib.deeptrack_image_property_count(out) == 1

missing = c_void_p()
assert lib.deeptrack_image_get_property(out, b"radius", True, ctypes.byref(missing)) == NOT_FOUND
try:
    check(lib.deeptrack_feature_resolve(None, img, ctypes.byref(out)))
    raise AssertionError("a NULL feature must fail")
except RuntimeError as e:
    assert "argument 'f' is NULL" in str(e), e

for free, handle in [
    (lib.deeptrack_value_free, value),
    (lib.deeptrack_image_free, out),
    (lib.deeptrack_image_free, img),
    (lib.deeptrack_feature_free, add),
]:
    free(handle)
print(f"resolved Add(value={added.value:.4f}) on a 2x3 image through ctypes: ok")
