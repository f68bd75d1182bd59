/* Scatterers whose volume a callback computes, from C (DeepTrack2's subclass of a built-in scatterer
 * that overrides get): deeptrack_feature_new_scatterer("Ellipse", get, ...) hands the callback the
 * properties DeepTrack2's get receives (the radius as two numbers, voxel_size and pixel_size of the
 * optics), and the volume it returns is imaged as the kind's own: returning the built-in volume
 * (deeptrack_scatterer_volume, uncropped as DeepTrack2's get gives it) images exactly as the built-in
 * Ellipse, and twice that volume images twice as bright (Fluorescence is linear). The built-in volumes
 * have DeepTrack2's uncropped grids (a Sphere of 5 voxels' radius is 10 x 10 x 10, a point under an
 * upscale of 2 is one voxel of 8); bad kinds, bad values and bad volumes are refused with statuses and
 * messages that name them, and the userdata is freed once, with the feature (never on failure). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N 40

static int freed = 0, calls = 0;

static void free_counter(void *p) {
    (void)p;
    freed++;
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

static void set(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(f, key, r));
}

/* The number at `key` of `props` (a float), or NAN. */
static double number(const deeptrack_property_dict *props, const char *key) {
    const deeptrack_value *v = NULL;
    double x = NAN;
    if (deeptrack_property_dict_get(props, key, &v) == DEEPTRACK_STATUS_OK) deeptrack_value_as_float(v, &x);
    return x;
}

/* The Ellipse's volume from its properties, computed by the library, times *userdata. */
static deeptrack_status scaled_ellipse(void *userdata, const deeptrack_image *input,
                                       const deeptrack_property_dict *props, deeptrack_image **output) {
    calls++;
    CHECK(input == NULL);
    /* As DeepTrack2's get receives them: voxel_size, three numbers; radius, two. */
    const deeptrack_value *vox = NULL, *radius = NULL, *rotation = NULL, *transpose = NULL;
    OK(deeptrack_property_dict_get(props, "voxel_size", &vox));
    CHECK(deeptrack_value_kind(vox) == DEEPTRACK_VALUE_KIND_TUPLE && deeptrack_value_list_len(vox) == 3);
    double v0 = 0;
    OK(deeptrack_value_as_float(deeptrack_value_list_get(vox, 2), &v0));
    CHECK(fabs(v0 - 1e-7) < 1e-20);
    CHECK(fabs(number(props, "pixel_size") - 1e-7) < 1e-20);
    OK(deeptrack_property_dict_get(props, "radius", &radius));
    const double *r = NULL;
    const size_t *shape = NULL;
    size_t ndim = 0;
    OK(deeptrack_value_array(radius, &r, &shape, &ndim));
    CHECK(ndim == 1 && shape[0] == 2 && r[0] == 1.1e-6 && r[1] == 1.1e-6);
    OK(deeptrack_property_dict_get(props, "rotation", &rotation));
    OK(deeptrack_property_dict_get(props, "transpose", &transpose));
    const char *keys[4] = {"radius", "voxel_size", "rotation", "transpose"};
    const deeptrack_value *values[4] = {radius, vox, rotation, transpose};
    deeptrack_image *volume = NULL;
    deeptrack_status s = deeptrack_scatterer_volume("Ellipse", keys, values, 4, &volume);
    if (s != DEEPTRACK_STATUS_OK) return s;
    /* Uncropped: the grid of 2 * ceil(radius / voxel) voxels a side (1.1e-6 / 1e-7 = 11.000000000000002:
     * 24, as numpy gives it), one plane. */
    size_t vs[3] = {0};
    OK(deeptrack_image_shape(volume, vs, 3));
    CHECK(vs[0] == 24 && vs[1] == 24 && vs[2] == 1);
    double factor = *(const double *)userdata;
    if (factor == 1.0) {
        *output = volume;
        return DEEPTRACK_STATUS_OK;
    }
    const double *data = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(volume, &data, &n));
    double *scaled = malloc(n * sizeof *scaled);
    for (size_t i = 0; i < n; i++) scaled[i] = data[i] * factor;
    s = deeptrack_image_new(scaled, vs, 3, output);
    free(scaled);
    deeptrack_image_free(volume);
    return s;
}

/* A flat 2-D "volume": refused. */
static deeptrack_status flat(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                             deeptrack_image **output) {
    (void)userdata, (void)input, (void)props;
    const double data[4] = {1, 1, 1, 1};
    const size_t shape[2] = {2, 2};
    return deeptrack_image_new(data, shape, 2, output);
}

/* The N x N Fluorescence image of `scatterer` (0.1 um pixels) into `out`, or the resolve's status. */
static deeptrack_status image(deeptrack_feature *scatterer, double *out) {
    deeptrack_feature *fl = NULL, *pipe = NULL;
    const double region[4] = {0, 0, N, N};
    OK(deeptrack_feature_new("Fluorescence", &fl));
    set(fl, "output_region", vec(4, region));
    OK(deeptrack_feature_microscope(fl, scatterer, &pipe));
    deeptrack_image *img = NULL;
    deeptrack_status s = deeptrack_feature_resolve(pipe, NULL, &img);
    if (s == DEEPTRACK_STATUS_OK) {
        const double *data = NULL;
        size_t n = 0;
        OK(deeptrack_image_data(img, &data, &n));
        CHECK(n == N * N);
        if (n == N * N) memcpy(out, data, n * sizeof *data);
    }
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(fl);
    return s;
}

/* An Ellipse-like scatterer (`kind` built in, or computed by `get` with `factor`) at (18.3, 21.6). */
static deeptrack_feature *ellipse(deeptrack_get_fn get, double *factor) {
    deeptrack_feature *f = NULL;
    const double where[2] = {18.3, 21.6};
    if (get)
        OK(deeptrack_feature_new_scatterer("Ellipse", get, factor, free_counter, false, &f));
    else
        OK(deeptrack_feature_new("Ellipse", &f));
    set(f, "position", vec(2, where));
    set(f, "radius", num(1.1e-6));
    set(f, "intensity", num(3.0));
    return f;
}

int main(void) {
    static double builtin[N * N], same[N * N], twice[N * N];
    double one = 1.0, two = 2.0;

    deeptrack_feature *e = ellipse(NULL, NULL);
    OK(image(e, builtin));
    deeptrack_feature_free(e);
    double peak = 0;
    for (size_t i = 0; i < N * N; i++) peak = fmax(peak, builtin[i]);
    CHECK(peak > 0);

    /* The built-in volume returned by the callback: the built-in image, exactly. */
    e = ellipse(scaled_ellipse, &one);
    OK(image(e, same));
    CHECK(calls == 1);
    CHECK(memcmp(builtin, same, sizeof same) == 0);
    deeptrack_feature_free(e);
    CHECK(freed == 1);

    /* Twice the volume: twice the image. */
    e = ellipse(scaled_ellipse, &two);
    OK(image(e, twice));
    double worst = 0;
    for (size_t i = 0; i < N * N; i++) worst = fmax(worst, fabs(twice[i] - 2 * builtin[i]));
    CHECK(worst <= 1e-12 * peak);
    deeptrack_feature_free(e);
    CHECK(freed == 2);

    /* A volume that is not 3-D fails the resolve, naming the kind. */
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new_scatterer("Sphere", flat, NULL, NULL, false, &f));
    CHECK(image(f, same) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "Sphere: get returned shape [2, 2]; a scatterer's volume is a real 3-D array") != NULL);
    deeptrack_feature_free(f);

    /* Not a volume scatterer, or no callback: refused, and the userdata stays the caller's. */
    f = NULL;
    CHECK(deeptrack_feature_new_scatterer("MieSphere", flat, &one, free_counter, false, &f) ==
          DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "'MieSphere' is not a volume scatterer") != NULL);
    CHECK(f == NULL && freed == 2);
    CHECK(deeptrack_feature_new_scatterer("Ellipse", NULL, &one, free_counter, false, &f) ==
          DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_feature_new_scatterer("Ellipse", flat, NULL, NULL, false, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(freed == 2);

    /* The built-in volumes: DeepTrack2's uncropped grids. */
    deeptrack_value *r = num(5e-7), *vox = num(1e-7), *pixel = num(1e-7), *half = num(5e-8);
    const char *keys[2] = {"radius", "voxel_size"};
    const deeptrack_value *values[2] = {r, vox};
    deeptrack_image *v = NULL;
    OK(deeptrack_scatterer_volume("Sphere", keys, values, 2, &v));
    size_t shape[3] = {0};
    OK(deeptrack_image_shape(v, shape, 3));
    CHECK(shape[0] == 10 && shape[1] == 10 && shape[2] == 10);
    deeptrack_image_free(v);
    const char *pkeys[2] = {"voxel_size", "pixel_size"};
    const deeptrack_value *pvalues[2] = {half, pixel};
    OK(deeptrack_scatterer_volume("PointParticle", pkeys, pvalues, 2, &v));
    const double *data = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(v, &data, &n));
    CHECK(n == 1 && data[0] == 8.0);
    deeptrack_image_free(v);
    /* Defaults: a 1 um sphere at 1 um voxels, 2 x 2 x 2. */
    OK(deeptrack_scatterer_volume("Sphere", NULL, NULL, 0, &v));
    OK(deeptrack_image_shape(v, shape, 3));
    CHECK(shape[0] == 2 && shape[1] == 2 && shape[2] == 2);
    deeptrack_image_free(v);
    v = NULL;
    CHECK(deeptrack_scatterer_volume("Add", NULL, NULL, 0, &v) == DEEPTRACK_STATUS_INVALID_ARGUMENT && v == NULL);
    deeptrack_value *negative = num(-1e-6);
    const deeptrack_value *bad[2] = {negative, vox};
    CHECK(deeptrack_scatterer_volume("Sphere", keys, bad, 2, &v) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "Sphere") != NULL && strstr(last_error(), "radius") != NULL);
    const deeptrack_value *bad_vox[2] = {r, negative};
    CHECK(deeptrack_scatterer_volume("Sphere", keys, bad_vox, 2, &v) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "voxel_size") != NULL);
    CHECK(deeptrack_scatterer_volume("Sphere", keys, NULL, 2, &v) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    deeptrack_value_free(negative);
    deeptrack_value_free(r);
    deeptrack_value_free(vox);
    deeptrack_value_free(pixel);
    deeptrack_value_free(half);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
