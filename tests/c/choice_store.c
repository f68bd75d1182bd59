/* OneOfDict, ConditionalSetFeature, Store, TakeProperties and Upscale, built by kind name from C
 * (deeptrack_feature_new_with), with their values checked: OneOfDict's keys given as a list property,
 * a ConditionalSetFeature with only on_true (NULL for on_false), a Store keeping its output across
 * updates, TakeProperties returning the sampled values as images, and Upscale pooling its feature's
 * output; LoadImage reading back a PNG written by deeptrack_image_save_png; and Merge
 * (deeptrack_feature_new_merge), whose callback gets the whole list of images; and their errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static deeptrack_rule *constant(deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

static deeptrack_rule *constant_float(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return constant(v);
}

static deeptrack_rule *constant_bool(bool x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_bool(x, &v));
    return constant(v);
}

static deeptrack_rule *constant_string(const char *s) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string(s, &v));
    return constant(v);
}

/* A constant list of `n` strings. */
static deeptrack_rule *strings(const char *const *items, size_t n) {
    deeptrack_value *list = NULL;
    OK(deeptrack_value_new_list(&list));
    for (size_t i = 0; i < n; i++) {
        deeptrack_value *s = NULL;
        OK(deeptrack_value_new_string(items[i], &s));
        OK(deeptrack_value_list_push(list, s));
        deeptrack_value_free(s);
    }
    return constant(list);
}

/* A feature of `kind` with `value` = x. */
static deeptrack_feature *op(const char *kind, double x) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(kind, &f));
    OK(deeptrack_feature_set_property(f, "value", constant_float(x)));
    return f;
}

/* The first element of each of the images `f` resolves to from a 1-element image of `x` (NAN for
 * `x` NAN: no input); at most 8. */
static size_t resolve_firsts(deeptrack_feature *f, double x, double *firsts) {
    size_t shape[1] = {1}, n = 0;
    deeptrack_image *input = NULL, *out[8] = {NULL};
    if (x == x) OK(deeptrack_image_new(&x, shape, 1, &input));
    OK(deeptrack_feature_resolve_many(f, input, out, 8, &n));
    for (size_t i = 0; i < n && i < 8; i++) {
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out[i], &data, &len));
        firsts[i] = len ? data[0] : -1;
        deeptrack_image_free(out[i]);
    }
    deeptrack_image_free(input);
    return n;
}

static void test_one_of_dict(void) {
    deeptrack_feature *add = op("Add", 10), *mul = op("Multiply", 2), *f = NULL;
    deeptrack_feature *both[2] = {add, mul};
    const char *keys[2] = {"add", "multiply"};
    double got[8];
    OK(deeptrack_feature_new_with("OneOfDict", both, 2, &f));
    OK(deeptrack_feature_set_property(f, "keys", strings(keys, 2)));
    OK(deeptrack_feature_set_property(f, "key", constant_string("multiply")));
    CHECK(resolve_firsts(f, 3, got) == 1 && got[0] == 6);
    OK(deeptrack_feature_set_property(f, "key", constant_string("add")));
    CHECK(resolve_firsts(f, 3, got) == 1 && got[0] == 13);
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_set_property(f, "key", constant_string("divide")));
    FAILS(deeptrack_feature_resolve(f, NULL, &out), DEEPTRACK_STATUS_NOT_FOUND,
          "property 'key' of feature 'OneOfDict': 'divide' is not a key of the collection (its keys: 'add', 'multiply')");
    CHECK(out == NULL);
    const char *same[2] = {"a", "a"};
    FAILS(deeptrack_feature_set_property(f, "keys", strings(same, 2)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "keys 0 and 1 are the same key ('a')");
    /* The default key: drawn among the keys at every update, both reached. */
    deeptrack_feature *g = NULL;
    OK(deeptrack_feature_new_with("OneOfDict", both, 2, &g));
    OK(deeptrack_feature_seed(g, 5));
    int seen[2] = {0, 0};
    for (int i = 0; i < 200; i++) {
        OK(deeptrack_feature_update(g));
        CHECK(resolve_firsts(g, 3, got) == 1);
        if (got[0] == 13) seen[0]++;
        if (got[0] == 6) seen[1]++;
    }
    CHECK(seen[0] + seen[1] == 200 && seen[0] > 60 && seen[1] > 60);
    deeptrack_feature_free(g);
    deeptrack_feature_free(f);
    deeptrack_feature_free(add);
    deeptrack_feature_free(mul);
}

static void test_conditional_set_feature(void) {
    deeptrack_feature *add = op("Add", 10), *f = NULL;
    deeptrack_feature *only_true[2] = {NULL, add};
    double got[8];
    OK(deeptrack_feature_new_with("ConditionalSetFeature", only_true, 2, &f));
    CHECK(resolve_firsts(f, 3, got) == 1 && got[0] == 13); /* condition True by default */
    OK(deeptrack_feature_set_property(f, "condition", constant_string("is_label")));
    CHECK(resolve_firsts(f, 3, got) == 1 && got[0] == 13); /* no such property: true */
    OK(deeptrack_feature_set_property(f, "is_label", constant_bool(false)));
    CHECK(resolve_firsts(f, 3, got) == 1 && got[0] == 3); /* no on_false: the input */
    deeptrack_feature_free(f);
    /* Only an optional feature parameter may be NULL. */
    deeptrack_feature *bad = NULL, *null_first[2] = {NULL, add};
    FAILS(deeptrack_feature_new_with("Combine", null_first, 2, &bad), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "features[0] is NULL (only an optional feature parameter may be NULL)");
    CHECK(bad == NULL);
    deeptrack_feature_free(add);
}

static void test_store(void) {
    deeptrack_feature *value = NULL, *store = NULL;
    deeptrack_rule *u = NULL;
    double got[8], first;
    OK(deeptrack_feature_new("Value", &value));
    OK(deeptrack_rule_uniform(0, 1, &u));
    OK(deeptrack_feature_set_property(value, "value", u));
    OK(deeptrack_feature_new_with("Store", &value, 1, &store));
    deeptrack_image *out = NULL;
    FAILS(deeptrack_feature_resolve(store, NULL, &out), DEEPTRACK_STATUS_NOT_FOUND, "key");
    OK(deeptrack_feature_set_property(store, "key", constant_string("example")));
    CHECK(resolve_firsts(store, NAN, got) == 1);
    first = got[0];
    OK(deeptrack_feature_update(store));
    CHECK(resolve_firsts(store, NAN, got) == 1 && got[0] == first); /* kept across updates */
    OK(deeptrack_feature_set_property(store, "replace", constant_bool(true)));
    OK(deeptrack_feature_update(store));
    CHECK(resolve_firsts(store, NAN, got) == 1 && got[0] != first);
    deeptrack_feature_free(store);
    deeptrack_feature_free(value);
}

static void test_take_properties(void) {
    deeptrack_feature *noise = NULL, *take = NULL;
    const char *names[2] = {"mu", "sigma"};
    OK(deeptrack_feature_new("Gaussian", &noise));
    OK(deeptrack_feature_set_property(noise, "mu", constant_float(7)));
    OK(deeptrack_feature_set_property(noise, "sigma", constant_float(12)));
    OK(deeptrack_feature_new_with("TakeProperties", &noise, 1, &take));
    OK(deeptrack_feature_set_property(take, "names", strings(names, 2)));
    double got[8];
    /* The input, then one image per name. */
    CHECK(resolve_firsts(take, 5, got) == 3 && got[0] == 5 && got[1] == 7 && got[2] == 12);
    OK(deeptrack_feature_set_property(take, "names", constant_string("name")));
    deeptrack_image *out = NULL;
    FAILS(deeptrack_feature_resolve(take, NULL, &out), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "property 'names' of feature 'TakeProperties': the values of 'name' are not numbers (one is a string)");
    deeptrack_feature *none = NULL;
    FAILS(deeptrack_feature_new_with("TakeProperties", NULL, 0, &none), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "TakeProperties takes 1 feature (feature), got 0");
    CHECK(none == NULL);
    deeptrack_feature_free(take);
    deeptrack_feature_free(noise);
}

static void test_upscale(void) {
    double data[16];
    for (int i = 0; i < 16; i++) data[i] = i;
    size_t shape[2] = {4, 4};
    deeptrack_value *array = NULL;
    deeptrack_feature *value = NULL, *up = NULL;
    OK(deeptrack_value_new_array(data, shape, 2, &array));
    OK(deeptrack_feature_new("Value", &value));
    OK(deeptrack_feature_set_property(value, "value", constant(array)));
    OK(deeptrack_feature_new_with("Upscale", &value, 1, &up));
    OK(deeptrack_feature_set_property(up, "factor", constant_float(2)));
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(up, NULL, &out));
    size_t got[2] = {0, 0}, n = 0;
    const double *values = NULL;
    OK(deeptrack_image_shape(out, got, 2));
    OK(deeptrack_image_data(out, &values, &n));
    CHECK(got[0] == 2 && got[1] == 2 && n == 4);
    CHECK(values[0] == 2.5 && values[1] == 4.5 && values[2] == 10.5 && values[3] == 12.5);
    deeptrack_image_free(out);
    out = NULL;
    FAILS(deeptrack_feature_set_property(up, "factor", constant_float(1.5)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'factor' of feature 'Upscale'");
    deeptrack_feature_free(up);
    deeptrack_feature_free(value);
}

/* A merge function: the element-wise mean of the inputs (DeepTrack2's test), or, with userdata
 * non-NULL, each input twice; fails on images of different sizes. */
static deeptrack_merge_output *kept_output = NULL;

static deeptrack_status mean_of(void *userdata, const deeptrack_image *const *inputs, size_t count,
                                const deeptrack_property_dict *properties, deeptrack_merge_output *output) {
    (void)properties;
    kept_output = output;
    if (count == 0) return deeptrack_merge_output_push(output, NULL);
    size_t shape[8], len = 0, ndim = deeptrack_image_ndim(inputs[0]);
    const double *data = NULL;
    if (deeptrack_image_shape(inputs[0], shape, 8) != DEEPTRACK_STATUS_OK) return 1;
    deeptrack_image_data(inputs[0], &data, &len);
    double *sum = calloc(len ? len : 1, sizeof *sum);
    for (size_t i = 0; i < count; i++) {
        size_t n = 0;
        deeptrack_image_data(inputs[i], &data, &n);
        if (n != len) {
            free(sum);
            deeptrack_set_error_message("images of different sizes");
            return 1;
        }
        for (size_t j = 0; j < n; j++) sum[j] += data[j] / (double)count;
    }
    for (int copy = 0; copy < (userdata ? 2 : 1); copy++) {
        deeptrack_image *img = NULL;
        deeptrack_status s = deeptrack_image_new(sum, shape, ndim, &img);
        if (s == DEEPTRACK_STATUS_OK) s = deeptrack_merge_output_push(output, img);
        if (s != DEEPTRACK_STATUS_OK) {
            free(sum);
            return s;
        }
    }
    free(sum);
    return DEEPTRACK_STATUS_OK;
}

/* A merge function that pushes nothing: DeepTrack2's function returning the empty list. */
static deeptrack_status push_none(void *userdata, const deeptrack_image *const *inputs, size_t count,
                                  const deeptrack_property_dict *properties, deeptrack_merge_output *output) {
    (void)inputs, (void)count, (void)userdata, (void)properties, (void)output;
    return DEEPTRACK_STATUS_OK;
}

static void test_merge(void) {
    deeptrack_feature *merge = NULL, *twice = NULL;
    OK(deeptrack_feature_new_merge("Merge", mean_of, NULL, NULL, &merge));
    double a[4] = {2, 2, 2, 2}, b[4] = {4, 4, 4, 4}, c[9] = {0};
    size_t s22[2] = {2, 2}, s33[2] = {3, 3}, n = 0, len = 0;
    deeptrack_image *images[2] = {NULL, NULL}, *out[4] = {NULL}, *small = NULL;
    OK(deeptrack_image_new(a, s22, 2, &images[0]));
    OK(deeptrack_image_new(b, s22, 2, &images[1]));
    OK(deeptrack_feature_resolve_list(merge, (const deeptrack_image *const *)images, 2, out, 4, &n));
    const double *data = NULL;
    CHECK(n == 1);
    OK(deeptrack_image_data(out[0], &data, &len));
    CHECK(len == 4 && data[0] == 3 && data[3] == 3);
    deeptrack_image_free(out[0]);
    /* The output list lives for the call only. */
    deeptrack_image *late = NULL;
    OK(deeptrack_image_new(a, s22, 2, &late));
    FAILS(deeptrack_merge_output_push(kept_output, late), DEEPTRACK_STATUS_INVALID_HANDLE, "output");
    deeptrack_image_free(late);
    /* Images of different sizes: the callback's failure and message. */
    OK(deeptrack_image_new(c, s33, 2, &small));
    deeptrack_image *mixed[2] = {images[0], small};
    FAILS(deeptrack_feature_resolve_list(merge, (const deeptrack_image *const *)mixed, 2, out, 4, &n),
          DEEPTRACK_STATUS_CALLBACK_FAILED, "images of different sizes");
    /* No input: the push of NULL fails, and so does the resolve. */
    deeptrack_image *none = NULL;
    FAILS(deeptrack_feature_resolve(merge, NULL, &none), DEEPTRACK_STATUS_CALLBACK_FAILED, "NULL");
    /* Several outputs. */
    OK(deeptrack_feature_new_merge("Twice", mean_of, (void *)1, NULL, &twice));
    OK(deeptrack_feature_resolve_list(twice, (const deeptrack_image *const *)images, 2, out, 4, &n));
    CHECK(n == 2);
    for (size_t i = 0; i < n && i < 4; i++) deeptrack_image_free(out[i]);
    /* None pushed: no image (DeepTrack2's empty list), also through a feature after it. */
    deeptrack_feature *empty = NULL, *add = op("Add", 1), *chain = NULL;
    OK(deeptrack_feature_new_merge("Empty", push_none, NULL, NULL, &empty));
    n = 7;
    OK(deeptrack_feature_resolve_list(empty, (const deeptrack_image *const *)images, 2, out, 4, &n));
    CHECK(n == 0);
    OK(deeptrack_feature_chain(empty, add, &chain));
    n = 7;
    OK(deeptrack_feature_resolve_list(chain, (const deeptrack_image *const *)images, 2, out, 4, &n));
    CHECK(n == 0);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(add);
    deeptrack_feature_free(empty);
    deeptrack_feature *bad = NULL;
    FAILS(deeptrack_feature_new_merge("Merge", NULL, NULL, NULL, &bad), DEEPTRACK_STATUS_NULL_ARGUMENT, "function");
    FAILS(deeptrack_feature_new_merge("", mean_of, NULL, NULL, &bad), DEEPTRACK_STATUS_INVALID_ARGUMENT, "name");
    FAILS(deeptrack_merge_output_push(NULL, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "output");
    CHECK(bad == NULL);
    deeptrack_image_free(small);
    deeptrack_image_free(images[0]);
    deeptrack_image_free(images[1]);
    deeptrack_feature_free(twice);
    deeptrack_feature_free(merge);
}

static void test_load_image(void) {
    double data[6] = {0, 1, 2, 3, 4, 5};
    size_t shape[2] = {2, 3}, got[3] = {0, 0, 0}, n = 0;
    deeptrack_image *img = NULL, *out = NULL;
    OK(deeptrack_image_new(data, shape, 2, &img));
    OK(deeptrack_image_save_png(img, "choice_store_load.png", NULL));
    deeptrack_image_free(img);
    deeptrack_feature *load = NULL;
    OK(deeptrack_feature_new("LoadImage", &load));
    OK(deeptrack_feature_set_property(load, "path", constant_string("choice_store_load.png")));
    OK(deeptrack_feature_resolve(load, NULL, &out));
    const double *values = NULL;
    CHECK(deeptrack_image_ndim(out) == 3);
    OK(deeptrack_image_shape(out, got, 3));
    OK(deeptrack_image_data(out, &values, &n));
    CHECK(got[0] == 2 && got[1] == 3 && got[2] == 1 && n == 6);
    CHECK(values[0] == 0 && values[1] == 13107 && values[5] == 65535); /* 16 bits, scaled to the range */
    deeptrack_image_free(out);
    out = NULL;
    OK(deeptrack_feature_set_property(load, "path", constant_string("no/such/file.png")));
    FAILS(deeptrack_feature_resolve(load, NULL, &out), DEEPTRACK_STATUS_NOT_FOUND,
          "property 'path' of feature 'LoadImage': cannot read 'no/such/file.png'");
    CHECK(out == NULL);
    deeptrack_feature_free(load);
    remove("choice_store_load.png");
}

int main(void) {
    test_one_of_dict();
    test_conditional_set_feature();
    test_store();
    test_take_properties();
    test_upscale();
    test_merge();
    test_load_image();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
