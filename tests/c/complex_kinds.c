/* Complex images through kinds by name from C: a 2 x 3 complex image (its last axis of length 2 the
 * real and imaginary parts, marked with deeptrack_image_set_complex) through Sum, Std, FlipLR, Exp and
 * Add(value=1j) gives numpy's complex (or, for Std, real) results with the parts axis last; a kind that
 * does not take complex images (MedianBlur) refuses it with a status and a message naming it. */
/* <complex.h> first: the library's header compiles after it (no argument is named `complex`). */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "check.h"

/* Element k of the input: (k + 0.5) + (1 - k) i, in row-major order over (2, 3). */
static double complex z_at(int k) { return (k + 0.5) + (1.0 - k) * I; }

static deeptrack_image *resolve(const char *kind, const char *key, deeptrack_value *value, deeptrack_image *in) {
    deeptrack_feature *f = NULL;
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_new(kind, &f));
    if (key) {
        deeptrack_rule *rule = NULL;
        OK(deeptrack_rule_constant(value, &rule));
        OK(deeptrack_feature_set_property(f, key, rule));
    }
    OK(deeptrack_feature_resolve(f, in, &out));
    deeptrack_feature_free(f);
    return out;
}

/* Whether `img` has shape `shape` (ndim numbers) and is complex (`want_complex`) or not. */
static int shaped(deeptrack_image *img, const size_t *shape, size_t ndim, bool want_complex) {
    size_t got[8] = {0};
    bool is_complex = !want_complex;
    if (!img || deeptrack_image_ndim(img) != ndim) return 0;
    if (deeptrack_image_shape(img, got, 8) != DEEPTRACK_STATUS_OK) return 0;
    if (deeptrack_image_is_complex(img, &is_complex) != DEEPTRACK_STATUS_OK || is_complex != want_complex) return 0;
    return memcmp(got, shape, ndim * sizeof *shape) == 0;
}

/* The `k`-th complex number of a complex image. */
static double complex number(deeptrack_image *img, size_t k) {
    const double *d = NULL;
    size_t n = 0;
    if (deeptrack_image_data(img, &d, &n) != DEEPTRACK_STATUS_OK || 2 * k + 1 >= n) return NAN;
    return d[2 * k] + d[2 * k + 1] * I;
}

int main(void) {
    double data[12];
    for (int k = 0; k < 6; k++) {
        data[2 * k] = creal(z_at(k));
        data[2 * k + 1] = cimag(z_at(k));
    }
    size_t shape[3] = {2, 3, 2};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, 3, &img));
    OK(deeptrack_image_set_complex(img, true));

    /* Sum(axis=0): three complex numbers, the sums of the columns. */
    deeptrack_value *zero = NULL;
    OK(deeptrack_value_new_int(0, &zero));
    deeptrack_image *sum = resolve("Sum", "axis", zero, img);
    size_t three[2] = {3, 2};
    CHECK(shaped(sum, three, 2, true));
    for (int c = 0; c < 3; c++) CHECK(cabs(number(sum, c) - (z_at(c) + z_at(c + 3))) < 1e-15);

    /* Std(axis=0): real, of shape (3,): numpy's sqrt(mean(|z - mean|^2)), here |z0 - z3| / 2. */
    deeptrack_image *std = resolve("Std", "axis", zero, img);
    size_t just_three[1] = {3};
    CHECK(shaped(std, just_three, 1, false));
    const double *s = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(std, &s, &n));
    CHECK(n == 3 && fabs(s[0] - cabs(z_at(0) - z_at(3)) / 2) < 1e-15);

    /* FlipLR: the columns reversed, the parts axis untouched. */
    deeptrack_value *one = NULL;
    OK(deeptrack_value_new_int(1, &one));
    deeptrack_image *flipped = resolve("FlipLR", "p", one, img);
    CHECK(shaped(flipped, shape, 3, true));
    CHECK(number(flipped, 0) == z_at(2) && number(flipped, 5) == z_at(3));

    /* Exp: the C library's cexp, as numpy's. */
    deeptrack_image *exp = resolve("Exp", NULL, NULL, img);
    CHECK(shaped(exp, shape, 3, true));
    for (int k = 0; k < 6; k++) CHECK(number(exp, k) == cexp(z_at(k)));

    /* Add(value=1j). */
    deeptrack_value *i = NULL;
    OK(deeptrack_value_new_complex(0.0, 1.0, &i));
    deeptrack_image *added = resolve("Add", "value", i, img);
    CHECK(shaped(added, shape, 3, true));
    CHECK(number(added, 4) == z_at(4) + I);

    /* MedianBlur does not take complex images: a status and a message naming it. */
    deeptrack_feature *median = NULL;
    deeptrack_image *none = NULL;
    OK(deeptrack_feature_new("MedianBlur", &median));
    FAILS(deeptrack_feature_resolve(median, img, &none), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "MedianBlur does not accept complex images");
    CHECK(none == NULL);

    deeptrack_feature_free(median);
    deeptrack_image_free(added);
    deeptrack_value_free(i);
    deeptrack_image_free(exp);
    deeptrack_image_free(flipped);
    deeptrack_value_free(one);
    deeptrack_image_free(std);
    deeptrack_image_free(sum);
    deeptrack_value_free(zero);
    deeptrack_image_free(img);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
