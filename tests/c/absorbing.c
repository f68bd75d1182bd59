/* Scatterers complete, from C: an absorbing (complex refractive index) sphere and point imaged by
 * Brightfield and ISCAT match DeepTrack2 2.0.1's numbers (fixture bf_absorbing_sphere), absorb light
 * (the image is darker than a clear sphere's), and a complex index with a zero imaginary part images
 * exactly as the real one; a sphere with `upsample` images as DeepTrack2 2.0.1 does (the keyword is
 * deprecated there and changes nothing: fixture fluo_sphere_upsample4) and warns; a refractive index
 * that is not a number is refused with the property's name; a length in meters given to a scatterer's
 * z (deeptrack_rule_meters; the parameter is flagged DEEPTRACK_PARAM_FLAG_PIXELS) is converted with
 * the optics' pixel size, as DeepTrack2 converts 2 * units.um. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N 48

static deeptrack_rule *constant(deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

static deeptrack_value *num(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return v;
}

static deeptrack_value *cplx(double re, double im) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_complex(re, im, &v));
    return v;
}

static deeptrack_value *vec(size_t n, const double *x) {
    deeptrack_value *v = NULL;
    size_t shape[1] = {n};
    OK(deeptrack_value_new_array(x, shape, 1, &v));
    return v;
}

static void set(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    OK(deeptrack_feature_set_property(f, key, constant(v)));
}

/* The N x N image of `scatterer` through `optics`, copied into `out`. */
static void image(deeptrack_feature *optics, deeptrack_feature *scatterer, double *out) {
    deeptrack_feature *pipe = NULL;
    OK(deeptrack_feature_microscope(optics, scatterer, &pipe));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    size_t shape[3] = {0}, n = 0;
    const double *data = NULL;
    if (img) {
        OK(deeptrack_image_shape(img, shape, 3));
        CHECK(shape[0] == N && shape[1] == N && shape[2] == 1);
        OK(deeptrack_image_data(img, &data, &n));
        if (n == N * N) memcpy(out, data, n * sizeof *data);
    }
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
}

/* Brightfield-like optics `kind` as the fixtures have them: NA 0.7, 532 nm, 0.1 um pixels, N x N. */
static deeptrack_feature *optics(const char *kind) {
    deeptrack_feature *o = NULL;
    const double region[4] = {0, 0, N, N};
    OK(deeptrack_feature_new(kind, &o));
    set(o, "output_region", vec(4, region));
    set(o, "NA", num(0.7));
    set(o, "wavelength", num(5.32e-7));
    set(o, "resolution", num(1e-7));
    set(o, "magnification", num(1));
    set(o, "refractive_index_medium", num(1.33));
    return o;
}

/* A sphere of radius 0.5 um at (24, 24) with refractive index `n`. */
static deeptrack_feature *sphere(deeptrack_value *n) {
    deeptrack_feature *s = NULL;
    const double position[2] = {24, 24};
    OK(deeptrack_feature_new("Sphere", &s));
    set(s, "position", vec(2, position));
    set(s, "radius", num(5e-7));
    set(s, "refractive_index", n);
    return s;
}

/* A Fluorescence image (32 x 32, 0.1 um pixels) of a sphere whose z is given by `z`, copied into `out`. */
static void fluorescence_at(deeptrack_rule *z, double *out) {
    deeptrack_feature *fl = NULL, *s = NULL, *pipe = NULL;
    const double region[4] = {0, 0, 32, 32}, where[2] = {16, 16};
    OK(deeptrack_feature_new("Fluorescence", &fl));
    set(fl, "output_region", vec(4, region));
    set(fl, "NA", num(0.5));
    OK(deeptrack_feature_new("Sphere", &s));
    set(s, "position", vec(2, where));
    set(s, "radius", num(1e-6));
    set(s, "intensity", num(100));
    OK(deeptrack_feature_set_property(s, "z", z));
    OK(deeptrack_feature_microscope(fl, s, &pipe));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    const double *data = NULL;
    size_t n = 0;
    if (img) {
        OK(deeptrack_image_data(img, &data, &n));
        CHECK(n == 32 * 32);
        if (n == 32 * 32) memcpy(out, data, n * sizeof *data);
    }
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(s);
    deeptrack_feature_free(fl);
}

static double sum(const double *a) {
    double t = 0;
    for (size_t i = 0; i < N * N; i++) t += a[i];
    return t;
}

int main(void) {
    static double absorbing[N * N], clear[N * N], zero_k[N * N], iscat[N * N];
    deeptrack_feature *bf = optics("Brightfield"), *is = optics("ISCAT");

    /* DeepTrack2 2.0.1's image of the sphere of index 1.45 + 0.05i (tests/fixtures bf_absorbing_sphere),
     * to 1e-6 of its peak (1.11). */
    deeptrack_feature *s = sphere(cplx(1.45, 0.05));
    image(bf, s, absorbing);
    CHECK(fabs(absorbing[16 * N + 16] - 0.9800844219024516) < 1.2e-6);
    CHECK(fabs(absorbing[20 * N + 27] - 0.5183945464130688) < 1.2e-6);
    CHECK(fabs(absorbing[5 * N + 9] - 1.005509231406539) < 1.2e-6);
    /* The property reads back complex. */
    deeptrack_value *v = NULL;
    double re = 0, im = 0;
    OK(deeptrack_feature_get_property(s, "refractive_index", &v));
    OK(deeptrack_value_as_complex(v, &re, &im));
    CHECK(re == 1.45 && im == 0.05);
    deeptrack_value_free(v);
    /* ISCAT images volume scatterers as Brightfield does, absorbing ones too. */
    image(is, s, iscat);
    CHECK(memcmp(iscat, absorbing, sizeof iscat) == 0);
    deeptrack_feature_free(s);

    /* Absorption removes light; a zero imaginary part is the real index exactly. */
    s = sphere(num(1.45));
    image(bf, s, clear);
    deeptrack_feature_free(s);
    s = sphere(cplx(1.45, 0));
    image(bf, s, zero_k);
    deeptrack_feature_free(s);
    CHECK(memcmp(zero_k, clear, sizeof clear) == 0);
    CHECK(sum(absorbing) < sum(clear) - 1);

    /* An absorbing point particle resolves too (one voxel of 1.33 + 0.5i: pure absorption). */
    deeptrack_feature *p = NULL;
    const double at[2] = {24.2, 23.7};
    OK(deeptrack_feature_new("PointParticle", &p));
    set(p, "position", vec(2, at));
    set(p, "refractive_index", cplx(1.33, 0.5));
    image(bf, p, absorbing);
    double lowest = INFINITY;
    for (size_t i = 0; i < N * N; i++) lowest = fmin(lowest, absorbing[i]);
    CHECK(lowest < 1 && lowest > 0.5);
    deeptrack_feature_free(p);

    /* A refractive index that is no number is refused, naming the property. */
    s = sphere(num(1.45));
    deeptrack_value *glass = NULL;
    OK(deeptrack_value_new_string("glass", &glass));
    CHECK(deeptrack_feature_set_property(s, "refractive_index", constant(glass)) != DEEPTRACK_STATUS_OK);
    CHECK(strstr(last_error(), "refractive_index") != NULL);
    deeptrack_feature_free(s);

    /* upsample: DeepTrack2 2.0.1's image (fixture fluo_sphere_upsample4; the keyword changes nothing
     * there), and a warning that it is deprecated. */
    deeptrack_feature *fl = NULL, *u = NULL;
    const double region[4] = {0, 0, 32, 32}, where[2] = {16.3, 15.6};
    OK(deeptrack_feature_new("Fluorescence", &fl));
    set(fl, "output_region", vec(4, region));
    set(fl, "NA", num(0.8));
    set(fl, "wavelength", num(6.8e-7));
    OK(deeptrack_feature_new("Sphere", &u));
    set(u, "position", vec(2, where));
    set(u, "radius", num(2e-6));
    set(u, "intensity", num(50));
    deeptrack_value *four = NULL;
    OK(deeptrack_value_new_int(4, &four));
    set(u, "upsample", four);
    deeptrack_feature *pipe = NULL;
    OK(deeptrack_feature_microscope(fl, u, &pipe));
    char warnings[4096] = "";
    OK(deeptrack_take_warnings(warnings, sizeof warnings, NULL));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    const double *data = NULL;
    size_t n = 0;
    if (img) {
        OK(deeptrack_image_data(img, &data, &n));
        CHECK(n == 32 * 32);
        if (n == 32 * 32) {
            CHECK(fabs(data[16 * 32 + 16] - 76.4840989471158) < 1e-4);
            CHECK(fabs(data[20 * 32 + 27] - 61.98755819476012) < 1e-4);
            CHECK(fabs(data[5 * 32 + 9] - 58.729374328307) < 1e-4);
        }
    }
    OK(deeptrack_take_warnings(warnings, sizeof warnings, NULL));
    CHECK(strstr(warnings, "upsample") != NULL);
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(u);
    deeptrack_feature_free(fl);

    /* z = 2 um through optics of 0.1 um pixels (resolution 1 um, magnification 10) is z = 20 pixels. */
    size_t kind = 0, count = 0;
    uint32_t flags = 0;
    OK(deeptrack_kind_find("Sphere", &kind));
    OK(deeptrack_kind_param_count(kind, &count));
    int flagged = 0;
    for (size_t i = 0; i < count; i++) {
        const char *name = NULL;
        OK(deeptrack_kind_param_name(kind, i, &name));
        OK(deeptrack_kind_param_flags(kind, i, &flags));
        if (name && (!strcmp(name, "z") || !strcmp(name, "position"))) flagged += (flags & DEEPTRACK_PARAM_FLAG_PIXELS) != 0;
        if (name && !strcmp(name, "radius")) CHECK((flags & DEEPTRACK_PARAM_FLAG_PIXELS) == 0);
    }
    CHECK(flagged == 2);
    static double in_meters[32 * 32], in_pixels[32 * 32], in_focus[32 * 32];
    deeptrack_rule *z = NULL;
    deeptrack_value *two_um = num(2e-6);
    OK(deeptrack_rule_meters(two_um, &z));
    deeptrack_value_free(two_um);
    fluorescence_at(z, in_meters);
    fluorescence_at(constant(num(20)), in_pixels);
    fluorescence_at(constant(num(0)), in_focus);
    double worst = 0;
    for (size_t i = 0; i < 32 * 32; i++) worst = fmax(worst, fabs(in_meters[i] - in_pixels[i]));
    CHECK(worst <= 1e-9 * in_pixels[16 * 32 + 16]);
    CHECK(in_focus[16 * 32 + 16] > in_pixels[16 * 32 + 16] * 1.05); /* defocus spreads the light */
    /* Only numbers are lengths. */
    deeptrack_value *word = NULL;
    deeptrack_rule *bad = NULL;
    OK(deeptrack_value_new_string("far", &word));
    CHECK(deeptrack_rule_meters(word, &bad) == DEEPTRACK_STATUS_INVALID_ARGUMENT && bad == NULL);
    CHECK(strstr(last_error(), "argument 'v'") != NULL);
    deeptrack_value_free(word);

    deeptrack_feature_free(bf);
    deeptrack_feature_free(is);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
