// deeptrack.hpp: a header-only C++17 wrapper over the deeptrack C API (include/deeptrack.h).
//
// Handles become move-only RAII objects that free themselves; failed calls throw deeptrack::Error
// carrying the status and the library's message. Hand-written (the C header is the generated one).
#ifndef DEEPTRACK_HPP
#define DEEPTRACK_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "deeptrack.h"

namespace deeptrack {

/// A failed library call: the status and the library's message.
class Error : public std::runtime_error {
  public:
    Error(deeptrack_status status, const std::string &message)
        : std::runtime_error(std::string(deeptrack_status_str(status)) + ": " + message), status_(status) {}
    /// The status the call returned.
    deeptrack_status status() const noexcept { return status_; }

  private:
    deeptrack_status status_;
};

/// Throws deeptrack::Error unless `status` is DEEPTRACK_STATUS_OK.
inline void check(deeptrack_status status) {
    if (status == DEEPTRACK_STATUS_OK) return;
    size_t needed = 0;
    deeptrack_last_error_message(nullptr, 0, &needed);
    std::string message(needed, '\0');
    if (needed > 0 && deeptrack_last_error_message(&message[0], needed, nullptr) == DEEPTRACK_STATUS_OK) {
        message.resize(needed - 1);
    } else {
        message.clear();
    }
    throw Error(status, message);
}

namespace detail {
/// A move-only owner of a C handle.
template <typename T, void (*Free)(T *)> class Handle {
  public:
    explicit Handle(T *raw = nullptr) noexcept : raw_(raw) {}
    Handle(Handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            Free(raw_);
            raw_ = std::exchange(other.raw_, nullptr);
        }
        return *this;
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    ~Handle() { Free(raw_); }
    /// The C handle, still owned by this object.
    T *get() const noexcept { return raw_; }
    /// Gives up ownership of the C handle.
    T *release() noexcept { return std::exchange(raw_, nullptr); }

  private:
    T *raw_;
};
} // namespace detail

/// An owned value.
class Value : public detail::Handle<deeptrack_value, deeptrack_value_free> {
  public:
    using Handle::Handle;
    static Value of(double x) { deeptrack_value *v; check(deeptrack_value_new_float(x, &v)); return Value(v); }
    static Value of(int64_t x) { deeptrack_value *v; check(deeptrack_value_new_int(x, &v)); return Value(v); }
    static Value of(bool x) { deeptrack_value *v; check(deeptrack_value_new_bool(x, &v)); return Value(v); }
    static Value of(const char *s) { deeptrack_value *v; check(deeptrack_value_new_string(s, &v)); return Value(v); }
    static Value of(const std::vector<double> &x) {
        size_t shape[1] = {x.size()};
        deeptrack_value *v;
        check(deeptrack_value_new_array(x.data(), shape, 1, &v));
        return Value(v);
    }
    /// The kind (DEEPTRACK_VALUE_KIND_*).
    uint32_t kind() const { return deeptrack_value_kind(get()); }
    double as_float() const { double x; check(deeptrack_value_as_float(get(), &x)); return x; }
    int64_t as_int() const { int64_t x; check(deeptrack_value_as_int(get(), &x)); return x; }
    bool as_bool() const { bool x; check(deeptrack_value_as_bool(get(), &x)); return x; }
    /// A Python-like rendering (`array([1.0, 2.0])`, `'Particle'`, `[0]`).
    std::string repr() const {
        size_t needed = 0;
        deeptrack_value_repr(get(), nullptr, 0, &needed);
        std::string text(needed, '\0');
        check(deeptrack_value_repr(get(), &text[0], needed, nullptr));
        text.resize(needed - 1);
        return text;
    }
};

/// An owned sampling rule (given to Feature::set, which takes it).
class Rule : public detail::Handle<deeptrack_rule, deeptrack_rule_free> {
  public:
    using Handle::Handle;
    static Rule constant(const Value &v) { deeptrack_rule *r; check(deeptrack_rule_constant(v.get(), &r)); return Rule(r); }
    static Rule uniform(double low, double high) { deeptrack_rule *r; check(deeptrack_rule_uniform(low, high, &r)); return Rule(r); }
    static Rule uniform(const std::vector<double> &low, const std::vector<double> &high) {
        if (low.size() != high.size()) throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, "low and high differ in length");
        deeptrack_rule *r;
        check(deeptrack_rule_uniform_array(low.data(), high.data(), low.size(), &r));
        return Rule(r);
    }
    static Rule normal(double mean, double std) { deeptrack_rule *r; check(deeptrack_rule_normal(mean, std, &r)); return Rule(r); }
    static Rule randint(int64_t low, int64_t high) { deeptrack_rule *r; check(deeptrack_rule_randint(low, high, &r)); return Rule(r); }
};

/// An owned image.
class Image : public detail::Handle<deeptrack_image, deeptrack_image_free> {
  public:
    using Handle::Handle;
    Image(const std::vector<double> &data, const std::vector<size_t> &shape) : Handle(nullptr) {
        deeptrack_image *img;
        check(deeptrack_image_new(data.data(), shape.data(), shape.size(), &img));
        *this = Image(img);
    }
    std::vector<size_t> shape() const {
        std::vector<size_t> s(deeptrack_image_ndim(get()));
        check(deeptrack_image_shape(get(), s.data(), s.size()));
        return s;
    }
    std::vector<double> data() const {
        const double *p;
        size_t n;
        check(deeptrack_image_data(get(), &p, &n));
        return std::vector<double>(p, p + n);
    }
    size_t property_count() const { return deeptrack_image_property_count(get()); }
    /// The first value of `key`, or all values (a list) with `get_one` false; throws NOT_FOUND if none.
    Value get_property(const char *key, bool get_one = true) const {
        deeptrack_value *v;
        check(deeptrack_image_get_property(get(), key, get_one, &v));
        return Value(v);
    }
    void merge_properties_from(const Image &other) { check(deeptrack_image_merge_properties_from(get(), other.get())); }
    void save_png(const char *path) const { check(deeptrack_image_save_png(get(), path, nullptr)); }
};

/// An owned feature handle (features are reference counted inside the library).
class Feature : public detail::Handle<deeptrack_feature, deeptrack_feature_free> {
  public:
    using Handle::Handle;
    /// A built-in feature by DeepTrack class name.
    explicit Feature(const char *kind) : Handle(nullptr) {
        deeptrack_feature *f;
        check(deeptrack_feature_new(kind, &f));
        *this = Feature(f);
    }
    /// Sets property `key` (the rule is consumed).
    Feature &set(const char *key, Rule rule) {
        check(deeptrack_feature_set_property(get(), key, rule.release()));
        return *this;
    }
    Feature &set(const char *key, const Value &v) { return set(key, Rule::constant(v)); }
    Value property(const char *key) const {
        deeptrack_value *v;
        check(deeptrack_feature_get_property(get(), key, &v));
        return Value(v);
    }
    /// Whether the feature has property `key` (nothing is sampled).
    bool has_property(const char *key) const {
        bool has;
        check(deeptrack_feature_has_property(get(), key, &has));
        return has;
    }
    Feature &store_properties(bool enable = true) { check(deeptrack_feature_store_properties(get(), enable)); return *this; }
    Feature &seed(uint64_t s) { check(deeptrack_feature_seed(get(), s)); return *this; }
    Feature &update() { check(deeptrack_feature_update(get())); return *this; }
    /// Resolves on `input` (or the stored input); an empty Image when the pipeline produced none.
    Image resolve(const Image *input = nullptr) const {
        deeptrack_image *out;
        check(deeptrack_feature_resolve(get(), input ? input->get() : nullptr, &out));
        return Image(out);
    }
    /// `*this >> next`.
    Feature operator>>(const Feature &next) const {
        deeptrack_feature *f;
        check(deeptrack_feature_chain(get(), next.get(), &f));
        return Feature(f);
    }
    /// `*this ^ n`.
    Feature operator^(size_t n) const {
        deeptrack_feature *f;
        check(deeptrack_feature_repeat(get(), n, &f));
        return Feature(f);
    }
};

} // namespace deeptrack

#endif // DEEPTRACK_HPP
