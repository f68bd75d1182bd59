/* DeepTrack2's extras.radialcenter from C: the centre of a Gaussian spot (DeepTrack2 2.0.1's values for
 * the same image), a flat image (NaN), and the errors of bad arguments. */
#include <math.h>
#include <string.h>

#include "check.h"

int main(void) {
    /* exp(-((j - 4.3)^2 + (i - 2.8)^2) / 4) on 7 rows x 9 columns; DeepTrack2 2.0.1's radialcenter gives
     * (4.300253776694353, 2.7972351665256325). */
    double image[7 * 9];
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 9; j++) image[i * 9 + j] = exp(-((j - 4.3) * (j - 4.3) + (i - 2.8) * (i - 2.8)) / 4.0);
    double x = 0.0, y = 0.0;
    OK(deeptrack_radial_center(image, 7, 9, &x, &y));
    CHECK(fabs(x - 4.300253776694353) < 1e-9 && fabs(y - 2.7972351665256325) < 1e-9);

    /* No gradient anywhere: no centre. */
    const double flat[16] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    OK(deeptrack_radial_center(flat, 4, 4, &x, &y));
    CHECK(isnan(x) && isnan(y));

    /* Bad arguments: NULL pointers, too small an image, a size that cannot be a buffer; nothing written. */
    x = 7.0;
    CHECK(deeptrack_radial_center(NULL, 7, 9, &x, &y) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(strstr(last_error(), "'data'") != NULL);
    CHECK(deeptrack_radial_center(image, 7, 9, NULL, &y) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_radial_center(image, 7, 9, &x, NULL) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_radial_center(image, 1, 9, &x, &y) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "at least 2 rows and 2 columns") != NULL);
    CHECK(deeptrack_radial_center(image, (size_t)-1, 3, &x, &y) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(x == 7.0);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
