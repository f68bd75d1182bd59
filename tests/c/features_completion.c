/* The last pieces of DeepTrack2's features module from C: AsType's type tag
 * (deeptrack_image_dtype, deeptrack_dtype_name) with its values, kept by reshapes and dropped by
 * arithmetic; Power as numpy computes it (its shortcuts); and lengths given in pixels
 * (deeptrack_rule_pixels, deeptrack_context_pixel_size, DEEPTRACK_PARAM_FLAG_METERS). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* `f` resolved on the 1-d image `x` of `n` samples: the output (caller frees it). */
static deeptrack_image *resolve_on(deeptrack_feature *f, const double *x, size_t n) {
    size_t shape[1] = {n};
    deeptrack_image *input = NULL, *out = NULL;
    OK(deeptrack_image_new(x, shape, 1, &input));
    OK(deeptrack_feature_resolve(f, input, &out));
    deeptrack_image_free(input);
    return out;
}

static deeptrack_feature *as_type(const char *dtype) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new("AsType", &f));
    OK(deeptrack_feature_set_property(f, "dtype", constant_string(dtype)));
    return f;
}

static void test_as_type_tags(void) {
    const double x[5] = {1.7, -1.7, 300.5, -200.0, 0.0};
    struct {
        const char *name;
        uint32_t dtype;
        double want[5];
    } cases[] = {
        {"uint8", DEEPTRACK_DTYPE_UINT8, {1, 255, 44, 56, 0}},
        {"int8", DEEPTRACK_DTYPE_INT8, {1, -1, 44, 56, 0}},
        {"int32", DEEPTRACK_DTYPE_INT32, {1, -1, 300, -200, 0}},
        {"bool", DEEPTRACK_DTYPE_BOOL, {1, 1, 1, 1, 0}},
        {"float32", DEEPTRACK_DTYPE_FLOAT32, {(float)1.7, (float)-1.7, 300.5, -200, 0}},
        {"double", DEEPTRACK_DTYPE_FLOAT64, {1.7, -1.7, 300.5, -200, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        deeptrack_feature *f = as_type(cases[c].name);
        deeptrack_image *out = resolve_on(f, x, 5);
        uint32_t dtype = 99;
        OK(deeptrack_image_dtype(out, &dtype));
        CHECK(dtype == cases[c].dtype);
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out, &data, &len));
        CHECK(len == 5 && memcmp(data, cases[c].want, sizeof cases[c].want) == 0);
        deeptrack_image_free(out);
        deeptrack_feature_free(f);
    }
    CHECK(strcmp(deeptrack_dtype_name(DEEPTRACK_DTYPE_UINT16), "uint16") == 0);
    CHECK(strcmp(deeptrack_dtype_name(DEEPTRACK_DTYPE_BOOL), "bool") == 0);
    CHECK(deeptrack_dtype_name(12) == NULL);

    /* A reshape keeps the type (numpy's views do); arithmetic computes in float64. */
    deeptrack_feature *cast = as_type("uint16"), *unsq = NULL, *add = NULL, *chain = NULL, *chain2 = NULL;
    OK(deeptrack_feature_new("Unsqueeze", &unsq));
    OK(deeptrack_feature_chain(cast, unsq, &chain));
    deeptrack_image *out = resolve_on(chain, x, 5);
    uint32_t dtype = 99;
    OK(deeptrack_image_dtype(out, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_UINT16);
    deeptrack_image_free(out);
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_feature_set_property(add, "value", constant_float(1)));
    OK(deeptrack_feature_chain(chain, add, &chain2));
    out = resolve_on(chain2, x, 5);
    OK(deeptrack_image_dtype(out, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_FLOAT64);
    deeptrack_image_free(out);
    deeptrack_feature_free(chain2);
    deeptrack_feature_free(add);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(unsq);
    deeptrack_feature_free(cast);

    /* NULL arguments. */
    CHECK(deeptrack_image_dtype(NULL, &dtype) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    deeptrack_image *plain = NULL;
    size_t shape[1] = {1};
    OK(deeptrack_image_new(x, shape, 1, &plain));
    CHECK(deeptrack_image_dtype(plain, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    OK(deeptrack_image_dtype(plain, &dtype));
    CHECK(dtype == DEEPTRACK_DTYPE_FLOAT64);
    deeptrack_image_free(plain);
}

static void test_power_shortcuts(void) {
    const double x[3] = {18.752863998140008, 0.1, 7.25};
    double exps[3] = {2.0, 0.5, -1.0};
    for (int e = 0; e < 3; e++) {
        deeptrack_feature *f = NULL;
        OK(deeptrack_feature_new("Power", &f));
        OK(deeptrack_feature_set_property(f, "value", constant_float(exps[e])));
        deeptrack_image *out = resolve_on(f, x, 3);
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out, &data, &len));
        for (int i = 0; i < 3; i++) {
            double want = e == 0 ? x[i] * x[i] : e == 1 ? sqrt(x[i]) : 1.0 / x[i];
            CHECK(len == 3 && data[i] == want);
        }
        deeptrack_image_free(out);
        deeptrack_feature_free(f);
    }
}

/* A callback giving the pixel size it sees, in meters. */
static deeptrack_status pixel_size_of(void *user, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)user;
    double size = 0;
    deeptrack_status s = deeptrack_context_pixel_size(ctx, &size);
    return s ? s : deeptrack_value_new_float(size, out);
}

/* The float `key` of the sphere's dict in `img`. */
static double image_float(deeptrack_image *img, const char *key) {
    deeptrack_value *v = NULL;
    double x = -1;
    OK(deeptrack_image_get_property(img, key, true, &v));
    OK(deeptrack_value_as_float(v, &x));
    deeptrack_value_free(v);
    return x;
}

static void test_lengths_in_pixels(void) {
    deeptrack_value *two = NULL, *text = NULL, *mag = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_value_new_int(2, &two));
    OK(deeptrack_value_new_string("two", &text));
    CHECK(deeptrack_rule_pixels(text, &r) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "a length in pixels takes numbers") != NULL);
    CHECK(deeptrack_rule_pixels(NULL, &r) == DEEPTRACK_STATUS_NULL_ARGUMENT);

    deeptrack_feature *sphere = NULL, *optics = NULL, *scope = NULL;
    OK(deeptrack_feature_new("Sphere", &sphere));
    OK(deeptrack_rule_pixels(two, &r));
    OK(deeptrack_feature_set_property(sphere, "radius", r));
    OK(deeptrack_rule_callback(pixel_size_of, NULL, NULL, &r));
    OK(deeptrack_feature_set_property(sphere, "seen_pixel", r));

    /* Outside a microscope: DeepTrack2's default pixel, 1 um. */
    deeptrack_value *v = NULL;
    double x = 0;
    OK(deeptrack_feature_get_property(sphere, "radius", &v));
    OK(deeptrack_value_as_float(v, &x));
    CHECK(x == 2 * 1e-6);
    deeptrack_value_free(v);

    /* Imaged at magnification 5 (resolution 1 um): a pixel of 2e-7 m. */
    OK(deeptrack_feature_new("Fluorescence", &optics));
    OK(deeptrack_value_new_float(5, &mag));
    OK(deeptrack_rule_constant(mag, &r));
    OK(deeptrack_feature_set_property(optics, "magnification", r));
    OK(deeptrack_feature_microscope(optics, sphere, &scope));
    OK(deeptrack_feature_store_properties(scope, true));
    OK(deeptrack_feature_update(scope));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(scope, NULL, &img));
    CHECK(image_float(img, "radius") == 2 * (1e-6 / 5));
    CHECK(image_float(img, "seen_pixel") == 1e-6 / 5);
    uint32_t flags = 0;
    size_t sphere_kind = 0, radius = 0, count = 0;
    OK(deeptrack_kind_find("Sphere", &sphere_kind));
    OK(deeptrack_kind_param_count(sphere_kind, &count));
    for (size_t i = 0; i < count; i++) {
        const char *name = NULL;
        OK(deeptrack_kind_param_name(sphere_kind, i, &name));
        if (strcmp(name, "radius") == 0) radius = i;
    }
    OK(deeptrack_kind_param_flags(sphere_kind, radius, &flags));
    CHECK(flags & DEEPTRACK_PARAM_FLAG_METERS);
    OK(deeptrack_kind_param_flags(sphere_kind, 0, &flags)); /* position: pixels, not meters */
    CHECK(!(flags & DEEPTRACK_PARAM_FLAG_METERS));

    deeptrack_image_free(img);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(optics);
    deeptrack_feature_free(sphere);
    deeptrack_value_free(mag);
    deeptrack_value_free(text);
    deeptrack_value_free(two);
}

int main(void) {
    test_as_type_tags();
    test_power_shortcuts();
    test_lengths_in_pixels();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
