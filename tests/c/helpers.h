/* Small helpers the C tests share: constant rules, a built-in feature, a property set to a
 * constant, a resolve, a dict's name. Failures are counted by check.h's OK (include check.h first).
 * Static inline, so that a test using some of them compiles without unused-function warnings. */
#ifndef DEEPTRACK_TEST_HELPERS_H
#define DEEPTRACK_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

/* The built-in kind `kind` (NULL, with a failure counted, when it cannot be made). */
static inline deeptrack_feature *feature(const char *kind) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(kind, &f));
    return f;
}

/* A rule giving `v`, which it frees (NULL, with a failure counted, when `v` is NULL). */
static inline deeptrack_rule *constant_of(deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

/* A rule giving the number `x` (the caller frees it, or hands it to a property). */
static inline deeptrack_rule *constant_float(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return constant_of(v);
}

/* A rule giving the integer `x`. */
static inline deeptrack_rule *constant_int(int64_t x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_int(x, &v));
    return constant_of(v);
}

/* A rule giving the list of the `n` integers at `v`. */
static inline deeptrack_rule *constant_ints(const int64_t *v, size_t n) {
    deeptrack_value *list = NULL;
    OK(deeptrack_value_new_list(&list));
    for (size_t i = 0; i < n; i++) {
        deeptrack_value *item = NULL;
        OK(deeptrack_value_new_int(v[i], &item));
        OK(deeptrack_value_list_push(list, item));
        deeptrack_value_free(item);
    }
    return constant_of(list);
}

/* A rule giving the string `s`. */
static inline deeptrack_rule *constant_string(const char *s) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string(s, &v));
    return constant_of(v);
}

/* Sets `key` of `f` to the constant `v`, which it frees. */
static inline void set_value(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    OK(deeptrack_feature_set_property(f, key, constant_of(v)));
}

/* Sets `key` of `f` to the constant number `x`. */
static inline void set_float(deeptrack_feature *f, const char *key, double x) {
    OK(deeptrack_feature_set_property(f, key, constant_float(x)));
}

/* Sets `key` of `f` to the constant integer `i`. */
static inline void set_int(deeptrack_feature *f, const char *key, int64_t i) {
    OK(deeptrack_feature_set_property(f, key, constant_int(i)));
}

/* Sets `key` of `f` to the constant string `s`. */
static inline void set_string(deeptrack_feature *f, const char *key, const char *s) {
    OK(deeptrack_feature_set_property(f, key, constant_string(s)));
}

/* Sets `key` of `f` to the constant 1-D array of the `n` numbers at `x`. */
static inline void set_vector(deeptrack_feature *f, const char *key, const double *x, size_t n) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_array(x, &n, 1, &v));
    set_value(f, key, v);
}

/* `f` resolved on `input` (NULL for none); NULL, with a failure counted, when it fails. */
static inline deeptrack_image *resolve(deeptrack_feature *f, deeptrack_image *input) {
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(f, input, &out));
    return out;
}

/* A scatterer of kind `name` at (8, 8), the centre of a 16 x 16 output region. */
static inline deeptrack_feature *centred_scatterer(const char *name) {
    deeptrack_feature *s = feature(name);
    const double centre[2] = {8, 8};
    set_vector(s, "position", centre, 2);
    return s;
}

/* Resolves the optics `o` imaging the sample `s` (both consumed) into `*out` (NULL on failure);
 * the resolve's status. */
static inline deeptrack_status render_sample(deeptrack_feature *o, deeptrack_feature *s, deeptrack_image **out) {
    deeptrack_feature *m = NULL;
    OK(deeptrack_feature_microscope(o, s, &m));
    *out = NULL;
    deeptrack_status st = deeptrack_feature_resolve(m, NULL, out);
    deeptrack_feature_free(m);
    deeptrack_feature_free(o);
    deeptrack_feature_free(s);
    return st;
}

/* The `name` of dict `i` of `img` (NULL when missing). */
static inline const char *dict_name(const deeptrack_image *img, size_t i) {
    const deeptrack_property_dict *d = NULL;
    const deeptrack_value *v = NULL;
    const char *s = NULL;
    OK(deeptrack_image_property_dict(img, i, &d));
    OK(deeptrack_property_dict_get(d, "name", &v));
    OK(deeptrack_value_as_string(v, &s));
    return s;
}

/* The first sample of `img` (-1e300 when it has none). */
static inline double first_sample(const deeptrack_image *img) {
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &data, &len));
    return len > 0 ? data[0] : -1e300;
}

/* A 1-d image of `n` (at most 4) samples `x`. */
static inline deeptrack_image *filled(double x, size_t n) {
    double data[4] = {x, x, x, x};
    const size_t shape[1] = {n};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, 1, &img));
    return img;
}

/* Resolves `f` on `inputs` (at most 8 outputs) and writes the first sample of each output to
 * `firsts`; returns the count. */
static inline size_t resolve_list(deeptrack_feature *f, const deeptrack_image **inputs, size_t n, double *firsts) {
    deeptrack_image *out[8] = {NULL};
    size_t count = 99;
    OK(deeptrack_feature_resolve_list(f, inputs, n, out, 8, &count));
    for (size_t i = 0; i < count && i < 8; i++) {
        firsts[i] = first_sample(out[i]);
        deeptrack_image_free(out[i]);
    }
    return count;
}

#endif
