/* Tuples from C: a property set to a tuple (deeptrack_value_new_tuple) reads back as a tuple, from the
 * feature and from the image's property dict, while the feature computes with it as with a list;
 * a tuple renders as Python writes it, and list_push/_len/_get work on it. */
#include <string.h>

#include "check.h"

static deeptrack_value *number(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return v;
}

static void check_repr(const deeptrack_value *v, const char *want) {
    char buf[64];
    OK(deeptrack_value_repr(v, buf, sizeof buf, NULL));
    CHECK(strcmp(buf, want) == 0);
    if (strcmp(buf, want) != 0) fprintf(stderr, "repr: %s, wanted %s\n", buf, want);
}

int main(void) {
    /* (1.0, 2.0): a tuple of two floats. */
    deeptrack_value *pair = NULL;
    OK(deeptrack_value_new_tuple(&pair));
    CHECK(deeptrack_value_kind(pair) == DEEPTRACK_VALUE_KIND_TUPLE);
    deeptrack_value *one = number(1.0), *two = number(2.0);
    OK(deeptrack_value_list_push(pair, one));
    OK(deeptrack_value_list_push(pair, two));
    CHECK(deeptrack_value_list_len(pair) == 2);
    double x = 0.0;
    OK(deeptrack_value_as_float(deeptrack_value_list_get(pair, 1), &x));
    CHECK(x == 2.0);
    check_repr(pair, "(1.0, 2.0)");

    deeptrack_value *single = NULL;
    OK(deeptrack_value_new_tuple(&single));
    OK(deeptrack_value_list_push(single, one));
    check_repr(single, "(1.0,)");
    deeptrack_value_free(single);

    /* Pad(px=(1, 0, 0, 0)) on a 2x2 image of ones: one row of zeros on top, as with a list; px reads
     * back as a tuple from the feature and from the image's property dict. */
    deeptrack_value *px = NULL, *zero = NULL, *onei = NULL;
    OK(deeptrack_value_new_tuple(&px));
    OK(deeptrack_value_new_int(0, &zero));
    OK(deeptrack_value_new_int(1, &onei));
    OK(deeptrack_value_list_push(px, onei));
    for (int i = 0; i < 3; i++) OK(deeptrack_value_list_push(px, zero));
    deeptrack_feature *pad = NULL;
    OK(deeptrack_feature_new("Pad", &pad));
    deeptrack_rule *rule = NULL;
    OK(deeptrack_rule_constant(px, &rule));
    OK(deeptrack_feature_set_property(pad, "px", rule));
    deeptrack_rule_free(rule);
    OK(deeptrack_feature_store_properties(pad, true));
    const double ones[4] = {1.0, 1.0, 1.0, 1.0};
    const size_t shape[2] = {2, 2};
    deeptrack_image *in = NULL, *out = NULL;
    OK(deeptrack_image_new(ones, shape, 2, &in));
    OK(deeptrack_feature_resolve(pad, in, &out));
    const double *data = NULL;
    size_t len = 0;
    if (out) OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 6 && data[0] == 0.0 && data[1] == 0.0 && data[2] == 1.0 && data[5] == 1.0);

    deeptrack_value *got = NULL;
    OK(deeptrack_feature_get_property(pad, "px", &got));
    CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_TUPLE);
    check_repr(got, "(1, 0, 0, 0)");
    deeptrack_value_free(got);

    got = NULL;
    if (out) OK(deeptrack_image_get_property(out, "px", true, &got));
    CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_TUPLE);
    check_repr(got, "(1, 0, 0, 0)");
    deeptrack_value_free(got);

    /* A tuple is not pushed onto anything but a list or a tuple. */
    CHECK(deeptrack_value_list_push(one, pair) == DEEPTRACK_STATUS_TYPE_MISMATCH);
    CHECK(strstr(last_error(), "not a list or a tuple") != NULL);

    deeptrack_image_free(out);
    deeptrack_image_free(in);
    deeptrack_feature_free(pad);
    deeptrack_value_free(px);
    deeptrack_value_free(zero);
    deeptrack_value_free(onei);
    deeptrack_value_free(one);
    deeptrack_value_free(two);
    deeptrack_value_free(pair);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
