/* Simulates microscope images and their ground truth, in C.
 *
 * Build and run (from the repository root):  make simulate        (writes PNGs to target/release/)
 *
 * 1. Fluorescence: ten point particles at random positions in a 128×128 field, imaged by a
 *    fluorescence microscope and recorded by an sCMOS camera (shot noise, read noise, offset, per-pixel
 *    maps; the image is read as 20,000 photons/s per unit, exposed 50 ms). Every particle's position
 *    comes back from the image's properties, in the frame of the image. The same particles at low
 *    light (1,500 photons/s per unit) through an EMCCD (EM gain 300) are written to emccd.png.
 * 2. Brightfield: a glass sphere (refractive index 1.45) in water, imaged in transmitted light. */
#include <stdio.h>
#include <stdlib.h>

#include "deeptrack.h"

static void check(deeptrack_status status, const char *what) {
    if (status == DEEPTRACK_STATUS_OK) return;
    char message[1024];
    deeptrack_last_error_message(message, sizeof message, NULL);
    fprintf(stderr, "%s failed: %s: %s\n", what, deeptrack_status_str(status), message);
    exit(1);
}
#define CHECK(call) check((call), #call)

static deeptrack_feature *feature(const char *kind) {
    deeptrack_feature *f;
    CHECK(deeptrack_feature_new(kind, &f));
    return f;
}

static void set_float(deeptrack_feature *f, const char *key, double x) {
    deeptrack_value *v;
    deeptrack_rule *r;
    CHECK(deeptrack_value_new_float(x, &v));
    CHECK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    CHECK(deeptrack_feature_set_property(f, key, r));
}

static void set_vector(deeptrack_feature *f, const char *key, const double *x, size_t n) {
    deeptrack_value *v;
    deeptrack_rule *r;
    CHECK(deeptrack_value_new_array(x, &n, 1, &v));
    CHECK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    CHECK(deeptrack_feature_set_property(f, key, r));
}

static void set_string(deeptrack_feature *f, const char *key, const char *s) {
    deeptrack_value *v;
    deeptrack_rule *r;
    CHECK(deeptrack_value_new_string(s, &v));
    CHECK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    CHECK(deeptrack_feature_set_property(f, key, r));
}

static const char *path_in(const char *dir, const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    const double region[4] = {0, 0, 128, 128};

    /* 1. particle ^ 10 through Fluorescence, then an sCMOS camera. */
    deeptrack_feature *particle = feature("PointParticle"), *particles, *optics = feature("Fluorescence"), *scope,
                      *camera = feature("Camera"), *pipeline;
    const double low[2] = {8, 8}, high[2] = {120, 120};
    deeptrack_rule *position;
    CHECK(deeptrack_rule_uniform_array(low, high, 2, &position));
    CHECK(deeptrack_feature_set_property(particle, "position", position));
    set_float(particle, "intensity", 100);
    CHECK(deeptrack_feature_repeat(particle, 10, &particles));
    set_float(optics, "NA", 0.8);
    set_float(optics, "wavelength", 680e-9);
    set_float(optics, "resolution", 1e-6);
    set_float(optics, "magnification", 10);
    set_vector(optics, "output_region", region, 4);
    CHECK(deeptrack_feature_microscope(optics, particles, &scope));
    set_string(camera, "camera_type", "sCMOS");
    set_float(camera, "photons_per_unit", 20000);
    set_float(camera, "exposure_time", 0.05);
    set_float(camera, "quantum_efficiency", 0.8);
    set_float(camera, "read_noise", 1.5);
    set_float(camera, "adc_gain", 0.5);
    set_float(camera, "bit_depth", 16);
    CHECK(deeptrack_feature_chain(scope, camera, &pipeline));
    CHECK(deeptrack_feature_store_properties(pipeline, true));
    CHECK(deeptrack_feature_seed(pipeline, 42));

    deeptrack_image *fluorescence;
    CHECK(deeptrack_feature_resolve(pipeline, NULL, &fluorescence));
    size_t shape[3];
    CHECK(deeptrack_image_shape(fluorescence, shape, 3));
    double range[2];
    CHECK(deeptrack_image_save_png(fluorescence, path_in(dir, "fluorescence.png"), range));
    printf("fluorescence: %zux%zu image, values %.4f to %.4f, written to %s\n", shape[0], shape[1], range[0], range[1],
           path_in(dir, "fluorescence.png"));
    deeptrack_value *positions;
    CHECK(deeptrack_image_get_property(fluorescence, "position", false, &positions));
    printf("particles: %zu\n", deeptrack_value_list_len(positions));
    for (size_t i = 0; i < deeptrack_value_list_len(positions); i++) {
        const double *p;
        CHECK(deeptrack_value_array(deeptrack_value_list_get(positions, i), &p, NULL, NULL));
        printf("  particle %zu at (%.2f, %.2f)\n", i, p[0], p[1]);
    }
    deeptrack_value_free(positions);

    /* 1b. The same particles at low light through an EMCCD: the EM gain lifts single photons above
     * the read noise. */
    deeptrack_feature *emccd = feature("Camera"), *low_light;
    set_string(emccd, "camera_type", "EMCCD");
    set_float(emccd, "photons_per_unit", 1500);
    set_float(emccd, "exposure_time", 0.05);
    set_float(emccd, "quantum_efficiency", 0.9);
    set_float(emccd, "em_gain", 300);
    set_float(emccd, "read_noise", 50);
    set_float(emccd, "clock_induced_charge", 0.005);
    set_float(emccd, "adc_gain", 20);
    set_float(emccd, "bit_depth", 16);
    CHECK(deeptrack_feature_chain(scope, emccd, &low_light));
    CHECK(deeptrack_feature_seed(low_light, 42));
    deeptrack_image *frame;
    CHECK(deeptrack_feature_resolve(low_light, NULL, &frame));
    CHECK(deeptrack_image_save_png(frame, path_in(dir, "emccd.png"), range));
    printf("emccd: ADU %.0f to %.0f, written to %s\n", range[0], range[1], path_in(dir, "emccd.png"));
    deeptrack_image_free(frame);
    deeptrack_feature_free(low_light);
    deeptrack_feature_free(emccd);

    /* 2. A sphere through Brightfield. */
    deeptrack_feature *sphere = feature("Sphere"), *bright = feature("Brightfield"), *bf_scope;
    const double centre[2] = {64, 64};
    set_vector(sphere, "position", centre, 2);
    set_float(sphere, "radius", 1e-6);
    set_float(sphere, "refractive_index", 1.45);
    set_float(bright, "NA", 0.7);
    set_float(bright, "wavelength", 532e-9);
    set_float(bright, "resolution", 1e-7);
    set_float(bright, "magnification", 1);
    set_vector(bright, "output_region", region, 4);
    CHECK(deeptrack_feature_microscope(bright, sphere, &bf_scope));
    deeptrack_image *brightfield;
    CHECK(deeptrack_feature_resolve(bf_scope, NULL, &brightfield));
    CHECK(deeptrack_image_save_png(brightfield, path_in(dir, "brightfield.png"), range));
    printf("brightfield: values %.4f to %.4f, written to %s\n", range[0], range[1], path_in(dir, "brightfield.png"));

    deeptrack_image_free(brightfield);
    deeptrack_feature_free(bf_scope);
    deeptrack_feature_free(bright);
    deeptrack_feature_free(sphere);
    deeptrack_image_free(fluorescence);
    deeptrack_feature_free(pipeline);
    deeptrack_feature_free(camera);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(optics);
    deeptrack_feature_free(particles);
    deeptrack_feature_free(particle);
    return 0;
}
