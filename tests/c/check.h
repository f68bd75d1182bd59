/* The C tests' check harness: CHECK(cond), OK(call) and FAILS(call, status, text) count checks and
 * report failures with the file, the line and (for OK and FAILS) the status and the library's message. The counters are atomic and the
 * message buffer per thread, so checks may run on several threads (and in forked children). Each test
 * program includes it once and ends with printf("%d passed, %d failed\n", checks - failures,
 * failures). */
#ifndef DEEPTRACK_TEST_CHECK_H
#define DEEPTRACK_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "deeptrack.h"

static atomic_int checks = 0, failures = 0;

static const char *last_error(void) {
    static _Thread_local char buf[4096];
    if (deeptrack_last_error_message(buf, sizeof buf, NULL) != DEEPTRACK_STATUS_OK) return "<message too long>";
    return buf;
}

#define CHECK(cond)                                                                 \
    do {                                                                            \
        checks++;                                                                   \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                             \
        }                                                                           \
    } while (0)

#define OK(call)                                                                                       \
    do {                                                                                               \
        deeptrack_status s_ = (call);                                                                  \
        checks++;                                                                                      \
        if (s_ != DEEPTRACK_STATUS_OK) {                                                               \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call, deeptrack_status_str(s_), \
                    last_error());                                                                     \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

/* The call fails with `status` and the last error message contains `text`. */
#define FAILS(call, status, text)                                                                      \
    do {                                                                                               \
        deeptrack_status s_ = (call);                                                                  \
        checks++;                                                                                      \
        if (s_ != (status) || strstr(last_error(), (text)) == NULL) {                                  \
            fprintf(stderr, "%s:%d: %s -> %s \"%s\", expected %s containing \"%s\"\n", __FILE__, __LINE__, \
                    #call, deeptrack_status_str(s_), last_error(), deeptrack_status_str(status), (text)); \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

/* The entry `key` of the first dict of `img`, borrowed from it (NULL when there is none). */
static inline const deeptrack_value *entry(const deeptrack_image *img, const char *key) {
    const deeptrack_property_dict *dict = NULL;
    const deeptrack_value *v = NULL;
    if (deeptrack_image_property_dict(img, 0, &dict) != DEEPTRACK_STATUS_OK) return NULL;
    if (deeptrack_property_dict_get(dict, key, &v) != DEEPTRACK_STATUS_OK) return NULL;
    return v;
}

#endif
