/* A custom feature's get callback giving no image (DEEPTRACK_STATUS_NO_IMAGE, DeepTrack2's get
 * returning None): one image resolved gives none, a list loses the images dropped (the others keep
 * their order and, with store_properties, their dicts), what follows in a chain sees only the others,
 * an appending feature appends nothing, and a function of an image (Blur's filter_function) must give
 * an image. */
#include <string.h>

#include "check.h"
#include "helpers.h"

static int get_calls = 0;

/* No image for an image whose first sample exceeds 5; otherwise the image doubled. */
static deeptrack_status drop_big(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                                 deeptrack_image **output) {
    (void)userdata;
    (void)props;
    get_calls++;
    if (input == NULL) return DEEPTRACK_STATUS_NO_IMAGE; /* resolved without input: nothing either */
    const double x = first_sample(input);
    if (x > 5) return DEEPTRACK_STATUS_NO_IMAGE;
    size_t shape[1] = {0};
    OK(deeptrack_image_shape(input, shape, 1));
    double data[4];
    for (size_t i = 0; i < shape[0] && i < 4; i++) data[i] = 2 * x;
    return deeptrack_image_new(data, shape, 1, output);
}

/* Gives no image even when it made one: `*output` is ignored with any status but OK, so it frees it. */
static deeptrack_status made_then_none(void *userdata, const deeptrack_image *input,
                                       const deeptrack_property_dict *props, deeptrack_image **output) {
    (void)userdata;
    (void)input;
    (void)props;
    deeptrack_image *made = filled(1, 1);
    *output = made;
    deeptrack_image_free(made);
    return DEEPTRACK_STATUS_NO_IMAGE;
}

int main(void) {
    CHECK(strcmp(deeptrack_status_str(DEEPTRACK_STATUS_NO_IMAGE), "DEEPTRACK_STATUS_NO_IMAGE") == 0);
    deeptrack_image *small = filled(1, 2), *big = filled(9, 3), *three = filled(3, 4);

    deeptrack_feature *drop = NULL;
    OK(deeptrack_feature_new_custom("DropBig", drop_big, NULL, NULL, &drop));

    /* One image: the image, or none (NULL, count 0). */
    deeptrack_image *out = NULL;
    OK(deeptrack_feature_resolve(drop, small, &out));
    CHECK(out != NULL && first_sample(out) == 2.0);
    deeptrack_image_free(out);
    out = small; /* overwritten */
    OK(deeptrack_feature_resolve(drop, big, &out));
    CHECK(out == NULL);
    deeptrack_image *many[2] = {NULL, NULL};
    size_t count = 99;
    OK(deeptrack_feature_resolve_many(drop, big, many, 2, &count));
    CHECK(count == 0 && many[0] == NULL);
    /* Without input: get runs once and gives nothing. */
    OK(deeptrack_feature_update(drop));
    get_calls = 0;
    count = 99;
    OK(deeptrack_feature_resolve_list(drop, NULL, 0, many, 2, &count));
    CHECK(count == 0 && get_calls == 1);

    /* A list: the images dropped go, the others keep their order. */
    const deeptrack_image *list[3] = {small, big, three};
    double firsts[8] = {0};
    count = resolve_list(drop, list, 3, firsts);
    CHECK(count == 2 && firsts[0] == 2.0 && firsts[1] == 6.0);
    const deeptrack_image *bigs[2] = {big, big};
    CHECK(resolve_list(drop, bigs, 2, firsts) == 0);

    /* With store_properties, each image kept has this computation's dict. */
    OK(deeptrack_feature_store_properties(drop, true));
    deeptrack_image *stored[4] = {NULL};
    OK(deeptrack_feature_resolve_list(drop, list, 3, stored, 4, &count));
    CHECK(count == 2);
    for (size_t i = 0; i < count && i < 4; i++) {
        CHECK(deeptrack_image_property_count(stored[i]) == 1);
        deeptrack_image_free(stored[i]);
    }
    OK(deeptrack_feature_store_properties(drop, false));

    /* In a chain, what follows computes the images kept only; on one image dropped, nothing. */
    deeptrack_feature *add = NULL, *chain = NULL;
    OK(deeptrack_feature_new("Add", &add));
    deeptrack_value *ten = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_value_new_float(10, &ten));
    OK(deeptrack_rule_constant(ten, &r));
    deeptrack_value_free(ten);
    OK(deeptrack_feature_set_property(add, "value", r));
    OK(deeptrack_feature_chain(drop, add, &chain));
    count = resolve_list(chain, list, 3, firsts);
    CHECK(count == 2 && firsts[0] == 12.0 && firsts[1] == 16.0);
    out = small;
    OK(deeptrack_feature_resolve(chain, big, &out));
    CHECK(out == NULL);

    /* What a callback made before giving no image is its own to free (valgrind checks it). */
    deeptrack_feature *none = NULL;
    OK(deeptrack_feature_new_custom("MadeThenNone", made_then_none, NULL, NULL, &none));
    out = small;
    OK(deeptrack_feature_resolve(none, small, &out));
    CHECK(out == NULL);

    /* An appending feature giving no image appends nothing. */
    deeptrack_feature *append = NULL, *appended = NULL;
    OK(deeptrack_feature_new_custom_appending("AppendNothing", drop_big, NULL, NULL, false, &append));
    OK(deeptrack_feature_chain(drop, append, &appended));
    count = resolve_list(appended, list, 3, firsts);
    CHECK(count == 2 && firsts[0] == 2.0 && firsts[1] == 6.0);

    /* As Blur's filter_function, a function of an image: no image is an error naming it. */
    deeptrack_feature *blur = NULL;
    OK(deeptrack_feature_new_with("Blur", &drop, 1, &blur));
    out = NULL;
    OK(deeptrack_feature_resolve(blur, small, &out));
    CHECK(out != NULL && first_sample(out) == 2.0);
    deeptrack_image_free(out);
    out = NULL;
    CHECK(deeptrack_feature_resolve(blur, big, &out) == DEEPTRACK_STATUS_INVALID_ARGUMENT && out == NULL);
    CHECK(strstr(last_error(), "feature 'Blur'") != NULL);
    CHECK(strstr(last_error(), "the function 'DropBig' gave no image, where a function of an image must give one") != NULL);

    deeptrack_feature_free(blur);
    deeptrack_feature_free(appended);
    deeptrack_feature_free(append);
    deeptrack_feature_free(none);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(add);
    deeptrack_feature_free(drop);
    deeptrack_image_free(small);
    deeptrack_image_free(big);
    deeptrack_image_free(three);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
