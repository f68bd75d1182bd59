/* The optical systems built on brightfield, by kind name from C: Darkfield images |field - 1|^2 of
 * the field Brightfield returns, ISCAT and Holography image what Brightfield images (volume
 * scatterers), and their own properties have DeepTrack2's defaults (Darkfield's illumination_angle
 * pi/2, ISCAT's pi and amp_factor 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N 32

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

static deeptrack_value *vec(size_t n, const double *x) {
    deeptrack_value *v = NULL;
    size_t shape[1] = {n};
    OK(deeptrack_value_new_array(x, shape, 1, &v));
    return v;
}

/* The image of a sphere (refractive index 1.45, radius 0.3 um, at (14.5, 17), z = 2) through the
 * optics `kind` (NA 0.8, 0.1 um pixels, region N x N), with return_field when `field`; its samples
 * copied into `out` (at most 2 N N), its element count returned. */
static size_t image(const char *kind, bool field, double *out) {
    deeptrack_feature *o = NULL, *s = NULL, *pipe = NULL;
    OK(deeptrack_feature_new(kind, &o));
    OK(deeptrack_feature_new("Sphere", &s));
    const double region[4] = {0, 0, N, N}, position[2] = {14.5, 17};
    OK(deeptrack_feature_set_property(o, "output_region", constant(vec(4, region))));
    OK(deeptrack_feature_set_property(o, "NA", constant(num(0.8))));
    OK(deeptrack_feature_set_property(o, "resolution", constant(num(1e-7))));
    OK(deeptrack_feature_set_property(o, "magnification", constant(num(1))));
    if (field) {
        deeptrack_value *t = NULL;
        OK(deeptrack_value_new_bool(true, &t));
        OK(deeptrack_feature_set_property(o, "return_field", constant(t)));
    }
    OK(deeptrack_feature_set_property(s, "position", constant(vec(2, position))));
    OK(deeptrack_feature_set_property(s, "z", constant(num(2))));
    OK(deeptrack_feature_set_property(s, "radius", constant(num(3e-7))));
    OK(deeptrack_feature_set_property(s, "refractive_index", constant(num(1.45))));
    OK(deeptrack_feature_microscope(o, s, &pipe));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    size_t shape[4] = {0}, n = 0;
    const double *data = NULL;
    if (img) {
        OK(deeptrack_image_shape(img, shape, 4));
        CHECK(shape[0] == N && shape[1] == N && shape[2] == 1);
        OK(deeptrack_image_data(img, &data, &n));
        if (n <= 2 * N * N) memcpy(out, data, n * sizeof *data);
    }
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(s);
    deeptrack_feature_free(o);
    return n;
}

/* The default of property `key` of a new `kind`. */
static double default_of(const char *kind, const char *key) {
    deeptrack_feature *f = NULL;
    deeptrack_value *v = NULL;
    double x = NAN;
    OK(deeptrack_feature_new(kind, &f));
    OK(deeptrack_feature_get_property(f, key, &v));
    OK(deeptrack_value_as_float(v, &x));
    deeptrack_value_free(v);
    deeptrack_feature_free(f);
    return x;
}

int main(void) {
    static double field[2 * N * N], bright[2 * N * N], dark[2 * N * N], iscat[2 * N * N], holo[2 * N * N];
    CHECK(image("Brightfield", true, field) == 2 * N * N);
    CHECK(image("Brightfield", false, bright) == N * N);
    CHECK(image("Darkfield", false, dark) == N * N);
    /* return_field is not Darkfield's: the image stays |field - 1|^2. */
    static double dark_again[2 * N * N];
    CHECK(image("Darkfield", true, dark_again) == N * N);
    CHECK(image("ISCAT", false, iscat) == N * N);
    CHECK(image("Holography", false, holo) == N * N);

    double worst = 0, peak = 0;
    int same = 1;
    for (size_t i = 0; i < N * N; i++) {
        const double re = field[2 * i] - 1, im = field[2 * i + 1];
        worst = fmax(worst, fabs(dark[i] - (re * re + im * im)));
        peak = fmax(peak, dark[i]);
        same &= dark_again[i] == dark[i] && iscat[i] == bright[i] && holo[i] == bright[i];
    }
    CHECK(worst <= 1e-12);
    CHECK(peak > 1e-3);
    CHECK(same);

    CHECK(fabs(default_of("Darkfield", "illumination_angle") - 3.14159265358979323846 / 2) < 1e-15);
    CHECK(fabs(default_of("ISCAT", "illumination_angle") - 3.14159265358979323846) < 1e-15);
    CHECK(default_of("ISCAT", "amp_factor") == 1);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
