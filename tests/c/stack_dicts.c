/* `a & b` from C as DeepTrack2 2.0.1 builds it: a chain of `a` and a `Stack` whose `value` is the
 * output of `b` (deeptrack_rule_feature). The images of `b` keep their own property dicts, then the
 * Stack's and the Chain's are appended, as on DeepTrack2's Images; `b` is sampled once per update.
 * And the augmentations' dicts as 2.0.1 records them: `time_consistent` first (Pad, Crop,
 * CropToMultiplesOf, PadToMultiplesOf), the computed `crop`/`px` of the multiples kinds (None; any
 * other value is refused naming the feature and property); Affine's `scale` and `translate` as 2.0.1's
 * pairs. And `f[index_feature]`: a `Slice` whose
 * `slices` is a list rule (deeptrack_rule_list) holding features' outputs, a mask or an index.
 * And storing for one feature only (deeptrack_feature_store_own_properties, DeepTrack2's
 * `store_properties(recursive=False)`). */
#include <string.h>

#include "check.h"
#include "helpers.h"

/* Whether property name `i` of `f` is `key`. */
static int property_is(const deeptrack_feature *f, size_t i, const char *key) {
    deeptrack_value *names = NULL;
    const char *s = NULL;
    OK(deeptrack_feature_property_names(f, &names));
    OK(deeptrack_value_as_string(deeptrack_value_list_get(names, i), &s));
    int same = s != NULL && strcmp(s, key) == 0;
    deeptrack_value_free(names);
    return same;
}

static void test_stack_of_a_feature(void) {
    const double a_data[3] = {1, 2, 3};
    deeptrack_feature *a = feature("Value"), *b = feature("Value"), *stack = feature("Stack"), *pipe = NULL;
    set_vector(a, "value", a_data, 3);
    set_string(a, "name", "A");
    deeptrack_rule *u = NULL;
    OK(deeptrack_rule_uniform(10.0, 11.0, &u));
    OK(deeptrack_feature_set_property(b, "value", u));
    set_string(b, "name", "B");
    deeptrack_rule *of_b = NULL;
    OK(deeptrack_rule_feature(b, &of_b));
    OK(deeptrack_feature_set_property(stack, "value", of_b));
    OK(deeptrack_feature_chain(a, stack, &pipe));
    OK(deeptrack_feature_store_properties(pipe, true));

    double previous = -1;
    for (int update = 0; update < 3; update++) {
        deeptrack_image *out[4] = {NULL};
        size_t count = 0;
        OK(deeptrack_feature_resolve_list(pipe, NULL, 0, out, 4, &count));
        CHECK(count == 2);
        if (count != 2) return;
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out[0], &data, &len));
        CHECK(len == 3 && data[2] == 3.0);
        OK(deeptrack_image_data(out[1], &data, &len));
        CHECK(len == 1 && data[0] >= 10.0 && data[0] < 11.0 && data[0] != previous);
        previous = data[0];
        /* [A, Stack, Chain] and [B, Stack, Chain]: B's image keeps its own dict. */
        CHECK(deeptrack_image_property_count(out[0]) == 3 && deeptrack_image_property_count(out[1]) == 3);
        CHECK(strcmp(dict_name(out[0], 0), "A") == 0 && strcmp(dict_name(out[1], 0), "B") == 0);
        CHECK(strcmp(dict_name(out[1], 1), "Stack") == 0 && strcmp(dict_name(out[1], 2), "Chain") == 0);
        /* B's dict records the value it drew, sampled once for this update. */
        const deeptrack_property_dict *d = NULL;
        const deeptrack_value *v = NULL;
        double x = 0;
        OK(deeptrack_image_property_dict(out[1], 0, &d));
        OK(deeptrack_property_dict_get(d, "value", &v));
        OK(deeptrack_value_as_float(v, &x));
        CHECK(x == previous);
        /* Resolving again gives the same value until the next update. */
        deeptrack_image *again[4] = {NULL};
        OK(deeptrack_feature_resolve_list(pipe, NULL, 0, again, 4, &count));
        OK(deeptrack_image_data(again[1], &data, &len));
        CHECK(count == 2 && data[0] == previous);
        for (size_t i = 0; i < 4; i++) {
            deeptrack_image_free(out[i]);
            deeptrack_image_free(again[i]);
        }
        OK(deeptrack_feature_update(pipe));
    }
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(stack);
    deeptrack_feature_free(b);
    deeptrack_feature_free(a);
}

static void test_augmentation_dicts(void) {
    const char *kinds[4] = {"Pad", "Crop", "CropToMultiplesOf", "PadToMultiplesOf"};
    for (size_t k = 0; k < 4; k++) {
        deeptrack_feature *f = feature(kinds[k]);
        CHECK(property_is(f, 0, "time_consistent"));
        deeptrack_feature_free(f);
    }
    deeptrack_feature *c = feature("CropToMultiplesOf");
    CHECK(property_is(c, 1, "crop") && property_is(c, 2, "crop_mode") && property_is(c, 4, "multiple"));
    deeptrack_feature_free(c);

    /* Crop with time_consistent: the same random corner for every image of the list. */
    double data[36];
    for (int i = 0; i < 36; i++) data[i] = i;
    const size_t shape[2] = {6, 6};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, 2, &img));
    const deeptrack_image *inputs[5] = {img, img, img, img, img};
    deeptrack_feature *crop = feature("Crop");
    const int64_t two[2] = {2, 2};
    OK(deeptrack_feature_set_property(crop, "crop", constant_ints(two, 2)));
    deeptrack_value *yes = NULL;
    OK(deeptrack_value_new_bool(true, &yes));
    set_value(crop, "time_consistent", yes);
    for (int update = 0; update < 4; update++) {
        deeptrack_image *out[5] = {NULL};
        size_t count = 0;
        OK(deeptrack_feature_resolve_list(crop, inputs, 5, out, 5, &count));
        CHECK(count == 5);
        const double *first = NULL, *other = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out[0], &first, &len));
        CHECK(len == 4);
        for (size_t i = 1; i < count; i++) {
            OK(deeptrack_image_data(out[i], &other, &len));
            CHECK(other[0] == first[0]);
        }
        for (size_t i = 0; i < 5; i++) deeptrack_image_free(out[i]);
        OK(deeptrack_feature_update(crop));
    }
    deeptrack_feature_free(crop);

    /* The crop of CropToMultiplesOf is computed: another value is refused when set, naming both. */
    deeptrack_feature *multiples = feature("CropToMultiplesOf");
    FAILS(deeptrack_feature_set_property(multiples, "crop", constant_ints(two, 2)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "computed from `multiple`");
    CHECK(strstr(last_error(), "CropToMultiplesOf") != NULL && strstr(last_error(), "'crop'") != NULL);
    deeptrack_feature_free(multiples);
    deeptrack_image_free(img);
}

static void test_slice_with_feature_items(void) {
    const double data[6] = {0, 1, 2, 3, 4, 5};
    const size_t shape[2] = {2, 3};
    deeptrack_value *arr = NULL;
    OK(deeptrack_value_new_array(data, shape, 2, &arr));
    deeptrack_feature *a = feature("Value"), *gt = feature("GreaterThan"), *mask = NULL;
    set_value(a, "value", arr);
    set_float(gt, "value", 2.5);
    OK(deeptrack_feature_chain(a, gt, &mask));

    /* a[a > 2.5]: the mask's samples, in C order. */
    deeptrack_rule *item = NULL, *slices = NULL;
    OK(deeptrack_rule_feature(mask, &item));
    const deeptrack_rule *items[2] = {item, NULL};
    OK(deeptrack_rule_list(items, 1, false, &slices));
    deeptrack_rule_free(item);
    deeptrack_feature *slice = feature("Slice"), *pipe = NULL;
    OK(deeptrack_feature_set_property(slice, "slices", slices));
    OK(deeptrack_feature_chain(a, slice, &pipe));
    deeptrack_image *out = resolve(pipe, NULL);
    const double *got = NULL;
    size_t len = 0;
    if (out) OK(deeptrack_image_data(out, &got, &len));
    CHECK(len == 3 && got[0] == 3.0 && got[1] == 4.0 && got[2] == 5.0);
    deeptrack_image_free(out);

    /* a[index, 2] with the index a feature's output. */
    deeptrack_feature *index = feature("Value");
    set_int(index, "value", 1);
    OK(deeptrack_rule_feature(index, &item));
    items[0] = item;
    items[1] = constant_int(2);
    OK(deeptrack_rule_list(items, 2, true, &slices));
    deeptrack_rule_free(item);
    deeptrack_rule_free((deeptrack_rule *)items[1]);
    OK(deeptrack_feature_set_property(slice, "slices", slices));
    out = resolve(pipe, NULL);
    if (out) OK(deeptrack_image_data(out, &got, &len));
    CHECK(len == 1 && got[0] == 5.0);
    deeptrack_image_free(out);

    /* Bad arguments: a NULL item, a NULL list of items. */
    items[0] = NULL;
    FAILS(deeptrack_rule_list(items, 1, false, &slices), DEEPTRACK_STATUS_NULL_ARGUMENT, "items[0]");
    FAILS(deeptrack_rule_list(NULL, 1, false, &slices), DEEPTRACK_STATUS_NULL_ARGUMENT, "items");
    OK(deeptrack_rule_list(NULL, 0, false, &slices));
    deeptrack_rule_free(slices);

    deeptrack_feature_free(index);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(slice);
    deeptrack_feature_free(mask);
    deeptrack_feature_free(gt);
    deeptrack_feature_free(a);
}

/* The Affine dict's `key` (dict 0 of `img`). */
static const deeptrack_value *affine_value(const deeptrack_image *img, const char *key) {
    const deeptrack_property_dict *d = NULL;
    const deeptrack_value *v = NULL;
    OK(deeptrack_image_property_dict(img, 0, &d));
    OK(deeptrack_property_dict_get(d, key, &v));
    return v;
}

/* Whether `v` is a tuple of two equal numbers `x` of kind `kind` (DeepTrack2's `(x, x)`). */
static int pair_of(const deeptrack_value *v, int kind, double x) {
    if (deeptrack_value_kind(v) != DEEPTRACK_VALUE_KIND_TUPLE || deeptrack_value_list_len(v) != 2) return 0;
    for (size_t i = 0; i < 2; i++) {
        const deeptrack_value *item = deeptrack_value_list_get(v, i);
        double y = -1;
        if ((int)deeptrack_value_kind(item) != kind || deeptrack_value_as_float(item, &y) != DEEPTRACK_STATUS_OK || y != x)
            return 0;
    }
    return 1;
}

/* Affine records what DeepTrack2 2.0.1's `_process_properties` gives: `scale` and `translate` as
 * pairs when numbers (`scale=1` as `(1, 1)`), `translate` None as `translate_px` (made a pair), other
 * values as given; `translate_px` as given. */
static void test_affine_records_pairs(void) {
    double data[16] = {0};
    const size_t shape[2] = {4, 4};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, 2, &img));
    deeptrack_feature *affine = feature("Affine");
    OK(deeptrack_feature_store_properties(affine, true));
    deeptrack_image *out = resolve(affine, img);
    CHECK(pair_of(affine_value(out, "scale"), DEEPTRACK_VALUE_KIND_INT, 1.0));
    CHECK(pair_of(affine_value(out, "translate"), DEEPTRACK_VALUE_KIND_FLOAT, 0.0));
    CHECK(deeptrack_value_kind(affine_value(out, "translate_px")) == DEEPTRACK_VALUE_KIND_FLOAT);
    deeptrack_image_free(out);

    set_float(affine, "scale", 1.5);
    set_float(affine, "translate_px", 2.5);
    out = resolve(affine, img);
    CHECK(pair_of(affine_value(out, "scale"), DEEPTRACK_VALUE_KIND_FLOAT, 1.5));
    CHECK(pair_of(affine_value(out, "translate"), DEEPTRACK_VALUE_KIND_FLOAT, 2.5));
    double px = 0;
    OK(deeptrack_value_as_float(affine_value(out, "translate_px"), &px));
    CHECK(px == 2.5);
    deeptrack_image_free(out);

    const double xy[2] = {1.5, 0.8};
    set_vector(affine, "scale", xy, 2);
    set_int(affine, "translate", 3);
    out = resolve(affine, img);
    CHECK(deeptrack_value_kind(affine_value(out, "scale")) == DEEPTRACK_VALUE_KIND_ARRAY);
    CHECK(pair_of(affine_value(out, "translate"), DEEPTRACK_VALUE_KIND_INT, 3.0));
    deeptrack_image_free(out);
    deeptrack_feature_free(affine);
    deeptrack_image_free(img);
}

/* `a >> b >> c` (Chain(Chain(a, b), c)): storing everywhere, then off for `b` alone, gives the dicts
 * from the outermost inwards up to `b`; storing for the outer chain alone gives its dict only; for
 * `b` alone, none (the outermost decides), as DeepTrack2 2.0.1's `store_properties(recursive=False)`. */
static void test_store_own_properties(void) {
    deeptrack_feature *a = feature("Add"), *b = feature("Multiply"), *c = feature("Subtract");
    deeptrack_feature *ab = NULL, *abc = NULL;
    set_float(a, "value", 1);
    set_float(b, "value", 2);
    set_float(c, "value", 3);
    OK(deeptrack_feature_chain(a, b, &ab));
    OK(deeptrack_feature_chain(ab, c, &abc));
    const double zero[1] = {0};
    deeptrack_image *img = NULL;
    const size_t one[1] = {1};
    OK(deeptrack_image_new(zero, one, 1, &img));

    OK(deeptrack_feature_store_properties(abc, true));
    OK(deeptrack_feature_store_own_properties(b, false));
    deeptrack_image *out = resolve(abc, img);
    CHECK(deeptrack_image_property_count(out) == 3);
    CHECK(strcmp(dict_name(out, 0), "Chain") == 0 && strcmp(dict_name(out, 1), "Subtract") == 0);
    CHECK(strcmp(dict_name(out, 2), "Chain") == 0);
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 1 && data[0] == -1.0); /* (0 + 1) * 2 - 3: the values are unchanged */
    deeptrack_image_free(out);

    OK(deeptrack_feature_store_properties(abc, false));
    OK(deeptrack_feature_store_own_properties(abc, true));
    out = resolve(abc, img);
    CHECK(deeptrack_image_property_count(out) == 1 && strcmp(dict_name(out, 0), "Chain") == 0);
    deeptrack_image_free(out);

    OK(deeptrack_feature_store_own_properties(abc, false));
    OK(deeptrack_feature_store_own_properties(b, true));
    out = resolve(abc, img);
    CHECK(deeptrack_image_property_count(out) == 0);
    deeptrack_image_free(out);

    FAILS(deeptrack_feature_store_own_properties(NULL, true), DEEPTRACK_STATUS_NULL_ARGUMENT, "f");
    deeptrack_image_free(img);
    deeptrack_feature_free(abc);
    deeptrack_feature_free(ab);
    deeptrack_feature_free(a);
    deeptrack_feature_free(b);
    deeptrack_feature_free(c);
}

int main(void) {
    test_stack_of_a_feature();
    test_slice_with_feature_items();
    test_augmentation_dicts();
    test_affine_records_pairs();
    test_store_own_properties();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
