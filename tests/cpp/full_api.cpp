// The C++ wrapper's counterparts of the rest of the C API (tests/cpp/wrapper.cpp has the core):
// complex, boolean-array and tuple values; the kind registry (parameter types, DEEPTRACK_PARAM_DTYPE
// included, flags, defaults, limits, choices, the comparisons' bool output); features built from
// features, appending and Merge features, volume scatterers; property names, order and pinned
// values; sequences (drift, Brownian and increment steps, stacked frames, batches of movies);
// batches with progress; strided and narrow image samples, TIFFs, borrowed memory; the numerical
// helpers (Bessel, Mie, radial centre, holography, the camera's photon budget) against DeepTrack2
// 2.0.1's values; the callback wait limit, and closing callbacks (last: it is for good). Compiled and
// run by tests/cpp.rs (also under valgrind); the optional argument is a directory for the files it
// writes. Prints "C++ wrapper (full API): ok" when every check passes.
#include "deeptrack.hpp"
#include "check.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace deeptrack;
using cplx = std::complex<double>;

/// |a - b| is at most `tol` times the larger magnitude (or `tol` near zero).
static bool close(cplx a, cplx b, double tol = 1e-12) {
    return std::abs(a - b) <= tol * std::max({1.0, std::abs(a), std::abs(b)});
}

/* ---------------------------------------------------------------- complex, bool-array and tuple values */

static void test_values() {
    Value z = Value::of(cplx(1.5, -2.0));
    CHECK(z.kind() == DEEPTRACK_VALUE_KIND_COMPLEX);
    CHECK(z.as_complex() == cplx(1.5, -2.0));
    CHECK(Value::of(2.0).as_complex() == cplx(2.0, 0.0)); // a float reads with a zero imaginary part
    CHECK(Value::of(3).as_complex() == cplx(3.0, 0.0));
    THROWS(Value::of("x").as_complex(), DEEPTRACK_STATUS_TYPE_MISMATCH, "got a string");
    THROWS(z.as_float(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a number");

    Value za = Value::complex_array({{1, 2}, {3, -4}, {0, 0.5}, {-1, 0}}, {2, 2});
    CHECK(za.kind() == DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY);
    CHECK((za.as_complex_array() == std::vector<cplx>{{1, 2}, {3, -4}, {0, 0.5}, {-1, 0}}));
    CHECK((za.array_shape() == std::vector<size_t>{2, 2}));
    THROWS(za.as_array(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an array, got a complex array");
    THROWS(Value::of({1.0}).as_complex_array(), DEEPTRACK_STATUS_TYPE_MISMATCH,
           "expected a complex array, got an array");
    THROWS(Value::complex_array({{1, 2}}, {2}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "the data has 1 elements but the shape needs 2");
    CHECK(Value::complex_array({{7, 1}}, {}).as_complex_array() == std::vector<cplx>{cplx(7, 1)}); // 0-d

    Value mask = Value::bool_array({true, false, true, true, false, false}, {2, 3});
    CHECK(mask.kind() == DEEPTRACK_VALUE_KIND_BOOL_ARRAY);
    CHECK((mask.as_bool_array() == std::vector<bool>{true, false, true, true, false, false}));
    CHECK((mask.array_shape() == std::vector<size_t>{2, 3}));
    CHECK_STR(mask.clone().repr(), mask.repr());
    THROWS(mask.as_array(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an array, got a boolean array");
    THROWS(Value::of({1.0}).as_bool_array(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a boolean array, got an array");
    THROWS(Value::bool_array({true}, {3}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "the data has 1 elements but the shape needs 3");
    CHECK(Value::bool_array({}, {0}).as_bool_array().empty());
    // A property holding a mask reads back as one; where numbers are read it is its 0s and 1s.
    Feature add("Add");
    add.set("value", Value::bool_array({true, false, true}, {3}));
    CHECK(add.property("value").kind() == DEEPTRACK_VALUE_KIND_BOOL_ARRAY);
    Image zeros3({0, 0, 0}, {3});
    CHECK((add.resolve(&zeros3).data() == std::vector<double>{1, 0, 1}));

    Value ints = Value::int_array({4, -1, 0, (int64_t(1) << 53) + 1}, {2, 2});
    CHECK(ints.kind() == DEEPTRACK_VALUE_KIND_INT_ARRAY);
    CHECK((ints.as_int_array() == std::vector<int64_t>{4, -1, 0, (int64_t(1) << 53) + 1}));
    CHECK((ints.array_shape() == std::vector<size_t>{2, 2}));
    CHECK_STR(ints.repr(), "array([[4, -1], [0, 9007199254740993]])");
    THROWS(ints.as_array(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an array, got an integer array");
    THROWS(Value::of({1.0}).as_int_array(), DEEPTRACK_STATUS_TYPE_MISMATCH,
           "expected an integer array, got an array");
    THROWS(Value::int_array({1}, {3}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "the data has 1 elements but the shape needs 3");
    // A property holding one reads back as one; where numbers are read it is its values.
    add.set("value", Value::int_array({1, 2, 3}, {3}));
    CHECK(add.property("value").kind() == DEEPTRACK_VALUE_KIND_INT_ARRAY);
    CHECK((add.resolve(&zeros3).data() == std::vector<double>{1, 2, 3}));

    // An object of the program's travels with the properties and comes back as the same object.
    {
        auto meta = std::make_shared<std::string>("meta");
        Value obj = Value::object(meta);
        CHECK(obj.kind() == DEEPTRACK_VALUE_KIND_OBJECT && meta.use_count() == 2);
        CHECK(obj.as_object<std::string>() == meta);
        CHECK(obj.as_object<int>() == nullptr); // another type
        THROWS(Value::of(1.0).as_object<std::string>(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an object, got a float");
        {
            Feature tagged("Add");
            tagged.set("value", Value::of(1.0));
            tagged.set("meta", obj);
            tagged.store_properties(true);
            Image out = tagged.resolve(&zeros3);
            CHECK(out.get_property("meta").as_object<std::string>() == meta);
            THROWS(add.set("value", obj), DEEPTRACK_STATUS_TYPE_MISMATCH, "got an object of the host's");
        }
        obj = Value::none();
        CHECK(meta.use_count() == 1); // every share the library held is released
        // In place of an image: a custom get returns one; it passes DummyFeature and comes out.
        {
            Feature gives = Feature::custom("Gives", [meta](ImageView, PropertyDict) { return Image::object(meta); });
            Feature pipeline = gives >> Feature("DummyFeature");
            Image out = pipeline.resolve(&zeros3);
            CHECK(out.as_object<std::string>() == meta);
            CHECK(out.as_object<int>() == nullptr);
            THROWS(zeros3.as_object<std::string>(), DEEPTRACK_STATUS_TYPE_MISMATCH, "got an image of samples");
            THROWS((gives >> Feature("Add")).resolve(&zeros3), DEEPTRACK_STATUS_TYPE_MISMATCH,
                   "Add cannot compute with an object");
        }
        CHECK(meta.use_count() == 1);
    }

    Value t = Value::tuple({Value::of(1), Value::of(2.5)});
    CHECK(t.kind() == DEEPTRACK_VALUE_KIND_TUPLE && t.len() == 2);
    CHECK(t[0].as_int() == 1 && t[1].as_float() == 2.5);
    CHECK_STR(t.repr(), "(1, 2.5)");
    t.push(Value::of("x"));
    CHECK(t.len() == 3);
    CHECK(Value::tuple().len() == 0 && Value::tuple().kind() == DEEPTRACK_VALUE_KIND_TUPLE);
    // A property set to a tuple reads back as a tuple.
    Feature custom = Feature::custom("Meta", [](ImageView, PropertyDict) { return Image(); });
    custom.set("pair", Value::tuple({Value::of(1), Value::of(2)}));
    CHECK(custom.property("pair").kind() == DEEPTRACK_VALUE_KIND_TUPLE);
}

/* ---------------------------------------------------------------- the kind registry */

static void test_kinds() {
    size_t count = Kind::count();
    CHECK(count > 100);
    std::vector<Kind> all = Kind::all();
    CHECK(all.size() == count);
    size_t dtype_params = 0, bool_kinds = 0;
    for (const Kind &kind : all) {
        CHECK(Kind::find(kind.name()).index() == kind.index()); // every name finds its kind
        CHECK(!kind.doc().empty() && !kind.module_name().empty());
        for (const KindParam &p : kind.params()) dtype_params += p.type() == ParamType::Dtype;
        bool_kinds += kind.bool_output();
    }
    CHECK(dtype_params >= 1);
    CHECK(bool_kinds == 5); // the comparisons: GreaterThan, LessThan, their OrEquals, Equals

    Kind blur = Kind::find("GaussianBlur");
    CHECK_STR(blur.name(), "GaussianBlur");
    CHECK_STR(blur.module_name(), "math");
    CHECK_STR(blur.base(), "Blur");
    CHECK(blur.zero_d_array() && !blur.bool_output());
    CHECK(blur.param_count() == 4); // sigma, mode, cval, truncate
    CHECK((blur.positional() == std::vector<std::string>{"sigma"}));
    KindParam sigma = blur.param(0);
    CHECK_STR(sigma.name(), "sigma");
    CHECK(sigma.doc().find("standard deviation") != std::string::npos);
    CHECK(sigma.type() == ParamType::Vector && sigma.flags() == 0);
    CHECK((sigma.limits() == std::array<double, 2>{0, 1e6}));
    std::optional<Value> sigma_default = sigma.default_value();
    CHECK(sigma_default && sigma_default->kind() == DEEPTRACK_VALUE_KIND_INT && sigma_default->as_int() == 2);
    CHECK(blur.param("sigma").index() == 0);
    CHECK_STR(Kind::find("Sum").base(), "");
    CHECK(!Kind::find("Add").zero_d_array() && !Kind::find("Add").bool_output());

    Kind equals = Kind::find("Equal"); // an alias finds its kind
    CHECK_STR(equals.name(), "Equals");
    CHECK((equals.aliases() == std::vector<std::string>{"Equal"}));
    CHECK(equals.bool_output() && Kind::find("GreaterThan").bool_output());
    CHECK_STR(Kind::find("Add").base(), "ArithmeticOperationFeature");

    KindParam mode = Kind::find("Crop").param(2);
    CHECK_STR(mode.name(), "crop_mode");
    CHECK(mode.type() == ParamType::String);
    CHECK((mode.choices() == std::vector<std::string>{"retain", "remove"}));
    CHECK(Kind::find("Crop").param(0).choices().empty());
    CHECK((Kind::find("Fluorescence").param("padding").length() == std::array<size_t, 2>{4, 4}));
    CHECK(Kind::find("Fluorescence").positional().at(2) == "magnification");

    Kind repeat = Kind::find("Repeat");
    CHECK(repeat.param(0).flags() == ParamFlag::Required && !repeat.param(0).default_value());
    CHECK(repeat.param(0).type() == ParamType::Feature);
    CHECK(repeat.param(1).flags() == ParamFlag::Whole);
    KindParam dtype = Kind::find("AsType").param("dtype");
    CHECK(dtype.type() == ParamType::Dtype);
    CHECK(dtype.default_value() && dtype.default_value()->kind() == DEEPTRACK_VALUE_KIND_STRING);

    THROWS(Kind::find("pointparticle"), DEEPTRACK_STATUS_NOT_FOUND,
           "unknown feature kind 'pointparticle' (did you mean 'PointParticle'?)");
    THROWS(Kind::at(count), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    THROWS(Kind(count).bool_output(), DEEPTRACK_STATUS_OUT_OF_RANGE, "kind index");
    THROWS(repeat.param(99), DEEPTRACK_STATUS_OUT_OF_RANGE,
           "parameter index 99 is out of range (Repeat has 2 parameters)");
    THROWS(repeat.param("sigma"), DEEPTRACK_STATUS_NOT_FOUND, "Repeat has no parameter 'sigma'");
    CHECK_STR(Kind::at(0).name(), Kind(0).name());
}

/* ---------------------------------------------------------------- features */

static Feature add_of(double value) {
    Feature add("Add");
    add.set("value", Value::of(value));
    return add;
}

static void test_features() {
    // Built from features: Combine gives each feature's output.
    Feature one = add_of(1), ten = add_of(10);
    Feature combine = Feature::with("Combine", {&one, &ten});
    Image zero({0}, {1});
    std::vector<Image> both = combine.resolve_many(zero);
    CHECK(both.size() == 2 && both[0].data()[0] == 1 && both[1].data()[0] == 10);
    // A get giving several images (Image::list, DeepTrack2's get returning a list): what follows
    // computes each; empty: none; as a resolve's input, a list stands for its images.
    {
        Feature split = Feature::custom("Split", [](ImageView in, PropertyDict) {
            double x = in.data()[0];
            return Image::list({Image({x}, {1}), Image({x + 1}, {1})});
        });
        std::vector<Image> two = (split >> add_of(10)).resolve_many(zero);
        CHECK(two.size() == 2 && two[0].data()[0] == 10 && two[1].data()[0] == 11);
        Feature none = Feature::custom("None", [](ImageView, PropertyDict) { return Image::list({}); });
        CHECK((none >> add_of(10)).resolve_many(zero).empty());
        Image items = Image::list({Image({1}, {1}), Image({2}, {1})});
        std::vector<Image> each = one.resolve_many(items);
        CHECK(each.size() == 2 && each[0].data()[0] == 2 && each[1].data()[0] == 3);
        THROWS(Feature::with("Blur", {&split}).resolve(zero), DEEPTRACK_STATUS_INVALID_ARGUMENT,
               "the function 'Split' gave a list of 2 images");
    }
    THROWS(Feature::with("Chain", {}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "Chain takes 2 features (feature_1, feature_2), got 0");
    THROWS(Feature::with("NoSuchKind", {&one}), DEEPTRACK_STATUS_NOT_FOUND, "unknown feature kind 'NoSuchKind'");

    // Property names, their order, pinned values, validity.
    Feature add = add_of(1);
    CHECK((add.property_names() == std::vector<std::string>{"value", "name"}));
    Feature meta = Feature::custom("Meta", [](ImageView in, PropertyDict) { return Image(in.clone()); });
    meta.set("a", Value::of(1)).set("b", Value::of(2));
    CHECK((meta.property_names() == std::vector<std::string>{"a", "b", "name"}));
    meta.order_properties({"b", "name", "a"});
    CHECK((meta.property_names() == std::vector<std::string>{"b", "name", "a"}));
    THROWS(meta.order_properties({"b", "a"}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "feature 'Meta': the order leaves out the property 'name'");
    THROWS(meta.order_properties({"b", "name", "a", "c"}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "'c'");

    CHECK(!add.is_valid());
    CHECK(add.resolve(&zero).data()[0] == 1);
    CHECK(add.is_valid());
    CHECK(add.set_value("value", Value::of(5.0)));  // pinned: changes the value
    CHECK(!add.is_valid());
    CHECK(!add.set_value("value", Value::of(5.0))); // the same value changes nothing
    CHECK(add.resolve(&zero).data()[0] == 5);
    add.update(); // the rule is back
    CHECK(add.resolve(&zero).data()[0] == 1);
    THROWS(add.set_value("nope", Value::of(1.0)), DEEPTRACK_STATUS_NOT_FOUND, "nope");
    Feature second = add_of(2);
    Feature pipeline = add >> second;
    CHECK(pipeline.set_value_everywhere("value", Value::of(3.0)) == 2);
    CHECK(pipeline.resolve(&zero).data()[0] == 6);
    CHECK(pipeline.set_value_everywhere("no_such_property", Value::of(3.0)) == 0);

    // Bound arguments (DeepTrack2's bind_arguments): their dict before the bound feature's own.
    Feature arguments("Arguments");
    arguments.set("x", Value::of(4.0));
    Feature bound = add_of(1);
    bound.bind_arguments(arguments).store_properties();
    Image recorded = bound.resolve(&zero);
    CHECK(recorded.property_count() == 2);
    CHECK(recorded.property_dict(0).get("name").as_string() == "Arguments");
    CHECK(recorded.property_dict(0).get("x").as_float() == 4.0);
    CHECK(recorded.property_dict(1).get("name").as_string() == "Add");
    THROWS(bound.bind_arguments(bound), DEEPTRACK_STATUS_CYCLE, "cannot be bound as its own arguments");

    // An appending feature: its image joins the input list (none: nothing appended).
    Feature source("Value");
    source.set("value", Value::of({4.0}));
    Feature appended = Feature::custom_appending("Seven", [](ImageView in, PropertyDict props) {
        CHECK(!in);
        CHECK(props.contains("name"));
        return Image({7}, {1});
    });
    std::vector<Image> two = (source >> appended).resolve_many();
    CHECK(two.size() == 2 && two[0].data()[0] == 4 && two[1].data()[0] == 7);
    Feature nothing = Feature::custom_appending(
        "Nothing", [](ImageView, PropertyDict) -> std::optional<Image> { return std::nullopt; }, true);
    CHECK((source >> nothing).resolve_many().size() == 1);

    // A Merge feature sees every input at once.
    Feature sum = Feature::merge("SumAll", [](const std::vector<ImageView> &inputs, PropertyDict props) {
        double total = props.get("offset").as_float();
        for (ImageView in : inputs) total += in.data()[0];
        std::vector<Image> out;
        out.emplace_back(std::vector<double>{total}, std::vector<size_t>{1});
        out.emplace_back(std::vector<double>{double(inputs.size())}, std::vector<size_t>{1});
        return out;
    });
    sum.set("offset", Value::of(0.5));
    Image a({1}, {1}), b({2}, {1});
    std::vector<Image> merged = sum.resolve_list({a, b});
    CHECK(merged.size() == 2 && merged[0].data()[0] == 3.5 && merged[1].data()[0] == 2);
    Feature failing = Feature::merge("Failing", [](const std::vector<ImageView> &, PropertyDict) -> std::vector<Image> {
        throw std::runtime_error("the merge failed");
    });
    THROWS(failing.resolve_list({a, b}), DEEPTRACK_STATUS_CALLBACK_FAILED, "the merge failed");
    Feature empty = Feature::merge("Empty", [](const std::vector<ImageView> &, PropertyDict) {
        return std::vector<Image>(1);
    });
    THROWS(empty.resolve_list({a}), DEEPTRACK_STATUS_CALLBACK_FAILED, "the merge function returned an empty Image");
    THROWS(Feature::merge("Null", MergeFunction()), DEEPTRACK_STATUS_NULL_ARGUMENT, "empty std::function");
}

/* ---------------------------------------------------------------- scatterers */

static Feature fluorescence(double size) {
    Feature optics("Fluorescence");
    optics.set("output_region", Value::of({0.0, 0.0, size, size}));
    return optics;
}

static Feature sphere_at(Feature sphere) {
    sphere.set("position", Value::of({16.0, 16.0})).set("radius", Value::of(1.1e-6)).set("intensity", Value::of(3.0));
    return sphere;
}

static void test_scatterers() {
    // The kind's own volume, from a scatterer whose get returns it: imaged as the built-in one.
    int calls = 0;
    Feature mine = sphere_at(Feature::scatterer("Sphere", [&calls](ImageView in, PropertyDict props) {
        calls++;
        CHECK(!in);
        CHECK(props.get("voxel_size").kind() == DEEPTRACK_VALUE_KIND_TUPLE);
        return scatterer_volume("Sphere", props);
    }));
    Feature builtin = sphere_at(Feature("Sphere"));
    Image ours = fluorescence(32)(mine).resolve();
    Image theirs = fluorescence(32)(builtin).resolve();
    CHECK(calls == 1);
    CHECK(ours.data() == theirs.data());
    std::vector<double> data = theirs.data();
    CHECK(*std::max_element(data.begin(), data.end()) > 0);
    THROWS(Feature::scatterer("MieSphere", [](ImageView, PropertyDict) { return Image(); }),
           DEEPTRACK_STATUS_INVALID_ARGUMENT, "'MieSphere' is not a volume scatterer");
    Feature flat =
        sphere_at(Feature::scatterer("Sphere", [](ImageView, PropertyDict) { return Image({1, 1, 1, 1}, {2, 2}); }));
    THROWS(fluorescence(32)(flat).resolve(), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "Sphere: get returned shape [2, 2]; a scatterer's volume is a real 3-D array");

    // The built-in volumes: DeepTrack2's uncropped grids.
    Image ball = scatterer_volume("Sphere", {{"radius", Value::of(5e-7)}, {"voxel_size", Value::of(1e-7)}});
    CHECK((ball.shape() == std::vector<size_t>{10, 10, 10}));
    Image point = scatterer_volume("PointParticle", {{"voxel_size", Value::of(5e-8)}, {"pixel_size", Value::of(1e-7)}});
    CHECK((point.data() == std::vector<double>{8}));
    THROWS(scatterer_volume("Add", {{"radius", Value::of(1e-6)}}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "'Add' is not a volume scatterer");
    THROWS(scatterer_volume("Sphere", {{"radius", Value::of(-1e-6)}}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "radius");
}

/* ---------------------------------------------------------------- sequences */

static Feature movie(const Feature &particle, int64_t frames) {
    Feature scope = fluorescence(32)(particle);
    Feature seq = Feature::with("Sequence", {&scope});
    seq.set("sequence_length", Value::of(frames)).store_properties();
    return seq;
}

static std::vector<double> position_of(const Image &img) { return img.get_property("position").as_array(); }

static void test_sequences() {
    Feature particle("PointParticle");
    particle.set("position", Value::of({8.0, 10.0})).set_sequential("position", Rule::drift({3, 2}));
    Feature seq = movie(particle, 5);
    std::vector<Image> frames = seq.resolve_many();
    CHECK(frames.size() == 5);
    std::vector<ImageView> views;
    for (size_t t = 0; t < frames.size(); t++) {
        CHECK((position_of(frames[t]) == std::vector<double>{8 + 3.0 * t, 10 + 2.0 * t}));
        views.push_back(frames[t]);
    }
    Stack stacked = stack(views);
    CHECK((stacked.shape == std::array<size_t, 4>{5, 32, 32, 1}));
    CHECK(stacked.data.size() == 5 * 32 * 32);
    for (size_t t = 0; t < frames.size() && stacked.data.size() == 5 * 32 * 32; t++) {
        auto first = stacked.data.begin() + static_cast<ptrdiff_t>(t * 32 * 32);
        size_t best = static_cast<size_t>(std::max_element(first, first + 32 * 32) - first);
        CHECK(best / 32 == 8 + 3 * t && best % 32 == 10 + 2 * t); // the brightest pixel follows the particle
        CHECK(std::equal(first, first + 32 * 32, frames[t].data().begin()));
    }
    Image odd({0, 0, 0, 0}, {2, 2});
    THROWS(stack({frames[0], odd}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "image 1 has shape [2, 2] but image 0 has [32, 32, 1]");
    THROWS(stack({}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "there are no images to stack");

    // Brownian steps in pixels: a batch of movies is the same on 1 and 2 threads, items differ.
    Feature walker("PointParticle");
    walker.set("position", Value::of({16.0, 16.0})).set_sequential("position", Rule::brownian_pixels(1.0));
    Feature walk = movie(walker, 5);
    std::vector<std::vector<Image>> one = walk.resolve_batch_many(11, 0, 3, 1);
    std::vector<std::vector<Image>> two = walk.resolve_batch_many(11, 0, 3, 2);
    CHECK(one.size() == 3 && two.size() == 3);
    for (size_t k = 0; k < one.size() && k < two.size(); k++) {
        CHECK(one[k].size() == 5 && two[k].size() == 5);
        for (size_t t = 0; t < one[k].size() && t < two[k].size(); t++)
            CHECK(position_of(one[k][t]) == position_of(two[k][t]));
    }
    if (one.size() == 3 && one[0].size() == 5 && one[1].size() == 5) {
        CHECK((position_of(one[0][0]) == std::vector<double>{16, 16}));
        CHECK(position_of(one[0][4]) != position_of(one[1][4]));
        CHECK(position_of(one[0][1]) != position_of(one[0][0]));
    }
    CHECK(walk.resolve_batch_many(11, 0, 0).empty());

    // Brownian steps in SI units (sqrt(2 * 1e-12 * 0.1) / 1e-7 = 4.47 pixels) and a random walk of
    // normal increments: the particle moves, reproducibly under a seed.
    Feature diffusing("PointParticle");
    diffusing.set("position", Value::of({16.0, 16.0})).set_sequential("position", Rule::brownian(1e-12, 0.1, 1e-7));
    Feature stepping("PointParticle");
    stepping.set("position", Value::of({16.0, 16.0}))
        .set_sequential("position", Rule::increment(Rule::normal(0.0, 0.5)));
    for (Feature *p : {&diffusing, &stepping}) {
        Feature m = movie(*p, 3);
        m.seed(5);
        std::vector<Image> f1 = m.resolve_many();
        m.seed(5);
        std::vector<Image> f2 = m.resolve_many();
        CHECK(f1.size() == 3 && f2.size() == 3);
        if (f1.size() == 3 && f2.size() == 3) {
            CHECK(position_of(f1[2]) == position_of(f2[2]));
            CHECK(position_of(f1[2]) != position_of(f1[0]));
        }
    }
    THROWS(Rule::brownian(-1, 0.1, 1e-7), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "the diffusion constant (m²/s) must be a finite number at least 0, got -1");
    THROWS(Rule::brownian_pixels(NAN), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "the diffusion constant (pixels² per frame) must be a finite number at least 0, got NaN");
    THROWS(Rule::drift({}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "a drift needs a velocity of at least one number");
    Feature linked("PointParticle");
    THROWS(Rule::increment(Rule::property_of(particle, "position")), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "the increment of a sequential property must be a rule that reads nothing else");
    THROWS(linked.set_sequential("nope", Rule::property_of(particle, "position")), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "property 'nope' of feature 'PointParticle': the step rule of a sequential property cannot link to another "
           "feature");
}

/* ---------------------------------------------------------------- batches with progress */

static void test_batch_with() {
    Feature add("Add");
    add.set("value", Rule::uniform(0, 1));
    Image zero({0}, {1});
    std::vector<size_t> done;
    std::vector<std::vector<Image>> items =
        add.resolve_batch_with(3, 0, 4, 1, [&done](size_t d, size_t total) {
            CHECK(total == 4);
            done.push_back(d);
            return true;
        }, 1, zero);
    CHECK(items.size() == 4);
    std::vector<Image> plain = add.resolve_batch(3, 0, 4, 1, zero);
    for (size_t k = 0; k < items.size(); k++) CHECK(items[k].size() == 1 && items[k][0].data() == plain[k].data());
    CHECK(!done.empty() && done.back() == 4 && std::is_sorted(done.begin(), done.end()));
    CHECK(add.resolve_batch_with(3, 0, 4, 1, {}, 2, zero).size() == 4); // without progress

    // A stop asked by progress, and an exception thrown by it.
    THROWS(add.resolve_batch_with(3, 0, 50, 1, [](size_t, size_t) { return false; }, 1, zero),
           DEEPTRACK_STATUS_CALLBACK_FAILED,
           "feature 'Add': the progress callback stopped the batch after 1 of 50 items");
    bool rethrown = false;
    try {
        add.resolve_batch_with(3, 0, 50, 1, [](size_t, size_t) -> bool { throw std::runtime_error("cancelled"); }, 1,
                               zero);
    } catch (const std::runtime_error &e) {
        rethrown = std::string(e.what()) == "cancelled";
    }
    CHECK(rethrown);

    // Items of two images: DeepTrack2's `image & target`.
    Feature target("Value");
    target.set("value", Value::of({5.0}));
    Feature pair("Stack");
    pair.set("value", target);
    std::vector<std::vector<Image>> pairs = pair.resolve_batch_with(1, 0, 3, 2, {}, 1, zero);
    CHECK(pairs.size() == 3);
    for (const std::vector<Image> &p : pairs) {
        CHECK(p.size() == 2 && p[0].data()[0] == 0 && p[1].data()[0] == 5);
    }
    THROWS(pair.resolve_batch_with(1, 0, 3, 1, {}, 1, zero), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "feature 'Stack': batch item 0 produced 2 images where 1 were expected");
    THROWS(add.resolve_batch_with(1, 0, 3, 0, {}, 1, zero), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "images per batch item must be at least 1");
    CHECK(add.resolve_batch_with(1, 0, 0, 1).empty());
}

/* ---------------------------------------------------------------- image memory, samples, files */

static bool starts_with(const std::string &path, const std::string &magic) {
    std::ifstream file(path, std::ios::binary);
    std::string head(magic.size(), '\0');
    file.read(&head[0], static_cast<std::streamsize>(head.size()));
    return file.gcount() == static_cast<std::streamsize>(magic.size()) && head == magic;
}

static void test_images(const std::string &dir) {
    Image img({0, 1, 2, 3, 4, 5}, {2, 3});
    Layout plain = img.layout();
    CHECK(plain.data == img.data_ptr() && !plain.permuted);
    CHECK((plain.strides == std::vector<ptrdiff_t>{3, 1}));
    Image transposed = Feature("Transpose").resolve(&img);
    Layout t = transposed.layout();
    CHECK(t.permuted && (t.strides == std::vector<ptrdiff_t>{1, 3}));
    CHECK(t.data[2 * t.strides[0] + 1 * t.strides[1]] == 5); // [2, 1] of the transpose is [1, 2] of img
    CHECK((transposed.data() == std::vector<double>{0, 3, 1, 4, 2, 5}));

    Feature as_u8("AsType");
    as_u8.set("dtype", Value::of("uint8"));
    Image bytes_in({1.7, 2.2, 255}, {3});
    Image bytes = as_u8.resolve(&bytes_in);
    CHECK(bytes.dtype() == DEEPTRACK_DTYPE_UINT8);
    CHECK_STR(dtype_name(bytes.dtype()), "uint8");
    Samples s = bytes.samples();
    CHECK(s.dtype == DEEPTRACK_DTYPE_UINT8 && !s.permuted && (s.strides == std::vector<ptrdiff_t>{1}));
    const uint8_t *u8 = static_cast<const uint8_t *>(s.data);
    CHECK(u8[0] == 1 && u8[1] == 2 && u8[2] == 255);
    CHECK(img.samples().dtype == DEEPTRACK_DTYPE_FLOAT64);
    CHECK_STR(dtype_name(DEEPTRACK_DTYPE_BOOL), "bool");
    THROWS(dtype_name(99), DEEPTRACK_STATUS_INVALID_ARGUMENT, "99 is no DEEPTRACK_DTYPE_*");

    // TIFF: scaled, or the values as they are.
    std::string path = dir + "/full-api.tif";
    std::array<double, 2> range = img.save_tiff(path);
    CHECK((range == std::array<double, 2>{0, 5}));
    CHECK(starts_with(path, std::string("II*\0", 4)));
    CHECK((Image({3, 70000}, {1, 2}).save_tiff(path, false) == std::array<double, 2>{3, 70000}));
    std::remove(path.c_str());
    THROWS(Image({1, 2}, {2}).save_tiff(path), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "a TIFF needs a 2-D image (H, W) or a stack of frames (H, W, N), got shape [2]");

    // Borrowed memory: read in place; released once nothing shares it.
    auto memory = std::make_shared<std::vector<double>>(std::vector<double>{1, 2, 3, 4});
    int released = 0;
    {
        Image borrowed = Image::borrow(memory->data(), {2, 2}, [memory, &released]() { released++; });
        CHECK(borrowed.data_ptr() == memory->data());
        CHECK((borrowed.shape() == std::vector<size_t>{2, 2}));
        CHECK((add_of(1).resolve(&borrowed).data() == std::vector<double>{2, 3, 4, 5}));
        CHECK(released == 0);
    }
    CHECK(released == 1);
    THROWS(Image::borrow(nullptr, {2}, [&released]() { released++; }), DEEPTRACK_STATUS_NULL_ARGUMENT,
           "argument 'data': the pointer is NULL but there are 2 elements");
    CHECK(released == 2); // released on failure too
    Image unreleased = Image::borrow(memory->data(), {4});
    CHECK(unreleased.data()[3] == 4);
}

/* ---------------------------------------------------------------- numerical helpers */

static void test_numerics() {
    // Bessel functions: scipy's (DeepTrack2 2.0.1's backend) values.
    std::vector<cplx> j = bessel(Bessel::J, {0, 1.5}, std::vector<double>{1.0, 2.5});
    CHECK(j.size() == 2 && close(j[0], 0.7651976865579666) && close(j[1], 0.5250802646640036));
    CHECK(close(bessel(Bessel::Y, {0}, std::vector<double>{1.0}).at(0), 0.088256964215677));
    CHECK(close(bessel(Bessel::J, {1}, std::vector<cplx>{{1, 1}}).at(0), {0.6141603349229037, 0.36502802882708785}));
    CHECK(close(bessel(Bessel::RiccatiJ, {1}, std::vector<double>{2.0}).at(0), 0.8707955499599839));
    CHECK(close(bessel(Bessel::RiccatiH, {1}, std::vector<double>{2.0}).at(0),
                {0.8707955499599834, -0.7012240085521105}));
    CHECK(std::isnan(bessel(Bessel::Y, {0}, std::vector<double>{-1.0}).at(0).real())); // scipy's NaN
    CHECK(bessel(Bessel::JDerivative, {}, std::vector<double>{}).empty());
    THROWS(bessel(Bessel::J, {0, 1}, std::vector<double>{1.0}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "orders has 2 numbers but x has 1");
    THROWS(bessel(static_cast<Bessel>(99), {0}, std::vector<double>{1.0}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "argument 'function' is 99, not one of the DEEPTRACK_BESSEL_* codes (0 to 9)");

    // Mie: DeepTrack2 2.0.1's mie.coefficients(1.45 + 0.01j, 2.0, 3) and mie.harmonics([0.3, -0.5], 3).
    MieCoefficients c = mie_coefficients({{1.45, 0.01}}, {2.0}, 3);
    const cplx a_ref[3] = {{0.37378835342009115, -0.4708651714251291},
                           {0.061601150916454475, -0.22823265942806548},
                           {0.0011626093938523078, -0.02530975629300137}};
    const cplx b_ref[3] = {{0.48156329325518316, -0.4711057712514464},
                           {0.009629593095179313, -0.08056064161382427},
                           {0.00016462446488075598, -0.004624695100180584}};
    CHECK(c.a.size() == 3 && c.b.size() == 3);
    for (size_t l = 0; l < 3 && l < c.a.size() && l < c.b.size(); l++) {
        CHECK(close(c.a[l], a_ref[l], 1e-10) && close(c.b[l], b_ref[l], 1e-10));
    }
    THROWS(mie_coefficients({}, {}, 3), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "argument 'layers' is 0: a sphere has at least one layer");
    THROWS(mie_coefficients({{1.45, 0}}, {}, 3), DEEPTRACK_STATUS_INVALID_ARGUMENT, "m and a differ in length");
    MieHarmonics h = mie_harmonics({0.3, -0.5}, 3);
    const double pi_ref[6] = {1, 1, 0.9, -1.5, -0.825, 0.375}, tau_ref[6] = {0.3, -0.5, -2.46, -1.5, -4.3425, 5.4375};
    CHECK(h.pi.size() == 6 && h.tau.size() == 6);
    for (size_t i = 0; i < 6 && i < h.pi.size() && i < h.tau.size(); i++) {
        CHECK(std::abs(h.pi[i] - pi_ref[i]) < 1e-12 && std::abs(h.tau[i] - tau_ref[i]) < 1e-12);
    }

    // radialcenter: DeepTrack2 2.0.1's centre of exp(-((j - 4.3)^2 + (i - 2.8)^2) / 4) on 7 x 9.
    std::vector<double> spot(7 * 9);
    for (size_t i = 0; i < 7; i++)
        for (size_t k = 0; k < 9; k++) spot[i * 9 + k] = std::exp(-((k - 4.3) * (k - 4.3) + (i - 2.8) * (i - 2.8)) / 4);
    std::array<double, 2> xy = radial_center(spot.data(), 7, 9);
    CHECK(std::abs(xy[0] - 4.300253776694353) < 1e-9 && std::abs(xy[1] - 2.7972351665256325) < 1e-9);
    CHECK(radial_center(Image(spot, {7, 9, 1})) == xy);
    std::array<double, 2> flat = radial_center(std::vector<double>(4, 1.0).data(), 2, 2);
    CHECK(std::isnan(flat[0]) && std::isnan(flat[1]));
    THROWS(radial_center(spot.data(), 1, 9), DEEPTRACK_STATUS_INVALID_ARGUMENT, "at least 2 rows and 2 columns");
    THROWS(radial_center(Image(spot, {7, 3, 3})), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "radial_center takes a 2-d image, got 3 dimensions");

    // Holography: no propagation is the identity on propagating frequencies.
    Image m = holography_propagation_matrix(8, 6, 0, 1e-7, 5e-7);
    CHECK((m.shape() == std::vector<size_t>{8, 6, 2}) && m.is_complex());
    CHECK(m.data()[0] == 1 && m.data()[1] == 0);
    std::vector<double> moved = holography_propagation_matrix(8, 6, 1e-6, 1e-7, 5e-7).data();
    CHECK(std::abs(std::hypot(moved[2], moved[3]) - 1) < 1e-12 && moved[3] != 0);
    THROWS(holography_propagation_matrix(8, 6, 0, 0, 5e-7), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "pixel_size must be positive and finite");
    THROWS(holography_propagation_matrix(8, 6, NAN, 1e-7, 5e-7), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "to_z must be finite");

    // The camera's photon budget: linear in the photons.
    Feature optics = fluorescence(32);
    double per_unit = camera_photons_per_unit(optics, 1000, 0.5);
    CHECK(per_unit > 0);
    CHECK(std::abs(camera_photons_per_unit(optics, 2000, 0.5) / per_unit - 2) < 1e-12);
    THROWS(camera_photons_per_unit(optics, -1, 0.5), DEEPTRACK_STATUS_INVALID_ARGUMENT, "property 'photons'");
    THROWS(camera_photons_per_unit(optics, 10, 0), DEEPTRACK_STATUS_INVALID_ARGUMENT, "property 'exposure_time'");
}

/* ---------------------------------------------------------------- callback wait and shutdown */

/// Keeps the feature whose callback closing callbacks leaves unfreed reachable until the process ends.
static deeptrack_feature *kept_after_close = nullptr;

static void test_callback_controls() {
    CHECK(set_callback_wait(300) == 10000); // the default
    CHECK(set_callback_wait(10000) == 300);

    Feature add("Add");
    int calls = 0;
    add.set("value", Rule::callback([&calls](SampleContext &) {
        calls++;
        return Value::of(1.0);
    }));
    Image zero({0}, {1});
    CHECK(add.resolve(&zero).data()[0] == 1 && calls == 1);
    CHECK(close_callbacks(1000) == 0); // none runs on another thread
    add.update();
    THROWS(add.resolve(&zero), DEEPTRACK_STATUS_CALLBACK_FAILED, "callbacks are closed");
    CHECK(calls == 1);
    // A batch without callbacks still runs, its progress callback skipped.
    int progress_calls = 0;
    std::vector<std::vector<Image>> items = add_of(2).resolve_batch_with(1, 0, 3, 1, [&progress_calls](size_t, size_t) {
        progress_calls++;
        return true;
    }, 1, zero);
    CHECK(items.size() == 3 && progress_calls == 0);
    CHECK(close_callbacks(1000) == 0); // closing again returns at once
    kept_after_close = add.release(); // its std::function is left to the process's end
}

int main(int argc, char **argv) {
    std::string dir = argc > 1 ? argv[1] : "/tmp";
    return run_checks("C++ wrapper (full API)", [&] {
        test_values();
        test_kinds();
        test_features();
        test_scatterers();
        test_sequences();
        test_batch_with();
        test_images(dir);
        test_numerics();
        test_callback_controls(); // last: callbacks are closed for good
    });
}
