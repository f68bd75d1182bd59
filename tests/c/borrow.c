/* deeptrack_image_borrow: the library reads the caller's samples in place; results that keep them
 * unchanged (Unsqueeze, Squeeze, AsType to float64) share them, computed ones do not; `release` is
 * called exactly once, when the last image sharing the samples is freed (also from the workers of a
 * batch), and on every error before the call returns. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void count_release(void *ctx) { atomic_fetch_add((atomic_int *)ctx, 1); }

static const double *data_of(const deeptrack_image *img, size_t *len) {
    const double *data = NULL;
    OK(deeptrack_image_data(img, &data, len));
    return data;
}

static deeptrack_feature *kind(const char *name) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new(name, &f));
    return f;
}

static void test_shared_and_computed_results(void) {
    double samples[6] = {-1, 2, -3, 4, -5, 6};
    size_t shape[2] = {2, 3}, len = 0, dims[3] = {0};
    atomic_int released = 0;
    deeptrack_image *img = NULL, *wide = NULL, *back = NULL, *abs = NULL, *same = NULL;
    OK(deeptrack_image_borrow(samples, shape, 2, count_release, &released, &img));
    CHECK(data_of(img, &len) == samples && len == 6);

    /* Unsqueeze then Squeeze: the same samples in another shape, no copy. */
    deeptrack_feature *unsqueeze = kind("Unsqueeze"), *squeeze = kind("Squeeze"), *abs_f = kind("Abs");
    deeptrack_feature *as_type = kind("AsType");
    OK(deeptrack_feature_resolve(unsqueeze, img, &wide));
    OK(deeptrack_image_shape(wide, dims, 3));
    CHECK(deeptrack_image_ndim(wide) == 3 && dims[0] == 2 && dims[1] == 3 && dims[2] == 1);
    CHECK(data_of(wide, &len) == samples && len == 6);
    OK(deeptrack_feature_resolve(squeeze, wide, &back));
    CHECK(deeptrack_image_ndim(back) == 2 && data_of(back, &len) == samples);
    OK(deeptrack_feature_resolve(as_type, img, &same));
    CHECK(data_of(same, &len) == samples);

    /* A computed result is the library's own memory. */
    OK(deeptrack_feature_resolve(abs_f, img, &abs));
    const double *a = data_of(abs, &len);
    CHECK(a != samples && len == 6 && a[0] == 1 && a[4] == 5 && a[5] == 6);
    CHECK(samples[0] == -1 && samples[4] == -5);

    /* Changed between calls and updated: the new contents are computed on. */
    samples[0] = -10;
    OK(deeptrack_feature_update(abs_f));
    deeptrack_image_free(abs);
    OK(deeptrack_feature_resolve(abs_f, img, &abs));
    CHECK(data_of(abs, &len)[0] == 10);

    /* Released once, when the last image sharing the samples goes (the features keep their last
     * input and result). */
    deeptrack_image_free(img);
    deeptrack_image_free(wide);
    deeptrack_image_free(abs);
    deeptrack_feature_free(abs_f);
    deeptrack_feature_free(unsqueeze);
    deeptrack_feature_free(as_type);
    deeptrack_image_free(same);
    CHECK(atomic_load(&released) == 0);
    deeptrack_feature_free(squeeze);
    CHECK(atomic_load(&released) == 0);
    CHECK(data_of(back, &len)[1] == 2);
    deeptrack_image_free(back);
    CHECK(atomic_load(&released) == 1);
}

static void test_batches_on_worker_threads(void) {
    enum { N = 64 * 64 };
    double *samples = malloc(N * sizeof *samples);
    for (size_t i = 0; i < N; i++) samples[i] = (double)i - 100;
    size_t shape[2] = {64, 64}, len = 0;
    atomic_int released = 0;
    deeptrack_image *img = NULL, *out[8] = {NULL};
    OK(deeptrack_image_borrow(samples, shape, 2, count_release, &released, &img));
    deeptrack_feature *squeeze = kind("Squeeze"), *abs_f = kind("Abs");
    OK(deeptrack_feature_resolve_batch(squeeze, img, 1, 0, 4, 2, out));
    OK(deeptrack_feature_resolve_batch(abs_f, img, 1, 0, 4, 2, out + 4));
    deeptrack_image_free(img);
    for (int i = 0; i < 4; i++) CHECK(data_of(out[i], &len) == samples && len == N);
    for (int i = 4; i < 8; i++) CHECK(data_of(out[i], &len)[0] == 100 && data_of(out[i], &len)[N - 1] == N - 101);
    deeptrack_feature_free(squeeze);
    deeptrack_feature_free(abs_f);
    for (int i = 0; i < 8; i++) deeptrack_image_free(out[i]);
    CHECK(atomic_load(&released) == 1);
    free(samples);
}

static void test_errors_release_before_returning(void) {
    double samples[4] = {1, 2, 3, 4};
    size_t shape[2] = {2, 2}, huge[2] = {SIZE_MAX, 4}, many[33];
    for (int i = 0; i < 33; i++) many[i] = 1;
    atomic_int released = 0;
    deeptrack_image *img = NULL;
    FAILS(deeptrack_image_borrow(samples, shape, 2, count_release, &released, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'out' is NULL");
    CHECK(atomic_load(&released) == 1);
    FAILS(deeptrack_image_borrow(NULL, shape, 2, count_release, &released, &img), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'data': the pointer is NULL but there are 4 elements");
    CHECK(atomic_load(&released) == 2 && img == NULL);
    FAILS(deeptrack_image_borrow((const double *)((const char *)samples + 1), shape, 2, count_release, &released, &img),
          DEEPTRACK_STATUS_INVALID_ARGUMENT, "is not aligned to 8 bytes");
    CHECK(atomic_load(&released) == 3);
    FAILS(deeptrack_image_borrow(samples, NULL, 2, count_release, &released, &img), DEEPTRACK_STATUS_NULL_ARGUMENT,
          "argument 'shape' is NULL");
    CHECK(atomic_load(&released) == 4);
    FAILS(deeptrack_image_borrow(samples, huge, 2, count_release, &released, &img), DEEPTRACK_STATUS_OUT_OF_MEMORY,
          "element count overflows");
    CHECK(atomic_load(&released) == 5);
    FAILS(deeptrack_image_borrow(samples, many, 33, count_release, &released, &img), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "at most 32 dimensions");
    CHECK(atomic_load(&released) == 6 && img == NULL);

    /* No release function: nothing is called; no elements: the pointer may be NULL. */
    size_t empty[2] = {0, 3}, len = 9;
    OK(deeptrack_image_borrow(samples, shape, 2, NULL, NULL, &img));
    CHECK(data_of(img, &len)[3] == 4);
    deeptrack_image_free(img);
    OK(deeptrack_image_borrow(NULL, empty, 2, count_release, &released, &img));
    data_of(img, &len);
    CHECK(len == 0 && deeptrack_image_ndim(img) == 2);
    deeptrack_image_free(img);
    CHECK(atomic_load(&released) == 7);
}

int main(void) {
    test_shared_and_computed_results();
    test_batches_on_worker_threads();
    test_errors_release_before_returning();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
