/* Re-entrant calls from callbacks: every kind of callback (sampling rules and custom features' get,
 * thread-safe or not) calls the library back (resolve, update, seed, get_property, set_property,
 * store_properties, batches of its own pipeline and of others sharing its callback) while running on
 * the resolving thread, on a batch's worker threads, or nested in another callback. Each call must
 * answer OK with the right result or DEEPTRACK_STATUS_BUSY with a message naming what is busy, never
 * wait forever; and every pipeline must still work afterwards. Threads that run callbacks waiting for
 * each other's (through a batch, too) get BUSY instead of a deadlock. Compiled and run by
 * tests/c_api.rs (also under valgrind); an alarm turns a hang into a failure. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deeptrack.h"

#include "check.h"
#include "helpers.h"

/* -- what a callback does when it first runs --------------------------------------------------- */

enum action {
    NOTHING,
    RESOLVE,      /* resolve `target` */
    UPDATE,       /* update `target` */
    SEED,         /* seed `target` */
    GET_PROPERTY, /* read `target`'s property "name" */
    SET_PROPERTY, /* set a new property "tag" of `target` */
    STORE,        /* turn on storing properties on `target` */
    BATCH,        /* batch 4 items (seed 21) of `target` on 2 threads */
    BATCH_INLINE, /* the same on the calling thread */
    FREE,         /* free the handle `*owned` */
};

typedef struct {
    enum action action;
    deeptrack_feature *target;
    deeptrack_feature **owned;
    atomic_int calls;
    atomic_int acted;
    /* What the library answered, and the result. */
    deeptrack_status status;
    char message[4096];
    double values[4];
    size_t nvalues;
    /* ABBA: wait here, once inside the callback, for the other thread to be inside its own. */
    pthread_barrier_t *meet;
} probe;

static void probe_reset(probe *p, enum action action, deeptrack_feature *target) {
    p->action = action;
    p->target = target;
    p->owned = NULL;
    atomic_store(&p->calls, 0);
    atomic_store(&p->acted, 0);
    p->status = 0xffff;
    p->message[0] = 0;
    p->nvalues = 0;
    p->meet = NULL;
}

/* The first element of an image, or NAN. */
static double first_value(const deeptrack_image *img) {
    const double *data = NULL;
    size_t len = 0;
    if (img == NULL || deeptrack_image_data(img, &data, &len) != DEEPTRACK_STATUS_OK || len == 0) return NAN;
    return data[0];
}

static void act(probe *p) {
    if (atomic_exchange(&p->acted, 1)) return;
    if (p->meet) pthread_barrier_wait(p->meet);
    deeptrack_status s = DEEPTRACK_STATUS_OK;
    switch (p->action) {
    case NOTHING:
        break;
    case RESOLVE: {
        deeptrack_image *img = NULL;
        s = deeptrack_feature_resolve(p->target, NULL, &img);
        if (s == DEEPTRACK_STATUS_OK) {
            p->values[0] = first_value(img);
            p->nvalues = 1;
        }
        deeptrack_image_free(img);
        break;
    }
    case UPDATE:
        s = deeptrack_feature_update(p->target);
        break;
    case SEED:
        s = deeptrack_feature_seed(p->target, 5);
        break;
    case GET_PROPERTY: {
        deeptrack_value *v = NULL;
        s = deeptrack_feature_get_property(p->target, "name", &v);
        deeptrack_value_free(v);
        break;
    }
    case SET_PROPERTY: {
        deeptrack_value *v = NULL;
        deeptrack_rule *r = NULL;
        deeptrack_value_new_int(7, &v);
        deeptrack_rule_constant(v, &r);
        deeptrack_value_free(v);
        s = deeptrack_feature_set_property(p->target, "tag", r);
        break;
    }
    case STORE:
        s = deeptrack_feature_store_properties(p->target, true);
        break;
    case BATCH:
    case BATCH_INLINE: {
        deeptrack_image *out[4] = {NULL};
        s = deeptrack_feature_resolve_batch(p->target, NULL, 21, 0, 4, p->action == BATCH ? 2 : 1, out);
        if (s == DEEPTRACK_STATUS_OK) {
            for (int i = 0; i < 4; i++) {
                p->values[i] = first_value(out[i]);
                deeptrack_image_free(out[i]);
            }
            p->nvalues = 4;
        }
        break;
    }
    case FREE:
        deeptrack_feature_free(*p->owned);
        *p->owned = NULL;
        break;
    }
    p->status = s;
    if (s != DEEPTRACK_STATUS_OK) snprintf(p->message, sizeof p->message, "%s", last_error());
}

/* A sampling callback: acts, then returns 10 + U[0, 1) drawn through its context (reproducible). */
static deeptrack_status sample_cb(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    probe *p = userdata;
    atomic_fetch_add(&p->calls, 1);
    act(p);
    double u = 0;
    deeptrack_status s = deeptrack_context_uniform(ctx, &u);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_new_float(10 + u, out);
}

/* A custom feature's get: acts, then returns a 1-element image of 10 + its property "level". */
static deeptrack_status get_cb(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                               deeptrack_image **output) {
    (void)input;
    probe *p = userdata;
    atomic_fetch_add(&p->calls, 1);
    act(p);
    const deeptrack_value *level = NULL;
    double x = 0;
    deeptrack_status s = deeptrack_property_dict_get(props, "level", &level);
    if (s == DEEPTRACK_STATUS_OK) s = deeptrack_value_as_float(level, &x);
    if (s != DEEPTRACK_STATUS_OK) return s;
    double v = 10 + x;
    size_t shape[1] = {1};
    return deeptrack_image_new(&v, shape, 1, output);
}

/* -- pipelines ---------------------------------------------------------------------------------- */

enum kind { RULE, RULE_THREADSAFE, GET, GET_THREADSAFE };
static const char *kind_names[] = {"rule callback", "thread-safe rule callback", "custom get",
                                   "thread-safe custom get"};

/* The feature that runs `p`'s callback, of `kind`: its output is 10 + U[0, 1). */
static deeptrack_feature *probe_feature(enum kind kind, probe *p) {
    deeptrack_feature *f = NULL;
    deeptrack_rule *r = NULL;
    switch (kind) {
    case RULE:
    case RULE_THREADSAFE:
        f = feature("Value");
        OK(kind == RULE ? deeptrack_rule_callback(sample_cb, p, NULL, &r)
                        : deeptrack_rule_callback_threadsafe(sample_cb, p, NULL, &r));
        OK(deeptrack_feature_set_property(f, "value", r));
        break;
    case GET:
    case GET_THREADSAFE:
        OK(kind == GET ? deeptrack_feature_new_custom("Probe", get_cb, p, NULL, &f)
                       : deeptrack_feature_new_custom_threadsafe("Probe", get_cb, p, NULL, &f));
        OK(deeptrack_rule_uniform(0, 1, &r));
        OK(deeptrack_feature_set_property(f, "level", r));
        break;
    }
    return f;
}

/* `x >> Op(value)`. */
static deeptrack_feature *then(deeptrack_feature *x, const char *op, double value) {
    deeptrack_feature *g = feature(op), *out = NULL;
    set_float(g, "value", value);
    OK(deeptrack_feature_chain(x, g, &out));
    deeptrack_feature_free(g);
    return out;
}

/* Resolves `f` (after an update) and returns its first value. */
static double value_of(deeptrack_feature *f) {
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_update(f));
    OK(deeptrack_feature_resolve(f, NULL, &img));
    double v = first_value(img);
    deeptrack_image_free(img);
    return v;
}

/* The 4 first values of the batch BATCH makes (seed 21, items 0-3). */
static void reference_batch(deeptrack_feature *f, double values[4]) {
    deeptrack_image *out[4] = {NULL};
    OK(deeptrack_feature_resolve_batch(f, NULL, 21, 0, 4, 2, out));
    for (int i = 0; i < 4; i++) {
        values[i] = first_value(out[i]);
        deeptrack_image_free(out[i]);
    }
}

static int same_values(const double *a, const double *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(a[i] == b[i])) return 0;
    return 1;
}

/* The answer the probe recorded: OK, or `status` with a message containing `text`. */
#define ANSWERED(p, status_, text, what)                                                               \
    do {                                                                                               \
        checks++;                                                                                      \
        if (!atomic_load(&(p)->acted) || (p)->status != (status_) ||                                    \
            ((status_) != DEEPTRACK_STATUS_OK && strstr((p)->message, (text)) == NULL)) {               \
            fprintf(stderr, "%s:%d: %s: expected %s containing \"%s\", got %s (acted %d): %s\n", __FILE__, \
                    __LINE__, (what), deeptrack_status_str(status_), (text), deeptrack_status_str((p)->status), \
                    atomic_load(&(p)->acted), (p)->message);                                           \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

/* -- the matrix: kinds of callback x where they run x what they call ------------------------------ */

typedef struct {
    enum kind kind;
    probe p;
    deeptrack_feature *x;  /* runs the callback */
    deeptrack_feature *pipe; /* x >> Add(1): the pipeline resolved */
    deeptrack_feature *other; /* x >> Multiply(2): another pipeline sharing x (and its callback) */
    deeptrack_feature *plain; /* Value(5) >> Add(1): no callback */
    double other_batch[4];
} setup;

static void setup_new(setup *s, enum kind kind) {
    s->kind = kind;
    probe_reset(&s->p, NOTHING, NULL);
    s->x = probe_feature(kind, &s->p);
    s->pipe = then(s->x, "Add", 1);
    s->other = then(s->x, "Multiply", 2);
    deeptrack_feature *five = feature("Value");
    set_float(five, "value", 5);
    s->plain = then(five, "Add", 1);
    deeptrack_feature_free(five);
    OK(deeptrack_feature_seed(s->pipe, 1));
    OK(deeptrack_feature_seed(s->other, 2));
    reference_batch(s->other, s->other_batch);
    for (int i = 0; i < 4; i++) CHECK(s->other_batch[i] >= 20 && s->other_batch[i] < 22);
}

static void setup_free(setup *s) {
    deeptrack_feature_free(s->x);
    deeptrack_feature_free(s->pipe);
    deeptrack_feature_free(s->other);
    deeptrack_feature_free(s->plain);
}

/* The pipelines still work: fresh values in range, and batches as before. */
static void still_works(setup *s, const char *what) {
    probe_reset(&s->p, NOTHING, NULL);
    double v = value_of(s->pipe);
    double w = value_of(s->other);
    double batch[4];
    reference_batch(s->other, batch);
    checks++;
    if (!(v >= 11 && v < 12 && w >= 20 && w < 22 && same_values(batch, s->other_batch, 4))) {
        fprintf(stderr, "%s: the pipelines no longer work: %g %g\n", what, v, w);
        failures++;
    }
}

/* Resolves s->pipe on the calling thread, with the callback doing `action` on `target`. */
static deeptrack_status resolve_with(setup *s, enum action action, deeptrack_feature *target) {
    probe_reset(&s->p, action, target);
    OK(deeptrack_feature_update(s->pipe));
    deeptrack_image *img = NULL;
    deeptrack_status st = deeptrack_feature_resolve(s->pipe, NULL, &img);
    deeptrack_image_free(img);
    return st;
}

/* Batches s->pipe on 2 worker threads, with the callback doing `action` on `target` (once). */
static deeptrack_status batch_with(setup *s, enum action action, deeptrack_feature *target) {
    probe_reset(&s->p, action, target);
    deeptrack_image *out[4] = {NULL};
    deeptrack_status st = deeptrack_feature_resolve_batch(s->pipe, NULL, 3, 0, 4, 2, out);
    for (int i = 0; i < 4; i++) deeptrack_image_free(out[i]);
    return st;
}

static const char *BUSY_RESOLVING = "is being resolved";
static const char *BUSY_BATCHING = "is being resolved or batched by this thread";

static void on_the_resolving_thread(enum kind kind) {
    setup s;
    setup_new(&s, kind);
    char what[128];
    const char *k = kind_names[kind];

    /* The pipeline that runs the callback: busy, whatever the call. */
    snprintf(what, sizeof what, "%s: resolve of its own pipeline", k);
    OK(resolve_with(&s, RESOLVE, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_BUSY, BUSY_RESOLVING, what);
    snprintf(what, sizeof what, "%s: update of its own pipeline", k);
    OK(resolve_with(&s, UPDATE, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_BUSY, BUSY_RESOLVING, what);
    snprintf(what, sizeof what, "%s: seed of its own pipeline", k);
    OK(resolve_with(&s, SEED, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_BUSY, BUSY_RESOLVING, what);
    snprintf(what, sizeof what, "%s: get_property of its own pipeline", k);
    OK(resolve_with(&s, GET_PROPERTY, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_BUSY, BUSY_RESOLVING, what);
    snprintf(what, sizeof what, "%s: batch of its own pipeline", k);
    OK(resolve_with(&s, BATCH, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_BUSY, BUSY_BATCHING, what);
    snprintf(what, sizeof what, "%s: one-thread batch of its own pipeline", k);
    OK(resolve_with(&s, BATCH_INLINE, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_BUSY, BUSY_BATCHING, what);

    /* Another pipeline sharing the callback: works, with the right result. */
    snprintf(what, sizeof what, "%s: batch of a pipeline sharing it", k);
    OK(resolve_with(&s, BATCH, s.other));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(s.p.nvalues == 4 && same_values(s.p.values, s.other_batch, 4));
    snprintf(what, sizeof what, "%s: one-thread batch of a pipeline sharing it", k);
    OK(resolve_with(&s, BATCH_INLINE, s.other));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(s.p.nvalues == 4 && same_values(s.p.values, s.other_batch, 4));
    snprintf(what, sizeof what, "%s: resolve of a pipeline sharing it", k);
    OK(resolve_with(&s, RESOLVE, s.other));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(s.p.nvalues == 1 && s.p.values[0] >= 20 && s.p.values[0] < 22);
    snprintf(what, sizeof what, "%s: resolve of an unrelated pipeline", k);
    OK(resolve_with(&s, RESOLVE, s.plain));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(s.p.nvalues == 1 && s.p.values[0] == 6);

    /* Changes of its own pipeline's definition: allowed. */
    snprintf(what, sizeof what, "%s: set_property of its own pipeline", k);
    OK(resolve_with(&s, SET_PROPERTY, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    snprintf(what, sizeof what, "%s: store_properties of its own pipeline", k);
    OK(resolve_with(&s, STORE, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    OK(deeptrack_feature_store_properties(s.pipe, false));

    snprintf(what, sizeof what, "%s (resolving thread)", k);
    still_works(&s, what);

    /* Freeing the handle of the pipeline that runs it. */
    deeptrack_feature *victim = then(s.x, "Subtract", 1);
    probe_reset(&s.p, FREE, NULL);
    s.p.owned = &victim;
    OK(deeptrack_feature_update(victim));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(victim, NULL, &img));
    CHECK(victim == NULL && first_value(img) >= 9 && first_value(img) < 10);
    deeptrack_image_free(img);
    still_works(&s, what);
    setup_free(&s);
}

static void on_batch_workers(enum kind kind) {
    setup s;
    setup_new(&s, kind);
    char what[128];
    const char *k = kind_names[kind];

    /* The pipeline being batched is not itself resolving: its workers resolve copies. */
    snprintf(what, sizeof what, "%s on a batch worker: resolve of the batched pipeline", k);
    OK(batch_with(&s, RESOLVE, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(s.p.nvalues == 1 && s.p.values[0] >= 11 && s.p.values[0] < 12);
    snprintf(what, sizeof what, "%s on a batch worker: update of the batched pipeline", k);
    OK(batch_with(&s, UPDATE, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    snprintf(what, sizeof what, "%s on a batch worker: seed of the batched pipeline", k);
    OK(batch_with(&s, SEED, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    OK(deeptrack_feature_seed(s.pipe, 1));
    snprintf(what, sizeof what, "%s on a batch worker: batch of the batched pipeline", k);
    OK(batch_with(&s, BATCH, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_BUSY, BUSY_BATCHING, what);
    snprintf(what, sizeof what, "%s on a batch worker: batch of a pipeline sharing it", k);
    OK(batch_with(&s, BATCH, s.other));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(s.p.nvalues == 4 && same_values(s.p.values, s.other_batch, 4));
    snprintf(what, sizeof what, "%s on a batch worker: resolve of a pipeline sharing it", k);
    OK(batch_with(&s, RESOLVE, s.other));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(s.p.nvalues == 1 && s.p.values[0] >= 20 && s.p.values[0] < 22);
    snprintf(what, sizeof what, "%s on a batch worker: get_property of the batched pipeline", k);
    OK(batch_with(&s, GET_PROPERTY, s.pipe));
    ANSWERED(&s.p, DEEPTRACK_STATUS_OK, "", what);

    snprintf(what, sizeof what, "%s (batch workers)", k);
    still_works(&s, what);
    setup_free(&s);
}

/* Nested: an outer callback resolves the pipeline of an inner one, which acts. */
static void nested(enum kind outer_kind, enum kind inner_kind) {
    setup inner;
    setup_new(&inner, inner_kind);
    probe outer;
    probe_reset(&outer, NOTHING, NULL);
    deeptrack_feature *ox = probe_feature(outer_kind, &outer);
    deeptrack_feature *outer_pipe = then(ox, "Add", 100);
    char what[160];
    snprintf(what, sizeof what, "%s nested in a %s", kind_names[inner_kind], kind_names[outer_kind]);

    /* The inner callback batches a pipeline sharing it, on 2 threads, from inside both. */
    probe_reset(&outer, RESOLVE, inner.pipe);
    probe_reset(&inner.p, BATCH, inner.other);
    double v = value_of(outer_pipe);
    CHECK(v >= 110 && v < 111);
    ANSWERED(&outer, DEEPTRACK_STATUS_OK, "", what);
    ANSWERED(&inner.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(inner.p.nvalues == 4 && same_values(inner.p.values, inner.other_batch, 4));

    /* The inner callback batches the outer pipeline, which is resolving: busy. */
    probe_reset(&outer, RESOLVE, inner.pipe);
    probe_reset(&inner.p, BATCH, outer_pipe);
    OK(deeptrack_feature_update(inner.pipe));
    v = value_of(outer_pipe);
    CHECK(v >= 110 && v < 111);
    ANSWERED(&inner.p, DEEPTRACK_STATUS_BUSY, BUSY_BATCHING, what);

    /* The outer callback batches the inner pipeline, whose callback batches a pipeline sharing it
     * (the batch's callbacks on workers, inside the outer's): a one-thread batch on the workers. */
    probe_reset(&outer, BATCH, inner.pipe);
    probe_reset(&inner.p, BATCH, inner.other);
    v = value_of(outer_pipe);
    CHECK(v >= 110 && v < 111);
    ANSWERED(&outer, DEEPTRACK_STATUS_OK, "", what);
    CHECK(outer.nvalues == 4);
    for (int i = 0; i < 4; i++) CHECK(outer.values[i] >= 11 && outer.values[i] < 12);
    ANSWERED(&inner.p, DEEPTRACK_STATUS_OK, "", what);
    CHECK(inner.p.nvalues == 4 && same_values(inner.p.values, inner.other_batch, 4));

    still_works(&inner, what);
    probe_reset(&outer, NOTHING, NULL);
    v = value_of(outer_pipe);
    CHECK(v >= 110 && v < 111);
    deeptrack_feature_free(ox);
    deeptrack_feature_free(outer_pipe);
    setup_free(&inner);
}

/* -- threads whose callbacks wait for each other --------------------------------------------- */

typedef struct {
    deeptrack_feature *pipe;
    deeptrack_status status;
} resolver_arg;

static void *resolve_thread(void *arg) {
    resolver_arg *a = arg;
    OK(deeptrack_feature_update(a->pipe));
    deeptrack_image *img = NULL;
    a->status = deeptrack_feature_resolve(a->pipe, NULL, &img);
    deeptrack_image_free(img);
    return NULL;
}

/* Two threads each inside a callback (gated unless thread-safe) call a pipeline that needs the
 * other's callback: `batch` makes the first reach it through a batch's workers. Both gated: exactly
 * one gets BUSY (the cycle is found by the second to wait) and the other goes on; otherwise both
 * go on. */
static void crossed(enum kind ka, enum kind kb, int batch) {
    setup a, b;
    setup_new(&a, ka);
    setup_new(&b, kb);
    pthread_barrier_t meet;
    pthread_barrier_init(&meet, NULL, 2);
    probe_reset(&a.p, batch ? BATCH : RESOLVE, b.other);
    probe_reset(&b.p, RESOLVE, a.other);
    a.p.meet = &meet;
    b.p.meet = &meet;
    resolver_arg ra = {a.pipe, 0}, rb = {b.pipe, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, resolve_thread, &ra);
    pthread_create(&tb, NULL, resolve_thread, &rb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&meet);
    CHECK(ra.status == DEEPTRACK_STATUS_OK && rb.status == DEEPTRACK_STATUS_OK);
    int gated = (ka == RULE || ka == GET) && (kb == RULE || kb == GET);
    int busy = (a.p.status == DEEPTRACK_STATUS_BUSY) + (b.p.status == DEEPTRACK_STATUS_BUSY);
    int ok = (a.p.status == DEEPTRACK_STATUS_OK) + (b.p.status == DEEPTRACK_STATUS_OK);
    char what[160];
    snprintf(what, sizeof what, "%s and %s waiting for each other%s", kind_names[ka], kind_names[kb],
             batch ? " through a batch" : "");
    checks++;
    if (gated ? !(busy == 1 && ok == 1) : ok != 2) {
        fprintf(stderr, "%s: statuses %s and %s (%s / %s)\n", what, deeptrack_status_str(a.p.status),
                deeptrack_status_str(b.p.status), a.p.message, b.p.message);
        failures++;
    }
    probe *loser = a.p.status == DEEPTRACK_STATUS_BUSY ? &a.p : &b.p;
    if (gated) ANSWERED(loser, DEEPTRACK_STATUS_BUSY, "is running on another thread, which is waiting for this one", what);
    if (a.p.status == DEEPTRACK_STATUS_OK && batch) CHECK(a.p.nvalues == 4 && same_values(a.p.values, b.other_batch, 4));
    still_works(&a, what);
    still_works(&b, what);
    setup_free(&a);
    setup_free(&b);
}

/* -- callbacks that recurse without end -------------------------------------------------------- */

static atomic_int depth_reached = 0;

/* Builds a new pipeline running this same callback and resolves (or batches) it: without a bound
 * this would recurse until the stack overflows. */
static deeptrack_status recurse_cb(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)ctx;
    int batch = userdata != NULL;
    atomic_fetch_add(&depth_reached, 1);
    deeptrack_feature *f = NULL;
    deeptrack_rule *r = NULL;
    deeptrack_status s = deeptrack_feature_new("Value", &f);
    if (s == DEEPTRACK_STATUS_OK) s = deeptrack_rule_callback(recurse_cb, userdata, NULL, &r);
    if (s == DEEPTRACK_STATUS_OK) s = deeptrack_feature_set_property(f, "value", r);
    deeptrack_image *img = NULL;
    if (s == DEEPTRACK_STATUS_OK)
        s = batch ? deeptrack_feature_resolve_batch(f, NULL, 1, 0, 1, 2, &img) : deeptrack_feature_resolve(f, NULL, &img);
    deeptrack_image_free(img);
    deeptrack_feature_free(f);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_new_float(1, out);
}

static void endless_recursion(int batch) {
    atomic_store(&depth_reached, 0);
    deeptrack_feature *f = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_feature_new("Value", &f));
    OK(deeptrack_rule_callback(recurse_cb, batch ? (void *)1 : NULL, NULL, &r));
    OK(deeptrack_feature_set_property(f, "value", r));
    deeptrack_image *img = NULL;
    deeptrack_status s = batch ? deeptrack_feature_resolve_batch(f, NULL, 1, 0, 1, 2, &img)
                               : deeptrack_feature_resolve(f, NULL, &img);
    checks++;
    if (s != DEEPTRACK_STATUS_CALLBACK_FAILED || strstr(last_error(), "resolves nest more than 16 deep through callbacks") == NULL) {
        fprintf(stderr, "endless recursion (%s): %s: %s\n", batch ? "batch" : "resolve", deeptrack_status_str(s),
                last_error());
        failures++;
    }
    CHECK(atomic_load(&depth_reached) >= 16 && atomic_load(&depth_reached) <= 18);
    deeptrack_image_free(img);
    deeptrack_feature_free(f);
}

int main(void) {
    /* A hang is a failure, not a stuck test run (valgrind makes everything slower). */
    alarm(600);
    for (int k = RULE; k <= GET_THREADSAFE; k++) {
        on_the_resolving_thread(k);
        on_batch_workers(k);
    }
    nested(RULE, RULE);
    nested(GET, RULE);
    nested(RULE, GET);
    nested(RULE_THREADSAFE, GET_THREADSAFE);
    for (int batch = 0; batch <= 1; batch++) {
        crossed(RULE, RULE, batch);
        crossed(GET, RULE, batch);
        crossed(RULE, GET, batch);
        crossed(RULE_THREADSAFE, GET_THREADSAFE, batch);
    }
    endless_recursion(0);
    endless_recursion(1);
    printf("%d checks passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
