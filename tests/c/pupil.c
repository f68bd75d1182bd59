/* Pupils and illumination from C: aberrations (deeptrack.aberrations) and IlluminationGradient built by
 * kind name and given to the optics as their features (deeptrack_feature_new_with: pupil, then
 * illumination), images checked against DeepTrack2 2.0.1's (tests/fixtures/deeptrack-2.0.1:
 * fluo_pupil_defocus, bf_illumination_gradient), random coefficients re-drawn on update, any feature
 * as the illumination (a Multiply by a feature-valued rule, complex Gaussian noise), and bad pupils
 * reported with the feature and property. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* The fixtures' sphere: at (16.3, 19.6), z = 3 (fluorescence, intensity 10) or -2 (brightfield,
 * refractive index 1.45), radius 0.4 µm. */
static deeptrack_feature *sphere(int brightfield) {
    deeptrack_feature *s = feature("Sphere");
    const double position[2] = {16.3, 19.6};
    set_vector(s, "position", position, 2);
    set_float(s, "z", brightfield ? -2.0 : 3.0);
    set_float(s, "radius", 4e-7);
    if (brightfield)
        set_float(s, "refractive_index", 1.45);
    else
        set_float(s, "intensity", 10);
    return s;
}

/* The fixtures' optics (a 32 × 40 region, padding 8) with `features` (pupil, illumination). */
static deeptrack_feature *optics(int brightfield, deeptrack_feature *const *features, size_t n) {
    deeptrack_feature *o = NULL;
    OK(deeptrack_feature_new_with(brightfield ? "Brightfield" : "Fluorescence", features, n, &o));
    const double region[4] = {0, 0, 32, 40}, padding[4] = {8, 8, 8, 8};
    set_float(o, "NA", brightfield ? 0.7 : 0.8);
    set_float(o, "wavelength", brightfield ? 5.32e-7 : 6.8e-7);
    set_float(o, "resolution", brightfield ? 1e-7 : 1e-6);
    set_float(o, "magnification", brightfield ? 1 : 10);
    set_vector(o, "output_region", region, 4);
    set_vector(o, "padding", padding, 4);
    return o;
}

/* The image of the sphere through `o` (a copy of its 32 × 40 values into `out`); the status. */
static deeptrack_status image(deeptrack_feature *scope, double *out) {
    deeptrack_image *img = NULL;
    deeptrack_status s = deeptrack_feature_resolve(scope, NULL, &img);
    if (s != DEEPTRACK_STATUS_OK) return s;
    const double *data = NULL;
    size_t len = 0;
    OK(deeptrack_image_data(img, &data, &len));
    CHECK(len == 32 * 40);
    if (len == 32 * 40) memcpy(out, data, sizeof(double) * len);
    deeptrack_image_free(img);
    return s;
}

static deeptrack_feature *microscope(deeptrack_feature *o, int brightfield) {
    deeptrack_feature *s = sphere(brightfield), *scope = NULL;
    OK(deeptrack_feature_microscope(o, s, &scope));
    deeptrack_feature_free(s);
    return scope;
}

static double peak(const double *a) {
    double m = -INFINITY;
    for (size_t i = 0; i < 32 * 40; i++) m = fmax(m, a[i]);
    return m;
}

static double largest_difference(const double *a, const double *b) {
    double d = 0.0;
    for (size_t i = 0; i < 32 * 40; i++) d = fmax(d, fabs(a[i] - b[i]));
    return d;
}

static double plain[32 * 40], aberrated[32 * 40], again[32 * 40];

int main(void) {
    /* Fluorescence with a Defocus pupil: DeepTrack2's image (fluo_pupil_defocus: peak 1.6973181472652819). */
    deeptrack_feature *defocus = feature("Defocus");
    set_float(defocus, "coefficient", 0.8);
    deeptrack_feature *o = optics(0, &defocus, 1), *scope = microscope(o, 0);
    OK(image(scope, aberrated));
    CHECK(fabs(peak(aberrated) - 1.6973181472652819) < 1e-9);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);

    /* Without a pupil the image is another (peak 2.095…); with a zero coefficient, the same. */
    o = optics(0, NULL, 0);
    scope = microscope(o, 0);
    OK(image(scope, plain));
    CHECK(fabs(peak(plain) - 2.095094886698507) < 1e-9);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);
    set_float(defocus, "coefficient", 0.0);
    o = optics(0, &defocus, 1);
    scope = microscope(o, 0);
    OK(image(scope, again));
    CHECK(largest_difference(plain, again) < 1e-15);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);

    /* A random coefficient: the same image until an update, then another. */
    deeptrack_rule *uniform = NULL;
    OK(deeptrack_rule_uniform(-1.0, 1.0, &uniform));
    OK(deeptrack_feature_set_property(defocus, "coefficient", uniform));
    o = optics(0, &defocus, 1);
    scope = microscope(o, 0);
    OK(deeptrack_feature_seed(scope, 7));
    OK(image(scope, aberrated));
    OK(image(scope, again));
    CHECK(largest_difference(aberrated, again) == 0.0);
    OK(deeptrack_feature_update(scope));
    OK(image(scope, again));
    CHECK(largest_difference(aberrated, again) > 1e-3);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);

    /* Brightfield with only an illumination (NULL for the pupil): bf_illumination_gradient's peak. */
    deeptrack_feature *gradient = feature("IlluminationGradient");
    const double slope[2] = {0.002, -0.001};
    set_vector(gradient, "gradient", slope, 2);
    set_float(gradient, "constant", 0.1);
    set_float(gradient, "vmin", 0.5);
    set_float(gradient, "vmax", 1.2);
    deeptrack_feature *both[2] = {NULL, gradient};
    o = optics(1, both, 2);
    scope = microscope(o, 1);
    OK(image(scope, aberrated));
    CHECK(fabs(peak(aberrated) - 2.1915526954376965) < 1e-9);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);

    /* Any feature as the illumination, resolved on the complex unit field (DeepTrack2 2.0.1's
     * Brightfield): Multiply whose value is a feature-valued rule (deeptrack_rule_feature of a Value
     * of 1.5) is the gradient of constant 0.5. */
    deeptrack_feature *constant = feature("IlluminationGradient");
    set_float(constant, "constant", 0.5);
    deeptrack_feature *with_constant[2] = {NULL, constant};
    o = optics(1, with_constant, 2);
    scope = microscope(o, 1);
    OK(image(scope, plain));
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);
    deeptrack_feature *amplitude = feature("Value"), *multiply = feature("Multiply");
    set_float(amplitude, "value", 1.5);
    deeptrack_rule *amplitude_rule = NULL;
    OK(deeptrack_rule_feature(amplitude, &amplitude_rule));
    OK(deeptrack_feature_set_property(multiply, "value", amplitude_rule));
    deeptrack_feature *with_multiply[2] = {NULL, multiply};
    o = optics(1, with_multiply, 2);
    scope = microscope(o, 1);
    OK(image(scope, again));
    CHECK(largest_difference(plain, again) < 1e-12 * peak(plain));
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);

    /* Complex noise on the incoming field (DTEx231I: Gaussian(sigma=0.005) >> Gaussian(sigma=0.005j)):
     * another image than the plain one, the same until an update, reproducible under a seed. */
    deeptrack_feature *real_noise = feature("Gaussian"), *phase_noise = feature("Gaussian"), *noise = NULL;
    set_float(real_noise, "sigma", 0.005);
    deeptrack_value *sigma = NULL;
    deeptrack_rule *sigma_rule = NULL;
    OK(deeptrack_value_new_complex(0.0, 0.005, &sigma));
    OK(deeptrack_rule_constant(sigma, &sigma_rule));
    deeptrack_value_free(sigma);
    OK(deeptrack_feature_set_property(phase_noise, "sigma", sigma_rule));
    OK(deeptrack_feature_chain(real_noise, phase_noise, &noise));
    o = optics(1, NULL, 0);
    scope = microscope(o, 1);
    OK(image(scope, plain));
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);
    deeptrack_feature *with_noise[2] = {NULL, noise};
    o = optics(1, with_noise, 2);
    scope = microscope(o, 1);
    OK(deeptrack_feature_seed(scope, 3));
    OK(image(scope, aberrated));
    CHECK(largest_difference(plain, aberrated) > 1e-3 && largest_difference(plain, aberrated) < 0.5);
    OK(image(scope, again));
    CHECK(largest_difference(aberrated, again) == 0.0);
    OK(deeptrack_feature_update(scope));
    OK(image(scope, again));
    CHECK(largest_difference(aberrated, again) > 1e-4);
    OK(deeptrack_feature_seed(scope, 3));
    OK(image(scope, again));
    CHECK(largest_difference(aberrated, again) == 0.0);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);
    deeptrack_feature_free(noise);
    deeptrack_feature_free(phase_noise);
    deeptrack_feature_free(real_noise);
    deeptrack_feature_free(multiply);
    deeptrack_feature_free(amplitude);
    deeptrack_feature_free(constant);

    /* A pupil that is no aberration, and a Zernike whose lists differ in length: errors that say so. */
    deeptrack_feature *blur = feature("GaussianBlur");
    o = optics(0, &blur, 1);
    scope = microscope(o, 0);
    CHECK(image(scope, again) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "the pupil must be an aberration") != NULL);
    CHECK(strstr(last_error(), "Fluorescence") != NULL);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);
    deeptrack_feature *zernike = feature("Zernike");
    const double n[2] = {2, 3}, m[2] = {0, 1};
    set_vector(zernike, "n", n, 2);
    set_vector(zernike, "m", m, 2);
    set_float(zernike, "coefficient", 0.5);
    o = optics(0, &zernike, 1);
    scope = microscope(o, 0);
    CHECK(image(scope, again) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'coefficient' of feature 'Zernike'") != NULL);
    CHECK(strstr(last_error(), "expected as many coefficients as Zernike terms (2), got 1") != NULL);
    deeptrack_feature_free(scope);
    deeptrack_feature_free(o);

    /* The pupil is a feature given at construction, not a property value. */
    o = optics(0, NULL, 0);
    deeptrack_rule *as_value = NULL;
    OK(deeptrack_rule_feature(defocus, &as_value));
    CHECK(deeptrack_feature_set_property(o, "pupil", as_value) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "'pupil' is a feature given at construction") != NULL);
    deeptrack_feature_free(o);

    deeptrack_feature_free(zernike);
    deeptrack_feature_free(blur);
    deeptrack_feature_free(gradient);
    deeptrack_feature_free(defocus);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
