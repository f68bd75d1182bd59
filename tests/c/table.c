/* An image's ground-truth table in one call (deeptrack_image_table_json): two point particles through
 * Fluorescence, their dicts as JSON (scalars and the position, no `_ID`, no optics without a key
 * filter), the buffer contract (size query, BUFFER_TOO_SMALL, nothing written), and the errors: NULL
 * image, a key that is not UTF-8, a complex position naming the property. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void set_value(deeptrack_feature *f, const char *key, deeptrack_value *v) {
    deeptrack_rule *r = NULL;
    OK(deeptrack_rule_constant(v, &r));
    deeptrack_value_free(v);
    OK(deeptrack_feature_set_property(f, key, r));
}

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

int main(void) {
    deeptrack_feature *particle = NULL, *optics = NULL, *two = NULL, *pipeline = NULL;
    OK(deeptrack_feature_new("PointParticle", &particle));
    double position[2] = {3.5, 7.25};
    size_t two_shape[1] = {2};
    deeptrack_value *v = NULL;
    OK(deeptrack_value_new_array(position, two_shape, 1, &v));
    set_value(particle, "position", v);
    OK(deeptrack_value_new_float(2.0, &v));
    set_value(particle, "intensity", v);
    OK(deeptrack_value_new_string("tab\there \"quoted\"", &v));
    set_value(particle, "label", v);
    OK(deeptrack_feature_new("Fluorescence", &optics));
    double region[4] = {0, 0, 16, 16};
    size_t four[1] = {4};
    OK(deeptrack_value_new_array(region, four, 1, &v));
    set_value(optics, "output_region", v);
    OK(deeptrack_feature_repeat(particle, 2, &two));
    OK(deeptrack_feature_microscope(optics, two, &pipeline));
    OK(deeptrack_feature_store_properties(pipeline, true));
    deeptrack_image *img = NULL;
    OK(deeptrack_feature_resolve(pipeline, NULL, &img));

    /* The size first, then a buffer one byte short (nothing written), then the text. */
    size_t needed = 0;
    CHECK(deeptrack_image_table_json(img, "position", NULL, 0, &needed) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    CHECK(needed > 2);
    char *buf = malloc(needed);
    memset(buf, 'x', needed);
    CHECK(deeptrack_image_table_json(img, "position", buf, needed - 1, NULL) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 'x');
    OK(deeptrack_image_table_json(img, "position", buf, needed, NULL));
    CHECK(strlen(buf) + 1 == needed);
    CHECK(buf[0] == '[' && buf[needed - 2] == ']');
    /* One object per particle, each with its position, intensity, name and escaped label; no `_ID`
     * (a key starting with `_`) and nothing of the optics. */
    CHECK(count(buf, "{\"position\":[3.5,7.25],") == 2);
    CHECK(count(buf, "\"intensity\":2.0") == 2);
    CHECK(count(buf, "\"z\":0.0") == 2);
    CHECK(count(buf, "\"name\":\"PointParticle\"") == 2);
    CHECK(count(buf, "\"label\":\"tab\\there \\\"quoted\\\"\"") == 2);
    CHECK(strstr(buf, "_ID") == NULL);
    CHECK(strstr(buf, "Fluorescence") == NULL);
    free(buf);

    /* Without a key: every dict (two particles, the Repeat, the optics, the Microscope), and the
     * optics' list-valued padding left out while its NA is there. */
    CHECK(deeptrack_image_table_json(img, NULL, NULL, 0, &needed) == DEEPTRACK_STATUS_BUFFER_TOO_SMALL);
    buf = malloc(needed);
    OK(deeptrack_image_table_json(img, NULL, buf, needed, &needed));
    CHECK(count(buf, "{") == (int)deeptrack_image_property_count(img));
    CHECK(count(buf, "\"name\":\"Fluorescence\"") == 1);
    CHECK(count(buf, "\"NA\":") == 1);
    CHECK(strstr(buf, "padding") == NULL);
    free(buf);

    /* A key no dict holds: an empty table. */
    char small[8];
    OK(deeptrack_image_table_json(img, "no such key", small, sizeof small, &needed));
    CHECK(strcmp(small, "[]") == 0 && needed == 3);

    /* Errors. */
    CHECK(deeptrack_image_table_json(NULL, "position", small, sizeof small, &needed) == DEEPTRACK_STATUS_NULL_ARGUMENT);
    CHECK(deeptrack_image_table_json(img, "\xff", small, sizeof small, &needed) == DEEPTRACK_STATUS_INVALID_UTF8);
    deeptrack_feature *add = NULL;
    OK(deeptrack_feature_new("Add", &add));
    OK(deeptrack_value_new_complex(1.0, 2.0, &v));
    set_value(add, "position", v);
    OK(deeptrack_feature_store_properties(add, true));
    deeptrack_image *complex_img = NULL;
    OK(deeptrack_feature_resolve(add, img, &complex_img));
    CHECK(deeptrack_image_table_json(complex_img, "position", NULL, 0, &needed) == DEEPTRACK_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "property 'position'") != NULL);
    CHECK(strstr(last_error(), "complex") != NULL);

    deeptrack_image_free(complex_img);
    deeptrack_feature_free(add);
    deeptrack_image_free(img);
    deeptrack_feature_free(pipeline);
    deeptrack_feature_free(two);
    deeptrack_feature_free(optics);
    deeptrack_feature_free(particle);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
