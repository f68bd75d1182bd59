/* The elementwise and statistics kinds from C: built by kind name (deeptrack_feature_new), from a
 * feature (deeptrack_feature_new_with: Sin(feature), Sum(feature)), and resolved on a list of images
 * (deeptrack_feature_resolve_list: Sum(axis=0, distributed=false) stacks the list). */
#include <math.h>
#include <string.h>

#include "check.h"

static deeptrack_image *image(const double *data, const size_t *shape, size_t ndim) {
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, ndim, &img));
    return img;
}

static void set(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    OK(deeptrack_feature_set_property(f, key, r));
    deeptrack_value_free(v);
}

int main(void) {
    const double x[4] = {-1.0, 0.0, 4.0, 2.25};
    const size_t shape[1] = {4};
    deeptrack_image *in = image(x, shape, 1);

    /* By name: Sqrt of a negative is NaN (numpy's), not an error. */
    deeptrack_feature *sqrt_f = NULL;
    OK(deeptrack_feature_new("Sqrt", &sqrt_f));
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(sqrt_f, in, &out));
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 4 && isnan(data[0]) && data[1] == 0.0 && data[2] == 2.0 && data[3] == 1.5);
    deeptrack_image_free(out);

    /* Sin(feature): applied to the feature's output. */
    deeptrack_feature *value = NULL;
    OK(deeptrack_feature_new("Value", &value));
    deeptrack_value *arr = NULL;
    OK(deeptrack_value_new_array(x, shape, 1, &arr));
    set(value, "value", arr);
    deeptrack_feature *sin_f = NULL;
    deeptrack_feature *args[1] = {value};
    OK(deeptrack_feature_new_with("Sin", args, 1, &sin_f));
    OK(deeptrack_feature_resolve(sin_f, NULL, &out));
    OK(deeptrack_image_data(out, &data, &len));
    /* Within glibc's vector sine's few ulp of the scalar one. */
    CHECK(len == 4 && fabs(data[0] - sin(-1.0)) <= 1e-15 && fabs(data[2] - sin(4.0)) <= 1e-15);
    deeptrack_image_free(out);
    CHECK(deeptrack_feature_new_with("Sin", args, 2, &sin_f) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(deeptrack_feature_new_with("Sin", NULL, 1, &sin_f) == DEEPTRACK_STATUS_NULL_ARGUMENT);

    /* Median(feature) without input: of the feature's output, a 0-d image. */
    deeptrack_feature *median = NULL;
    OK(deeptrack_feature_new_with("Median", args, 1, &median));
    OK(deeptrack_feature_resolve(median, NULL, &out));
    CHECK(deeptrack_image_ndim(out) == 0);
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 1 && data[0] == 1.125);
    deeptrack_image_free(out);

    /* Sum(axis=0, distributed=false) of a list of two images: stacked, then summed over the list. */
    deeptrack_feature *sum = NULL;
    OK(deeptrack_feature_new("Sum", &sum));
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_int(0, &v));
    set(sum, "axis", v);
    OK(deeptrack_value_new_bool(false, &v));
    set(sum, "distributed", v);
    const double y[4] = {1.0, 1.0, 1.0, 1.0};
    deeptrack_image *in2 = image(y, shape, 1);
    const deeptrack_image *inputs[2] = {in, in2};
    deeptrack_image *results[2] = {NULL, NULL};
    size_t count = 0;
    OK(deeptrack_feature_resolve_list(sum, inputs, 2, results, 2, &count));
    CHECK(count == 1);
    OK(deeptrack_image_data(results[0], &data, &len));
    CHECK(len == 4 && data[0] == 0.0 && data[1] == 1.0 && data[2] == 5.0 && data[3] == 3.25);
    deeptrack_image_free(results[0]);
    /* Distributed (the default): one result per image. */
    OK(deeptrack_value_new_bool(true, &v));
    set(sum, "distributed", v);
    OK(deeptrack_feature_resolve_list(sum, inputs, 2, NULL, 0, &count) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL
           ? DEEPTRACK_STATUS_OK
           : DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(count == 2);
    OK(deeptrack_feature_resolve_list(sum, inputs, 2, results, 2, &count));
    CHECK(count == 2);
    for (size_t i = 0; i < count; i++) deeptrack_image_free(results[i]);
    CHECK(deeptrack_feature_resolve_list(sum, NULL, 2, results, 2, &count) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(deeptrack_feature_resolve_list(NULL, inputs, 2, results, 2, &count) != DEEPTRACK_STATUS_OK);

    /* A bad axis names the feature, the property and the limit. */
    OK(deeptrack_value_new_int(3, &v));
    set(sum, "axis", v);
    CHECK(deeptrack_feature_resolve(sum, in, &out) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "axis 3 is out of bounds for an image of 1 dimensions") != NULL);
    CHECK(strstr(last_error(), "'axis'") != NULL);

    deeptrack_feature_free(sum);
    deeptrack_feature_free(median);
    deeptrack_feature_free(sin_f);
    deeptrack_feature_free(value);
    deeptrack_feature_free(sqrt_f);
    deeptrack_image_free(in2);
    deeptrack_image_free(in);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
