/* Blur and Pool from C: a C function as Blur's filter_function and as Pool's pooling_function (custom
 * features given to deeptrack_feature_new_with; one named block_reduce is called once with every block),
 * a statistics reduction as Pool's native function,
 * values checked, a failing callback reported with the feature and property, and each userdata
 * destroyed exactly once. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static int destroyed_filter = 0, destroyed_pool = 0;

static void free_filter(void *userdata) { destroyed_filter += *(int *)userdata == 7; }
static void free_pool(void *userdata) { destroyed_pool += *(int *)userdata == 9; }

/* filter_function: scales the image by the property "factor" when mode is "reflect" (the kind's
 * default), fails otherwise. */
static deeptrack_status scale(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                              deeptrack_image **output) {
    (void)userdata;
    const deeptrack_value *v = NULL;
    const char *mode = NULL;
    double factor = 0.0;
    if (deeptrack_property_dict_get(props, "mode", &v) != DEEPTRACK_STATUS_OK ||
        deeptrack_value_as_string(v, &mode) != DEEPTRACK_STATUS_OK)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    if (strcmp(mode, "reflect") != 0) {
        deeptrack_set_error_message("only reflect here");
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    }
    if (deeptrack_property_dict_get(props, "factor", &v) != DEEPTRACK_STATUS_OK ||
        deeptrack_value_as_float(v, &factor) != DEEPTRACK_STATUS_OK)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    const double *data = NULL;
    size_t len = 0, shape[8];
    size_t ndim = deeptrack_image_ndim(input);
    if (ndim > 8 || deeptrack_image_data(input, &data, &len) != DEEPTRACK_STATUS_OK ||
        deeptrack_image_shape(input, shape, 8) != DEEPTRACK_STATUS_OK)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    double scaled[64];
    if (len > 64) return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    for (size_t i = 0; i < len; i++) scaled[i] = data[i] * factor;
    return deeptrack_image_new(scaled, shape, ndim, output);
}

/* pooling_function: the largest absolute value of the block (one value). */
static deeptrack_status max_abs(void *userdata, const deeptrack_image *block, const deeptrack_property_dict *props,
                                deeptrack_image **output) {
    (void)userdata;
    (void)props;
    const double *data = NULL;
    size_t len = 0;
    if (deeptrack_image_data(block, &data, &len) != DEEPTRACK_STATUS_OK) return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    double best = 0.0;
    for (size_t i = 0; i < len; i++) best = fmax(best, fabs(data[i]));
    const size_t one = 1;
    return deeptrack_image_new(&best, &one, 1, output);
}

/* pooling_function named "block_reduce": called once with every block, the (n0, n1, k0, k1) view of
 * the zero-padded image (read by its strides, without a copy), returning the (n0, n1) largest
 * absolute values. */
static int block_calls = 0;
static deeptrack_status max_abs_blocks(void *userdata, const deeptrack_image *blocks,
                                       const deeptrack_property_dict *props, deeptrack_image **output) {
    (void)userdata;
    (void)props;
    block_calls++;
    size_t s[4] = {0};
    ptrdiff_t st[4] = {0};
    const double *first = NULL;
    bool permuted = false;
    if (deeptrack_image_ndim(blocks) != 4 || deeptrack_image_shape(blocks, s, 4) != DEEPTRACK_STATUS_OK ||
        deeptrack_image_layout(blocks, &first, st, 4, &permuted) != DEEPTRACK_STATUS_OK || !permuted || s[0] * s[1] > 16)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    double best[16] = {0};
    for (size_t i = 0; i < s[0]; i++)
        for (size_t j = 0; j < s[1]; j++)
            for (size_t k = 0; k < s[2]; k++)
                for (size_t l = 0; l < s[3]; l++)
                    best[i * s[1] + j] = fmax(best[i * s[1] + j], fabs(first[i * st[0] + j * st[1] + k * st[2] + l * st[3]]));
    return deeptrack_image_new(best, s, 2, output);
}

/* BlurCV2's filter_function: adds OpenCV's borderType (an integer property BlurCV2 adds for its mode)
 * to every sample, so the test reads which border type the filter was given. */
static deeptrack_status add_border_type(void *userdata, const deeptrack_image *input,
                                        const deeptrack_property_dict *props, deeptrack_image **output) {
    (void)userdata;
    const deeptrack_value *v = NULL;
    int64_t border = -1;
    if (deeptrack_property_dict_get(props, "borderType", &v) != DEEPTRACK_STATUS_OK ||
        deeptrack_value_as_int(v, &border) != DEEPTRACK_STATUS_OK)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    const double *data = NULL;
    size_t len = 0, shape[8];
    size_t ndim = deeptrack_image_ndim(input);
    double shifted[64];
    if (ndim > 8 || deeptrack_image_data(input, &data, &len) != DEEPTRACK_STATUS_OK ||
        deeptrack_image_shape(input, shape, 8) != DEEPTRACK_STATUS_OK || len > 64)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    for (size_t i = 0; i < len; i++) shifted[i] = data[i] + (double)border;
    return deeptrack_image_new(shifted, shape, ndim, output);
}

/* A pooling function that returns the whole block: not one value. */
static deeptrack_status whole(void *userdata, const deeptrack_image *block, const deeptrack_property_dict *props,
                              deeptrack_image **output) {
    (void)userdata;
    (void)props;
    (void)block;
    *output = NULL; /* passes the block through */
    return DEEPTRACK_STATUS_OK;
}

static deeptrack_feature *with_function(const char *kind, deeptrack_feature *function) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new_with(kind, &function, 1, &f));
    return f;
}

int main(void) {
    const double x[12] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12};
    const size_t shape[2] = {3, 4};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(x, shape, 2, &img));
    const double *data = NULL;
    size_t len = 0, out_shape[2] = {0, 0};
    deeptrack_image *out = NULL;

    /* Blur with a C filter: the filter receives the image and Blur's properties. */
    int filter_tag = 7, pool_tag = 9;
    deeptrack_feature *filter = NULL;
    OK(deeptrack_feature_new_custom("filter_function", scale, &filter_tag, free_filter, &filter));
    deeptrack_feature *blur = with_function("Blur", filter);
    deeptrack_feature_free(filter); /* Blur keeps it */
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_uniform(3.0, 3.0, &r));
    OK(deeptrack_feature_set_property(blur, "factor", r));
    OK(deeptrack_feature_resolve(blur, img, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 12 && data[0] == 3.0 && data[11] == -36.0);
    deeptrack_image_free(out);
    /* The filter's failure is the resolve's, naming Blur and filter_function, with its message. */
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string("constant", &v));
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(blur, "mode", r));
    CHECK(deeptrack_feature_resolve(blur, img, &out) == DEEPTRACK_STATUS_CALLBACK_FAILED);
    CHECK(strstr(last_error(), "property 'filter_function' of feature 'Blur'") != NULL);
    CHECK(strstr(last_error(), "only reflect here") != NULL);

    /* BlurCV2 with a C filter: it is given OpenCV's borderType for each mode (reflect 2, wrap 3,
     * constant 0, mirror 4, nearest 1); an unknown mode is refused by
     * set_property, naming the property and listing the modes. */
    OK(deeptrack_feature_new_custom("filter_function", add_border_type, NULL, NULL, &filter));
    deeptrack_feature *cv2 = with_function("BlurCV2", filter);
    deeptrack_feature_free(filter);
    const char *modes[5] = {"reflect", "wrap", "constant", "mirror", "nearest"};
    const double borders[5] = {2, 3, 0, 4, 1};
    for (int m = 0; m < 5; m++) {
        if (m > 0) set_string(cv2, "mode", modes[m]);
        OK(deeptrack_feature_resolve(cv2, img, &out));
        OK(deeptrack_image_data(out, &data, &len));
        CHECK(len == 12 && data[0] == 1.0 + borders[m] && data[11] == -12.0 + borders[m]);
        deeptrack_image_free(out);
    }
    CHECK(deeptrack_feature_set_property(cv2, "mode", constant_string("refelct")) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'mode' of feature 'BlurCV2'") != NULL);
    CHECK(strstr(last_error(), "'reflect', 'wrap', 'constant', 'mirror', 'nearest'") != NULL);
    deeptrack_feature_free(cv2);

    /* Pool with a C function, called per 2 x 3 block (the last column of blocks padded with zeros). */
    deeptrack_feature *function = NULL;
    OK(deeptrack_feature_new_custom("pooling_function", max_abs, &pool_tag, free_pool, &function));
    deeptrack_feature *pool = with_function("Pool", function);
    deeptrack_feature_free(function);
    deeptrack_value *ks = NULL;
    const double sizes[2] = {2, 3};
    const size_t two = 2;
    OK(deeptrack_value_new_array(sizes, &two, 1, &ks));
    OK(deeptrack_rule_constant(ks, &r));
    deeptrack_value_free(ks);
    OK(deeptrack_feature_set_property(pool, "ksize", r));
    OK(deeptrack_feature_resolve(pool, img, &out));
    OK(deeptrack_image_data(out, &data, &len));
    OK(deeptrack_image_shape(out, out_shape, 2));
    CHECK(out_shape[0] == 2 && out_shape[1] == 2 && len == 4);
    CHECK(len == 4 && data[0] == 7.0 && data[1] == 8.0 && data[2] == 11.0 && data[3] == 12.0);
    deeptrack_image_free(out);

    /* The same with a function named block_reduce: one call with every block. */
    OK(deeptrack_feature_new_custom("block_reduce", max_abs_blocks, NULL, NULL, &function));
    deeptrack_feature *pool_once = with_function("Pool", function);
    deeptrack_feature_free(function);
    OK(deeptrack_value_new_array(sizes, &two, 1, &ks));
    OK(deeptrack_rule_constant(ks, &r));
    deeptrack_value_free(ks);
    OK(deeptrack_feature_set_property(pool_once, "ksize", r));
    OK(deeptrack_feature_resolve(pool_once, img, &out));
    OK(deeptrack_image_data(out, &data, &len));
    OK(deeptrack_image_shape(out, out_shape, 2));
    CHECK(block_calls == 1 && out_shape[0] == 2 && out_shape[1] == 2);
    CHECK(len == 4 && data[0] == 7.0 && data[1] == 8.0 && data[2] == 11.0 && data[3] == 12.0);
    deeptrack_image_free(out);
    deeptrack_feature_free(pool_once);

    /* Pool with the statistics kind Mean: native, as np.mean over each 2 x 2 block. */
    deeptrack_feature *mean = NULL;
    OK(deeptrack_feature_new("Mean", &mean));
    deeptrack_feature *average = with_function("Pool", mean);
    deeptrack_feature_free(mean);
    OK(deeptrack_value_new_int(2, &ks));
    OK(deeptrack_rule_constant(ks, &r));
    deeptrack_value_free(ks);
    OK(deeptrack_feature_set_property(average, "ksize", r));
    OK(deeptrack_feature_resolve(average, img, &out));
    OK(deeptrack_image_data(out, &data, &len));
    /* Blocks: {1,-2,5,-6} {3,-4,7,-8} {9,-10,0,0} {11,-12,0,0}. */
    CHECK(len == 4 && data[0] == -0.5 && data[1] == -0.5 && data[2] == -0.25 && data[3] == -0.25);
    deeptrack_image_free(out);

    /* A function returning more than one value per block is an error naming the property. */
    deeptrack_feature *bad = NULL;
    OK(deeptrack_feature_new_custom("pooling_function", whole, NULL, NULL, &bad));
    deeptrack_feature *bad_pool = with_function("Pool", bad);
    deeptrack_feature_free(bad);
    CHECK(deeptrack_feature_resolve(bad_pool, img, &out) == DEEPTRACK_STATUS_CALLBACK_FAILED);
    CHECK(strstr(last_error(), "property 'pooling_function' of feature 'Pool'") != NULL);
    CHECK(strstr(last_error(), "returned 9 values for a block; expected one") != NULL);
    deeptrack_feature_free(bad_pool);

    /* A built-in feature that is neither a function nor a reduction is refused when resolving. */
    deeptrack_feature *gauss = NULL;
    OK(deeptrack_feature_new("GaussianBlur", &gauss));
    deeptrack_feature *wrong = with_function("Pool", gauss);
    deeptrack_feature_free(gauss);
    CHECK(deeptrack_feature_resolve(wrong, img, &out) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "'GaussianBlur'") != NULL && strstr(last_error(), "pooling_function") != NULL);
    deeptrack_feature_free(wrong);
    /* Blur and Pool need their function. */
    CHECK(deeptrack_feature_new("Blur", &wrong) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "filter_function") != NULL);

    /* Each userdata is destroyed once, when the last feature holding it goes. */
    CHECK(destroyed_filter == 0 && destroyed_pool == 0);
    deeptrack_feature_free(blur);
    CHECK(destroyed_filter == 1);
    deeptrack_feature_free(pool);
    CHECK(destroyed_pool == 1);
    deeptrack_feature_free(average);
    deeptrack_image_free(img);
    CHECK(destroyed_filter == 1 && destroyed_pool == 1);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
