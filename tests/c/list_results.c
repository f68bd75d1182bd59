/* A custom feature's get callback giving several images (deeptrack_image_new_list, DeepTrack2's get
 * returning a list): what follows computes each on its own, each carries the input's dicts, a
 * pipeline ending there gives them all, an empty list gives none, an appending feature appends them
 * all, and a function of an image (Blur's filter_function) may not give several. As a resolve's
 * input a list stands for its images, pushed by a Merge function its images are pushed; a batch
 * refuses it. */
#include <string.h>

#include "check.h"
#include "helpers.h"

/* The input and the input plus one (of the input's length; 1 without input), as one list. */
static deeptrack_status split(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                              deeptrack_image **output) {
    (void)userdata;
    (void)props;
    size_t n = 1;
    double x = 0;
    if (input != NULL) {
        OK(deeptrack_image_shape(input, &n, 1));
        x = first_sample(input);
    }
    deeptrack_image *items[2] = {filled(x, n), filled(x + 1, n)};
    deeptrack_status status = deeptrack_image_new_list((const deeptrack_image *const *)items, 2, output);
    /* The list shares the items: the callback frees its own handles. */
    deeptrack_image_free(items[0]);
    deeptrack_image_free(items[1]);
    return status;
}

/* An empty list: no image. */
static deeptrack_status nothing(void *userdata, const deeptrack_image *input, const deeptrack_property_dict *props,
                                deeptrack_image **output) {
    (void)userdata;
    (void)input;
    (void)props;
    return deeptrack_image_new_list(NULL, 0, output);
}

/* A Merge function pushing its inputs as one list: the list's images are pushed. */
static deeptrack_status push_as_list(void *userdata, const deeptrack_image *const *inputs, size_t count,
                                     const deeptrack_property_dict *props, deeptrack_merge_output *output) {
    (void)userdata;
    (void)props;
    deeptrack_image *list = NULL;
    deeptrack_status status = deeptrack_image_new_list(inputs, count, &list);
    if (status != DEEPTRACK_STATUS_OK) return status;
    status = deeptrack_merge_output_push(output, list);
    if (status != DEEPTRACK_STATUS_OK) deeptrack_image_free(list);
    return status;
}

static deeptrack_feature *add(double x) {
    deeptrack_feature *f = NULL;
    deeptrack_value *v = NULL;
    deeptrack_rule *r = NULL;
    OK(deeptrack_feature_new("Add", &f));
    OK(deeptrack_value_new_float(x, &v));
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(f, "value", r));
    return f;
}

int main(void) {
    deeptrack_image *zeros = filled(0, 2), *fives = filled(5, 2);
    deeptrack_feature *splitter = NULL, *plus10 = add(10), *chain = NULL;
    OK(deeptrack_feature_new_custom("Split", split, NULL, NULL, &splitter));
    OK(deeptrack_feature_chain(splitter, plus10, &chain));

    /* One input: two images, each added to (10 and 11); the pipeline's output is both. */
    double firsts[8] = {0};
    const deeptrack_image *one[1] = {zeros};
    CHECK(resolve_list(chain, one, 1, firsts) == 2 && firsts[0] == 10.0 && firsts[1] == 11.0);
    deeptrack_image *many[4] = {NULL};
    size_t count = 99;
    OK(deeptrack_feature_resolve_many(chain, zeros, many, 4, &count));
    CHECK(count == 2 && first_sample(many[0]) == 10.0 && first_sample(many[1]) == 11.0);
    size_t shape = 0;
    OK(deeptrack_image_shape(many[1], &shape, 1));
    CHECK(shape == 2);
    deeptrack_image_free(many[0]);
    deeptrack_image_free(many[1]);
    deeptrack_image *out = NULL;
    FAILS(deeptrack_feature_resolve(chain, zeros, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "the pipeline produced 2 images where one was expected");
    CHECK(out == NULL);

    /* Two inputs: each one's images, in order. */
    const deeptrack_image *two[2] = {zeros, fives};
    CHECK(resolve_list(chain, two, 2, firsts) == 4);
    CHECK(firsts[0] == 10.0 && firsts[1] == 11.0 && firsts[2] == 15.0 && firsts[3] == 16.0);

    /* An empty list: no image, and nothing for what follows. */
    deeptrack_feature *none = NULL, *none_chain = NULL;
    OK(deeptrack_feature_new_custom("Nothing", nothing, NULL, NULL, &none));
    OK(deeptrack_feature_chain(none, plus10, &none_chain));
    CHECK(resolve_list(none_chain, two, 2, firsts) == 0);
    out = zeros; /* overwritten */
    OK(deeptrack_feature_resolve(none_chain, zeros, &out));
    CHECK(out == NULL);

    /* With store_properties, each image has the input's dicts (none here), then Split's, Add's and
     * the chain's, shared. */
    OK(deeptrack_feature_store_properties(chain, true));
    OK(deeptrack_feature_resolve_many(chain, zeros, many, 4, &count));
    CHECK(count == 2);
    if (count == 2) {
        CHECK(deeptrack_image_property_count(many[0]) == 3 && deeptrack_image_property_count(many[1]) == 3);
        const deeptrack_property_dict *d0 = NULL, *d1 = NULL;
        OK(deeptrack_image_property_dict(many[0], 0, &d0));
        OK(deeptrack_image_property_dict(many[1], 0, &d1));
        CHECK(d0 == d1);
        const deeptrack_value *name = NULL;
        const char *text = NULL;
        OK(deeptrack_property_dict_get(d0, "name", &name));
        OK(deeptrack_value_as_string(name, &text));
        CHECK(text != NULL && strcmp(text, "Split") == 0);
        deeptrack_image_free(many[0]);
        deeptrack_image_free(many[1]);
    }
    OK(deeptrack_feature_store_properties(chain, false));

    /* A list as a resolve's input stands for its images; a list among a list's inputs, in its place. */
    deeptrack_image *both = NULL;
    OK(deeptrack_image_new_list((const deeptrack_image *const *)two, 2, &both));
    deeptrack_feature *plus1 = add(1);
    OK(deeptrack_feature_resolve_many(plus1, both, many, 4, &count));
    CHECK(count == 2 && first_sample(many[0]) == 1.0 && first_sample(many[1]) == 6.0);
    deeptrack_image_free(many[0]);
    deeptrack_image_free(many[1]);
    const deeptrack_image *nested[2] = {both, zeros};
    CHECK(resolve_list(plus1, nested, 2, firsts) == 3);
    CHECK(firsts[0] == 1.0 && firsts[1] == 6.0 && firsts[2] == 1.0);
    /* The list of a list is flat. */
    deeptrack_image *outer = NULL;
    OK(deeptrack_image_new_list((const deeptrack_image *const *)nested, 2, &outer));
    OK(deeptrack_feature_resolve_many(plus1, outer, many, 4, &count));
    CHECK(count == 3);
    for (size_t i = 0; i < count && i < 4; i++) deeptrack_image_free(many[i]);
    /* A batch renders each item from one image: a list is refused. */
    FAILS(deeptrack_feature_resolve_batch(plus1, both, 1, 0, 1, 1, many), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "argument 'input' stands for a list of 2 images");
    size_t counts[1] = {0}, total = 0;
    FAILS(deeptrack_feature_resolve_batch_many(plus1, both, 1, 0, 1, 1, many, 4, counts, &total),
          DEEPTRACK_STATUS_INVALID_ARGUMENT, "argument 'input' stands for a list of 2 images");
    /* Not an object of the host's. */
    FAILS(deeptrack_image_object(both, NULL, NULL), DEEPTRACK_STATUS_TYPE_MISMATCH,
          "got one standing for a list of 2 images");

    /* A Merge function pushing a list pushes its images. */
    deeptrack_feature *merge = NULL;
    OK(deeptrack_feature_new_merge("PushList", push_as_list, NULL, NULL, &merge));
    CHECK(resolve_list(merge, two, 2, firsts) == 2 && firsts[0] == 0.0 && firsts[1] == 5.0);
    deeptrack_feature_free(merge);

    /* An appending feature appends every image of the list (computed without input). */
    deeptrack_feature *appending = NULL, *appended = NULL;
    OK(deeptrack_feature_new_custom_appending("AppendTwo", split, NULL, NULL, false, &appending));
    OK(deeptrack_feature_chain(plus1, appending, &appended));
    CHECK(resolve_list(appended, one, 1, firsts) == 3);
    CHECK(firsts[0] == 1.0 && firsts[1] == 0.0 && firsts[2] == 1.0);

    /* As Blur's filter_function, a function of an image: several images are an error naming it. */
    deeptrack_feature *blur = NULL;
    OK(deeptrack_feature_new_with("Blur", &splitter, 1, &blur));
    out = NULL;
    FAILS(deeptrack_feature_resolve(blur, zeros, &out), DEEPTRACK_STATUS_INVALID_ARGUMENT,
          "the function 'Split' gave a list of 2 images, where a function of an image must give one image");
    CHECK(out == NULL && strstr(last_error(), "feature 'Blur'") != NULL);

    /* Bad arguments. */
    deeptrack_image *bad = NULL;
    FAILS(deeptrack_image_new_list(NULL, 1, &bad), DEEPTRACK_STATUS_NULL_ARGUMENT, "items");
    const deeptrack_image *holes[2] = {zeros, NULL};
    FAILS(deeptrack_image_new_list(holes, 2, &bad), DEEPTRACK_STATUS_NULL_ARGUMENT, "items[1]");
    FAILS(deeptrack_image_new_list(one, 1, NULL), DEEPTRACK_STATUS_NULL_ARGUMENT, "out");
    CHECK(bad == NULL);
    OK(deeptrack_image_new_list(NULL, 0, &bad));
    deeptrack_image_free(bad);

    deeptrack_feature_free(blur);
    deeptrack_feature_free(appended);
    deeptrack_feature_free(appending);
    deeptrack_image_free(outer);
    deeptrack_image_free(both);
    deeptrack_feature_free(plus1);
    deeptrack_feature_free(none_chain);
    deeptrack_feature_free(none);
    deeptrack_feature_free(chain);
    deeptrack_feature_free(plus10);
    deeptrack_feature_free(splitter);
    deeptrack_image_free(zeros);
    deeptrack_image_free(fives);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
