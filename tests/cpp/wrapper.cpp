// The C++ wrapper: RAII handles, exceptions carrying the library's message, >> and ^.
#include "deeptrack.hpp"

#include <cstdio>
#include <string>

int main() {
    using namespace deeptrack;
    Feature add("Add");
    add.set("value", Value::of(2.0));
    Feature flip("FlipUD");
    flip.set("p", Value::of(1.0));
    Feature pipeline = (add ^ 3) >> flip;
    pipeline.store_properties().seed(1);
    Image input({0, 1, 2, 3}, {2, 2});
    Image out = pipeline.resolve(&input);
    std::vector<double> data = out.data();
    if (data != std::vector<double>{8, 9, 6, 7}) return 1;
    if (out.property_count() != 6) return 2;
    if (out.get_property("name", false).repr() != "['Add', 'Add', 'Add', 'Repeat', 'FlipUD', 'Chain']") return 3;
    try {
        add.set("value", Value::of("ten"));
        return 4;
    } catch (const Error &e) {
        if (e.status() != DEEPTRACK_STATUS_TYPE_MISMATCH) return 5;
        std::string what = e.what();
        if (what.find("property 'value' of feature 'Add'") == std::string::npos) return 6;
    }
    try {
        out.get_property("radius");
        return 7;
    } catch (const Error &e) {
        if (e.status() != DEEPTRACK_STATUS_NOT_FOUND) return 8;
    }
    if (!add.has_property("value") || add.has_property("radius")) return 10;
    Feature moved = std::move(pipeline);
    if (moved.get() == nullptr || pipeline.get() != nullptr) return 9;
    std::printf("C++ wrapper: ok\n");
    return 0;
}
