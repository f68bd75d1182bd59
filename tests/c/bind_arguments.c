/* deeptrack_feature_bind_arguments from C (DeepTrack2's bind_arguments): with properties stored,
 * the bound feature's results record the arguments' dict right before its own, also when it
 * computes inside a larger pipeline; a value set on the arguments shows in that dict and in the
 * values that link to them. The feature keeps its own reference to the arguments (the caller's
 * handle is freed first here). Loops and bad handles are refused. The lists are deeptrack 2.0.1's. */
#include <string.h>

#include "check.h"
#include "helpers.h"

/* Whether the dicts of `img` are named `names` (`n` of them), in order. */
static int named(const deeptrack_image *img, const char *const *names, size_t n) {
    if (deeptrack_image_property_count(img) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = dict_name(img, i);
        if (s == NULL || strcmp(s, names[i]) != 0) return 0;
    }
    return 1;
}

/* The number `key` of dict `i` of `img` (-1 when missing). */
static double dict_float(const deeptrack_image *img, size_t i, const char *key) {
    const deeptrack_property_dict *d = NULL;
    const deeptrack_value *v = NULL;
    double x = -1;
    OK(deeptrack_image_property_dict(img, i, &d));
    OK(deeptrack_property_dict_get(d, key, &v));
    OK(deeptrack_value_as_float(v, &x));
    return x;
}

static void test_bound_leaf_inside_a_chain(void) {
    /* args = Arguments(x=4); add = Add(value=args.x); add.bind_arguments(args);
     * p = Value(1) >> add >> Multiply(2): ['Value', 'Arguments', 'Add', 'Chain', 'Multiply', 'Chain']. */
    deeptrack_feature *args = feature("Arguments"), *value = feature("Value"), *add = feature("Add");
    deeptrack_feature *mul = feature("Multiply"), *inner = NULL, *p = NULL;
    set_float(args, "x", 4.0);
    set_float(value, "value", 1.0);
    set_float(mul, "value", 2.0);
    deeptrack_rule *x = NULL;
    OK(deeptrack_rule_property_of(args, "x", &x));
    OK(deeptrack_feature_set_property(add, "value", x));
    OK(deeptrack_feature_bind_arguments(add, args));
    OK(deeptrack_feature_chain(value, add, &inner));
    OK(deeptrack_feature_chain(inner, mul, &p));
    OK(deeptrack_feature_store_properties(p, true));

    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(p, NULL, &out));
    static const char *const want[] = {"Value", "Arguments", "Add", "Chain", "Multiply", "Chain"};
    CHECK(named(out, want, 6));
    CHECK(dict_float(out, 1, "x") == 4.0);
    CHECK(first_sample(out) == 10.0);
    deeptrack_image_free(out);

    /* A value set on the arguments: the dict and the sum both follow it. */
    deeptrack_value *nine = NULL;
    OK(deeptrack_value_new_float(9.0, &nine));
    OK(deeptrack_feature_set_value(args, "x", nine, NULL));
    deeptrack_value_free(nine);
    OK(deeptrack_feature_resolve(p, NULL, &out));
    CHECK(named(out, want, 6));
    CHECK(dict_float(out, 1, "x") == 9.0);
    CHECK(first_sample(out) == 20.0);
    deeptrack_image_free(out);

    /* The feature keeps the arguments alive: the caller's handle is freed first. */
    deeptrack_feature_free(args);
    OK(deeptrack_feature_update(p));
    OK(deeptrack_feature_resolve(p, NULL, &out));
    CHECK(named(out, want, 6));
    CHECK(dict_float(out, 1, "x") == 4.0);
    deeptrack_image_free(out);

    /* Without stored properties, nothing is recorded. */
    OK(deeptrack_feature_store_properties(p, false));
    OK(deeptrack_feature_resolve(p, NULL, &out));
    CHECK(deeptrack_image_property_count(out) == 0);
    deeptrack_image_free(out);

    deeptrack_feature_free(p);
    deeptrack_feature_free(inner);
    deeptrack_feature_free(mul);
    deeptrack_feature_free(add);
    deeptrack_feature_free(value);
}

static void test_refused(void) {
    deeptrack_feature *add = feature("Add"), *args = feature("Arguments"), *value = feature("Value"), *p = NULL;
    FAILS(deeptrack_feature_bind_arguments(NULL, args), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    FAILS(deeptrack_feature_bind_arguments(add, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'arguments' is NULL");
    FAILS(deeptrack_feature_bind_arguments(add, add), DEEPTRACK_STATUS_CYCLE,
          "feature 'Add': a feature cannot be bound as its own arguments");
    OK(deeptrack_feature_chain(value, add, &p));
    FAILS(deeptrack_feature_bind_arguments(add, p), DEEPTRACK_STATUS_CYCLE,
          "feature 'Chain' already depends on this feature: binding it as arguments would make a loop");
    /* A handle of another type. */
    const double zero = 0;
    size_t shape[1] = {1};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(&zero, shape, 1, &img));
    FAILS(deeptrack_feature_bind_arguments(add, (deeptrack_feature *)img), DEEPTRACK_STATUS_INVALID_HANDLE,
          "argument 'arguments' is not a deeptrack_feature handle");
    deeptrack_image_free(img);
    OK(deeptrack_feature_bind_arguments(add, args));
    deeptrack_feature_free(p);
    deeptrack_feature_free(value);
    deeptrack_feature_free(args);
    deeptrack_feature_free(add);
}

int main(void) {
    test_bound_leaf_inside_a_chain();
    test_refused();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
