/* Strided views from C: FlipLR and FlipUD (a negative stride), Crop (a sub-block with its input's
 * strides) and Real / Imag of a complex image (stride 2 from the first or second sample), all built by
 * kind name, share their input's samples: deeptrack_image_layout gives the address of element [0, 0]
 * and the signed strides, deeptrack_image_data the samples in C order, and a kind computing on a view
 * sees it in C order. */
#include <string.h>

#include "check.h"
#include "helpers.h"

static deeptrack_feature *kind(const char *name) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(name, &f));
    return f;
}

int main(void) {
    /* x = arange(12).reshape(3, 4) */
    double x[12];
    for (int i = 0; i < 12; i++) x[i] = i;
    size_t shape[2] = {3, 4};
    deeptrack_image *input = NULL;
    OK(deeptrack_image_new(x, shape, 2, &input));
    const double *in_first = NULL, *first = NULL, *data = NULL;
    ptrdiff_t strides[3] = {0};
    bool strided = true;
    size_t len = 0;
    OK(deeptrack_image_layout(input, &in_first, strides, 2, &strided));
    CHECK(!strided && strides[0] == 4 && strides[1] == 1);

    /* FlipLR(p=1): x[:, ::-1], strides (4, -1) from x[0, 3]. */
    deeptrack_feature *lr = kind("FlipLR");
    OK(deeptrack_feature_set_property(lr, "p", constant_float(1.0)));
    deeptrack_image *flipped = resolve(lr, input);
    OK(deeptrack_image_layout(flipped, &first, strides, 2, &strided));
    CHECK(strided && strides[0] == 4 && strides[1] == -1 && first == in_first + 3);
    OK(deeptrack_image_data(flipped, &data, &len));
    int right = len == 12;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            right &= data[i * 4 + j] == x[i * 4 + 3 - j];
            right &= first[i * strides[0] + j * strides[1]] == x[i * 4 + 3 - j];
        }
    CHECK(right);

    /* Crop(crop=(2, 2), corner=(1, 1)) of the flip: x[1:3, 2:0:-1], the same strides from x[1, 2]. */
    deeptrack_feature *crop = kind("Crop");
    int64_t size[2] = {2, 2}, corner[2] = {1, 1};
    OK(deeptrack_feature_set_property(crop, "crop", constant_ints(size, 2)));
    OK(deeptrack_feature_set_property(crop, "corner", constant_ints(corner, 2)));
    deeptrack_image *cropped = resolve(crop, flipped);
    OK(deeptrack_image_layout(cropped, &first, strides, 2, &strided));
    CHECK(strided && strides[0] == 4 && strides[1] == -1 && first == in_first + 6);
    OK(deeptrack_image_data(cropped, &data, &len));
    CHECK(len == 4 && data[0] == 6 && data[1] == 5 && data[2] == 10 && data[3] == 9);
    double copy[4] = {0};
    OK(deeptrack_image_copy_to(cropped, copy, 4));
    CHECK(memcmp(copy, data, sizeof copy) == 0);

    /* FlipUD then Sum(axis=None) of the crop: computed on its samples. */
    deeptrack_feature *ud = kind("FlipUD"), *sum = kind("Sum");
    OK(deeptrack_feature_set_property(ud, "p", constant_float(1.0)));
    deeptrack_image *up = resolve(ud, cropped);
    OK(deeptrack_image_layout(up, &first, strides, 2, &strided));
    CHECK(strided && strides[0] == -4 && strides[1] == -1 && first == in_first + 10);
    OK(deeptrack_image_data(up, &data, &len));
    CHECK(len == 4 && data[0] == 10 && data[1] == 9 && data[2] == 6 && data[3] == 5);
    deeptrack_image *total = resolve(sum, up);
    OK(deeptrack_image_data(total, &data, &len));
    CHECK(len == 1 && data[0] == 30);

    /* A complex (3, 2) image over x (parts along a last axis of 2): Real and Imag read every other
     * sample of it, from x[0] and x[1]. */
    size_t complex_shape[3] = {3, 2, 2};
    deeptrack_image *z = NULL;
    OK(deeptrack_image_new(x, complex_shape, 3, &z));
    OK(deeptrack_image_set_complex(z, true));
    OK(deeptrack_image_layout(z, &in_first, strides, 3, &strided));
    deeptrack_feature *real = kind("Real"), *imag = kind("Imag");
    deeptrack_image *re = resolve(real, z), *im = resolve(imag, z);
    OK(deeptrack_image_layout(re, &first, strides, 3, &strided));
    CHECK(strided && strides[0] == 4 && strides[1] == 2 && first == in_first);
    OK(deeptrack_image_layout(im, &first, strides, 3, &strided));
    CHECK(strided && strides[0] == 4 && strides[1] == 2 && first == in_first + 1);
    OK(deeptrack_image_data(im, &data, &len));
    CHECK(len == 6 && data[0] == 1 && data[1] == 3 && data[5] == 11);
    size_t out_shape[3] = {0};
    CHECK(deeptrack_image_ndim(im) == 2);
    OK(deeptrack_image_shape(im, out_shape, 3));
    CHECK(out_shape[0] == 3 && out_shape[1] == 2);

    deeptrack_image *images[] = {flipped, cropped, up, total, z, re, im, input};
    for (size_t i = 0; i < sizeof images / sizeof *images; i++) deeptrack_image_free(images[i]);
    deeptrack_feature *features[] = {lr, crop, ud, sum, real, imag};
    for (size_t i = 0; i < sizeof features / sizeof *features; i++) deeptrack_feature_free(features[i]);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
