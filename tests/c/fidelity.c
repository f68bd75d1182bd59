/* Fidelity fixes from C: LoadImage of TIFFs whose samples are separate planes (tifffile's (3, H, W)
 * and (4, H, W) arrays) and of tifffile's multi-series files (the first series), built by kind name,
 * values checked against the fixtures DeepTrack2 2.0.1 read; a cut TIFF is a clear error. Resize of
 * uint8 and int16 images (AsType's) keeps their type, as OpenCV. Pad(px=1) pads every axis by 1.
 * Slice takes lists of integers and masks of booleans (numpy's advanced indexing), boolean array values
 * (deeptrack_value_new_array_bool) among them. FIXTURES is the fixture directory
 * and TMPDIR a scratch one, given by the compiler's -D. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* LoadImage(path=FIXTURES/<name>.tif) resolved; NULL on failure (reported). */
static deeptrack_image *load(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tif", FIXTURES, name);
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new("LoadImage", &f));
    set_string(f, "path", path);
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(f, NULL, &out));
    deeptrack_feature_free(f);
    return out;
}

/* The fixtures' samples: (i * 37 + 11) % 251 in row-major order (tests/fixtures/generate.py). */
static double sample(size_t i) { return (double)((i * 37 + 11) % 251); }

static void check_tiff(const char *name, const size_t *shape, size_t ndim) {
    deeptrack_image *img = load(name);
    if (img == NULL) return;
    size_t got[8] = {0};
    CHECK(deeptrack_image_ndim(img) == ndim);
    OK(deeptrack_image_shape(img, got, 8));
    size_t n = 1;
    for (size_t k = 0; k < ndim; k++) {
        CHECK(got[k] == shape[k]);
        n *= shape[k];
    }
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &data, &len));
    CHECK(len == n);
    int same = 1;
    for (size_t i = 0; i < len && i < n; i++) same &= data[i] == sample(i);
    CHECK(same);
    deeptrack_image_free(img);
}

/* AsType(dtype) >> Resize(dsize=(3, 3)) of the 2 x 2 image `data`: checks the type and the samples. */
static void check_resize(const char *dtype, uint32_t number, const double *data, const double *expected) {
    const size_t shape[2] = {2, 2};
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(data, shape, 2, &img));
    deeptrack_feature *as_type = NULL, *resize = NULL, *chain = NULL;
    OK(deeptrack_feature_new("AsType", &as_type));
    set_string(as_type, "dtype", dtype);
    OK(deeptrack_feature_new("Resize", &resize));
    const double dsize[2] = {3, 3};
    const size_t two[1] = {2};
    deeptrack_value *size_value = NULL;
    OK(deeptrack_value_new_array(dsize, two, 1, &size_value));
    set_value(resize, "dsize", size_value);
    OK(deeptrack_feature_chain(as_type, resize, &chain));
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(chain, img, &out));
    if (out != NULL) {
        uint32_t type = 99;
        OK(deeptrack_image_dtype(out, &type));
        CHECK(type == number);
        const double *got = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out, &got, &len));
        CHECK(len == 9);
        for (size_t i = 0; i < len && i < 9; i++) CHECK(got[i] == expected[i]);
        deeptrack_image_free(out);
    }
    deeptrack_image_free(img);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(resize);
    deeptrack_feature_free(as_type);
}

/* Resolves Slice(slices) on the 3 x 4 image 0..11; checks the shape and the samples. */
static void check_slice(deeptrack_value *slices, const size_t *shape, size_t ndim, const double *expected) {
    const double data[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const size_t in_shape[2] = {3, 4};
    deeptrack_image *img = NULL, *out = NULL;
    OK(deeptrack_image_new(data, in_shape, 2, &img));
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new("Slice", &f));
    set_value(f, "slices", slices);
    OK(deeptrack_feature_resolve(f, img, &out));
    if (out != NULL) {
        size_t got[4] = {0};
        CHECK(deeptrack_image_ndim(out) == ndim);
        OK(deeptrack_image_shape(out, got, 4));
        size_t n = 1;
        for (size_t k = 0; k < ndim; k++) {
            CHECK(got[k] == shape[k]);
            n *= shape[k];
        }
        const double *values = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out, &values, &len));
        CHECK(len == n);
        for (size_t i = 0; i < len && i < n; i++) CHECK(values[i] == expected[i]);
        deeptrack_image_free(out);
    }
    deeptrack_image_free(img);
    deeptrack_feature_free(f);
}

/* A list value of the integers `v` (n of them), or of bools when `bools`. */
static deeptrack_value *list_of(const int64_t *v, size_t n, int bools) {
    deeptrack_value *list = NULL, *item = NULL;
    OK(deeptrack_value_new_list(&list));
    for (size_t i = 0; i < n; i++) {
        if (bools) {
            OK(deeptrack_value_new_bool(v[i] != 0, &item));
        } else {
            OK(deeptrack_value_new_int(v[i], &item));
        }
        OK(deeptrack_value_list_push(list, item));
        deeptrack_value_free(item);
    }
    return list;
}

int main(void) {
    /* x[[2, 0]] (slices = [[2, 0]]): rows 2 and 0. */
    {
        deeptrack_value *slices = NULL, *rows = list_of((const int64_t[]){2, 0}, 2, 0);
        OK(deeptrack_value_new_list(&slices));
        OK(deeptrack_value_list_push(slices, rows));
        deeptrack_value_free(rows);
        check_slice(slices, (const size_t[]){2, 4}, 2, (const double[]){8, 9, 10, 11, 0, 1, 2, 3});
    }
    /* x[":", [3, 1]]: columns 3 and 1. */
    {
        deeptrack_value *slices = NULL, *all = NULL, *cols = list_of((const int64_t[]){3, 1}, 2, 0);
        OK(deeptrack_value_new_list(&slices));
        OK(deeptrack_value_new_string(":", &all));
        OK(deeptrack_value_list_push(slices, all));
        OK(deeptrack_value_list_push(slices, cols));
        deeptrack_value_free(all);
        deeptrack_value_free(cols);
        check_slice(slices, (const size_t[]){3, 2}, 2, (const double[]){3, 1, 7, 5, 11, 9});
    }
    /* x[[True, False, True]]: a mask of the rows. */
    {
        deeptrack_value *slices = NULL, *mask = list_of((const int64_t[]){1, 0, 1}, 3, 1);
        OK(deeptrack_value_new_list(&slices));
        OK(deeptrack_value_list_push(slices, mask));
        deeptrack_value_free(mask);
        check_slice(slices, (const size_t[]){2, 4}, 2, (const double[]){0, 1, 2, 3, 8, 9, 10, 11});
    }
    /* A boolean array value (numpy's bool array): a mask as the whole index and as an element, a bool
     * image from a Value feature, read back as bools; NULL arguments are refused. */
    {
        const bool rows[3] = {true, false, true};
        const bool cells[12] = {true, false, false, true, false, false, true, false, false, true, false, false};
        const size_t three = 3, grid[2] = {3, 4};
        deeptrack_value *mask = NULL, *slices = NULL, *all = NULL;
        OK(deeptrack_value_new_array_bool(rows, &three, 1, &mask));
        CHECK(deeptrack_value_kind(mask) == DEEPTRACK_VALUE_KIND_BOOL_ARRAY);
        const bool *got = NULL;
        const size_t *got_shape = NULL;
        size_t got_ndim = 0;
        OK(deeptrack_value_array_bool(mask, &got, &got_shape, &got_ndim));
        CHECK(got_ndim == 1 && got_shape[0] == 3 && got[0] && !got[1] && got[2]);
        FAILS(deeptrack_value_array(mask, NULL, NULL, NULL), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an array");
        /* x[mask, "1:"]: the rows, from column 1. */
        OK(deeptrack_value_new_list(&slices));
        OK(deeptrack_value_list_push(slices, mask));
        OK(deeptrack_value_new_string("1:", &all));
        OK(deeptrack_value_list_push(slices, all));
        deeptrack_value_free(all);
        check_slice(slices, (const size_t[]){2, 3}, 2, (const double[]){1, 2, 3, 9, 10, 11});
        /* Value(value=mask) resolves to a bool image of 0s and 1s. */
        deeptrack_feature *v = NULL;
        deeptrack_image *img = NULL;
        OK(deeptrack_feature_new("Value", &v));
        set_value(v, "value", mask);
        OK(deeptrack_feature_resolve(v, NULL, &img));
        if (img != NULL) {
            uint32_t dtype = 0;
            const double *values = NULL;
            size_t n = 0;
            OK(deeptrack_image_dtype(img, &dtype));
            CHECK(dtype == DEEPTRACK_DTYPE_BOOL);
            OK(deeptrack_image_data(img, &values, &n));
            CHECK(n == 3 && values[0] == 1 && values[1] == 0 && values[2] == 1);
            deeptrack_image_free(img);
        }
        deeptrack_feature_free(v);
        /* A 2-d mask alone: the selected samples in C order. */
        OK(deeptrack_value_new_array_bool(cells, grid, 2, &mask));
        check_slice(mask, (const size_t[]){4}, 1, (const double[]){0, 3, 6, 9});
        FAILS(deeptrack_value_new_array_bool(rows, &three, 1, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
        FAILS(deeptrack_value_new_array_bool(NULL, &three, 1, &mask), DEEPTRACK_STATUS_NULL_ARGUMENT, "data");
        FAILS(deeptrack_value_array_bool(NULL, &got, NULL, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "v");
    }
    /* Pad(px=1): one number pads every axis by it on both sides. */
    {
        const double data[2] = {4, 5};
        const size_t shape[2] = {1, 2};
        deeptrack_image *img = NULL, *out = NULL;
        OK(deeptrack_image_new(data, shape, 2, &img));
        deeptrack_feature *pad = NULL;
        OK(deeptrack_feature_new("Pad", &pad));
        deeptrack_value *one = NULL;
        OK(deeptrack_value_new_int(1, &one));
        set_value(pad, "px", one);
        OK(deeptrack_feature_resolve(pad, img, &out));
        size_t got[2] = {0, 0};
        OK(deeptrack_image_shape(out, got, 2));
        CHECK(got[0] == 3 && got[1] == 4);
        const double *values = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out, &values, &len));
        const double expected[12] = {0, 0, 0, 0, 0, 4, 5, 0, 0, 0, 0, 0};
        CHECK(len == 12);
        for (size_t i = 0; i < len && i < 12; i++) CHECK(values[i] == expected[i]);
        deeptrack_image_free(out);
        deeptrack_image_free(img);
        deeptrack_feature_free(pad);
    }
    /* Resize keeps uint8 (OpenCV's fixed point) and int16 (rounded), as cv2.resize. */
    check_resize("uint8", DEEPTRACK_DTYPE_UINT8, (const double[]){10, 20, 30, 40},
                 (const double[]){10, 15, 20, 20, 25, 30, 30, 35, 40});
    check_resize("int16", DEEPTRACK_DTYPE_INT16, (const double[]){-10, -20, -30, -41},
                 (const double[]){-10, -15, -20, -20, -25, -30, -30, -36, -41});

    /* Separate planes: (3, 6, 7) uint8, (4, 6, 7) uint16, (5, 6, 7) uint8, as DeepTrack2. */
    check_tiff("tiff_planar_u8_3", (const size_t[]){3, 6, 7}, 3);
    check_tiff("tiff_planar_u16_4", (const size_t[]){4, 6, 7}, 3);
    check_tiff("tiff_planar_u8_5", (const size_t[]){5, 6, 7}, 3);
    /* Two series, (2, 6, 7) then (6, 7): the first. imageio.mimwrite's frames: the first, (6, 7, 1). */
    check_tiff("tiff_two_series", (const size_t[]){2, 6, 7}, 3);
    check_tiff("tiff_mimwrite", (const size_t[]){6, 7, 1}, 3);
    /* An ImageJ hyperstack of 3 slices of 2 channels. */
    check_tiff("tiff_imagej_zc", (const size_t[]){3, 2, 6, 7}, 4);

    /* A file cut inside its samples: a clear error naming the path. */
    char path[4096], cut[4096];
    snprintf(path, sizeof path, "%s/tiff_planar_u16_4.tif", FIXTURES);
    snprintf(cut, sizeof cut, "%s/fidelity_cut.tif", TMPDIR);
    FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
    CHECK(in != NULL && out != NULL);
    if (in != NULL && out != NULL) {
        unsigned char buf[48];
        size_t n = fread(buf, 1, sizeof buf, in);
        fwrite(buf, 1, n, out);
    }
    if (in != NULL) fclose(in);
    if (out != NULL) fclose(out);
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new("LoadImage", &f));
    set_string(f, "path", cut);
    deeptrack_image *img = NULL;
    FAILS(deeptrack_feature_resolve(f, NULL, &img), DEEPTRACK_STATUS_INVALID_ARGUMENT, "fidelity_cut.tif': a bad TIFF file");
    CHECK(img == NULL);
    deeptrack_feature_free(f);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
