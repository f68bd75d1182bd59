/* A feature's properties from C: their names (deeptrack_feature_property_names), DeepTrack2's
 * set_value on one feature and on every feature of a pipeline that has the property
 * (deeptrack_feature_set_value, _set_value_everywhere: what Python's resolve(x, key=value) does),
 * is_valid, an appending custom feature (MERGE_STRATEGY_APPEND), the order of the properties
 * (deeptrack_feature_order_properties), and the errors naming the property. */
#include <string.h>

#include "check.h"

static double scalar(deeptrack_image *img) {
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &data, &len));
    return len == 1 ? data[0] : -1e300;
}

static double resolve(deeptrack_feature *f, deeptrack_image *in) {
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(f, in, &out));
    double v = out ? scalar(out) : -1e300;
    deeptrack_image_free(out);
    return v;
}

static double get_float(deeptrack_feature *f, const char *key) {
    deeptrack_value *v = NULL;
    double x = -1e300;
    OK(deeptrack_feature_get_property(f, key, &v));
    if (v) OK(deeptrack_value_as_float(v, &x));
    deeptrack_value_free(v);
    return x;
}

static deeptrack_value *number(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return v;
}

static int calls = 0;

/* Appends a 1-element image holding the number of calls so far. */
static deeptrack_status append_count(void *userdata, const deeptrack_image *input,
                                     const deeptrack_property_dict *props, deeptrack_image **output) {
    (void)userdata;
    (void)props;
    CHECK(input == NULL);
    const double x = ++calls;
    const size_t shape[1] = {1};
    return deeptrack_image_new(&x, shape, 1, output);
}

int main(void) {
    /* Names: the kind's parameters, then `name`. */
    deeptrack_feature *add = NULL;
    OK(deeptrack_feature_new("Add", &add));
    deeptrack_value *names = NULL;
    OK(deeptrack_feature_property_names(add, &names));
    CHECK(deeptrack_value_list_len(names) == 2);
    const char *s = NULL;
    OK(deeptrack_value_as_string(deeptrack_value_list_get(names, 0), &s));
    CHECK(s && strcmp(s, "value") == 0);
    OK(deeptrack_value_as_string(deeptrack_value_list_get(names, 1), &s));
    CHECK(s && strcmp(s, "name") == 0);
    deeptrack_value_free(names);

    /* set_value pins the value until the next update, which puts the rule (here 0) back. */
    const double x = 1.0;
    const size_t shape[1] = {1};
    deeptrack_image *in = NULL;
    OK(deeptrack_image_new(&x, shape, 1, &in));
    CHECK(resolve(add, in) == 1.0);
    bool valid = false;
    OK(deeptrack_feature_is_valid(add, &valid));
    CHECK(valid);
    deeptrack_value *three = number(3.0);
    bool changed = false;
    OK(deeptrack_feature_set_value(add, "value", three, &changed));
    CHECK(changed);
    OK(deeptrack_feature_is_valid(add, &valid));
    CHECK(!valid);
    CHECK(get_float(add, "value") == 3.0);
    CHECK(resolve(add, in) == 4.0);
    OK(deeptrack_feature_set_value(add, "value", three, &changed)); /* the same value: nothing changes */
    CHECK(!changed);
    OK(deeptrack_feature_is_valid(add, &valid));
    CHECK(valid);
    OK(deeptrack_feature_update(add));
    CHECK(resolve(add, in) == 1.0);

    /* On a pipeline: every feature that has the property takes the value. */
    deeptrack_feature *mul = NULL, *chain = NULL;
    OK(deeptrack_feature_new("Multiply", &mul));
    OK(deeptrack_feature_chain(add, mul, &chain));
    size_t count = 0;
    OK(deeptrack_feature_set_value_everywhere(chain, "value", three, &count));
    CHECK(count == 2);
    CHECK(resolve(chain, in) == 12.0); /* (1 + 3) * 3 */
    OK(deeptrack_feature_set_value_everywhere(chain, "no_such_key", three, &count));
    CHECK(count == 0);

    /* Errors name the feature and the property; nothing is set on error. */
    CHECK(deeptrack_feature_set_value(add, "missing", three, NULL) == DEEPTRACK_STATUS_NOT_FOUND);
    CHECK(strstr(last_error(), "missing") != NULL);
    CHECK(deeptrack_feature_set_value(add, "name", three, NULL) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    deeptrack_feature *repeat = NULL;
    OK(deeptrack_feature_repeat(add, 2, &repeat));
    deeptrack_value *minus = number(-1.0);
    CHECK(deeptrack_feature_set_value_everywhere(repeat, "N", minus, NULL) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "'N'") != NULL);
    CHECK(deeptrack_feature_set_value(NULL, "value", three, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_feature_set_value(add, NULL, three, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_feature_set_value(add, "value", NULL, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_feature_property_names(add, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_feature_is_valid(NULL, &valid) == DEEPTRACK_STATUS_NULL_ARGUMENT);

    /* An appending custom feature: `a >> b` gives both images. */
    deeptrack_feature *a = NULL, *b = NULL, *ab = NULL;
    OK(deeptrack_feature_new_custom_appending("Counter", append_count, NULL, NULL, false, &a));
    OK(deeptrack_feature_new_custom_appending("Counter", append_count, NULL, NULL, true, &b));
    OK(deeptrack_feature_chain(a, b, &ab));
    deeptrack_image *outs[4] = {NULL};
    size_t n = 0;
    OK(deeptrack_feature_resolve_many(ab, NULL, outs, 4, &n));
    CHECK(n == 2 && scalar(outs[0]) == 1.0 && scalar(outs[1]) == 2.0);
    for (size_t i = 0; i < n; i++) deeptrack_image_free(outs[i]);

    /* DeepTrack2 2.0.1's order (a property whose function reads `scale` after it and `name`): the
     * names and the recorded dict follow it; a list that is not a permutation changes nothing. */
    deeptrack_feature *scaled = NULL;
    OK(deeptrack_feature_new("Add", &scaled));
    deeptrack_rule *rule = NULL;
    OK(deeptrack_rule_constant(three, &rule));
    OK(deeptrack_feature_set_property(scaled, "scale", rule));
    const char *order[3] = {"scale", "name", "value"};
    OK(deeptrack_feature_order_properties(scaled, order, 3));
    OK(deeptrack_feature_property_names(scaled, &names));
    CHECK(deeptrack_value_list_len(names) == 3);
    for (size_t i = 0; i < 3; i++) {
        OK(deeptrack_value_as_string(deeptrack_value_list_get(names, i), &s));
        CHECK(s && strcmp(s, order[i]) == 0);
    }
    deeptrack_value_free(names);
    OK(deeptrack_feature_store_properties(scaled, true));
    deeptrack_image *stored = NULL;
    OK(deeptrack_feature_resolve(scaled, in, &stored));
    const deeptrack_property_dict *dict = NULL;
    OK(deeptrack_image_property_dict(stored, 0, &dict));
    CHECK(deeptrack_property_dict_len(dict) == 3);
    for (size_t i = 0; i < 3 && dict; i++) {
        OK(deeptrack_property_dict_key(dict, i, &s));
        CHECK(s && strcmp(s, order[i]) == 0);
    }
    deeptrack_image_free(stored);
    const char *twice[3] = {"scale", "scale", "value"};
    FAILS(deeptrack_feature_order_properties(scaled, twice, 3), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "'scale' is named twice");
    const char *unknown[3] = {"scale", "name", "offset"};
    FAILS(deeptrack_feature_order_properties(scaled, unknown, 3), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "no property 'offset'");
    FAILS(deeptrack_feature_order_properties(scaled, order, 2), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "leaves out the property 'value'");
    const char *null_key[3] = {"scale", NULL, "value"};
    FAILS(deeptrack_feature_order_properties(scaled, null_key, 3), DEEPTRACK_STATUS_NULL_ARGUMENT, "keys[1]");
    FAILS(deeptrack_feature_order_properties(NULL, order, 3), DEEPTRACK_STATUS_NULL_ARGUMENT, "f");
    FAILS(deeptrack_feature_order_properties(scaled, NULL, 3), DEEPTRACK_STATUS_NULL_ARGUMENT, "keys");
    OK(deeptrack_feature_property_names(scaled, &names));
    OK(deeptrack_value_as_string(deeptrack_value_list_get(names, 2), &s));
    CHECK(s && strcmp(s, "value") == 0);
    deeptrack_value_free(names);
    deeptrack_feature_free(scaled);

    deeptrack_value_free(three);
    deeptrack_value_free(minus);
    deeptrack_feature_free(ab);
    deeptrack_feature_free(a);
    deeptrack_feature_free(b);
    deeptrack_feature_free(repeat);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(mul);
    deeptrack_feature_free(add);
    deeptrack_image_free(in);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
