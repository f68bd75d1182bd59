/* Integer arrays as property values from C: deeptrack_value_new_array_int copies int64_t elements,
 * deeptrack_value_array_int reads them back (borrowed, exact beyond 2^53), an integer array is an
 * arithmetic operand and Pad's px (its values read as numbers), a dict records it as an integer array
 * (read through the dict, get_property and the JSON table), and bad arguments are refused with a
 * status. */
#include <stdint.h>
#include <string.h>

#include "check.h"

int main(void) {
    /* A 2 x 3 integer array, one element beyond 2^53 (not a double). */
    int64_t data[6] = {4, -1, 0, 7, INT64_MIN, ((int64_t)1 << 53) + 1};
    size_t shape[2] = {2, 3};
    deeptrack_value *ints = NULL;
    OK(deeptrack_value_new_array_int(data, shape, 2, &ints));
    CHECK(deeptrack_value_kind(ints) == DEEPTRACK_VALUE_KIND_INT_ARRAY);
    const int64_t *read = NULL;
    const size_t *read_shape = NULL;
    size_t ndim = 0;
    OK(deeptrack_value_array_int(ints, &read, &read_shape, &ndim));
    CHECK(ndim == 2 && read_shape[0] == 2 && read_shape[1] == 3);
    CHECK(read != data && memcmp(read, data, sizeof data) == 0);
    OK(deeptrack_value_array_int(ints, NULL, NULL, &ndim)); /* parts not wanted may be NULL */
    char repr[256];
    OK(deeptrack_value_repr(ints, repr, sizeof repr, NULL));
    CHECK(strcmp(repr, "array([[4, -1, 0], [7, -9223372036854775808, 9007199254740993]])") == 0);
    /* Not a float array; and a float array is not an integer one. */
    const double *floats = NULL;
    FAILS(deeptrack_value_array(ints, &floats, NULL, NULL), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "expected an array, got an integer array");
    double one_two[2] = {1, 2};
    size_t two = 2;
    deeptrack_value *real = NULL;
    OK(deeptrack_value_new_array(one_two, &two, 1, &real));
    FAILS(deeptrack_value_array_int(real, &read, NULL, NULL), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "expected an integer array, got an array");
    deeptrack_value *copy = NULL;
    OK(deeptrack_value_clone(ints, &copy));
    CHECK(deeptrack_value_kind(copy) == DEEPTRACK_VALUE_KIND_INT_ARRAY);
    /* A 0-d integer array holds one element. */
    int64_t seven = 7;
    deeptrack_value *zero_d = NULL;
    OK(deeptrack_value_new_array_int(&seven, NULL, 0, &zero_d));
    OK(deeptrack_value_array_int(zero_d, &read, NULL, &ndim));
    CHECK(ndim == 0 && read[0] == 7);

    /* As Add's value: the image plus its values; the dict records the integer array. */
    int64_t offsets[3] = {1, 2, 3};
    size_t three = 3;
    deeptrack_value *offset = NULL;
    deeptrack_feature *add = NULL;
    deeptrack_rule *rule = NULL;
    OK(deeptrack_value_new_array_int(offsets, &three, 1, &offset));
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_rule_constant(offset, &rule));
    OK(deeptrack_feature_set_property(add, "value", rule));
    OK(deeptrack_feature_store_properties(add, true));
    double half[3] = {0.5, 0.5, 0.5};
    deeptrack_image *input = NULL, *sum = NULL;
    OK(deeptrack_image_new(half, &three, 1, &input));
    OK(deeptrack_feature_resolve(add, input, &sum));
    const double *pixels = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(sum, &pixels, &n));
    CHECK(n == 3 && pixels[0] == 1.5 && pixels[1] == 2.5 && pixels[2] == 3.5);
    const deeptrack_value *recorded = entry(sum, "value");
    CHECK(deeptrack_value_kind(recorded) == DEEPTRACK_VALUE_KIND_INT_ARRAY);
    OK(deeptrack_value_array_int(recorded, &read, NULL, &ndim));
    CHECK(ndim == 1 && read[0] == 1 && read[1] == 2 && read[2] == 3);
    deeptrack_value *got = NULL;
    OK(deeptrack_image_get_property(sum, "value", true, &got));
    CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_INT_ARRAY);
    char table[512];
    OK(deeptrack_image_table_json(sum, "value", table, sizeof table, NULL));
    CHECK(strstr(table, "\"value\":[1,2,3]") != NULL);
    deeptrack_value *prop = NULL;
    OK(deeptrack_feature_get_property(add, "value", &prop));
    CHECK(deeptrack_value_kind(prop) == DEEPTRACK_VALUE_KIND_INT_ARRAY);

    /* As Pad's px: (before, after) pairs per axis, read as numbers (DeepTrack2 2.0.1's 4 x 4). */
    int64_t px[4] = {1, 1, 2, 0};
    size_t four = 4;
    deeptrack_value *pads = NULL;
    deeptrack_feature *pad = NULL;
    OK(deeptrack_value_new_array_int(px, &four, 1, &pads));
    OK(deeptrack_feature_new("Pad", &pad));
    OK(deeptrack_rule_constant(pads, &rule));
    OK(deeptrack_feature_set_property(pad, "px", rule));
    double ones[4] = {1, 1, 1, 1};
    size_t square[2] = {2, 2};
    deeptrack_image *small = NULL, *padded = NULL;
    OK(deeptrack_image_new(ones, square, 2, &small));
    OK(deeptrack_feature_resolve(pad, small, &padded));
    size_t padded_shape[2] = {0};
    OK(deeptrack_image_shape(padded, padded_shape, 2));
    CHECK(padded_shape[0] == 4 && padded_shape[1] == 4);
    OK(deeptrack_image_data(padded, &pixels, &n));
    CHECK(n == 16 && pixels[0] == 0 && pixels[6] == 1 && pixels[7] == 1 && pixels[10] == 1 && pixels[15] == 0);

    /* Bad arguments. */
    deeptrack_value *none = NULL;
    FAILS(deeptrack_value_new_array_int(data, shape, 2, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    FAILS(deeptrack_value_new_array_int(NULL, shape, 2, &none), DEEPTRACK_STATUS_NULL_ARGUMENT, "data");
    CHECK(!none);
    FAILS(deeptrack_value_new_array_int(data, NULL, 2, &none), DEEPTRACK_STATUS_NULL_ARGUMENT, "shape");
    CHECK(!none);
    size_t many[33];
    for (int i = 0; i < 33; i++) many[i] = 1;
    FAILS(deeptrack_value_new_array_int(data, many, 33, &none), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "at most 32 dimensions");
    CHECK(!none);
    OK(deeptrack_value_new_array_int(data, many, 32, &none)); /* 32 dimensions are allowed */
    deeptrack_value_free(none);
    none = NULL;
    size_t huge[2] = {(size_t)1 << 62, 4};
    CHECK(deeptrack_value_new_array_int(data, huge, 2, &none) == DEEPTRACK_STATUS_OUT_OF_MEMORY && !none);
    size_t empty = 0;
    OK(deeptrack_value_new_array_int(NULL, &empty, 1, &none));
    CHECK(deeptrack_value_kind(none) == DEEPTRACK_VALUE_KIND_INT_ARRAY);
    FAILS(deeptrack_value_array_int(NULL, &read, NULL, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "v");

    deeptrack_value_free(none);
    deeptrack_image_free(padded);
    deeptrack_image_free(small);
    deeptrack_feature_free(pad);
    deeptrack_value_free(pads);
    deeptrack_value_free(prop);
    deeptrack_value_free(got);
    deeptrack_image_free(sum);
    deeptrack_image_free(input);
    deeptrack_feature_free(add);
    deeptrack_value_free(offset);
    deeptrack_value_free(zero_d);
    deeptrack_value_free(copy);
    deeptrack_value_free(real);
    deeptrack_value_free(ints);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
