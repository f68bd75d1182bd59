/* Sequences from C: a Sequence built by kind name over a microscope imaging a drifting point
 * particle (frames from deeptrack_feature_resolve_many, each frame's true position in its dicts, the
 * brightest pixel following it, the frames stacked as (N, H, W, C) by deeptrack_images_stack), a C
 * callback reading sequence_step, sequence_length and previous_value through its context, the
 * Brownian rule (seeded: the same movie twice), and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

#define FRAMES 5
#define SIZE 32

static deeptrack_rule *constant_vec(size_t n, const double *x) {
    deeptrack_value *v = NULL;
    deeptrack_rule *r = NULL;
    size_t shape[1] = {n};
    OK(deeptrack_value_new_array(x, shape, 1, &v));
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

/* A Sequence of `frames` frames of a Fluorescence microscope imaging `particle`. */
static deeptrack_feature *movie(deeptrack_feature *particle, int64_t frames) {
    deeptrack_feature *optics = NULL, *micro = NULL, *seq = NULL;
    double region[4] = {0, 0, SIZE, SIZE};
    OK(deeptrack_feature_new("Fluorescence", &optics));
    OK(deeptrack_feature_set_property(optics, "output_region", constant_vec(4, region)));
    OK(deeptrack_feature_microscope(optics, particle, &micro));
    OK(deeptrack_feature_new_with("Sequence", &micro, 1, &seq));
    OK(deeptrack_feature_set_property(seq, "sequence_length", constant_int(frames)));
    OK(deeptrack_feature_store_properties(seq, true));
    deeptrack_feature_free(optics);
    deeptrack_feature_free(micro);
    return seq;
}

static void position_of(const deeptrack_image *img, double out[2]) {
    deeptrack_value *v = NULL;
    const double *data = NULL;
    const size_t *shape = NULL;
    size_t ndim = 0;
    OK(deeptrack_image_get_property(img, "position", true, &v));
    OK(deeptrack_value_array(v, &data, &shape, &ndim));
    out[0] = data[0];
    out[1] = data[1];
    deeptrack_value_free(v);
}

static void test_drift_movie(void) {
    deeptrack_feature *particle = NULL;
    deeptrack_rule *drift = NULL;
    double start[2] = {8, 10}, velocity[2] = {3, 2};
    OK(deeptrack_feature_new("PointParticle", &particle));
    OK(deeptrack_feature_set_property(particle, "position", constant_vec(2, start)));
    OK(deeptrack_rule_drift(velocity, 2, &drift));
    OK(deeptrack_feature_set_sequential(particle, "position", drift));
    deeptrack_feature *seq = movie(particle, FRAMES);

    deeptrack_image *frames[FRAMES] = {NULL};
    size_t count = 0;
    OK(deeptrack_feature_resolve_many(seq, NULL, frames, FRAMES, &count));
    CHECK(count == FRAMES);
    for (size_t t = 0; t < count; t++) {
        double p[2];
        position_of(frames[t], p);
        CHECK(p[0] == 8 + 3.0 * t && p[1] == 10 + 2.0 * t);
        deeptrack_value *n = NULL;
        int64_t length = 0;
        OK(deeptrack_image_get_property(frames[t], "sequence_length", true, &n));
        OK(deeptrack_value_as_int(n, &length));
        CHECK(length == FRAMES);
        deeptrack_value_free(n);
    }

    /* One (N, H, W, C) array: query the size, then copy. */
    size_t shape[4] = {0}, needed = 0;
    CHECK(deeptrack_images_stack((const deeptrack_image *const *)frames, count, NULL, 0, shape, &needed) ==
          DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    CHECK(needed == FRAMES * SIZE * SIZE);
    CHECK(shape[0] == FRAMES && shape[1] == SIZE && shape[2] == SIZE && shape[3] == 1);
    double *stack = malloc(needed * sizeof *stack);
    OK(deeptrack_images_stack((const deeptrack_image *const *)frames, count, stack, needed, shape, &needed));
    for (size_t t = 0; t < count; t++) {
        const double *frame = stack + t * SIZE * SIZE;
        size_t best = 0;
        for (size_t i = 1; i < SIZE * SIZE; i++)
            if (frame[i] > frame[best]) best = i;
        /* The brightest pixel is the particle's: row 8 + 3t, column 10 + 2t. */
        CHECK(best / SIZE == 8 + 3 * t && best % SIZE == 10 + 2 * t);
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(frames[t], &data, &len));
        CHECK(len == SIZE * SIZE);
        CHECK(memcmp(data, frame, SIZE * SIZE * sizeof *frame) == 0);
    }
    free(stack);

    /* Frames of different shapes do not stack. */
    deeptrack_image *odd = NULL;
    double zeros[4] = {0};
    size_t odd_shape[2] = {2, 2};
    OK(deeptrack_image_new(zeros, odd_shape, 2, &odd));
    const deeptrack_image *mixed[2] = {frames[0], odd};
    CHECK(deeptrack_images_stack(mixed, 2, NULL, 0, shape, &needed) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "image 1 has shape [2, 2] but image 0 has [32, 32, 1]") != NULL);
    deeptrack_image_free(odd);
    for (size_t t = 0; t < count; t++) deeptrack_image_free(frames[t]);
    deeptrack_feature_free(seq);
    deeptrack_feature_free(particle);
}

/* A step callback: the previous position plus (step, length) read through the context. */
static deeptrack_status step_by_context(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    const deeptrack_value *previous = NULL, *step = NULL, *length = NULL;
    deeptrack_status s;
    if ((s = deeptrack_context_get(ctx, "previous_value", &previous)) != DEEPTRACK_STATUS_OK) return s;
    if ((s = deeptrack_context_get(ctx, "sequence_step", &step)) != DEEPTRACK_STATUS_OK) return s;
    if ((s = deeptrack_context_get(ctx, "sequence_length", &length)) != DEEPTRACK_STATUS_OK) return s;
    const double *p = NULL;
    const size_t *shape = NULL;
    size_t ndim = 0;
    int64_t t = 0, n = 0;
    if ((s = deeptrack_value_array(previous, &p, &shape, &ndim)) != DEEPTRACK_STATUS_OK) return s;
    if ((s = deeptrack_value_as_int(step, &t)) != DEEPTRACK_STATUS_OK) return s;
    if ((s = deeptrack_value_as_int(length, &n)) != DEEPTRACK_STATUS_OK) return s;
    double next[2] = {p[0] + (double)t, p[1] + (double)n};
    size_t dims[1] = {2};
    return deeptrack_value_new_array(next, dims, 1, out);
}

static void test_callback_reads_the_step(void) {
    deeptrack_feature *particle = NULL;
    deeptrack_rule *step = NULL;
    double start[2] = {2, 1};
    OK(deeptrack_feature_new("PointParticle", &particle));
    OK(deeptrack_feature_set_property(particle, "position", constant_vec(2, start)));
    OK(deeptrack_rule_callback(step_by_context, NULL, NULL, &step));
    OK(deeptrack_feature_set_sequential(particle, "position", step));
    deeptrack_feature *seq = movie(particle, 4);
    deeptrack_image *frames[4] = {NULL};
    size_t count = 0;
    OK(deeptrack_feature_resolve_many(seq, NULL, frames, 4, &count));
    CHECK(count == 4);
    /* Rows 2, 3, 5, 8 (+ step), columns 1, 5, 9, 13 (+ length). */
    double rows[4] = {2, 3, 5, 8}, cols[4] = {1, 5, 9, 13};
    for (size_t t = 0; t < count; t++) {
        double p[2];
        position_of(frames[t], p);
        CHECK(p[0] == rows[t] && p[1] == cols[t]);
        deeptrack_image_free(frames[t]);
    }
    deeptrack_feature_free(seq);
    deeptrack_feature_free(particle);
}

static void brownian_positions(uint64_t seed, double out[FRAMES][2]) {
    deeptrack_feature *particle = NULL;
    deeptrack_rule *walk = NULL;
    double start[2] = {16, 16};
    OK(deeptrack_feature_new("PointParticle", &particle));
    OK(deeptrack_feature_set_property(particle, "position", constant_vec(2, start)));
    /* 1 µm²/s, 10 ms per frame, 100 nm pixels: sqrt(2e-14) / 1e-7 = 1.41 pixels per axis and frame. */
    OK(deeptrack_rule_brownian(1e-12, 0.01, 1e-7, &walk));
    OK(deeptrack_feature_set_sequential(particle, "position", walk));
    deeptrack_feature *seq = movie(particle, FRAMES);
    OK(deeptrack_feature_seed(seq, seed));
    deeptrack_image *frames[FRAMES] = {NULL};
    size_t count = 0;
    OK(deeptrack_feature_resolve_many(seq, NULL, frames, FRAMES, &count));
    CHECK(count == FRAMES);
    for (size_t t = 0; t < count; t++) {
        position_of(frames[t], out[t]);
        deeptrack_image_free(frames[t]);
    }
    deeptrack_feature_free(seq);
    deeptrack_feature_free(particle);
}

static void test_brownian(void) {
    double a[FRAMES][2], b[FRAMES][2], c[FRAMES][2];
    brownian_positions(5, a);
    brownian_positions(5, b);
    brownian_positions(6, c);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    CHECK(a[0][0] == 16 && a[0][1] == 16);
    for (int t = 1; t < FRAMES; t++) CHECK(a[t][0] != a[t - 1][0] && fabs(a[t][0] - a[t - 1][0]) < 10);
}

/* A batch of 3 seeded movies of a diffusing particle: the same on 1 and 2 threads, items differ. */
static void test_batch(void) {
    deeptrack_feature *particle = NULL;
    deeptrack_rule *walk = NULL;
    double start[2] = {16, 16};
    OK(deeptrack_feature_new("PointParticle", &particle));
    OK(deeptrack_feature_set_property(particle, "position", constant_vec(2, start)));
    OK(deeptrack_rule_brownian_pixels(1.0, &walk));
    OK(deeptrack_feature_set_sequential(particle, "position", walk));
    deeptrack_feature *seq = movie(particle, FRAMES);
    size_t counts[3] = {0}, total = 0;
    CHECK(deeptrack_feature_resolve_batch_many(seq, NULL, 11, 0, 3, 1, NULL, 0, counts, &total) ==
          DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    CHECK(total == 3 * FRAMES && counts[0] == FRAMES && counts[1] == FRAMES && counts[2] == FRAMES);
    deeptrack_image *one[3 * FRAMES] = {NULL}, *two[3 * FRAMES] = {NULL};
    OK(deeptrack_feature_resolve_batch_many(seq, NULL, 11, 0, 3, 1, one, 3 * FRAMES, counts, &total));
    OK(deeptrack_feature_resolve_batch_many(seq, NULL, 11, 0, 3, 2, two, 3 * FRAMES, counts, &total));
    CHECK(total == 3 * FRAMES);
    for (size_t i = 0; i < total; i++) {
        double a[2], b[2];
        position_of(one[i], a);
        position_of(two[i], b);
        CHECK(a[0] == b[0] && a[1] == b[1]);
    }
    double first_item[2], second_item[2];
    position_of(one[FRAMES - 1], first_item);
    position_of(one[2 * FRAMES - 1], second_item);
    CHECK(first_item[0] != second_item[0]);
    for (size_t i = 0; i < total; i++) {
        deeptrack_image_free(one[i]);
        deeptrack_image_free(two[i]);
    }
    deeptrack_feature_free(seq);
    deeptrack_feature_free(particle);
}

/* The increment rule: the previous position plus a draw of a rule (here a constant, so the track is
 * exact), and the rule it takes is consumed, also on error. */
static void test_increment(void) {
    deeptrack_feature *particle = NULL;
    deeptrack_rule *step = NULL;
    double start[2] = {4, 6}, by[2] = {2, -1};
    OK(deeptrack_feature_new("PointParticle", &particle));
    OK(deeptrack_feature_set_property(particle, "position", constant_vec(2, start)));
    OK(deeptrack_rule_increment(constant_vec(2, by), &step));
    OK(deeptrack_feature_set_sequential(particle, "position", step));
    deeptrack_feature *seq = movie(particle, FRAMES);
    deeptrack_image *frames[FRAMES] = {NULL};
    size_t count = 0;
    OK(deeptrack_feature_resolve_many(seq, NULL, frames, FRAMES, &count));
    CHECK(count == FRAMES);
    for (size_t t = 0; t < count; t++) {
        double p[2];
        position_of(frames[t], p);
        CHECK(p[0] == 4 + 2.0 * t && p[1] == 6 - 1.0 * t);
        deeptrack_image_free(frames[t]);
    }
    deeptrack_feature_free(seq);
    deeptrack_feature_free(particle);
    deeptrack_rule *r = NULL;
    CHECK(deeptrack_rule_increment(NULL, &r) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_rule_increment(constant_int(1), NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
}

static void test_bad_input(void) {
    deeptrack_rule *r = NULL;
    CHECK(deeptrack_rule_brownian(-1, 0.01, 1e-7, &r) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "the diffusion constant (m²/s) must be a finite number at least 0") != NULL);
    CHECK(deeptrack_rule_drift(NULL, 0, &r) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(deeptrack_rule_brownian_pixels(1, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_feature_set_sequential(NULL, "position", NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    deeptrack_feature *seq = NULL, *particle = NULL;
    OK(deeptrack_feature_new("PointParticle", &particle));
    OK(deeptrack_feature_new_with("Sequence", &particle, 1, &seq));
    CHECK(deeptrack_feature_set_property(seq, "sequence_length", constant_int(2000000)) ==
          DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "exceeds the maximum of 1048576") != NULL);
    CHECK(deeptrack_feature_new("Sequence", &seq) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    deeptrack_feature_free(seq);
    deeptrack_feature_free(particle);
}

int main(void) {
    test_drift_movie();
    test_callback_reads_the_step();
    test_brownian();
    test_batch();
    test_increment();
    test_bad_input();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
