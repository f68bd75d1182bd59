/* position_unit = "meter" from C (a string property value): a Sphere in Fluorescence and a MieSphere
 * in Brightfield whose positions are given in meters image exactly as the same positions in camera
 * pixels (meters over resolution / magnification = 0.1 um here; DeepTrack2 2.0.1 stores the unit and
 * ignores it, see the README), and the image records the position in pixels with position_unit
 * "pixel". A unit that is neither is refused with the property's name. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N 32
#define PIXEL 1e-7 /* resolution 1e-6 / magnification 10 (the defaults) */

static void set(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(f, key, r));
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

static deeptrack_value *text(const char *s) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string(s, &v));
    return v;
}

/* The N x N image of `scatterer` (`kind`, at `position` in `unit`) through `optics`, into `out`; the
 * recorded position and unit into `recorded` and `unit_out`. */
static void image(const char *optics_kind, const char *kind, const double *position, const char *unit,
                  double *out, double *recorded, char *unit_out) {
    deeptrack_feature *optics = NULL, *s = NULL, *pipe = NULL;
    const double region[4] = {0, 0, N, N};
    OK(deeptrack_feature_new(optics_kind, &optics));
    set(optics, "output_region", vec(4, region));
    OK(deeptrack_feature_new(kind, &s));
    set(s, "position", vec(2, position));
    set(s, "position_unit", text(unit));
    if (strcmp(kind, "Sphere") == 0) {
        set(s, "radius", num(4e-7));
        set(s, "intensity", num(100));
    } else {
        set(s, "radius", num(3e-7));
    }
    OK(deeptrack_feature_microscope(optics, s, &pipe));
    OK(deeptrack_feature_store_properties(pipe, true));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipe, NULL, &img));
    const double *data = NULL;
    size_t n = 0;
    if (img) {
        OK(deeptrack_image_data(img, &data, &n));
        CHECK(n == N * N);
        if (n == N * N) memcpy(out, data, n * sizeof *data);
        deeptrack_value *p = NULL, *u = NULL;
        OK(deeptrack_image_get_property(img, "position", true, &p));
        const double *xy = NULL;
        const size_t *shape = NULL;
        size_t ndim = 0;
        OK(deeptrack_value_array(p, &xy, &shape, &ndim));
        CHECK(ndim == 1 && shape && shape[0] == 2);
        if (xy && ndim == 1 && shape[0] == 2) memcpy(recorded, xy, 2 * sizeof *xy);
        OK(deeptrack_image_get_property(img, "position_unit", true, &u));
        const char *s_unit = NULL;
        OK(deeptrack_value_as_string(u, &s_unit));
        if (s_unit) snprintf(unit_out, 16, "%s", s_unit);
        deeptrack_value_free(p);
        deeptrack_value_free(u);
    }
    deeptrack_image_free(img);
    deeptrack_feature_free(pipe);
    deeptrack_feature_free(s);
    deeptrack_feature_free(optics);
}

static void compare(const char *optics, const char *kind, const double *pixels) {
    static double a[N * N], b[N * N];
    double ra[2] = {0}, rb[2] = {0};
    char ua[16] = "", ub[16] = "";
    const double meters[2] = {pixels[0] * PIXEL, pixels[1] * PIXEL};
    image(optics, kind, pixels, "pixel", a, ra, ua);
    image(optics, kind, meters, "meter", b, rb, ub);
    double peak = 0, diff = 0;
    for (size_t i = 0; i < N * N; i++) {
        peak = fmax(peak, fabs(a[i]));
        diff = fmax(diff, fabs(a[i] - b[i]));
    }
    CHECK(peak > 0);
    CHECK(diff <= 1e-9 * peak);
    CHECK(fabs(rb[0] - pixels[0]) < 1e-9 && fabs(rb[1] - pixels[1]) < 1e-9);
    CHECK(ra[0] == pixels[0] && ra[1] == pixels[1]);
    CHECK(strcmp(ua, "pixel") == 0 && strcmp(ub, "pixel") == 0);
    printf("%s of a %s at (%g, %g) m: max difference %.1e of peak %.3e; recorded (%g, %g) %s\n", optics, kind,
           meters[0], meters[1], diff, peak, rb[0], rb[1], ub);
}

int main(void) {
    const double sphere_at[2] = {16.3, 15.6}, mie_at[2] = {15.5, 16.25};
    compare("Fluorescence", "Sphere", sphere_at);
    compare("Brightfield", "MieSphere", mie_at);

    /* Neither unit: refused when set, naming the property. */
    deeptrack_feature *s = NULL;
    OK(deeptrack_feature_new("Sphere", &s));
    deeptrack_rule *r = NULL;
    deeptrack_value *v = text("inch");
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    CHECK(deeptrack_feature_set_property(s, "position_unit", r) != DEEPTRACK_STATUS_OK);
    CHECK(strstr(last_error(), "property 'position_unit'") != NULL);
    CHECK(strstr(last_error(), "'pixel' or 'meter'") != NULL);
    printf("%s\n", last_error());
    deeptrack_feature_free(s);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
