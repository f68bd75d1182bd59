/* fork() while other threads exit and allocate. Every batch starts worker threads that allocate
 * images and exit while the images live on (the allocator then hands their memory over as
 * "abandoned", under a lock of its own when the memory came straight from the OS), and other batches
 * meanwhile take such memory back. A child forked at any of those moments must be able to batch
 * (its own workers exit and allocate in turn) instead of waiting forever for a lock held by a thread
 * it does not have. tests/c_api.rs runs it with MIMALLOC_DISALLOW_ARENA_ALLOC=1, which makes every
 * block of mimalloc's come from the OS (the case that takes the lock), and under valgrind (with the
 * system allocator, a few rounds). Each child exits with the number of its failed checks; alarms
 * turn a hang into a failure. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deeptrack.h"

#include "check.h"
#include "helpers.h"

enum { ITEMS = 8, CHURNERS = 2 };

static deeptrack_feature *pipe_;
static atomic_int stop;

/* A batch of ITEMS on `threads` workers (which start, allocate the images and exit); the number of
 * images that are not the expected 64x64 of 6. The images are freed by this thread, after the
 * workers are gone. */
static int batch_errors(size_t threads, uint64_t seed) {
    deeptrack_image *out[ITEMS] = {NULL};
    int errors = deeptrack_feature_resolve_batch(pipe_, NULL, seed, 0, ITEMS, threads, out) != DEEPTRACK_STATUS_OK;
    for (int i = 0; i < ITEMS; i++) {
        const double *data = NULL;
        size_t len = 0;
        if (out[i] == NULL || deeptrack_image_data(out[i], &data, &len) != DEEPTRACK_STATUS_OK || len != 64 * 64 ||
            data[0] != 6 || data[len - 1] != 6)
            errors++;
        deeptrack_image_free(out[i]);
    }
    return errors;
}

/* Batches over and over (their workers exiting all the time) until told to stop. */
static void *churn(void *arg) {
    uint64_t seed = (uint64_t)(size_t)arg;
    int errors = 0;
    while (!atomic_load(&stop)) errors += batch_errors(3, seed++);
    CHECK(errors == 0);
    return NULL;
}

/* Waits for `pid` and checks that it exited with status 0. */
static void child_passed(pid_t pid, int round) {
    int status = 0;
    checks++;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "round %d: the child %s\n", round,
                pid < 0               ? "was not forked"
                : WIFSIGNALED(status) ? "was killed (a hang ends by its alarm)"
                                      : "failed checks");
        failures++;
    }
}

int main(void) {
    alarm(600);
    /* Fewer rounds under valgrind, which runs the system allocator (DEEPTRACK_SYSTEM_ALLOCATOR);
     * FORK_ROUNDS=n runs n rounds (5,000 for the figures in the commit message). */
    int rounds = getenv("DEEPTRACK_SYSTEM_ALLOCATOR") != NULL ? 4 : (getenv("FORK_ROUNDS") ? atoi(getenv("FORK_ROUNDS")) : 400);
    deeptrack_feature *value = feature("Value"), *add = feature("Add");
    deeptrack_value *fives = NULL;
    double *pixels = malloc(64 * 64 * sizeof(double));
    size_t shape[2] = {64, 64};
    for (int i = 0; i < 64 * 64; i++) pixels[i] = 5;
    OK(deeptrack_value_new_array(pixels, shape, 2, &fives));
    free(pixels);
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(fives, &r));
    deeptrack_value_free(fives);
    OK(deeptrack_feature_set_property(value, "value", r));
    set_float(add, "value", 1);
    OK(deeptrack_feature_chain(value, add, &pipe_));
    deeptrack_feature_free(value);
    deeptrack_feature_free(add);
    CHECK(batch_errors(2, 1) == 0);

    pthread_t churners[CHURNERS];
    for (size_t i = 0; i < CHURNERS; i++) pthread_create(&churners[i], NULL, churn, (void *)(i * 1000000));
    for (int round = 0; round < rounds; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(60);
            int errors = batch_errors(3, 7) + batch_errors(2, 8) + batch_errors(1, 9);
            _exit(errors > 100 ? 100 : errors);
        }
        child_passed(pid, round);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < CHURNERS; i++) pthread_join(churners[i], NULL);
    CHECK(batch_errors(2, 3) == 0);
    deeptrack_feature_free(pipe_);
    printf("%d checks passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
