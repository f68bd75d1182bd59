/* The C API contract (design.md §6), exercised from C: every function, the Image-tutorial semantics
 * (exact dict lists, names, order, _ID, merge counts), seeding, cycles and error statuses.
 * Compiled and run by tests/c_api.rs; exits non-zero on any failed check. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeptrack.h"

#include "check.h"

static deeptrack_image *zeros(size_t rows, size_t cols) {
    size_t shape[2] = {rows, cols};
    double *data = calloc(rows * cols, sizeof(double));
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, 2, &img));
    free(data);
    return img;
}

static char *dict_repr(const deeptrack_property_dict *d) {
    static char buf[4096];
    OK(deeptrack_property_dict_repr(d, buf, sizeof buf, NULL));
    return buf;
}

static char *repr(const deeptrack_value *v) {
    static char buf[4096];
    OK(deeptrack_value_repr(v, buf, sizeof buf, NULL));
    return buf;
}

/* A constant rule holding `v`, which it consumes. */
static deeptrack_rule *constant(deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

static deeptrack_rule *constant_float(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return constant(v);
}

static deeptrack_rule *constant_bool(bool b) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_bool(b, &v));
    return constant(v);
}

/* ---------------------------------------------------------------- errors and version */

static void test_errors(void) {
    CHECK(strcmp(deeptrack_status_str(DEEPTRACK_STATUS_OK), "DEEPTRACK_STATUS_OK") == 0);
    CHECK(strcmp(deeptrack_status_str(DEEPTRACK_STATUS_NOT_FOUND), "DEEPTRACK_STATUS_NOT_FOUND") == 0);
    CHECK(strcmp(deeptrack_status_str(DEEPTRACK_STATUS_PANIC), "DEEPTRACK_STATUS_PANIC") == 0);
    CHECK(strcmp(deeptrack_status_str(12345), "DEEPTRACK_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(deeptrack_version(), DEEPTRACK_VERSION_STRING) == 0);

    FAILS(deeptrack_value_new_float(1.0, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'out' is NULL");
    size_t needed = 0;
    CHECK(deeptrack_last_error_message(NULL, 0, &needed) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    CHECK(needed == strlen("argument 'out' is NULL") + 1);
    char small[4];
    CHECK(deeptrack_last_error_message(small, sizeof small, NULL) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    char *buf = malloc(needed);
    OK(deeptrack_last_error_message(buf, needed, &needed));
    CHECK(strcmp(buf, "argument 'out' is NULL") == 0);
    free(buf);
    deeptrack_clear_error();
    CHECK(strcmp(last_error(), "") == 0);
}

/* ---------------------------------------------------------------- values */

static void test_values(void) {
    deeptrack_value *v = NULL;
    double f = 0;
    int64_t i = 0;
    bool b = false;
    const char *s = NULL;

    OK(deeptrack_value_new_float(2.5, &v));
    CHECK(deeptrack_value_kind(v) == DEEPTRACK_VALUE_KIND_FLOAT);
    OK(deeptrack_value_as_float(v, &f));
    CHECK(f == 2.5);
    FAILS(deeptrack_value_as_int(v, &i), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an integer, got a float");
    deeptrack_value_free(v);

    OK(deeptrack_value_new_int(-7, &v));
    CHECK(deeptrack_value_kind(v) == DEEPTRACK_VALUE_KIND_INT);
    OK(deeptrack_value_as_int(v, &i));
    CHECK(i == -7);
    OK(deeptrack_value_as_float(v, &f)); /* ints read as floats */
    CHECK(f == -7.0);
    FAILS(deeptrack_value_as_bool(v, &b), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a bool");
    deeptrack_value_free(v);

    OK(deeptrack_value_new_bool(true, &v));
    CHECK(deeptrack_value_kind(v) == DEEPTRACK_VALUE_KIND_BOOL);
    OK(deeptrack_value_as_bool(v, &b));
    CHECK(b);
    FAILS(deeptrack_value_as_string(v, &s), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a string, got a bool");
    deeptrack_value_free(v);

    OK(deeptrack_value_new_string("Particle", &v));
    CHECK(deeptrack_value_kind(v) == DEEPTRACK_VALUE_KIND_STRING);
    OK(deeptrack_value_as_string(v, &s));
    CHECK(strcmp(s, "Particle") == 0);
    FAILS(deeptrack_value_as_float(v, &f), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a number, got a string");
    CHECK(strcmp(repr(v), "'Particle'") == 0);
    deeptrack_value_free(v);
    FAILS(deeptrack_value_new_string("\xff\xfe", &v), DEEPTRACK_STATUS_INVALID_UTF8, "argument 's' is not valid UTF-8");
    FAILS(deeptrack_value_new_string(NULL, &v), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 's' is NULL");

    double data[6] = {1, 2, 3, 4, 5, 6};
    size_t shape[2] = {2, 3};
    OK(deeptrack_value_new_array(data, shape, 2, &v));
    CHECK(deeptrack_value_kind(v) == DEEPTRACK_VALUE_KIND_ARRAY);
    const double *pd = NULL;
    const size_t *ps = NULL;
    size_t nd = 0;
    OK(deeptrack_value_array(v, &pd, &ps, &nd));
    CHECK(nd == 2 && ps[0] == 2 && ps[1] == 3 && pd[5] == 6.0 && pd != data);
    CHECK(strcmp(repr(v), "array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])") == 0);
    deeptrack_value *copy = NULL;
    OK(deeptrack_value_clone(v, &copy));
    deeptrack_value_free(v);
    OK(deeptrack_value_array(copy, &pd, NULL, NULL));
    CHECK(pd[0] == 1.0);
    FAILS(deeptrack_value_as_float(copy, &f), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a number, got an array");
    deeptrack_value_free(copy);

    size_t huge[2] = {SIZE_MAX, 2};
    FAILS(deeptrack_value_new_array(data, huge, 2, &v), DEEPTRACK_STATUS_OUT_OF_MEMORY, "overflows");
    size_t many[40] = {1};
    FAILS(deeptrack_value_new_array(data, many, 40, &v), DEEPTRACK_STATUS_INVALID_ARGUMENT, "at most 32 dimensions");
    FAILS(deeptrack_value_new_array(NULL, shape, 2, &v), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'data' is NULL");
    FAILS(deeptrack_value_new_array(NULL, NULL, 0, &v), DEEPTRACK_STATUS_NULL_ARGUMENT, "'data'"); /* 0-d: 1 element */
    OK(deeptrack_value_new_array(data, NULL, 0, &v));
    CHECK(strcmp(repr(v), "array(1.0)") == 0);
    deeptrack_value_free(v);
    size_t empty[1] = {0};
    OK(deeptrack_value_new_array(NULL, empty, 1, &v)); /* no elements: data may be NULL */
    CHECK(strcmp(repr(v), "array([])") == 0);
    deeptrack_value_free(v);

    deeptrack_value *list = NULL, *item = NULL;
    OK(deeptrack_value_new_list(&list));
    CHECK(deeptrack_value_kind(list) == DEEPTRACK_VALUE_KIND_LIST);
    OK(deeptrack_value_new_int(3, &item));
    OK(deeptrack_value_list_push(list, item));
    OK(deeptrack_value_list_push(list, item)); /* copies: item stays ours */
    deeptrack_value_free(item);
    OK(deeptrack_value_list_push(list, list)); /* a copy of itself, nested */
    CHECK(deeptrack_value_list_len(list) == 3);
    OK(deeptrack_value_as_int(deeptrack_value_list_get(list, 1), &i));
    CHECK(i == 3);
    CHECK(deeptrack_value_list_len(deeptrack_value_list_get(list, 2)) == 2);
    CHECK(deeptrack_value_list_get(list, 3) == NULL);
    CHECK(strcmp(repr(list), "[3, 3, [3, 3]]") == 0);
    OK(deeptrack_value_new_float(1, &item));
    FAILS(deeptrack_value_list_push(item, list), DEEPTRACK_STATUS_TYPE_MISMATCH, "argument 'list' is a float");
    CHECK(deeptrack_value_list_len(item) == 0);
    CHECK(deeptrack_value_list_get(item, 0) == NULL);
    deeptrack_value_free(item);
    deeptrack_value_free(list);

    OK(deeptrack_value_new_none(&v));
    CHECK(deeptrack_value_kind(v) == DEEPTRACK_VALUE_KIND_NONE);
    deeptrack_value_free(v);
    CHECK(deeptrack_value_kind(NULL) == DEEPTRACK_VALUE_KIND_NONE);
    deeptrack_value_free(NULL);
}

/* ---------------------------------------------------------------- images */

static void test_images(void) {
    double data[6] = {0, 1, 2, 3, 4, 5};
    size_t shape[3] = {1, 2, 3};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, 3, &img));
    CHECK(deeptrack_image_ndim(img) == 3);
    size_t got[3] = {0};
    OK(deeptrack_image_shape(img, got, 3));
    CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3);
    FAILS(deeptrack_image_shape(img, got, 2), DEEPTRACK_STATUS_BUFFER_TOO_SMALL, "3 dimensions");
    const double *pd = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &pd, &len));
    CHECK(len == 6 && pd[4] == 4.0 && pd != data);
    double out[6] = {0};
    OK(deeptrack_image_copy_to(img, out, 6));
    CHECK(memcmp(out, data, sizeof data) == 0);
    FAILS(deeptrack_image_copy_to(img, out, 5), DEEPTRACK_STATUS_BUFFER_TOO_SMALL, "has 6 elements");
    CHECK(deeptrack_image_property_count(img) == 0);
    const deeptrack_property_dict *d = NULL;
    FAILS(deeptrack_image_property_dict(img, 0, &d), DEEPTRACK_STATUS_OUT_OF_RANGE, "index 0 is out of range");
    deeptrack_value *v = NULL;
    FAILS(deeptrack_image_get_property(img, "name", true, &v), DEEPTRACK_STATUS_NOT_FOUND, "'name'");
    FAILS(deeptrack_image_get_property(img, "name", false, &v), DEEPTRACK_STATUS_NOT_FOUND, "'name'");
    size_t bad[2] = {2, 2};
    FAILS(deeptrack_image_new(NULL, bad, 2, &img), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'data' is NULL");
    FAILS(deeptrack_image_new(data, NULL, 2, &img), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'shape' is NULL");
    CHECK(deeptrack_image_ndim(NULL) == 0);
    CHECK(deeptrack_image_property_count(NULL) == 0);
    double range[2] = {0, 0};
    FAILS(deeptrack_image_save_png(img, "/nonexistent-dir/x.png", range), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "got shape [1, 2, 3]");
    deeptrack_image *flat = zeros(2, 3);
    FAILS(deeptrack_image_save_png(flat, "/nonexistent-dir/x.png", range), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "cannot write '/nonexistent-dir/x.png'");
    char path[] = "/tmp/deeptrack-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    OK(deeptrack_image_save_png(flat, path, range));
    CHECK(range[0] == 0 && range[1] == 0);
    FILE *png = fopen(path, "rb");
    unsigned char magic[8] = {0};
    CHECK(png != NULL && fread(magic, 1, 8, png) == 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0);
    if (png) fclose(png);
    remove(path);
    FAILS(deeptrack_image_save_png(flat, NULL, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'path' is NULL");
    deeptrack_image_free(flat);
    deeptrack_image_free(img);
    deeptrack_image_free(NULL);
}

/* Two resolves of `DummyFeature`s give images with dicts; merge and append follow identity. */
static void test_merge_and_append(void) {
    deeptrack_feature *a = NULL, *b = NULL;
    OK(deeptrack_feature_new("DummyFeature", &a));
    OK(deeptrack_feature_set_property(a, "x", constant_float(1)));
    OK(deeptrack_feature_new("DummyFeature", &b));
    OK(deeptrack_feature_set_property(b, "x", constant_float(1))); /* equal, but another dict */
    OK(deeptrack_feature_store_properties(a, true));
    OK(deeptrack_feature_store_properties(b, true));
    deeptrack_image *input = zeros(2, 2), *ra = NULL, *ra2 = NULL, *rb = NULL;
    OK(deeptrack_feature_resolve(a, input, &ra));
    OK(deeptrack_feature_resolve(a, input, &ra2)); /* cached: the same dict */
    OK(deeptrack_feature_resolve(b, input, &rb));
    CHECK(deeptrack_image_property_count(ra) == 1);
    const deeptrack_property_dict *da = NULL, *da2 = NULL, *db = NULL;
    OK(deeptrack_image_property_dict(ra, 0, &da));
    OK(deeptrack_image_property_dict(ra2, 0, &da2));
    OK(deeptrack_image_property_dict(rb, 0, &db));
    CHECK(da == da2 && da != db);
    CHECK(strcmp(dict_repr(da), "{'x': 1.0, 'name': 'DummyFeature'}") == 0);
    CHECK(strcmp(dict_repr(da), dict_repr(db)) == 0);
    CHECK(deeptrack_property_dict_len(da) == 2);
    const char *key = NULL;
    OK(deeptrack_property_dict_key(da, 1, &key));
    CHECK(strcmp(key, "name") == 0);
    FAILS(deeptrack_property_dict_key(da, 2, &key), DEEPTRACK_STATUS_OUT_OF_RANGE, "index 2");
    const deeptrack_value *x = NULL;
    OK(deeptrack_property_dict_get(da, "x", &x));
    double f = 0;
    OK(deeptrack_value_as_float(x, &f));
    CHECK(f == 1.0);
    FAILS(deeptrack_property_dict_get(da, "y", &x), DEEPTRACK_STATUS_NOT_FOUND, "no key 'y'");

    OK(deeptrack_image_merge_properties_from(ra, ra2));
    CHECK(deeptrack_image_property_count(ra) == 1); /* same dict: kept once */
    OK(deeptrack_image_merge_properties_from(ra, rb));
    CHECK(deeptrack_image_property_count(ra) == 2); /* equal but distinct: both kept */
    OK(deeptrack_image_merge_properties_from(ra, ra));
    CHECK(deeptrack_image_property_count(ra) == 2);
    OK(deeptrack_image_append_properties(ra, db)); /* append does not dedupe */
    CHECK(deeptrack_image_property_count(ra) == 3);
    const deeptrack_property_dict *last = NULL;
    OK(deeptrack_image_property_dict(ra, 2, &last));
    CHECK(last == db);
    deeptrack_image *clone = NULL;
    OK(deeptrack_image_clone(ra, &clone));
    CHECK(deeptrack_image_property_count(clone) == 3);
    OK(deeptrack_image_merge_properties_from(clone, ra));
    CHECK(deeptrack_image_property_count(clone) == 3);

    deeptrack_value *all = NULL;
    OK(deeptrack_image_get_property(ra, "name", false, &all));
    CHECK(deeptrack_value_list_len(all) == 3);
    deeptrack_value_free(all);

    /* The input keeps no properties; freeing the producer keeps the dicts alive in the images. */
    CHECK(deeptrack_image_property_count(input) == 0);
    deeptrack_feature_free(a);
    deeptrack_feature_free(b);
    CHECK(strcmp(dict_repr(last), "{'x': 1.0, 'name': 'DummyFeature'}") == 0);
    deeptrack_image_free(clone);
    deeptrack_image_free(ra);
    deeptrack_image_free(ra2);
    deeptrack_image_free(rb);
    deeptrack_image_free(input);
}

/* ---------------------------------------------------------------- rules and the sampling context */

static int freed_userdata = 0;
static void count_free(void *userdata) {
    (void)userdata;
    freed_userdata++;
}

/* twice = 2 * base, read through the context (a dependency declared after it). */
static deeptrack_status twice_base(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    const deeptrack_value *base = NULL;
    double x = 0;
    deeptrack_status s = deeptrack_context_get(ctx, "base", &base);
    if (s != DEEPTRACK_STATUS_OK) return s;
    s = deeptrack_value_as_float(base, &x);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_new_float(2 * x, out);
}

/* The replicate index as a list, plus uniform and normal draws. */
static deeptrack_status replica(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    size_t index[4], depth = 0;
    double u = -1, n = 0;
    deeptrack_status s = deeptrack_context_replicate_index(ctx, index, 4, &depth);
    if (s != DEEPTRACK_STATUS_OK) return s;
    if (depth > 0 && deeptrack_context_replicate_index(ctx, NULL, 0, &depth) != DEEPTRACK_STATUS_BUFFER_TOO_SMALL)
        return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    if (deeptrack_context_uniform(ctx, &u) != DEEPTRACK_STATUS_OK || u < 0 || u >= 1) return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    if (deeptrack_context_normal(ctx, &n) != DEEPTRACK_STATUS_OK || !isfinite(n)) return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    deeptrack_value *list = NULL, *item = NULL;
    deeptrack_value_new_list(&list);
    for (size_t k = 0; k < depth; k++) {
        deeptrack_value_new_int((int64_t)index[k], &item);
        deeptrack_value_list_push(list, item);
        deeptrack_value_free(item);
    }
    *out = list;
    return DEEPTRACK_STATUS_OK;
}

static deeptrack_status failing(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    (void)ctx;
    (void)out;
    deeptrack_set_error_message("the detector is not calibrated");
    return DEEPTRACK_STATUS_INVALID_ARGUMENT;
}

static deeptrack_status returns_nothing(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    (void)ctx;
    (void)out;
    return DEEPTRACK_STATUS_OK;
}

static deeptrack_status read_other(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    const deeptrack_value *v = NULL;
    deeptrack_status s = deeptrack_context_get(ctx, (const char *)userdata, &v);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_clone(v, out);
}

static void test_rules(void) {
    deeptrack_feature *f = NULL;
    deeptrack_rule *r = NULL;
    deeptrack_value *v = NULL;
    double x = 0;
    int64_t k = 0;
    OK(deeptrack_feature_new("DummyFeature", &f));

    OK(deeptrack_rule_callback(twice_base, NULL, count_free, &r));
    OK(deeptrack_feature_set_property(f, "twice", r));
    OK(deeptrack_feature_set_property(f, "base", constant_float(21)));
    OK(deeptrack_feature_get_property(f, "twice", &v));
    OK(deeptrack_value_as_float(v, &x));
    CHECK(x == 42.0);
    deeptrack_value_free(v);

    OK(deeptrack_rule_uniform(2, 3, &r));
    OK(deeptrack_feature_set_property(f, "u", r));
    OK(deeptrack_rule_normal(5, 0, &r));
    OK(deeptrack_feature_set_property(f, "n", r));
    OK(deeptrack_rule_randint(4, 5, &r));
    OK(deeptrack_feature_set_property(f, "k", r));
    double lo[2] = {0, 10}, hi[2] = {1, 11};
    OK(deeptrack_rule_uniform_array(lo, hi, 2, &r));
    OK(deeptrack_feature_set_property(f, "pos", r));
    deeptrack_value *choices = NULL, *item = NULL;
    OK(deeptrack_value_new_list(&choices));
    OK(deeptrack_value_new_string("only", &item));
    OK(deeptrack_value_list_push(choices, item));
    deeptrack_value_free(item);
    OK(deeptrack_rule_choice(choices, &r));
    deeptrack_value_free(choices);
    OK(deeptrack_feature_set_property(f, "c", r));
    OK(deeptrack_rule_callback(replica, NULL, NULL, &r));
    OK(deeptrack_feature_set_property(f, "id", r));
    for (int t = 0; t < 20; t++) {
        OK(deeptrack_feature_update(f));
        OK(deeptrack_feature_get_property(f, "u", &v));
        OK(deeptrack_value_as_float(v, &x));
        CHECK(x >= 2 && x < 3);
        deeptrack_value_free(v);
        OK(deeptrack_feature_get_property(f, "n", &v));
        OK(deeptrack_value_as_float(v, &x));
        CHECK(x == 5.0);
        deeptrack_value_free(v);
        OK(deeptrack_feature_get_property(f, "k", &v));
        OK(deeptrack_value_as_int(v, &k));
        CHECK(k == 4);
        deeptrack_value_free(v);
        OK(deeptrack_feature_get_property(f, "pos", &v));
        const double *p = NULL;
        OK(deeptrack_value_array(v, &p, NULL, NULL));
        CHECK(p[0] >= 0 && p[0] < 1 && p[1] >= 10 && p[1] < 11);
        deeptrack_value_free(v);
    }
    OK(deeptrack_feature_get_property(f, "c", &v));
    CHECK(strcmp(repr(v), "'only'") == 0);
    deeptrack_value_free(v);
    OK(deeptrack_feature_get_property(f, "id", &v));
    CHECK(strcmp(repr(v), "[]") == 0);
    deeptrack_value_free(v);

    /* Inside a repeat the context reports the repetition. */
    deeptrack_feature *rep = NULL;
    deeptrack_image *input = zeros(1, 1), *out = NULL;
    OK(deeptrack_feature_repeat(f, 3, &rep));
    OK(deeptrack_feature_store_properties(rep, true));
    OK(deeptrack_feature_resolve(rep, input, &out));
    /* f was sampled at top level above: as in DeepTrack2, deeper replicates inherit that sample until
     * an update. */
    OK(deeptrack_image_get_property(out, "id", false, &v));
    CHECK(strcmp(repr(v), "[[], [], []]") == 0);
    deeptrack_value_free(v);
    deeptrack_image_free(out);
    OK(deeptrack_feature_update(rep));
    OK(deeptrack_feature_resolve(rep, input, &out));
    OK(deeptrack_image_get_property(out, "id", false, &v));
    CHECK(strcmp(repr(v), "[[0], [1], [2]]") == 0);
    deeptrack_value_free(v);
    deeptrack_image_free(out);

    /* Invalid rule arguments name the problem; nothing is allocated. */
    r = NULL;
    FAILS(deeptrack_rule_uniform(NAN, 1, &r), DEEPTRACK_STATUS_INVALID_ARGUMENT, "low must be finite");
    FAILS(deeptrack_rule_uniform(2, 1, &r), DEEPTRACK_STATUS_INVALID_ARGUMENT, "greater than high");
    FAILS(deeptrack_rule_normal(0, -1, &r), DEEPTRACK_STATUS_INVALID_ARGUMENT, "std must not be negative");
    FAILS(deeptrack_rule_normal(INFINITY, 1, &r), DEEPTRACK_STATUS_INVALID_ARGUMENT, "mean must be finite");
    FAILS(deeptrack_rule_randint(3, 3, &r), DEEPTRACK_STATUS_INVALID_ARGUMENT, "empty");
    FAILS(deeptrack_rule_uniform_array(lo, NULL, 2, &r), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'high' is NULL");
    OK(deeptrack_value_new_list(&choices));
    FAILS(deeptrack_rule_choice(choices, &r), DEEPTRACK_STATUS_INVALID_ARGUMENT, "the list is empty");
    deeptrack_value_free(choices);
    OK(deeptrack_value_new_int(1, &v));
    FAILS(deeptrack_rule_choice(v, &r), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a list");
    deeptrack_value_free(v);
    FAILS(deeptrack_rule_callback(NULL, NULL, NULL, &r), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'fn' is NULL");
    FAILS(deeptrack_rule_constant(NULL, &r), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'v' is NULL");
    CHECK(r == NULL);

    /* Failing callbacks fail the resolve with their message. */
    deeptrack_feature *g = NULL;
    OK(deeptrack_feature_new("DummyFeature", &g));
    OK(deeptrack_rule_callback(failing, NULL, NULL, &r));
    OK(deeptrack_feature_set_property(g, "gain", r));
    FAILS(deeptrack_feature_resolve(g, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED,
          "property 'gain' of feature 'DummyFeature': the sampling callback returned DEEPTRACK_STATUS_INVALID_ARGUMENT: the "
          "detector is not calibrated");
    OK(deeptrack_rule_callback(returns_nothing, NULL, NULL, &r));
    OK(deeptrack_feature_set_property(g, "gain", r));
    FAILS(deeptrack_feature_resolve(g, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED, "returned DEEPTRACK_STATUS_OK but no value");
    /* Reading an unknown sibling. */
    OK(deeptrack_rule_callback(read_other, "nonexistent", NULL, &r));
    OK(deeptrack_feature_set_property(g, "gain", r));
    FAILS(deeptrack_feature_resolve(g, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED, "no property 'nonexistent'");
    /* A cycle names the properties, never hangs. */
    OK(deeptrack_rule_callback(read_other, "b", NULL, &r));
    OK(deeptrack_feature_set_property(g, "gain", r));
    OK(deeptrack_rule_callback(read_other, "gain", NULL, &r));
    OK(deeptrack_feature_set_property(g, "b", r));
    FAILS(deeptrack_feature_resolve(g, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED,
          "properties 'gain' -> 'b' -> 'gain' depend on each other in a cycle");
    FAILS(deeptrack_feature_get_property(g, "b", &v), DEEPTRACK_STATUS_CALLBACK_FAILED, "cycle");
    /* The pipeline still works once the rule is fixed. */
    OK(deeptrack_feature_set_property(g, "b", constant_float(3)));
    OK(deeptrack_feature_resolve(g, input, &out));
    deeptrack_image_free(out);
    deeptrack_feature_free(g);

    /* A link to another feature's property. */
    deeptrack_feature *a = NULL, *b = NULL, *chain = NULL;
    OK(deeptrack_feature_new("DummyFeature", &a));
    OK(deeptrack_rule_uniform(0, 1, &r));
    OK(deeptrack_feature_set_property(a, "pos", r));
    OK(deeptrack_feature_new("DummyFeature", &b));
    OK(deeptrack_rule_property_of(a, "pos", &r));
    OK(deeptrack_feature_set_property(b, "pos", r));
    FAILS(deeptrack_rule_property_of(a, "nope", &r), DEEPTRACK_STATUS_NOT_FOUND, "has no property 'nope'");
    OK(deeptrack_feature_chain(a, b, &chain));
    OK(deeptrack_feature_store_properties(chain, true));
    for (int t = 0; t < 3; t++) {
        OK(deeptrack_feature_resolve(chain, input, &out));
        OK(deeptrack_image_get_property(out, "pos", false, &v));
        double p0 = 0, p1 = 1;
        OK(deeptrack_value_as_float(deeptrack_value_list_get(v, 0), &p0));
        OK(deeptrack_value_as_float(deeptrack_value_list_get(v, 1), &p1));
        CHECK(p0 == p1);
        deeptrack_value_free(v);
        deeptrack_image_free(out);
        OK(deeptrack_feature_update(chain));
    }
    deeptrack_feature_free(a); /* the link and the chain keep it alive */
    OK(deeptrack_feature_resolve(chain, input, &out));
    deeptrack_image_free(out);
    deeptrack_feature_free(b);
    deeptrack_feature_free(chain);

    /* An unused rule is freed by its owner; userdata is freed with the last user. */
    OK(deeptrack_rule_callback(twice_base, NULL, count_free, &r));
    deeptrack_rule_free(r);
    CHECK(freed_userdata == 1);
    deeptrack_rule_free(NULL);
    deeptrack_feature_free(rep);
    CHECK(freed_userdata == 1); /* f is still ours */
    deeptrack_feature_free(f);
    CHECK(freed_userdata == 2);
    deeptrack_image_free(input);
}

/* ---------------------------------------------------------------- features */

static int get_calls = 0;

/* Adds `offset` to every pixel; a NULL input yields a 1×1 image of `offset`. */
static deeptrack_status add_offset(void *userdata, const deeptrack_image *input,
                                   const deeptrack_property_dict *properties, deeptrack_image **output) {
    (void)userdata;
    get_calls++;
    const deeptrack_value *v = NULL;
    double offset = 0;
    deeptrack_status s = deeptrack_property_dict_get(properties, "offset", &v);
    if (s != DEEPTRACK_STATUS_OK) return s;
    if ((s = deeptrack_value_as_float(v, &offset)) != DEEPTRACK_STATUS_OK) return s;
    size_t shape[8] = {1, 1}, ndim = 2, len = 1;
    const double *data = &offset;
    double zero = 0;
    if (input != NULL) {
        ndim = deeptrack_image_ndim(input);
        deeptrack_image_shape(input, shape, 8);
        deeptrack_image_data(input, &data, &len);
    } else {
        data = &zero;
    }
    double *buf = malloc((len ? len : 1) * sizeof(double));
    for (size_t i = 0; i < len; i++) buf[i] = data[i] + offset;
    s = deeptrack_image_new(buf, shape, ndim, output);
    free(buf);
    return s;
}

static deeptrack_status passthrough(void *userdata, const deeptrack_image *input,
                                    const deeptrack_property_dict *properties, deeptrack_image **output) {
    (void)userdata;
    (void)properties;
    *output = (deeptrack_image *)input; /* returning the input itself is a pass-through too */
    return DEEPTRACK_STATUS_OK;
}

static deeptrack_status get_fails(void *userdata, const deeptrack_image *input,
                                  const deeptrack_property_dict *properties, deeptrack_image **output) {
    (void)userdata;
    (void)input;
    (void)properties;
    (void)output;
    deeptrack_set_error_message("no photons");
    return DEEPTRACK_STATUS_CALLBACK_FAILED;
}

static deeptrack_feature *custom(const char *name, deeptrack_get_fn get) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new_custom(name, get, NULL, NULL, &f));
    return f;
}

static void test_features(void) {
    deeptrack_feature *f = custom("AddOffset", add_offset);
    deeptrack_image *input = zeros(2, 2), *out = NULL;
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_feature_set_property(f, "offset", constant_float(1.5)));
    OK(deeptrack_feature_resolve(f, input, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 4 && data[3] == 1.5);
    CHECK(deeptrack_image_property_count(out) == 0); /* store_properties is off */
    deeptrack_image_free(out);
    CHECK(get_calls == 1);
    OK(deeptrack_feature_resolve(f, NULL, &out)); /* the stored input, cached */
    CHECK(get_calls == 1 && out != NULL);
    deeptrack_image_free(out);
    OK(deeptrack_feature_update(f));
    OK(deeptrack_feature_resolve(f, NULL, &out)); /* after update: no input, get sees NULL */
    CHECK(get_calls == 2);
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 1 && data[0] == 1.5);
    deeptrack_image_free(out);

    /* Built-ins by class name, with DeepTrack defaults; unknown kinds are NOT_FOUND. */
    deeptrack_feature *add = NULL, *chain = NULL, *value = NULL;
    deeptrack_value *v = NULL;
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_feature_get_property(add, "value", &v));
    CHECK(strcmp(repr(v), "0") == 0);
    deeptrack_value_free(v);
    OK(deeptrack_feature_get_property(add, "name", &v));
    CHECK(strcmp(repr(v), "'Add'") == 0);
    deeptrack_value_free(v);
    FAILS(deeptrack_feature_get_property(add, "radius", &v), DEEPTRACK_STATUS_NOT_FOUND, "feature 'Add': no property 'radius'");
    OK(deeptrack_feature_set_property(add, "value", constant_float(10)));
    OK(deeptrack_feature_chain(f, add, &chain));
    OK(deeptrack_feature_store_properties(chain, true));
    OK(deeptrack_feature_resolve(chain, input, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(data[0] == 11.5);
    CHECK(deeptrack_image_property_count(out) == 3);
    const deeptrack_property_dict *d = NULL;
    OK(deeptrack_image_property_dict(out, 0, &d));
    CHECK(strcmp(dict_repr(d), "{'offset': 1.5, 'name': 'AddOffset'}") == 0);
    OK(deeptrack_image_property_dict(out, 1, &d));
    CHECK(strcmp(dict_repr(d), "{'value': 10.0, 'name': 'Add'}") == 0);
    OK(deeptrack_image_property_dict(out, 2, &d));
    CHECK(strcmp(dict_repr(d), "{'name': 'Chain'}") == 0);
    deeptrack_image_free(out);
    FAILS(deeptrack_feature_new("Sphre", &value), DEEPTRACK_STATUS_NOT_FOUND,
          "unknown feature kind 'Sphre' (did you mean 'Sphere'?); known kinds: DummyFeature, Value, Add");
    const char *kinds[] = {"DummyFeature", "Value", "Add", "Subtract", "Multiply", "Divide", "FloorDivide", "Power",
                           "GreaterThan", "LessThan", "GreaterThanOrEquals", "LessThanOrEquals", "Equals"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        OK(deeptrack_feature_new(kinds[i], &value));
        deeptrack_feature_free(value);
    }

    /* Type errors name the feature and the property. */
    OK(deeptrack_value_new_string("ten", &v));
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    FAILS(deeptrack_feature_set_property(add, "value", r), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "property 'value' of feature 'Add': expected numbers, got a string");
    OK(deeptrack_feature_set_property(f, "offset", constant_bool(true)));
    OK(deeptrack_feature_update(chain));
    FAILS(deeptrack_feature_resolve(chain, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED,
          "feature 'AddOffset': the feature's get callback returned DEEPTRACK_STATUS_TYPE_MISMATCH: expected a number, got "
          "a bool");
    OK(deeptrack_feature_set_property(f, "offset", constant_float(2)));
    OK(deeptrack_feature_resolve(chain, input, &out)); /* works again */
    deeptrack_image_free(out);

    /* Value: ignores its input. */
    OK(deeptrack_feature_new("Value", &value));
    double arr[2] = {2, 4};
    size_t shape[1] = {2};
    OK(deeptrack_value_new_array(arr, shape, 1, &v));
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(value, "value", r));
    OK(deeptrack_feature_resolve(value, NULL, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 2 && data[1] == 4);
    deeptrack_image_free(out);

    /* Pass-through (returning the input pointer) and failing get callbacks. */
    deeptrack_feature *p = custom("Pass", passthrough), *bad = custom("Broken", get_fails);
    OK(deeptrack_feature_resolve(p, input, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 4 && data[0] == 0);
    deeptrack_image_free(out);
    OK(deeptrack_feature_resolve(p, NULL, &out));
    deeptrack_image_free(out);
    OK(deeptrack_feature_update(p));
    out = (deeptrack_image *)1;
    OK(deeptrack_feature_resolve(p, NULL, &out));
    CHECK(out == NULL); /* nothing in, nothing out */
    FAILS(deeptrack_feature_resolve(bad, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED,
          "feature 'Broken': the feature's get callback returned DEEPTRACK_STATUS_CALLBACK_FAILED: no photons");

    /* A list-valued result: Add with two values gives two images; resolve wants one. */
    deeptrack_feature *pair = NULL;
    deeptrack_value *list = NULL, *item = NULL;
    OK(deeptrack_feature_new("Add", &pair));
    OK(deeptrack_value_new_list(&list));
    for (int k = 1; k <= 2; k++) {
        OK(deeptrack_value_new_float(10 * k, &item));
        OK(deeptrack_value_list_push(list, item));
        deeptrack_value_free(item);
    }
    OK(deeptrack_feature_set_property(pair, "value", constant(list)));
    FAILS(deeptrack_feature_resolve(pair, input, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT, "produced 2 images");
    size_t count = 0;
    FAILS(deeptrack_feature_resolve_many(pair, input, NULL, 0, &count), DEEPTRACK_STATUS_BUFFER_TOO_SMALL,
          "produced 2 images but 'cap' is 0");
    CHECK(count == 2);
    deeptrack_image *many[2] = {NULL, NULL};
    OK(deeptrack_feature_resolve_many(pair, input, many, 2, &count));
    OK(deeptrack_image_data(many[1], &data, &len));
    CHECK(count == 2 && len == 4 && data[0] == 20);
    deeptrack_image_free(many[0]);
    deeptrack_image_free(many[1]);
    FAILS(deeptrack_feature_resolve_many(pair, input, many, 2, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'count' is NULL");
    deeptrack_feature_free(pair);

    /* Microscope with custom optics: the optics feature is resolved on the sample's output. */
    deeptrack_feature *scope = NULL;
    OK(deeptrack_feature_microscope(add, value, &scope));
    OK(deeptrack_feature_store_properties(scope, true));
    OK(deeptrack_feature_resolve(scope, NULL, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 2 && data[0] == 12 && data[1] == 14);
    CHECK(deeptrack_image_property_count(out) == 3);
    OK(deeptrack_image_property_dict(out, 2, &d));
    CHECK(strcmp(dict_repr(d), "{'name': 'Microscope'}") == 0);
    deeptrack_image_free(out);

    /* Repeat N is a property; a negative constant is rejected. */
    deeptrack_feature *rep = NULL;
    OK(deeptrack_feature_repeat(f, 3, &rep));
    OK(deeptrack_feature_resolve(rep, input, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(data[0] == 6);
    deeptrack_image_free(out);
    OK(deeptrack_value_new_int(-2, &v));
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    FAILS(deeptrack_feature_set_property(rep, "N", r), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'N' of feature 'Repeat': expected a non-negative integer, got -2");
    OK(deeptrack_rule_randint(5, 6, &r));
    OK(deeptrack_feature_set_property(rep, "N", r));
    OK(deeptrack_feature_resolve(rep, input, &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(data[0] == 10);
    deeptrack_image_free(out);

    /* store_properties(false) turns it off again. */
    OK(deeptrack_feature_store_properties(chain, false));
    OK(deeptrack_feature_update(chain));
    OK(deeptrack_feature_resolve(chain, input, &out));
    CHECK(deeptrack_image_property_count(out) == 0);
    deeptrack_image_free(out);

    deeptrack_feature_free(rep);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(p);
    deeptrack_feature_free(bad);
    deeptrack_feature_free(value);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(add);
    deeptrack_feature_free(f);
    deeptrack_image_free(input);
}

/* ---------------------------------------------------------------- tutorial semantics */

static deeptrack_feature *particle(int track_me) {
    deeptrack_feature *p = custom("Particle", passthrough);
    double lo[2] = {0, 0}, hi[2] = {256, 256};
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_uniform_array(lo, hi, 2, &r));
    OK(deeptrack_feature_set_property(p, "position", r));
    if (track_me >= 0) OK(deeptrack_feature_set_property(p, "track_me", constant_bool(track_me)));
    return p;
}

static void test_tutorial_semantics(void) {
    deeptrack_image *input = zeros(256, 256), *out = NULL;
    deeptrack_feature *not_tracked = particle(0), *tracked = particle(1), *rep = NULL, *pipeline = NULL;
    OK(deeptrack_feature_repeat(not_tracked, 4, &rep));
    OK(deeptrack_feature_chain(rep, tracked, &pipeline));
    OK(deeptrack_feature_store_properties(pipeline, true));
    OK(deeptrack_feature_resolve(pipeline, input, &out));
    CHECK(deeptrack_image_property_count(out) == 7);
    deeptrack_value *v = NULL;
    OK(deeptrack_image_get_property(out, "track_me", false, &v));
    CHECK(strcmp(repr(v), "[False, False, False, False, True]") == 0);
    deeptrack_value_free(v);
    OK(deeptrack_image_get_property(out, "_ID", false, &v));
    CHECK(strcmp(repr(v), "[[0], [1], [2], [3]]") == 0);
    deeptrack_value_free(v);
    OK(deeptrack_image_get_property(out, "name", false, &v));
    CHECK(strcmp(repr(v), "['Particle', 'Particle', 'Particle', 'Particle', 'Repeat', 'Particle', 'Chain']") == 0);
    deeptrack_value_free(v);
    OK(deeptrack_image_get_property(out, "track_me", true, &v)); /* first match */
    CHECK(strcmp(repr(v), "False") == 0);
    deeptrack_value_free(v);
    const deeptrack_property_dict *d = NULL;
    const char *key = NULL;
    OK(deeptrack_image_property_dict(out, 0, &d));
    CHECK(deeptrack_property_dict_len(d) == 4);
    const char *expected_keys[] = {"position", "track_me", "name", "_ID"};
    for (size_t i = 0; i < 4; i++) {
        OK(deeptrack_property_dict_key(d, i, &key));
        CHECK(strcmp(key, expected_keys[i]) == 0);
    }
    OK(deeptrack_image_property_dict(out, 4, &d));
    CHECK(strcmp(dict_repr(d), "{'N': 4, 'name': 'Repeat'}") == 0);
    OK(deeptrack_image_property_dict(out, 6, &d));
    CHECK(strcmp(dict_repr(d), "{'name': 'Chain'}") == 0);

    /* Re-resolving without update returns the same dicts; merging keeps 7, after update 14. */
    deeptrack_image *again = NULL, *fresh = NULL;
    OK(deeptrack_feature_resolve(pipeline, input, &again));
    OK(deeptrack_image_merge_properties_from(out, again));
    CHECK(deeptrack_image_property_count(out) == 7);
    OK(deeptrack_feature_update(pipeline));
    OK(deeptrack_feature_resolve(pipeline, input, &fresh));
    OK(deeptrack_image_merge_properties_from(out, fresh));
    CHECK(deeptrack_image_property_count(out) == 14);

    /* Seeding: the same seed gives the same positions; another seed others. */
    char first[4096], second[4096];
    OK(deeptrack_feature_seed(pipeline, 7));
    deeptrack_image_free(fresh);
    OK(deeptrack_feature_resolve(pipeline, input, &fresh));
    OK(deeptrack_image_get_property(fresh, "position", false, &v));
    snprintf(first, sizeof first, "%s", repr(v));
    deeptrack_value_free(v);
    deeptrack_image_free(fresh);
    OK(deeptrack_feature_update(pipeline));
    OK(deeptrack_feature_seed(pipeline, 7));
    OK(deeptrack_feature_resolve(pipeline, input, &fresh));
    OK(deeptrack_image_get_property(fresh, "position", false, &v));
    snprintf(second, sizeof second, "%s", repr(v));
    deeptrack_value_free(v);
    CHECK(strcmp(first, second) == 0);
    deeptrack_image_free(fresh);
    OK(deeptrack_feature_seed(pipeline, 8));
    OK(deeptrack_feature_resolve(pipeline, input, &fresh));
    OK(deeptrack_image_get_property(fresh, "position", false, &v));
    CHECK(strcmp(first, repr(v)) != 0);
    deeptrack_value_free(v);

    deeptrack_image_free(fresh);
    deeptrack_image_free(again);
    deeptrack_image_free(out);
    deeptrack_feature_free(pipeline);
    deeptrack_feature_free(rep);
    deeptrack_feature_free(tracked);
    deeptrack_feature_free(not_tracked);
    deeptrack_image_free(input);
}

/* ---------------------------------------------------------------- misuse */

static void test_misuse(void) {
    double u = 0;
    deeptrack_image *img = zeros(1, 1), *out = NULL;
    deeptrack_feature *f = NULL, *tmp = NULL;
    OK(deeptrack_feature_new("DummyFeature", &f));
    /* NULL handles and arguments. */
    FAILS(deeptrack_feature_resolve(NULL, img, &out), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    FAILS(deeptrack_feature_resolve(f, img, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'out' is NULL");
    FAILS(deeptrack_feature_new(NULL, &tmp), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'kind' is NULL");
    FAILS(deeptrack_feature_set_property(f, NULL, constant_float(1)), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'key' is NULL");
    FAILS(deeptrack_feature_set_property(f, "x", NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'rule' is NULL");
    FAILS(deeptrack_feature_set_property(f, "", constant_float(1)), DEEPTRACK_STATUS_INVALID_ARGUMENT, "must not be empty");
    FAILS(deeptrack_feature_chain(f, NULL, &tmp), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'second' is NULL");
    FAILS(deeptrack_feature_chain(f, f, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'out' is NULL");
    CHECK(tmp == NULL);
    FAILS(deeptrack_feature_new_custom("X", NULL, NULL, NULL, &tmp), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'get' is NULL");
    FAILS(deeptrack_image_merge_properties_from(img, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'src' is NULL");
    FAILS(deeptrack_image_append_properties(img, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'd' is NULL");
    FAILS(deeptrack_feature_seed(NULL, 1), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    FAILS(deeptrack_feature_update(NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    FAILS(deeptrack_feature_store_properties(NULL, true), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    FAILS(deeptrack_feature_repeat(NULL, 2, &tmp), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    FAILS(deeptrack_feature_microscope(f, NULL, &tmp), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'sample' is NULL");
    FAILS(deeptrack_context_uniform(NULL, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'out' is NULL");
    FAILS(deeptrack_context_uniform(NULL, &u), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'ctx' is NULL");
    /* Handles of the wrong type are recognised. */
    FAILS(deeptrack_feature_resolve((deeptrack_feature *)img, img, &out), DEEPTRACK_STATUS_INVALID_HANDLE,
          "argument 'f' is not a deeptrack_feature handle");
    CHECK(deeptrack_image_ndim((deeptrack_image *)f) == 0);
    FAILS(deeptrack_image_copy_to((deeptrack_image *)f, &u, 1), DEEPTRACK_STATUS_INVALID_HANDLE,
          "argument 'img' is not a deeptrack_image handle");
    FAILS(deeptrack_context_uniform((deeptrack_sample_context *)f, &u), DEEPTRACK_STATUS_INVALID_HANDLE,
          "argument 'ctx' is not the context of the running callback");
    /* Invalid UTF-8 in names. */
    FAILS(deeptrack_feature_new("\xc3\x28", &tmp), DEEPTRACK_STATUS_INVALID_UTF8, "argument 'kind' is not valid UTF-8");
    FAILS(deeptrack_feature_set_property(f, "\xff", constant_float(1)), DEEPTRACK_STATUS_INVALID_UTF8, "argument 'key'");
    /* The feature still works. */
    OK(deeptrack_feature_resolve(f, img, &out));
    deeptrack_image_free(out);
    deeptrack_feature_free(f);
    deeptrack_image_free(img);
}

/* ---------------------------------------------------------------- callback lifetimes */

/* A custom get that frees the caller's handle to the pipeline that is running it. */
static deeptrack_status frees_pipeline(void *userdata, const deeptrack_image *input,
                                       const deeptrack_property_dict *properties, deeptrack_image **output) {
    (void)input;
    (void)properties;
    (void)output;
    deeptrack_feature **handle = userdata;
    deeptrack_feature_free(*handle);
    *handle = NULL;
    return DEEPTRACK_STATUS_OK;
}

/* A failing sampling callback that frees what it created before failing. */
static deeptrack_status tidy_failure(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    (void)ctx;
    deeptrack_value_new_float(1, out);
    deeptrack_value_free(*out);
    return DEEPTRACK_STATUS_INVALID_ARGUMENT;
}

/* free_userdata that calls back into the library with the feature it belongs to. */
static int reentrant_frees = 0;
static void free_and_read(void *userdata) {
    deeptrack_value *v = NULL;
    if (deeptrack_feature_get_property(userdata, "name", &v) == DEEPTRACK_STATUS_OK) reentrant_frees++;
    deeptrack_value_free(v);
}

/* free_userdata that frees the caller's handle to the feature it belongs to. */
static void free_owner(void *userdata) {
    deeptrack_feature **handle = userdata;
    deeptrack_feature_free(*handle);
    *handle = NULL;
}

/* ---------------------------------------------------------------- a new user's first mistakes */

/* The messages name the feature and the property at fault and state the limit broken (README, "The C
 * API"); the misspelt kind is answered with the closest one (test_features). */
static void test_first_mistakes(void) {
    deeptrack_feature *particle = NULL, *optics = NULL, *add = NULL, *out = NULL;
    deeptrack_value *v = NULL;
    OK(deeptrack_feature_new("PointParticle", &particle));
    OK(deeptrack_feature_new("Fluorescence", &optics));
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_value_new_string("center", &v));
    FAILS(deeptrack_feature_set_property(particle, "position", constant(v)), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "property 'position' of feature 'PointParticle': expected a number, an array or a list of numbers, got a string");
    OK(deeptrack_value_new_string("high", &v));
    FAILS(deeptrack_feature_set_property(optics, "NA", constant(v)), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "property 'NA' of feature 'Fluorescence': expected a number, got a string");
    FAILS(deeptrack_feature_set_property(optics, "NA", constant_float(0)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'NA' of feature 'Fluorescence': expected a positive number, got 0");
    const double region[4] = {0, 0, -32, 32};
    const size_t four = 4;
    OK(deeptrack_value_new_array(region, &four, 1, &v));
    FAILS(deeptrack_feature_set_property(optics, "output_region", constant(v)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'output_region' of feature 'Fluorescence': expected (x0, y0, x1, y1) with x1 > x0 and y1 > y0, "
          "got (0, 0, -32, 32)");
    FAILS(deeptrack_feature_repeat(particle, 2000000, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'N' of feature 'Repeat': 2000000 exceeds the maximum of 1000000");
    FAILS(deeptrack_feature_new_with("Repeat", NULL, 0, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "Repeat takes 1 feature (feature), got 0");
    FAILS(deeptrack_feature_new_with("Add", &particle, 1, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "Add takes no features, got 1");
    CHECK(out == NULL);
    deeptrack_feature_free(add);
    deeptrack_feature_free(optics);
    deeptrack_feature_free(particle);
}

static void test_callback_lifetimes(void) {
    deeptrack_image *input = zeros(2, 2), *out = NULL;
    deeptrack_feature *pipeline = NULL;
    OK(deeptrack_feature_new_custom("Freer", frees_pipeline, &pipeline, NULL, &pipeline));
    OK(deeptrack_feature_resolve(pipeline, input, &out));
    CHECK(pipeline == NULL && out != NULL);
    deeptrack_image_free(out);

    deeptrack_feature *f = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_feature_new("DummyFeature", &f));
    OK(deeptrack_rule_callback(tidy_failure, NULL, NULL, &r));
    OK(deeptrack_feature_set_property(f, "x", r));
    FAILS(deeptrack_feature_resolve(f, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED,
          "the sampling callback returned DEEPTRACK_STATUS_INVALID_ARGUMENT");
    /* The message of an older, unrelated error is not blamed on a callback that left none. */
    OK(deeptrack_rule_callback(returns_nothing, NULL, NULL, &r));
    OK(deeptrack_feature_set_property(f, "x", r));
    deeptrack_clear_error();
    FAILS(deeptrack_feature_resolve(f, input, &out), DEEPTRACK_STATUS_CALLBACK_FAILED, "but no value");
    OK(deeptrack_feature_set_property(f, "x", constant_float(0)));
    OK(deeptrack_rule_callback(twice_base, f, free_and_read, &r));
    OK(deeptrack_feature_set_property(f, "y", r));
    OK(deeptrack_feature_set_property(f, "y", constant_float(1))); /* drops the rule: no deadlock */
    CHECK(reentrant_frees == 1);
    deeptrack_feature_free(f);
    deeptrack_feature *owner = NULL;
    OK(deeptrack_feature_new("DummyFeature", &owner));
    OK(deeptrack_rule_callback(twice_base, &owner, free_owner, &r));
    OK(deeptrack_feature_set_property(owner, "y", r));
    OK(deeptrack_feature_set_property(owner, "y", constant_float(1))); /* frees the handle being used */
    CHECK(owner == NULL);

    /* Sizes that overflow or cannot be allocated are errors, not aborts. */
    size_t shape[2] = {0, SIZE_MAX};
    FAILS(deeptrack_image_new(NULL, shape, 2, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT, "the sizes are too large");
    size_t row[2] = {1, 1000000}, column[2] = {1000000, 1};
    double *ones = calloc(1000000, sizeof(double));
    deeptrack_image *wide = NULL;
    deeptrack_value *tall = NULL;
    OK(deeptrack_image_new(ones, row, 2, &wide));
    OK(deeptrack_value_new_array(ones, column, 2, &tall));
    free(ones);
    deeptrack_feature *add = NULL;
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_feature_set_property(add, "value", constant(tall)));
    /* A broadcast larger than both operands (10^12 samples) has a documented limit. */
    FAILS(deeptrack_feature_resolve(add, wide, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'value' of feature 'Add': broadcasting an image of shape [1, 1000000] with a value of shape "
          "[1000000, 1] gives 1000000000000 samples, which exceeds the maximum of 268435456 for a result larger "
          "than both");
    /* Up to the limit it computes: (1, 4) with (3, 1). */
    size_t row4[2] = {1, 4}, column3[2] = {3, 1};
    double r4[4] = {1, 2, 3, 4}, c3[3] = {10, 20, 30};
    deeptrack_image *small = NULL;
    deeptrack_value *col = NULL;
    OK(deeptrack_image_new(r4, row4, 2, &small));
    OK(deeptrack_value_new_array(c3, column3, 2, &col));
    OK(deeptrack_feature_set_property(add, "value", constant(col)));
    OK(deeptrack_feature_resolve(add, small, &out));
    const double *sum = NULL;
    size_t n_sum = 0;
    OK(deeptrack_image_data(out, &sum, &n_sum));
    CHECK(n_sum == 12 && sum[0] == 11 && sum[3] == 14 && sum[4] == 21 && sum[11] == 34);
    deeptrack_image_free(out);
    out = NULL;
    deeptrack_image_free(small);
    deeptrack_feature_free(add);
    deeptrack_image_free(wide);

    deeptrack_feature *rep = NULL;
    OK(deeptrack_feature_new("DummyFeature", &f));
    OK(deeptrack_feature_repeat(f, 2, &rep));
    FAILS(deeptrack_feature_set_property(rep, "N", constant_float(2.5)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'N' of feature 'Repeat': expected a non-negative integer, got 2.5");
    FAILS(deeptrack_feature_set_property(rep, "N", constant_float(1e300)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'N' of feature 'Repeat': 1e300 exceeds the maximum of 1000000");
    FAILS(deeptrack_feature_set_property(rep, "N", constant_float(2e6)), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "2000000 exceeds the maximum of 1000000");
    deeptrack_feature_free(rep);
    deeptrack_feature_free(f);
    deeptrack_image_free(input);
}

/* ---------------------------------------------------------------- what bindings need */

/* deeptrack_feature_has_property, deeptrack_rule_feature and deeptrack_image_push_properties: the
 * calls the Python package makes for `feature.key`, `X + Y` and `image.append({...})`. */
static void test_binding_support(void) {
    deeptrack_feature *g = NULL;
    OK(deeptrack_feature_new("Gaussian", &g));
    bool has = false;
    OK(deeptrack_feature_has_property(g, "sigma", &has));
    CHECK(has);
    OK(deeptrack_feature_has_property(g, "radius", &has));
    CHECK(!has);
    FAILS(deeptrack_feature_has_property(NULL, "sigma", &has), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    FAILS(deeptrack_feature_has_property(g, NULL, &has), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'key' is NULL");
    FAILS(deeptrack_feature_has_property(g, "sigma", NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'out' is NULL");
    FAILS(deeptrack_feature_has_property(g, "\xff", &has), DEEPTRACK_STATUS_INVALID_UTF8, "argument 'key' is not valid UTF-8");
    deeptrack_image *not_a_feature = zeros(1, 1);
    FAILS(deeptrack_feature_has_property((deeptrack_feature *)not_a_feature, "sigma", &has),
          DEEPTRACK_STATUS_INVALID_HANDLE, "deeptrack_feature");
    deeptrack_image_free(not_a_feature);
    deeptrack_feature_free(g);

    /* X + Y: Value([1, 2]) >> Add(value=<Value([10, 20])>). */
    double xs[2] = {1, 2}, ys[2] = {10, 20};
    size_t n2 = 2;
    deeptrack_value *xv = NULL, *yv = NULL;
    OK(deeptrack_value_new_array(xs, &n2, 1, &xv));
    OK(deeptrack_value_new_array(ys, &n2, 1, &yv));
    deeptrack_feature *x = NULL, *y = NULL, *add = NULL, *pipe = NULL;
    OK(deeptrack_feature_new("Value", &x));
    OK(deeptrack_feature_new("Value", &y));
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_feature_set_property(x, "value", constant(xv)));
    OK(deeptrack_feature_set_property(y, "value", constant(yv)));
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_feature(y, &r));
    OK(deeptrack_feature_set_property(add, "value", r));
    OK(deeptrack_feature_chain(x, add, &pipe));
    deeptrack_feature_free(y); /* the rule keeps it alive */
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &out));
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 2 && data[0] == 11 && data[1] == 22);
    deeptrack_image_free(out);
    /* The property's value is the source's output (here an ARRAY sharing nothing with the caller). */
    deeptrack_value *got = NULL;
    OK(deeptrack_feature_get_property(add, "value", &got));
    CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_ARRAY);
    CHECK(strcmp(repr(got), "array([10.0, 20.0])") == 0);
    deeptrack_value_free(got);
    FAILS(deeptrack_rule_feature(NULL, &r), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'source' is NULL");
    FAILS(deeptrack_rule_feature(add, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'out' is NULL");
    deeptrack_image *not_a_source = zeros(1, 1);
    FAILS(deeptrack_rule_feature((deeptrack_feature *)not_a_source, &r), DEEPTRACK_STATUS_INVALID_HANDLE,
          "argument 'source' is not a deeptrack_feature handle");
    deeptrack_image_free(not_a_source);
    OK(deeptrack_rule_feature(add, &r));
    FAILS(deeptrack_feature_set_property(add, "value", r), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'value' of feature 'Add': a feature cannot be the value of its own property");
    /* Two features as each other's values: the link that would close the loop is refused. */
    deeptrack_feature *mul = NULL;
    OK(deeptrack_feature_new("Multiply", &mul));
    OK(deeptrack_rule_feature(mul, &r));
    OK(deeptrack_feature_set_property(add, "value", r));
    OK(deeptrack_rule_feature(add, &r));
    FAILS(deeptrack_feature_set_property(mul, "value", r), DEEPTRACK_STATUS_CYCLE,
          "property 'value' of feature 'Multiply': feature 'Add' already depends on this feature");
    deeptrack_feature_free(mul);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(add);
    deeptrack_feature_free(x);

    /* Dicts of the caller's own, attached to an input, travel with the result and keep identity. */
    deeptrack_image *img = zeros(1, 2);
    deeptrack_value *one = NULL, *name = NULL;
    OK(deeptrack_value_new_int(1, &one));
    OK(deeptrack_value_new_string("pre", &name));
    const char *keys[2] = {"k", "name"};
    const deeptrack_value *values[2] = {one, name};
    const deeptrack_property_dict *pre = NULL;
    OK(deeptrack_image_push_properties(img, keys, values, 2, &pre));
    CHECK(strcmp(dict_repr(pre), "{'k': 1, 'name': 'pre'}") == 0);
    const deeptrack_property_dict *empty_dict = NULL;
    OK(deeptrack_image_push_properties(img, NULL, NULL, 0, &empty_dict));
    CHECK(empty_dict != NULL && deeptrack_property_dict_len(empty_dict) == 0);
    CHECK(deeptrack_image_property_count(img) == 2);
    deeptrack_feature *dummy = NULL;
    OK(deeptrack_feature_new("DummyFeature", &dummy));
    OK(deeptrack_feature_store_properties(dummy, true));
    OK(deeptrack_feature_resolve(dummy, img, &out));
    const deeptrack_property_dict *first = NULL;
    OK(deeptrack_image_property_dict(out, 0, &first));
    CHECK(first == pre);
    CHECK(deeptrack_image_property_count(out) == 3);
    deeptrack_image_free(out);

    const char *repeated[2] = {"k", "k"};
    FAILS(deeptrack_image_push_properties(img, repeated, values, 2, NULL), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "keys[1]: the key 'k' is repeated");
    const char *empty[1] = {""};
    FAILS(deeptrack_image_push_properties(img, empty, values, 1, NULL), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "keys[0] is empty");
    const char *bad_utf8[1] = {"\xc3"};
    FAILS(deeptrack_image_push_properties(img, bad_utf8, values, 1, NULL), DEEPTRACK_STATUS_INVALID_UTF8,
          "argument 'keys[0]' is not valid UTF-8");
    const char *null_key[1] = {NULL};
    FAILS(deeptrack_image_push_properties(img, null_key, values, 1, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'keys[0]' is NULL");
    const deeptrack_value *null_value[1] = {NULL};
    FAILS(deeptrack_image_push_properties(img, keys, null_value, 1, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'values[0]' is NULL");
    FAILS(deeptrack_image_push_properties(img, NULL, values, 1, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'keys' is NULL");
    FAILS(deeptrack_image_push_properties(img, keys, NULL, 1, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'values' is NULL");
    FAILS(deeptrack_image_push_properties((deeptrack_image *)dummy, keys, values, 1, NULL),
          DEEPTRACK_STATUS_INVALID_HANDLE, "argument 'img' is not a deeptrack_image handle");
    FAILS(deeptrack_image_push_properties(NULL, keys, values, 2, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'img' is NULL");
    CHECK(deeptrack_image_property_count(img) == 2); /* failed calls appended nothing */
    deeptrack_feature_free(dummy);
    /* The dict holds copies: it outlives the caller's values (valgrind checks the reads). */
    deeptrack_value *temporary = NULL;
    OK(deeptrack_value_new_string("kept", &temporary));
    const char *temporary_key[1] = {"t"};
    const deeptrack_value *temporary_value[1] = {temporary};
    const deeptrack_property_dict *copied = NULL;
    OK(deeptrack_image_push_properties(img, temporary_key, temporary_value, 1, &copied));
    deeptrack_value_free(temporary);
    CHECK(strcmp(dict_repr(copied), "{'t': 'kept'}") == 0);
    CHECK(deeptrack_image_property_count(img) == 3);
    deeptrack_value_free(one);
    deeptrack_value_free(name);
    deeptrack_image_free(img);
}

/* ---------------------------------------------------------------- batches */

static deeptrack_status sample_two(void *u, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)u;
    double x = 0;
    deeptrack_status s = deeptrack_context_uniform(ctx, &x);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_new_float(2 + x, out);
}

static deeptrack_status get_double(void *u, const deeptrack_image *in, const deeptrack_property_dict *p,
                                   deeptrack_image **out) {
    (void)u, (void)p;
    size_t shape[1] = {1};
    double v = 0;
    if (in != NULL) deeptrack_image_copy_to(in, &v, 1);
    v *= 2;
    return deeptrack_image_new(&v, shape, 1, out);
}

/* deeptrack_feature_resolve_batch and the thread-safe callback registrations. */
static void test_batch(void) {
    deeptrack_feature *add = NULL, *twice = NULL, *pipe = NULL;
    OK(deeptrack_feature_new("Add", &add));
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_callback_threadsafe(sample_two, NULL, NULL, &r));
    OK(deeptrack_feature_set_property(add, "value", r));
    OK(deeptrack_feature_new_custom_threadsafe("Twice", get_double, NULL, NULL, &twice));
    OK(deeptrack_feature_chain(add, twice, &pipe));
    double zero = 0;
    size_t one = 1;
    deeptrack_image *input = NULL, *a[6], *b[6];
    OK(deeptrack_image_new(&zero, &one, 1, &input));
    OK(deeptrack_feature_resolve_batch(pipe, input, 7, 0, 6, 1, a));
    OK(deeptrack_feature_resolve_batch(pipe, input, 7, 0, 2, 2, b));
    OK(deeptrack_feature_resolve_batch(pipe, input, 7, 2, 4, 0, b + 2));
    for (int i = 0; i < 6; i++) {
        double x = 0, y = 0;
        OK(deeptrack_image_copy_to(a[i], &x, 1));
        OK(deeptrack_image_copy_to(b[i], &y, 1));
        CHECK(x == y);           /* item i depends only on (pipeline, seed, i) */
        CHECK(x >= 4 && x < 6);  /* 2 * (0 + U[2, 3)) */
        if (i > 0) {
            double prev = 0;
            OK(deeptrack_image_copy_to(a[i - 1], &prev, 1));
            CHECK(prev != x);
        }
    }
    for (int i = 0; i < 6; i++) {
        deeptrack_image_free(a[i]);
        deeptrack_image_free(b[i]);
    }
    OK(deeptrack_feature_resolve_batch(pipe, input, 7, 0, 0, 0, NULL)); /* nothing to do */
    FAILS(deeptrack_feature_resolve_batch(pipe, input, 7, 0, 2, 1, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'out' is NULL");
    FAILS(deeptrack_feature_resolve_batch(NULL, input, 7, 0, 2, 1, a), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'f' is NULL");
    deeptrack_feature *dummy = NULL;
    OK(deeptrack_feature_new("DummyFeature", &dummy));
    FAILS(deeptrack_feature_resolve_batch(dummy, NULL, 7, 3, 2, 1, a), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "batch item 3 produced no image");
    FAILS(deeptrack_rule_callback_threadsafe(NULL, NULL, NULL, &r), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'fn' is NULL");
    FAILS(deeptrack_feature_new_custom_threadsafe("X", NULL, NULL, NULL, &dummy), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'get' is NULL");
    deeptrack_feature_free(dummy);
    deeptrack_image_free(input);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(twice);
    deeptrack_feature_free(add);
}

/* Add ^ 20000 with stored properties: 20001 dicts, shared by reference inside the library, read by
 * index in order (each read is O(1): the first lays the list out once), merged and looked up. */
static void test_long_property_lists(void) {
    enum { N = 20000 };
    deeptrack_feature *add = NULL, *rep = NULL;
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_feature_set_property(add, "value", constant_float(1)));
    OK(deeptrack_feature_repeat(add, N, &rep));
    OK(deeptrack_feature_store_properties(rep, true));
    deeptrack_image *input = zeros(1, 1), *out = NULL;
    OK(deeptrack_feature_resolve(rep, input, &out));
    double x = 0;
    OK(deeptrack_image_copy_to(out, &x, 1));
    CHECK(x == N);
    CHECK(deeptrack_image_property_count(out) == N + 1);
    int wrong = 0;
    for (size_t i = 0; i < N; i++) {
        const deeptrack_property_dict *d = NULL;
        const deeptrack_value *id = NULL;
        int64_t k = -1;
        if (deeptrack_image_property_dict(out, i, &d) != DEEPTRACK_STATUS_OK ||
            deeptrack_property_dict_get(d, "_ID", &id) != DEEPTRACK_STATUS_OK || deeptrack_value_list_len(id) != 1 ||
            deeptrack_value_as_int(deeptrack_value_list_get(id, 0), &k) != DEEPTRACK_STATUS_OK || k != (int64_t)i)
            wrong++;
    }
    CHECK(wrong == 0); /* dict i is repetition i's, in order */
    const deeptrack_property_dict *first = NULL, *middle = NULL, *last = NULL;
    OK(deeptrack_image_property_dict(out, 0, &first));
    OK(deeptrack_image_property_dict(out, N / 2, &middle));
    OK(deeptrack_image_property_dict(out, N, &last));
    CHECK(strcmp(dict_repr(first), "{'value': 1.0, 'name': 'Add', '_ID': [0]}") == 0);
    CHECK(strcmp(dict_repr(last), "{'N': 20000, 'name': 'Repeat'}") == 0);
    FAILS(deeptrack_image_property_dict(out, N + 1, &last), DEEPTRACK_STATUS_OUT_OF_RANGE,
          "index 20001 is out of range: the image has 20001 dicts");

    /* All matches, in order. */
    deeptrack_value *ids = NULL;
    OK(deeptrack_image_get_property(out, "_ID", false, &ids));
    CHECK(deeptrack_value_list_len(ids) == N);
    int64_t k = -1;
    OK(deeptrack_value_as_int(deeptrack_value_list_get(deeptrack_value_list_get(ids, N - 1), 0), &k));
    CHECK(k == N - 1);
    deeptrack_value_free(ids);

    /* Merged into an empty image: the same dicts, once each; merged again: nothing added. */
    deeptrack_image *copy = zeros(1, 1);
    OK(deeptrack_image_merge_properties_from(copy, out));
    OK(deeptrack_image_merge_properties_from(copy, out));
    CHECK(deeptrack_image_property_count(copy) == N + 1);
    const deeptrack_property_dict *same = NULL;
    OK(deeptrack_image_property_dict(copy, N / 2, &same));
    CHECK(same == middle);
    /* Its list now extends with a dict of its own; the resolved image's list is unchanged. */
    OK(deeptrack_image_append_properties(copy, first));
    CHECK(deeptrack_image_property_count(copy) == N + 2);
    CHECK(deeptrack_image_property_count(out) == N + 1);
    OK(deeptrack_image_property_dict(copy, N + 1, &same));
    CHECK(same == first);
    OK(deeptrack_image_merge_properties_from(out, copy)); /* `first` is there already */
    CHECK(deeptrack_image_property_count(out) == N + 1);

    deeptrack_image_free(copy);
    deeptrack_image_free(out);
    deeptrack_image_free(input);
    deeptrack_feature_free(rep);
    deeptrack_feature_free(add);
}

/* A property set to a number. */
static void set_float(deeptrack_feature *f, const char *key, double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    OK(deeptrack_feature_set_property(f, key, constant(v)));
}

/* Resolves `f` on a 0-d image holding `x` (with and without stored properties): the result must be
 * 0-d too. Returns its value (NAN if it is not 0-d). */
static double resolve_0d(deeptrack_feature *f, double x, const char *kind) {
    deeptrack_image *in = NULL, *out = NULL;
    OK(deeptrack_image_new(&x, NULL, 0, &in));
    double value = NAN;
    for (int store = 0; store <= 1; store++) {
        OK(deeptrack_feature_store_properties(f, store));
        OK(deeptrack_feature_update(f));
        OK(deeptrack_feature_resolve(f, in, &out));
        size_t ndim = deeptrack_image_ndim(out);
        if (ndim != 0) fprintf(stderr, "%s: a 0-d input gives %zu dimensions\n", kind, ndim);
        CHECK(ndim == 0);
        CHECK(deeptrack_image_property_count(out) == (store ? 1u : 0u) || strcmp(kind, "Chain") == 0 ||
              strcmp(kind, "Repeat") == 0);
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out, &data, &len));
        CHECK(len == 1);
        if (ndim == 0 && len == 1) value = data[0];
        deeptrack_image_free(out);
    }
    deeptrack_image_free(in);
    return value;
}

/* DeepTrack2 keeps a 0-d input 0-d through every built-in that accepts one (checked with 2.0.1 itself:
 * arithmetic, math, noise, augmentations, DummyFeature, Value, chains and repeats); those that do
 * not accept one fail there too (AverageBlur, a flip that flips, Pad with more than one pair). The
 * table holds per-kind expectations (results DeepTrack2 gives), not a list of the registry's kinds. */
static void test_zero_d_inputs(void) {
    struct {
        const char *kind;
        const char *key[2];
        double value[2];
        double expected; /* NAN: any finite value (noise), INFINITY: NaN expected */
    } cases[] = {
        {"DummyFeature", {NULL}, {0}, 2},
        {"Value", {"value"}, {3}, 3},
        {"Add", {"value"}, {1}, 3},
        {"Subtract", {"value"}, {1}, 1},
        {"Multiply", {"value"}, {2}, 4},
        {"Divide", {"value"}, {4}, 0.5},
        {"FloorDivide", {"value"}, {4}, 0},
        {"Power", {"value"}, {3}, 8},
        {"GreaterThan", {"value"}, {1}, 1},
        {"LessThan", {"value"}, {1}, 0},
        {"GreaterThanOrEquals", {"value"}, {2}, 1},
        {"LessThanOrEquals", {"value"}, {1}, 0},
        {"Equals", {"value"}, {2}, 1},
        {"Clip", {"min", "max"}, {0, 1}, 1},
        {"NormalizeMinMax", {NULL}, {0}, 0},
        {"NormalizeStandard", {NULL}, {0}, INFINITY},
        {"GaussianBlur", {"sigma"}, {1}, 2},
        {"AveragePooling", {"ksize"}, {2}, 2},
        {"MaxPooling", {"ksize"}, {2}, 2},
        {"MinPooling", {"ksize"}, {2}, 2},
        {"SumPooling", {"ksize"}, {2}, 2},
        {"Gaussian", {"sigma"}, {0.1}, NAN},
        {"Poisson", {"snr"}, {10}, NAN},
        {"Background", {"offset"}, {1}, 3},
        {"Offset", {"offset"}, {-1}, 1},
        {"FlipLR", {"p"}, {0}, 2},
        {"FlipUD", {"p"}, {0}, 2},
        {"FlipDiagonal", {"p"}, {0}, 2},
        {"Crop", {"crop"}, {1}, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        deeptrack_feature *f = NULL;
        OK(deeptrack_feature_new(cases[i].kind, &f));
        for (int k = 0; k < 2 && cases[i].key[k]; k++) set_float(f, cases[i].key[k], cases[i].value[k]);
        double got = resolve_0d(f, 2, cases[i].kind);
        double want = cases[i].expected;
        int good = isnan(want) ? isfinite(got) : isinf(want) ? isnan(got) : got == want;
        if (!good) fprintf(stderr, "%s on a 0-d 2: got %g, expected %g\n", cases[i].kind, got, want);
        CHECK(good);
        deeptrack_feature_free(f);
    }
    /* Pad with one (before, after) pair: unchanged (numpy broadcasts it over no axes). */
    deeptrack_feature *pad = NULL;
    OK(deeptrack_feature_new("Pad", &pad));
    double px[2] = {1, 1};
    size_t two = 2;
    deeptrack_value *pv = NULL;
    OK(deeptrack_value_new_array(px, &two, 1, &pv));
    OK(deeptrack_feature_set_property(pad, "px", constant(pv)));
    CHECK(resolve_0d(pad, 2, "Pad") == 2);
    /* An arithmetic value that is itself a 0-d array. */
    deeptrack_feature *add = NULL;
    OK(deeptrack_feature_new("Add", &add));
    double half = 0.5;
    deeptrack_value *hv = NULL;
    OK(deeptrack_value_new_array(&half, NULL, 0, &hv));
    OK(deeptrack_feature_set_property(add, "value", constant(hv)));
    CHECK(resolve_0d(add, 2, "Add") == 2.5);
    /* Chains and repeats: Add(0.5) ^ 3 >> Pad. */
    deeptrack_feature *rep = NULL, *chain = NULL;
    OK(deeptrack_feature_repeat(add, 3, &rep));
    OK(deeptrack_feature_chain(rep, pad, &chain));
    CHECK(resolve_0d(rep, 2, "Repeat") == 3.5);
    CHECK(resolve_0d(chain, 2, "Chain") == 3.5);
    /* A batch on a 0-d input. */
    double x = 1;
    deeptrack_image *in = NULL, *out[3] = {NULL};
    OK(deeptrack_image_new(&x, NULL, 0, &in));
    OK(deeptrack_feature_resolve_batch(chain, in, 1, 0, 3, 2, out));
    for (int i = 0; i < 3; i++) {
        CHECK(deeptrack_image_ndim(out[i]) == 0);
        deeptrack_image_free(out[i]);
    }
    /* What DeepTrack2 refuses on a 0-d input is an error here too, with the reason. */
    deeptrack_feature *blur = NULL, *flip = NULL;
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_new("AverageBlur", &blur));
    FAILS(deeptrack_feature_resolve(blur, in, &img), DEEPTRACK_STATUS_INVALID_ARGUMENT, "at least 1 axis");
    OK(deeptrack_feature_new("FlipLR", &flip));
    set_float(flip, "p", 1);
    FAILS(deeptrack_feature_resolve(flip, in, &img), DEEPTRACK_STATUS_INVALID_ARGUMENT, "at least 2 axes");
    double pairs[4] = {1, 1, 1, 1};
    size_t four = 4;
    OK(deeptrack_value_new_array(pairs, &four, 1, &pv));
    OK(deeptrack_feature_set_property(pad, "px", constant(pv)));
    FAILS(deeptrack_feature_resolve(pad, in, &img), DEEPTRACK_STATUS_INVALID_ARGUMENT, "at most 0 axes");
    deeptrack_image_free(in);
    deeptrack_feature_free(blur);
    deeptrack_feature_free(flip);
    deeptrack_feature_free(pad);
    deeptrack_feature_free(add);
    deeptrack_feature_free(rep);
    deeptrack_feature_free(chain);
}

/* ---------------------------------------------------------------- array kinds by name */

static void set_string(deeptrack_feature *f, const char *key, const char *text) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string(text, &v));
    OK(deeptrack_feature_set_property(f, key, constant(v)));
}

static void set_ints(deeptrack_feature *f, const char *key, const long long *items, size_t n) {
    deeptrack_value *list = NULL;
    OK(deeptrack_value_new_list(&list));
    for (size_t i = 0; i < n; i++) {
        deeptrack_value *item = NULL;
        OK(deeptrack_value_new_int(items[i], &item));
        OK(deeptrack_value_list_push(list, item));
        deeptrack_value_free(item);
    }
    OK(deeptrack_feature_set_property(f, key, constant(list)));
}

/* Resolves `f` on the (rows, cols) image `data`; checks the output's shape and samples. */
static void check_output(deeptrack_feature *f, const double *data, size_t rows, size_t cols, const size_t *shape,
                         size_t ndim, const double *want, size_t n, const char *what) {
    size_t in_shape[2] = {rows, cols};
    deeptrack_image *in = NULL, *out = NULL;
    OK(deeptrack_image_new(data, in_shape, 2, &in));
    OK(deeptrack_feature_resolve(f, in, &out));
    size_t got_shape[8] = {0};
    const double *got = NULL;
    size_t len = 0;
    int good = out != NULL && deeptrack_image_ndim(out) == ndim;
    if (good) {
        OK(deeptrack_image_shape(out, got_shape, 8));
        OK(deeptrack_image_data(out, &got, &len));
        for (size_t a = 0; a < ndim; a++) good &= got_shape[a] == shape[a];
        good &= len == n;
        for (size_t i = 0; good && i < n; i++) good &= got[i] == want[i];
    }
    if (!good) fprintf(stderr, "%s: unexpected output\n", what);
    CHECK(good);
    deeptrack_image_free(in);
    deeptrack_image_free(out);
}

static void test_array_kinds(void) {
    const double a[6] = {0, 1, 4, 2, -3, 5}; /* (2, 3) */
    deeptrack_feature *f = NULL;

    /* Pad in numpy's "reflect" mode: np.pad(a, ((1, 0), (0, 2)), mode="reflect"). */
    OK(deeptrack_feature_new("Pad", &f));
    double px[4] = {1, 0, 0, 2};
    size_t four = 4, pad_shape[2] = {3, 5};
    deeptrack_value *pv = NULL;
    OK(deeptrack_value_new_array(px, &four, 1, &pv));
    OK(deeptrack_feature_set_property(f, "px", constant(pv)));
    set_string(f, "mode", "reflect");
    const double padded[15] = {2, -3, 5, -3, 2, 0, 1, 4, 1, 0, 2, -3, 5, -3, 2};
    check_output(f, a, 2, 3, pad_shape, 2, padded, 15, "Pad(mode='reflect')");
    deeptrack_feature_free(f);

    /* Transpose by its alias, with explicit axes; ExpandDims then Squeeze. */
    OK(deeptrack_feature_new("Permute", &f));
    const long long axes[2] = {1, 0};
    set_ints(f, "axes", axes, 2);
    size_t t_shape[2] = {3, 2};
    const double transposed[6] = {0, 2, 1, -3, 4, 5};
    check_output(f, a, 2, 3, t_shape, 2, transposed, 6, "Permute(axes=(1, 0))");
    deeptrack_feature_free(f);
    OK(deeptrack_feature_new("ExpandDims", &f));
    size_t e_shape[3] = {2, 3, 1};
    check_output(f, a, 2, 3, e_shape, 3, a, 6, "ExpandDims()");
    deeptrack_feature_free(f);

    /* AsType to uint8 wraps as numpy does; the values stay doubles. */
    OK(deeptrack_feature_new("AsType", &f));
    set_string(f, "dtype", "uint8");
    const double b[4] = {-1.5, 300.7, 2.9, 255};
    size_t b_shape[2] = {2, 2};
    const double cast[4] = {255, 44, 2, 255};
    check_output(f, b, 2, 2, b_shape, 2, cast, 4, "AsType('uint8')");
    deeptrack_feature_free(f);

    /* OneHot: the last axis of one is replaced by the classes. */
    OK(deeptrack_feature_new("OneHot", &f));
    set_float(f, "num_classes", 3);
    const double classes[2] = {2, 0};
    size_t o_shape[2] = {2, 3};
    const double onehot[6] = {0, 0, 1, 1, 0, 0};
    check_output(f, classes, 2, 1, o_shape, 2, onehot, 6, "OneHot(3)");
    deeptrack_feature_free(f);

    /* MedianBlur and MedianPooling: scipy's median_filter(a, size=3), skimage's block_reduce. */
    OK(deeptrack_feature_new("MedianBlur", &f));
    size_t a_shape[2] = {2, 3};
    const double median[6] = {0, 1, 4, 1, 2, 4};
    check_output(f, a, 2, 3, a_shape, 2, median, 6, "MedianBlur(3)");
    deeptrack_feature_free(f);
    OK(deeptrack_feature_new("MedianPooling", &f));
    set_float(f, "ksize", 2);
    size_t m_shape[2] = {1, 2};
    const double pooled[2] = {0.5, 2}; /* the second block: 4, 5 and two zeros of padding */
    check_output(f, a, 2, 3, m_shape, 2, pooled, 2, "MedianPooling(2)");
    deeptrack_feature_free(f);

    /* NormalizeQuantile: np.quantile(a, (0.25, 0.75, 0.5)) = (0.25, 3.5, 1.5). */
    OK(deeptrack_feature_new("NormalizeQuantile", &f));
    double nq[6];
    for (int i = 0; i < 6; i++) nq[i] = (a[i] - 1.5) / 3.25;
    check_output(f, a, 2, 3, a_shape, 2, nq, 6, "NormalizeQuantile()");
    deeptrack_feature_free(f);

    /* PadToMultiplesOf: (2, 3) up to (4, 3): one row of zeros before and one after. */
    OK(deeptrack_feature_new("PadToMultiplesOf", &f));
    const long long multiple[2] = {4, -1};
    set_ints(f, "multiple", multiple, 2);
    size_t p_shape[2] = {4, 3};
    const double to_multiple[12] = {0, 0, 0, 0, 1, 4, 2, -3, 5, 0, 0, 0};
    check_output(f, a, 2, 3, p_shape, 2, to_multiple, 12, "PadToMultiplesOf((4, -1))");
    deeptrack_feature_free(f);

    /* Affine: a shift by one column (translate_px = (dx, dy) = (1, 0)), nearest, constant borders. */
    OK(deeptrack_feature_new("Affine", &f));
    double shift[2] = {1, 0};
    size_t two = 2;
    deeptrack_value *sv = NULL;
    OK(deeptrack_value_new_array(shift, &two, 1, &sv));
    OK(deeptrack_feature_set_property(f, "translate_px", constant(sv)));
    set_float(f, "order", 0);
    set_string(f, "mode", "constant");
    set_float(f, "cval", 9);
    const double shifted[6] = {9, 0, 1, 9, 2, -3};
    check_output(f, a, 2, 3, a_shape, 2, shifted, 6, "Affine(translate_px=(1, 0))");
    deeptrack_feature_free(f);

    /* Errors name the feature and the property. */
    OK(deeptrack_feature_new("MoveAxis", &f));
    const long long source = 0, destination = 5;
    set_ints(f, "source", &source, 1);
    set_ints(f, "destination", &destination, 1);
    deeptrack_image *in = zeros(2, 2), *out = NULL;
    FAILS(deeptrack_feature_resolve(f, in, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'destination' of feature 'MoveAxis': axis 5 is out of bounds for an image with 2 axes");
    deeptrack_image_free(in);
    deeptrack_feature_free(f);
}

/* The registry of kinds, enumerated: every kind builds (or asks for its features), its defaults are
 * the new feature's properties, and the parameters say their type, limits, flags and choices. */
static void test_kinds(void) {
    size_t count = deeptrack_kind_count(), built = 0, composed = 0;
    CHECK(count >= 40);
    for (size_t k = 0; k < count; k++) {
        const char *name = NULL, *module = NULL, *doc = NULL;
        size_t params = 0, features = 0;
        OK(deeptrack_kind_name(k, &name));
        OK(deeptrack_kind_module(k, &module));
        OK(deeptrack_kind_doc(k, &doc));
        const char *base = NULL;
        OK(deeptrack_kind_base(k, &base));
        CHECK(base != NULL && strcmp(base, name) != 0); /* "" (the module's base) or another class */
        OK(deeptrack_kind_param_count(k, &params));
        CHECK(strlen(name) > 0 && strlen(module) > 0 && strlen(doc) > 0);
        size_t found = count;
        OK(deeptrack_kind_find(name, &found));
        CHECK(found == k);
        for (size_t p = 0; p < params; p++) {
            uint32_t type = 0, flags = 0;
            OK(deeptrack_kind_param_type(k, p, &type));
            OK(deeptrack_kind_param_flags(k, p, &flags));
            /* Features a kind cannot be made without (`Sin`'s feature and SampleToMasks'
             * transformations may be left out), functions (Blur's filter_function) among them. */
            features += (type == DEEPTRACK_PARAM_FEATURE || type == DEEPTRACK_PARAM_FEATURES ||
                         type == DEEPTRACK_PARAM_CALLBACK) &&
                        (flags & DEEPTRACK_PARAM_FLAG_REQUIRED);
        }
        deeptrack_feature *f = NULL;
        if (features > 0) {
            composed++;
            FAILS(deeptrack_feature_new(name, &f), DEEPTRACK_STATUS_INVALID_ARGUMENT, "feature");
            continue;
        }
        OK(deeptrack_feature_new(name, &f));
        built++;
        for (size_t p = 0; p < params; p++) {
            const char *param = NULL;
            uint32_t flags = 0;
            deeptrack_value *def = NULL, *got = NULL;
            OK(deeptrack_kind_param_name(k, p, &param));
            OK(deeptrack_kind_param_flags(k, p, &flags));
            OK(deeptrack_kind_param_default(k, p, &def));
            deeptrack_status s = deeptrack_feature_get_property(f, param, &got);
            if (flags & (DEEPTRACK_PARAM_FLAG_ONLY_DEFAULT | DEEPTRACK_PARAM_FLAG_OPTIONAL | DEEPTRACK_PARAM_FLAG_REQUIRED)) {
                CHECK(s == DEEPTRACK_STATUS_NOT_FOUND); /* not a property unless set */
            } else if (flags & DEEPTRACK_PARAM_FLAG_SAMPLED) {
                CHECK(s == DEEPTRACK_STATUS_OK && def == NULL);
            } else if (flags & DEEPTRACK_PARAM_FLAG_REQUIRED) {
                CHECK(s == DEEPTRACK_STATUS_NOT_FOUND && def == NULL); /* Stack's value: none until set */
            } else {
                CHECK(s == DEEPTRACK_STATUS_OK && def != NULL);
                if (s == DEEPTRACK_STATUS_OK && def != NULL) {
                    char want[256];
                    snprintf(want, sizeof want, "%s", repr(def));
                    CHECK(strcmp(want, repr(got)) == 0);
                }
            }
            deeptrack_value_free(def);
            deeptrack_value_free(got);
        }
        deeptrack_feature_free(f);
    }
    CHECK(built + composed == count); /* the others take features (Chain, Repeat, Combine, ...) */
    CHECK(composed >= 3);

    /* One kind in detail: GaussianBlur's sigma. */
    size_t k = 0, n = 0;
    const char *s = NULL;
    uint32_t type = 0, flags = 0;
    double lo = 0, hi = 0;
    deeptrack_value *def = NULL;
    OK(deeptrack_kind_find("GaussianBlur", &k));
    OK(deeptrack_kind_module(k, &s));
    CHECK(strcmp(s, "math") == 0);
    /* per-kind expectations: DeepTrack2 2.0.1's base classes: GaussianBlur is a Blur, Add an ArithmeticOperationFeature, a
     * named Zernike term a Zernike, CropTight a Feature only; Sum has its module's base (Reducer). */
    OK(deeptrack_kind_base(k, &s));
    CHECK(strcmp(s, "Blur") == 0);
    {
        static const char *const bases[][2] = {
            {"Add", "ArithmeticOperationFeature"}, {"Equal", "ArithmeticOperationFeature"},
            {"Defocus", "Zernike"}, {"Darkfield", "Brightfield"}, {"CropTight", "Feature"},
            {"Sum", ""}, {"Gaussian", ""},
        };
        for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
            size_t b = 0;
            OK(deeptrack_kind_find(bases[i][0], &b));
            OK(deeptrack_kind_base(b, &s));
            CHECK(strcmp(s, bases[i][1]) == 0);
        }
    }
    /* DeepTrack2 2.0.1 gives a 0-d array for GaussianBlur (scipy's) and FlipLR (its input), a number
     * for Add and Sum (numpy's). */
    bool zero_d = false;
    OK(deeptrack_kind_zero_d_array(k, &zero_d));
    CHECK(zero_d);
    OK(deeptrack_kind_find("FlipLR", &n));
    OK(deeptrack_kind_zero_d_array(n, &zero_d));
    CHECK(zero_d);
    OK(deeptrack_kind_find("Add", &n));
    OK(deeptrack_kind_zero_d_array(n, &zero_d));
    CHECK(!zero_d);
    OK(deeptrack_kind_find("Sum", &n));
    OK(deeptrack_kind_zero_d_array(n, &zero_d));
    CHECK(!zero_d);
    /* The comparisons' results are numpy's bools (GreaterThan, and Equal as Equals' alias); Add's are not. */
    bool bools = false;
    OK(deeptrack_kind_find("GreaterThan", &n));
    OK(deeptrack_kind_bool_output(n, &bools));
    CHECK(bools);
    OK(deeptrack_kind_find("Equal", &n));
    OK(deeptrack_kind_bool_output(n, &bools));
    CHECK(bools);
    OK(deeptrack_kind_find("Add", &n));
    OK(deeptrack_kind_bool_output(n, &bools));
    CHECK(!bools);
    OK(deeptrack_kind_param_count(k, &n));
    CHECK(n == 4); /* sigma, then mode, cval and scipy's truncate */
    OK(deeptrack_kind_param_name(k, 3, &s));
    CHECK(strcmp(s, "truncate") == 0);
    OK(deeptrack_kind_param_name(k, 0, &s));
    CHECK(strcmp(s, "sigma") == 0);
    OK(deeptrack_kind_param_doc(k, 0, &s));
    CHECK(strstr(s, "standard deviation") != NULL);
    OK(deeptrack_kind_param_type(k, 0, &type));
    CHECK(type == DEEPTRACK_PARAM_VECTOR); /* one sigma, or one per axis (scipy's) */
    OK(deeptrack_kind_param_flags(k, 0, &flags));
    CHECK(flags == 0); /* sigma = 0 is allowed: the input unchanged */
    OK(deeptrack_kind_param_limits(k, 0, &lo, &hi));
    CHECK(lo == 0 && hi == 1e6);
    OK(deeptrack_kind_param_default(k, 0, &def));
    CHECK(strcmp(repr(def), "2") == 0); /* DeepTrack2 2.0.1's int 2 */
    {
        /* An int default reads back through the number getters; the feature holds it as an int and
         * takes a float (and an int) where it expects a number. */
        double x = 0;
        int64_t i = 0;
        deeptrack_feature *blur = NULL;
        deeptrack_value *got = NULL, *v = NULL;
        deeptrack_rule *r = NULL;
        CHECK(deeptrack_value_kind(def) == DEEPTRACK_VALUE_KIND_INT);
        OK(deeptrack_value_as_float(def, &x));
        OK(deeptrack_value_as_int(def, &i));
        CHECK(x == 2.0 && i == 2);
        OK(deeptrack_feature_new("GaussianBlur", &blur));
        OK(deeptrack_feature_get_property(blur, "sigma", &got));
        CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_INT);
        OK(deeptrack_value_as_float(got, &x));
        CHECK(x == 2.0);
        deeptrack_value_free(got);
        OK(deeptrack_value_new_float(1.5, &v));
        OK(deeptrack_rule_constant(v, &r));
        deeptrack_value_free(v);
        OK(deeptrack_feature_set_property(blur, "sigma", r));
        OK(deeptrack_value_new_int(3, &v));
        OK(deeptrack_rule_constant(v, &r));
        deeptrack_value_free(v);
        OK(deeptrack_feature_set_property(blur, "sigma", r));
        OK(deeptrack_feature_get_property(blur, "sigma", &got));
        CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_INT); /* as given */
        deeptrack_value_free(got);
        /* A tuple default (an optics' padding) reads as a list of numbers too. */
        deeptrack_feature *optics = NULL;
        size_t len = 0;
        OK(deeptrack_feature_new("Fluorescence", &optics));
        OK(deeptrack_feature_get_property(optics, "padding", &got));
        CHECK(deeptrack_value_kind(got) == DEEPTRACK_VALUE_KIND_TUPLE);
        len = deeptrack_value_list_len(got);
        CHECK(len == 4);
        if (len == 4) {
            OK(deeptrack_value_as_float(deeptrack_value_list_get(got, 0), &x));
            CHECK(x == 10.0);
        }
        deeptrack_value_free(got);
        deeptrack_feature_free(optics);
        deeptrack_feature_free(blur);
    }
    deeptrack_value_free(def);
    OK(deeptrack_kind_positional_count(k, &n));
    CHECK(n == 1);
    OK(deeptrack_kind_positional(k, 0, &s));
    CHECK(strcmp(s, "sigma") == 0);

    /* Aliases find their kind. */
    size_t equals = 0, equal = 1;
    OK(deeptrack_kind_find("Equals", &equals));
    OK(deeptrack_kind_find("Equal", &equal));
    CHECK(equals == equal);
    OK(deeptrack_kind_alias_count(equals, &n));
    CHECK(n == 1);
    OK(deeptrack_kind_alias(equals, 0, &s));
    CHECK(strcmp(s, "Equal") == 0);

    /* Choices, vectors, flags. */
    OK(deeptrack_kind_find("Crop", &k));
    OK(deeptrack_kind_param_type(k, 2, &type)); /* crop_mode, after time_consistent and crop */
    CHECK(type == DEEPTRACK_PARAM_STRING);
    OK(deeptrack_kind_param_choice_count(k, 2, &n));
    CHECK(n == 2);
    OK(deeptrack_kind_param_choice(k, 2, 1, &s));
    CHECK(strcmp(s, "remove") == 0);
    OK(deeptrack_kind_positional(k, 0, &s)); /* 2.0.1's Crop(*args) gives them to time_consistent */
    CHECK(strcmp(s, "time_consistent") == 0);
    OK(deeptrack_kind_find("Fluorescence", &k));
    size_t min_len = 0, max_len = 0;
    OK(deeptrack_kind_param_length(k, 5, &min_len, &max_len)); /* padding */
    CHECK(min_len == 4 && max_len == 4);
    OK(deeptrack_kind_positional(k, 2, &s));
    CHECK(strcmp(s, "magnification") == 0);
    OK(deeptrack_kind_find("Repeat", &k));
    OK(deeptrack_kind_param_flags(k, 0, &flags));
    CHECK(flags == DEEPTRACK_PARAM_FLAG_REQUIRED);
    OK(deeptrack_kind_param_flags(k, 1, &flags));
    CHECK(flags == DEEPTRACK_PARAM_FLAG_WHOLE);

    /* Bad indices and pointers. */
    FAILS(deeptrack_kind_name(count, &s), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_kind_param_name(k, 99, &s), DEEPTRACK_STATUS_OUT_OF_RANGE, "parameter index 99 is out of range (Repeat has 2 parameters)");
    FAILS(deeptrack_kind_alias(k, 0, &s), DEEPTRACK_STATUS_OUT_OF_RANGE, "alias index 0 is out of range (there are 0)");
    FAILS(deeptrack_kind_param_choice(k, 1, 0, &s), DEEPTRACK_STATUS_OUT_OF_RANGE, "choice index 0");
    FAILS(deeptrack_kind_find("NoSuchKind", &k), DEEPTRACK_STATUS_NOT_FOUND, "unknown feature kind 'NoSuchKind'");
    FAILS(deeptrack_kind_find("pointparticle", &k), DEEPTRACK_STATUS_NOT_FOUND,
          "unknown feature kind 'pointparticle' (did you mean 'PointParticle'?)");
    FAILS(deeptrack_kind_find(NULL, &k), DEEPTRACK_STATUS_NULL_ARGUMENT, "name");
    FAILS(deeptrack_kind_doc(0, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    FAILS(deeptrack_kind_base(0, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    FAILS(deeptrack_kind_zero_d_array(0, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    FAILS(deeptrack_kind_zero_d_array(count, &zero_d), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_kind_bool_output(0, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    FAILS(deeptrack_kind_bool_output(count, &zero_d), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_kind_base(count, &s), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_kind_param_limits(0, 0, &lo, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "max");
    FAILS(deeptrack_kind_param_length(0, 0, NULL, &max_len), DEEPTRACK_STATUS_NULL_ARGUMENT, "min_len");
    FAILS(deeptrack_kind_param_default(0, 0, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    FAILS(deeptrack_kind_param_choice_count(count, 0, &n), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_kind_positional_count(count, &n), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_kind_param_doc(count, 0, &s), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_kind_param_type(count, 0, &type), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    FAILS(deeptrack_feature_new("Chain", &(deeptrack_feature *){NULL}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "Chain takes 2 features (feature_1, feature_2), got 0");
}

/* A point particle at `(row, col)`. */
static deeptrack_feature *point_at(double row, double col) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new("PointParticle", &f));
    double pos[2] = {row, col};
    size_t shape[1] = {2};
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_array(pos, shape, 1, &v));
    OK(deeptrack_feature_set_property(f, "position", constant(v)));
    return f;
}

/* SampleToMasks by kind name (the identity transformation) and built with a custom transformation. */
static void test_sample_to_masks(void) {
    deeptrack_feature *a = point_at(2.5, 3.5), *b = point_at(5.2, 6.0), *sample = NULL;
    OK(deeptrack_feature_chain(a, b, &sample));
    deeptrack_feature *masks = NULL, *pipeline = NULL;
    OK(deeptrack_feature_new("SampleToMasks", &masks));
    double region[4] = {0, 0, 8, 8};
    size_t four[1] = {4};
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_array(region, four, 1, &v));
    OK(deeptrack_feature_set_property(masks, "output_region", constant(v)));
    deeptrack_value *or_method = NULL;
    OK(deeptrack_value_new_string("or", &or_method));
    OK(deeptrack_feature_set_property(masks, "merge_method", constant(or_method)));
    OK(deeptrack_feature_chain(sample, masks, &pipeline));
    OK(deeptrack_feature_store_properties(pipeline, true));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipeline, NULL, &img));
    size_t shape[3] = {0};
    OK(deeptrack_image_shape(img, shape, 3));
    CHECK(deeptrack_image_ndim(img) == 3 && shape[0] == 8 && shape[1] == 8 && shape[2] == 1);
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &data, &len));
    double sum = 0;
    for (size_t i = 0; i < len; i++) sum += data[i];
    /* numpy's rounding, half to even: (2.5, 3.5) lands on (2, 4); (5.2, 6.0) on (5, 6). */
    CHECK(sum == 2 && data[2 * 8 + 4] == 1 && data[5 * 8 + 6] == 1);
    deeptrack_image_free(img);

    /* A custom transformation (each volume + offset 2), merged by "add". */
    deeptrack_feature *plus = custom("PlusTwo", add_offset), *with = NULL, *pipeline2 = NULL;
    OK(deeptrack_feature_set_property(plus, "offset", constant_float(2.0)));
    OK(deeptrack_feature_new_with("SampleToMasks", &plus, 1, &with));
    OK(deeptrack_value_new_array(region, four, 1, &v));
    OK(deeptrack_feature_set_property(with, "output_region", constant(v)));
    OK(deeptrack_feature_chain(sample, with, &pipeline2));
    OK(deeptrack_feature_store_properties(pipeline2, true));
    OK(deeptrack_feature_resolve(pipeline2, NULL, &img));
    OK(deeptrack_image_data(img, &data, &len));
    CHECK(len == 64 && data[2 * 8 + 4] == 3 && data[5 * 8 + 6] == 3);
    deeptrack_image_free(img);

    /* Bad input: an unknown merge method, masks without the sample's dicts, too many features. */
    deeptrack_value *max_method = NULL;
    OK(deeptrack_value_new_string("max", &max_method));
    deeptrack_rule *rule = constant(max_method);
    FAILS(deeptrack_feature_set_property(masks, "merge_method", rule), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'merge_method' of feature 'SampleToMasks': expected one of 'add', 'overwrite', 'or', 'mul', got 'max'");
    OK(deeptrack_feature_store_properties(pipeline, false));
    OK(deeptrack_feature_update(pipeline));
    FAILS(deeptrack_feature_resolve(pipeline, NULL, &img), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "sample image 0 carries no 'position'");
    FAILS(deeptrack_feature_new_with("SampleToMasks", NULL, 1, &with), DEEPTRACK_STATUS_NULL_ARGUMENT, "features");

    deeptrack_feature_free(pipeline2);
    deeptrack_feature_free(with);
    deeptrack_feature_free(plus);
    deeptrack_feature_free(pipeline);
    deeptrack_feature_free(masks);
    deeptrack_feature_free(sample);
    deeptrack_feature_free(a);
    deeptrack_feature_free(b);
}

int main(void) {
    test_errors();
    test_values();
    test_images();
    test_merge_and_append();
    test_rules();
    test_features();
    test_tutorial_semantics();
    test_misuse();
    test_first_mistakes();
    test_callback_lifetimes();
    test_binding_support();
    test_batch();
    test_long_property_lists();
    test_zero_d_inputs();
    test_kinds();
    test_sample_to_masks();
    test_array_kinds();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
