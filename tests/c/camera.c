/* The camera from C: Camera built by kind name for the three sensor types, exact ADU without noise
 * (charge binning of a CCD, an sCMOS's offset map), an EMCCD's mean gain, an error naming the
 * property, deeptrack_image_save_tiff writing the frames (raw ADU or scaled; bad shapes refused), and
 * deeptrack_camera_photons_per_unit (a point particle's photon budget onto the sensor). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static void set_value(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(f, key, r));
}

static void set_float(deeptrack_feature *f, const char *key, double x) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_float(x, &v));
    set_value(f, key, v);
}

static void set_string(deeptrack_feature *f, const char *key, const char *s) {
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_string(s, &v));
    set_value(f, key, v);
}

/* A camera of `type` without noise: shot_noise off, no dark current, no read noise. */
static deeptrack_feature *quiet_camera(const char *type) {
    deeptrack_feature *f = NULL;
    OK(deeptrack_feature_new("Camera", &f));
    set_string(f, "camera_type", type);
    deeptrack_value *no = NULL;
    OK(deeptrack_value_new_bool(false, &no));
    set_value(f, "shot_noise", no);
    set_float(f, "dark_current", 0);
    set_float(f, "read_noise", 0);
    return f;
}

int main(void) {
    /* A 4×4 photon flux: pixel i receives 10·i photons. */
    double flux[16];
    for (int i = 0; i < 16; i++) flux[i] = 10.0 * i;
    size_t shape[2] = {4, 4};
    deeptrack_image *input = NULL, *out = NULL;
    OK(deeptrack_image_new(flux, shape, 2, &input));
    const double *data = NULL;
    size_t n = 0, out_shape[2] = {0};

    /* CCD, 2×2 charge binning, QE 0.5, 2 e-/ADU, offset 100: (sum of 4 pixels) · 0.5 / 2 + 100. */
    deeptrack_feature *ccd = quiet_camera("CCD");
    set_float(ccd, "quantum_efficiency", 0.5);
    set_float(ccd, "adc_gain", 2);
    set_float(ccd, "binning", 2);
    OK(deeptrack_feature_resolve(ccd, input, &out));
    OK(deeptrack_image_shape(out, out_shape, 2));
    OK(deeptrack_image_data(out, &data, &n));
    CHECK(out_shape[0] == 2 && out_shape[1] == 2 && n == 4);
    /* Block (0, 0): pixels 0, 1, 4, 5 = 100 photons -> 50 e- -> 25 ADU + 100. */
    CHECK(n == 4 && data[0] == 125 && data[1] == 100 + (20 + 30 + 60 + 70) * 0.25 && data[3] == 100 + 500 * 0.25);
    deeptrack_image_free(out);

    /* sCMOS with an offset map: each pixel's own bias (and a uniform gain: no generated gain map). */
    deeptrack_feature *scmos = quiet_camera("sCMOS");
    double offsets[16];
    for (int i = 0; i < 16; i++) offsets[i] = 1000 + i;
    deeptrack_value *map = NULL;
    OK(deeptrack_value_new_array(offsets, shape, 2, &map));
    set_value(scmos, "offset_map", map);
    set_float(scmos, "adc_gain", 1);
    set_float(scmos, "gain_spread", 0);
    OK(deeptrack_feature_resolve(scmos, input, &out));
    OK(deeptrack_image_data(out, &data, &n));
    int exact = n == 16;
    for (size_t i = 0; i < n && i < 16; i++) exact &= data[i] == round(flux[i] + offsets[i]);
    CHECK(exact);

    /* The frame as a raw 16-bit TIFF (ADU as they are) and a scaled one; a 4-D image is refused. */
    char path[256];
    snprintf(path, sizeof path, "/tmp/deeptrack-camera-%d.tif", (int)getpid());
    double range[2] = {0};
    OK(deeptrack_image_save_tiff(out, path, false, range));
    CHECK(range[0] == 1000 && range[1] == 150 + 1015);
    FILE *file = fopen(path, "rb");
    unsigned char magic[4] = {0};
    CHECK(file && fread(magic, 1, 4, file) == 4 && magic[0] == 'I' && magic[2] == 42);
    if (file) fclose(file);
    OK(deeptrack_image_save_tiff(out, path, true, NULL));
    remove(path);
    deeptrack_image *cube = NULL;
    double zeros[16] = {0};
    size_t shape4[4] = {2, 2, 2, 2};
    OK(deeptrack_image_new(zeros, shape4, 4, &cube));
    CHECK(deeptrack_image_save_tiff(cube, path, true, NULL) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "got shape [2, 2, 2, 2]") != NULL);
    CHECK(deeptrack_image_save_tiff(NULL, path, true, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    deeptrack_image_free(cube);
    deeptrack_image_free(out);

    /* EMCCD: gain 100 multiplies the mean; 4096 pixels of 2 photons average near 200 ADU + 100. */
    deeptrack_feature *emccd = quiet_camera("EMCCD");
    set_float(emccd, "em_gain", 100);
    set_float(emccd, "adc_gain", 1);
    set_float(emccd, "bit_depth", 16);
    static double twos[64 * 64];
    for (int i = 0; i < 64 * 64; i++) twos[i] = 2;
    size_t big[2] = {64, 64};
    deeptrack_image *dim = NULL;
    OK(deeptrack_image_new(twos, big, 2, &dim));
    OK(deeptrack_feature_seed(emccd, 9));
    OK(deeptrack_feature_resolve(emccd, dim, &out));
    OK(deeptrack_image_data(out, &data, &n));
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += data[i] / (double)n;
    /* Standard deviation of one pixel: 100 · sqrt(2 · 0.99) ≈ 141 ADU; of the mean ≈ 2.2. */
    CHECK(n == 4096 && fabs(mean - 300) < 12);
    deeptrack_image_free(out);
    deeptrack_image_free(dim);

    /* Bad input: an unknown camera type, named. */
    deeptrack_value *bad = NULL;
    deeptrack_rule *rule = NULL;
    OK(deeptrack_value_new_string("CMOS", &bad));
    OK(deeptrack_rule_constant(bad, &rule));
    deeptrack_value_free(bad);
    CHECK(deeptrack_feature_set_property(ccd, "camera_type", rule) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'camera_type' of feature 'Camera'") != NULL);

    /* A photon budget: photons_per_unit for Fluorescence optics over 32x32 pixels, such that a point
     * particle of intensity 1 at the centre delivers 1000 photons in 0.5 s. The optics' image of such a
     * particle, times photons_per_unit x 0.5 s, sums to 1000. */
    deeptrack_feature *optics = NULL, *particle = NULL, *scope = NULL;
    OK(deeptrack_feature_new("Fluorescence", &optics));
    double region[4] = {0, 0, 32, 32};
    size_t four[1] = {4};
    deeptrack_value *rv = NULL;
    OK(deeptrack_value_new_array(region, four, 1, &rv));
    set_value(optics, "output_region", rv);
    double per_unit = -1;
    OK(deeptrack_camera_photons_per_unit(optics, 1000, 0.5, &per_unit));
    CHECK(per_unit > 0);
    double twice = -1;
    OK(deeptrack_camera_photons_per_unit(optics, 2000, 0.5, &twice));
    CHECK(fabs(twice / per_unit - 2) < 1e-12);
    OK(deeptrack_feature_new("PointParticle", &particle));
    double centre[2] = {16, 16};
    size_t two[1] = {2};
    deeptrack_value *pv = NULL;
    OK(deeptrack_value_new_array(centre, two, 1, &pv));
    set_value(particle, "position", pv);
    set_float(particle, "intensity", 1);
    OK(deeptrack_feature_microscope(optics, particle, &scope));
    OK(deeptrack_feature_resolve(scope, NULL, &out));
    OK(deeptrack_image_data(out, &data, &n));
    double total = 0;
    for (size_t i = 0; i < n; i++) total += data[i];
    CHECK(n == 32 * 32 && fabs(total * per_unit * 0.5 - 1000) < 1e-9 * 1000);
    deeptrack_image_free(out);
    /* Bad input: a negative budget (named, with its limit), NULL arguments; *out untouched. */
    double kept = 7;
    CHECK(deeptrack_camera_photons_per_unit(optics, -1, 0.5, &kept) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'photons'") && strstr(last_error(), "at least 0") && kept == 7);
    CHECK(deeptrack_camera_photons_per_unit(optics, 10, 0, &kept) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'exposure_time'") != NULL && kept == 7);
    CHECK(deeptrack_camera_photons_per_unit(NULL, 10, 1, &kept) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_camera_photons_per_unit(optics, 10, 1, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(particle);
    deeptrack_feature_free(optics);

    deeptrack_feature_free(emccd);
    deeptrack_feature_free(scmos);
    deeptrack_feature_free(ccd);
    deeptrack_image_free(input);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
