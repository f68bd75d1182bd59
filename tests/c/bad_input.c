/* Bad input through the C API: every case must return a non-OK status (never PANIC) whose message names
 * the argument or property at fault, and must leave the library working: a reference pipeline gives
 * the same image before and after. Compiled and run by tests/c_api.rs, also under valgrind and under
 * AddressSanitizer + UndefinedBehaviorSanitizer; prints the number of cases. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* One bad-input case: `call` fails with `status` (or, with status 0, any status but OK and PANIC) and
 * the message contains `text`. */
#define CASE(call, status, text)                                                                        \
    do {                                                                                                \
        deeptrack_clear_error();                                                                        \
        deeptrack_status s_ = (call);                                                                   \
        checks++;                                                                                       \
        int wrong_ = (status) == 0 ? (s_ == DEEPTRACK_STATUS_OK || s_ == DEEPTRACK_STATUS_PANIC)        \
                                   : s_ != (deeptrack_status)(status);                                  \
        if (wrong_ || strstr(last_error(), (text)) == NULL) {                                           \
            fprintf(stderr, "%s:%d: %s -> %s \"%s\", expected %s containing \"%s\"\n", __FILE__, __LINE__, \
                    #call, deeptrack_status_str(s_), last_error(),                                      \
                    (status) == 0 ? "a failure" : deeptrack_status_str(status), (text));                \
            failures++;                                                                                 \
        }                                                                                               \
    } while (0)

/* A call without a status (a free) that must record an error containing `text`. */
#define VOID_CASE(call, text)                                                                   \
    do {                                                                                        \
        deeptrack_clear_error();                                                                \
        call;                                                                                   \
        checks++;                                                                                \
        if (strstr(last_error(), (text)) == NULL || last_error()[0] == 0) {                     \
            fprintf(stderr, "%s:%d: %s -> \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #call, \
                    last_error(), (text));                                                      \
            failures++;                                                                         \
        }                                                                                       \
    } while (0)

#define REQUIRE(call)                                                                                  \
    do {                                                                                               \
        deeptrack_status s_ = (call);                                                                  \
        if (s_ != DEEPTRACK_STATUS_OK) {                                                               \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call, deeptrack_status_str(s_), \
                    last_error());                                                                     \
            exit(2);                                                                                   \
        }                                                                                              \
    } while (0)

#define NUL_ DEEPTRACK_STATUS_NULL_ARGUMENT
#define INV_ DEEPTRACK_STATUS_INVALID_ARGUMENT
#define UTF_ DEEPTRACK_STATUS_INVALID_UTF8
#define TYP_ DEEPTRACK_STATUS_TYPE_MISMATCH
#define NFD_ DEEPTRACK_STATUS_NOT_FOUND
#define BTS_ DEEPTRACK_STATUS_BUFFER_TOO_SMALL
#define OOM_ DEEPTRACK_STATUS_OUT_OF_MEMORY
#define HND_ DEEPTRACK_STATUS_INVALID_HANDLE
#define CBF_ DEEPTRACK_STATUS_CALLBACK_FAILED
#define ANY_ 0

static const char BAD_UTF8[] = "bad\xff\xfe";

static deeptrack_value *num(double x) {
    deeptrack_value *v = NULL;
    REQUIRE(deeptrack_value_new_float(x, &v));
    return v;
}

static deeptrack_value *str(const char *s) {
    deeptrack_value *v = NULL;
    REQUIRE(deeptrack_value_new_string(s, &v));
    return v;
}

static deeptrack_value *vec(size_t n, const double *xs) {
    deeptrack_value *v = NULL;
    REQUIRE(deeptrack_value_new_array(xs, &n, 1, &v));
    return v;
}

/* A constant rule holding `v` (consumed). */
static deeptrack_rule *constant(deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    REQUIRE(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

static deeptrack_feature *feature(const char *kind) {
    deeptrack_feature *f = NULL;
    REQUIRE(deeptrack_feature_new(kind, &f));
    return f;
}

static deeptrack_image *image(size_t rows, size_t cols) {
    size_t shape[2] = {rows, cols};
    double *data = malloc(rows * cols * sizeof(double));
    for (size_t i = 0; i < rows * cols; i++) data[i] = (double)(i % 7) / 7.0;
    deeptrack_image *img = NULL;
    REQUIRE(deeptrack_image_new(data, shape, 2, &img));
    free(data);
    return img;
}

/* ------------------------------------------------------------------ the reference pipeline */

/* A seeded fluorescence image of a point particle, normalised: its pixels before and after the bad
 * input must be identical. */
static deeptrack_feature *reference_pipeline(void) {
    deeptrack_feature *particle = feature("PointParticle");
    double pos[2] = {8.3, 7.6};
    REQUIRE(deeptrack_feature_set_property(particle, "position", constant(vec(2, pos))));
    deeptrack_rule *r = NULL;
    REQUIRE(deeptrack_rule_uniform(50, 150, &r));
    REQUIRE(deeptrack_feature_set_property(particle, "intensity", r));
    deeptrack_feature *optics = feature("Fluorescence");
    double region[4] = {0, 0, 16, 16};
    REQUIRE(deeptrack_feature_set_property(optics, "output_region", constant(vec(4, region))));
    deeptrack_feature *micro = NULL, *noise = feature("Gaussian"), *pipe = NULL;
    REQUIRE(deeptrack_feature_microscope(optics, particle, &micro));
    REQUIRE(deeptrack_feature_set_property(noise, "sigma", constant(num(0.01))));
    REQUIRE(deeptrack_feature_chain(micro, noise, &pipe));
    deeptrack_feature_free(particle);
    deeptrack_feature_free(optics);
    deeptrack_feature_free(micro);
    deeptrack_feature_free(noise);
    REQUIRE(deeptrack_feature_store_properties(pipe, true));
    return pipe;
}

static double *render(deeptrack_feature *pipe, size_t *len) {
    REQUIRE(deeptrack_feature_seed(pipe, 1234));
    deeptrack_image *out = NULL;
    REQUIRE(deeptrack_feature_resolve(pipe, NULL, &out));
    const double *data = NULL;
    REQUIRE(deeptrack_image_data(out, &data, len));
    double *copy = malloc(*len * sizeof(double));
    memcpy(copy, data, *len * sizeof(double));
    deeptrack_image_free(out);
    return copy;
}

/* ------------------------------------------------------------------ NULL for every pointer */

static deeptrack_status get_ok(void *u, const deeptrack_image *in, const deeptrack_property_dict *p,
                               deeptrack_image **out) {
    (void)u, (void)in, (void)p, (void)out;
    return DEEPTRACK_STATUS_OK;
}

static deeptrack_status sample_ok(void *u, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)u, (void)ctx;
    return deeptrack_value_new_float(1.0, out);
}

static void null_pointers(void) {
    deeptrack_feature *f = feature("Add"), *g = feature("DummyFeature"), *out_f = NULL;
    deeptrack_image *img = image(4, 4), *out_i = NULL;
    deeptrack_value *v = num(1.0), *list = NULL, *out_v = NULL;
    REQUIRE(deeptrack_value_new_list(&list));
    deeptrack_rule *out_r = NULL;
    const deeptrack_value *borrowed = NULL;
    const deeptrack_property_dict *d = NULL;
    double x = 0, buf[16];
    size_t n = 0, shape[2] = {2, 2};
    int64_t i64 = 0;
    bool b = false;
    const char *s = NULL;
    const double *data = NULL;
    const size_t *shape_out = NULL;
    deeptrack_image *many[4];
    REQUIRE(deeptrack_feature_store_properties(f, true));
    deeptrack_image *stored = NULL;
    REQUIRE(deeptrack_feature_resolve(f, img, &stored));
    REQUIRE(deeptrack_image_property_dict(stored, 0, &d));

    CASE(deeptrack_feature_new(NULL, &out_f), NUL_, "argument 'kind' is NULL");
    CASE(deeptrack_feature_new("Add", NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_new_custom(NULL, get_ok, NULL, NULL, &out_f), NUL_, "argument 'name' is NULL");
    CASE(deeptrack_feature_new_custom("C", NULL, NULL, NULL, &out_f), NUL_, "argument 'get' is NULL");
    CASE(deeptrack_feature_new_custom("C", get_ok, NULL, NULL, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_set_property(NULL, "value", constant(num(1))), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_set_property(f, NULL, constant(num(1))), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_feature_set_property(f, "value", NULL), NUL_, "argument 'rule' is NULL");
    CASE(deeptrack_feature_get_property(NULL, "value", &out_v), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_get_property(f, NULL, &out_v), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_feature_get_property(f, "value", NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_has_property(NULL, "value", &b), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_has_property(f, NULL, &b), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_feature_has_property(f, "value", NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_property_names(NULL, &out_v), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_property_names(f, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_set_value(NULL, "value", v, NULL), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_set_value(f, NULL, v, NULL), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_feature_set_value(f, "value", NULL, NULL), NUL_, "argument 'value' is NULL");
    CASE(deeptrack_feature_set_value_everywhere(NULL, "value", v, NULL), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_set_value_everywhere(f, NULL, v, NULL), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_feature_set_value_everywhere(f, "value", NULL, NULL), NUL_, "argument 'value' is NULL");
    CASE(deeptrack_feature_is_valid(NULL, &b), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_is_valid(f, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_new_custom_appending(NULL, get_ok, NULL, NULL, false, &out_f), NUL_, "argument 'name' is NULL");
    CASE(deeptrack_feature_new_custom_appending("c", NULL, NULL, NULL, false, &out_f), NUL_, "argument 'get' is NULL");
    CASE(deeptrack_feature_new_custom_appending("c", get_ok, NULL, NULL, false, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_chain(NULL, g, &out_f), NUL_, "argument 'first' is NULL");
    CASE(deeptrack_feature_chain(f, NULL, &out_f), NUL_, "argument 'second' is NULL");
    CASE(deeptrack_feature_chain(f, g, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_repeat(NULL, 2, &out_f), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_repeat(f, 2, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_microscope(NULL, g, &out_f), NUL_, "argument 'optics' is NULL");
    CASE(deeptrack_feature_microscope(f, NULL, &out_f), NUL_, "argument 'sample' is NULL");
    CASE(deeptrack_feature_microscope(f, g, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_store_properties(NULL, true), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_bind_arguments(NULL, g), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_bind_arguments(f, NULL), NUL_, "argument 'arguments' is NULL");
    CASE(deeptrack_feature_seed(NULL, 1), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_update(NULL), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_resolve(NULL, img, &out_i), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_resolve(f, img, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_resolve_many(NULL, img, many, 4, &n), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_resolve_many(f, img, NULL, 4, &n), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_feature_resolve_many(f, img, many, 4, NULL), NUL_, "argument 'count' is NULL");
    CASE(deeptrack_feature_resolve_batch(NULL, img, 1, 0, 4, 1, many), NUL_, "argument 'f' is NULL");
    CASE(deeptrack_feature_resolve_batch(f, img, 1, 0, 4, 1, NULL), NUL_, "argument 'out' is NULL");
    /* Item indices past 2^64 - 1 are refused, not wrapped (issue 12). */
    CASE(deeptrack_feature_resolve_batch(f, NULL, 7, UINT64_MAX, 2, 1, many), INV_,
         "the items first .. first + count (first = 18446744073709551615, count = 2) go past the last item index "
         "18446744073709551615: first + count - 1 overflows");
    CASE(deeptrack_feature_resolve_batch(f, NULL, 7, UINT64_MAX - 2, 4, 1, many), INV_, "first + count - 1 overflows");
    CASE(deeptrack_feature_new_custom_threadsafe(NULL, get_ok, NULL, NULL, &out_f), NUL_, "argument 'name' is NULL");
    CASE(deeptrack_feature_new_custom_threadsafe("C", NULL, NULL, NULL, &out_f), NUL_, "argument 'get' is NULL");
    CASE(deeptrack_feature_new_custom_threadsafe("C", get_ok, NULL, NULL, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_callback_threadsafe(NULL, NULL, NULL, &out_r), NUL_, "argument 'fn' is NULL");
    CASE(deeptrack_rule_callback_threadsafe(sample_ok, NULL, NULL, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_image_new(NULL, shape, 2, &out_i), NUL_, "argument 'data' is NULL");
    CASE(deeptrack_image_new(buf, NULL, 2, &out_i), NUL_, "argument 'shape' is NULL");
    CASE(deeptrack_image_new(buf, shape, 2, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_image_clone(NULL, &out_i), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_clone(img, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_image_shape(NULL, shape, 2), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_shape(img, NULL, 2), NUL_, "argument 'shape' is NULL");
    CASE(deeptrack_image_data(NULL, &data, &n), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_copy_to(NULL, buf, 16), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_copy_to(img, NULL, 16), NUL_, "argument 'buf' is NULL");
    CASE(deeptrack_image_property_dict(NULL, 0, &d), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_property_dict(stored, 0, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_property_dict_key(NULL, 0, &s), NUL_, "argument 'd' is NULL");
    CASE(deeptrack_property_dict_key(d, 0, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_property_dict_get(NULL, "name", &borrowed), NUL_, "argument 'd' is NULL");
    CASE(deeptrack_property_dict_get(d, NULL, &borrowed), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_property_dict_get(d, "name", NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_property_dict_repr(NULL, (char *)buf, sizeof buf, &n), NUL_, "argument 'd' is NULL");
    CASE(deeptrack_image_get_property(NULL, "name", true, &out_v), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_get_property(stored, NULL, true, &out_v), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_image_get_property(stored, "name", true, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_image_merge_properties_from(NULL, stored), NUL_, "argument 'dst' is NULL");
    CASE(deeptrack_image_merge_properties_from(img, NULL), NUL_, "argument 'src' is NULL");
    CASE(deeptrack_image_append_properties(NULL, d), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_append_properties(img, NULL), NUL_, "argument 'd' is NULL");
    const char *keys[1] = {"k"};
    const deeptrack_value *values[1] = {v};
    CASE(deeptrack_image_push_properties(NULL, keys, values, 1, NULL), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_push_properties(img, NULL, values, 1, NULL), NUL_, "argument 'keys' is NULL");
    CASE(deeptrack_image_push_properties(img, keys, NULL, 1, NULL), NUL_, "argument 'values' is NULL");
    CASE(deeptrack_image_save_png(NULL, "/tmp/x.png", NULL), NUL_, "argument 'img' is NULL");
    CASE(deeptrack_image_save_png(img, NULL, NULL), NUL_, "argument 'path' is NULL");
    CASE(deeptrack_rule_constant(NULL, &out_r), NUL_, "argument 'v' is NULL");
    CASE(deeptrack_rule_constant(v, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_uniform(0, 1, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_uniform_array(NULL, buf, 2, &out_r), NUL_, "argument 'low' is NULL");
    CASE(deeptrack_rule_uniform_array(buf, NULL, 2, &out_r), NUL_, "argument 'high' is NULL");
    CASE(deeptrack_rule_uniform_array(buf, buf, 2, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_normal(0, 1, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_randint(0, 3, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_choice(NULL, &out_r), NUL_, "argument 'list' is NULL");
    CASE(deeptrack_rule_choice(list, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_callback(NULL, NULL, NULL, &out_r), NUL_, "argument 'fn' is NULL");
    CASE(deeptrack_rule_callback(sample_ok, NULL, NULL, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_property_of(NULL, "value", &out_r), NUL_, "argument 'source' is NULL");
    CASE(deeptrack_rule_property_of(f, NULL, &out_r), NUL_, "argument 'key' is NULL");
    CASE(deeptrack_rule_property_of(f, "value", NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_feature(NULL, &out_r), NUL_, "argument 'source' is NULL");
    CASE(deeptrack_rule_feature(f, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_rule_list(NULL, 2, false, &out_r), NUL_, "argument 'items' is NULL");
    CASE(deeptrack_rule_list(NULL, 0, false, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_context_get(NULL, "value", &borrowed), NUL_, "argument 'ctx' is NULL");
    CASE(deeptrack_context_uniform(NULL, &x), NUL_, "argument 'ctx' is NULL");
    CASE(deeptrack_context_normal(NULL, &x), NUL_, "argument 'ctx' is NULL");
    CASE(deeptrack_context_replicate_index(NULL, shape, 2, &n), NUL_, "argument 'ctx' is NULL");
    CASE(deeptrack_value_new_float(1, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_new_int(1, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_new_bool(true, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_new_none(NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_new_string(NULL, &out_v), NUL_, "argument 's' is NULL");
    CASE(deeptrack_value_new_string("x", NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_new_array(NULL, shape, 2, &out_v), NUL_, "argument 'data' is NULL");
    CASE(deeptrack_value_new_array(buf, NULL, 2, &out_v), NUL_, "argument 'shape' is NULL");
    CASE(deeptrack_value_new_array(buf, shape, 2, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_new_list(NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_list_push(NULL, v), NUL_, "argument 'list' is NULL");
    CASE(deeptrack_value_list_push(list, NULL), NUL_, "argument 'item' is NULL");
    CASE(deeptrack_value_as_float(NULL, &x), NUL_, "argument 'v' is NULL");
    CASE(deeptrack_value_as_float(v, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_as_int(NULL, &i64), NUL_, "argument 'v' is NULL");
    CASE(deeptrack_value_as_int(v, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_as_bool(NULL, &b), NUL_, "argument 'v' is NULL");
    CASE(deeptrack_value_as_bool(v, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_as_string(NULL, &s), NUL_, "argument 'v' is NULL");
    CASE(deeptrack_value_as_string(v, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_array(NULL, &data, &shape_out, &n), NUL_, "argument 'v' is NULL");
    CASE(deeptrack_value_clone(NULL, &out_v), NUL_, "argument 'v' is NULL");
    CASE(deeptrack_value_clone(v, NULL), NUL_, "argument 'out' is NULL");
    CASE(deeptrack_value_repr(NULL, (char *)buf, sizeof buf, &n), NUL_, "argument 'v' is NULL");

    /* The getters without a status and the frees are NULL-safe. */
    if (deeptrack_image_ndim(NULL) != 0 || deeptrack_image_property_count(NULL) != 0 ||
        deeptrack_property_dict_len(NULL) != 0 || deeptrack_value_list_len(NULL) != 0 ||
        deeptrack_value_list_get(NULL, 0) != NULL || deeptrack_value_kind(NULL) != DEEPTRACK_VALUE_KIND_NONE) {
        fprintf(stderr, "a NULL-safe getter returned something\n");
        failures++;
    }
    deeptrack_feature_free(NULL);
    deeptrack_image_free(NULL);
    deeptrack_rule_free(NULL);
    deeptrack_value_free(NULL);

    deeptrack_image_free(stored);
    deeptrack_value_free(v);
    deeptrack_value_free(list);
    deeptrack_image_free(img);
    deeptrack_feature_free(f);
    deeptrack_feature_free(g);
}

/* ------------------------------------------------------------------ wrong kinds for every property */

enum { PLAIN, SCATTERER, OPTICS };

/* Sets `prop` of a new `kind` to `v` (consumed) and runs the feature where it belongs; returns the first
 * failing status (OK if everything succeeded). */
static deeptrack_status run_with(const char *kind, int role, const char *prop, deeptrack_value *v) {
    deeptrack_feature *f = feature(kind);
    deeptrack_status s = deeptrack_feature_set_property(f, prop, constant(v));
    if (s == DEEPTRACK_STATUS_OK) {
        deeptrack_feature *pipe = NULL, *other = NULL;
        deeptrack_image *in = NULL, *out = NULL;
        double region[4] = {0, 0, 16, 16};
        if (role == SCATTERER) {
            other = feature("Fluorescence");
            REQUIRE(deeptrack_feature_set_property(other, "output_region", constant(vec(4, region))));
            REQUIRE(deeptrack_feature_microscope(other, f, &pipe));
        } else if (role == OPTICS) {
            other = feature("PointParticle");
            REQUIRE(deeptrack_feature_microscope(f, other, &pipe));
        } else {
            pipe = f;
            if (role == PLAIN) in = image(8, 8);
        }
        deeptrack_image *many[8];
        size_t count = 0;
        s = deeptrack_feature_resolve_many(pipe, in, many, 8, &count);
        if (s == DEEPTRACK_STATUS_OK)
            for (size_t i = 0; i < count; i++) deeptrack_image_free(many[i]);
        (void)out;
        if (pipe != f) deeptrack_feature_free(pipe);
        deeptrack_feature_free(other);
        deeptrack_image_free(in);
    }
    deeptrack_feature_free(f);
    return s;
}

/* Every property of every built-in kind (from the library's registry), given a value of the wrong
 * kind, fails with a message naming it. Scatterers are run in a microscope, optics on a particle. */
static void wrong_kinds(void) {
    char quoted[64];
    for (size_t k = 0; k < deeptrack_kind_count(); k++) {
        const char *kind = NULL, *module = NULL;
        size_t params = 0;
        REQUIRE(deeptrack_kind_name(k, &kind));
        REQUIRE(deeptrack_kind_module(k, &module));
        REQUIRE(deeptrack_kind_param_count(k, &params));
        int role = strcmp(module, "scatterers") == 0 ? SCATTERER : strcmp(module, "optics") == 0 ? OPTICS : PLAIN;
        deeptrack_feature *f = NULL;
        if (deeptrack_feature_new(kind, &f) != DEEPTRACK_STATUS_OK) continue; /* built from features */
        for (size_t i = 0; i < params; i++) {
            const char *p = NULL;
            uint32_t type = 0, flags = 0;
            REQUIRE(deeptrack_kind_param_name(k, i, &p));
            REQUIRE(deeptrack_kind_param_type(k, i, &type));
            REQUIRE(deeptrack_kind_param_flags(k, i, &flags));
            if (flags & (DEEPTRACK_PARAM_FLAG_ONLY_DEFAULT | DEEPTRACK_PARAM_FLAG_OPTIONAL)) continue;
            bool has = false;
            REQUIRE(deeptrack_feature_has_property(f, p, &has));
            if (!has && !(flags & DEEPTRACK_PARAM_FLAG_REQUIRED)) { /* required ones: none until set */
                fprintf(stderr, "%s has no property '%s' (its registry entry says it has)\n", kind, p);
                failures++;
            }
            snprintf(quoted, sizeof quoted, "property '%s'", p);
            /* A string where a number is expected (a number where a string is). A parameter of any
             * type may take strings (ConditionalSetFeature's condition names a property): a list
             * of strings (below) is wrong for it. */
            if (type != DEEPTRACK_PARAM_ANY)
                CASE(run_with(kind, role, p, type == DEEPTRACK_PARAM_STRING ? num(3) : str("wide")), ANY_, quoted);
            /* A list of strings. */
            deeptrack_value *list = NULL, *item = str("x");
            REQUIRE(deeptrack_value_new_list(&list));
            REQUIRE(deeptrack_value_list_push(list, item));
            deeptrack_value_free(item);
            CASE(run_with(kind, role, p, list), ANY_, quoted);
        }
        deeptrack_feature_free(f);
    }
}

/* ------------------------------------------------------------------ out-of-domain numbers */

struct domain_case {
    const char *kind;
    int role;
    const char *prop;
    double value;
};

static void out_of_domain(void) {
    /* per-kind expectations: numbers outside each property's domain, each refused. */
    const struct domain_case cases_[] = {
        {"GaussianBlur", PLAIN, "sigma", NAN},
        {"GaussianBlur", PLAIN, "sigma", -1},
        {"GaussianBlur", PLAIN, "sigma", INFINITY},
        {"Gaussian", PLAIN, "sigma", NAN},
        {"Gaussian", PLAIN, "sigma", -0.5},
        {"Gaussian", PLAIN, "mu", INFINITY},
        {"Poisson", PLAIN, "snr", 0},
        {"Poisson", PLAIN, "snr", -3},
        {"Poisson", PLAIN, "snr", NAN},
        {"AverageBlur", PLAIN, "ksize", 0},
        {"AverageBlur", PLAIN, "ksize", -2},
        {"AveragePooling", PLAIN, "ksize", 0},
        {"MaxPooling", PLAIN, "ksize", -1},
        {"SumPooling", PLAIN, "ksize", NAN},
        {"FlipLR", PLAIN, "p", NAN},
        {"Clip", PLAIN, "min", NAN},
        {"Sphere", SCATTERER, "radius", -1e-6},
        {"Sphere", SCATTERER, "radius", NAN},
        {"Sphere", SCATTERER, "radius", INFINITY},
        {"Sphere", SCATTERER, "radius", 1e6},
        {"Ellipse", SCATTERER, "radius", -1e-6},
        {"Ellipsoid", SCATTERER, "radius", 0},
        {"PointParticle", SCATTERER, "z", NAN},
        {"PointParticle", SCATTERER, "z", 1e12},
        {"FlipUD", PLAIN, "p", 1.5},
        {"FlipDiagonal", PLAIN, "p", -0.1},
        {"Fluorescence", OPTICS, "NA", 0},
        {"Fluorescence", OPTICS, "NA", -0.7},
        {"Fluorescence", OPTICS, "NA", NAN},
        {"Fluorescence", OPTICS, "wavelength", 0},
        {"Fluorescence", OPTICS, "wavelength", -6e-7},
        {"Fluorescence", OPTICS, "wavelength", INFINITY},
        {"Fluorescence", OPTICS, "magnification", 0},
        {"Fluorescence", OPTICS, "magnification", -10},
        {"Fluorescence", OPTICS, "resolution", 0},
        {"Fluorescence", OPTICS, "resolution", NAN},
        {"Fluorescence", OPTICS, "refractive_index_medium", 0},
        {"Fluorescence", OPTICS, "upscale", 0},
        {"Fluorescence", OPTICS, "upscale", -2},
        {"Brightfield", OPTICS, "NA", INFINITY},
        {"Brightfield", OPTICS, "wavelength", NAN},
        {"Brightfield", OPTICS, "refractive_index_medium", -1.33},
    };
    char quoted[64];
    for (size_t i = 0; i < sizeof cases_ / sizeof *cases_; i++) {
        snprintf(quoted, sizeof quoted, "property '%s'", cases_[i].prop);
        snprintf(quoted, sizeof quoted, "'%s'", cases_[i].prop);
        CASE(run_with(cases_[i].kind, cases_[i].role, cases_[i].prop, num(cases_[i].value)), ANY_, quoted);
    }
    /* Regions and paddings: negative, inverted, empty, huge. */
    const double regions[][4] = {{0, 0, -16, 16}, {16, 16, 0, 0}, {0, 0, 0, 0}, {0, 0, 1e9, 1e9}, {0, 0, NAN, 16}};
    for (size_t i = 0; i < sizeof regions / sizeof *regions; i++)
        CASE(run_with("Fluorescence", OPTICS, "output_region", vec(4, regions[i])), ANY_, "property 'output_region'");
    const double paddings[][4] = {{-1, 0, 0, 0}, {0, 0, 1e9, 0}, {NAN, 0, 0, 0}};
    for (size_t i = 0; i < sizeof paddings / sizeof *paddings; i++)
        CASE(run_with("Fluorescence", OPTICS, "padding", vec(4, paddings[i])), ANY_, "padding");
    const double short_region[2] = {0, 0};
    CASE(run_with("Brightfield", OPTICS, "output_region", vec(2, short_region)), ANY_, "property 'output_region'");
    const double pads[][4] = {{-1, 0, 0, 0}, {0, 0, 1e12, 1e12}};
    for (size_t i = 0; i < sizeof pads / sizeof *pads; i++)
        CASE(run_with("Pad", PLAIN, "px", vec(4, pads[i])), ANY_, "property 'px'");
    const double crops[][2] = {{-4, 4}, {NAN, 4}, {0.5, 4}}; /* 0 is DeepTrack2's: one sample kept */
    for (size_t i = 0; i < sizeof crops / sizeof *crops; i++)
        CASE(run_with("Crop", PLAIN, "crop", vec(2, crops[i])), ANY_, "property 'crop'");
    /* Sizes beyond their documented maximum say so (the work below them is bounded by the image). */
    CASE(run_with("GaussianBlur", PLAIN, "sigma", num(2e6)), INV_,
         "property 'sigma' of feature 'GaussianBlur': 2000000 exceeds the maximum of 1000000");
    CASE(run_with("MaxPooling", PLAIN, "ksize", num(1e16)), INV_,
         "property 'ksize' of feature 'MaxPooling': 1e16 exceeds the maximum of 9007199254740992");
    const double pool_sizes[2] = {2, 1e300};
    CASE(run_with("SumPooling", PLAIN, "ksize", vec(2, pool_sizes)), INV_,
         "1e300 exceeds the maximum of 9007199254740992");
    CASE(run_with("AverageBlur", PLAIN, "ksize", num(1e17)), INV_,
         "property 'ksize' of feature 'AverageBlur': 1e17 exceeds the maximum of 9007199254740992");
    const double long_pad[4] = {0, 2e9, 0, 0};
    CASE(run_with("Pad", PLAIN, "px", vec(4, long_pad)), INV_,
         "property 'px' of feature 'Pad': 2000000000 exceeds the maximum of 1000000000");
    const double vast_pad[4] = {0, 1e6, 0, 1e6};
    CASE(run_with("Pad", PLAIN, "px", vec(4, vast_pad)), OOM_,
         "property 'px' of feature 'Pad': cannot allocate the padded image of shape [1000008, 1000008]");
    const double positions[][2] = {{NAN, 3}, {INFINITY, 3}};
    for (size_t i = 0; i < sizeof positions / sizeof *positions; i++)
        CASE(run_with("PointParticle", SCATTERER, "position", vec(2, positions[i])), ANY_, "property 'position'");
    const double one[1] = {3};
    CASE(run_with("PointParticle", SCATTERER, "position", vec(1, one)), ANY_, "property 'position'");
    CASE(run_with("Crop", PLAIN, "crop_mode", str("sideways")), ANY_, "property 'crop_mode'");
    CASE(run_with("Crop", PLAIN, "corner", str("top")), ANY_, "property 'corner'");
    CASE(run_with("PointParticle", SCATTERER, "position_unit", str("furlong")), ANY_, "property 'position_unit'");

    /* Repeat counts. */
    deeptrack_feature *f = feature("DummyFeature"), *r = NULL;
    CASE(deeptrack_feature_repeat(f, (size_t)1 << 40, &r), INV_, "N");
    REQUIRE(deeptrack_feature_repeat(f, 2, &r));
    CASE(deeptrack_feature_set_property(r, "N", constant(num(-1))), INV_, "property 'N'");
    CASE(deeptrack_feature_set_property(r, "N", constant(num(2.5))), ANY_, "property 'N'");
    CASE(deeptrack_feature_set_property(r, "N", constant(str("two"))), ANY_, "property 'N'");
    CASE(deeptrack_feature_set_property(r, "N", constant(num(1000001))), INV_,
         "property 'N' of feature 'Repeat': 1000001 exceeds the maximum of 1000000");
    CASE(deeptrack_feature_set_property(r, "N", constant(num(1e300))), INV_, "1e300 exceeds the maximum of 1000000");
    deeptrack_feature_free(r);
    deeptrack_feature_free(f);

    /* Rule parameters. */
    deeptrack_rule *rule = NULL;
    CASE(deeptrack_rule_uniform(NAN, 1, &rule), INV_, "low must be finite");
    CASE(deeptrack_rule_uniform(0, INFINITY, &rule), INV_, "high must be finite");
    CASE(deeptrack_rule_uniform(2, 1, &rule), INV_, "greater than high");
    CASE(deeptrack_rule_normal(0, -1, &rule), INV_, "std");
    CASE(deeptrack_rule_normal(NAN, 1, &rule), INV_, "mean");
    CASE(deeptrack_rule_randint(3, 3, &rule), INV_, "empty");
    double lo[2] = {0, NAN}, hi[2] = {1, 1};
    CASE(deeptrack_rule_uniform_array(lo, hi, 2, &rule), INV_, "low[1]");
    deeptrack_value *empty = NULL;
    REQUIRE(deeptrack_value_new_list(&empty));
    CASE(deeptrack_rule_choice(empty, &rule), INV_, "empty");
    deeptrack_value *not_list = num(1);
    CASE(deeptrack_rule_choice(not_list, &rule), TYP_, "list");
    deeptrack_value_free(not_list);
    deeptrack_value_free(empty);
}

/* ------------------------------------------------------------------ images that cannot be finite */

/* Images a sphere (at (16, 16), radius 0.3 µm, intensity 100 or refractive index 1.45 unless `sprop` is
 * "value") through `optics` (region 32 x 32), with optics property `oprop` (or none) and sphere property
 * `sprop` (or none) set to the values given (consumed). */
static deeptrack_status render_with(const char *optics, const char *oprop, deeptrack_value *ov, const char *sprop,
                                    deeptrack_value *sv) {
    deeptrack_feature *o = feature(optics), *s = feature("Sphere"), *pipe = NULL;
    const double region[4] = {0, 0, 32, 32}, position[2] = {16, 16};
    REQUIRE(deeptrack_feature_set_property(o, "output_region", constant(vec(4, region))));
    REQUIRE(deeptrack_feature_set_property(s, "position", constant(vec(2, position))));
    REQUIRE(deeptrack_feature_set_property(s, "radius", constant(num(3e-7))));
    const bool bright = strcmp(optics, "Brightfield") == 0;
    if (!sprop || strcmp(sprop, "value") != 0)
        REQUIRE(deeptrack_feature_set_property(s, bright ? "refractive_index" : "intensity", constant(num(bright ? 1.45 : 100))));
    deeptrack_status st = DEEPTRACK_STATUS_OK;
    if (oprop) st = deeptrack_feature_set_property(o, oprop, constant(ov));
    if (st == DEEPTRACK_STATUS_OK && sprop) st = deeptrack_feature_set_property(s, sprop, constant(sv));
    if (st == DEEPTRACK_STATUS_OK) {
        REQUIRE(deeptrack_feature_microscope(o, s, &pipe));
        deeptrack_image *out = NULL;
        st = deeptrack_feature_resolve(pipe, NULL, &out);
        deeptrack_image_free(out);
        deeptrack_feature_free(pipe);
    }
    deeptrack_feature_free(o);
    deeptrack_feature_free(s);
    return st;
}

static void unrenderable(void) {
    /* Finite properties whose image would overflow: the error names the property and its feature. */
    CASE(render_with("Fluorescence", NULL, NULL, "intensity", num(1e308)), INV_,
         "property 'intensity' of feature 'Sphere': the image overflows");
    CASE(render_with("Fluorescence", "upscale", num(2), "intensity", num(1e308)), INV_,
         "property 'intensity' of feature 'Sphere': the intensity times the upscale fudge factor");
    CASE(render_with("Fluorescence", NULL, NULL, "value", num(-1e308)), INV_, "property 'value' of feature 'Sphere'");
    CASE(render_with("Brightfield", NULL, NULL, "refractive_index", num(1.7e308)), INV_,
         "property 'refractive_index' of feature 'Sphere': the refraction phase per voxel");
    const char *optics[2] = {"Fluorescence", "Brightfield"};
    for (int i = 0; i < 2; i++) {
        char expected[128];
        snprintf(expected, sizeof expected, "property 'refractive_index_medium' of feature '%s': the wavenumber", optics[i]);
        CASE(render_with(optics[i], "refractive_index_medium", num(1e300), NULL, NULL), INV_, expected);
        snprintf(expected, sizeof expected, "property 'wavelength' of feature '%s': the wavenumber", optics[i]);
        CASE(render_with(optics[i], "wavelength", num(1e-308), NULL, NULL), INV_, expected);
        snprintf(expected, sizeof expected, "property 'resolution' of feature '%s': the wavenumber", optics[i]);
        CASE(render_with(optics[i], "resolution", num(1e300), NULL, NULL), INV_, expected);
        snprintf(expected, sizeof expected, "property 'magnification' of feature '%s': the simulation voxel", optics[i]);
        CASE(render_with(optics[i], "magnification", num(1e308), NULL, NULL), INV_, expected);
        snprintf(expected, sizeof expected, "property 'resolution' of feature '%s': the simulation voxel", optics[i]);
        CASE(render_with(optics[i], "resolution", num(1e-320), NULL, NULL), INV_, expected);
    }
    /* Where a scatterer lands, and how large it is. */
    CASE(render_with("Brightfield", NULL, NULL, "z", num(1e308)), INV_,
         "property 'z' of feature 'Sphere': the scatterer lands 1e+308 simulation pixels from the origin along z, "
         "which exceeds the maximum of 1000000000 in magnitude");
    const double far[2] = {1e12, 3}, deep[3] = {3, 3, -1e300};
    CASE(render_with("Fluorescence", NULL, NULL, "position", vec(2, far)), INV_,
         "property 'position' of feature 'Sphere': the scatterer lands");
    CASE(render_with("Fluorescence", NULL, NULL, "position", vec(3, deep)), INV_,
         "property 'position' of feature 'Sphere': the scatterer lands -1e+300 simulation pixels from the origin along z");
    CASE(render_with("Fluorescence", NULL, NULL, "radius", num(1)), OOM_,
         "property 'radius' of feature 'Sphere': the scatterer's grid of 20000000 x 20000000 x 20000000 voxels");
    /* Sizes: each states its limit. */
    CASE(render_with("Fluorescence", "upscale", num(7000), NULL, NULL), INV_,
         "property 'upscale' of feature 'Fluorescence': 7000 exceeds the maximum of 6561");
    const double pad[4] = {0, 7000, 0, 0}, region[4] = {0, 0, 7000, 64}, corner[4] = {1e12, 0, 1e12 + 64, 64};
    CASE(render_with("Fluorescence", "padding", vec(4, pad), NULL, NULL), INV_,
         "property 'padding' of feature 'Fluorescence': 7000 exceeds the maximum of 6561");
    CASE(render_with("Brightfield", "output_region", vec(4, region), NULL, NULL), INV_,
         "property 'output_region' of feature 'Brightfield': the region spans 7000 pixels along axis 0, which exceeds "
         "the maximum of 6561");
    CASE(render_with("Brightfield", "output_region", vec(4, corner), NULL, NULL), INV_,
         "property 'output_region' of feature 'Brightfield': the corner coordinate 1000000000000 exceeds the maximum");
    const double wide[4] = {0, 0, 128, 128};
    deeptrack_feature *o = feature("Fluorescence"), *p = feature("PointParticle"), *pipe = NULL;
    deeptrack_image *out = NULL;
    REQUIRE(deeptrack_feature_set_property(o, "output_region", constant(vec(4, wide))));
    REQUIRE(deeptrack_feature_set_property(o, "upscale", constant(num(60))));
    REQUIRE(deeptrack_feature_microscope(o, p, &pipe));
    CASE(deeptrack_feature_resolve(pipe, NULL, &out), INV_,
         "property 'upscale' of feature 'Fluorescence': the output region upscaled spans 7680 simulation pixels");
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(p);
    deeptrack_feature_free(o);
    /* Extreme values that can be imaged are not errors. */
    if (render_with("Fluorescence", "NA", num(1e308), NULL, NULL) != DEEPTRACK_STATUS_OK ||
        render_with("Brightfield", NULL, NULL, "intensity", num(1e300)) != DEEPTRACK_STATUS_OK) {
        fprintf(stderr, "an extreme but renderable sample failed: %s\n", last_error());
        failures++;
    }
}

/* ------------------------------------------------------------------ shapes and sizes */

static void shapes(void) {
    deeptrack_image *img = NULL;
    deeptrack_value *v = NULL;
    double x[4] = {0};
    size_t overflow[2] = {SIZE_MAX / 2, 4};
    size_t huge[3] = {(size_t)1 << 20, (size_t)1 << 20, (size_t)1 << 20};
    size_t too_many[33];
    for (int i = 0; i < 33; i++) too_many[i] = 1;
    CASE(deeptrack_image_new(x, overflow, 2, &img), OOM_, "");
    CASE(deeptrack_image_new(x, huge, 3, &img), OOM_, "");
    CASE(deeptrack_image_new(x, too_many, 33, &img), INV_, "32");
    CASE(deeptrack_value_new_array(x, overflow, 2, &v), OOM_, "");
    CASE(deeptrack_value_new_array(x, huge, 3, &v), OOM_, "");
    CASE(deeptrack_value_new_array(x, too_many, 33, &v), INV_, "32");
    /* Pipelines on images they cannot use. */
    size_t one_d = 4;
    deeptrack_image *line = NULL;
    REQUIRE(deeptrack_image_new(x, &one_d, 1, &line));
    deeptrack_feature *pool = feature("AveragePooling");
    deeptrack_feature *blur = feature("AverageBlur");
    /* A 0-d image has no axis to blur (DeepTrack2 2.0.1 raises an IndexError); a 1-d one blurs. */
    deeptrack_image *point = NULL;
    REQUIRE(deeptrack_image_new(x, NULL, 0, &point));
    CASE(deeptrack_feature_resolve(blur, point, &img), INV_, "at least 1 axis");
    deeptrack_image_free(point);
    deeptrack_feature *png_src = feature("DummyFeature");
    CASE(deeptrack_image_save_png(line, "/tmp/deeptrack-bad-input.png", NULL), INV_, "");
    deeptrack_image *small = image(4, 4);
    CASE(deeptrack_image_save_png(small, "/nonexistent-dir/x.png", NULL), INV_, "nonexistent-dir");
    deeptrack_image_free(small);
    deeptrack_feature_free(png_src);
    deeptrack_feature_free(blur);
    deeptrack_feature_free(pool);
    deeptrack_image_free(line);
}

/* ------------------------------------------------------------------ strings, names, buffers */

static void strings_and_names(void) {
    deeptrack_feature *f = feature("Add"), *out_f = NULL;
    deeptrack_value *v = NULL;
    deeptrack_rule *r = NULL;
    bool b = false;
    CASE(deeptrack_feature_new(BAD_UTF8, &out_f), UTF_, "argument 'kind' is not valid UTF-8");
    CASE(deeptrack_feature_new_custom(BAD_UTF8, get_ok, NULL, NULL, &out_f), UTF_, "argument 'name'");
    CASE(deeptrack_feature_set_property(f, BAD_UTF8, constant(num(1))), UTF_, "argument 'key'");
    CASE(deeptrack_feature_get_property(f, BAD_UTF8, &v), UTF_, "argument 'key'");
    CASE(deeptrack_feature_has_property(f, BAD_UTF8, &b), UTF_, "argument 'key'");
    CASE(deeptrack_feature_set_value(f, BAD_UTF8, v, NULL), UTF_, "argument 'key'");
    CASE(deeptrack_rule_property_of(f, BAD_UTF8, &r), UTF_, "argument 'key'");
    CASE(deeptrack_value_new_string(BAD_UTF8, &v), UTF_, "argument 's'");
    deeptrack_image *img = image(4, 4);
    CASE(deeptrack_image_save_png(img, BAD_UTF8, NULL), UTF_, "argument 'path'");
    CASE(deeptrack_image_get_property(img, BAD_UTF8, true, &v), UTF_, "argument 'key'");
    const char *keys[1] = {BAD_UTF8};
    deeptrack_value *one = num(1);
    const deeptrack_value *values[1] = {one};
    CASE(deeptrack_image_push_properties(img, keys, values, 1, NULL), UTF_, "keys[0]");
    CASE(deeptrack_set_error_message(BAD_UTF8), UTF_, "argument 'message'");

    CASE(deeptrack_feature_new("NoSuchFeature", &out_f), NFD_, "NoSuchFeature");
    CASE(deeptrack_feature_new("", &out_f), NFD_, "");
    CASE(deeptrack_feature_get_property(f, "radius", &v), NFD_, "no property 'radius'");
    CASE(deeptrack_rule_property_of(f, "radius", &r), NFD_, "radius");
    CASE(deeptrack_image_get_property(img, "radius", true, &v), NFD_, "radius");
    CASE(deeptrack_feature_set_property(f, "", constant(num(1))), INV_, "empty");
    CASE(deeptrack_feature_set_property(f, "_ID", constant(num(1))), INV_, "_ID");

    /* Buffers too small. */
    char small[4];
    size_t needed = 0, shape[1], n = 0;
    double data[2];
    CASE(deeptrack_value_repr(one, small, 2, &needed), BTS_, "");
    CASE(deeptrack_value_repr(one, NULL, 0, &needed), BTS_, "");
    CASE(deeptrack_image_shape(img, shape, 1), BTS_, "");
    CASE(deeptrack_image_copy_to(img, data, 2), BTS_, "");
    deeptrack_feature *split = feature("Add");
    deeptrack_image *store = NULL;
    deeptrack_value *pair = NULL;
    REQUIRE(deeptrack_value_new_list(&pair));
    REQUIRE(deeptrack_value_list_push(pair, one));
    REQUIRE(deeptrack_value_list_push(pair, one));
    REQUIRE(deeptrack_feature_set_property(split, "value", constant(pair)));
    deeptrack_image *many[1];
    CASE(deeptrack_feature_resolve_many(split, img, many, 1, &n), BTS_, "");
    CASE(deeptrack_feature_resolve(split, img, &store), INV_, "2 images");
    deeptrack_image *stored = NULL;
    deeptrack_feature *with_dicts = feature("DummyFeature");
    REQUIRE(deeptrack_feature_store_properties(with_dicts, true));
    REQUIRE(deeptrack_feature_resolve(with_dicts, img, &stored));
    const deeptrack_property_dict *d = NULL;
    REQUIRE(deeptrack_image_property_dict(stored, 0, &d));
    const deeptrack_value *bv = NULL;
    const char *key = NULL;
    CASE(deeptrack_property_dict_repr(d, small, 3, &needed), BTS_, "");
    CASE(deeptrack_image_property_dict(stored, 5, &d), DEEPTRACK_STATUS_OUT_OF_RANGE, "5");
    CASE(deeptrack_property_dict_key(d, 9, &key), DEEPTRACK_STATUS_OUT_OF_RANGE, "9");
    CASE(deeptrack_property_dict_get(d, "radius", &bv), NFD_, "radius");
    CASE(deeptrack_property_dict_get(d, BAD_UTF8, &bv), UTF_, "argument 'key'");
    deeptrack_image_free(stored);
    deeptrack_feature_free(with_dicts);
    deeptrack_feature_free(split);
    /* Reading a value as another kind. */
    double x;
    int64_t i;
    const char *s;
    CASE(deeptrack_value_as_int(one, &i), TYP_, "integer");
    CASE(deeptrack_value_as_bool(one, &b), TYP_, "bool");
    CASE(deeptrack_value_as_string(one, &s), TYP_, "string");
    CASE(deeptrack_value_array(one, NULL, NULL, NULL), TYP_, "array");
    CASE(deeptrack_value_list_push(one, one), TYP_, "list");
    deeptrack_value *text = str("x");
    CASE(deeptrack_value_as_float(text, &x), TYP_, "number");
    deeptrack_value_free(text);
    deeptrack_value_free(one);
    deeptrack_image_free(img);
    deeptrack_feature_free(f);
}

/* ------------------------------------------------------------------ callbacks that fail */

static deeptrack_status sample_fails(void *u, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)u, (void)ctx, (void)out;
    deeptrack_set_error_message("the detector is unplugged");
    return DEEPTRACK_STATUS_INVALID_ARGUMENT;
}

static deeptrack_status sample_returns_nothing(void *u, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)u, (void)ctx, (void)out;
    return DEEPTRACK_STATUS_OK;
}

static deeptrack_status sample_reads_unknown(void *u, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)u;
    const deeptrack_value *v = NULL;
    deeptrack_status s = deeptrack_context_get(ctx, "no_such_sibling", &v);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_clone(v, out);
}

static deeptrack_status sample_wrong_kind(void *u, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)u, (void)ctx;
    return deeptrack_value_new_string("not a number", out);
}

static deeptrack_status get_fails(void *u, const deeptrack_image *in, const deeptrack_property_dict *p,
                                  deeptrack_image **out) {
    (void)u, (void)in, (void)p, (void)out;
    deeptrack_set_error_message("out of film");
    return 42;
}

static void failing_callbacks(void) {
    deeptrack_image *img = image(4, 4), *out = NULL;
    const struct {
        deeptrack_sample_fn fn;
        const char *text;
    } rules[] = {
        {sample_fails, "the detector is unplugged"},
        {sample_returns_nothing, "property 'value'"},
        {sample_reads_unknown, "no_such_sibling"},
        {sample_wrong_kind, "property 'value'"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        deeptrack_feature *add = feature("Add");
        deeptrack_rule *r = NULL;
        REQUIRE(deeptrack_rule_callback(rules[i].fn, NULL, NULL, &r));
        REQUIRE(deeptrack_feature_set_property(add, "value", r));
        CASE(deeptrack_feature_resolve(add, img, &out), ANY_, rules[i].text);
        if (rules[i].fn != sample_wrong_kind) { /* reading the string back is fine: using it is not */
            deeptrack_value *v = NULL;
            CASE(deeptrack_feature_get_property(add, "value", &v), ANY_, rules[i].text);
        }
        deeptrack_feature_free(add);
    }
    deeptrack_feature *custom = NULL;
    REQUIRE(deeptrack_feature_new_custom("Film", get_fails, NULL, NULL, &custom));
    CASE(deeptrack_feature_resolve(custom, img, &out), CBF_, "out of film");
    CASE(deeptrack_feature_resolve(custom, NULL, &out), CBF_, "out of film");
    deeptrack_feature_free(custom);
    deeptrack_image_free(img);
}

/* ------------------------------------------------------------------ misuse */

static void misuse(void) {
    deeptrack_feature *f = feature("Add");
    deeptrack_image *img = image(2, 2), *out = NULL;
    deeptrack_rule *r = NULL;
    size_t n;
    /* A handle of the wrong type. */
    CASE(deeptrack_feature_update((deeptrack_feature *)img), HND_, "deeptrack_feature");
    CASE(deeptrack_feature_resolve(f, (deeptrack_image *)f, &out), HND_, "deeptrack_image");
    CASE(deeptrack_image_shape((deeptrack_image *)f, &n, 1), HND_, "deeptrack_image");
    CASE(deeptrack_feature_set_property(f, "value", (deeptrack_rule *)img), HND_, "deeptrack_rule");
    CASE(deeptrack_rule_property_of((deeptrack_feature *)img, "value", &r), HND_, "deeptrack_feature");
    CASE(deeptrack_feature_bind_arguments(f, (deeptrack_feature *)img), HND_, "argument 'arguments'");
    CASE(deeptrack_context_uniform((deeptrack_sample_context *)f, (double *)&n), HND_, "argument 'ctx'");
    /* A feature freed by its handle but still used by another pipeline stays alive. */
    deeptrack_feature *g = feature("Multiply"), *pipe = NULL;
    REQUIRE(deeptrack_feature_set_property(g, "value", constant(num(3))));
    REQUIRE(deeptrack_feature_chain(f, g, &pipe));
    deeptrack_feature_free(g);
    REQUIRE(deeptrack_feature_resolve(pipe, img, &out));
    deeptrack_image_free(out);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(f);
    deeptrack_image_free(img);

    /* Freed handles: using or freeing them again is recognised (the library keeps retired handles in
     * a quarantine), with no invalid access under valgrind or AddressSanitizer. */
    deeptrack_feature *gone_f = feature("Add");
    deeptrack_image *gone_i = image(2, 2);
    deeptrack_rule *gone_r = NULL;
    REQUIRE(deeptrack_rule_uniform(0, 1, &gone_r));
    deeptrack_feature_free(gone_f);
    deeptrack_image_free(gone_i);
    deeptrack_rule_free(gone_r);
    CASE(deeptrack_feature_update(gone_f), HND_, "argument 'f' is a deeptrack_feature that was already freed");
    CASE(deeptrack_feature_resolve(gone_f, NULL, &out), HND_, "already freed");
    CASE(deeptrack_image_shape(gone_i, &n, 1), HND_, "argument 'img' is a deeptrack_image that was already freed");
    deeptrack_feature *live = feature("Add");
    CASE(deeptrack_feature_set_property(live, "value", gone_r), HND_, "deeptrack_rule that was already freed");
    deeptrack_feature_free(live);
    /* A second free: recorded as the last error, otherwise ignored. */
    VOID_CASE(deeptrack_feature_free(gone_f), "argument 'f' is a deeptrack_feature that was already freed");
    VOID_CASE(deeptrack_image_free(gone_i), "argument 'img' is a deeptrack_image that was already freed");
    VOID_CASE(deeptrack_rule_free(gone_r), "argument 'rule' is a deeptrack_rule that was already freed");
    VOID_CASE(deeptrack_image_free((deeptrack_image *)gone_f), "already freed");
}

int main(void) {
    deeptrack_feature *pipe = reference_pipeline();
    size_t len_before = 0, len_after = 0;
    double *before = render(pipe, &len_before);

    null_pointers();
    wrong_kinds();
    out_of_domain();
    unrenderable();
    shapes();
    strings_and_names();
    failing_callbacks();
    misuse();

    double *after = render(pipe, &len_after);
    if (len_before != len_after || memcmp(before, after, len_before * sizeof(double)) != 0) {
        fprintf(stderr, "the reference pipeline changed after the bad input\n");
        failures++;
    }
    free(before);
    free(after);
    deeptrack_feature_free(pipe);
    printf("%d bad-input cases, %d failed\n", (int)checks, (int)failures);
    return failures == 0 ? 0 : 1;
}
