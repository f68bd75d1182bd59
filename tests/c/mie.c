/* Mie scattering's mathematics from C: DeepTrack2's backend.polynomials element-wise
 * (deeptrack_bessel_evaluate, real and complex arguments), the Mie coefficients of a sphere and of a
 * stratified one, the angular harmonics, and the errors of bad arguments. */
#include <math.h>
#include <string.h>

#include "check.h"

static int close_to(double a, double b, double tol) { return fabs(a - b) <= tol; }

int main(void) {
    /* Real arguments: psi_1(x) = sin x / x - cos x, chi_1(x) = cos x / x + sin x; J_{-1} = -J_1 exactly;
     * a negative argument of a non-integer order is NaN (scipy's jv of a float). */
    const double orders[4] = {1.0, 1.0, -1.0, 0.5};
    const double x[4] = {8.0, 8.0, 5.0, -2.0};
    double out[8];
    OK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_RICCATI_J, orders, x, 2, true, out));
    CHECK(close_to(out[0], sin(8.0) / 8.0 - cos(8.0), 1e-13) && out[1] == 0.0);
    OK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_RICCATI_Y, orders, x, 1, true, out));
    CHECK(close_to(out[0], cos(8.0) / 8.0 + sin(8.0), 1e-13));
    const double o1[1] = {1.0}, x5[1] = {5.0};
    double j1[2];
    OK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_J, o1, x5, 1, true, j1));
    OK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_J, orders, x, 4, true, out));
    CHECK(out[4] == -j1[0] && j1[0] < 0.0);
    CHECK(isnan(out[6]));

    /* Complex arguments (interleaved re, im): xi_3(2) = 0.1214 - 2.968i (DeepTrack2's test value), and
     * psi_l of a complex argument on the positive axis equals the real one. */
    const double o3[2] = {3.0, 1.0}, z[4] = {2.0, 0.0, 8.0, 0.0};
    double h[4];
    OK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_RICCATI_H, o3, z, 2, false, h));
    CHECK(close_to(h[0], 0.1214, 1e-3) && close_to(h[1], -2.968, 1e-3));
    OK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_RICCATI_J, o3 + 1, z + 2, 1, false, h));
    CHECK(close_to(h[0], sin(8.0) / 8.0 - cos(8.0), 1e-13) && fabs(h[1]) < 1e-15);

    /* Coefficients: Sergio Aragon's values for m = 4/3, x = 50 and for m = 1.5 + 1i, x = 2. */
    const double m1[2] = {4.0 / 3.0, 0.0}, a1[1] = {50.0};
    double an[2], bn[2];
    OK(deeptrack_mie_coefficients(m1, a1, 1, 1, an, bn));
    CHECK(close_to(an[0], 0.5311058892948411929, 1e-9) && close_to(an[1], -0.4990314856310943073, 1e-9));
    CHECK(close_to(bn[0], 0.7919244759352004773, 1e-9) && close_to(bn[1], -0.4059311522289938238, 1e-9));
    const double m2[2] = {1.5, 1.0}, a2[1] = {2.0};
    OK(deeptrack_mie_coefficients(m2, a2, 1, 1, an, bn));
    CHECK(close_to(an[0], 0.5465202033970914511, 1e-9) && close_to(an[1], -0.1523738572575972279, 1e-9));
    CHECK(close_to(bn[0], 0.3897147278879423235, 1e-9) && close_to(bn[1], 0.2278960752564908264, 1e-9));

    /* Two layers of one material are one sphere of the outer radius. */
    const double ms[4] = {1.5, 0.01, 1.5, 0.01}, as[2] = {1.2, 3.0}, m3[2] = {1.5, 0.01}, a3[1] = {3.0};
    double sa[8], sb[8], ha[8], hb[8];
    OK(deeptrack_mie_coefficients(ms, as, 2, 4, sa, sb));
    OK(deeptrack_mie_coefficients(m3, a3, 1, 4, ha, hb));
    for (int k = 0; k < 8; k++) CHECK(close_to(sa[k], ha[k], 1e-10) && close_to(sb[k], hb[k], 1e-10));

    /* Harmonics at x = 0.4 (DeepTrack2's test values), row-major by order. */
    const double cosines[2] = {0.4, 0.0};
    double pi[8], tau[8];
    OK(deeptrack_mie_harmonics(cosines, 2, 4, pi, tau));
    CHECK(close_to(pi[2], 3 * 0.4, 1e-15) && close_to(pi[6], -1.88, 1e-12) && close_to(tau[6], -1.508, 1e-12));
    CHECK(pi[5] == -1.5 && pi[7] == 0.0 && tau[3] == -3.0);

    /* Bad arguments: an unknown function, NULL buffers, no layers; n = 0 needs no buffers. */
    CHECK(deeptrack_bessel_evaluate(99, orders, x, 1, true, out) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "DEEPTRACK_BESSEL_") != NULL);
    CHECK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_J, NULL, x, 1, true, out) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(strstr(last_error(), "'orders'") != NULL);
    CHECK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_J, orders, x, 1, true, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    OK(deeptrack_bessel_evaluate(DEEPTRACK_BESSEL_J, NULL, NULL, 0, false, NULL));
    CHECK(deeptrack_mie_coefficients(m1, a1, 0, 1, an, bn) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(deeptrack_mie_coefficients(m1, NULL, 1, 1, an, bn) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_mie_coefficients(m1, a1, 1, 1, an, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    OK(deeptrack_mie_coefficients(m1, a1, 1, 0, NULL, NULL));
    CHECK(deeptrack_mie_harmonics(NULL, 2, 2, pi, tau) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_mie_harmonics(cosines, 2, 2, pi, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_mie_harmonics(cosines, (size_t)-1, 3, pi, tau) == DEEPTRACK_STATUS_INVALID_ARGUMENT);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
