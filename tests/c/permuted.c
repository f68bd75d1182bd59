/* Permuted images from C: Transpose and MoveAxis (by kind name) share their input's samples with
 * strides of their own (deeptrack_image_layout), deeptrack_image_data and deeptrack_image_copy_to give
 * the samples in C order (the copy made once and kept), kinds computed on a permuted image see it in
 * C order, and the layout's errors. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

int main(void) {
    /* x = arange(24).reshape(2, 3, 4) */
    double x[24];
    for (int i = 0; i < 24; i++) x[i] = i;
    size_t shape[3] = {2, 3, 4};
    deeptrack_image *input = NULL;
    OK(deeptrack_image_new(x, shape, 3, &input));

    /* Transpose(axes=(2, 0, 1)): shape (4, 2, 3), strides (1, 12, 4), the input's memory. */
    deeptrack_feature *t = NULL;
    OK(deeptrack_feature_new("Transpose", &t));
    int64_t axes[3] = {2, 0, 1};
    OK(deeptrack_feature_set_property(t, "axes", constant_ints(axes, 3)));
    deeptrack_image *out = resolve(t, input);
    size_t out_shape[3] = {0};
    OK(deeptrack_image_shape(out, out_shape, 3));
    CHECK(out_shape[0] == 4 && out_shape[1] == 2 && out_shape[2] == 3);
    const double *first = NULL, *in_first = NULL;
    ptrdiff_t strides[3] = {0}, in_strides[3] = {0};
    bool permuted = false;
    OK(deeptrack_image_layout(out, &first, strides, 3, &permuted));
    CHECK(permuted && strides[0] == 1 && strides[1] == 12 && strides[2] == 4);
    OK(deeptrack_image_layout(input, &in_first, in_strides, 3, &permuted));
    CHECK(!permuted && in_strides[0] == 12 && in_strides[1] == 4 && in_strides[2] == 1);
    CHECK(first == in_first); /* shared, not copied */
    /* Element [i, j, k] of the result is x[j, k, i], both by strides and in C order. */
    const double *data = NULL, *again = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 24 && data != first);
    int right = 1;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 2; j++)
            for (size_t k = 0; k < 3; k++) {
                double expected = x[j * 12 + k * 4 + i];
                right &= data[(i * 2 + j) * 3 + k] == expected;
                right &= first[i * strides[0] + j * strides[1] + k * strides[2]] == expected;
            }
    CHECK(right);
    OK(deeptrack_image_data(out, &again, &len));
    CHECK(again == data); /* the C-order copy is made once */
    double copy[24] = {0};
    OK(deeptrack_image_copy_to(out, copy, 24));
    CHECK(memcmp(copy, data, sizeof copy) == 0);

    /* MoveAxis(0, -1) of the transposed image, then Sum(axis=0): computed on the C-order samples. */
    deeptrack_feature *m = NULL, *sum = NULL;
    OK(deeptrack_feature_new("MoveAxis", &m));
    OK(deeptrack_feature_set_property(m, "source", constant_int(0)));
    OK(deeptrack_feature_set_property(m, "destination", constant_int(-1)));
    deeptrack_image *moved = resolve(m, out); /* (2, 3, 4): the input again, in C order */
    OK(deeptrack_image_layout(moved, &first, strides, 3, &permuted));
    CHECK(!permuted && first == in_first && strides[0] == 12 && strides[2] == 1);
    OK(deeptrack_feature_new("Sum", &sum));
    OK(deeptrack_feature_set_property(sum, "axis", constant_int(0)));
    deeptrack_image *summed = resolve(sum, out); /* sum over i of x[j, k, i]: (2, 3) */
    OK(deeptrack_image_data(summed, &data, &len));
    CHECK(len == 6 && data[0] == 0 + 1 + 2 + 3 && data[5] == 20 + 21 + 22 + 23);

    /* Errors: a buffer too small for the strides, NULL outputs. */
    CHECK(deeptrack_image_layout(out, &first, strides, 2, &permuted) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    CHECK(strstr(last_error(), "'cap' is 2 but the image has 3 dimensions") != NULL);
    CHECK(deeptrack_image_layout(out, NULL, strides, 3, &permuted) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_layout(out, &first, NULL, 3, &permuted) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_layout(NULL, &first, strides, 3, &permuted) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_copy_to(out, copy, 23) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);

    deeptrack_image_free(summed);
    deeptrack_image_free(moved);
    deeptrack_image_free(out);
    deeptrack_image_free(input);
    deeptrack_feature_free(sum);
    deeptrack_feature_free(m);
    deeptrack_feature_free(t);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
