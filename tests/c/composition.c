/* Composed pipelines from C (issue 13): an array operand after a permuted view is applied index by
 * index (numpy's values), an index feature that gives no image is an error naming Slice and the
 * index (not a new axis), and deeptrack_feature_set_value_everywhere leaves a feature outside the
 * pipeline that a property links to as it was (DeepTrack2 2.0.1), the pipeline's own property
 * taking the value until its update. */
#include <string.h>

#include "check.h"
#include "helpers.h"

static double first_of(deeptrack_image *img) {
    const double *d = NULL;
    size_t n = 0;
    if (img == NULL || deeptrack_image_data(img, &d, &n) != DEEPTRACK_STATUS_OK || n == 0) return -1e300;
    return d[0];
}

int main(void) {
    /* Transpose >> Add(value=[10, 20]) of arange(6).reshape(2, 3): numpy's [[10, 23], [11, 24], [12, 25]]. */
    double x[6] = {0, 1, 2, 3, 4, 5};
    size_t shape[2] = {2, 3};
    deeptrack_image *in = NULL;
    OK(deeptrack_image_new(x, shape, 2, &in));
    deeptrack_feature *t = feature("Transpose"), *add = feature("Add"), *chain = NULL;
    double row[2] = {10, 20};
    set_vector(add, "value", row, 2);
    OK(deeptrack_feature_chain(t, add, &chain));
    deeptrack_image *out = resolve(chain, in);
    const double *d = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(out, &d, &n));
    const double expected[6] = {10, 23, 11, 24, 12, 25};
    CHECK(n == 6 && memcmp(d, expected, sizeof expected) == 0);
    deeptrack_image_free(out);

    /* Transpose >> Subtract(value = the output of Value(1.0)): [[-1, 2], [0, 3], [1, 4]]. */
    deeptrack_feature *one = feature("Value"), *sub = feature("Subtract"), *chain2 = NULL;
    set_float(one, "value", 1.0);
    deeptrack_rule *of_one = NULL;
    OK(deeptrack_rule_feature(one, &of_one));
    OK(deeptrack_feature_set_property(sub, "value", of_one));
    OK(deeptrack_feature_chain(t, sub, &chain2));
    out = resolve(chain2, in);
    OK(deeptrack_image_data(out, &d, &n));
    const double minus_one[6] = {-1, 2, 0, 3, 1, 4};
    CHECK(n == 6 && memcmp(d, minus_one, sizeof minus_one) == 0);
    deeptrack_image_free(out);

    /* Slice(slices = [the output of Add(value=1)]): Add gives no image without input, an error. */
    deeptrack_feature *index = feature("Add"), *slice = feature("Slice");
    set_float(index, "value", 1.0);
    deeptrack_rule *item = NULL, *items = NULL;
    OK(deeptrack_rule_feature(index, &item));
    const deeptrack_rule *list[1] = {item};
    OK(deeptrack_rule_list(list, 1, false, &items));
    deeptrack_rule_free(item);
    OK(deeptrack_feature_set_property(slice, "slices", items));
    out = NULL;
    CHECK(deeptrack_feature_resolve(slice, in, &out) == DEEPTRACK_STATUS_TYPE_MISMATCH && out == NULL);
    CHECK(strstr(last_error(), "feature 'Slice'") != NULL);
    CHECK(strstr(last_error(), "the feature given as item 0 of the index gave no image") != NULL);

    /* p = Add(value=1); f = Add(value=p.value); set_value_everywhere(f, value=5): f computes with 5
     * until its update, p keeps 1 (it is outside f's pipeline), and after the update f reads p's 1. */
    double zeros[4] = {0, 0, 0, 0};
    size_t shape2[2] = {2, 2};
    deeptrack_image *z = NULL;
    OK(deeptrack_image_new(zeros, shape2, 2, &z));
    deeptrack_feature *p = feature("Add"), *f = feature("Add");
    set_float(p, "value", 1);
    deeptrack_rule *link = NULL;
    OK(deeptrack_rule_property_of(p, "value", &link));
    OK(deeptrack_feature_set_property(f, "value", link));
    deeptrack_value *five = NULL;
    OK(deeptrack_value_new_float(5, &five));
    size_t count = 0;
    OK(deeptrack_feature_set_value_everywhere(f, "value", five, &count));
    CHECK(count == 1);
    out = resolve(f, z);
    CHECK(first_of(out) == 5.0);
    deeptrack_image_free(out);
    out = resolve(p, z);
    CHECK(first_of(out) == 1.0);
    deeptrack_image_free(out);
    OK(deeptrack_feature_update(f));
    out = resolve(f, z);
    CHECK(first_of(out) == 1.0);
    deeptrack_image_free(out);
    /* In a chain p >> Add(value=p.value), p is in the pipeline: both take 5 (5 + 5), until the update. */
    deeptrack_feature *g = feature("Add"), *pg = NULL;
    OK(deeptrack_rule_property_of(p, "value", &link));
    OK(deeptrack_feature_set_property(g, "value", link));
    OK(deeptrack_feature_chain(p, g, &pg));
    count = 0;
    OK(deeptrack_feature_set_value_everywhere(pg, "value", five, &count));
    CHECK(count == 2);
    out = resolve(pg, z);
    CHECK(first_of(out) == 10.0);
    deeptrack_image_free(out);
    OK(deeptrack_feature_update(pg));
    out = resolve(pg, z);
    CHECK(first_of(out) == 2.0);
    deeptrack_image_free(out);

    deeptrack_value_free(five);
    deeptrack_feature_free(pg);
    deeptrack_feature_free(g);
    deeptrack_feature_free(f);
    deeptrack_feature_free(p);
    deeptrack_image_free(z);
    deeptrack_feature_free(slice);
    deeptrack_feature_free(index);
    deeptrack_feature_free(chain2);
    deeptrack_feature_free(sub);
    deeptrack_feature_free(one);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(add);
    deeptrack_feature_free(t);
    deeptrack_image_free(in);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
