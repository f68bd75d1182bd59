/* The structural kinds built from other features by name (deeptrack_feature_new_with): Combine,
 * Stack, Probability, OneOf, Arguments, Bind and ConditionalSetProperty, and Slice by kind name, with values checked; and the errors of a wrong feature
 * count, a NULL list and a bad key. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* An `Add` of `x`. */
static deeptrack_feature *add(double x) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new("Add", &f));
    OK(deeptrack_feature_set_property(f, "value", constant_float(x)));
    return f;
}

/* The first element of each of the `n` images `f` resolves to from a 1x1 image of `x` (at most 8). */
static size_t resolve_firsts(deeptrack_feature *f, double x, double *firsts) {
    size_t shape[2] = {1, 1}, n = 0;
    deeptrack_image *input = NULL, *out[8] = {NULL};
    OK(deeptrack_image_new(&x, shape, 2, &input));
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

static void test_combine_and_stack(void) {
    deeptrack_feature *a = add(10), *b = add(20), *combine = NULL, *stack = NULL;
    deeptrack_feature *both[2] = {a, b};
    double got[8];
    OK(deeptrack_feature_new_with("Combine", both, 2, &combine));
    CHECK(resolve_firsts(combine, 1, got) == 2 && got[0] == 11 && got[1] == 21);

    /* Stack: the input, then `value`. */
    OK(deeptrack_feature_new_with("Stack", NULL, 0, &stack));
    OK(deeptrack_feature_set_property(stack, "value", constant_float(3)));
    CHECK(resolve_firsts(stack, 1, got) == 2 && got[0] == 1 && got[1] == 3);

    /* With stored properties, every output carries its lineage then Combine's dict. */
    OK(deeptrack_feature_store_properties(combine, true));
    size_t shape[1] = {1}, n = 0;
    double x = 0;
    deeptrack_image *input = NULL, *out[2] = {NULL, NULL};
    OK(deeptrack_image_new(&x, shape, 1, &input));
    OK(deeptrack_feature_resolve_many(combine, input, out, 2, &n));
    CHECK(n == 2);
    CHECK(deeptrack_image_property_count(out[1]) == 2);
    deeptrack_value *name = NULL;
    OK(deeptrack_image_get_property(out[1], "name", false, &name));
    CHECK(deeptrack_value_list_len(name) == 2);
    const char *s = NULL;
    OK(deeptrack_value_as_string(deeptrack_value_list_get(name, 1), &s));
    CHECK(strcmp(s, "Combine") == 0);
    deeptrack_value_free(name);
    for (size_t i = 0; i < n; i++) deeptrack_image_free(out[i]);
    deeptrack_image_free(input);

    /* Wrong counts and NULL lists are errors naming what the kind takes. */
    deeptrack_feature *bad = NULL;
    FAILS(deeptrack_feature_new_with("Probability", both, 2, &bad), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "Probability takes 1 feature (feature), got 2");
    FAILS(deeptrack_feature_new_with("Combine", NULL, 2, &bad), DEEPTRACK_STATUS_NULL_ARGUMENT, "features");
    FAILS(deeptrack_feature_new("Probability", &bad), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "Probability takes 1 feature (feature), got 0");
    deeptrack_feature *with_null[2] = {a, NULL};
    FAILS(deeptrack_feature_new_with("Combine", with_null, 2, &bad), DEEPTRACK_STATUS_NULL_ARGUMENT, "features[1]");
    CHECK(bad == NULL);

    deeptrack_feature_free(stack);
    deeptrack_feature_free(combine);
    deeptrack_feature_free(b);
    deeptrack_feature_free(a);
}

static void test_probability_and_one_of(void) {
    deeptrack_feature *a = add(10), *b = add(20), *c = add(30), *p = NULL, *one = NULL;
    deeptrack_feature *three[3] = {a, b, c};
    double got[8];

    /* Probability 0.25: applied in about a quarter of 2000 updates, and reproducibly under a seed. */
    OK(deeptrack_feature_new_with("Probability", &a, 1, &p));
    OK(deeptrack_feature_set_property(p, "probability", constant_float(0.25)));
    OK(deeptrack_feature_seed(p, 7));
    int applied = 0, first[20];
    for (int i = 0; i < 2000; i++) {
        OK(deeptrack_feature_update(p));
        CHECK(resolve_firsts(p, 1, got) == 1);
        CHECK(got[0] == 1 || got[0] == 11);
        applied += got[0] == 11;
        if (i < 20) first[i] = got[0] == 11;
    }
    CHECK(applied > 420 && applied < 580); /* 500 +- 4.5 standard deviations */
    OK(deeptrack_feature_seed(p, 7));
    for (int i = 0; i < 20; i++) {
        OK(deeptrack_feature_update(p));
        resolve_firsts(p, 1, got);
        CHECK(first[i] == (got[0] == 11));
    }

    /* OneOf: each feature about a third of the time, its key recorded; a fixed key picks it. */
    OK(deeptrack_feature_new_with("OneOf", three, 3, &one));
    OK(deeptrack_feature_seed(one, 11));
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < 3000; i++) {
        OK(deeptrack_feature_update(one));
        CHECK(resolve_firsts(one, 0, got) == 1);
        int k = (int)(got[0] / 10) - 1;
        CHECK(k >= 0 && k < 3);
        if (k >= 0 && k < 3) counts[k]++;
        deeptrack_value *key = NULL;
        OK(deeptrack_feature_get_property(one, "key", &key));
        int64_t kv = -1;
        OK(deeptrack_value_as_int(key, &kv));
        CHECK(kv == k);
        deeptrack_value_free(key);
    }
    for (int k = 0; k < 3; k++) CHECK(counts[k] > 900 && counts[k] < 1100); /* 1000 +- 3.9 sd */
    OK(deeptrack_feature_set_property(one, "key", constant_int(-1)));
    CHECK(resolve_firsts(one, 0, got) == 1 && got[0] == 30);
    OK(deeptrack_feature_set_property(one, "key", constant_int(3)));
    double x = 0;
    size_t shape[1] = {1};
    deeptrack_image *input = NULL, *out = NULL;
    OK(deeptrack_image_new(&x, shape, 1, &input));
    FAILS(deeptrack_feature_resolve(one, input, &out), DEEPTRACK_STATUS_OUT_OF_RANGE,
          "property 'key' of feature 'OneOf': 3 exceeds the maximum of 2");
    deeptrack_image_free(input);

    /* An empty collection is refused. */
    deeptrack_feature *none = NULL;
    FAILS(deeptrack_feature_new_with("OneOf", NULL, 0, &none), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "OneOf takes at least 1 feature (collection), got 0");
    CHECK(none == NULL);

    deeptrack_feature_free(one);
    deeptrack_feature_free(p);
    deeptrack_feature_free(c);
    deeptrack_feature_free(b);
    deeptrack_feature_free(a);
}

static void test_arguments(void) {
    /* Arguments passes its input through; features link to its properties. */
    deeptrack_feature *args = NULL, *offset = NULL, *chain = NULL;
    deeptrack_rule *link = NULL;
    double got[8];
    OK(deeptrack_feature_new_with("Arguments", NULL, 0, &args));
    OK(deeptrack_feature_set_property(args, "shift", constant_float(5)));
    OK(deeptrack_feature_new("Add", &offset));
    OK(deeptrack_rule_property_of(args, "shift", &link));
    OK(deeptrack_feature_set_property(offset, "value", link));
    OK(deeptrack_feature_chain(args, offset, &chain));
    CHECK(resolve_firsts(chain, 2, got) == 1 && got[0] == 7);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(offset);
    deeptrack_feature_free(args);
}

static void test_bind(void) {
    /* Bind: the bound `value` overrides the Add's while the binding resolves it. */
    deeptrack_feature *a = add(1), *bind = NULL, *cond = NULL;
    double got[8];
    OK(deeptrack_feature_new_with("Bind", &a, 1, &bind));
    OK(deeptrack_feature_set_property(bind, "value", constant_float(50)));
    CHECK(resolve_firsts(bind, 1, got) == 1 && got[0] == 51);
    CHECK(resolve_firsts(a, 1, got) == 1 && got[0] == 2); /* unchanged outside */

    /* ConditionalSetProperty: bound only while its condition holds. */
    OK(deeptrack_feature_new_with("ConditionalSetProperty", &a, 1, &cond));
    OK(deeptrack_feature_set_property(cond, "value", constant_float(7)));
    CHECK(resolve_firsts(cond, 0, got) == 1 && got[0] == 1); /* condition None */
    deeptrack_value *v = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_value_new_bool(true, &v));
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(cond, "condition", r));
    CHECK(resolve_firsts(cond, 0, got) == 1 && got[0] == 7);
    deeptrack_feature_free(cond);
    deeptrack_feature_free(bind);
    deeptrack_feature_free(a);
}

static void test_slice(void) {
    /* Slice: numpy's basic indexing, elements "start:stop:step", "...", integers. */
    double data[12];
    for (int i = 0; i < 12; i++) data[i] = i;
    size_t shape[2] = {3, 4}, n = 0;
    deeptrack_image *input = NULL, *out = NULL;
    OK(deeptrack_image_new(data, shape, 2, &input));
    deeptrack_feature *s = NULL;
    OK(deeptrack_feature_new("Slice", &s));
    deeptrack_value *index = NULL, *item = NULL;
    OK(deeptrack_value_new_list(&index));
    OK(deeptrack_value_new_string("...", &item));
    OK(deeptrack_value_list_push(index, item));
    deeptrack_value_free(item);
    OK(deeptrack_value_new_string("::-2", &item));
    OK(deeptrack_value_list_push(index, item));
    deeptrack_value_free(item);
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(index, &r));
    deeptrack_value_free(index);
    OK(deeptrack_feature_set_property(s, "slices", r));
    OK(deeptrack_feature_resolve(s, input, &out));
    size_t got[2] = {0, 0};
    const double *values = NULL;
    OK(deeptrack_image_shape(out, got, 2));
    OK(deeptrack_image_data(out, &values, &n));
    CHECK(got[0] == 3 && got[1] == 2 && n == 6);
    CHECK(values[0] == 3 && values[1] == 1 && values[4] == 11 && values[5] == 9);
    deeptrack_image_free(out);
    OK(deeptrack_feature_set_property(s, "slices", constant_int(7)));
    FAILS(deeptrack_feature_resolve(s, input, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'slices' of feature 'Slice': index 7 is out of bounds for axis 0 with size 3");
    deeptrack_feature_free(s);
    deeptrack_image_free(input);
}

int main(void) {
    test_combine_and_stack();
    test_probability_and_one_of();
    test_arguments();
    test_bind();
    test_slice();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
