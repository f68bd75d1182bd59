/* Finite inputs that cannot give a finite image are an error naming the property responsible, where
 * the user set it, from C (issue 12): a point particle's intensity of 1e308 (it was a panic), a noise
 * sigma whose draws overflow, holography's rescale factor, an explicit Mie L, the optics' wavelength and
 * ISCAT's amp_factor handed to a Mie sphere. A tiny sigma of GaussianBlur or BilateralBlur returns the
 * input, as scipy and OpenCV do (it was NaN with status OK). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* A 16 x 16 optics of kind `name` (padding 4). */
static deeptrack_feature *optics(const char *name) {
    deeptrack_feature *o = feature(name);
    const double region[4] = {0, 0, 16, 16}, padding[4] = {4, 4, 4, 4};
    set_vector(o, "output_region", region, 4);
    set_vector(o, "padding", padding, 4);
    return o;
}

/* An image of `n` samples of shape `shape[0..ndim]`: sample i is `f(i)`. */
static deeptrack_image *image(const size_t *shape, size_t ndim, double (*f)(size_t)) {
    size_t n = 1;
    for (size_t k = 0; k < ndim; k++) n *= shape[k];
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = f(i);
    deeptrack_image *img = NULL;
    OK(deeptrack_image_new(x, shape, ndim, &img));
    free(x);
    return img;
}

static double index_of(size_t i) { return (double)i; }
static double zero(size_t i) { return (double)(i * 0); }
static double field(size_t i) { return 2.0 + (double)(i % 2); }

/* Whether `f` resolved on `input` returns `input`'s samples exactly. */
static int returns_input(deeptrack_feature *f, deeptrack_image *input) {
    deeptrack_image *out = resolve(f, input);
    const double *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    if (out == NULL) return 0;
    OK(deeptrack_image_data(out, &a, &la));
    OK(deeptrack_image_data(input, &b, &lb));
    int same = la == lb;
    for (size_t i = 0; same && i < la; i++) same = a[i] == b[i];
    deeptrack_image_free(out);
    return same;
}

int main(void) {
    deeptrack_image *out = NULL;

    /* A point particle of intensity 1e308: its centre of mass overflows. */
    deeptrack_feature *p = centred_scatterer("PointParticle");
    set_float(p, "intensity", 1e308);
    FAILS(render_sample(optics("Fluorescence"), p, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'intensity' of feature 'PointParticle': the centre of mass of the scatterer's volume times its "
          "intensity (1e+308) is not finite");
    CHECK(out == NULL);

    /* Tiny sigmas: the input, as scipy's gaussian_filter and OpenCV's bilateralFilter give it. */
    const size_t square[2] = {4, 4};
    deeptrack_image *x = image(square, 2, index_of);
    deeptrack_feature *blur = feature("GaussianBlur");
    set_float(blur, "sigma", 1e-300);
    CHECK(returns_input(blur, x));
    deeptrack_feature_free(blur);
    deeptrack_feature *bilateral = feature("BilateralBlur");
    set_float(bilateral, "sigma_color", 1e-160);
    CHECK(returns_input(bilateral, x));
    set_float(bilateral, "sigma_color", 50);
    set_float(bilateral, "sigma_space", 5e-324);
    set_int(bilateral, "d", 0);
    CHECK(returns_input(bilateral, x));
    deeptrack_feature_free(bilateral);

    /* Gaussian noise of sigma 1e308 on zeros: the draws overflow. */
    const size_t eight[2] = {8, 8};
    deeptrack_image *zeros = image(eight, 2, zero);
    deeptrack_feature *noise = feature("Gaussian");
    set_float(noise, "sigma", 1e308);
    FAILS(deeptrack_feature_resolve(noise, zeros, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'sigma' of feature 'Gaussian': the noise overflows: sigma (1e+308) times a standard normal draw");
    deeptrack_feature_free(noise);

    /* Holography's rescale of 1e308 on a field of 2 and 3. */
    const size_t two[3] = {4, 4, 2};
    deeptrack_image *f = image(two, 3, field);
    deeptrack_feature *rescale = feature("Rescale");
    set_float(rescale, "rescale", 1e308);
    FAILS(deeptrack_feature_resolve(rescale, f, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'rescale' of feature 'Rescale': the rescaled field overflows: a sample of 3.0 becomes inf");
    deeptrack_feature_free(rescale);

    /* Equal quantiles. */
    deeptrack_feature *quantile = feature("NormalizeQuantile");
    const double half[2] = {0.5, 0.5};
    set_vector(quantile, "quantiles", half, 2);
    FAILS(deeptrack_feature_resolve(quantile, x, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'quantiles' of feature 'NormalizeQuantile': the quantiles are equal (0.5 and 0.5)");
    deeptrack_feature_free(quantile);

    /* An explicit L of 300 for a 1 um sphere: L is named, complex numbers written as Python does. */
    deeptrack_feature *mie = centred_scatterer("MieSphere");
    set_int(mie, "L", 300);
    FAILS(render_sample(optics("Brightfield"), mie, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'L' of feature 'MieSphere': MieSphere's Mie coefficients are not finite");
    CHECK(strstr(last_error(), "relative refractive indices [(1.0902255639097744+0j)])") != NULL);
    CHECK(strstr(last_error(), "Complex {") == NULL);

    /* The optics' wavelength of 1e-12 m makes "auto" L huge: the optics' property. */
    deeptrack_feature *o = optics("Brightfield");
    set_float(o, "wavelength", 1e-12);
    FAILS(render_sample(o, centred_scatterer("MieSphere"), &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'wavelength' of feature 'Brightfield': \"auto\" gives 6283924 expansion terms for a radius of "
          "1e-06 m at wavelength 1e-12 m");

    /* ISCAT's amp_factor, handed to its Mie sphere, is ISCAT's. */
    o = optics("ISCAT");
    set_float(o, "amp_factor", 1e-300);
    FAILS(render_sample(o, centred_scatterer("MieSphere"), &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'amp_factor' of feature 'ISCAT': MieSphere's field is not finite: the field divided by "
          "amp_factor (1e-300) overflows");

    deeptrack_image_free(x);
    deeptrack_image_free(zeros);
    deeptrack_image_free(f);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
