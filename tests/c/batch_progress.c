/* deeptrack_feature_resolve_batch_with: items of two images (`image & target`: Add then a Stack of a
 * Value feature), the same items as deeptrack_feature_resolve_batch, and the progress callback. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>

#include "check.h"

typedef struct {
    size_t calls, last_done, last_total, stop_at;
    bool backwards;
    thrd_t caller;
    bool other_thread;
} progress_log;

static bool on_progress(void *userdata, size_t done, size_t total) {
    progress_log *log = userdata;
    if (done < log->last_done) log->backwards = true;
    if (!thrd_equal(thrd_current(), log->caller)) log->other_thread = true;
    log->calls++;
    log->last_done = done;
    log->last_total = total;
    return log->stop_at == 0 || done < log->stop_at;
}

static double first_value(deeptrack_image *img) {
    double x = 0;
    OK(deeptrack_image_copy_to(img, &x, 1));
    return x;
}

/* Add(value = U[2, 3)) on the input, then Stack(value = the output of Value(value = U[10, 11))). */
static deeptrack_feature *image_and_target(void) {
    deeptrack_feature *add = NULL, *value = NULL, *stack = NULL, *pipe = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_rule_uniform(2, 3, &r));
    OK(deeptrack_feature_set_property(add, "value", r));
    OK(deeptrack_feature_new("Value", &value));
    OK(deeptrack_rule_uniform(10, 11, &r));
    OK(deeptrack_feature_set_property(value, "value", r));
    OK(deeptrack_feature_new("Stack", &stack));
    OK(deeptrack_rule_feature(value, &r));
    OK(deeptrack_feature_set_property(stack, "value", r));
    OK(deeptrack_feature_chain(add, stack, &pipe));
    deeptrack_feature_free(add);
    deeptrack_feature_free(value);
    deeptrack_feature_free(stack);
    return pipe;
}

int main(void) {
    deeptrack_feature *pipe = image_and_target();
    double zero = 0;
    size_t one = 1;
    deeptrack_image *input = NULL, *a[16], *b[16];
    OK(deeptrack_image_new(&zero, &one, 1, &input));

    /* 8 items of 2 images on 1 and on 2 threads, the second batch split in two: the same items. */
    progress_log log = {.caller = thrd_current()};
    OK(deeptrack_feature_resolve_batch_with(pipe, input, 3, 0, 8, 1, 2, on_progress, &log, a));
    CHECK(log.calls == 8 && log.last_done == 8 && log.last_total == 8); /* one thread: after each item */
    CHECK(!log.backwards && !log.other_thread);
    progress_log log2 = {.caller = thrd_current()};
    OK(deeptrack_feature_resolve_batch_with(pipe, input, 3, 0, 5, 2, 2, on_progress, &log2, b));
    CHECK(log2.calls >= 1 && log2.last_done == 5 && log2.last_total == 5);
    CHECK(!log2.backwards && !log2.other_thread); /* on the calling thread, never on a worker */
    OK(deeptrack_feature_resolve_batch_with(pipe, input, 3, 5, 3, 0, 2, NULL, NULL, b + 10));
    for (int k = 0; k < 8; k++) {
        double x = first_value(a[2 * k]), t = first_value(a[2 * k + 1]);
        CHECK(x >= 2 && x < 3);   /* the image */
        CHECK(t >= 10 && t < 11); /* its target */
        CHECK(x == first_value(b[2 * k]) && t == first_value(b[2 * k + 1]));
        if (k > 0) CHECK(x != first_value(a[0]));
    }
    for (int i = 0; i < 16; i++) {
        deeptrack_image_free(a[i]);
        deeptrack_image_free(b[i]);
    }

    /* The stream is resolve_batch's: a one-image pipeline gives the same items either way. */
    deeptrack_feature *add = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_rule_uniform(0, 1, &r));
    OK(deeptrack_feature_set_property(add, "value", r));
    OK(deeptrack_feature_resolve_batch(add, input, 11, 4, 3, 1, a));
    OK(deeptrack_feature_resolve_batch_with(add, input, 11, 4, 3, 2, 1, NULL, NULL, b));
    for (int i = 0; i < 3; i++) {
        CHECK(first_value(a[i]) == first_value(b[i]));
        deeptrack_image_free(a[i]);
        deeptrack_image_free(b[i]);
    }

    /* The callback stops the batch (on one thread: after the second item): nothing is written, the
     * status says why. (tests/batch_items.rs stops batches on several threads.) */
    progress_log stop = {.caller = thrd_current(), .stop_at = 2};
    for (int i = 0; i < 16; i++) a[i] = NULL;
    FAILS(deeptrack_feature_resolve_batch_with(add, input, 1, 0, 8, 1, 1, on_progress, &stop, a),
          DEEPTRACK_STATUS_CALLBACK_FAILED, "the progress callback stopped the batch after 2 of 8 items");
    CHECK(a[0] == NULL);
    CHECK(stop.calls == 2);

    /* Bad arguments. */
    FAILS(deeptrack_feature_resolve_batch_with(pipe, input, 3, 0, 2, 1, 1, NULL, NULL, a),
          DEEPTRACK_STATUS_INVALID_ARGUMENT, "batch item 0 produced 2 images where 1 were expected");
    FAILS(deeptrack_feature_resolve_batch_with(pipe, input, 3, 0, 2, 1, 0, NULL, NULL, a),
          DEEPTRACK_STATUS_INVALID_ARGUMENT, "images per batch item must be at least 1");
    FAILS(deeptrack_feature_resolve_batch_with(pipe, input, 3, 0, 2, 1, 2, NULL, NULL, NULL),
          DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'out' is NULL");
    FAILS(deeptrack_feature_resolve_batch_with(NULL, input, 3, 0, 2, 1, 2, NULL, NULL, a),
          DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'f' is NULL");
    OK(deeptrack_feature_resolve_batch_with(pipe, input, 3, 0, 0, 1, 2, NULL, NULL, NULL)); /* nothing to do */

    deeptrack_feature_free(add);
    deeptrack_feature_free(pipe);
    deeptrack_image_free(input);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
