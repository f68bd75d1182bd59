/* MieScatterer from C: its coefficients function is a custom feature given at construction
 * (deeptrack_feature_new_with("MieScatterer", {function})), called with a 0-d image holding L and
 * the properties (L, radius, the optics' wavelength and refractive_index_medium); it returns the
 * (2, L) complex array of a_n, b_n. A sphere's coefficients (deeptrack_mie_coefficients) give
 * MieSphere's field; a wrong shape is an error naming the property. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static int calls;

/* The coefficients of a sphere of refractive index 1.45 and the scatterer's radius; with
 * `*(int *)userdata` nonzero, a (3, L) array instead. */
static deeptrack_status sphere(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                               deeptrack_image **output) {
    calls++;
    const deeptrack_value *l = NULL, *radius = NULL, *wavelength = NULL, *medium = NULL;
    double order = 0, r = 0, w = 0, n = 0;
    const double *given = NULL;
    size_t len = 0;
    if (deeptrack_property_dict_get(props, "L", &l) || deeptrack_property_dict_get(props, "radius", &radius) ||
        deeptrack_property_dict_get(props, "wavelength", &wavelength) ||
        deeptrack_property_dict_get(props, "refractive_index_medium", &medium))
        return DEEPTRACK_STATUS_NOT_FOUND;
    if (deeptrack_value_as_float(l, &order) || deeptrack_value_as_float(radius, &r) ||
        deeptrack_value_as_float(wavelength, &w) || deeptrack_value_as_float(medium, &n) ||
        deeptrack_image_data(input, &given, &len) || len != 1 || given[0] != order)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    size_t L = (size_t)order, rows = *(int *)userdata ? 3 : 2;
    double *out = calloc(2 * rows * L, sizeof(double));
    if (!out) return DEEPTRACK_STATUS_OUT_OF_MEMORY;
    const double m[2] = {1.45 / n, 0.0}, a = r * 2 * 3.14159265358979323846 / w * n;
    deeptrack_status status = deeptrack_mie_coefficients(m, &a, 1, L, out, out + 2 * L);
    const size_t shape[3] = {rows, L, 2};
    if (status == DEEPTRACK_STATUS_OK) status = deeptrack_image_new(out, shape, 3, output);
    free(out);
    if (status == DEEPTRACK_STATUS_OK) status = deeptrack_image_set_complex(*output, true);
    return status;
}

/* The complex field (32 × 32 × 1 × 2) of `s` in brightfield, into `out`. */
static deeptrack_status field(deeptrack_feature *s, double *out) {
    deeptrack_feature *o = feature("Brightfield"), *scope = NULL;
    const double region[4] = {0, 0, 32, 32}, padding[4] = {8, 8, 8, 8};
    set_float(o, "NA", 0.7);
    set_float(o, "wavelength", 6.33e-7);
    set_float(o, "resolution", 1e-7);
    set_float(o, "magnification", 1);
    set_vector(o, "output_region", region, 4);
    set_vector(o, "padding", padding, 4);
    deeptrack_value *yes = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_value_new_bool(true, &yes));
    OK(deeptrack_rule_constant(yes, &r));
    deeptrack_value_free(yes);
    OK(deeptrack_feature_set_property(o, "return_field", r));
    OK(deeptrack_feature_microscope(o, s, &scope));
    deeptrack_feature_free(o);
    deeptrack_image *img = NULL;
    deeptrack_status status = deeptrack_feature_resolve(scope, NULL, &img);
    deeptrack_feature_free(scope);
    if (status != DEEPTRACK_STATUS_OK) return status;
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &data, &len));
    CHECK(len == 32 * 32 * 2);
    if (len == 32 * 32 * 2) memcpy(out, data, sizeof(double) * len);
    deeptrack_image_free(img);
    return status;
}

static double mine[32 * 32 * 2], reference[32 * 32 * 2];

int main(void) {
    static int wrong = 0;
    deeptrack_feature *function = NULL, *scatterer = NULL;
    OK(deeptrack_feature_new_custom("coefficients", sphere, &wrong, NULL, &function));
    OK(deeptrack_feature_new_with("MieScatterer", &function, 1, &scatterer));
    deeptrack_feature *ball = feature("MieSphere");
    const double position[2] = {16, 15.5};
    deeptrack_feature *both[2] = {scatterer, ball};
    for (int i = 0; i < 2; i++) {
        set_vector(both[i], "position", position, 2);
        set_float(both[i], "z", 2);
        set_float(both[i], "radius", 4e-7);
    }
    OK(field(scatterer, mine));
    CHECK(calls == 1);
    OK(field(ball, reference));
    double scale = 0, largest = 0;
    for (size_t i = 0; i < 32 * 32 * 2; i++) {
        scale = fmax(scale, fabs(reference[i]));
        largest = fmax(largest, fabs(mine[i] - reference[i]));
    }
    CHECK(scale > 0.5);
    CHECK(largest <= 1e-12 * scale);

    /* A (3, L) array: an error naming the property; L "auto" from the radius 0.4 µm at 633 nm is 11. */
    wrong = 1;
    CHECK(field(scatterer, mine) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'coefficients' of feature 'MieScatterer'") != NULL);
    CHECK(strstr(last_error(), "for L = 11, got shape [3, 11]") != NULL);

    deeptrack_feature_free(ball);
    deeptrack_feature_free(scatterer);
    deeptrack_feature_free(function);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
