/* The scene kinds from C by kind name: NonOverlapping (volumes apart, their final positions in the
 * dicts, the warning of an impossible placement through deeptrack_take_warnings), ComplexGaussian
 * (a complex image: a last axis of 2 and deeptrack_image_is_complex), Gaussian with a complex sigma, CropTight (values) and Reuse
 * (how often its feature is computed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* A repeat of `n` spheres of `radius` µm (voxels outside a microscope) placed uniformly in
 * [lo, hi)², made apart by a NonOverlapping of `min_distance`, storing properties. */
static deeptrack_feature *apart(size_t n, double radius, double lo, double hi, double min_distance) {
    deeptrack_feature *sphere = NULL, *many = NULL, *placed = NULL;
    deeptrack_rule *position = NULL;
    double low[2] = {lo, lo}, high[2] = {hi, hi};
    OK(deeptrack_feature_new("Sphere", &sphere));
    OK(deeptrack_feature_set_property(sphere, "radius", constant_float(radius * 1e-6)));
    OK(deeptrack_rule_uniform_array(low, high, 2, &position));
    OK(deeptrack_feature_set_property(sphere, "position", position));
    OK(deeptrack_feature_repeat(sphere, n, &many));
    OK(deeptrack_feature_new_with("NonOverlapping", &many, 1, &placed));
    OK(deeptrack_feature_set_property(placed, "min_distance", constant_float(min_distance)));
    OK(deeptrack_feature_store_properties(placed, true));
    deeptrack_feature_free(sphere);
    deeptrack_feature_free(many);
    return placed;
}

static void position_of(const deeptrack_image *img, double out[2]) {
    deeptrack_value *v = NULL;
    const double *data = NULL;
    const size_t *shape = NULL;
    size_t ndim = 0;
    OK(deeptrack_image_get_property(img, "position", true, &v));
    OK(deeptrack_value_array(v, &data, &shape, &ndim));
    out[0] = data[0];
    out[1] = data[1];
    deeptrack_value_free(v);
}

static void test_non_overlapping(void) {
    char buf[512];
    deeptrack_feature *placed = apart(4, 3, 0, 40, 4);
    OK(deeptrack_feature_seed(placed, 9));
    OK(deeptrack_take_warnings(buf, sizeof buf, NULL));
    for (int round = 0; round < 10; round++) {
        deeptrack_image *out[8] = {NULL};
        size_t n = 0;
        double p[4][2];
        OK(deeptrack_feature_update(placed));
        OK(deeptrack_feature_resolve_many(placed, NULL, out, 8, &n));
        CHECK(n == 4);
        for (size_t i = 0; i < n && i < 4; i++) position_of(out[i], p[i]);
        /* Balls of radius 3 (7 voxels across) 4 voxels apart: centres at least 2·3 + 4 − 2 apart. */
        for (size_t i = 0; i < n && i < 4; i++)
            for (size_t j = i + 1; j < n && j < 4; j++)
                CHECK(hypot(p[i][0] - p[j][0], p[i][1] - p[j][1]) >= 8.0);
        for (size_t i = 0; i < n && i < 8; i++) deeptrack_image_free(out[i]);
        OK(deeptrack_take_warnings(buf, sizeof buf, NULL));
        CHECK(buf[0] == '\0');
    }
    deeptrack_feature_free(placed);

    /* Three balls of radius 8 in a 4 × 4 square: impossible; the last placement and a warning. */
    deeptrack_feature *crowded = apart(3, 8, 0, 4, 1);
    deeptrack_value *two = NULL;
    deeptrack_rule *rule = NULL;
    OK(deeptrack_value_new_int(2, &two));
    OK(deeptrack_rule_constant(two, &rule));
    OK(deeptrack_feature_set_property(crowded, "max_attempts", rule));
    OK(deeptrack_rule_constant(two, &rule));
    OK(deeptrack_feature_set_property(crowded, "max_iters", rule));
    deeptrack_value_free(two);
    deeptrack_image *out[4] = {NULL};
    size_t n = 0, needed = 0;
    OK(deeptrack_feature_resolve_many(crowded, NULL, out, 4, &n));
    CHECK(n == 3);
    for (size_t i = 0; i < n && i < 4; i++) deeptrack_image_free(out[i]);
    CHECK(deeptrack_take_warnings(NULL, 0, &needed) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL && needed > 1);
    OK(deeptrack_take_warnings(buf, sizeof buf, NULL));
    CHECK(strstr(buf, "non-overlapping placement could not be achieved in 2 attempts of 2 re-draws") != NULL);
    OK(deeptrack_take_warnings(buf, sizeof buf, NULL));
    CHECK(buf[0] == '\0');
    deeptrack_feature_free(crowded);

    /* It needs its feature. */
    deeptrack_feature *none = NULL;
    CHECK(deeptrack_feature_new("NonOverlapping", &none) == DEEPTRACK_STATUS_INVALID_ARGUMENT && none == NULL);
}

static void test_complex_gaussian(void) {
    deeptrack_feature *noise = NULL;
    deeptrack_image *input = NULL, *out = NULL;
    double zeros[6] = {0};
    size_t shape[2] = {2, 3}, got[3] = {0};
    bool complex = false;
    OK(deeptrack_feature_new("ComplexGaussian", &noise));
    OK(deeptrack_feature_set_property(noise, "mu", constant_float(1.5)));
    OK(deeptrack_feature_set_property(noise, "sigma", constant_float(0)));
    OK(deeptrack_image_new(zeros, shape, 2, &input));
    OK(deeptrack_image_is_complex(input, &complex));
    CHECK(!complex);
    OK(deeptrack_feature_resolve(noise, input, &out));
    CHECK(deeptrack_image_ndim(out) == 3);
    OK(deeptrack_image_shape(out, got, 3));
    CHECK(got[0] == 2 && got[1] == 3 && got[2] == 2);
    OK(deeptrack_image_is_complex(out, &complex));
    CHECK(complex);
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 12 && data[0] == 1.5 && data[1] == 0.0 && data[10] == 1.5);
    /* A real image whose last axis is not 2 cannot be marked complex. */
    CHECK(deeptrack_image_set_complex(input, true) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "last axis of length 2") != NULL);
    OK(deeptrack_image_set_complex(out, false));
    OK(deeptrack_image_is_complex(out, &complex));
    CHECK(!complex);
    CHECK(deeptrack_image_is_complex(NULL, &complex) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_is_complex(out, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_set_complex(NULL, true) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    deeptrack_image_free(out);
    deeptrack_image_free(input);
    deeptrack_feature_free(noise);
}

static deeptrack_rule *constant_complex(double re, double im) {
    deeptrack_value *v = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_value_new_complex(re, im, &v));
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

/* Gaussian and ComplexGaussian with a complex sigma (DeepTrack2's Gaussian(sigma=0.005j)): complex
 * images; an imaginary sigma leaves the real part x + mu, and a bad complex sigma is refused. */
static void test_complex_sigma(void) {
    deeptrack_feature *noise = NULL, *cg = NULL;
    deeptrack_image *input = NULL, *out = NULL, *out2 = NULL;
    double ones[4] = {1, 1, 1, 1};
    size_t shape[2] = {2, 2};
    bool complex = false;
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_feature_new("Gaussian", &noise));
    OK(deeptrack_feature_set_property(noise, "mu", constant_complex(0.5, 2.0)));
    OK(deeptrack_feature_set_property(noise, "sigma", constant_complex(0.0, 0.005)));
    OK(deeptrack_image_new(ones, shape, 2, &input));
    OK(deeptrack_feature_resolve(noise, input, &out));
    OK(deeptrack_image_is_complex(out, &complex));
    CHECK(complex && deeptrack_image_ndim(out) == 3);
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 8);
    for (size_t i = 0; i < 4; i++) {
        CHECK(data[2 * i] == 1.5);
        CHECK(fabs(data[2 * i + 1] - 2.0) < 0.05 && data[2 * i + 1] != 2.0);
    }
    /* set_property takes the rule even when it refuses it. */
    CHECK(deeptrack_feature_set_property(noise, "sigma", constant_complex(NAN, 1.0)) ==
          DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'sigma' of feature 'Gaussian': expected a complex number with finite parts")
          != NULL);
    /* ComplexGaussian: a sigma of 0 + 0j adds mu only. */
    OK(deeptrack_feature_new("ComplexGaussian", &cg));
    OK(deeptrack_feature_set_property(cg, "mu", constant_complex(-1.0, 3.0)));
    OK(deeptrack_feature_set_property(cg, "sigma", constant_complex(0.0, 0.0)));
    OK(deeptrack_feature_resolve(cg, input, &out2));
    OK(deeptrack_image_data(out2, &data, &len));
    CHECK(len == 8 && data[0] == 0.0 && data[1] == 3.0 && data[6] == 0.0 && data[7] == 3.0);
    deeptrack_image_free(out2);
    deeptrack_image_free(out);
    deeptrack_image_free(input);
    deeptrack_feature_free(cg);
    deeptrack_feature_free(noise);
}

static void test_crop_tight(void) {
    deeptrack_feature *crop = NULL;
    deeptrack_image *input = NULL, *out = NULL;
    double data[2 * 3 * 2] = {0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0};
    size_t shape[3] = {2, 3, 2}, got[3] = {0}, len = 0;
    const double *values = NULL;
    OK(deeptrack_feature_new("CropTight", &crop));
    OK(deeptrack_image_new(data, shape, 3, &input));
    OK(deeptrack_feature_resolve(crop, input, &out));
    OK(deeptrack_image_shape(out, got, 3));
    CHECK(got[0] == 1 && got[1] == 2 && got[2] == 1);
    OK(deeptrack_image_data(out, &values, &len));
    CHECK(len == 2 && values[0] == 2 && values[1] == 3);
    deeptrack_image_free(out);
    deeptrack_image_free(input);
    deeptrack_feature_free(crop);
}

static deeptrack_status count_draws(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)ctx;
    int *draws = userdata;
    return deeptrack_value_new_float((double)(*draws)++, out);
}

static void test_reuse(void) {
    int draws = 0;
    deeptrack_feature *value = NULL, *reuse = NULL;
    deeptrack_rule *rule = NULL;
    OK(deeptrack_feature_new("Value", &value));
    OK(deeptrack_rule_callback(count_draws, &draws, NULL, &rule));
    OK(deeptrack_feature_set_property(value, "value", rule));
    OK(deeptrack_feature_new_with("Reuse", &value, 1, &reuse));
    deeptrack_value *three = NULL;
    OK(deeptrack_value_new_int(3, &three));
    OK(deeptrack_rule_constant(three, &rule));
    deeptrack_value_free(three);
    OK(deeptrack_feature_set_property(reuse, "uses", rule));
    double seen[6];
    for (int i = 0; i < 6; i++) {
        deeptrack_image *out = NULL;
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_feature_update(reuse));
        OK(deeptrack_feature_resolve(reuse, NULL, &out));
        OK(deeptrack_image_data(out, &data, &len));
        seen[i] = len ? data[0] : -1;
        deeptrack_image_free(out);
    }
    CHECK(seen[0] == 0 && seen[1] == 0 && seen[2] == 0 && seen[3] == 1 && seen[4] == 1 && seen[5] == 1);
    CHECK(draws == 2);
    deeptrack_feature_free(reuse);
    deeptrack_feature_free(value);
}

int main(void) {
    test_non_overlapping();
    test_complex_gaussian();
    test_complex_sigma();
    test_crop_tight();
    test_reuse();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
