/* Errors that blame the right property from C: inside a microscope, finite values that cannot give a
 * finite image are an error naming the feature and the property given the value (an illumination's
 * constant, a Mie sphere's position_objective and amp_factor), not another scatterer's or the optics';
 * and a GaussianApodization centred far beyond the grid gives a finite image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* A small optics of kind `name` (a 16 x 16 output) with `pupil` and `illumination` (either NULL). */
static deeptrack_feature *optics(const char *name, deeptrack_feature *pupil, deeptrack_feature *illumination) {
    deeptrack_feature *features[2] = {pupil, illumination}, *o = NULL;
    OK(deeptrack_feature_new_with(name, features, 2, &o));
    const double region[4] = {0, 0, 16, 16};
    set_vector(o, "output_region", region, 4);
    return o;
}

int main(void) {
    deeptrack_image *out = NULL;
    const double *data = NULL;
    size_t len = 0;

    /* An illumination's constant of 1e300: the incoming field is finite, its image is not. */
    deeptrack_feature *gradient = NULL;
    OK(deeptrack_feature_new("IlluminationGradient", &gradient));
    set_float(gradient, "constant", 1e300);
    FAILS(render_sample(optics("Brightfield", NULL, gradient), centred_scatterer("PointParticle"), &out),
          DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'constant' of feature 'IlluminationGradient': the image overflows (it has non-finite values): the "
          "illumination's constant gives the incoming field an amplitude of 1e+300, too large to image");
    CHECK(out == NULL);
    deeptrack_feature_free(gradient);

    /* A Mie sphere's objective 1e300 m to the side: the far field's plane is too far. */
    deeptrack_feature *mie = centred_scatterer("MieSphere");
    const double side[2] = {1e300, 0};
    set_vector(mie, "position_objective", side, 2);
    FAILS(render_sample(optics("Brightfield", NULL, NULL), mie, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'position_objective' of feature 'MieSphere': MieSphere's field is not finite: the far field's "
          "plane");

    /* Its field divided by an amp_factor of 1e-300. */
    mie = centred_scatterer("MieSphere");
    set_float(mie, "amp_factor", 1e-300);
    FAILS(render_sample(optics("Brightfield", NULL, NULL), mie, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'amp_factor' of feature 'MieSphere': MieSphere's field is not finite: the field divided by "
          "amp_factor (1e-300) overflows");

    /* A coherence length with the particle at z 0. */
    mie = centred_scatterer("MieSphere");
    set_float(mie, "coherence_length", 1e-6);
    FAILS(render_sample(optics("Brightfield", NULL, NULL), mie, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "property 'coherence_length' of feature 'MieSphere': MieSphere's field is not finite: a coherence_length "
          "needs a particle z other than 0");

    /* A Gaussian apodization centred 1e300 grid pixels away: every point of the pupil at rho 1, a finite
     * image (DeepTrack2's is NaN everywhere). */
    deeptrack_feature *apodization = NULL;
    OK(deeptrack_feature_new("GaussianApodization", &apodization));
    const double away[2] = {1e300, -1e300};
    set_vector(apodization, "offset", away, 2);
    OK(render_sample(optics("Fluorescence", apodization, NULL), centred_scatterer("PointParticle"), &out));
    OK(deeptrack_image_data(out, &data, &len));
    CHECK(len == 16 * 16);
    double peak = 0;
    int finite = 1;
    for (size_t i = 0; i < len; i++) {
        finite &= isfinite(data[i]) != 0;
        if (data[i] > peak) peak = data[i];
    }
    CHECK(finite && peak > 0);
    deeptrack_image_free(out);
    deeptrack_feature_free(apodization);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
