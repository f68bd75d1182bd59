// The checks of the C++ test programs (tests/cpp/*.cpp): CHECK, CHECK_STR and THROWS count checks
// and failures, printing each failure with its line; main() reports them.
#ifndef DEEPTRACK_TEST_CHECK_HPP
#define DEEPTRACK_TEST_CHECK_HPP

#include <cstdio>
#include <exception>
#include <string>

#include "deeptrack.hpp"

/// The number of checks run and of checks failed.
inline int checks = 0, failures = 0;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        checks++;                                                                                                      \
        if (!(cond)) {                                                                                                 \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                              \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

/// Two strings are equal (both are printed when not).
#define CHECK_STR(actual, expected)                                                                                    \
    do {                                                                                                               \
        checks++;                                                                                                      \
        std::string a_ = (actual), e_ = (expected);                                                                    \
        if (a_ != e_) {                                                                                                \
            std::fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual,                \
                         a_.c_str(), e_.c_str());                                                                      \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

/// `expr` throws deeptrack::Error with `expected_status` and a what() containing `text`.
#define THROWS(expr, expected_status, text)                                                                            \
    do {                                                                                                               \
        checks++;                                                                                                      \
        try {                                                                                                          \
            (void)(expr);                                                                                              \
            std::fprintf(stderr, "%s:%d: %s did not throw\n", __FILE__, __LINE__, #expr);                              \
            failures++;                                                                                                \
        } catch (const deeptrack::Error &e_) {                                                                         \
            if (e_.status() != static_cast<deeptrack_status>(expected_status) ||                                       \
                std::string(e_.what()).find(text) == std::string::npos) {                                              \
                std::fprintf(stderr, "%s:%d: %s threw \"%s\", expected %s containing \"%s\"\n", __FILE__,              \
                             __LINE__, #expr, e_.what(), deeptrack::status_str(expected_status),                       \
                             std::string(text).c_str());                                                               \
                failures++;                                                                                            \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

/// Runs `tests` (a program's checks), then reports them: 2 after an unexpected exception, 1 when a
/// check failed (with the counts), else prints "`name`: ok" and returns 0. main() returns it.
template <class Tests> int run_checks(const char *name, Tests tests) {
    try {
        tests();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "unexpected exception: %s\n", e.what());
        return 2;
    }
    if (failures != 0) {
        std::fprintf(stderr, "%d of %d checks failed\n", failures, checks);
        return 1;
    }
    std::printf("%s: ok\n", name);
    return 0;
}

#endif // DEEPTRACK_TEST_CHECK_HPP
