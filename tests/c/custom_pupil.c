/* Pupils of one's own from C: a custom feature given as the optics' pupil (its get receives the
 * complex pupil of the whole FFT grid and, among its properties, the grids rho and theta, and returns
 * the new pupil), and an array multiplying the pupil (a Value feature holding it). Both apodize the
 * pupil as GaussianApodization does, and give its image; a pupil of the wrong shape is an error that
 * says so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static deeptrack_feature *feature(const char *kind) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(kind, &f));
    return f;
}

static void set_value(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(f, key, r));
}

static void set_float(deeptrack_feature *f, const char *key, double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    set_value(f, key, v);
}

static void set_vector(deeptrack_feature *f, const char *key, const double *x, size_t n) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_array(x, &n, 1, &v));
    set_value(f, key, v);
}

/* Fluorescence of a 32 × 40 region, padding 8, with the pupil `pupil`; NULL: none. */
static deeptrack_feature *optics(deeptrack_feature *pupil) {
    deeptrack_feature *o = NULL;
    OK(deeptrack_feature_new_with("Fluorescence", &pupil, pupil ? 1 : 0, &o));
    const double region[4] = {0, 0, 32, 40}, padding[4] = {8, 8, 8, 8};
    set_float(o, "NA", 0.8);
    set_float(o, "wavelength", 6.8e-7);
    set_vector(o, "output_region", region, 4);
    set_vector(o, "padding", padding, 4);
    return o;
}

/* The image of a point at (16.3, 19.6), z = 2, through `o` (its 32 × 40 values into `out`). */
static deeptrack_status image(deeptrack_feature *o, double *out) {
    deeptrack_feature *p = feature("PointParticle"), *scope = NULL;
    const double position[2] = {16.3, 19.6};
    set_vector(p, "position", position, 2);
    set_float(p, "z", 2.0);
    OK(deeptrack_feature_microscope(o, p, &scope));
    deeptrack_feature_free(p);
    deeptrack_image *img = NULL;
    deeptrack_status s = deeptrack_feature_resolve(scope, NULL, &img);
    deeptrack_feature_free(scope);
    if (s != DEEPTRACK_STATUS_OK) return s;
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &data, &len));
    CHECK(len == 32 * 40);
    if (len == 32 * 40) memcpy(out, data, sizeof(double) * len);
    deeptrack_image_free(img);
    return s;
}

/* What the custom pupil saw: the grid's shape, whether the pupil was complex, rho's largest value. */
static size_t grid[3];
static bool seen_complex;
static int calls;

/* A GaussianApodization of one's own: the pupil times exp(-(rho / sigma)^2), sigma its property;
 * `*(int *)userdata` nonzero: returns a 3 × 3 image instead. */
static deeptrack_status apodize(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                                deeptrack_image **output) {
    calls++;
    if (*(int *)userdata) {
        const double nine[9] = {0};
        const size_t shape[2] = {3, 3};
        return deeptrack_image_new(nine, shape, 2, output);
    }
    const deeptrack_value *rho = NULL, *sigma = NULL;
    if (deeptrack_property_dict_get(props, "rho", &rho) || deeptrack_property_dict_get(props, "sigma", &sigma))
        return DEEPTRACK_STATUS_NOT_FOUND;
    double s = 0;
    const double *r = NULL, *pupil = NULL;
    const size_t *rshape = NULL;
    size_t ndim = 0, len = 0;
    if (deeptrack_value_as_float(sigma, &s) || deeptrack_value_array(rho, &r, &rshape, &ndim) ||
        deeptrack_image_shape(input, grid, 3) || deeptrack_image_is_complex(input, &seen_complex) ||
        deeptrack_image_data(input, &pupil, &len))
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    if (ndim != 2 || rshape[0] != grid[0] || rshape[1] != grid[1] || len != 2 * grid[0] * grid[1])
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    double *out = malloc(sizeof(double) * len);
    if (!out) return DEEPTRACK_STATUS_OUT_OF_MEMORY;
    for (size_t k = 0; k < len / 2; k++) {
        double f = exp(-(r[k] / s) * (r[k] / s));
        out[2 * k] = pupil[2 * k] * f;
        out[2 * k + 1] = pupil[2 * k + 1] * f;
    }
    deeptrack_status status = deeptrack_image_new(out, grid, 3, output);
    free(out);
    if (status == DEEPTRACK_STATUS_OK) status = deeptrack_image_set_complex(*output, true);
    return status;
}

static double builtin[32 * 40], custom[32 * 40], array[32 * 40], plain[32 * 40];

static double largest_difference(const double *a, const double *b) {
    double d = 0.0;
    for (size_t i = 0; i < 32 * 40; i++) d = fmax(d, fabs(a[i] - b[i]));
    return d;
}

static double peak(const double *a) {
    double m = 0.0;
    for (size_t i = 0; i < 32 * 40; i++) m = fmax(m, a[i]);
    return m;
}

int main(void) {
    /* The library's GaussianApodization(sigma=0.6), and no pupil. */
    deeptrack_feature *apodization = feature("GaussianApodization");
    set_float(apodization, "sigma", 0.6);
    deeptrack_feature *o = optics(apodization);
    OK(image(o, builtin));
    deeptrack_feature_free(o);
    o = optics(NULL);
    OK(image(o, plain));
    deeptrack_feature_free(o);
    CHECK(largest_difference(builtin, plain) > 0.05 * peak(plain));

    /* The same apodization computed by a custom feature, from rho: the same image. */
    static int wrong_shape = 0;
    deeptrack_feature *mine = NULL;
    OK(deeptrack_feature_new_custom("MyApodization", apodize, &wrong_shape, NULL, &mine));
    set_float(mine, "sigma", 0.6);
    o = optics(mine);
    OK(image(o, custom));
    CHECK(calls == 1);
    CHECK(seen_complex);
    /* The padded region, 48 × 56, on DeepTrack2's FFT grid (2^a 3^b): 48 × 64, complex parts last. */
    CHECK(grid[0] == 48 && grid[1] == 64 && grid[2] == 2);
    CHECK(largest_difference(builtin, custom) < 1e-12 * peak(builtin));
    /* Never reused across images: called again at the next image, with nothing changed. */
    OK(image(o, custom));
    CHECK(calls == 2);

    /* A pupil of the wrong shape: an error naming the feature and the shapes. */
    wrong_shape = 1;
    CHECK(image(o, custom) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "feature 'MyApodization'") != NULL);
    CHECK(strstr(last_error(), "returned a pupil of shape [3, 3], expected the pupil's shape [48, 64]") != NULL);
    deeptrack_feature_free(o);

    /* The apodization as an array of the grid's shape (its centre at (24, 32)), held by a Value: the
     * pupil is multiplied by it. rho is divided by its largest value inside the aperture, read from
     * the custom pupil's rho above: recomputed here from the grid. */
    static double factor[48 * 64];
    double largest = 0.0;
    for (size_t i = 0; i < 48; i++)
        for (size_t j = 0; j < 64; j++) {
            double x = ((double)i - 24) / (0.8 / 6.8e-7 * 1e-7 * 48) + 1e-8;
            double y = ((double)j - 32) / (0.8 / 6.8e-7 * 1e-7 * 64) + 1e-8;
            if (x * x + y * y < 1) largest = fmax(largest, hypot((double)i - 24, (double)j - 32));
        }
    for (size_t i = 0; i < 48; i++)
        for (size_t j = 0; j < 64; j++) {
            double r = hypot((double)i - 24, (double)j - 32) / largest / 0.6;
            factor[i * 64 + j] = exp(-r * r);
        }
    deeptrack_feature *value = feature("Value");
    deeptrack_value *v = NULL;
    const size_t shape[2] = {48, 64};
    OK(deeptrack_value_new_array(factor, shape, 2, &v));
    set_value(value, "value", v);
    o = optics(value);
    OK(image(o, array));
    CHECK(largest_difference(builtin, array) < 1e-12 * peak(builtin));
    deeptrack_feature_free(o);

    /* An array that does not broadcast to the grid. */
    const size_t wrong[2] = {48, 63};
    OK(deeptrack_value_new_array(factor, wrong, 2, &v));
    set_value(value, "value", v);
    o = optics(value);
    CHECK(image(o, array) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'value' of feature 'Value'") != NULL);
    CHECK(strstr(last_error(), "the pupil array's shape [48, 63] does not broadcast to the pupil's grid [48, 64]") !=
          NULL);
    deeptrack_feature_free(o);

    deeptrack_feature_free(value);
    deeptrack_feature_free(mine);
    deeptrack_feature_free(apodization);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
