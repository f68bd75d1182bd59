/* DeepTrack2's holography from C: FourierTransform, InverseFourierTransform and Rescale built by kind
 * name (the forward transform gives a complex image, the inverse the field back),
 * deeptrack_holography_propagation_matrix (a complex matrix in FFT order; bad arguments named), and
 * FourierTransformTransformation with complex matrices (a spectrum times a power of one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static deeptrack_feature *kind(const char *name, const char *key, double x) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(name, &f));
    if (key) OK(deeptrack_feature_set_property(f, key, constant_float(x)));
    return f;
}

int main(void) {
    enum { H = 5, W = 4, P = 3 };
    double field[H * W * 2];
    for (int i = 0; i < H * W * 2; i++) field[i] = sin(0.7 * i) + 0.25;
    size_t shape[3] = {H, W, 2};
    deeptrack_image *input = NULL, *spectrum = NULL, *back = NULL, *scaled = NULL;
    OK(deeptrack_image_new(field, shape, 3, &input));

    /* Forward: complex (H + 2P, W + 2P); its DC term is the sum of the padded field. */
    deeptrack_feature *ft = kind("FourierTransform", "padding", P), *ift = kind("InverseFourierTransform", "padding", P);
    OK(deeptrack_feature_resolve(ft, input, &spectrum));
    size_t out_shape[3] = {0};
    bool complex = false;
    OK(deeptrack_image_shape(spectrum, out_shape, 3));
    OK(deeptrack_image_is_complex(spectrum, &complex));
    CHECK(out_shape[0] == H + 2 * P && out_shape[1] == W + 2 * P && out_shape[2] == 2 && complex);

    /* Inverse: the field back, real (H, W, 2). */
    OK(deeptrack_feature_resolve(ift, spectrum, &back));
    const double *data = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(back, &data, &n));
    OK(deeptrack_image_is_complex(back, &complex));
    CHECK(n == H * W * 2 && !complex);
    double worst = 0;
    for (size_t i = 0; i < n && i < H * W * 2; i++) worst = fmax(worst, fabs(data[i] - field[i]));
    CHECK(worst < 1e-12);

    /* Rescale: (c0 - 1) * r + 1 and c1 * r. */
    deeptrack_feature *rescale = kind("Rescale", "rescale", 0.5);
    OK(deeptrack_feature_resolve(rescale, input, &scaled));
    OK(deeptrack_image_data(scaled, &data, &n));
    CHECK(n == H * W * 2 && data[0] == (field[0] - 1) * 0.5 + 1 && data[1] == field[1] * 0.5);

    /* The propagation matrix: over no distance, one on the propagating frequencies, zero beyond. */
    deeptrack_image *m = NULL;
    OK(deeptrack_holography_propagation_matrix(8, 6, 0, 1e-7, 5e-7, 0, 0, &m));
    OK(deeptrack_image_shape(m, out_shape, 3));
    OK(deeptrack_image_is_complex(m, &complex));
    CHECK(out_shape[0] == 8 && out_shape[1] == 6 && out_shape[2] == 2 && complex);
    OK(deeptrack_image_data(m, &data, &n));
    int ones = 0, zeros = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        ones += data[i] == 1 && data[i + 1] == 0;
        zeros += data[i] == 0 && data[i + 1] == 0;
    }
    CHECK(data[0] == 1 && ones + zeros == 48 && zeros > 0);
    /* Over 1 um the phase turns: |value| stays 1 where propagating. */
    deeptrack_image *m2 = NULL;
    OK(deeptrack_holography_propagation_matrix(8, 6, 1e-6, 1e-7, 5e-7, 0, 0, &m2));
    OK(deeptrack_image_data(m2, &data, &n));
    CHECK(fabs(hypot(data[2], data[3]) - 1) < 1e-12 && data[3] != 0);

    CHECK(deeptrack_holography_propagation_matrix(8, 6, 0, 1e-7, 5e-7, 0, 0, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    /* A matrix that cannot be allocated is OUT_OF_MEMORY, never an abort (issue 12). */
    deeptrack_image *huge = NULL;
    CHECK(deeptrack_holography_propagation_matrix((size_t)1 << 40, 1, 1e-6, 1e-7, 5e-7, 0, 0, &huge) ==
          DEEPTRACK_STATUS_OUT_OF_MEMORY);
    CHECK(huge == NULL && strstr(last_error(), "cannot allocate a 1099511627776 x 1 matrix") != NULL);
    CHECK(deeptrack_holography_propagation_matrix(1000000000, 1000000000, 1, 1e-6, 5e-7, 0, 0, &huge) ==
          DEEPTRACK_STATUS_OUT_OF_MEMORY);
    CHECK(huge == NULL);
    CHECK(deeptrack_holography_propagation_matrix(8, 6, 0, 0, 5e-7, 0, 0, &m2) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "pixel_size must be positive and finite") != NULL);
    CHECK(deeptrack_holography_propagation_matrix(8, 6, NAN, 1e-7, 5e-7, 0, 0, &m2) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "to_z must be finite") != NULL);

    /* FourierTransformTransformation: the spectrum times Tz^i (i >= 0) or Tzinv^|i| (i < 0). Tz is
     * the propagation matrix over 1 um, Tzinv over -1 um: forward 2 steps then back 2 steps is the
     * spectrum again (|Tz| = 1 where propagating; the rest is cut). */
    {
        enum { R = H + 2 * P, C = W + 2 * P };
        deeptrack_image *tz_image = NULL, *tzinv_image = NULL, *forward = NULL, *backward = NULL;
        OK(deeptrack_holography_propagation_matrix(R, C, 1e-6, 1e-7, 5e-7, 0, 0, &tz_image));
        OK(deeptrack_holography_propagation_matrix(R, C, -1e-6, 1e-7, 5e-7, 0, 0, &tzinv_image));
        const double *tz = NULL, *tzinv = NULL, *spec = NULL, *got = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(tz_image, &tz, &len));
        OK(deeptrack_image_data(tzinv_image, &tzinv, &len));
        OK(deeptrack_image_data(spectrum, &spec, &len));
        size_t mshape[2] = {R, C};
        deeptrack_value *tz_value = NULL, *tzinv_value = NULL, *steps = NULL;
        OK(deeptrack_value_new_array_complex(tz, mshape, 2, &tz_value));
        OK(deeptrack_value_new_array_complex(tzinv, mshape, 2, &tzinv_value));
        deeptrack_feature *ftt = NULL;
        deeptrack_rule *rule = NULL;
        OK(deeptrack_feature_new("FourierTransformTransformation", &ftt));
        OK(deeptrack_rule_constant(tz_value, &rule));
        OK(deeptrack_feature_set_property(ftt, "Tz", rule));
        OK(deeptrack_rule_constant(tzinv_value, &rule));
        OK(deeptrack_feature_set_property(ftt, "Tzinv", rule));
        OK(deeptrack_value_new_int(2, &steps));
        OK(deeptrack_rule_constant(steps, &rule));
        OK(deeptrack_feature_set_property(ftt, "i", rule));
        OK(deeptrack_feature_resolve(ftt, spectrum, &forward));
        OK(deeptrack_image_is_complex(forward, &complex));
        OK(deeptrack_image_data(forward, &got, &n));
        CHECK(complex && n == len);
        /* Element k: spectrum[k] * tz[k]^2. */
        double err = 0;
        for (size_t k = 0; k + 1 < n && n == len; k += 2) {
            double a = tz[k], b = tz[k + 1];
            double pr = a * a - b * b, pi = 2 * a * b;
            err = fmax(err, fabs(got[k] - (spec[k] * pr - spec[k + 1] * pi)));
            err = fmax(err, fabs(got[k + 1] - (spec[k] * pi + spec[k + 1] * pr)));
        }
        CHECK(err < 1e-9);
        /* i = -2 takes Tzinv: back where it started on the propagating frequencies. */
        deeptrack_value *back_steps = NULL;
        OK(deeptrack_value_new_int(-2, &back_steps));
        OK(deeptrack_rule_constant(back_steps, &rule));
        OK(deeptrack_feature_set_property(ftt, "i", rule));
        OK(deeptrack_feature_resolve(ftt, forward, &backward));
        OK(deeptrack_image_data(backward, &got, &n));
        err = 0;
        for (size_t k = 0; k + 1 < n && n == len; k += 2) {
            double keep = (tz[k] != 0 || tz[k + 1] != 0) ? 1 : 0;
            err = fmax(err, fabs(got[k] - keep * spec[k]) + fabs(got[k + 1] - keep * spec[k + 1]));
        }
        CHECK(err < 1e-9);
        /* A matrix that does not broadcast to the image is refused, naming the property. */
        deeptrack_image *refused = NULL;
        CHECK(deeptrack_feature_resolve(ftt, input, &refused) == DEEPTRACK_STATUS_INVALID_ARGUMENT && !refused);
        CHECK(strstr(last_error(), "property 'Tzinv' of feature 'FourierTransformTransformation'") != NULL);
        CHECK(strstr(last_error(), "does not broadcast to the image's shape [5, 4, 2]") != NULL);
        /* A string is not a matrix. */
        deeptrack_value *word = NULL;
        OK(deeptrack_value_new_string("forward", &word));
        OK(deeptrack_rule_constant(word, &rule));
        CHECK(deeptrack_feature_set_property(ftt, "Tz", rule) == DEEPTRACK_STATUS_TYPE_MISMATCH);
        CHECK(strstr(last_error(), "property 'Tz'") != NULL);
        deeptrack_value_free(word);
        deeptrack_value_free(back_steps);
        deeptrack_value_free(steps);
        deeptrack_value_free(tzinv_value);
        deeptrack_value_free(tz_value);
        deeptrack_feature_free(ftt);
        deeptrack_image_free(backward);
        deeptrack_image_free(forward);
        deeptrack_image_free(tzinv_image);
        deeptrack_image_free(tz_image);
    }

    /* A field needs its two channels. */
    deeptrack_image *flat = NULL, *bad = NULL;
    size_t flat_shape[2] = {H, W};
    OK(deeptrack_image_new(field, flat_shape, 2, &flat));
    CHECK(deeptrack_feature_resolve(ft, flat, &bad) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "FourierTransform") != NULL && strstr(last_error(), "(H, W, 2)") != NULL);

    deeptrack_image_free(flat);
    deeptrack_image_free(m2);
    deeptrack_image_free(m);
    deeptrack_image_free(scaled);
    deeptrack_image_free(back);
    deeptrack_image_free(spectrum);
    deeptrack_image_free(input);
    deeptrack_feature_free(rescale);
    deeptrack_feature_free(ift);
    deeptrack_feature_free(ft);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
