/* Objects of the host's as property values and in place of images from C: deeptrack_value_new_object holds a pointer the
 * library never reads, with the host's release function; the object travels with the properties (the
 * dict of every image, get_property, a batch's images on worker threads), comes back through
 * deeptrack_value_object as the same pointer, is released exactly once when the last copy goes, a
 * kind that would compute with it fails naming the property, and bad arguments are refused with a
 * status (nothing taken). A release may call the library: it runs when the call that let the object
 * go returns, never under the library's locks (an alarm fails the test if it ever waits for one). */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <unistd.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

/* A host object: counts its releases. */
typedef struct {
    const char *name;
    atomic_int released;
} meta;

static void release_meta(void *p) { atomic_fetch_add(&((meta *)p)->released, 1); }

/* Objects a sampling callback makes, one per sample: counted when made and when released. */
static atomic_int made = 0, released = 0;
static meta drawn[64];

static void release_drawn(void *p) {
    (void)p;
    atomic_fetch_add(&released, 1);
}

static deeptrack_status draw(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    (void)ctx;
    int i = atomic_fetch_add(&made, 1);
    return deeptrack_value_new_object(&drawn[i % 64], release_drawn, out);
}

/* A custom get returning the object `userdata` (a meta) in place of an image; counts them. */
static atomic_int object_images = 0;

static deeptrack_status to_object(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                                  deeptrack_image **out) {
    (void)input;
    (void)props;
    atomic_fetch_add(&object_images, 1);
    return deeptrack_image_new_object(userdata, release_meta, out);
}

/* A custom get reading the object its input stands for: an image of its name's length. */
static deeptrack_status from_object(void *userdata, const deeptrack_image *input,
                                    const deeptrack_property_dict *props, deeptrack_image **out) {
    (void)userdata;
    (void)props;
    void *p = NULL;
    deeptrack_free_fn release = NULL;
    deeptrack_status s = deeptrack_image_object(input, &p, &release);
    if (s != DEEPTRACK_STATUS_OK) return s;
    if (release != release_meta) return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    double n = (double)strlen(((meta *)p)->name);
    size_t one = 1;
    return deeptrack_image_new(&n, &one, 1, out);
}

/* The object an OBJECT value holds, NULL if it is none of this host's (release_meta). */
static void *object_of(const deeptrack_value *v) {
    void *p = NULL;
    deeptrack_free_fn release = NULL;
    if (deeptrack_value_object(v, &p, &release) != DEEPTRACK_STATUS_OK) return NULL;
    return release == release_meta ? p : NULL;
}

/* A host object whose release calls the library on the feature that held it: resolves it. */
typedef struct {
    deeptrack_feature *feature;
    atomic_int released;
    deeptrack_status resolved;
    int value_objects; /* the kind of the `meta` its resolve recorded: 1 if an object, 0 if not */
} reentrant;

static void release_reentrant(void *p) {
    reentrant *r = p;
    atomic_fetch_add(&r->released, 1);
    double zero = 0;
    size_t one = 1;
    deeptrack_image *in = NULL, *out = NULL;
    r->resolved = deeptrack_image_new(&zero, &one, 1, &in);
    if (r->resolved == DEEPTRACK_STATUS_OK) r->resolved = deeptrack_feature_resolve(r->feature, in, &out);
    deeptrack_image_free(in);
    if (r->resolved == DEEPTRACK_STATUS_OK) {
        r->value_objects = deeptrack_value_kind(entry(out, "meta")) == DEEPTRACK_VALUE_KIND_OBJECT;
        deeptrack_image_free(out);
    }
}

/* A release whose own library call fails (an unknown kind), and a get that lets such an object go
 * and then fails with a message of its own: the resolve's message is the get's. */
static void release_failing(void *p) {
    (void)p;
    deeptrack_feature *none = NULL;
    deeptrack_feature_new("NoSuchKind", &none);
}

static deeptrack_status get_failing(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                                    deeptrack_image **out) {
    (void)userdata;
    (void)input;
    (void)props;
    (void)out;
    deeptrack_value *v = NULL;
    deeptrack_status s = deeptrack_value_new_object(NULL, release_failing, &v);
    if (s != DEEPTRACK_STATUS_OK) return s;
    deeptrack_value_free(v); /* released when the resolve returns */
    deeptrack_set_error_message("my get failed");
    return DEEPTRACK_STATUS_CALLBACK_FAILED;
}

/* Objects drawn by a rule, each one a reentrant on `userdata` (the feature). */
static reentrant reentrants[32];
static atomic_int reentrants_made = 0;

static deeptrack_status draw_reentrant(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)ctx;
    int i = atomic_fetch_add(&reentrants_made, 1);
    if (i >= 32) return DEEPTRACK_STATUS_INVALID_ARGUMENT;
    reentrants[i] = (reentrant){userdata, 0, DEEPTRACK_STATUS_PANIC, -1};
    return deeptrack_value_new_object(&reentrants[i], release_reentrant, out);
}

/* Objects let go under the feature's lock (its rule replaced, its cached dicts dropped, a batch's
 * copies on worker threads): each released once, after the call, and its release resolves the same
 * feature. */
static void test_a_release_may_call_the_library(void) {
    alarm(60); /* a release waiting for a lock its own thread holds would never return */
    deeptrack_feature *dummy = NULL;
    OK(deeptrack_feature_new("DummyFeature", &dummy));
    OK(deeptrack_feature_store_properties(dummy, true));
    reentrant r = {dummy, 0, DEEPTRACK_STATUS_PANIC, -1};
    deeptrack_value *obj = NULL;
    deeptrack_rule *rule = NULL;
    OK(deeptrack_value_new_object(&r, release_reentrant, &obj));
    OK(deeptrack_rule_constant(obj, &rule));
    deeptrack_value_free(obj);
    OK(deeptrack_feature_set_property(dummy, "meta", rule));
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(dummy, NULL, &out)); /* the cache and the dict hold it too */
    deeptrack_image_free(out);
    CHECK(atomic_load(&r.released) == 0);
    OK(deeptrack_value_new_float(2.0, &obj));
    OK(deeptrack_rule_constant(obj, &rule));
    deeptrack_value_free(obj);
    OK(deeptrack_feature_set_property(dummy, "meta", rule)); /* the last copy goes in here */
    CHECK(atomic_load(&r.released) == 1);
    CHECK(r.resolved == DEEPTRACK_STATUS_OK && r.value_objects == 0); /* it saw the new value */

    /* Drawn anew at each update: the last update's object goes with the cached result the next
     * resolve replaces, inside that resolve. */
    deeptrack_rule *drawing = NULL;
    OK(deeptrack_rule_callback(draw_reentrant, dummy, NULL, &drawing));
    OK(deeptrack_feature_set_property(dummy, "meta", drawing));
    for (int i = 0; i < 4; i++) {
        OK(deeptrack_feature_update(dummy));
        OK(deeptrack_feature_resolve(dummy, NULL, &out));
        deeptrack_image_free(out);
    }
    CHECK(atomic_load(&reentrants_made) == 4);
    for (int i = 0; i < 3; i++) {
        CHECK(atomic_load(&reentrants[i].released) == 1);
        CHECK(reentrants[i].resolved == DEEPTRACK_STATUS_OK && reentrants[i].value_objects == 1);
    }
    CHECK(atomic_load(&reentrants[3].released) == 0); /* the current one */

    /* Drawn per item of a batch on two threads: the workers' copies let them go. */
    double zero = 0;
    size_t one = 1;
    deeptrack_image *input = NULL;
    OK(deeptrack_image_new(&zero, &one, 1, &input));
    deeptrack_image *batch[6] = {0};
    OK(deeptrack_feature_resolve_batch(dummy, input, 3, 0, 6, 2, batch));
    for (int k = 0; k < 6; k++) {
        CHECK(batch[k] != NULL);
        deeptrack_image_free(batch[k]);
    }
    deeptrack_image_free(input);
    int made_now = atomic_load(&reentrants_made);
    CHECK(made_now >= 4 + 6);
    for (int i = 0; i < made_now && i < 32; i++) {
        if (i == 3) continue; /* the feature's own current object, not the batch's */
        CHECK(atomic_load(&reentrants[i].released) == 1);
        CHECK(reentrants[i].resolved == DEEPTRACK_STATUS_OK);
    }
    deeptrack_feature_free(dummy);

    deeptrack_feature *failing = NULL;
    OK(deeptrack_feature_new_custom("Failing", get_failing, NULL, NULL, &failing));
    double x = 1;
    size_t n = 1;
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(&x, &n, 1, &img));
    FAILS(deeptrack_feature_resolve(failing, img, &out), DEEPTRACK_STATUS_CALLBACK_FAILED, "my get failed");
    deeptrack_image_free(img);
    deeptrack_feature_free(failing);
    alarm(0);
}

int main(void) {
    meta m = {"meta", 0};
    deeptrack_value *obj = NULL;
    OK(deeptrack_value_new_object(&m, release_meta, &obj));
    CHECK(deeptrack_value_kind(obj) == DEEPTRACK_VALUE_KIND_OBJECT);
    CHECK(object_of(obj) == &m);
    void *p = NULL;
    OK(deeptrack_value_object(obj, &p, NULL)); /* parts not wanted may be NULL */
    CHECK(p == &m);
    char repr[64];
    OK(deeptrack_value_repr(obj, repr, sizeof repr, NULL));
    CHECK(strcmp(repr, "<object>") == 0);
    deeptrack_value *copy = NULL;
    OK(deeptrack_value_clone(obj, &copy));
    CHECK(object_of(copy) == &m);
    deeptrack_value_free(copy);
    CHECK(atomic_load(&m.released) == 0); /* the first value still holds it */

    /* As metadata of an Add (a keyword it does not compute with): every dict carries it. */
    deeptrack_feature *add = NULL;
    deeptrack_rule *rule = NULL;
    deeptrack_value *one = NULL;
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_value_new_float(1.0, &one));
    OK(deeptrack_rule_constant(one, &rule));
    OK(deeptrack_feature_set_property(add, "value", rule));
    OK(deeptrack_rule_constant(obj, &rule));
    OK(deeptrack_feature_set_property(add, "meta", rule));
    deeptrack_value_free(obj);
    CHECK(atomic_load(&m.released) == 0); /* the rule holds it */
    OK(deeptrack_feature_store_properties(add, true));
    double half[3] = {0.5, 0.5, 0.5};
    size_t three = 3;
    deeptrack_image *input = NULL, *sum = NULL;
    OK(deeptrack_image_new(half, &three, 1, &input));
    OK(deeptrack_feature_resolve(add, input, &sum));
    const double *pixels = NULL;
    size_t n = 0;
    OK(deeptrack_image_data(sum, &pixels, &n));
    CHECK(n == 3 && pixels[0] == 1.5);
    const deeptrack_value *recorded = entry(sum, "meta");
    CHECK(deeptrack_value_kind(recorded) == DEEPTRACK_VALUE_KIND_OBJECT && object_of(recorded) == &m);
    deeptrack_value *got = NULL;
    OK(deeptrack_image_get_property(sum, "meta", true, &got));
    CHECK(object_of(got) == &m);
    deeptrack_value_free(got);
    OK(deeptrack_feature_get_property(add, "meta", &got));
    CHECK(object_of(got) == &m);
    deeptrack_value_free(got);
    /* The JSON table has no form for it: null. */
    char table[256];
    OK(deeptrack_image_table_json(sum, "meta", table, sizeof table, NULL));
    CHECK(strstr(table, "\"meta\":null") != NULL);

    /* A batch on two threads: each image's dict holds the same object. */
    deeptrack_image *batch[8] = {0};
    OK(deeptrack_feature_resolve_batch(add, input, 7, 0, 8, 2, batch));
    for (int i = 0; i < 8; i++) CHECK(object_of(entry(batch[i], "meta")) == &m);
    for (int i = 0; i < 8; i++) deeptrack_image_free(batch[i]);

    /* A kind that would compute with it fails, naming the feature and the property. */
    deeptrack_feature *mul = NULL;
    deeptrack_value *again = NULL;
    OK(deeptrack_feature_new("Multiply", &mul));
    OK(deeptrack_value_new_object(&m, NULL, &again)); /* no release: the host keeps it alive */
    OK(deeptrack_rule_constant(again, &rule));
    /* A constant is refused when set (the rule is taken all the same)... */
    FAILS(deeptrack_feature_set_property(mul, "value", rule), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "property 'value' of feature 'Multiply': expected numbers, got an object of the host's");
    /* ...and a sampled one when the feature resolves. */
    OK(deeptrack_rule_callback(draw, NULL, NULL, &rule));
    OK(deeptrack_feature_set_property(mul, "value", rule));
    deeptrack_image *product = NULL;
    FAILS(deeptrack_feature_resolve(mul, input, &product), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "property 'value' of feature 'Multiply'");
    CHECK(strstr(last_error(), "an object of the host's") != NULL);
    CHECK(!product);
    deeptrack_free_fn none_given = release_meta;
    OK(deeptrack_value_object(again, &p, &none_given));
    CHECK(p == &m && none_given == NULL);
    deeptrack_value_free(again);
    deeptrack_feature_free(mul);

    /* Released once, when the feature, its rule and every image holding a copy are gone. */
    deeptrack_image_free(sum);
    CHECK(atomic_load(&m.released) == 0);
    deeptrack_feature_free(add);
    CHECK(atomic_load(&m.released) == 1);

    /* Sampled by a callback, one object per update: each released once, none kept. */
    deeptrack_feature *tagged = NULL;
    OK(deeptrack_feature_new("Add", &tagged));
    OK(deeptrack_rule_constant(one, &rule));
    OK(deeptrack_feature_set_property(tagged, "value", rule));
    OK(deeptrack_rule_callback(draw, NULL, NULL, &rule));
    OK(deeptrack_feature_set_property(tagged, "tag", rule));
    OK(deeptrack_feature_store_properties(tagged, true));
    for (int i = 0; i < 5; i++) {
        deeptrack_image *out = NULL;
        OK(deeptrack_feature_update(tagged));
        OK(deeptrack_feature_resolve(tagged, input, &out));
        void *tag = NULL;
        OK(deeptrack_value_object(entry(out, "tag"), &tag, NULL));
        CHECK(tag == &drawn[(atomic_load(&made) - 1) % 64]);
        deeptrack_image_free(out);
    }
    deeptrack_feature_free(tagged);
    CHECK(atomic_load(&made) >= 5 && atomic_load(&released) == atomic_load(&made));

    /* Bad arguments: nothing is taken, nothing released. */
    meta kept = {"kept", 0};
    FAILS(deeptrack_value_new_object(&kept, release_meta, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    CHECK(atomic_load(&kept.released) == 0);
    FAILS(deeptrack_value_object(NULL, &p, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "v");
    FAILS(deeptrack_value_object(one, &p, NULL), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an object, got a float");
    /* A NULL object is an object too. */
    OK(deeptrack_value_new_object(NULL, NULL, &obj));
    p = &kept;
    OK(deeptrack_value_object(obj, &p, NULL));
    CHECK(p == NULL);
    deeptrack_value_free(obj);

    /* An object in place of an image: a custom get returns one; it passes through DummyFeature to the
     * next custom get, which reads it; a kind computing with samples refuses it, naming itself. */
    meta label = {"label", 0};
    deeptrack_feature *make = NULL, *dummy = NULL, *read = NULL, *first = NULL, *pipeline = NULL;
    OK(deeptrack_feature_new_custom("ToObject", to_object, &label, NULL, &make));
    OK(deeptrack_feature_new("DummyFeature", &dummy));
    OK(deeptrack_feature_new_custom("FromObject", from_object, NULL, NULL, &read));
    OK(deeptrack_feature_chain(make, dummy, &first));
    deeptrack_image *held = NULL;
    OK(deeptrack_feature_resolve(first, input, &held));
    OK(deeptrack_image_object(held, &p, NULL));
    CHECK(p == &label);
    CHECK(deeptrack_image_ndim(held) == 0);
    deeptrack_image_free(held);
    OK(deeptrack_feature_chain(first, read, &pipeline));
    deeptrack_image *length = NULL;
    OK(deeptrack_feature_resolve(pipeline, input, &length));
    OK(deeptrack_image_data(length, &pixels, &n));
    CHECK(n == 1 && pixels[0] == 5.0);
    FAILS(deeptrack_image_object(length, &p, NULL), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "expected an image standing for an object, got an image of samples");
    deeptrack_image_free(length);
    deeptrack_feature *add2 = NULL, *refused = NULL;
    OK(deeptrack_feature_new("Add", &add2));
    OK(deeptrack_feature_chain(make, add2, &refused));
    deeptrack_image *none_made = NULL;
    FAILS(deeptrack_feature_resolve(refused, input, &none_made), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "Add cannot compute with an object of the host's in place of an image");
    CHECK(!none_made);
    /* An object image made by the caller. */
    meta own = {"own", 0};
    deeptrack_image *obj_img = NULL;
    OK(deeptrack_image_new_object(&own, release_meta, &obj_img));
    OK(deeptrack_feature_resolve(read, obj_img, &length));
    OK(deeptrack_image_data(length, &pixels, &n));
    CHECK(n == 1 && pixels[0] == 3.0);
    deeptrack_image_free(length);
    deeptrack_image_free(obj_img);
    meta kept_too = {"kept", 0};
    FAILS(deeptrack_image_new_object(&kept_too, release_meta, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    CHECK(atomic_load(&kept_too.released) == 0); /* nothing taken */
    FAILS(deeptrack_image_object(NULL, &p, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "img");
    deeptrack_feature_free(refused);
    deeptrack_feature_free(add2);
    deeptrack_feature_free(pipeline);
    deeptrack_feature_free(first);
    deeptrack_feature_free(read);
    deeptrack_feature_free(dummy);
    deeptrack_feature_free(make);
    /* Each object image released once, when the last image or cache holding it went. */
    CHECK(atomic_load(&own.released) == 1);
    CHECK(atomic_load(&object_images) >= 1 && atomic_load(&label.released) == atomic_load(&object_images));

    deeptrack_image_free(input);
    deeptrack_value_free(one);
    test_a_release_may_call_the_library();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
