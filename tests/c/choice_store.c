/* OneOfDict, ConditionalSetFeature, Store, TakeProperties and Upscale, built by kind name from C
 * (deeptrack_feature_new_with), with their values checked: OneOfDict's keys given as a list property,
 * a ConditionalSetFeature with only on_true (NULL for on_false), a Store keeping its output across
 * updates, TakeProperties returning the sampled values as images, and Upscale pooling its feature's
 * output; and their errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define FAILS(call, status, text)                                                                      \
    do {                                                                                               \
        deeptrack_status s_ = (call);                                                                  \
        checks++;                                                                                      \
        if (s_ != (status) || strstr(last_error(), (text)) == NULL) {                                  \
            fprintf(stderr, "%s:%d: %s -> %s \"%s\", expected %s containing \"%s\"\n", __FILE__, __LINE__, \
                    #call, deeptrack_status_str(s_), last_error(), deeptrack_status_str(status), (text)); \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

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

int main(void) {
    test_one_of_dict();
    test_conditional_set_feature();
    test_store();
    test_take_properties();
    test_upscale();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
