/* A scatterer's voxel_size and pixel_size from C, as DeepTrack2 2.0.1 records them: resolved alone,
 * None (or the values given); imaged by a microscope, the optics' resolution / magnification (per axis
 * for voxel_size, not divided by the upscale), whatever was given, and the image is the one the
 * scatterer gives without them. The scatterer's dict keeps DeepTrack2's key order (position, z,
 * value, position_unit, upsample, voxel_size, pixel_size, then the kind's own), and a MieSphere's
 * records the optics' wavelength and the output region times the upscale. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N 24

static void set(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(f, key, r));
}

static deeptrack_value *num(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return v;
}

static deeptrack_value *vec(size_t n, const double *x) {
    deeptrack_value *v = NULL;
    size_t shape[1] = {n};
    OK(deeptrack_value_new_array(x, shape, 1, &v));
    return v;
}

/* The first dict's voxel_size (3 numbers, or none: NAN) and pixel_size into `voxel` and `pixel`. */
static void recorded(const deeptrack_property_dict *d, double *voxel, double *pixel) {
    const deeptrack_value *v = NULL, *p = NULL;
    voxel[0] = voxel[1] = voxel[2] = *pixel = NAN;
    OK(deeptrack_property_dict_get(d, "voxel_size", &v));
    OK(deeptrack_property_dict_get(d, "pixel_size", &p));
    if (deeptrack_value_kind(v) != DEEPTRACK_VALUE_KIND_NONE) {
        const double *x = NULL;
        const size_t *shape = NULL;
        size_t ndim = 0;
        OK(deeptrack_value_array(v, &x, &shape, &ndim));
        CHECK(x && ndim == 1 && shape[0] == 3);
        if (x && ndim == 1 && shape[0] == 3) memcpy(voxel, x, 3 * sizeof *x);
    }
    if (deeptrack_value_kind(p) != DEEPTRACK_VALUE_KIND_NONE) OK(deeptrack_value_as_float(p, pixel));
}

/* Whether the first `n` keys of `d` are `keys`. */
static int keys_start(const deeptrack_property_dict *d, const char *const *keys, size_t n) {
    if (deeptrack_property_dict_len(d) < n) return 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = NULL;
        OK(deeptrack_property_dict_key(d, i, &k));
        if (!k || strcmp(k, keys[i]) != 0) return 0;
    }
    return 1;
}

static const char *const HEAD[7] = {"position", "z", "value", "position_unit", "upsample", "voxel_size", "pixel_size"};

/* `kind` imaged by Fluorescence (resolution 1.5 um, magnification 5, upscale 2), with or without a
 * voxel_size and pixel_size of its own; its image into `out` (N x N). */
static void imaged(const char *kind, int given, double *out) {
    deeptrack_feature *optics = NULL, *s = NULL, *pipe = NULL;
    const double region[4] = {0, 0, N, N}, at[2] = {11.3, 12.6}, own[3] = {2e-7, 2e-7, 5e-7};
    OK(deeptrack_feature_new("Fluorescence", &optics));
    set(optics, "output_region", vec(4, region));
    set(optics, "resolution", num(1.5e-6));
    set(optics, "magnification", num(5));
    set(optics, "upscale", num(2));
    OK(deeptrack_feature_new(kind, &s));
    set(s, "position", vec(2, at));
    set(s, "intensity", num(10));
    if (given) {
        set(s, "voxel_size", vec(3, own));
        set(s, "pixel_size", num(3e-7));
    }
    OK(deeptrack_feature_microscope(optics, s, &pipe));
    OK(deeptrack_feature_store_properties(pipe, true));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    const deeptrack_property_dict *d = NULL;
    OK(deeptrack_image_property_dict(img, 0, &d));
    double voxel[3], pixel;
    recorded(d, voxel, &pixel);
    for (int i = 0; i < 3; i++) CHECK(voxel[i] == 1.5e-6 / 5);
    CHECK(pixel == 1.5e-6 / 5);
    CHECK(keys_start(d, HEAD, 7));
    const double *data = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(img, &data, &n));
    CHECK(n == N * N);
    if (data && n == N * N) memcpy(out, data, n * sizeof *data);
    printf("%s%s in Fluorescence: voxel_size (%g, %g, %g), pixel_size %g\n", kind, given ? " (given its own)" : "",
           voxel[0], voxel[1], voxel[2], pixel);
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(s);
    deeptrack_feature_free(optics);
}

/* Resolved alone: None, or the values given (DeepTrack2 computes at 1 um voxels either way). */
static void alone(const char *kind) {
    deeptrack_feature *s = NULL;
    const double own[3] = {2e-7, 2e-7, 5e-7};
    double voxel[3], pixel;
    OK(deeptrack_feature_new(kind, &s));
    OK(deeptrack_feature_store_properties(s, true));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(s, NULL, &img));
    const deeptrack_property_dict *d = NULL;
    OK(deeptrack_image_property_dict(img, 0, &d));
    recorded(d, voxel, &pixel);
    CHECK(isnan(voxel[0]) && isnan(pixel));
    CHECK(keys_start(d, HEAD, 7));
    deeptrack_image_free(img);
    deeptrack_feature_free(s);

    OK(deeptrack_feature_new(kind, &s));
    set(s, "voxel_size", vec(3, own));
    set(s, "pixel_size", num(3e-7));
    OK(deeptrack_feature_store_properties(s, true));
    img = NULL;
    OK(deeptrack_feature_resolve(s, NULL, &img));
    OK(deeptrack_image_property_dict(img, 0, &d));
    recorded(d, voxel, &pixel);
    CHECK(voxel[0] == 2e-7 && voxel[1] == 2e-7 && voxel[2] == 5e-7 && pixel == 3e-7);
    printf("%s alone: voxel_size (%g, %g, %g), pixel_size %g as given\n", kind, voxel[0], voxel[1], voxel[2], pixel);
    deeptrack_image_free(img);
    deeptrack_feature_free(s);
}

/* A MieSphere in Brightfield at upscale 2 records the optics' numbers as DeepTrack2 sets them. */
static void mie(void) {
    deeptrack_feature *optics = NULL, *s = NULL, *pipe = NULL;
    const double region[4] = {0, 0, N, N}, at[2] = {12, 12};
    OK(deeptrack_feature_new("Brightfield", &optics));
    set(optics, "output_region", vec(4, region));
    set(optics, "wavelength", num(5e-7));
    set(optics, "upscale", num(2));
    OK(deeptrack_feature_new("MieSphere", &s));
    set(s, "position", vec(2, at));
    set(s, "radius", num(4e-7));
    OK(deeptrack_feature_microscope(optics, s, &pipe));
    OK(deeptrack_feature_store_properties(pipe, true));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    const deeptrack_property_dict *d = NULL;
    OK(deeptrack_image_property_dict(img, 0, &d));
    double voxel[3], pixel, wavelength = 0;
    recorded(d, voxel, &pixel);
    CHECK(voxel[0] == 1e-7 && voxel[2] == 1e-7 && pixel == 1e-7);
    CHECK(keys_start(d, HEAD, 7));
    const deeptrack_value *w = NULL, *r = NULL;
    OK(deeptrack_property_dict_get(d, "wavelength", &w));
    OK(deeptrack_value_as_float(w, &wavelength));
    CHECK(wavelength == 5e-7);
    OK(deeptrack_property_dict_get(d, "output_region", &r));
    int64_t corner = 0;
    CHECK(deeptrack_value_list_len(r) == 4);
    OK(deeptrack_value_as_int(deeptrack_value_list_get(r, 3), &corner));
    CHECK(corner == 2 * N);
    printf("MieSphere in Brightfield (upscale 2): wavelength %g, output_region[3] %lld, pixel_size %g\n", wavelength,
           (long long)corner, pixel);
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(s);
    deeptrack_feature_free(optics);
}

int main(void) {
    static double a[N * N], b[N * N];
    const char *kinds[3] = {"Sphere", "Ellipse", "PointParticle"};
    for (int k = 0; k < 3; k++) {
        alone(kinds[k]);
        imaged(kinds[k], 0, a);
        imaged(kinds[k], 1, b);
        double peak = 0, diff = 0;
        for (size_t i = 0; i < N * N; i++) {
            peak = fmax(peak, fabs(a[i]));
            diff = fmax(diff, fabs(a[i] - b[i]));
        }
        CHECK(peak > 0 && diff == 0);
    }
    mie();

    /* A voxel size that is not positive is refused when set, naming the property. */
    deeptrack_feature *s = NULL;
    OK(deeptrack_feature_new("Sphere", &s));
    deeptrack_rule *r = NULL;
    deeptrack_value *v = num(-1e-7);
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    CHECK(deeptrack_feature_set_property(s, "voxel_size", r) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "voxel_size") != NULL);
    deeptrack_feature_free(s);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
