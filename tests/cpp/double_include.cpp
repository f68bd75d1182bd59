// The generated header is valid C++ and guarded: including it twice compiles and links.
#include "deeptrack.h"
#include "deeptrack.h"

#include <cstdio>
#include <cstring>

int main() {
    deeptrack_feature *f = nullptr;
    if (deeptrack_feature_new("DummyFeature", &f) != DEEPTRACK_STATUS_OK) return 1;
    deeptrack_feature_free(f);
    if (std::strcmp(deeptrack_version(), DEEPTRACK_VERSION_STRING) != 0) return 1;
    std::printf("deeptrack %s from C++\n", deeptrack_version());
    return 0;
}
