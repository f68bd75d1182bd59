/* A C program built against an installed deeptrack (tests/install.rs): through pkg-config and through
 * CMake's find_package, linked dynamically and statically. It checks the version macros at compile
 * time and the loaded library's version at run time, then resolves a small pipeline. */
#include <deeptrack.h>

#include <stdio.h>
#include <string.h>

#if !DEEPTRACK_CHECK_VERSION(0, 1, 0)
#error "deeptrack 0.1.0 or newer is required"
#endif
#if DEEPTRACK_CHECK_VERSION(DEEPTRACK_VERSION_MAJOR, DEEPTRACK_VERSION_MINOR, DEEPTRACK_VERSION_PATCH + 1)
#error "DEEPTRACK_CHECK_VERSION accepts a version newer than the header"
#endif
#if DEEPTRACK_VERSION_NUMBER != DEEPTRACK_VERSION_ENCODE(DEEPTRACK_VERSION_MAJOR, DEEPTRACK_VERSION_MINOR, DEEPTRACK_VERSION_PATCH)
#error "DEEPTRACK_VERSION_NUMBER disagrees with its parts"
#endif

#define CHECK(call)                                                                                 \
    do {                                                                                            \
        deeptrack_status s_ = (call);                                                               \
        if (s_ != DEEPTRACK_STATUS_OK) {                                                            \
            fprintf(stderr, "%s failed: %s\n", #call, deeptrack_status_str(s_));                   \
            return 1;                                                                               \
        }                                                                                           \
    } while (0)

int main(void) {
    if (strcmp(deeptrack_version(), DEEPTRACK_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s, library %s\n", DEEPTRACK_VERSION_STRING, deeptrack_version());
        return 1;
    }
    /* (input + 2) ^ 3, flipped upside down. */
    deeptrack_feature *add = NULL, *repeat = NULL, *flip = NULL, *pipeline = NULL;
    deeptrack_value *two = NULL;
    deeptrack_rule *rule = NULL;
    CHECK(deeptrack_feature_new("Add", &add));
    CHECK(deeptrack_value_new_float(2.0, &two));
    CHECK(deeptrack_rule_constant(two, &rule));
    CHECK(deeptrack_feature_set_property(add, "value", rule));
    CHECK(deeptrack_feature_repeat(add, 3, &repeat));
    CHECK(deeptrack_feature_new("FlipUD", &flip));
    CHECK(deeptrack_feature_chain(repeat, flip, &pipeline));
    const double data[4] = {0, 1, 2, 3};
    const size_t shape[2] = {2, 2};
    deeptrack_image *input = NULL, *out = NULL;
    CHECK(deeptrack_image_new(data, shape, 2, &input));
    CHECK(deeptrack_feature_seed(pipeline, 7));
    CHECK(deeptrack_feature_resolve(pipeline, input, &out));
    double result[4];
    CHECK(deeptrack_image_copy_to(out, result, 4));
    /* FlipUD flips with probability 0.5 by default: either order is right. */
    int up = result[0] == 6 && result[1] == 7 && result[2] == 8 && result[3] == 9;
    int down = result[0] == 8 && result[1] == 9 && result[2] == 6 && result[3] == 7;
    deeptrack_image_free(out);
    deeptrack_image_free(input);
    deeptrack_value_free(two);
    deeptrack_feature_free(pipeline);
    deeptrack_feature_free(flip);
    deeptrack_feature_free(repeat);
    deeptrack_feature_free(add);
    if (!up && !down) {
        fprintf(stderr, "unexpected result %g %g %g %g\n", result[0], result[1], result[2], result[3]);
        return 1;
    }
    printf("deeptrack %s from an installed prefix (C): ok\n", deeptrack_version());
    return 0;
}
