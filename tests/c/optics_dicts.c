/* The optics' own dicts from C, as DeepTrack2 2.0.1 records them on a rendered image (the dict before
 * {'name': 'Microscope'}): its keys in its order (NA, wavelength, refractive_index_medium,
 * magnification, resolution, padding, output_region, voxel_size, pixel_size, upscale, limits, fields,
 * the kind's own, name), output_region and padding as the microscope set them (times the upscale),
 * voxel_size and pixel_size resolution / magnification, limits the volume's extent (3 x 2), fields
 * empty without field scatterers, and return_field only when given. The values are 2.0.1's (fixtures
 * optics_dict_fluo, optics_dict_bf_upscale231, optics_dict_bf_return_field). */
#include <string.h>

#include "check.h"
#include "helpers.h"

/* Whether the keys of `d` are `keys` (n of them), in order. */
static int keys_are(const deeptrack_property_dict *d, const char *const *keys, size_t n) {
    if (deeptrack_property_dict_len(d) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = NULL;
        OK(deeptrack_property_dict_key(d, i, &k));
        if (!k || strcmp(k, keys[i]) != 0) return 0;
    }
    return 1;
}

/* Whether list (or tuple) `key` of `d` holds the integers `want` (4). */
static int ints_are(const deeptrack_property_dict *d, const char *key, const long *want) {
    const deeptrack_value *v = NULL;
    OK(deeptrack_property_dict_get(d, key, &v));
    if (deeptrack_value_list_len(v) != 4) return 0;
    for (size_t i = 0; i < 4; i++) {
        int64_t x = 0;
        OK(deeptrack_value_as_int(deeptrack_value_list_get(v, i), &x));
        if (x != want[i]) return 0;
    }
    return 1;
}

/* Whether array `key` of `d` has `ndim` axes, `n` numbers equal to `want`. */
static int array_is(const deeptrack_property_dict *d, const char *key, size_t ndim, size_t n, const double *want) {
    const deeptrack_value *v = NULL;
    const double *x = NULL;
    const size_t *shape = NULL;
    size_t dims = 0;
    OK(deeptrack_property_dict_get(d, key, &v));
    OK(deeptrack_value_array(v, &x, &shape, &dims));
    size_t count = 1;
    for (size_t i = 0; i < dims; i++) count *= shape[i];
    if (!x || dims != ndim || count != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] != want[i]) return 0;
    return 1;
}

/* The optics' dict of `optics` imaging a sphere at (20, 30) (radius 0.5 um; a point particle of
 * intensity 5 for Fluorescence); checks it with `check` and frees everything. */
static void imaged(deeptrack_feature *optics, int point, void (*check)(const deeptrack_property_dict *)) {
    deeptrack_feature *s = NULL, *pipe = NULL;
    const double at[2] = {20, 30};
    OK(deeptrack_feature_new(point ? "PointParticle" : "Sphere", &s));
    set_vector(s, "position", at, 2);
    if (point) {
        set_float(s, "intensity", 5);
    } else {
        set_float(s, "radius", 5e-7);
        set_float(s, "refractive_index", 1.45);
    }
    OK(deeptrack_feature_microscope(optics, s, &pipe));
    OK(deeptrack_feature_store_properties(pipe, true));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    size_t count = deeptrack_image_property_count(img);
    CHECK(count == 3);
    const deeptrack_property_dict *d = NULL, *last = NULL;
    OK(deeptrack_image_property_dict(img, count - 2, &d));
    OK(deeptrack_image_property_dict(img, count - 1, &last));
    const deeptrack_value *name = NULL;
    const char *s_name = NULL;
    OK(deeptrack_property_dict_get(last, "name", &name));
    OK(deeptrack_value_as_string(name, &s_name));
    CHECK(s_name && strcmp(s_name, "Microscope") == 0);
    if (d) check(d);
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(s);
    deeptrack_feature_free(optics);
}

static const char *const KEYS[13] = {"NA",        "wavelength", "refractive_index_medium",
                                     "magnification", "resolution", "padding",
                                     "output_region", "voxel_size", "pixel_size",
                                     "upscale",   "limits",     "fields",
                                     "name"};

static void fluorescence(const deeptrack_property_dict *d) {
    const long pad[4] = {10, 10, 10, 10}, region[4] = {0, 0, 128, 128};
    const double voxel[3] = {1e-7, 1e-7, 1e-7}, limits[6] = {18, 23, 28, 33, -2, 3};
    CHECK(keys_are(d, KEYS, 13));
    CHECK(ints_are(d, "padding", pad));
    CHECK(ints_are(d, "output_region", region));
    CHECK(array_is(d, "voxel_size", 1, 3, voxel));
    CHECK(array_is(d, "limits", 2, 6, limits));
    const deeptrack_value *v = NULL;
    double pixel = 0;
    OK(deeptrack_property_dict_get(d, "pixel_size", &v));
    OK(deeptrack_value_as_float(v, &pixel));
    CHECK(pixel == 1e-7);
    OK(deeptrack_property_dict_get(d, "fields", &v));
    CHECK(deeptrack_value_kind(v) == DEEPTRACK_VALUE_KIND_LIST && deeptrack_value_list_len(v) == 0);
    printf("Fluorescence: limits [[%g, %g], [%g, %g], [%g, %g]], pixel_size %g\n", limits[0], limits[1], limits[2],
           limits[3], limits[4], limits[5], pixel);
}

static void brightfield_upscaled(const deeptrack_property_dict *d) {
    const long pad[4] = {6, 12, 10, 18}, region[4] = {10, 21, 80, 150};
    const double limits[6] = {28, 52, 75, 108, -7, 7};
    CHECK(keys_are(d, KEYS, 13));
    CHECK(ints_are(d, "padding", pad));
    CHECK(ints_are(d, "output_region", region));
    CHECK(array_is(d, "limits", 2, 6, limits));
    printf("Brightfield(upscale=(2, 3, 1)): padding and output_region upscaled, limits as 2.0.1's\n");
}

static void brightfield_field(const deeptrack_property_dict *d) {
    const char *keys[14];
    memcpy(keys, KEYS, 12 * sizeof *keys);
    keys[12] = "return_field";
    keys[13] = "name";
    CHECK(keys_are(d, keys, 14));
    const deeptrack_value *v = NULL;
    bool on = false;
    OK(deeptrack_property_dict_get(d, "return_field", &v));
    OK(deeptrack_value_as_bool(v, &on));
    CHECK(on);
    printf("Brightfield(return_field=True): return_field after fields\n");
}

static void default_keys(const deeptrack_property_dict *d) {
    CHECK(keys_are(d, KEYS, 13));
    printf("Brightfield: no return_field when not given\n");
}

int main(void) {
    deeptrack_feature *optics = NULL;
    OK(deeptrack_feature_new("Fluorescence", &optics));
    imaged(optics, 1, fluorescence);

    const double up[3] = {2, 3, 1}, pad[4] = {3, 4, 5, 6}, region[4] = {5, 7, 40, 50};
    OK(deeptrack_feature_new("Brightfield", &optics));
    set_vector(optics, "upscale", up, 3);
    set_vector(optics, "padding", pad, 4);
    set_vector(optics, "output_region", region, 4);
    imaged(optics, 0, brightfield_upscaled);

    deeptrack_value *on = NULL;
    OK(deeptrack_value_new_bool(true, &on));
    OK(deeptrack_feature_new("Brightfield", &optics));
    set_value(optics, "return_field", on);
    imaged(optics, 0, brightfield_field);

    // Not given: no return_field (the default dict's keys).
    OK(deeptrack_feature_new("Brightfield", &optics));
    imaged(optics, 0, default_keys);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
