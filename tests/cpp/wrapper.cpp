// The C++ wrapper (include/deeptrack.hpp): RAII handles, exceptions carrying the library's message,
// >> and ^, values and views, images and property dicts, every kind of rule, callbacks and custom
// features as std::function (their ownership and their exceptions), resolve_many, batches and the
// microscope. Compiled and run by tests/cpp.rs (also under valgrind); the optional argument is a
// directory for the PNGs it writes. Prints "C++ wrapper: ok" when every check passes.
#include "deeptrack.hpp"
#include "check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace deeptrack;

static Image zeros(size_t rows, size_t cols) { return Image(std::vector<double>(rows * cols, 0.0), {rows, cols}); }

static bool starts_with_png_magic(const std::string &path) {
    std::ifstream file(path, std::ios::binary);
    char magic[8] = {0};
    file.read(magic, 8);
    return file.gcount() == 8 && std::string(magic, 8) == std::string("\x89PNG\r\n\x1a\n", 8);
}

/* ---------------------------------------------------------------- what the wrapper always did */

static void test_original_api() {
    Feature add("Add");
    add.set("value", Value::of(2.0));
    Feature flip("FlipUD");
    flip.set("p", Value::of(1.0));
    Feature pipeline = (add ^ 3) >> flip;
    pipeline.store_properties().seed(1);
    Image input({0, 1, 2, 3}, {2, 2});
    Image out = pipeline.resolve(&input);
    CHECK((out.data() == std::vector<double>{8, 9, 6, 7}));
    CHECK(out.property_count() == 6);
    CHECK_STR(out.get_property("name", false).repr(), "['Add', 'Add', 'Add', 'Repeat', 'FlipUD', 'Chain']");
    CHECK_STR(out.table_json("value"),
              "[{\"value\":2.0,\"name\":\"Add\"},{\"value\":2.0,\"name\":\"Add\"},{\"value\":2.0,\"name\":\"Add\"}]");
    CHECK_STR(out.table_json("p"), "[{\"time_consistent\":false,\"p\":1.0,\"augment\":true,\"name\":\"FlipUD\"}]");
    const std::string every = out.table_json();  // every dict, the Repeat's and the Chain's too
    CHECK(std::count(every.begin(), every.end(), '{') == 6);
    THROWS(add.set("value", Value::of("ten")), DEEPTRACK_STATUS_TYPE_MISMATCH,
           "property 'value' of feature 'Add': expected numbers, got a string");
    THROWS(out.get_property("radius"), DEEPTRACK_STATUS_NOT_FOUND, "radius");
    CHECK(add.has_property("value") && !add.has_property("radius"));
    Feature moved = std::move(pipeline);
    CHECK(moved.get() != nullptr && pipeline.get() == nullptr);
    CHECK(moved && !pipeline);
    // The same resolve through a view and through the named forms of >> and ^.
    Feature again = add.repeat(3).chain(flip);
    again.store_properties().seed(1);
    CHECK((again.resolve(input).data() == std::vector<double>{8, 9, 6, 7}));
}

/* ---------------------------------------------------------------- errors and version */

static void test_errors() {
    CHECK_STR(version(), DEEPTRACK_VERSION_STRING);
    CHECK_STR(status_str(DEEPTRACK_STATUS_NOT_FOUND), "DEEPTRACK_STATUS_NOT_FOUND");
    THROWS(Value().as_float(), DEEPTRACK_STATUS_NULL_ARGUMENT, "argument 'v' is NULL");
    CHECK_STR(last_error_message(), "argument 'v' is NULL");
    clear_error();
    CHECK_STR(last_error_message(), "");
    try {
        Feature("Sphre");
        CHECK(false);
    } catch (const Error &e) {
        CHECK(e.status() == DEEPTRACK_STATUS_NOT_FOUND);
        CHECK(e.message().rfind("unknown feature kind 'Sphre'", 0) == 0);
        CHECK_STR(e.what(), "DEEPTRACK_STATUS_NOT_FOUND: " + e.message());
    }
    // A long message (more than the wrapper's first buffer) comes back whole.
    std::string long_key(1000, 'k');
    try {
        Feature("Add").property(long_key);
        CHECK(false);
    } catch (const Error &e) {
        CHECK(e.message().find(long_key) != std::string::npos);
        CHECK(e.message().size() > 1000);
    }
}

/* ---------------------------------------------------------------- values */

static void test_values() {
    Value f = Value::of(2.5);
    CHECK(f.kind() == DEEPTRACK_VALUE_KIND_FLOAT);
    CHECK(f.as_float() == 2.5);
    THROWS(f.as_int(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an integer, got a float");

    Value i = Value::of(-7); // an int literal makes an INT
    CHECK(i.kind() == DEEPTRACK_VALUE_KIND_INT);
    CHECK(i.as_int() == -7 && i.as_float() == -7.0);
    CHECK(Value::of(int64_t{1} << 40).as_int() == int64_t{1} << 40);
    CHECK(Value::of(size_t{3}).as_int() == 3);
    THROWS(i.as_bool(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a bool");

    Value b = Value::of(true);
    CHECK(b.kind() == DEEPTRACK_VALUE_KIND_BOOL && b.as_bool());
    CHECK_STR(b.repr(), "True");
    THROWS(b.as_string(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a string, got a bool");

    Value s = Value::of("Particle");
    CHECK(s.kind() == DEEPTRACK_VALUE_KIND_STRING);
    CHECK_STR(s.as_string(), "Particle");
    CHECK_STR(s.repr(), "'Particle'");
    CHECK_STR(Value::of(std::string("from a std::string")).as_string(), "from a std::string");
    THROWS(s.as_float(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a number, got a string");
    THROWS(Value::of("\xff\xfe"), DEEPTRACK_STATUS_INVALID_UTF8, "argument 's' is not valid UTF-8");

    Value a = Value::array({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(a.kind() == DEEPTRACK_VALUE_KIND_ARRAY);
    CHECK((a.as_array() == std::vector<double>{1, 2, 3, 4, 5, 6}));
    CHECK((a.array_shape() == std::vector<size_t>{2, 3}));
    CHECK_STR(a.repr(), "array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])");
    THROWS(a.as_float(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a number, got an array");
    THROWS(Value::array({1, 2, 3}, {2, 2}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "the data has 3 elements but the shape needs 4");
    CHECK_STR(Value::array({7}, {}).repr(), "array(7.0)");
    CHECK_STR(Value::array({}, {0}).repr(), "array([])");
    CHECK_STR(Value::of({1.0, 2.0}).repr(), "array([1.0, 2.0])");
    CHECK_STR(Value::of(std::vector<double>{0.5}).repr(), "array([0.5])");
    THROWS(f.array_shape(), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected an array");

    Value none = Value::none();
    CHECK(none.is_none() && none.kind() == DEEPTRACK_VALUE_KIND_NONE);
    CHECK_STR(none.repr(), "None");

    Value list = Value::list();
    CHECK(list.kind() == DEEPTRACK_VALUE_KIND_LIST && list.len() == 0);
    Value three = Value::of(3);
    list.push(three).push(three); // copies: three stays ours
    list.push(list);              // a copy of itself, nested
    CHECK(list.len() == 3);
    CHECK(list.at(1).as_int() == 3);
    CHECK(list[2].len() == 2 && list[2].kind() == DEEPTRACK_VALUE_KIND_LIST);
    CHECK_STR(list.repr(), "[3, 3, [3, 3]]");
    THROWS(list.at(3), DEEPTRACK_STATUS_OUT_OF_RANGE, "index 3 is out of range for a list of 3 items");
    THROWS(f.at(0), DEEPTRACK_STATUS_TYPE_MISMATCH, "not a list");
    THROWS(f.push(three), DEEPTRACK_STATUS_TYPE_MISMATCH, "argument 'list' is a float");
    CHECK_STR(Value::list({Value::of(1), Value::of("a"), Value::none(), Value::of(false)}).repr(),
              "[1, 'a', None, False]");

    // A view borrows; clone() owns.
    Value nested = list.at(2).clone();
    ValueView view = list;
    CHECK(view.get() == list.get() && view.len() == 3);
    list = Value(); // frees the list
    CHECK(!list);
    CHECK_STR(nested.repr(), "[3, 3]");
    Value moved = std::move(nested);
    CHECK(moved && !nested);
    CHECK_STR(moved.clone().repr(), "[3, 3]");
}

/* ---------------------------------------------------------------- images */

static void test_images(const std::string &dir) {
    Image img({0, 1, 2, 3, 4, 5}, {1, 2, 3});
    CHECK(img.ndim() == 3);
    CHECK((img.shape() == std::vector<size_t>{1, 2, 3}));
    CHECK(img.size() == 6 && img.data_ptr()[4] == 4.0);
    CHECK((img.data() == std::vector<double>{0, 1, 2, 3, 4, 5}));
    double buf[6] = {0};
    img.copy_to(buf, 6);
    CHECK(buf[5] == 5.0);
    THROWS(img.copy_to(buf, 5), DEEPTRACK_STATUS_BUFFER_TOO_SMALL, "has 6 elements");
    CHECK(img.property_count() == 0 && img.property_dicts().empty());
    THROWS(img.property_dict(0), DEEPTRACK_STATUS_OUT_OF_RANGE, "index 0 is out of range");
    THROWS(img.get_property("name"), DEEPTRACK_STATUS_NOT_FOUND, "'name'");
    CHECK(!img.find_property("name"));
    CHECK(!img.find_property("name", false));
    THROWS(Image({1, 2, 3}, {2, 2}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "the data has 3 elements but the shape needs 4");
    THROWS(img.save_png(dir + "/never.png"), DEEPTRACK_STATUS_INVALID_ARGUMENT, "got shape [1, 2, 3]");

    Image ramp({0, 1, 2, 3, 4, 5}, {2, 3});
    std::string path = dir + "/wrapper-ramp.png";
    std::array<double, 2> range = ramp.save_png(path);
    CHECK(range[0] == 0.0 && range[1] == 5.0);
    CHECK(starts_with_png_magic(path));
    std::remove(path.c_str());
    THROWS(ramp.save_png("/nonexistent-dir/x.png"), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "cannot write '/nonexistent-dir/x.png'");

    ImageView view = ramp;
    CHECK(view && view.get() == ramp.get());
    CHECK((view.shape() == std::vector<size_t>{2, 3}));
    Image copy = view.clone();
    CHECK(copy.get() != ramp.get() && copy.data() == ramp.data());
    ramp = Image();
    CHECK(!ramp);
    CHECK((copy.data() == std::vector<double>{0, 1, 2, 3, 4, 5}));
    CHECK(!ImageView());
}

/* ---------------------------------------------------------------- property dicts, merge, append */

static void test_property_dicts() {
    Image input = zeros(2, 2);
    std::unique_ptr<Feature> a(new Feature("DummyFeature")), b(new Feature("DummyFeature"));
    a->set("x", Value::of(1.0)).store_properties();
    b->set("x", Value::of(1.0)).store_properties(); // equal, but another dict
    Image ra = a->resolve(input), ra2 = a->resolve(input), rb = b->resolve(input);
    CHECK(ra.property_count() == 1);
    PropertyDict da = ra.property_dict(0), da2 = ra2.property_dict(0), db = rb.property_dict(0);
    CHECK(da == da2 && da != db); // identity, not equality
    CHECK_STR(da.repr(), "{'x': 1.0, 'name': 'DummyFeature'}");
    CHECK_STR(da.repr(), db.repr());
    CHECK(da.len() == 2);
    CHECK_STR(da.key(1), "name");
    CHECK((da.keys() == std::vector<std::string>{"x", "name"}));
    THROWS(da.key(2), DEEPTRACK_STATUS_OUT_OF_RANGE, "index 2");
    CHECK(da.get("x").as_float() == 1.0);
    CHECK_STR(da.get(std::string("name")).as_string(), "DummyFeature");
    THROWS(da.get("y"), DEEPTRACK_STATUS_NOT_FOUND, "no key 'y'");
    CHECK(da.contains("x") && !da.contains("y"));

    ra.merge_properties_from(ra2);
    CHECK(ra.property_count() == 1); // the same dict: kept once
    ra.merge_properties_from(rb);
    CHECK(ra.property_count() == 2); // equal but distinct: both kept
    ra.merge_properties_from(ra);
    CHECK(ra.property_count() == 2);
    ra.append_properties(db); // append does not dedupe
    CHECK(ra.property_count() == 3);
    CHECK(ra.property_dict(2) == db);
    std::vector<PropertyDict> dicts = ra.property_dicts();
    CHECK(dicts.size() == 3 && dicts[0] == da && dicts[1] == db && dicts[2] == db);
    Image clone = ra.clone();
    CHECK(clone.property_count() == 3);
    clone.merge_properties_from(ra);
    CHECK(clone.property_count() == 3);
    CHECK(ra.get_property("name", false).len() == 3);
    CHECK_STR(ra.find_property("x")->repr(), "1.0");

    // Dicts outlive the features that made them.
    a.reset();
    b.reset();
    CHECK_STR(ra.property_dict(2).repr(), "{'x': 1.0, 'name': 'DummyFeature'}");

    // Dicts of the caller's own travel with the input and keep their identity.
    Image img = zeros(1, 2);
    PropertyDict pre = img.push_properties({{"k", Value::of(1)}, {"name", Value::of("pre")}});
    CHECK_STR(pre.repr(), "{'k': 1, 'name': 'pre'}");
    PropertyDict empty = img.push_properties({});
    CHECK(empty && empty.len() == 0);
    CHECK(img.property_count() == 2);
    Feature dummy("DummyFeature");
    dummy.store_properties();
    Image out = dummy.resolve(img);
    CHECK(out.property_count() == 3);
    CHECK(out.property_dict(0) == pre);
    THROWS(img.push_properties({{"k", Value::of(1)}, {"k", Value::of(2)}}), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "keys[1]: the key 'k' is repeated");
    THROWS(img.push_properties({{"", Value::of(1)}}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "keys[0] is empty");
    CHECK(img.property_count() == 2); // failed calls appended nothing
}

/* ---------------------------------------------------------------- rules */

static void test_rules() {
    Feature f("DummyFeature");
    f.set("twice", Rule::callback([](SampleContext &ctx) { return Value::of(2 * ctx.get("base").as_float()); }));
    f.set("base", Value::of(21.0)); // a dependency declared after its user
    CHECK(f.property("twice").as_float() == 42.0);
    CHECK(f.get_property("base").as_float() == 21.0);

    f.set("u", Rule::uniform(2, 3));
    f.set("n", Rule::normal(5, 0));
    f.set("k", Rule::randint(4, 5));
    f.set("pos", Rule::uniform_array({0, 10}, {1, 11}));
    f.set("pos2", Rule::uniform({0, 0}, {2, 2}));
    f.set("c", Rule::choice({Value::of("only")}));
    f.set("c2", Rule::choice(Value::list({Value::of(1), Value::of(2)})));
    f.set("const", Rule::constant(Value::of("fixed")));
    f.set("len", Rule::pixels(Value::of(3.0))); // outside a microscope, 1 um pixels
    f.set("px", Rule::callback([](SampleContext &ctx) { return Value::of(ctx.pixel_size()); }));
    f.set("depth", Rule::meters(Value::of(5e-6))); // 5 um in 1 um pixels
    CHECK(f.property("len").as_float() == 3e-6 && f.property("px").as_float() == 1e-6);
    CHECK(std::fabs(f.property("depth").as_float() - 5.0) < 1e-12);
    THROWS(Rule::pixels(Value::of("three")), DEEPTRACK_STATUS_INVALID_ARGUMENT, "a length in pixels takes numbers");
    THROWS(Rule::meters(Value::of("three")), DEEPTRACK_STATUS_INVALID_ARGUMENT, "a length in meters takes numbers");
    std::set<double> us;
    std::set<int64_t> c2s;
    for (int t = 0; t < 30; t++) {
        f.update();
        double u = f.property("u").as_float();
        CHECK(u >= 2 && u < 3);
        us.insert(u);
        CHECK(f.property("n").as_float() == 5.0);
        CHECK(f.property("k").as_int() == 4);
        std::vector<double> p = f.property("pos").as_array();
        CHECK(p.size() == 2 && p[0] >= 0 && p[0] < 1 && p[1] >= 10 && p[1] < 11);
        CHECK(f.property("pos2").as_array().size() == 2);
        CHECK_STR(f.property("c").repr(), "'only'");
        c2s.insert(f.property("c2").as_int());
        CHECK_STR(f.property("const").as_string(), "fixed");
    }
    CHECK(us.size() == 30);                       // update re-samples
    CHECK((c2s == std::set<int64_t>{1, 2}));      // both choices come up in 30 draws
    CHECK(f.has_property("pos") && !f.has_property("position"));

    // Invalid rule arguments.
    THROWS(Rule::uniform(NAN, 1), DEEPTRACK_STATUS_INVALID_ARGUMENT, "low must be finite");
    THROWS(Rule::uniform(2, 1), DEEPTRACK_STATUS_INVALID_ARGUMENT, "greater than high");
    THROWS(Rule::uniform({0}, {1, 2}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "low and high differ in length");
    THROWS(Rule::normal(0, -1), DEEPTRACK_STATUS_INVALID_ARGUMENT, "std must not be negative");
    THROWS(Rule::randint(3, 3), DEEPTRACK_STATUS_INVALID_ARGUMENT, "empty");
    THROWS(Rule::choice(Value::list()), DEEPTRACK_STATUS_INVALID_ARGUMENT, "the list is empty");
    THROWS(Rule::choice(Value::of(1)), DEEPTRACK_STATUS_TYPE_MISMATCH, "expected a list");
    THROWS(Rule::callback(SampleFunction()), DEEPTRACK_STATUS_NULL_ARGUMENT, "empty std::function");
    THROWS(f.set("", Value::of(1.0)), DEEPTRACK_STATUS_INVALID_ARGUMENT, "must not be empty");

    // Seeding: every kind of draw (callbacks drawing through their context included) is reproducible.
    Feature g("DummyFeature");
    g.set("u", Rule::uniform(0, 1));
    g.set("n", Rule::normal(0, 1));
    g.set("k", Rule::randint(0, 1000000));
    g.set("pos", Rule::uniform_array({0, 0}, {100, 100}));
    g.set("c", Rule::choice({Value::of(1), Value::of(2), Value::of(3), Value::of(4), Value::of(5), Value::of(6)}));
    g.set("cb", Rule::callback([](SampleContext &ctx) { return Value::of(ctx.uniform() + 10 * ctx.normal()); }));
    auto draw = [&g] {
        return g.property("u").repr() + g.property("n").repr() + g.property("k").repr() + g.property("pos").repr() +
               g.property("c").repr() + g.property("cb").repr();
    };
    g.seed(7);
    std::string first = draw();
    CHECK_STR(draw(), first); // cached until an update
    g.update();
    std::string second = draw();
    CHECK(second != first);
    g.seed(7);
    CHECK_STR(draw(), first);
    g.update();
    CHECK_STR(draw(), second); // after k updates: stream k
    g.seed(8);
    CHECK(draw() != first);

    // The replicate index inside a repeat; a top-level sample has none.
    Feature r("DummyFeature");
    r.set("id", Rule::callback([](SampleContext &ctx) {
        Value list = Value::list();
        for (size_t i : ctx.replicate_index()) list.push(Value::of(i));
        return list;
    }));
    Feature rep = r ^ 3;
    rep.store_properties();
    Image input = zeros(1, 1);
    CHECK_STR(rep.resolve(input).get_property("id", false).repr(), "[[0], [1], [2]]");
    CHECK_STR(rep.resolve(input).get_property("_ID", false).repr(), "[[0], [1], [2]]");
    r.update();
    CHECK_STR(r.property("id").repr(), "[]");

    // A link to another feature's property: within one resolve, the same value.
    auto a = std::make_unique<Feature>("DummyFeature");
    a->set("pos", Rule::uniform(0, 1));
    Feature b("DummyFeature");
    b.set("pos", Rule::property_of(*a, "pos"));
    THROWS(Rule::property_of(*a, "nope"), DEEPTRACK_STATUS_NOT_FOUND, "has no property 'nope'");
    Feature chain = *a >> b;
    chain.store_properties();
    std::set<double> linked;
    for (int t = 0; t < 3; t++) {
        Value both = chain.resolve(input).get_property("pos", false);
        CHECK(both.len() == 2 && both[0].as_float() == both[1].as_float());
        linked.insert(both[0].as_float());
        chain.update();
    }
    CHECK(linked.size() == 3);
    a.reset(); // the link and the chain keep it alive
    CHECK(chain.resolve(input).get_property("pos", false).len() == 2);

    // A feature as a property value: X + Y is X >> Add(value=Y).
    Feature x("Value"), add("Add"), mul("Multiply");
    x.set("value", Value::of({1.0, 2.0}));
    {
        Feature y("Value");
        y.set("value", Value::of({10.0, 20.0}));
        add.set("value", y); // the rule keeps y alive
        mul.set("value", Rule::feature(y));
    }
    Feature sum = x >> add;
    CHECK((sum.resolve().data() == std::vector<double>{11, 22}));
    CHECK_STR(add.property("value").repr(), "array([10.0, 20.0])");
    CHECK(((x >> mul).resolve().data() == std::vector<double>{10, 40}));
    THROWS(add.set("value", add), DEEPTRACK_STATUS_INVALID_ARGUMENT,
           "property 'value' of feature 'Add': a feature cannot be the value of its own property");
    // A list of rules: Slice's index computed by a feature (`x[mask]`), sampled with it.
    {
        Feature values("Value"), above("GreaterThan"), pick("Slice");
        values.set("value", Value::of({1.0, 2.0}));
        above.set("value", Value::of(1.5));
        Feature mask = values >> above; // [false, true]
        std::vector<Rule> items;
        items.push_back(Rule::feature(mask));
        pick.set("slices", Rule::list(items));
        CHECK(((x >> pick).resolve().data() == std::vector<double>{2}));
    }
    Feature sub("Subtract");
    add.set("value", Rule::feature(sub));
    THROWS(sub.set("value", add), DEEPTRACK_STATUS_CYCLE,
           "property 'value' of feature 'Subtract': feature 'Add' already depends on this feature");
}

/* ---------------------------------------------------------------- callbacks: exceptions, ownership */

static void test_callbacks() {
    Image input = zeros(2, 2);
    Feature g("DummyFeature");

    // A std::exception becomes the callback's failure, with its what() in the resolve's error.
    std::runtime_error thrown("the detector is not calibrated");
    g.set("gain", Rule::callback([&thrown](SampleContext &) -> Value { throw thrown; }));
    THROWS(g.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "property 'gain' of feature 'DummyFeature': the sampling callback returned "
           "DEEPTRACK_STATUS_CALLBACK_FAILED: the detector is not calibrated");
    try {
        g.resolve(input);
        CHECK(false);
    } catch (const Error &e) {
        CHECK(std::string(e.what()).find(thrown.what()) != std::string::npos);
        CHECK(std::string(e.message()).find(thrown.what()) != std::string::npos);
    }
    THROWS(g.property("gain"), DEEPTRACK_STATUS_CALLBACK_FAILED, "the detector is not calibrated");

    // A deeptrack::Error thrown by a library call inside keeps its status and message.
    g.set("gain", Rule::callback([](SampleContext &ctx) { return ctx.get("nonexistent").clone(); }));
    THROWS(g.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "the sampling callback returned DEEPTRACK_STATUS_NOT_FOUND: ");
    THROWS(g.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED, "no property 'nonexistent'");
    g.set("gain", Rule::callback([](SampleContext &ctx) { return Value::of(ctx.get("name").as_float()); }));
    THROWS(g.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "returned DEEPTRACK_STATUS_TYPE_MISMATCH: expected a number, got a string");

    // Anything else thrown, and no value at all.
    g.set("gain", Rule::callback([](SampleContext &) -> Value { throw 42; }));
    THROWS(g.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED, "a C++ exception that is not a std::exception");
    g.set("gain", Rule::callback([](SampleContext &) { return Value(); }));
    THROWS(g.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED, "returned DEEPTRACK_STATUS_OK but no value");

    // Re-entering the resolving pipeline: BUSY, which the failing resolve keeps.
    Feature *self = &g;
    g.set("gain", Rule::callback([self](SampleContext &) {
        self->update();
        return Value::of(1.0);
    }));
    THROWS(g.resolve(input), DEEPTRACK_STATUS_BUSY, "");

    // A cycle through callbacks names the properties.
    g.set("gain", Rule::callback([](SampleContext &ctx) { return ctx.get("b").clone(); }));
    g.set("b", Rule::callback([](SampleContext &ctx) { return ctx.get("gain").clone(); }));
    THROWS(g.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "properties 'gain' -> 'b' -> 'gain' depend on each other in a cycle");

    // Fixed, the pipeline works again.
    g.set("b", Value::of(3.0));
    g.store_properties();
    CHECK(g.resolve(input).get_property("gain").as_float() == 3.0);

    // The std::function is owned by the rule: destroyed with an unused rule, or with the last feature.
    auto token = std::make_shared<int>(0);
    {
        Rule unused = Rule::callback([token](SampleContext &) { return Value::of(*token); });
        CHECK(token.use_count() == 2);
    }
    CHECK(token.use_count() == 1);
    auto owner = std::make_unique<Feature>("DummyFeature");
    owner->set("t", Rule::callback_threadsafe([token](SampleContext &) { return Value::of(*token + 5); }));
    CHECK(token.use_count() == 2);
    Feature pipeline = *owner ^ 2;
    owner.reset(); // the repeat keeps the feature, and so the callback
    CHECK(token.use_count() == 2);
    pipeline.store_properties();
    CHECK_STR(pipeline.resolve(input).get_property("t", false).repr(), "[5, 5]");
    pipeline = Feature();
    CHECK(token.use_count() == 1);
    // Replacing a rule drops its callback.
    Feature h("DummyFeature");
    h.set("t", Rule::callback([token](SampleContext &) { return Value::of(1); }));
    CHECK(token.use_count() == 2);
    h.set("t", Value::of(2));
    CHECK(token.use_count() == 1);
}

/* ---------------------------------------------------------------- custom features */

static void test_custom_features() {
    int calls = 0;
    std::vector<std::string> seen_keys;
    Feature f = Feature::custom("AddOffset", [&](ImageView in, PropertyDict props) {
        calls++;
        seen_keys = props.keys();
        double offset = props.get("offset").as_float();
        if (!in) return Image({offset}, {1, 1});
        std::vector<double> data = in.data();
        for (double &x : data) x += offset;
        return Image(data, in.shape());
    });
    f.set("offset", Value::of(1.5));
    Image input = zeros(2, 2);
    Image out = f.resolve(input);
    CHECK((out.data() == std::vector<double>{1.5, 1.5, 1.5, 1.5}));
    CHECK((out.shape() == std::vector<size_t>{2, 2}));
    CHECK(out.property_count() == 0); // store_properties is off
    CHECK(calls == 1);
    CHECK((seen_keys == std::vector<std::string>{"offset", "name"}));
    CHECK(f.resolve()); // the stored input, cached
    CHECK(calls == 1);
    f.update();
    out = f.resolve(); // after update: no input, the callback sees an empty view
    CHECK(calls == 2);
    CHECK((out.data() == std::vector<double>{1.5}) && (out.shape() == std::vector<size_t>{1, 1}));
    CHECK_STR(f.property("name").as_string(), "AddOffset");

    Feature add("Add");
    add.set("value", Value::of(10.0));
    Feature chain = f >> add;
    chain.store_properties();
    out = chain.resolve(input);
    CHECK(out.data()[0] == 11.5);
    CHECK(out.property_count() == 3);
    CHECK_STR(out.property_dict(0).repr(), "{'offset': 1.5, 'name': 'AddOffset'}");
    CHECK_STR(out.property_dict(1).repr(), "{'value': 10.0, 'name': 'Add'}");
    CHECK_STR(out.property_dict(2).repr(), "{'name': 'Chain'}");

    // A library error inside the computation keeps its status and message.
    f.set("offset", Value::of(true));
    chain.update();
    THROWS(chain.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "feature 'AddOffset': the feature's get callback returned DEEPTRACK_STATUS_TYPE_MISMATCH: expected a "
           "number, got a bool");
    f.set("offset", Value::of(2.0));
    CHECK(chain.resolve(input).data()[0] == 12.0); // works again

    // An empty Image passes the input through; without input there is then no output.
    Feature pass = Feature::custom("Pass", [](ImageView, PropertyDict) { return Image(); });
    CHECK((pass.resolve(input).data() == std::vector<double>{0, 0, 0, 0}));
    pass.update();
    CHECK(!pass.resolve());
    CHECK(!pass.resolve(ImageView()));

    // A thrown exception fails the resolve with its what().
    Feature bad = Feature::custom("Broken", [](ImageView, PropertyDict) -> Image {
        throw std::runtime_error("no photons");
    });
    THROWS(bad.resolve(input), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "feature 'Broken': the feature's get callback returned DEEPTRACK_STATUS_CALLBACK_FAILED: no photons");
    THROWS(Feature::custom("Empty", GetFunction()), DEEPTRACK_STATUS_NULL_ARGUMENT, "empty std::function");

    // The computation can read its input's dicts, and resolve other pipelines.
    Feature inner("Add");
    inner.set("value", Value::of(100.0));
    Feature outer = Feature::custom("Outer", [&inner](ImageView in, PropertyDict) {
        Image result = inner.resolve(in);
        return Image({result.data()[0], static_cast<double>(in.property_count())}, {2});
    });
    Image tagged = zeros(1, 1);
    tagged.push_properties({{"tag", Value::of(1)}});
    CHECK((outer.resolve(tagged).data() == std::vector<double>{100, 1}));

    // The feature owns the std::function.
    auto token = std::make_shared<int>(7);
    {
        Feature owned = Feature::custom_threadsafe("Owned", [token](ImageView, PropertyDict) {
            return Image({static_cast<double>(*token)}, {1});
        });
        CHECK(token.use_count() == 2);
        Feature twice = owned ^ 2;
        owned = Feature();
        CHECK(token.use_count() == 2);
        CHECK((twice.resolve().data() == std::vector<double>{7}));
    }
    CHECK(token.use_count() == 1);
}

/* ---------------------------------------------------------------- custom features giving no image */

static void test_custom_no_image() {
    // std::nullopt is no image (DeepTrack2's get returning None, the C API's DEEPTRACK_STATUS_NO_IMAGE).
    int calls = 0;
    Feature drop = Feature::custom("DropBig", [&calls](ImageView in, PropertyDict props) -> std::optional<Image> {
        calls++;
        if (!in || in.data()[0] > props.get("limit").as_float()) return std::nullopt;
        std::vector<double> data = in.data();
        for (double &x : data) x *= 2;
        return Image(data, in.shape());
    });
    drop.set("limit", Value::of(5.0));
    Image small({1, 1}, {2}), big({9, 9, 9}, {3}), three({3}, {1});
    Image out = drop.resolve(small);
    CHECK((out.data() == std::vector<double>{2, 2}));
    CHECK(!drop.resolve(big)); // one image: none
    CHECK(drop.resolve_many(big).empty());
    CHECK(!drop.resolve(big)); // found cached
    CHECK(calls == 2);

    // A list: the images given none are left out, the others keep their order.
    std::vector<Image> outs = drop.resolve_list({small, big, three});
    CHECK(outs.size() == 2);
    CHECK((outs[0].data() == std::vector<double>{2, 2}) && (outs[1].data() == std::vector<double>{6}));
    CHECK(drop.resolve_list({big, big}).empty());

    // What follows computes the others only.
    Feature add("Add");
    add.set("value", Value::of(10.0));
    Feature chain = drop >> add;
    outs = chain.resolve_list({big, three});
    CHECK(outs.size() == 1 && (outs[0].data() == std::vector<double>{16}));
    CHECK(!chain.resolve(big));

    // An empty Image still passes the input through; a thread-safe one; an exception still fails.
    Feature pass = Feature::custom("Pass", [](ImageView, PropertyDict) -> std::optional<Image> { return Image(); });
    CHECK((pass.resolve(three).data() == std::vector<double>{3}));
    Feature none = Feature::custom_threadsafe("None", [](ImageView, PropertyDict) -> std::optional<Image> {
        return std::nullopt;
    });
    CHECK(!none.resolve(three));
    CHECK(none.resolve_list({three, small}).empty());
    Feature thrower = Feature::custom("Thrower", [](ImageView, PropertyDict) -> std::optional<Image> {
        throw std::runtime_error("no frame");
    });
    THROWS(thrower.resolve(three), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "feature 'Thrower': the feature's get callback returned DEEPTRACK_STATUS_CALLBACK_FAILED: no frame");

    // The std::function types directly; an empty one is refused.
    OptionalGetFunction fn = [](ImageView in, PropertyDict) -> std::optional<Image> {
        if (in && in.data()[0] > 2) return std::nullopt;
        return Image({7}, {1});
    };
    Feature typed = Feature::custom("Typed", fn);
    CHECK(!typed.resolve(three));
    CHECK((typed.resolve(small).data() == std::vector<double>{7}));
    THROWS(Feature::custom("Empty", OptionalGetFunction()), DEEPTRACK_STATUS_NULL_ARGUMENT, "empty std::function");
    THROWS(Feature::custom_threadsafe("Empty", OptionalGetFunction()), DEEPTRACK_STATUS_NULL_ARGUMENT,
           "empty std::function");

    // A lambda returning Image is a GetFunction, as before.
    Feature plain = Feature::custom("Plain", [](ImageView in, PropertyDict) { return in ? in.clone() : Image(); });
    CHECK((plain.resolve(three).data() == std::vector<double>{3}));
}

/* ---------------------------------------------------------------- several images */

static void test_complex_images_and_warnings() {
    Feature noise("ComplexGaussian");
    noise.set("mu", Value::of(2.0));
    noise.set("sigma", Value::of(0.0));
    Image out = noise.resolve(zeros(2, 3));
    CHECK((out.shape() == std::vector<size_t>{2, 3, 2}));
    CHECK(out.is_complex());
    CHECK(out.data()[0] == 2.0 && out.data()[1] == 0.0);
    out.set_complex(false);
    CHECK(!out.is_complex());
    Image real = zeros(2, 3);
    CHECK(!real.is_complex());
    THROWS(real.set_complex(true), DEEPTRACK_STATUS_INVALID_ARGUMENT, "last axis of length 2");
    CHECK(take_warnings().empty());
    CHECK(real.dtype() == DEEPTRACK_DTYPE_FLOAT64);
    Feature cast("AsType");
    cast.set("dtype", Value::of("int8"));
    Feature shift("Add");
    shift.set("value", Value::of(200.5));
    Image wrapped = cast.resolve(shift.resolve(zeros(2, 3)));
    CHECK(wrapped.dtype() == DEEPTRACK_DTYPE_INT8);
    CHECK(wrapped.data()[0] == -56.0);
    // An image of uint8 samples keeps its type through a flip; a bad type number throws.
    const uint8_t bytes[6] = {1, 2, 3, 250, 5, 6};
    Image typed = Image::typed(bytes, DEEPTRACK_DTYPE_UINT8, {2, 3});
    CHECK(typed.dtype() == DEEPTRACK_DTYPE_UINT8);
    Feature flip("FlipLR");
    flip.set("p", Value::of(1.0));
    Image flipped = flip.resolve(typed);
    CHECK(flipped.dtype() == DEEPTRACK_DTYPE_UINT8);
    CHECK((flipped.data() == std::vector<double>{3, 2, 1, 6, 5, 250}));
    THROWS(Image::typed(bytes, 12, {2, 3}), DEEPTRACK_STATUS_INVALID_ARGUMENT, "argument 'dtype' is 12");
}

static void test_resolve_many() {
    Image input = zeros(2, 2);
    Feature pair("Add");
    pair.set("value", Value::list({Value::of(10.0), Value::of(20.0)}));
    THROWS(pair.resolve(input), DEEPTRACK_STATUS_INVALID_ARGUMENT, "produced 2 images");
    std::vector<Image> many = pair.resolve_many(input);
    CHECK(many.size() == 2);
    CHECK((many[0].data() == std::vector<double>{10, 10, 10, 10}));
    CHECK((many[1].data() == std::vector<double>{20, 20, 20, 20}));

    // More images than the wrapper's first buffer.
    Feature lots("Add");
    Value values = Value::list();
    for (int i = 0; i < 20; i++) values.push(Value::of(static_cast<double>(i)));
    lots.set("value", values);
    many = lots.resolve_many(input);
    CHECK(many.size() == 20);
    bool all = true;
    for (size_t i = 0; i < many.size(); i++) all = all && many[i].data() == std::vector<double>(4, double(i));
    CHECK(all);
    many = lots.resolve_many(); // the stored input
    CHECK(many.size() == 20 && many[19].data()[0] == 19);

    Feature one("Add");
    one.set("value", Value::of(1.0));
    many = one.resolve_many(input);
    CHECK(many.size() == 1 && many[0].data()[0] == 1);
    Feature nothing("DummyFeature");
    CHECK(nothing.resolve_many().empty());
}

/* ---------------------------------------------------------------- batches */

static std::vector<double> firsts(const std::vector<Image> &images) {
    std::vector<double> xs;
    for (const Image &img : images) xs.push_back(img.data().at(0));
    return xs;
}

static void test_batch() {
    // 2 * (input + U[2, 3)), with thread-safe callbacks.
    Feature add("Add");
    add.set("value", Rule::callback_threadsafe([](SampleContext &ctx) { return Value::of(2 + ctx.uniform()); }));
    Feature twice = Feature::custom_threadsafe("Twice", [](ImageView in, PropertyDict) {
        double v = in ? in.data()[0] : 0;
        return Image({2 * v}, {1});
    });
    Feature pipe = add >> twice;
    Image input({0}, {1});
    std::vector<double> a = firsts(pipe.resolve_batch(7, 0, 6, 1, input));
    std::vector<double> b = firsts(pipe.resolve_batch(7, 0, 2, 2, input));
    std::vector<double> b2 = firsts(pipe.resolve_batch(7, 2, 4, 0, input));
    b.insert(b.end(), b2.begin(), b2.end());
    CHECK(a.size() == 6);
    CHECK(a == b); // item i depends only on (pipeline, seed, i): not on threads or batch boundaries
    CHECK(a == firsts(pipe.resolve_batch(7, 0, 6, 2, input)));
    CHECK(a == firsts(pipe.resolve_batch(7, 0, 6, 0, input))); // the same seed gives the same images
    bool in_range = true;
    for (double x : a) in_range = in_range && x >= 4 && x < 6;
    CHECK(in_range);
    CHECK(std::set<double>(a.begin(), a.end()).size() == 6);
    std::vector<double> other = firsts(pipe.resolve_batch(8, 0, 6, 1, input));
    CHECK(other != a);
    CHECK(pipe.resolve_batch(7, 0, 0).empty());

    // Callbacks that are not thread-safe are serialised, with the same results.
    Feature add_serial("Add");
    add_serial.set("value", Rule::callback([](SampleContext &ctx) { return Value::of(2 + ctx.uniform()); }));
    Feature twice_serial = Feature::custom("Twice", [](ImageView in, PropertyDict) {
        return Image({2 * in.data()[0]}, {1});
    });
    Feature serial = add_serial >> twice_serial;
    std::vector<double> s1 = firsts(serial.resolve_batch(7, 0, 6, 1, input));
    CHECK(s1 == firsts(serial.resolve_batch(7, 0, 6, 2, input)));
    CHECK(s1 == a); // the same pipeline, whatever the registration

    // Errors: an item without an image; an exception inside a worker's callback.
    Feature dummy("DummyFeature");
    THROWS(dummy.resolve_batch(7, 3, 2, 1), DEEPTRACK_STATUS_INVALID_ARGUMENT, "batch item 3 produced no image");
    Feature failing("Add");
    failing.set("value", Rule::callback_threadsafe([](SampleContext &ctx) -> Value {
        if (ctx.uniform() >= 0) throw std::runtime_error("a worker's callback failed");
        return Value::of(0.0);
    }));
    THROWS(failing.resolve_batch(1, 0, 4, 2, input), DEEPTRACK_STATUS_CALLBACK_FAILED,
           "property 'value' of feature 'Add': the sampling callback returned DEEPTRACK_STATUS_CALLBACK_FAILED: a "
           "worker's callback failed");
}

/* ---------------------------------------------------------------- the microscope */

static Feature fluorescence() {
    Feature optics("Fluorescence");
    optics.set("NA", Value::of(0.8))
        .set("wavelength", Value::of(680e-9))
        .set("resolution", Value::of(1e-6))
        .set("magnification", Value::of(10))
        .set("output_region", Value::of({0.0, 0.0, 64.0, 64.0}));
    return optics;
}

/// Every particle of `img` (a 64x64x1 fluorescence image) is inside [8, 56)² and bright where its
/// position says; returns the positions.
static std::vector<std::vector<double>> check_particles(const Image &img, size_t expected) {
    CHECK((img.shape() == std::vector<size_t>{64, 64, 1}));
    std::vector<double> data = img.data();
    double top = 0;
    for (double v : data) top = std::max(top, v);
    CHECK(top > 0);
    Value positions = img.get_property("position", false);
    CHECK(positions.len() == expected);
    std::vector<std::vector<double>> all;
    for (size_t i = 0; i < positions.len(); i++) {
        std::vector<double> p = positions[i].as_array();
        CHECK(p.size() == 2);
        if (p.size() != 2) continue;
        CHECK(p[0] >= 8 && p[0] < 56 && p[1] >= 8 && p[1] < 56);
        size_t at = static_cast<size_t>(std::lround(p[0])) * 64 + static_cast<size_t>(std::lround(p[1]));
        CHECK(data[at] > 0.3 * top); // a particle where its ground truth says
        all.push_back(p);
    }
    CHECK(data[0] < 0.01 * top); // the corner is dark
    return all;
}

static void test_microscope(const std::string &dir) {
    Feature particle("PointParticle");
    particle.set("position", Rule::uniform({8, 8}, {56, 56})).set("intensity", Value::of(100.0));
    Feature particles = particle ^ 3;
    Feature optics = fluorescence();
    Feature scope = optics(particles);
    scope.store_properties().seed(42);
    Image img = scope.resolve();
    std::vector<std::vector<double>> positions = check_particles(img, 3);
    CHECK(positions.size() == 3 && positions[0] != positions[1] && positions[1] != positions[2]);
    // The scatterers' dicts (with _ID) and the repeat's, then the optics', then the microscope's.
    Value names = img.get_property("name", false);
    CHECK(names.len() == 6);
    std::multiset<std::string> scatterers;
    for (size_t i = 0; i + 2 < names.len(); i++) scatterers.insert(names[i].as_string());
    CHECK((scatterers == std::multiset<std::string>{"PointParticle", "PointParticle", "PointParticle", "Repeat"}));
    CHECK_STR(names[4].as_string(), "Fluorescence");
    CHECK_STR(names[5].as_string(), "Microscope");
    CHECK_STR(img.get_property("_ID", false).repr(), "[[0], [1], [2]]");
    CHECK(img.property_dict(4).get("NA").as_float() == 0.8);
    CHECK_STR(img.property_dict(5).repr(), "{'name': 'Microscope'}");
    std::string path = dir + "/wrapper-fluorescence.png";
    std::array<double, 2> range = img.save_png(path);
    std::vector<double> data = img.data();
    CHECK(range[1] == *std::max_element(data.begin(), data.end()));
    CHECK(starts_with_png_magic(path));
    std::remove(path.c_str());

    // Batches of microscope images: item i depends only on (seed, i).
    std::vector<Image> batch = scope.resolve_batch(42, 0, 2, 2);
    std::vector<Image> item1 = scope.resolve_batch(42, 1, 1, 1);
    CHECK(batch.size() == 2 && item1.size() == 1);
    std::vector<std::vector<double>> p0 = check_particles(batch[0], 3), p1 = check_particles(batch[1], 3);
    CHECK(p0 != p1);
    CHECK(batch[1].data() == item1[0].data());
    CHECK_STR(batch[1].get_property("position", false).repr(), item1[0].get_property("position", false).repr());
    CHECK(scope.resolve().data() == data); // the pipeline itself is untouched (its cached result)

    // The free function builds the same microscope; the same seed gives the same image.
    Feature same = microscope(fluorescence(), particles);
    same.store_properties().seed(42);
    Image again = same.resolve();
    CHECK(again.data() == data);
    CHECK_STR(again.get_property("position", false).repr(), img.get_property("position", false).repr());
    same.update();
    CHECK(same.resolve().data() != data);

    // Any other optics feature is resolved on the sample's output.
    Feature add("Add"), value("Value");
    add.set("value", Value::of(10.0));
    value.set("value", Value::of({2.0, 4.0}));
    Feature custom_scope = add(value);
    custom_scope.store_properties();
    Image out = custom_scope.resolve();
    CHECK((out.data() == std::vector<double>{12, 14}));
    CHECK(out.property_count() == 3);
    CHECK_STR(out.property_dict(2).repr(), "{'name': 'Microscope'}");
}

int main(int argc, char **argv) {
    std::string dir = argc > 1 ? argv[1] : "/tmp";
    return run_checks("C++ wrapper", [&] {
        test_original_api();
        test_errors();
        test_values();
        test_images(dir);
        test_property_dicts();
        test_rules();
        test_callbacks();
        test_custom_features();
        test_custom_no_image();
        test_resolve_many();
        test_complex_images_and_warnings();
        test_batch();
        test_microscope(dir);
    });
}
