/* Parameters as numpy gives them, from C: an array of one number where a number is expected, an
 * array that broadcasts with the image (Offset, Clip), Clip with crossed bounds (max wins, as numpy's
 * clip), GaussianBlur's sigma per axis (axis 0 only: each column blurred, rows apart), FlipUD of a 1-d
 * image, AsType to a complex type, LoadImage keeping a .npy file's uint8 samples, the error of an
 * array that does not broadcast, and numpy's other spellings of numbers (a 0-d array and a bool in
 * Pad's px, a bool as Probability's probability), and Equals(None) (false everywhere, as numpy). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* `f` resolved on the `rows` x `cols` image `x`, its samples copied into `out` (rows * cols doubles). */
static void run2(deeptrack_feature *f, const double *x, size_t rows, size_t cols, double *out) {
    size_t shape[2] = {rows, cols};
    deeptrack_image *in = NULL, *img = NULL;
    OK(deeptrack_image_new(x, shape, 2, &in));
    OK(deeptrack_feature_resolve(f, in, &img));
    if (img) OK(deeptrack_image_copy_to(img, out, rows * cols));
    deeptrack_image_free(img);
    deeptrack_image_free(in);
}

int main(void) {
    const double x[6] = {-1.5, 0.25, 2.7, 3.0, 0.5, -4.0}; /* 2 x 3 */
    double out[6] = {0};

    /* Offset by [10, 20, 30]: added to every row. */
    deeptrack_feature *offset = feature("Offset");
    const double row[3] = {10, 20, 30};
    set_vector(offset, "offset", row, 3);
    run2(offset, x, 2, 3, out);
    CHECK(out[0] == 8.5 && out[1] == 20.25 && out[2] == 32.7 && out[3] == 13.0 && out[5] == 26.0);

    /* An array that does not broadcast: the error names the property. */
    const double two[2] = {1, 2};
    set_vector(offset, "offset", two, 2);
    size_t shape[2] = {2, 3};
    deeptrack_image *in = NULL, *img = NULL;
    OK(deeptrack_image_new(x, shape, 2, &in));
    FAILS(deeptrack_feature_resolve(offset, in, &img), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'offset' of feature 'Offset': cannot broadcast an image of shape [2, 3] with a value of shape [2]");

    /* Clip(min = [0] (one number), max = -1): crossed bounds give max everywhere. */
    deeptrack_feature *clip = feature("Clip");
    const double zero[1] = {0};
    set_vector(clip, "min", zero, 1);
    set_float(clip, "max", -1);
    run2(clip, x, 2, 3, out);
    for (int i = 0; i < 6; i++) CHECK(out[i] == -1.0);

    /* GaussianBlur(sigma = (1, 0)): columns blurred, each column's mean kept (reflecting borders). */
    deeptrack_feature *blur = feature("GaussianBlur");
    const double sigmas[2] = {1, 0};
    set_vector(blur, "sigma", sigmas, 2);
    run2(blur, x, 2, 3, out);
    for (int c = 0; c < 3; c++) CHECK(fabs(out[c] + out[3 + c] - (x[c] + x[3 + c])) < 1e-12 && out[c] != x[c]);

    /* FlipUD of a 1-d image reverses it. */
    deeptrack_feature *flip = feature("FlipUD");
    set_float(flip, "p", 1);
    size_t n = 3;
    deeptrack_image *line = NULL, *flipped = NULL;
    OK(deeptrack_image_new(row, &n, 1, &line));
    OK(deeptrack_feature_resolve(flip, line, &flipped));
    double back[3] = {0};
    if (flipped) OK(deeptrack_image_copy_to(flipped, back, 3));
    CHECK(back[0] == 30 && back[1] == 20 && back[2] == 10);

    /* AsType('complex128'): a complex image with zero imaginary parts. */
    deeptrack_feature *to_complex = feature("AsType");
    set_string(to_complex, "dtype", "complex128");
    deeptrack_image *z = NULL;
    OK(deeptrack_feature_resolve(to_complex, in, &z));
    bool complex = false;
    size_t zshape[3] = {0};
    if (z) {
        OK(deeptrack_image_is_complex(z, &complex));
        OK(deeptrack_image_shape(z, zshape, 3));
    }
    CHECK(complex && zshape[0] == 2 && zshape[1] == 3 && zshape[2] == 2);

    /* Pad(px = (np.array(1), true, 0, 0)): a 0-d array and a bool in a sequence are the numbers 1
     * and 1, as numpy reads them (DeepTrack2 2.0.1 pads the 2 x 3 image to 4 x 3). */
    deeptrack_feature *pad = feature("Pad");
    deeptrack_value *px = NULL, *item = NULL;
    OK(deeptrack_value_new_tuple(&px));
    const double one = 1;
    OK(deeptrack_value_new_array(&one, NULL, 0, &item));
    OK(deeptrack_value_list_push(px, item));
    deeptrack_value_free(item);
    OK(deeptrack_value_new_bool(true, &item));
    OK(deeptrack_value_list_push(px, item));
    deeptrack_value_free(item);
    for (int i = 0; i < 2; i++) {
        OK(deeptrack_value_new_int(0, &item));
        OK(deeptrack_value_list_push(px, item));
        deeptrack_value_free(item);
    }
    set_value(pad, "px", px);
    deeptrack_image *padded = resolve(pad, in);
    size_t pshape[2] = {0};
    double pout[12] = {0};
    if (padded) {
        OK(deeptrack_image_shape(padded, pshape, 2));
        OK(deeptrack_image_copy_to(padded, pout, 12));
    }
    CHECK(pshape[0] == 4 && pshape[1] == 3 && pout[0] == 0 && pout[3] == x[0] && pout[8] == x[5] && pout[11] == 0);

    /* Probability(probability = true): a bool is the probability 1, so the feature always applies. */
    deeptrack_feature *add = feature("Add");
    set_float(add, "value", 1);
    deeptrack_feature *maybe = NULL;
    OK(deeptrack_feature_new_with("Probability", &add, 1, &maybe));
    deeptrack_value *yes = NULL;
    OK(deeptrack_value_new_bool(true, &yes));
    set_value(maybe, "probability", yes);
    for (int i = 0; i < 3; i++) {
        OK(deeptrack_feature_update(maybe));
        run2(maybe, x, 2, 3, out);
        CHECK(out[0] == x[0] + 1 && out[5] == x[5] + 1);
    }

    /* LoadImage of a uint8 .npy keeps uint8 samples. */
    const char *path = "target/tmp/param_arrays_u8.npy";
    FILE *file = fopen(path, "wb");
    CHECK(file != NULL);
    if (file) {
        char header[118];
        memset(header, ' ', sizeof header);
        int len = snprintf(header, sizeof header, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }");
        header[len] = ' ';
        header[sizeof header - 1] = '\n';
        const unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)sizeof header, 0};
        const unsigned char body[4] = {0, 7, 200, 255};
        fwrite(magic, 1, sizeof magic, file);
        fwrite(header, 1, sizeof header, file);
        fwrite(body, 1, sizeof body, file);
        fclose(file);
    }
    deeptrack_feature *load = feature("LoadImage");
    set_string(load, "path", path);
    deeptrack_image *loaded = NULL;
    OK(deeptrack_feature_resolve(load, NULL, &loaded));
    uint32_t dtype = 99;
    double pixels[4] = {0};
    if (loaded) {
        OK(deeptrack_image_dtype(loaded, &dtype));
        OK(deeptrack_image_copy_to(loaded, pixels, 4));
    }
    CHECK(dtype == DEEPTRACK_DTYPE_UINT8 && pixels[1] == 7 && pixels[2] == 200 && pixels[3] == 255);
    remove(path);

    /* Equals(value = None): numpy's `x == None`, false for every sample (bools); GreaterThan refuses None. */
    deeptrack_feature *equals = feature("Equals");
    deeptrack_value *none = NULL;
    OK(deeptrack_value_new_none(&none));
    set_value(equals, "value", none);
    deeptrack_image *never = resolve(equals, in);
    uint32_t never_type = 99;
    double never_out[6] = {1, 1, 1, 1, 1, 1};
    if (never) {
        OK(deeptrack_image_dtype(never, &never_type));
        OK(deeptrack_image_copy_to(never, never_out, 6));
    }
    CHECK(never_type == DEEPTRACK_DTYPE_BOOL);
    for (int i = 0; i < 6; i++) CHECK(never_out[i] == 0);
    deeptrack_feature *greater = feature("GreaterThan");
    OK(deeptrack_value_new_none(&none));
    FAILS(deeptrack_feature_set_property(greater, "value", constant_of(none)), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "property 'value' of feature 'GreaterThan': expected numbers, got None");
    deeptrack_feature_free(greater);
    deeptrack_image_free(never);
    deeptrack_feature_free(equals);

    deeptrack_feature_free(maybe);
    deeptrack_feature_free(add);
    deeptrack_image_free(padded);
    deeptrack_feature_free(pad);
    deeptrack_image_free(loaded);
    deeptrack_image_free(z);
    deeptrack_image_free(flipped);
    deeptrack_image_free(line);
    deeptrack_image_free(img);
    deeptrack_image_free(in);
    deeptrack_feature_free(load);
    deeptrack_feature_free(to_complex);
    deeptrack_feature_free(flip);
    deeptrack_feature_free(blur);
    deeptrack_feature_free(clip);
    deeptrack_feature_free(offset);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
