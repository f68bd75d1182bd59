/* Mie scatterers imaged from C, by kind name: Brightfield(MieSphere),
 * Brightfield(MieStratifiedSphere) and ISCAT(MieSphere) against DeepTrack2 2.0.1's pixels (the fixtures
 * bf_mie_sphere, bf_mie_stratified and iscat_mie_sphere), an absorbing sphere with a complex refractive index (bf_mie_sphere_absorbing),
 * complex values, and the errors of a bad L, a bad index and of a MieSphere without optics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static deeptrack_rule *constant(deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

static deeptrack_rule *num(double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    return constant(v);
}

static deeptrack_rule *vec(size_t n, const double *xs) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_array(xs, &n, 1, &v));
    return constant(v);
}

static void set(deeptrack_feature *f, const char *key, deeptrack_rule *r) {
    OK(deeptrack_feature_set_property(f, key, r));
}

/* The optics `kind` of the fixtures: NA 0.7, 660 nm, 0.1 um pixels, n 1.33, 64 x 64, padding 10. */
static deeptrack_feature *coherent(const char *kind) {
    deeptrack_feature *optics = NULL;
    OK(deeptrack_feature_new(kind, &optics));
    const double region[4] = {0, 0, 64, 64}, padding[4] = {10, 10, 10, 10};
    set(optics, "NA", num(0.7));
    set(optics, "wavelength", num(6.6e-7));
    set(optics, "resolution", num(1e-6));
    set(optics, "magnification", num(10));
    set(optics, "refractive_index_medium", num(1.33));
    set(optics, "output_region", vec(4, region));
    set(optics, "padding", vec(4, padding));
    return optics;
}

/* The image of `particle` in the optics `kind` above, a copy of its 64 x 64 pixels (or NULL). */
static double *image_in(const char *kind, deeptrack_feature *particle) {
    deeptrack_feature *optics = coherent(kind), *micro = NULL;
    OK(deeptrack_feature_microscope(optics, particle, &micro));
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(micro, NULL, &out));
    double *copy = NULL;
    if (out) {
        size_t shape[3] = {0, 0, 0};
        OK(deeptrack_image_shape(out, shape, 3));
        CHECK(shape[0] == 64 && shape[1] == 64 && shape[2] == 1);
        const double *data = NULL;
        size_t len = 0;
        OK(deeptrack_image_data(out, &data, &len));
        CHECK(len == 64 * 64);
        copy = malloc(len * sizeof(double));
        memcpy(copy, data, len * sizeof(double));
        deeptrack_image_free(out);
    }
    deeptrack_feature_free(micro);
    deeptrack_feature_free(optics);
    return copy;
}

static double *image_of(deeptrack_feature *particle) { return image_in("Brightfield", particle); }

static int close_to(double a, double b) { return fabs(a - b) <= 1e-9 * fabs(b); }

int main(void) {
    /* MieSphere(radius=0.5 um, refractive_index=1.45, L=8) at (32, 30). */
    deeptrack_feature *sphere = NULL;
    OK(deeptrack_feature_new("MieSphere", &sphere));
    const double at[2] = {32, 30};
    set(sphere, "position", vec(2, at));
    set(sphere, "radius", num(5e-7));
    set(sphere, "refractive_index", num(1.45));
    set(sphere, "L", num(8));
    double *img = image_of(sphere);
    if (img) {
        CHECK(close_to(img[32 * 64 + 30], 3.126391935003205));
        CHECK(close_to(img[0], 0.9955288989940575));
        CHECK(close_to(img[40 * 64 + 20], 1.0254218137142885));
        free(img);
    }
    /* In ISCAT, the sphere takes ISCAT's illumination (reflected, circularly polarized, the phase shift
     * corrected): DeepTrack2's pixels (the fixture iscat_mie_sphere). Only for that imaging: the
     * brightfield images below are DeepTrack2's images of a sphere never put in ISCAT (the README's
     * differences: DeepTrack2 would keep ISCAT's values on the sphere). */
    img = image_in("ISCAT", sphere);
    if (img) {
        CHECK(close_to(img[32 * 64 + 30], 1.0044821836599143));
        CHECK(close_to(img[22 * 64 + 27], 0.9991011127713398));
        CHECK(close_to(img[40 * 64 + 20], 0.9994009216307711));
        free(img);
    }

    /* MieStratifiedSphere: a core of 0.3 um (1.6) in a shell of 0.6 um (1.45) at (32, 32), z 1. */
    deeptrack_feature *shells = NULL;
    OK(deeptrack_feature_new("MieStratifiedSphere", &shells));
    const double centre[2] = {32, 32}, radii[2] = {3e-7, 6e-7}, indices[2] = {1.6, 1.45};
    set(shells, "position", vec(2, centre));
    set(shells, "z", num(1));
    set(shells, "radius", vec(2, radii));
    set(shells, "refractive_index", vec(2, indices));
    img = image_of(shells);
    if (img) {
        CHECK(close_to(img[32 * 64 + 32], 7.0123027507689715));
        CHECK(close_to(img[10 * 64 + 50], 0.9855044025288862));
        free(img);
    }

    /* Complex values: made, read back (a float reads as a complex with no imaginary part). */
    deeptrack_value *z = NULL;
    double re = 0, im = 0;
    CHECK(deeptrack_value_new_complex(1.45, 0.1, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    OK(deeptrack_value_new_complex(1.45, 0.1, &z));
    CHECK(deeptrack_value_kind(z) == DEEPTRACK_VALUE_KIND_COMPLEX);
    OK(deeptrack_value_as_complex(z, &re, &im));
    CHECK(re == 1.45 && im == 0.1);
    CHECK(deeptrack_value_as_complex(z, NULL, &im) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_value_as_complex(z, &re, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_value_as_complex(NULL, &re, &im) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    double f = 0;
    CHECK(deeptrack_value_as_float(z, &f) == DEEPTRACK_STATUS_TYPE_MISMATCH);
    char text[32];
    size_t needed = 0;
    OK(deeptrack_value_repr(z, text, sizeof text, &needed));
    CHECK(strcmp(text, "(1.45+0.1j)") == 0);
    deeptrack_value *real = NULL;
    OK(deeptrack_value_new_float(2.5, &real));
    OK(deeptrack_value_as_complex(real, &re, &im));
    CHECK(re == 2.5 && im == 0);
    deeptrack_value_free(real);

    /* The absorbing sphere: MieSphere(refractive_index=1.45+0.1j), as above. */
    set(sphere, "refractive_index", constant(z));
    img = image_of(sphere);
    if (img) {
        CHECK(close_to(img[32 * 64 + 30], 3.8106247659696932));
        CHECK(close_to(img[30 * 64 + 32], 2.7932331924078313));
        CHECK(close_to(img[0], 0.9983036444174247));
        free(img);
    }
    deeptrack_value *bad = NULL;
    OK(deeptrack_value_new_complex(-1.0, 0.1, &bad));
    deeptrack_rule *negative = constant(bad);
    CHECK(deeptrack_feature_set_property(sphere, "refractive_index", negative) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "'refractive_index'") && strstr(last_error(), "positive real part"));
    deeptrack_rule_free(negative);

    /* Errors name the feature and property. */
    deeptrack_rule *zero = num(0);
    CHECK(deeptrack_feature_set_property(sphere, "L", zero) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "'L'") && strstr(last_error(), "whole number of at least 1"));
    deeptrack_rule_free(zero);
    deeptrack_image *out = NULL;
    /* Outside a microscope (after an update: until then, resolving it again gives the field the
     * microscope cached, as DeepTrack2 does) the sphere has no optics' numbers. */
    OK(deeptrack_feature_update(sphere));
    CHECK(deeptrack_feature_resolve(sphere, NULL, &out) == DEEPTRACK_STATUS_INVALID_ARGUMENT && out == NULL);
    CHECK(strstr(last_error(), "MieSphere needs the optics' wavelength") != NULL);

    deeptrack_feature_free(sphere);
    deeptrack_feature_free(shells);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
