/* Narrow samples from C: AsType and the comparisons, built by kind name, hold their samples in
 * numpy's type, which deeptrack_image_samples lends without a copy (int32_t, uint8_t, bool bytes,
 * float16 bits, with their strides after a Transpose), while deeptrack_image_data and
 * deeptrack_image_copy_to still give doubles; kinds that follow read them as float64; and the
 * accessor's errors. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static deeptrack_feature *kind_with(const char *kind, const char *key, deeptrack_rule *rule) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(kind, &f));
    OK(deeptrack_feature_set_property(f, key, rule));
    return f;
}

int main(void) {
    /* x = [[-1.5, 0.25, 2.7], [300.5, 0.5, -0.0]] */
    const double x[6] = {-1.5, 0.25, 2.7, 300.5, 0.5, -0.0};
    size_t shape[2] = {2, 3};
    deeptrack_image *input = NULL;
    OK(deeptrack_image_new(x, shape, 2, &input));

    /* AsType('int32'): int32_t samples lent in place, doubles of the same values. */
    deeptrack_feature *to_i32 = kind_with("AsType", "dtype", constant_string("int32"));
    deeptrack_image *i32 = NULL;
    OK(deeptrack_feature_resolve(to_i32, input, &i32));
    const void *data = NULL, *again = NULL;
    uint32_t dtype = 99;
    ptrdiff_t strides[2] = {0};
    bool permuted = true;
    OK(deeptrack_image_samples(i32, &data, &dtype, strides, 2, &permuted));
    CHECK(dtype == DEEPTRACK_DTYPE_INT32 && !permuted && strides[0] == 3 && strides[1] == 1);
    const int32_t *ints = data;
    CHECK(ints[0] == -1 && ints[1] == 0 && ints[2] == 2 && ints[3] == 300 && ints[4] == 0 && ints[5] == 0);
    OK(deeptrack_image_samples(i32, &again, &dtype, strides, 2, &permuted));
    CHECK(again == data); /* lent, never copied */
    const double *doubles = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(i32, &doubles, &len));
    CHECK(len == 6 && doubles[0] == -1.0 && doubles[3] == 300.0 && doubles[5] == 0.0);
    double copy[6] = {0};
    OK(deeptrack_image_copy_to(i32, copy, 6));
    CHECK(copy[2] == 2.0 && copy[3] == 300.0);

    /* AsType('uint8') wraps; AsType('float16') holds IEEE half bits. */
    deeptrack_feature *to_u8 = kind_with("AsType", "dtype", constant_string("uint8"));
    deeptrack_image *u8 = NULL;
    OK(deeptrack_feature_resolve(to_u8, input, &u8));
    OK(deeptrack_image_samples(u8, &data, &dtype, strides, 2, &permuted));
    const uint8_t *bytes = data;
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8 && bytes[0] == 255 && bytes[2] == 2 && bytes[3] == 44);
    deeptrack_feature *to_f16 = kind_with("AsType", "dtype", constant_string("float16"));
    deeptrack_image *f16 = NULL;
    OK(deeptrack_feature_resolve(to_f16, input, &f16));
    OK(deeptrack_image_samples(f16, &data, &dtype, strides, 2, &permuted));
    const uint16_t *halves = data;
    /* -1.5 = 0xbe00, 0.25 = 0x3400, 0.5 = 0x3800, -0.0 = 0x8000 */
    CHECK(dtype == DEEPTRACK_DTYPE_FLOAT16 && halves[0] == 0xbe00 && halves[1] == 0x3400 && halves[4] == 0x3800 &&
          halves[5] == 0x8000);

    /* GreaterThan(0.4): numpy's bools, one byte 0 or 1 each. */
    deeptrack_feature *gt = kind_with("GreaterThan", "value", constant_float(0.4));
    deeptrack_image *mask = NULL;
    OK(deeptrack_feature_resolve(gt, input, &mask));
    OK(deeptrack_image_dtype(mask, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_BOOL);
    OK(deeptrack_image_samples(mask, &data, &dtype, strides, 2, &permuted));
    const uint8_t *flags = data;
    CHECK(dtype == DEEPTRACK_DTYPE_BOOL && flags[0] == 0 && flags[1] == 0 && flags[2] == 1 && flags[3] == 1 &&
          flags[4] == 1 && flags[5] == 0);

    /* Transpose of the bools shares them, with its strides; Multiply(2) reads them as doubles and
     * gives float64. */
    deeptrack_feature *t = NULL;
    OK(deeptrack_feature_new("Transpose", &t));
    deeptrack_image *mt = NULL;
    OK(deeptrack_feature_resolve(t, mask, &mt));
    OK(deeptrack_image_samples(mt, &again, &dtype, strides, 2, &permuted));
    CHECK(again == flags && dtype == DEEPTRACK_DTYPE_BOOL && permuted && strides[0] == 1 && strides[1] == 3);
    deeptrack_feature *twice = kind_with("Multiply", "value", constant_float(2.0));
    deeptrack_image *sum = NULL;
    OK(deeptrack_feature_resolve(twice, mt, &sum));
    OK(deeptrack_image_samples(sum, &data, &dtype, strides, 3, &permuted));
    CHECK(dtype == DEEPTRACK_DTYPE_FLOAT64);
    OK(deeptrack_image_dtype(sum, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_FLOAT64);
    OK(deeptrack_image_data(sum, &doubles, &len));
    CHECK(len == 6);
    /* mt = [[0, 1], [0, 1], [1, 0]] */
    CHECK(doubles[0] == 0.0 && doubles[1] == 2.0 && doubles[2] == 0.0 && doubles[3] == 2.0 && doubles[4] == 2.0 &&
          doubles[5] == 0.0);

    /* A float64 image lends its doubles, as deeptrack_image_layout. */
    const double *first = NULL;
    OK(deeptrack_image_layout(input, &first, strides, 2, &permuted));
    OK(deeptrack_image_samples(input, &data, &dtype, strides, 2, &permuted));
    CHECK(data == (const void *)first && dtype == DEEPTRACK_DTYPE_FLOAT64);

    /* Errors: NULL arguments, too few strides (nothing written). */
    CHECK(deeptrack_image_samples(NULL, &data, &dtype, strides, 2, &permuted) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_samples(mask, NULL, &dtype, strides, 2, &permuted) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_samples(mask, &data, NULL, strides, 2, &permuted) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_samples(mask, &data, &dtype, NULL, 2, &permuted) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_samples(mask, &data, &dtype, strides, 2, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    data = NULL;
    CHECK(deeptrack_image_samples(mask, &data, &dtype, strides, 1, &permuted) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    CHECK(data == NULL && strstr(last_error(), "'cap' is 1") != NULL);

    deeptrack_image *all[] = {input, i32, u8, f16, mask, mt, sum};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) deeptrack_image_free(all[i]);
    deeptrack_feature *fs[] = {to_i32, to_u8, to_f16, gt, t, twice};
    for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) deeptrack_feature_free(fs[i]);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
