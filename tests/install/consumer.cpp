// A C++ program built against an installed deeptrack (tests/install.rs): the RAII wrapper from the
// installed headers, through pkg-config and CMake, linked dynamically and statically.
#include <deeptrack.hpp>

#include <cstdio>
#include <string>

static_assert(DEEPTRACK_CHECK_VERSION(0, 1, 0), "deeptrack 0.1.0 or newer is required");

int main() {
    using namespace deeptrack;
    if (std::string(deeptrack_version()) != DEEPTRACK_VERSION_STRING) return 1;
    Feature add("Add");
    add.set("value", Value::of(2.0));
    Feature flip("FlipUD");
    flip.set("p", Value::of(1.0));
    Feature pipeline = (add ^ 3) >> flip;
    pipeline.store_properties().seed(1);
    Image input({0, 1, 2, 3}, {2, 2});
    Image out = pipeline.resolve(&input);
    if (out.data() != std::vector<double>{8, 9, 6, 7}) return 2;
    try {
        add.set("value", Value::of("ten"));
        return 3;
    } catch (const Error &e) {
        if (e.status() != DEEPTRACK_STATUS_TYPE_MISMATCH) return 4;
    }
    std::printf("deeptrack %s from an installed prefix (C++): ok\n", deeptrack_version());
    return 0;
}
