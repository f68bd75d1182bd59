/* fork() in any state: data-loader workers fork while other threads use the library. A child forked
 * while another thread is in the middle of a batch whose callbacks run (and hold their gates), in the
 * middle of a plain resolve, from inside a callback, or after the parent freed handles, must resolve
 * and batch the same pipeline and others, with the same images as the parent. Each child exits with
 * the number of its failed checks; the parent checks the statuses. Compiled and run by
 * tests/c_api.rs; alarms turn a hang (parent or child) into a failure. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deeptrack.h"

#include "check.h"
#include "helpers.h"

static void pause_briefly(void) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* A callback that, when `hold` is set, tells that it is running and waits to be let go (polling
 * atomics only: a child must not inherit a pthread lock held by a thread it does not have). */
typedef struct {
    atomic_int hold;
    atomic_int inside;
    atomic_int go;
    /* Fork from inside the callback (the callback is the child's starting point). */
    atomic_int fork_here;
    pid_t child;
} gate_probe;

static int child_checks(void);
static int child_inside_callback(void);
static gate_probe probe;
static deeptrack_feature *pipe_, *other, *plain;
static double expected_pipe[4], expected_other[4];

static deeptrack_status sample_cb(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    gate_probe *p = userdata;
    if (atomic_exchange(&p->hold, 0)) {
        atomic_store(&p->inside, 1);
        while (!atomic_load(&p->go)) pause_briefly();
    }
    if (atomic_exchange(&p->fork_here, 0)) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(120);
            _exit(child_inside_callback());
        }
        p->child = pid;
    }
    double u = 0;
    deeptrack_status s = deeptrack_context_uniform(ctx, &u);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_new_float(10 + u, out);
}

static deeptrack_feature *then(deeptrack_feature *x, const char *op, double value) {
    deeptrack_feature *g = feature(op), *out = NULL;
    set_float(g, "value", value);
    OK(deeptrack_feature_chain(x, g, &out));
    deeptrack_feature_free(g);
    return out;
}

static double first_value(const deeptrack_image *img) {
    const double *data = NULL;
    size_t len = 0;
    if (img == NULL || deeptrack_image_data(img, &data, &len) != DEEPTRACK_STATUS_OK || len == 0) return NAN;
    return data[0];
}

static deeptrack_status batch(deeptrack_feature *f, size_t threads, double values[4]) {
    deeptrack_image *out[4] = {NULL};
    deeptrack_status s = deeptrack_feature_resolve_batch(f, NULL, 9, 0, 4, threads, out);
    for (int i = 0; i < 4; i++) {
        values[i] = first_value(out[i]);
        deeptrack_image_free(out[i]);
    }
    return s;
}

static int same(const double *a, const double *b) {
    for (int i = 0; i < 4; i++)
        if (!(a[i] == b[i])) return 0;
    return 1;
}

/* What a child checks: every pipeline resolves, updates, seeds and batches, with the parent's
 * images. Returns the number of failed checks (its exit status). */
static int child_checks(void) {
    atomic_store(&failures, 0);
    double got[4];
    OK(batch(pipe_, 2, got));
    CHECK(same(got, expected_pipe));
    OK(batch(pipe_, 1, got));
    CHECK(same(got, expected_pipe));
    OK(batch(other, 2, got));
    CHECK(same(got, expected_other));
    OK(batch(plain, 2, got));
    CHECK(got[0] == 6 && got[3] == 6);
    for (int round = 0; round < 3; round++) {
        deeptrack_image *img = NULL;
        OK(deeptrack_feature_update(pipe_));
        OK(deeptrack_feature_resolve(pipe_, NULL, &img));
        CHECK(first_value(img) >= 11 && first_value(img) < 12);
        deeptrack_image_free(img);
        img = NULL;
        OK(deeptrack_feature_update(other));
        OK(deeptrack_feature_resolve(other, NULL, &img));
        CHECK(first_value(img) >= 20 && first_value(img) < 22);
        deeptrack_image_free(img);
    }
    OK(deeptrack_feature_seed(pipe_, 4));
    /* New pipelines and handles work too. */
    deeptrack_feature *fresh = then(plain, "Multiply", 3);
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(fresh, NULL, &img));
    CHECK(first_value(img) == 18);
    deeptrack_image_free(img);
    deeptrack_feature_free(fresh);
    int failed = atomic_load(&failures);
    return failed > 100 ? 100 : failed;
}

/* A child forked inside the callback of pipe_'s resolve: it is still inside, holding the callback's
 * gate and pipe_'s generator. Re-entering pipe_ is busy, as in the parent; a batch of `other` (which
 * shares the callback) runs it on workers while this thread waits, and everything else works. */
static int child_inside_callback(void) {
    atomic_store(&failures, 0);
    double got[4];
    deeptrack_image *img = NULL;
    CHECK(deeptrack_feature_resolve(pipe_, NULL, &img) == DEEPTRACK_STATUS_BUSY);
    CHECK(deeptrack_feature_update(pipe_) == DEEPTRACK_STATUS_BUSY);
    CHECK(batch(pipe_, 2, got) == DEEPTRACK_STATUS_BUSY);
    CHECK(strstr(last_error(), "cannot be batched from its own callbacks") != NULL);
    OK(batch(other, 2, got));
    CHECK(same(got, expected_other));
    OK(batch(plain, 2, got));
    CHECK(got[0] == 6);
    OK(deeptrack_feature_update(other));
    OK(deeptrack_feature_resolve(other, NULL, &img));
    CHECK(first_value(img) >= 20 && first_value(img) < 22);
    deeptrack_image_free(img);
    int failed = atomic_load(&failures);
    return failed > 100 ? 100 : failed;
}

/* Waits for `pid` and checks that it exited with status 0. */
static void child_passed(pid_t pid, const char *what) {
    int status = 0;
    checks++;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: the child %s\n", what,
                pid < 0                ? "was not forked"
                : WIFSIGNALED(status)  ? "was killed (a hang ends by its alarm)"
                                       : "failed checks");
        failures++;
    }
}

static pid_t fork_child(void) {
    pid_t pid = fork();
    if (pid == 0) {
        alarm(120);
        _exit(child_checks());
    }
    return pid;
}

/* -- another thread in the middle of something ------------------------------------------------ */

typedef struct {
    deeptrack_feature *f;
    int batch; /* else resolve */
    deeptrack_status status;
    double values[4];
} job;

static void *run_job(void *arg) {
    job *j = arg;
    if (j->batch) {
        j->status = batch(j->f, 2, j->values);
    } else {
        deeptrack_image *img = NULL;
        deeptrack_feature_update(j->f);
        j->status = deeptrack_feature_resolve(j->f, NULL, &img);
        j->values[0] = first_value(img);
        deeptrack_image_free(img);
    }
    return NULL;
}

/* Starts `j` on a thread, forks once its callback holds (and waits), then lets it finish. */
static void fork_while(job *j, const char *what) {
    atomic_store(&probe.inside, 0);
    atomic_store(&probe.go, 0);
    atomic_store(&probe.hold, 1);
    pthread_t t;
    pthread_create(&t, NULL, run_job, j);
    while (!atomic_load(&probe.inside)) pause_briefly();
    pid_t pid = fork_child();
    atomic_store(&probe.go, 1);
    pthread_join(t, NULL);
    child_passed(pid, what);
    CHECK(j->status == DEEPTRACK_STATUS_OK);
}

int main(void) {
    alarm(300);
    /* pipe_ = X >> Add(1), other = X >> Multiply(2) share X's callback (not thread-safe); plain
     * has no callback. */
    deeptrack_feature *x = feature("Value");
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_callback(sample_cb, &probe, NULL, &r));
    OK(deeptrack_feature_set_property(x, "value", r));
    pipe_ = then(x, "Add", 1);
    other = then(x, "Multiply", 2);
    deeptrack_feature *five = feature("Value");
    set_float(five, "value", 5);
    plain = then(five, "Add", 1);
    deeptrack_feature_free(five);
    deeptrack_feature_free(x);
    OK(batch(pipe_, 2, expected_pipe));
    OK(batch(other, 2, expected_other));
    for (int i = 0; i < 4; i++) CHECK(expected_pipe[i] >= 11 && expected_pipe[i] < 12);

    /* 1. In the middle of a batch whose worker runs the callback (its gate held, the other worker
     *    waiting for it). */
    job j = {pipe_, 1, 0, {0}};
    fork_while(&j, "fork during a batch with callbacks");
    CHECK(same(j.values, expected_pipe));

    /* 2. In the middle of a plain resolve of the same pipeline (its generator held). */
    job k = {pipe_, 0, 0, {0}};
    fork_while(&k, "fork during a resolve");
    CHECK(k.values[0] >= 11 && k.values[0] < 12);

    /* 3. While a callback of another pipeline sharing the callback holds its gate. */
    job l = {other, 0, 0, {0}};
    fork_while(&l, "fork while a callback holds its gate");

    /* 4. After the parent freed handles (the quarantine of freed handles is not empty) and ran
     *    batches on threads; the child also recognises a handle freed before the fork. */
    deeptrack_feature *gone = then(plain, "Add", 1);
    deeptrack_feature_free(gone);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(120);
        deeptrack_feature_free(gone); /* a second free: recorded as an error, nothing else */
        int f = child_checks();
        deeptrack_image *img = NULL;
        if (deeptrack_feature_resolve(gone, NULL, &img) != DEEPTRACK_STATUS_INVALID_HANDLE) f++;
        _exit(f);
    }
    child_passed(pid, "fork after freeing handles");

    /* 5. From inside a callback: the child starts inside it, holding its gate and the generator of
     *    the pipeline resolving. */
    atomic_store(&probe.fork_here, 1);
    probe.child = -1;
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_update(pipe_));
    OK(deeptrack_feature_resolve(pipe_, NULL, &img));
    deeptrack_image_free(img);
    child_passed(probe.child, "fork from inside a callback");

    /* 6. Several children at once, while batches run on threads in the parent. */
    job m = {pipe_, 1, 0, {0}}, n = {other, 1, 0, {0}};
    pthread_t tm, tn;
    pthread_create(&tm, NULL, run_job, &m);
    pthread_create(&tn, NULL, run_job, &n);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) kids[i] = fork_child();
    pthread_join(tm, NULL);
    pthread_join(tn, NULL);
    for (int i = 0; i < 3; i++) child_passed(kids[i], "forks during batches");
    CHECK(m.status == DEEPTRACK_STATUS_OK && same(m.values, expected_pipe));
    CHECK(n.status == DEEPTRACK_STATUS_OK && same(n.values, expected_other));

    /* The parent still works. */
    double got[4];
    OK(batch(pipe_, 2, got));
    CHECK(same(got, expected_pipe));
    deeptrack_feature_free(pipe_);
    deeptrack_feature_free(other);
    deeptrack_feature_free(plain);
    printf("%d checks passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
