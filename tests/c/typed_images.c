/* Images made from samples of any numpy type (deeptrack_image_new_typed): each type round-trips
 * (deeptrack_image_dtype, deeptrack_image_samples lend the same samples, deeptrack_image_data their
 * doubles), bools are held as 0 or 1, float64 makes an ordinary image, a misaligned buffer is copied
 * all the same; the kinds that move samples (FlipLR, Pad) keep the type and those that compute
 * (Add) give float64; and the errors: NULL arguments, a bad dtype number, too many dimensions. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* The image of 6 samples of `size` bytes at `data` in shape (2, 3) and type `dtype` lends exactly
 * those bytes in that type, and their doubles are `want`. */
static void round_trip(const void *data, uint32_t dtype, size_t size, const double *want) {
    const size_t shape[2] = {2, 3};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new_typed(data, dtype, shape, 2, &img));
    uint32_t got = 99;
    OK(deeptrack_image_dtype(img, &got));
    CHECK(got == dtype);
    const void *samples = NULL;
    ptrdiff_t strides[2] = {0};
    bool permuted = true;
    OK(deeptrack_image_samples(img, &samples, &got, strides, 2, &permuted));
    CHECK(got == dtype && strides[0] == 3 && strides[1] == 1 && !permuted);
    CHECK(samples != data && memcmp(samples, data, 6 * size) == 0); /* a copy of the same samples */
    const double *doubles = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &doubles, &len));
    CHECK(len == 6);
    for (size_t i = 0; i < 6 && len == 6; i++) CHECK(doubles[i] == want[i]);
    deeptrack_image_free(img);
}

int main(void) {
    const double want[6] = {0, 1, 2, 100, -3, 7};
    const double unsigned_want[6] = {0, 1, 2, 100, 253, 7};
    const int8_t i8[6] = {0, 1, 2, 100, -3, 7};
    const int16_t i16[6] = {0, 1, 2, 100, -3, 7};
    const int32_t i32[6] = {0, 1, 2, 100, -3, 7};
    const int64_t i64[6] = {0, 1, 2, 100, -3, 7};
    const uint8_t u8[6] = {0, 1, 2, 100, 253, 7};
    const uint16_t u16[6] = {0, 1, 2, 100, 253, 7};
    const uint32_t u32[6] = {0, 1, 2, 100, 253, 7};
    const uint64_t u64[6] = {0, 1, 2, 100, 253, 7};
    const float f32[6] = {0, 1, 2, 100, -3, 7};
    const double f64[6] = {0, 1, 2, 100, -3, 7};
    /* float16 bits: 0, 1, 2, 100, -3, 7 */
    const uint16_t f16[6] = {0x0000, 0x3c00, 0x4000, 0x5640, 0xc200, 0x4700};
    round_trip(i8, DEEPTRACK_DTYPE_INT8, 1, want);
    round_trip(i16, DEEPTRACK_DTYPE_INT16, 2, want);
    round_trip(i32, DEEPTRACK_DTYPE_INT32, 4, want);
    round_trip(i64, DEEPTRACK_DTYPE_INT64, 8, want);
    round_trip(u8, DEEPTRACK_DTYPE_UINT8, 1, unsigned_want);
    round_trip(u16, DEEPTRACK_DTYPE_UINT16, 2, unsigned_want);
    round_trip(u32, DEEPTRACK_DTYPE_UINT32, 4, unsigned_want);
    round_trip(u64, DEEPTRACK_DTYPE_UINT64, 8, unsigned_want);
    round_trip(f32, DEEPTRACK_DTYPE_FLOAT32, 4, want);
    round_trip(f16, DEEPTRACK_DTYPE_FLOAT16, 2, want);
    round_trip(f64, DEEPTRACK_DTYPE_FLOAT64, 8, want);

    /* Bools: any byte but 0 is true, held as 1. */
    const uint8_t flags[4] = {0, 1, 2, 255};
    const size_t four = 4;
    deeptrack_image *b = NULL;
    OK(deeptrack_image_new_typed(flags, DEEPTRACK_DTYPE_BOOL, &four, 1, &b));
    const void *samples = NULL;
    uint32_t dtype = 99;
    ptrdiff_t stride = 0;
    bool permuted = true;
    OK(deeptrack_image_samples(b, &samples, &dtype, &stride, 1, &permuted));
    const uint8_t *held = samples;
    CHECK(dtype == DEEPTRACK_DTYPE_BOOL && held[0] == 0 && held[1] == 1 && held[2] == 1 && held[3] == 1);
    deeptrack_image_free(b);

    /* A misaligned buffer (int32 at an odd address) is copied all the same. */
    unsigned char raw[1 + 6 * sizeof(int32_t)];
    memcpy(raw + 1, i32, sizeof i32);
    const size_t shape[2] = {2, 3};
    deeptrack_image *m = NULL;
    OK(deeptrack_image_new_typed(raw + 1, DEEPTRACK_DTYPE_INT32, shape, 2, &m));
    const double *doubles = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(m, &doubles, &len));
    CHECK(len == 6 && doubles[3] == 100.0 && doubles[4] == -3.0);
    deeptrack_image_free(m);

    /* FlipLR keeps uint16: its samples, reversed along the last axis; Pad keeps it too; Add computes
     * in float64. */
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new_typed(u16, DEEPTRACK_DTYPE_UINT16, shape, 2, &img));
    deeptrack_feature *flip = feature("FlipLR");
    set_float(flip, "p", 1.0);
    deeptrack_image *flipped = resolve(flip, img);
    OK(deeptrack_image_samples(flipped, &samples, &dtype, (ptrdiff_t[2]){0}, 2, &permuted));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT16);
    double copy[6] = {0};
    OK(deeptrack_image_copy_to(flipped, copy, 6));
    CHECK(copy[0] == 2 && copy[1] == 1 && copy[2] == 0 && copy[3] == 7 && copy[4] == 253 && copy[5] == 100);
    deeptrack_feature *pad = feature("Pad");
    const double px[4] = {1, 0, 0, 0};
    set_vector(pad, "px", px, 4);
    deeptrack_image *padded = resolve(pad, img);
    size_t padded_shape[2] = {0};
    OK(deeptrack_image_shape(padded, padded_shape, 2));
    OK(deeptrack_image_dtype(padded, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT16 && padded_shape[0] == 3 && padded_shape[1] == 3);
    deeptrack_feature *add = feature("Add");
    set_float(add, "value", 0.5);
    deeptrack_image *sum = resolve(add, img);
    OK(deeptrack_image_dtype(sum, &dtype));
    OK(deeptrack_image_copy_to(sum, copy, 6));
    CHECK(dtype == DEEPTRACK_DTYPE_FLOAT64 && copy[4] == 253.5);

    /* Errors: nothing is written to `out`. */
    deeptrack_image *untouched = (deeptrack_image *)&untouched;
    FAILS(deeptrack_image_new_typed(u8, 12, shape, 2, &untouched), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "argument 'dtype' is 12");
    CHECK(untouched == (deeptrack_image *)&untouched);
    FAILS(deeptrack_image_new_typed(NULL, DEEPTRACK_DTYPE_UINT8, shape, 2, &untouched),
          DEEPTRACK_STATUS_NULL_ARGUMENT, "data");
    FAILS(deeptrack_image_new_typed(u8, DEEPTRACK_DTYPE_UINT8, NULL, 2, &untouched), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "shape");
    FAILS(deeptrack_image_new_typed(u8, DEEPTRACK_DTYPE_UINT8, shape, 2, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "out");
    size_t many[DEEPTRACK_MAX_NDIM + 1];
    for (size_t i = 0; i <= DEEPTRACK_MAX_NDIM; i++) many[i] = 1;
    FAILS(deeptrack_image_new_typed(u8, DEEPTRACK_DTYPE_UINT8, many, DEEPTRACK_MAX_NDIM + 1, &untouched),
          DEEPTRACK_STATUS_INVALID_ARGUMENT, "at most 32 dimensions");
    CHECK(untouched == (deeptrack_image *)&untouched);
    OK(deeptrack_image_new_typed(u8, DEEPTRACK_DTYPE_UINT8, many, DEEPTRACK_MAX_NDIM, &m)); /* the limit itself */
    OK(deeptrack_image_dtype(m, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8 && deeptrack_image_ndim(m) == DEEPTRACK_MAX_NDIM);
    deeptrack_image_free(m);
    /* No elements: `data` may be NULL. */
    const size_t empty[2] = {0, 3};
    OK(deeptrack_image_new_typed(NULL, DEEPTRACK_DTYPE_INT16, empty, 2, &m));
    OK(deeptrack_image_dtype(m, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_INT16);
    deeptrack_image_free(m);

    deeptrack_image_free(sum);
    deeptrack_image_free(padded);
    deeptrack_image_free(flipped);
    deeptrack_image_free(img);
    deeptrack_feature_free(add);
    deeptrack_feature_free(pad);
    deeptrack_feature_free(flip);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
