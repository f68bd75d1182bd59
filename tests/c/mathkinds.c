/* The border modes of GaussianBlur and AverageBlur, ElasticTransformation, Resize, BilateralBlur and Average from C: built
 * by kind name (deeptrack_feature_new, deeptrack_feature_new_with), given properties, resolved, with
 * values checked. */
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

static void set_float(deeptrack_feature *f, const char *key, double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    set(f, key, v);
}

static void set_string(deeptrack_feature *f, const char *key, const char *s) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string(s, &v));
    set(f, key, v);
}

int main(void) {
    const double *data = NULL;
    size_t len = 0;

    /* GaussianBlur(sigma=1, mode="constant", cval=0) of one sample: only the kernel's middle tap
     * reads it (radius 4), the others read the constant. */
    const double one[1] = {2.0};
    const size_t one_shape[1] = {1};
    deeptrack_image *single = image(one, one_shape, 1);
    deeptrack_feature *gauss = NULL;
    OK(deeptrack_feature_new("GaussianBlur", &gauss));
    set_float(gauss, "sigma", 1.0);
    set_string(gauss, "mode", "constant");
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(gauss, single, &out));
    OK(deeptrack_image_data(out, &data, &len));
    double total = 1.0;
    for (int k = 1; k <= 4; k++) total += 2.0 * exp(-0.5 * k * k);
    CHECK(len == 1 && fabs(data[0] - 2.0 / total) <= 1e-15);
    deeptrack_image_free(out);
    /* The same with "nearest": the sample everywhere. */
    set_string(gauss, "mode", "nearest");
    OK(deeptrack_feature_resolve(gauss, single, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 1 && fabs(data[0] - 2.0) <= 1e-15);
    deeptrack_image_free(out);
    /* A mode scipy does not have is refused, naming it. */
    deeptrack_value *bad = NULL;
    OK(deeptrack_value_new_string("edge", &bad));
    deeptrack_rule *rule = NULL;
    OK(deeptrack_rule_constant(bad, &rule));
    CHECK(deeptrack_feature_set_property(gauss, "mode", rule) != DEEPTRACK_STATUS_OK);
    deeptrack_value_free(bad);

    /* AverageBlur(ksize=3, mode="wrap") of a 3 x 3 image: every window holds the whole image. */
    const double grid[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const size_t grid_shape[2] = {3, 3};
    deeptrack_image *square = image(grid, grid_shape, 2);
    deeptrack_feature *box = NULL;
    OK(deeptrack_feature_new("AverageBlur", &box));
    set_string(box, "mode", "wrap");
    OK(deeptrack_feature_resolve(box, square, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 9);
    for (size_t i = 0; i < len; i++) CHECK(fabs(data[i] - 5.0) <= 1e-14);
    deeptrack_image_free(out);
    /* As DeepTrack2 2.0.1 (fixtures blur_average_*): a last axis shorter than ksize is not blurred, so
     * a 2 x 2 image is boxed along its first axis only (reflected: (2a + b) / 3, (a + 2b) / 3) and a
     * 1-d image of 2 samples comes back as it is. */
    set_string(box, "mode", "reflect");
    const double two_by_two[4] = {1, 2, 4, 8};
    const size_t two_shape[2] = {2, 2};
    deeptrack_image *small = image(two_by_two, two_shape, 2);
    OK(deeptrack_feature_resolve(box, small, &out));
    OK(deeptrack_image_data(out, &data, &len));
    const double columns[4] = {2, 4, 3, 6};
    CHECK(len == 4);
    for (size_t i = 0; i < len; i++) CHECK(fabs(data[i] - columns[i]) <= 1e-14);
    deeptrack_image_free(out);
    deeptrack_image_free(small);
    const size_t pair_shape[1] = {2};
    deeptrack_image *pair = image(two_by_two, pair_shape, 1);
    OK(deeptrack_feature_resolve(box, pair, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 2 && data[0] == 1.0 && data[1] == 2.0);
    deeptrack_image_free(out);
    deeptrack_image_free(pair);

    /* ElasticTransformation(alpha=0): no displacement, and the cubic spline reproduces the samples. */
    deeptrack_feature *elastic = NULL;
    OK(deeptrack_feature_new("ElasticTransformation", &elastic));
    set_float(elastic, "alpha", 0.0);
    deeptrack_value *no = NULL;
    OK(deeptrack_value_new_bool(false, &no));
    set(elastic, "ignore_last_dim", no);
    OK(deeptrack_feature_resolve(elastic, square, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 9);
    for (size_t i = 0; i < len; i++) CHECK(fabs(data[i] - grid[i]) <= 1e-12);
    deeptrack_image_free(out);
    /* A random field: the same seed gives the same image. */
    set_float(elastic, "alpha", 3.0);
    double first[9];
    OK(deeptrack_feature_seed(elastic, 7));
    OK(deeptrack_feature_update(elastic));
    OK(deeptrack_feature_resolve(elastic, square, &out));
    OK(deeptrack_image_copy_to(out, first, 9));
    deeptrack_image_free(out);
    OK(deeptrack_feature_seed(elastic, 7));
    OK(deeptrack_feature_update(elastic));
    OK(deeptrack_feature_resolve(elastic, square, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(memcmp(first, data, sizeof first) == 0);
    deeptrack_image_free(out);
    /* order 6 is beyond scipy's splines: an error that states the maximum. */
    deeptrack_value *six = NULL;
    OK(deeptrack_value_new_int(6, &six));
    OK(deeptrack_rule_constant(six, &rule));
    CHECK(deeptrack_feature_set_property(elastic, "order", rule) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    deeptrack_value_free(six);
    char msg[256];
    size_t needed = 0;
    OK(deeptrack_last_error_message(msg, sizeof msg, &needed));
    CHECK(strstr(msg, "'order'") != NULL && strstr(msg, "exceeds the maximum of 5") != NULL);

    /* Resize(dsize=(2, 1)): OpenCV's (width, height); linear, pixel centres (x + 0.5) * 1.5 - 0.5. */
    deeptrack_feature *resize = NULL;
    OK(deeptrack_feature_new("Resize", &resize));
    const double dsize[2] = {2, 1};
    const size_t two[1] = {2};
    deeptrack_value *size_value = NULL;
    OK(deeptrack_value_new_array(dsize, two, 1, &size_value));
    set(resize, "dsize", size_value);
    OK(deeptrack_feature_resolve(resize, square, &out));
    size_t out_shape[2] = {0, 0};
    OK(deeptrack_image_shape(out, out_shape, 2));
    CHECK(deeptrack_image_ndim(out) == 2 && out_shape[0] == 1 && out_shape[1] == 2);
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 2 && data[0] == 4.25 && data[1] == 5.75);
    deeptrack_image_free(out);
    deeptrack_feature_free(resize);

    /* BilateralBlur() by name: a constant image is returned as it is (OpenCV's shortcut); a sample far
     * from its neighbours in value (sigma_color 1) keeps its value, its neighbours too. */
    deeptrack_feature *bilateral = NULL;
    OK(deeptrack_feature_new("BilateralBlur", &bilateral));
    const double flat[9] = {2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5};
    deeptrack_image *constant = image(flat, grid_shape, 2);
    OK(deeptrack_feature_resolve(bilateral, constant, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 9);
    for (size_t i = 0; i < len; i++) CHECK(data[i] == 2.5);
    deeptrack_image_free(out);
    deeptrack_image_free(constant);
    set_float(bilateral, "sigma_color", 1.0);
    const double spike[9] = {0, 0, 0, 0, 100, 0, 0, 0, 0};
    deeptrack_image *spiked = image(spike, grid_shape, 2);
    OK(deeptrack_feature_resolve(bilateral, spiked, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 9 && data[4] == 100.0 && data[0] == 0.0 && data[5] == 0.0);
    deeptrack_image_free(out);
    deeptrack_image_free(spiked);
    deeptrack_feature_free(bilateral);

    /* Average([Value(grid), Value(ones)]) from features: the mean across them. */
    deeptrack_feature *values[2] = {NULL, NULL};
    const double ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const double *arrays[2] = {grid, ones};
    for (int i = 0; i < 2; i++) {
        OK(deeptrack_feature_new("Value", &values[i]));
        deeptrack_value *arr = NULL;
        OK(deeptrack_value_new_array(arrays[i], grid_shape, 2, &arr));
        set(values[i], "value", arr);
    }
    deeptrack_feature *average = NULL;
    CHECK(deeptrack_feature_new("Average", &average) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    OK(deeptrack_feature_new_with("Average", values, 2, &average));
    OK(deeptrack_feature_resolve(average, NULL, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 9);
    for (size_t i = 0; i < len; i++) CHECK(data[i] == (grid[i] + 1.0) / 2.0);
    deeptrack_image_free(out);
    deeptrack_feature_free(average);
    deeptrack_feature_free(values[0]);
    deeptrack_feature_free(values[1]);

    deeptrack_feature_free(elastic);
    deeptrack_feature_free(box);
    deeptrack_feature_free(gauss);
    deeptrack_image_free(square);
    deeptrack_image_free(single);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
