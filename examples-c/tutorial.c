/* DeepTrack2's Image tutorial (DTAT311_image), section by section, in C.
 *
 * Build and run (from the repository root):  make example
 *
 * A `Particle` is a custom feature that passes its input through; its `position` is drawn uniformly in
 * a 256×256 frame. With store_properties on, every resolved image carries the property dicts that
 * produced it, and the Image calls read them back. Pipelines are seeded so that the output is
 * reproducible; remove the deeptrack_feature_seed calls to draw from OS entropy instead. */
#include <stdio.h>
#include <stdlib.h>

#include "deeptrack.h"

/* Stops the program with the library's message when a call fails. */
static void check(deeptrack_status status, const char *what) {
    if (status == DEEPTRACK_STATUS_OK) return;
    char message[1024];
    deeptrack_last_error_message(message, sizeof message, NULL);
    fprintf(stderr, "%s failed: %s: %s\n", what, deeptrack_status_str(status), message);
    exit(1);
}
#define CHECK(call) check((call), #call)

/* The tutorial's Particle.get: `return image`. Leaving *output NULL passes the input through. */
static deeptrack_status particle_get(void *userdata, const deeptrack_image *input,
                                     const deeptrack_property_dict *properties, deeptrack_image **output) {
    (void)userdata;
    (void)input;
    (void)properties;
    (void)output;
    return DEEPTRACK_STATUS_OK;
}

/* diffusion = 1 + 4 * U[0, 1), drawn from the pipeline's generator. */
static deeptrack_status random_diffusion(void *userdata, deeptrack_sample_context *ctx, deeptrack_value **out) {
    (void)userdata;
    double u;
    deeptrack_status s = deeptrack_context_uniform(ctx, &u);
    if (s != DEEPTRACK_STATUS_OK) return s;
    return deeptrack_value_new_float(1 + 4 * u, out);
}

static void set(deeptrack_feature *f, const char *key, deeptrack_rule *rule) {
    CHECK(deeptrack_feature_set_property(f, key, rule));
}

static deeptrack_rule *constant_bool(bool b) {
    deeptrack_value *v;
    deeptrack_rule *r;
    CHECK(deeptrack_value_new_bool(b, &v));
    CHECK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    return r;
}

/* Particle(position=lambda: np.random.rand(2) * np.array(image_shape)) */
static deeptrack_feature *new_particle(void) {
    deeptrack_feature *p;
    deeptrack_rule *position;
    const double low[2] = {0, 0}, high[2] = {256, 256};
    CHECK(deeptrack_feature_new_custom("Particle", particle_get, NULL, NULL, &p));
    CHECK(deeptrack_rule_uniform_array(low, high, 2, &position));
    set(p, "position", position);
    return p;
}

static deeptrack_image *new_input_image(void) {
    const size_t shape[2] = {256, 256};
    double *zeros = calloc(256 * 256, sizeof(double));
    deeptrack_image *img;
    CHECK(deeptrack_image_new(zeros, shape, 2, &img));
    free(zeros);
    return img;
}

static void print_value(const char *label, const deeptrack_value *v) {
    char text[4096];
    CHECK(deeptrack_value_repr(v, text, sizeof text, NULL));
    printf("%s%s\n", label, text);
}

static void print_dict(const char *prefix, const deeptrack_property_dict *d) {
    char text[4096];
    CHECK(deeptrack_property_dict_repr(d, text, sizeof text, NULL));
    printf("%s%s", prefix, text);
}

/* print(image.properties) */
static void print_properties(const deeptrack_image *img) {
    printf("properties: [");
    for (size_t i = 0; i < deeptrack_image_property_count(img); i++) {
        const deeptrack_property_dict *d;
        CHECK(deeptrack_image_property_dict(img, i, &d));
        print_dict(i ? ", " : "", d);
    }
    printf("]\n");
}

/* image.get_property(key, get_one, default): NOT_FOUND means "use the default". */
static void print_get_property(const char *label, const deeptrack_image *img, const char *key, bool get_one,
                               const char *default_text) {
    deeptrack_value *v;
    deeptrack_status s = deeptrack_image_get_property(img, key, get_one, &v);
    if (s == DEEPTRACK_STATUS_NOT_FOUND) {
        printf("%s%s\n", label, default_text);
        return;
    }
    CHECK(s);
    print_value(label, v);
    deeptrack_value_free(v);
}

int main(void) {
    printf("deeptrack %s\n", deeptrack_version());

    /* 1. store_properties() and resolve. */
    printf("== 1. store_properties() and resolve\n");
    deeptrack_feature *particle = new_particle();
    CHECK(deeptrack_feature_seed(particle, 2024));
    CHECK(deeptrack_feature_store_properties(particle, true));
    deeptrack_image *input_image = new_input_image();
    deeptrack_image *output_image;
    CHECK(deeptrack_feature_resolve(particle, input_image, &output_image));
    size_t shape[2];
    CHECK(deeptrack_image_shape(output_image, shape, 2));
    printf("output image: %zux%zu\n", shape[0], shape[1]);
    print_properties(output_image);

    /* 2. merge_properties_from: the same image (no update) keeps one set; after update, two. */
    printf("== 2. merge_properties_from\n");
    deeptrack_image *second_identical_image;
    CHECK(deeptrack_feature_resolve(particle, input_image, &second_identical_image));
    const deeptrack_property_dict *d1, *d2;
    CHECK(deeptrack_image_property_dict(output_image, 0, &d1));
    CHECK(deeptrack_image_property_dict(second_identical_image, 0, &d2));
    printf("second resolve returns the same dict: %s\n", d1 == d2 ? "yes" : "no");
    CHECK(deeptrack_image_merge_properties_from(output_image, second_identical_image));
    printf("dicts after merging the same image: %zu\n", deeptrack_image_property_count(output_image));
    CHECK(deeptrack_feature_update(particle));
    deeptrack_image *updated_image;
    CHECK(deeptrack_feature_resolve(particle, input_image, &updated_image));
    CHECK(deeptrack_image_merge_properties_from(output_image, updated_image));
    printf("dicts after update and merge: %zu\n", deeptrack_image_property_count(output_image));
    print_properties(output_image);

    /* 3. get_property: first match, all matches, defaults. */
    printf("== 3. get_property\n");
    print_get_property("name: ", output_image, "name", true, "None");
    print_get_property("position: ", output_image, "position", true, "None");
    print_get_property("all names: ", output_image, "name", false, "None");
    print_get_property("all positions: ", output_image, "position", false, "None");
    print_get_property("missing, with default: ", output_image, "a_property_that_does_not_exist", true, "Not found!");
    print_get_property("missing, all, with default: ", output_image, "a_property_that_does_not_exist", false,
                       "Not found!");
    print_get_property("missing: ", output_image, "a_property_that_does_not_exist", true, "None");

    /* 4. Extra properties are metadata: which particle to track, through (A ^ 4) >> B. */
    printf("== 4. (particle_not_to_track ^ 4) >> particle_to_track\n");
    deeptrack_feature *particle_to_track = new_particle();
    set(particle_to_track, "track_me", constant_bool(true));
    deeptrack_feature *particle_not_to_track = new_particle();
    set(particle_not_to_track, "track_me", constant_bool(false));
    deeptrack_feature *four, *particles;
    CHECK(deeptrack_feature_repeat(particle_not_to_track, 4, &four));
    CHECK(deeptrack_feature_chain(four, particle_to_track, &particles));
    CHECK(deeptrack_feature_seed(particles, 2025));
    CHECK(deeptrack_feature_store_properties(particles, true));
    deeptrack_image *input2 = new_input_image(), *tracked;
    CHECK(deeptrack_feature_resolve(particles, input2, &tracked));
    deeptrack_value *track_me;
    CHECK(deeptrack_image_get_property(tracked, "track_me", false, &track_me));
    printf("track_me: [");
    for (size_t i = 0; i < deeptrack_value_list_len(track_me); i++) {
        bool b;
        CHECK(deeptrack_value_as_bool(deeptrack_value_list_get(track_me, i), &b));
        printf("%s%d", i ? ", " : "", b ? 1 : 0);
    }
    printf("]\n");
    deeptrack_value_free(track_me);
    printf("number of dicts: %zu\n", deeptrack_image_property_count(tracked));
    for (size_t i = 0; i < deeptrack_image_property_count(tracked); i++) {
        const deeptrack_property_dict *d;
        char prefix[32];
        CHECK(deeptrack_image_property_dict(tracked, i, &d));
        snprintf(prefix, sizeof prefix, "  %zu: ", i);
        print_dict(prefix, d);
        printf("\n");
    }

    /* 5. particle ^ 3: each repetition samples its own diffusion. */
    printf("== 5. particle ^ 3 with a random diffusion\n");
    deeptrack_feature *diffusing = new_particle(), *three;
    deeptrack_rule *diffusion;
    CHECK(deeptrack_rule_callback(random_diffusion, NULL, NULL, &diffusion));
    set(diffusing, "diffusion", diffusion);
    CHECK(deeptrack_feature_repeat(diffusing, 3, &three));
    CHECK(deeptrack_feature_seed(three, 2026));
    CHECK(deeptrack_feature_store_properties(three, true));
    deeptrack_image *input3 = new_input_image(), *diffused;
    CHECK(deeptrack_feature_resolve(three, input3, &diffused));
    print_get_property("diffusion: ", diffused, "diffusion", false, "None");
    print_properties(diffused);

    deeptrack_image_free(diffused);
    deeptrack_image_free(input3);
    deeptrack_feature_free(three);
    deeptrack_feature_free(diffusing);
    deeptrack_image_free(tracked);
    deeptrack_image_free(input2);
    deeptrack_feature_free(particles);
    deeptrack_feature_free(four);
    deeptrack_feature_free(particle_not_to_track);
    deeptrack_feature_free(particle_to_track);
    deeptrack_image_free(updated_image);
    deeptrack_image_free(second_identical_image);
    deeptrack_image_free(output_image);
    deeptrack_image_free(input_image);
    deeptrack_feature_free(particle);
    return 0;
}
