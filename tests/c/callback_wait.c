/* Waits behind running callbacks are bounded, and callbacks close when the host shuts down.
 *
 * 1. A sampling callback (not thread-safe) starts a thread that resolves (or batches) another
 *    pipeline using the callback, and joins it: the thread's call answers DEEPTRACK_STATUS_BUSY after
 *    the callback wait limit (deeptrack_set_callback_wait), with a message saying a running callback
 *    holds it, instead of both waiting forever; the outer resolve then succeeds.
 * 2. Legitimate waits still succeed: two threads resolving pipelines that share a fast callback
 *    (hundreds of times each), and a wait behind a callback much shorter than the limit; the shared value
 *    is drawn between n and 2n times for n updates and resolves on each thread.
 * 3. deeptrack_close_callbacks waits for a callback running on another thread, then no callback runs:
 *    resolves needing one fail with DEEPTRACK_STATUS_CALLBACK_FAILED ("callbacks are closed"),
 *    free_userdata is not called, and a batch's progress callback is skipped.
 * Compiled and run by tests/c_api.rs; an alarm turns a hang into a failure. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deeptrack.h"

#include "check.h"
#include "helpers.h"

typedef struct {
    int sleep_ms;                 /* how long each call takes */
    deeptrack_feature *other;     /* resolved by the thread the first call starts (NULL: none) */
    int batch;                    /* the thread batches `other` instead of resolving it */
    atomic_int calls;
    atomic_int started;           /* set when a call begins */
    atomic_int finished;          /* set when a call is about to return */
    deeptrack_status thread_status;
    char thread_message[512];
    double thread_seconds;
} Data;

static atomic_int freed = 0;

static void free_data(void *p) {
    (void)p;
    freed++;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static deeptrack_image *small_image(void) {
    double d[4] = {0, 0, 0, 0};
    size_t shape[2] = {2, 2};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(d, shape, 2, &img));
    return img;
}

static void *call_other(void *p) {
    Data *d = p;
    deeptrack_image *in = small_image();
    double t0 = now();
    if (d->batch) {
        deeptrack_image *out[2] = {NULL, NULL};
        d->thread_status = deeptrack_feature_resolve_batch(d->other, in, 1, 0, 2, 2, out);
        for (int i = 0; i < 2; i++) deeptrack_image_free(out[i]);
    } else {
        deeptrack_image *out = NULL;
        d->thread_status = deeptrack_feature_resolve(d->other, in, &out);
        deeptrack_image_free(out);
    }
    d->thread_seconds = now() - t0;
    snprintf(d->thread_message, sizeof d->thread_message, "%s", last_error());
    deeptrack_image_free(in);
    return NULL;
}

static deeptrack_status sample(void *p, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)ctx;
    Data *d = p;
    d->started = 1;
    if (d->calls++ == 0 && d->other != NULL) {
        pthread_t t;
        pthread_create(&t, NULL, call_other, d);
        pthread_join(t, NULL); /* the library cannot see this wait */
    }
    if (d->sleep_ms > 0) sleep_ms(d->sleep_ms);
    d->finished = 1;
    return deeptrack_value_new_float(1.0, out);
}

/* An Add whose value is drawn by `sample` with `d`. */
static deeptrack_feature *add_of(Data *d) {
    deeptrack_feature *a = feature("Add");
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_callback(sample, d, free_data, &r));
    OK(deeptrack_feature_set_property(a, "value", r));
    return a;
}

static deeptrack_feature *chain(deeptrack_feature *a, const char *kind) {
    deeptrack_feature *b = feature(kind), *out = NULL;
    OK(deeptrack_feature_chain(a, b, &out));
    deeptrack_feature_free(b);
    return out;
}

static deeptrack_status resolve_status(deeptrack_feature *f) {
    deeptrack_image *in = small_image(), *out = NULL;
    deeptrack_status s = deeptrack_feature_resolve(f, in, &out);
    deeptrack_image_free(in);
    deeptrack_image_free(out);
    return s;
}

/* 1. A callback joining a thread that needs the callback. */
static void joined_thread(int batch) {
    Data d = {0};
    d.batch = batch;
    deeptrack_feature *a = add_of(&d);
    deeptrack_feature *p = chain(a, "Multiply");
    d.other = chain(a, "Subtract");
    double t0 = now();
    OK(resolve_status(p));
    double outer = now() - t0;
    CHECK(d.thread_status == DEEPTRACK_STATUS_BUSY);
    CHECK(strstr(d.thread_message, "held by a running callback") != NULL);
    CHECK(strstr(d.thread_message, "300 ms") != NULL);
    if (d.thread_status != DEEPTRACK_STATUS_BUSY) fprintf(stderr, "thread: %s\n", d.thread_message);
    /* It waited the limit, not much more. */
    CHECK(d.thread_seconds >= 0.29 && d.thread_seconds < 5.0);
    CHECK(outer < 5.0);
    /* Both pipelines work afterwards. */
    OK(deeptrack_feature_update(d.other));
    OK(resolve_status(d.other));
    OK(deeptrack_feature_update(p));
    OK(resolve_status(p));
    deeptrack_feature_free(d.other);
    deeptrack_feature_free(p);
    deeptrack_feature_free(a);
}

/* 2. Two threads resolving pipelines that share one callback. */
typedef struct {
    deeptrack_feature *f;
    int n;
    atomic_int ok;
} Loop;

static void *loop(void *p) {
    Loop *l = p;
    for (int i = 0; i < l->n; i++) {
        if (deeptrack_feature_update(l->f) == DEEPTRACK_STATUS_OK && resolve_status(l->f) == DEEPTRACK_STATUS_OK) l->ok++;
    }
    return NULL;
}

static void shared_callback(int sleep, int n) {
    Data d = {0};
    d.sleep_ms = sleep;
    deeptrack_feature *a = add_of(&d);
    Loop l1 = {chain(a, "Multiply"), n, 0}, l2 = {chain(a, "Subtract"), n, 0};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, loop, &l1);
    pthread_create(&t2, NULL, loop, &l2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK(l1.ok == n && l2.ok == n);
    if (l1.ok != n || l2.ok != n) fprintf(stderr, "shared callback (%d ms): %d and %d of %d\n", sleep, l1.ok, l2.ok, n);
    /* `a` is shared and samples lazily: an update from each thread before either resolves gives one
     * call for both resolves. Each thread's resolve needs a call after its own update, so there are
     * at least n calls, and at most one per resolve. */
    int calls = d.calls;
    CHECK(calls >= n && calls <= 2 * n);
    if (calls < n || calls > 2 * n) fprintf(stderr, "shared callback (%d ms): %d calls for 2 x %d resolves\n", sleep, calls, n);
    deeptrack_feature_free(l1.f);
    deeptrack_feature_free(l2.f);
    deeptrack_feature_free(a);
}

/* 3. Closing callbacks. */
static void *resolve_slow(void *p) {
    Loop *l = p;
    if (resolve_status(l->f) == DEEPTRACK_STATUS_OK) l->ok++;
    return NULL;
}

static int progress_calls = 0;

static bool progress(void *userdata, size_t done, size_t total) {
    (void)userdata;
    (void)done;
    (void)total;
    progress_calls++;
    return true;
}

static void close_callbacks(void) {
    Data d = {0};
    d.sleep_ms = 400;
    deeptrack_feature *a = add_of(&d);
    deeptrack_feature *p = chain(a, "Multiply");
    Loop l = {p, 1, 0};
    pthread_t t;
    pthread_create(&t, NULL, resolve_slow, &l);
    while (!d.started) sleep_ms(1);
    size_t left = 99;
    OK(deeptrack_close_callbacks(5000, &left));
    /* It returned only once the running callback had (the callback was running when it was called,
     * unless this thread was held up for the callback's whole 400 ms: then it had returned already),
     * and within its limit: its resolve succeeded. Not a wall-clock bound: on a loaded machine this
     * thread may see `started` late. */
    CHECK(d.finished == 1);
    CHECK(left == 0);
    pthread_join(t, NULL);
    CHECK(l.ok == 1);
    /* No callback runs any more. */
    OK(deeptrack_feature_update(p));
    FAILS(resolve_status(p), DEEPTRACK_STATUS_CALLBACK_FAILED, "callbacks are closed");
    CHECK(d.calls == 1);
    /* A batch without callbacks runs, its progress callback skipped. */
    deeptrack_feature *g = feature("Add");
    set_float(g, "value", 2.0);
    deeptrack_image *in = small_image(), *out[3] = {NULL, NULL, NULL};
    OK(deeptrack_feature_resolve_batch_with(g, in, 1, 0, 3, 1, 1, progress, NULL, out));
    CHECK(progress_calls == 0);
    for (int i = 0; i < 3; i++) deeptrack_image_free(out[i]);
    deeptrack_image_free(in);
    deeptrack_feature_free(g);
    /* free_userdata is not called: the host is shutting down. */
    int before = freed;
    deeptrack_feature_free(p);
    deeptrack_feature_free(a);
    CHECK(freed == before);
    /* Closing again returns at once. */
    OK(deeptrack_close_callbacks(1000, NULL));
}

int main(void) {
    alarm(120);
    uint32_t previous = 0;
    OK(deeptrack_set_callback_wait(300, &previous));
    CHECK(previous == 10000);
    OK(deeptrack_set_callback_wait(300, NULL)); /* `previous` may be NULL */
    joined_thread(0);
    joined_thread(1);
    /* Legitimate waits, with a limit far above the waits (a thread preempted inside the callback on
     * a loaded machine makes the other wait longer than the call takes). */
    OK(deeptrack_set_callback_wait(5000, NULL));
    shared_callback(0, 300);
    shared_callback(100, 4); /* each wait behind a call much shorter than the limit */
    close_callbacks();
    printf("%d checks passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
