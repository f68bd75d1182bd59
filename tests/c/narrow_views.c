/* Views of narrow images from C: FlipLR, FlipUD and Crop of AsType('uint8')'s output, and FlipUD of
 * GreaterThan's bools, built by kind name, share the narrow samples: deeptrack_image_samples lends
 * them in their type from the address of element [0, 0] with the view's signed strides (negative
 * along a reversed axis), as deeptrack_image_layout lends the doubles of the same view;
 * deeptrack_image_data gives them as doubles in C order, and a float kind chained after a view
 * computes on those values. */
#include <stdint.h>
#include <string.h>

#include "check.h"

static deeptrack_rule *constant_value(deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

static void set_float(deeptrack_feature *f, const char *key, double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    deeptrack_rule *r = constant_value(v);
    OK(deeptrack_feature_set_property(f, key, r)); /* takes the rule */
}

static void set_string(deeptrack_feature *f, const char *key, const char *s) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string(s, &v));
    deeptrack_rule *r = constant_value(v);
    OK(deeptrack_feature_set_property(f, key, r)); /* takes the rule */
}

static void set_ints(deeptrack_feature *f, const char *key, const int64_t *values, size_t n) {
    deeptrack_value *list = NULL;
    OK(deeptrack_value_new_list(&list));
    for (size_t i = 0; i < n; i++) {
        deeptrack_value *item = NULL;
        OK(deeptrack_value_new_int(values[i], &item));
        OK(deeptrack_value_list_push(list, item));
        deeptrack_value_free(item);
    }
    deeptrack_rule *r = constant_value(list);
    OK(deeptrack_feature_set_property(f, key, r)); /* takes the rule */
}

static deeptrack_feature *kind(const char *name) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(name, &f));
    return f;
}

static deeptrack_image *resolve(deeptrack_feature *f, deeptrack_image *input) {
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(f, input, &out));
    return out;
}

int main(void) {
    /* x = arange(12).reshape(3, 4) * 23.5 - 40; u = x.astype(uint8) (truncated, wrapped). */
    double x[12];
    uint8_t u[12];
    for (int i = 0; i < 12; i++) {
        x[i] = i * 23.5 - 40.0;
        u[i] = (uint8_t)(int64_t)x[i]; /* truncation toward zero, then modulo 256 */
    }
    size_t shape[2] = {3, 4};
    deeptrack_image *input = NULL;
    OK(deeptrack_image_new(x, shape, 2, &input));
    deeptrack_feature *cast = kind("AsType");
    set_string(cast, "dtype", "uint8");
    deeptrack_image *narrow = resolve(cast, input);
    const void *base = NULL, *data = NULL;
    uint32_t dtype = 99;
    ptrdiff_t strides[2] = {0};
    bool strided = true;
    OK(deeptrack_image_samples(narrow, &base, &dtype, strides, 2, &strided));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8 && !strided && strides[0] == 4 && strides[1] == 1);
    CHECK(memcmp(base, u, sizeof u) == 0);

    /* FlipLR(p=1): u[:, ::-1], the same bytes from u[0, 3] with strides (4, -1). */
    deeptrack_feature *lr = kind("FlipLR");
    set_float(lr, "p", 1.0);
    deeptrack_image *flipped = resolve(lr, narrow);
    OK(deeptrack_image_dtype(flipped, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8);
    OK(deeptrack_image_samples(flipped, &data, &dtype, strides, 2, &strided));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8 && strided && strides[0] == 4 && strides[1] == -1);
    CHECK((const uint8_t *)data == (const uint8_t *)base + 3);
    const uint8_t *bytes = data;
    int right = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) right &= bytes[i * strides[0] + j * strides[1]] == u[i * 4 + 3 - j];
    CHECK(right);
    /* deeptrack_image_layout lends the doubles of the same view (converted once), same strides. */
    const double *first = NULL, *doubles = NULL;
    ptrdiff_t dstrides[2] = {0};
    OK(deeptrack_image_layout(flipped, &first, dstrides, 2, &strided));
    CHECK(strided && dstrides[0] == 4 && dstrides[1] == -1);
    right = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) right &= first[i * dstrides[0] + j * dstrides[1]] == (double)u[i * 4 + 3 - j];
    CHECK(right);
    size_t len = 0;
    OK(deeptrack_image_data(flipped, &doubles, &len));
    right = len == 12;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) right &= doubles[i * 4 + j] == (double)u[i * 4 + 3 - j];
    CHECK(right);

    /* Crop(crop=(2, 2), corner=(1, 1)) of the flip: u[1:3, 2:0:-1], the flip's strides from u[1, 2]. */
    deeptrack_feature *crop = kind("Crop");
    int64_t size[2] = {2, 2}, corner[2] = {1, 1};
    set_ints(crop, "crop", size, 2);
    set_ints(crop, "corner", corner, 2);
    deeptrack_image *cropped = resolve(crop, flipped);
    OK(deeptrack_image_samples(cropped, &data, &dtype, strides, 2, &strided));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8 && strided && strides[0] == 4 && strides[1] == -1);
    CHECK((const uint8_t *)data == (const uint8_t *)base + 6);
    bytes = data;
    CHECK(bytes[0] == u[6] && bytes[-1] == u[5] && bytes[4] == u[10] && bytes[3] == u[9]);

    /* FlipUD(p=1) of the crop: strides (-4, -1) from u[2, 2]. */
    deeptrack_feature *ud = kind("FlipUD");
    set_float(ud, "p", 1.0);
    deeptrack_image *up = resolve(ud, cropped);
    OK(deeptrack_image_samples(up, &data, &dtype, strides, 2, &strided));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8 && strided && strides[0] == -4 && strides[1] == -1);
    CHECK((const uint8_t *)data == (const uint8_t *)base + 10);

    /* Add(0.5) after the crop: float64 values u[1:3, 2:0:-1] + 0.5, in C order. */
    deeptrack_feature *add = kind("Add");
    set_float(add, "value", 0.5);
    deeptrack_image *sum = resolve(add, cropped);
    OK(deeptrack_image_samples(sum, &data, &dtype, strides, 2, &strided));
    CHECK(dtype == DEEPTRACK_DTYPE_FLOAT64);
    OK(deeptrack_image_data(sum, &doubles, &len));
    CHECK(len == 4 && doubles[0] == u[6] + 0.5 && doubles[1] == u[5] + 0.5 && doubles[2] == u[10] + 0.5 &&
          doubles[3] == u[9] + 0.5);

    /* FlipUD of GreaterThan(100)'s bools: one byte each, from row 2 with stride -4. */
    deeptrack_feature *gt = kind("GreaterThan");
    set_float(gt, "value", 100.0);
    deeptrack_image *mask = resolve(gt, input);
    const void *mask_base = NULL;
    OK(deeptrack_image_samples(mask, &mask_base, &dtype, strides, 2, &strided));
    deeptrack_image *mask_up = resolve(ud, mask);
    OK(deeptrack_image_samples(mask_up, &data, &dtype, strides, 2, &strided));
    CHECK(dtype == DEEPTRACK_DTYPE_BOOL && strided && strides[0] == -4 && strides[1] == 1);
    CHECK((const uint8_t *)data == (const uint8_t *)mask_base + 8);
    bytes = data;
    right = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) right &= bytes[i * strides[0] + j * strides[1]] == (x[(2 - i) * 4 + j] > 100.0);
    CHECK(right);

    deeptrack_image *images[] = {input, narrow, flipped, cropped, up, sum, mask, mask_up};
    for (size_t i = 0; i < sizeof images / sizeof *images; i++) deeptrack_image_free(images[i]);
    deeptrack_feature *features[] = {cast, lr, crop, ud, add, gt};
    for (size_t i = 0; i < sizeof features / sizeof *features; i++) deeptrack_feature_free(features[i]);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
