/* Work bounds and extreme parameters from C: MedianBlur, BilateralBlur and Pool with a C function
 * refuse work the image does not bound with a message that states the limit (and the largest
 * accepted MedianBlur runs); an Affine that moves everything beyond every index resolves (no
 * DEEPTRACK_STATUS_PANIC) to a blank image of cval, and 'nearest' reads the edge. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static void set_pair(deeptrack_feature *f, const char *key, double a, double b) {
    const double pair[2] = {a, b};
    set_vector(f, key, pair, 2);
}

/* An image of `rows` x `cols` of distinct values. */
static deeptrack_image *ramp(size_t rows, size_t cols) {
    double *x = malloc(rows * cols * sizeof *x);
    for (size_t i = 0; i < rows * cols; i++) x[i] = (double)((i * 7919) % 1013);
    const size_t shape[2] = {rows, cols};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(x, shape, 2, &img));
    free(x);
    return img;
}

/* One sample for each block: the block's size. */
static deeptrack_status count(void *userdata, const deeptrack_image *block, const deeptrack_property_dict *props,
                              deeptrack_image **output) {
    (void)userdata;
    (void)props;
    const double *data = NULL;
    size_t len = 0;
    if (deeptrack_image_data(block, &data, &len) != DEEPTRACK_STATUS_OK) return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    double n = (double)len;
    const size_t one = 1;
    return deeptrack_image_new(&n, &one, 1, output);
}

int main(void) {
    deeptrack_image *out = NULL;
    const double *data = NULL;
    size_t len = 0;

    /* MedianBlur: window x image samples at most 2^30. */
    deeptrack_image *big = ramp(1024, 1024);
    deeptrack_feature *median = feature("MedianBlur");
    set_int(median, "ksize", 1024);
    FAILS(deeptrack_feature_resolve(median, big, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'ksize' of feature 'MedianBlur': a window of 1024^2 samples over an image of 1048576 samples is "
          "1099511627776 reads, which exceeds the maximum of 1073741824 (2^30)");
    CHECK(out == NULL);
    deeptrack_image *small = ramp(8, 8);
    OK(deeptrack_feature_resolve(median, small, &out)); /* a window folded over a small image is fine */
    deeptrack_image_free(out);
    set_int(median, "ksize", 16); /* 2^8 x 2^20: a quarter of the limit */
    OK(deeptrack_feature_resolve(median, big, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 1024 * 1024);
    deeptrack_image_free(out);
    deeptrack_feature_free(median);

    /* BilateralBlur: disc x pixels at most 2^30, naming d or sigma_space. */
    deeptrack_image *mid = ramp(256, 256);
    deeptrack_feature *bilateral = feature("BilateralBlur");
    set_int(bilateral, "d", 513);
    FAILS(deeptrack_feature_resolve(bilateral, mid, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'd' of feature 'BilateralBlur': a neighbourhood of 205861 pixels (radius 256, d / 2) over an "
          "image of 65536 pixels is 13491306496 weights, which exceeds the maximum of 1073741824 (2^30)");
    set_int(bilateral, "d", 0);
    set_int(bilateral, "sigma_space", 100);
    FAILS(deeptrack_feature_resolve(bilateral, mid, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'sigma_space' of feature 'BilateralBlur': a neighbourhood of");
    set_int(bilateral, "d", 9);
    OK(deeptrack_feature_resolve(bilateral, mid, &out));
    deeptrack_image_free(out);
    deeptrack_feature_free(bilateral);

    /* Pool with a C function: blocks longer than the image pad it to at most 2^28 samples. */
    deeptrack_feature *function = NULL;
    OK(deeptrack_feature_new_custom("pooling_function", count, NULL, NULL, &function));
    deeptrack_feature *pool = NULL;
    OK(deeptrack_feature_new_with("Pool", &function, 1, &pool));
    deeptrack_feature_free(function);
    set_int(pool, "ksize", 100000);
    FAILS(deeptrack_feature_resolve(pool, small, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'ksize' of feature 'Pool': blocks of [100000, 100000] pad the image of shape [8, 8] to "
          "10000000000 samples, which exceeds the maximum of 268435456 for blocks longer than the image");
    set_pair(pool, "ksize", 8, 1024);
    OK(deeptrack_feature_resolve(pool, small, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 1 && data[0] == 8192.0);
    deeptrack_image_free(out);
    deeptrack_feature_free(pool);

    /* Affine beyond every index: cval in reflect, the edge in nearest; never a panic (this was
     * DEEPTRACK_STATUS_PANIC, "attempt to add with overflow"). */
    const double far[4] = {1e19, 1e300, -1e300, 1e-300};
    for (int i = 0; i < 4; i++) {
        deeptrack_feature *affine = feature("Affine");
        if (i < 3) {
            set_pair(affine, "translate_px", far[i], 0.0);
        } else {
            set_pair(affine, "scale", far[i], far[i]);
        }
        deeptrack_value *c = NULL;
        OK(deeptrack_value_new_float(0.5, &c));
        set_value(affine, "cval", c);
        OK(deeptrack_feature_resolve(affine, small, &out));
        OK(deeptrack_image_data(out, &data, &len));
        /* A scale of 1e-300 sends all but the centre (which float rounding may land anywhere) beyond. */
        int blank = 0;
        for (size_t j = 0; j < len; j++) blank += data[j] == 0.5;
        CHECK(len == 64 && blank >= (i < 3 ? 64 : 63));
        deeptrack_image_free(out);
        deeptrack_feature_free(affine);
    }
    deeptrack_feature *nearest = feature("Affine");
    set_pair(nearest, "translate_px", 1e300, 0.0);
    deeptrack_value *mode = NULL;
    OK(deeptrack_value_new_string("nearest", &mode));
    set_value(nearest, "mode", mode);
    OK(deeptrack_feature_resolve(nearest, small, &out));
    const double *x = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(small, &x, &n));
    OK(deeptrack_image_data(out, &data, &len));
    int edge = len == 64;
    for (size_t j = 0; j < len && edge; j++) edge &= data[j] == x[(j / 8) * 8]; /* column 0 of its row */
    CHECK(edge);
    deeptrack_image_free(out);
    deeptrack_feature_free(nearest);

    deeptrack_image_free(small);
    deeptrack_image_free(mid);
    deeptrack_image_free(big);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
