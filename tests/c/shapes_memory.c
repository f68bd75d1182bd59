/* Issue 12 from C, by kind name: 0-d images follow numpy's legacy rule where DeepTrack2 2.0.1 gives a
 * result (Sum, Prod, Min, Max, PeakToPeak with axis 0 or -1: 0-d; Cumsum: shape (1,); Squeeze: 0-d)
 * and raise where it raises (Mean with axis 0, a tuple of axes); ElasticTransformation without an
 * axis to displace is an ordinary error; AsType of a 0-d image is 0-d of its dtype; and in an
 * address space limited with setrlimit(RLIMIT_AS), MedianBlur over a long axis runs in memory
 * bounded by the image and the window, and a window whose scratch does not fit is
 * DEEPTRACK_STATUS_OUT_OF_MEMORY, after which the process goes on. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "helpers.h"

/* `f` resolved on a 0-d image of 3: its status; the shape's rank in *ndim and first value in *value. */
static deeptrack_status on_0d(deeptrack_feature *f, size_t *ndim, size_t *len, double *value) {
    double x = 3.0;
    deeptrack_image *in = NULL, *out = NULL;
    OK(deeptrack_image_new(&x, NULL, 0, &in));
    deeptrack_status s = deeptrack_feature_resolve(f, in, &out);
    if (s == DEEPTRACK_STATUS_OK) {
        const double *data = NULL;
        *ndim = deeptrack_image_ndim(out);
        OK(deeptrack_image_data(out, &data, len));
        *value = *len ? data[0] : NAN;
        deeptrack_image_free(out);
    }
    deeptrack_image_free(in);
    return s;
}

static void test_legacy_0d_rule(void) {
    const char *kinds[] = {"Sum", "Prod", "Min", "Max", "PeakToPeak"};
    const double expected[] = {3, 3, 3, 3, 0};
    for (int k = 0; k < 5; k++) {
        for (int axis = -1; axis <= 0; axis++) {
            deeptrack_feature *f = feature(kinds[k]);
            set_int(f, "axis", axis);
            size_t ndim = 9, len = 0;
            double v = NAN;
            OK(on_0d(f, &ndim, &len, &v));
            CHECK(ndim == 0 && len == 1 && v == expected[k]);
            /* A tuple of one axis raises (numpy: AxisError). */
            deeptrack_value *t = NULL, *a = NULL;
            OK(deeptrack_value_new_tuple(&t));
            OK(deeptrack_value_new_int(axis, &a));
            OK(deeptrack_value_list_push(t, a));
            set_value(f, "axis", t);
            deeptrack_value_free(a);
            FAILS(on_0d(f, &ndim, &len, &v), DEEPTRACK_STATUS_INVALID_ARGUMENT, "is out of bounds for an image of 0");
            deeptrack_feature_free(f);
        }
    }
    size_t ndim = 9, len = 0;
    double v = NAN;
    deeptrack_feature *cumsum = feature("Cumsum");
    set_int(cumsum, "axis", -1);
    OK(on_0d(cumsum, &ndim, &len, &v));
    CHECK(ndim == 1 && len == 1 && v == 3);
    deeptrack_feature_free(cumsum);
    deeptrack_feature *squeeze = feature("Squeeze");
    set_int(squeeze, "axis", 0);
    OK(on_0d(squeeze, &ndim, &len, &v));
    CHECK(ndim == 0 && len == 1 && v == 3);
    deeptrack_feature_free(squeeze);
    deeptrack_feature *mean = feature("Mean");
    set_int(mean, "axis", 0);
    FAILS(on_0d(mean, &ndim, &len, &v), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'axis' of feature 'Mean': axis 0 is out of bounds for an image of 0 dimensions");
    deeptrack_feature_free(mean);
    deeptrack_feature *elastic = feature("ElasticTransformation");
    deeptrack_value *no = NULL;
    OK(deeptrack_value_new_bool(false, &no));
    set_value(elastic, "ignore_last_dim", no);
    FAILS(on_0d(elastic, &ndim, &len, &v), DEEPTRACK_STATUS_INVALID_ARGUMENT, "has no axis to displace");
    deeptrack_feature_free(elastic);
    /* AsType of a 0-d image: 0-d, of its dtype, its sample that type's value. */
    deeptrack_feature *as_type = feature("AsType");
    set_string(as_type, "dtype", "int32");
    double x = 3.7;
    deeptrack_image *in = NULL, *out = NULL;
    OK(deeptrack_image_new(&x, NULL, 0, &in));
    OK(deeptrack_feature_resolve(as_type, in, &out));
    uint32_t dtype = 0;
    OK(deeptrack_image_dtype(out, &dtype));
    const double *data = NULL;
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(deeptrack_image_ndim(out) == 0 && dtype == DEEPTRACK_DTYPE_INT32 && len == 1 && data[0] == 3);
    deeptrack_image_free(out);
    deeptrack_image_free(in);
    deeptrack_feature_free(as_type);
}

/* This process's address space in bytes (VmSize). */
static unsigned long long address_space(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %llu kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib * 1024;
}

static void limit_to(unsigned long long margin) {
    struct rlimit r;
    CHECK(getrlimit(RLIMIT_AS, &r) == 0);
    r.rlim_cur = address_space() + margin;
    CHECK(setrlimit(RLIMIT_AS, &r) == 0);
}

static void unlimit(void) {
    struct rlimit r;
    CHECK(getrlimit(RLIMIT_AS, &r) == 0);
    r.rlim_cur = r.rlim_max;
    CHECK(setrlimit(RLIMIT_AS, &r) == 0);
}

static deeptrack_image *ramp(size_t n) {
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (double)i;
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(x, &n, 1, &img));
    free(x);
    return img;
}

static void test_median_blur_in_a_small_address_space(void) {
    deeptrack_feature *blur = feature("MedianBlur");
    deeptrack_image *small = ramp(8), *out = NULL;
    OK(deeptrack_feature_resolve(blur, small, &out)); /* warm up */
    deeptrack_image_free(out);
    /* First (nothing large freed before it), a window of 2^20 over 2 samples: its scratch (24 MiB)
     * does not fit in 4 MiB more. The system allocator is refused by the OS: OUT_OF_MEMORY; mimalloc
     * may have room left in an arena it reserved before (counted in the address space already): then
     * the filter runs (each window holds 0 1 1 0 ... reflected: 2^19 zeros and ones, the upper
     * median 1). */
    deeptrack_image *short_axis = ramp(2);
    set_int(blur, "ksize", 1 << 20);
    limit_to(4ull << 20);
    out = NULL;
    const double *data = NULL;
    size_t len = 0;
    deeptrack_status s = deeptrack_feature_resolve(blur, short_axis, &out);
    if (getenv("DEEPTRACK_SYSTEM_ALLOCATOR") != NULL || s != DEEPTRACK_STATUS_OK) {
        CHECK(s == DEEPTRACK_STATUS_OUT_OF_MEMORY && out == NULL);
        CHECK(strcmp(last_error(),
                     "property 'ksize' of feature 'MedianBlur': cannot allocate the scratch of a window of 1048576 "
                     "samples") == 0);
    } else {
        OK(deeptrack_image_data(out, &data, &len));
        CHECK(len == 2 && data[0] == 1 && data[1] == 1);
        deeptrack_image_free(out);
    }
    unlimit();
    /* 2^18 samples, a window of 1024: a few MiB (an axis-long table of windows was 2 GiB). */
    size_t n = (size_t)1 << 18;
    deeptrack_image *long_axis = ramp(n);
    set_int(blur, "ksize", 1024);
    limit_to(512ull << 20);
    out = NULL;
    OK(deeptrack_feature_resolve(blur, long_axis, &out));
    if (out) {
        OK(deeptrack_image_data(out, &data, &len));
        CHECK(len == n && data[512] == 512 && data[100000] == 100000);
        deeptrack_image_free(out);
    }
    unlimit();
    /* The process goes on. */
    set_int(blur, "ksize", 3);
    OK(deeptrack_feature_resolve(blur, small, &out));
    if (out) {
        OK(deeptrack_image_data(out, &data, &len));
        CHECK(len == 8 && data[0] == 0 && data[4] == 4 && data[7] == 7);
        deeptrack_image_free(out);
    }
    deeptrack_image_free(small);
    deeptrack_image_free(long_axis);
    deeptrack_image_free(short_axis);
    deeptrack_feature_free(blur);
}

/* Run as `shapes_memory batch`, the address space limited before the library's first allocation (so
 * that no arena was reserved before): a batch of 64 threads where only a few threads' stacks and heaps
 * fit. Each worker's heap (a mimalloc segment, or a thread arena of glibc) needs address space of its
 * own: the batch starts only the workers that fit, and renders every item. */
static void test_batch_of_many_threads_in_a_small_address_space(void) {
    limit_to(100ull << 20);
    deeptrack_feature *add = feature("Add");
    set_float(add, "value", 1);
    double x[64] = {0};
    size_t shape = 64;
    deeptrack_image *in = NULL, *out[256] = {NULL};
    OK(deeptrack_image_new(x, &shape, 1, &in));
    for (size_t threads = 16; threads <= 64; threads += 16) {
        OK(deeptrack_feature_resolve_batch(add, in, 7, 0, 256, threads, out));
        for (int i = 0; i < 256; i++) {
            const double *data = NULL;
            size_t len = 0;
            CHECK(out[i] != NULL && deeptrack_image_data(out[i], &data, &len) == DEEPTRACK_STATUS_OK && len == 64 &&
                  data[63] == 1);
            deeptrack_image_free(out[i]);
            out[i] = NULL;
        }
    }
    deeptrack_image_free(in);
    deeptrack_feature_free(add);
    unlimit();
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "batch") == 0) {
        test_batch_of_many_threads_in_a_small_address_space();
        printf("%d checks passed, %d failed\n", checks - failures, failures);
        return failures != 0;
    }
    test_legacy_0d_rule();
    test_median_blur_in_a_small_address_space();
    printf("%d checks passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
