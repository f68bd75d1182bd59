/* Mie scattering and aberrated microscopes, in C: the pictures of the README's optics.
 *
 * Build and run (from the repository root):  make optics        (writes PNGs to target/release/)
 *
 * 1. A polystyrene-like sphere (random position, depth, radius and refractive index, drawn as
 *    DeepTrack2's particle-sizing tutorial draws them) scattering by Mie theory, imaged in
 *    Brightfield through a pupil with defocus and astigmatism (`Defocus >> Astigmatism`, given to
 *    the optics as their pupil feature). Three images are drawn; each one's ground truth (the
 *    sphere's position, depth, radius and refractive index) comes back from its properties.
 * 2. One Mie sphere in each of the other coherent systems: Brightfield with a perfect pupil,
 *    Darkfield, ISCAT and Holography (the sphere 20 pixels out of focus: its rings). Darkfield and
 *    ISCAT hand the sphere their illumination (its angle; ISCAT's circular polarization and phase
 *    shift correction), as DeepTrack2's do.
 * 3. Point particles in Fluorescence through a pupil with spherical aberration. */
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

static void set_rule(deeptrack_feature *f, const char *key, deeptrack_rule *r) {
    CHECK(deeptrack_feature_set_property(f, key, r));
}

static void set_float(deeptrack_feature *f, const char *key, double x) {
    deeptrack_value *v;
    deeptrack_rule *r;
    CHECK(deeptrack_value_new_float(x, &v));
    CHECK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    set_rule(f, key, r);
}

static void set_vector(deeptrack_feature *f, const char *key, const double *x, size_t n) {
    deeptrack_value *v;
    deeptrack_rule *r;
    CHECK(deeptrack_value_new_array(x, &n, 1, &v));
    CHECK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    set_rule(f, key, r);
}

static void set_uniform(deeptrack_feature *f, const char *key, double low, double high) {
    deeptrack_rule *r;
    CHECK(deeptrack_rule_uniform(low, high, &r));
    set_rule(f, key, r);
}

static const char *path_in(const char *dir, const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* A coherent microscope of `kind` (with `pupil`, or none): NA 0.8, 633 nm, 66.7 nm pixels, 128 x 128. */
static deeptrack_feature *coherent(const char *kind, deeptrack_feature *pupil) {
    deeptrack_feature *optics;
    CHECK(deeptrack_feature_new_with(kind, pupil ? &pupil : NULL, pupil ? 1 : 0, &optics));
    const double region[4] = {0, 0, 128, 128};
    set_float(optics, "NA", 0.8);
    set_float(optics, "wavelength", 633e-9);
    set_float(optics, "resolution", 1e-6);
    set_float(optics, "magnification", 15);
    set_float(optics, "refractive_index_medium", 1.33);
    set_vector(optics, "output_region", region, 4);
    return optics;
}

/* A MieSphere at (64, 64), `z` pixels from focus. */
static deeptrack_feature *mie_sphere(double z, double radius, double index) {
    deeptrack_feature *sphere = feature("MieSphere");
    const double centre[2] = {64, 64};
    set_vector(sphere, "position", centre, 2);
    set_float(sphere, "z", z);
    set_float(sphere, "radius", radius);
    set_float(sphere, "refractive_index", index);
    return sphere;
}

/* Images `sample` through `optics` (seeded: the same picture every run) and writes the image to `dir/name`. */
static void render(deeptrack_feature *optics, deeptrack_feature *sample, const char *dir, const char *name) {
    deeptrack_feature *scope;
    deeptrack_image *img;
    double range[2];
    CHECK(deeptrack_feature_microscope(optics, sample, &scope));
    CHECK(deeptrack_feature_seed(scope, 3));
    CHECK(deeptrack_feature_resolve(scope, NULL, &img));
    CHECK(deeptrack_image_save_png(img, path_in(dir, name), range));
    printf("%s: values %.4f to %.4f, written to %s\n", name, range[0], range[1], path_in(dir, name));
    deeptrack_image_free(img);
    deeptrack_feature_free(scope);
}

/* The number the image's property `key` holds (the sphere's: one value). */
static double number(const deeptrack_image *img, const char *key) {
    deeptrack_value *v;
    double x;
    CHECK(deeptrack_image_get_property(img, key, true, &v));
    CHECK(deeptrack_value_as_float(v, &x));
    deeptrack_value_free(v);
    return x;
}

/* One sphere in each coherent system, written to `dir`: in focus in Brightfield, Darkfield and ISCAT,
 * 20 pixels out of focus in Holography. Each system hands the sphere its own optics (wavelength, NA,
 * medium, region) and the properties it shares with it, as DeepTrack2's microscope does: Darkfield
 * its illumination_angle (pi/2), ISCAT the light in reflection (illumination_angle pi), circular
 * polarization and the phase shift corrected. */
static void each_coherent_system(const char *dir) {
    const char *systems[4] = {"Brightfield", "Darkfield", "ISCAT", "Holography"};
    const char *files[4] = {"mie_brightfield.png", "darkfield.png", "iscat.png", "holography.png"};
    for (int i = 0; i < 4; i++) {
        deeptrack_feature *system = coherent(systems[i], NULL);
        deeptrack_feature *particle = i == 3 ? mie_sphere(-20, 3e-7, 1.59) : mie_sphere(0, 3e-7, 1.59);
        render(system, particle, dir, files[i]);
        deeptrack_feature_free(particle);
        deeptrack_feature_free(system);
    }
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";

    /* 1. A random Mie sphere through an aberrated brightfield microscope, with its ground truth. */
    deeptrack_feature *defocus = feature("Defocus"), *astigmatism = feature("Astigmatism"), *pupil;
    set_float(defocus, "coefficient", 0.6);
    set_float(astigmatism, "coefficient", 0.4);
    CHECK(deeptrack_feature_chain(defocus, astigmatism, &pupil));
    deeptrack_feature *sphere = feature("MieSphere"), *optics = coherent("Brightfield", pupil), *scope;
    const double low[2] = {40, 40}, high[2] = {88, 88};
    deeptrack_rule *position;
    CHECK(deeptrack_rule_uniform_array(low, high, 2, &position));
    set_rule(sphere, "position", position);
    set_uniform(sphere, "z", -5, 5);
    set_uniform(sphere, "radius", 1e-7, 4e-7);
    set_uniform(sphere, "refractive_index", 1.37, 1.67);
    CHECK(deeptrack_feature_microscope(optics, sphere, &scope));
    CHECK(deeptrack_feature_store_properties(scope, true));
    CHECK(deeptrack_feature_seed(scope, 7));
    for (int i = 0; i < 3; i++) {
        if (i > 0) CHECK(deeptrack_feature_update(scope));
        deeptrack_image *img;
        CHECK(deeptrack_feature_resolve(scope, NULL, &img));
        deeptrack_value *at;
        const double *p;
        CHECK(deeptrack_image_get_property(img, "position", true, &at));
        CHECK(deeptrack_value_array(at, &p, NULL, NULL));
        printf("mie sphere %d: position (%.2f, %.2f) px, z %.2f px, radius %.1f nm, refractive index %.3f\n", i, p[0],
               p[1], number(img, "z"), number(img, "radius") * 1e9, number(img, "refractive_index"));
        deeptrack_value_free(at);
        if (i == 0) {
            double range[2];
            CHECK(deeptrack_image_save_png(img, path_in(dir, "mie_aberrated.png"), range));
            printf("mie_aberrated.png: values %.4f to %.4f, written to %s\n", range[0], range[1],
                   path_in(dir, "mie_aberrated.png"));
        }
        deeptrack_image_free(img);
    }
    deeptrack_feature_free(scope);
    deeptrack_feature_free(optics);
    deeptrack_feature_free(sphere);

    /* 2. One sphere in each coherent system. */
    each_coherent_system(dir);

    /* 3. Point particles through a fluorescence microscope with spherical aberration. */
    deeptrack_feature *spherical = feature("SphericalAberration"), *fluorescence, *point = feature("PointParticle"),
                      *points;
    set_float(spherical, "coefficient", 1.0);
    CHECK(deeptrack_feature_new_with("Fluorescence", &spherical, 1, &fluorescence));
    const double region[4] = {0, 0, 128, 128};
    set_float(fluorescence, "NA", 0.8);
    set_float(fluorescence, "wavelength", 680e-9);
    set_float(fluorescence, "resolution", 1e-6);
    set_float(fluorescence, "magnification", 10);
    set_vector(fluorescence, "output_region", region, 4);
    const double spread_low[2] = {16, 16}, spread_high[2] = {112, 112};
    CHECK(deeptrack_rule_uniform_array(spread_low, spread_high, 2, &position));
    set_rule(point, "position", position);
    set_uniform(point, "z", -10, 10);
    set_float(point, "intensity", 100);
    CHECK(deeptrack_feature_repeat(point, 8, &points));
    render(fluorescence, points, dir, "aberrated_fluorescence.png");

    deeptrack_feature_free(points);
    deeptrack_feature_free(point);
    deeptrack_feature_free(fluorescence);
    deeptrack_feature_free(spherical);
    deeptrack_feature_free(pupil);
    deeptrack_feature_free(astigmatism);
    deeptrack_feature_free(defocus);
    return 0;
}
