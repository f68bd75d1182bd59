/* Complex arrays as property values from C: deeptrack_value_new_array_complex copies interleaved real
 * and imaginary parts, deeptrack_value_array_complex reads them back (borrowed), a Value feature of
 * one gives a complex image and records the array, a stratified sphere takes its shells' indices from
 * one, and bad arguments are refused with a status. */
#include <math.h>
#include <string.h>

#include "check.h"

int main(void) {
    /* A 2 x 3 complex array: element k is (k + 0.5) + (1 - k) i. */
    double data[12];
    for (int k = 0; k < 6; k++) {
        data[2 * k] = k + 0.5;
        data[2 * k + 1] = 1 - k;
    }
    size_t shape[2] = {2, 3};
    deeptrack_value *z = NULL;
    OK(deeptrack_value_new_array_complex(data, shape, 2, &z));
    CHECK(deeptrack_value_kind(z) == DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY);
    const double *read = NULL;
    const size_t *read_shape = NULL;
    size_t ndim = 0;
    OK(deeptrack_value_array_complex(z, &read, &read_shape, &ndim));
    CHECK(ndim == 2 && read_shape[0] == 2 && read_shape[1] == 3);
    CHECK(read != data && memcmp(read, data, sizeof data) == 0);
    /* Not a real array; and a real array is not a complex one. */
    CHECK(deeptrack_value_array(z, &read, &read_shape, &ndim) == DEEPTRACK_STATUS_TYPE_MISMATCH);
    deeptrack_value *real = NULL;
    OK(deeptrack_value_new_array(data, shape, 2, &real));
    CHECK(deeptrack_value_array_complex(real, &read, NULL, NULL) == DEEPTRACK_STATUS_TYPE_MISMATCH);
    CHECK(strstr(last_error(), "expected a complex array, got an array") != NULL);
    char repr[256];
    OK(deeptrack_value_repr(z, repr, sizeof repr, NULL));
    CHECK(strcmp(repr, "array([[(0.5+1j), (1.5+0j), (2.5-1j)], [(3.5-2j), (4.5-3j), (5.5-4j)]])") == 0);

    /* A Value feature of it: a complex image (2, 3, 2), and its dict records the complex array. */
    deeptrack_feature *value = NULL;
    deeptrack_rule *rule = NULL;
    OK(deeptrack_feature_new("Value", &value));
    OK(deeptrack_rule_constant(z, &rule));
    OK(deeptrack_feature_set_property(value, "value", rule));
    OK(deeptrack_feature_store_properties(value, true));
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(value, NULL, &out));
    bool complex = false;
    size_t out_shape[3] = {0};
    OK(deeptrack_image_is_complex(out, &complex));
    OK(deeptrack_image_shape(out, out_shape, 3));
    CHECK(complex && out_shape[0] == 2 && out_shape[1] == 3 && out_shape[2] == 2);
    const double *pixels = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(out, &pixels, &n));
    CHECK(n == 12 && memcmp(pixels, data, sizeof data) == 0);
    deeptrack_value *recorded = NULL;
    OK(deeptrack_image_get_property(out, "value", true, &recorded));
    CHECK(deeptrack_value_kind(recorded) == DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY);
    OK(deeptrack_value_array_complex(recorded, &read, NULL, NULL));
    CHECK(read[11] == -4.0);

    /* The indices of a stratified sphere's shells as a complex array. */
    double indices[4] = {1.6, 0.05, 1.45, 0.0};
    size_t two = 2;
    deeptrack_value *shells = NULL;
    deeptrack_feature *sphere = NULL;
    OK(deeptrack_value_new_array_complex(indices, &two, 1, &shells));
    OK(deeptrack_feature_new("MieStratifiedSphere", &sphere));
    OK(deeptrack_rule_constant(shells, &rule));
    OK(deeptrack_feature_set_property(sphere, "refractive_index", rule));
    deeptrack_value *got = NULL;
    OK(deeptrack_feature_get_property(sphere, "refractive_index", &got));
    CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY);
    /* A negative real part is refused, naming the property. */
    indices[0] = -1.6;
    deeptrack_value *bad_shells = NULL;
    OK(deeptrack_value_new_array_complex(indices, &two, 1, &bad_shells));
    OK(deeptrack_rule_constant(bad_shells, &rule));
    CHECK(deeptrack_feature_set_property(sphere, "refractive_index", rule) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "refractive_index") != NULL && strstr(last_error(), "positive real part") != NULL);

    /* Bad arguments. */
    deeptrack_value *none = NULL;
    CHECK(deeptrack_value_new_array_complex(data, shape, 2, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_value_new_array_complex(NULL, shape, 2, &none) == DEEPTRACK_STATUS_NULL_ARGUMENT && !none);
    CHECK(deeptrack_value_new_array_complex(data, NULL, 2, &none) == DEEPTRACK_STATUS_NULL_ARGUMENT && !none);
    CHECK(deeptrack_value_new_array_complex(data, shape, 33, &none) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    size_t huge[2] = {(size_t)1 << 62, 4};
    CHECK(deeptrack_value_new_array_complex(data, huge, 2, &none) == DEEPTRACK_STATUS_OUT_OF_MEMORY && !none);
    size_t empty = 0;
    OK(deeptrack_value_new_array_complex(NULL, &empty, 1, &none));
    CHECK(deeptrack_value_kind(none) == DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY);
    CHECK(deeptrack_value_array_complex(NULL, &read, NULL, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);

    deeptrack_value_free(none);
    deeptrack_value_free(got);
    deeptrack_value_free(bad_shells);
    deeptrack_value_free(shells);
    deeptrack_feature_free(sphere);
    deeptrack_value_free(recorded);
    deeptrack_image_free(out);
    deeptrack_feature_free(value);
    deeptrack_value_free(real);
    deeptrack_value_free(z);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
