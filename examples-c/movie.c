/* Simulates a time-lapse movie and its ground-truth tracks, in C.
 *
 * Build and run (from the repository root):
 *     make movie                 (writes frame-00.png ... and movie.tif to target/release/movie/)
 *
 * Five point particles diffuse (D = 0.1 µm²/s, 50 ms per frame, 100 nm pixels: a Brownian step of
 * sqrt(2 D dt) = 0.1 µm, 1 pixel, per axis and frame) in a 64×64 field imaged by a fluorescence microscope, for
 * 10 frames. The particles' positions are sequential properties (deeptrack_feature_set_sequential
 * with the built-in Brownian rule: no callback); a Sequence resolves one frame per step, each frame
 * with its own properties, so every frame's true positions come back from it. The frames are written
 * as a PNG sequence (16-bit grayscale), copied into one (N, H, W, C) array, and written from it as
 * one multi-page 16-bit TIFF (a page per frame, scaled over the whole movie). */
#include <stdio.h>
#include <stdlib.h>

#include "deeptrack.h"

#define FRAMES 10
#define PARTICLES 5
#define SIZE 64

static void check(deeptrack_status status, const char *what) {
    if (status == DEEPTRACK_STATUS_OK) return;
    char message[1024];
    deeptrack_last_error_message(message, sizeof message, NULL);
    fprintf(stderr, "%s failed: %s: %s\n", what, deeptrack_status_str(status), message);
    exit(1);
}
#define CHECK(call) check((call), #call)

static deeptrack_rule *constant(deeptrack_value *v) {
    deeptrack_rule *r;
    CHECK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

static deeptrack_rule *vector(const double *x, size_t n) {
    deeptrack_value *v;
    size_t shape[1] = {n};
    CHECK(deeptrack_value_new_array(x, shape, 1, &v));
    return constant(v);
}

static deeptrack_rule *number(double x) {
    deeptrack_value *v;
    CHECK(deeptrack_value_new_float(x, &v));
    return constant(v);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";

    /* A particle at a random position, then diffusing. */
    deeptrack_feature *particle, *particles, *optics, *microscope, *movie;
    deeptrack_rule *position, *brownian;
    double low[2] = {12, 12}, high[2] = {52, 52};
    CHECK(deeptrack_feature_new("PointParticle", &particle));
    CHECK(deeptrack_rule_uniform_array(low, high, 2, &position));
    CHECK(deeptrack_feature_set_property(particle, "position", position));
    CHECK(deeptrack_feature_set_property(particle, "intensity", number(100)));
    CHECK(deeptrack_rule_brownian(0.1e-12, 0.05, 100e-9, &brownian));
    CHECK(deeptrack_feature_set_sequential(particle, "position", brownian));
    CHECK(deeptrack_feature_repeat(particle, PARTICLES, &particles));

    /* NA 0.8 at 680 nm, 1 µm camera pixels at 10× magnification: 100 nm in the sample. */
    double region[4] = {0, 0, SIZE, SIZE};
    CHECK(deeptrack_feature_new("Fluorescence", &optics));
    CHECK(deeptrack_feature_set_property(optics, "NA", number(0.8)));
    CHECK(deeptrack_feature_set_property(optics, "wavelength", number(680e-9)));
    CHECK(deeptrack_feature_set_property(optics, "output_region", vector(region, 4)));
    CHECK(deeptrack_feature_microscope(optics, particles, &microscope));

    deeptrack_value *length;
    CHECK(deeptrack_value_new_int(FRAMES, &length));
    CHECK(deeptrack_feature_new_with("Sequence", &microscope, 1, &movie));
    CHECK(deeptrack_feature_set_property(movie, "sequence_length", constant(length)));
    CHECK(deeptrack_feature_store_properties(movie, true));
    CHECK(deeptrack_feature_seed(movie, 2024));

    deeptrack_image *frames[FRAMES];
    size_t count;
    CHECK(deeptrack_feature_resolve_many(movie, NULL, frames, FRAMES, &count));
    printf("movie: %zu frames of %dx%d, %d particles\n", count, SIZE, SIZE, PARTICLES);
    for (size_t t = 0; t < count; t++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/frame-%02zu.png", dir, t);
        CHECK(deeptrack_image_save_png(frames[t], path, NULL));
        deeptrack_value *positions;
        CHECK(deeptrack_image_get_property(frames[t], "position", false, &positions));
        printf("frame %zu:", t);
        for (size_t k = 0; k < deeptrack_value_list_len(positions); k++) {
            const double *p;
            const size_t *shape;
            size_t ndim;
            CHECK(deeptrack_value_array(deeptrack_value_list_get(positions, k), &p, &shape, &ndim));
            printf(" (%.2f, %.2f)", p[0], p[1]);
        }
        printf("\n");
        deeptrack_value_free(positions);
    }

    /* All frames as one (N, H, W, C) array. */
    size_t shape[4], needed;
    deeptrack_status s = deeptrack_images_stack((const deeptrack_image *const *)frames, count, NULL, 0, shape, &needed);
    if (s != DEEPTRACK_STATUS_BUFFER_TOO_SMALL) check(s, "deeptrack_images_stack");
    double *stack = malloc(needed * sizeof *stack);
    if (!stack) return 1;
    CHECK(deeptrack_images_stack((const deeptrack_image *const *)frames, count, stack, needed, shape, &needed));
    printf("stacked: (%zu, %zu, %zu, %zu)\n", shape[0], shape[1], shape[2], shape[3]);

    /* A multi-page TIFF: deeptrack_image_save_tiff writes an (H, W, N) image as N pages, so the
     * frames go along the last axis (the movie is grayscale: C is 1). */
    size_t n = shape[0], h = shape[1], w = shape[2], c = shape[3];
    double *pages = malloc(n * h * w * sizeof *pages);
    if (!pages) return 1;
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < h * w; i++) pages[i * n + t] = stack[(t * h * w + i) * c];
    size_t page_shape[3] = {h, w, n};
    deeptrack_image *movie_pages;
    CHECK(deeptrack_image_new(pages, page_shape, 3, &movie_pages));
    char tiff[4096];
    snprintf(tiff, sizeof tiff, "%s/movie.tif", dir);
    double range[2];
    CHECK(deeptrack_image_save_tiff(movie_pages, tiff, true, range));
    printf("movie.tif: %zu pages of %zux%zu, 16-bit, %.3g ... %.3g mapped to 0 ... 65535\n", n, h, w, range[0], range[1]);
    deeptrack_image_free(movie_pages);
    free(pages);
    free(stack);

    for (size_t t = 0; t < count; t++) deeptrack_image_free(frames[t]);
    deeptrack_feature_free(movie);
    deeptrack_feature_free(microscope);
    deeptrack_feature_free(optics);
    deeptrack_feature_free(particles);
    deeptrack_feature_free(particle);
    return 0;
}
