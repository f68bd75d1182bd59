// deeptrack.hpp: a header-only C++17 wrapper over the deeptrack C API (include/deeptrack.h).
//
// Handles become move-only RAII objects that free themselves; failed calls throw deeptrack::Error
// carrying the status and the library's message. Borrowed C pointers (list items, property dicts, a
// custom feature's input, a callback's context) become small copyable views (ValueView, PropertyDict,
// ImageView, SampleContext) that own nothing and are valid as long as the C API says the pointer is.
// Callbacks are std::function objects owned by the rule or feature (freed through free_userdata); an
// exception thrown by one is caught at the C boundary and fails the resolve with the exception's text.
// Hand-written (the C header is the generated one).
#ifndef DEEPTRACK_HPP
#define DEEPTRACK_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "deeptrack.h"

namespace deeptrack {

/// A failed library call: the status and the library's message.
class Error : public std::runtime_error {
  public:
    /// An error with `status` and the library's `message`; what() is `"<STATUS NAME>: <message>"`.
    Error(deeptrack_status status, const std::string &message)
        : std::runtime_error(std::string(deeptrack_status_str(status)) + ": " + message), status_(status),
          message_(message) {}
    /// The status the call returned.
    deeptrack_status status() const noexcept { return status_; }
    /// The library's message alone (what() without the status name).
    const std::string &message() const noexcept { return message_; }

  private:
    deeptrack_status status_;
    std::string message_;
};

/// The name of a status code, e.g. "DEEPTRACK_STATUS_NOT_FOUND".
inline const char *status_str(deeptrack_status status) noexcept { return deeptrack_status_str(status); }

/// The version of the loaded library, e.g. "0.1.0" (compare with DEEPTRACK_VERSION_STRING).
inline std::string version() { return deeptrack_version(); }

/// The calling thread's last error message ("" when there is none).
inline std::string last_error_message() {
    char small[256];
    size_t needed = 0;
    if (deeptrack_last_error_message(small, sizeof small, &needed) == DEEPTRACK_STATUS_OK) return small;
    std::string message(needed, '\0');
    if (needed == 0 || deeptrack_last_error_message(&message[0], needed, nullptr) != DEEPTRACK_STATUS_OK) return {};
    message.resize(needed - 1);
    return message;
}

/// Clears the calling thread's last error message.
inline void clear_error() noexcept { deeptrack_clear_error(); }

/// Throws deeptrack::Error unless `status` is DEEPTRACK_STATUS_OK.
inline void check(deeptrack_status status) {
    if (status == DEEPTRACK_STATUS_OK) return;
    throw Error(status, last_error_message());
}

/// Sets the calling thread's last error message (what a C callback does before failing; the wrapper's
/// callbacks do it for you from the exception they throw).
inline void set_error_message(const std::string &message) { check(deeptrack_set_error_message(message.c_str())); }

/// A borrowed NUL-terminated string argument: a `const char *` or a `std::string` (never copied; a
/// temporary string lives until the end of the call).
class CStr {
  public:
    /// Borrows a C string (NULL is passed on, and the library reports it).
    CStr(const char *s) noexcept : s_(s) {}
    /// Borrows the characters of `s`.
    CStr(const std::string &s) noexcept : s_(s.c_str()) {}
    /// The borrowed pointer.
    const char *c_str() const noexcept { return s_; }

  private:
    const char *s_;
};

namespace detail {
/// A move-only owner of a C handle.
template <typename T, void (*Free)(T *)> class Handle {
  public:
    /// Takes ownership of `raw` (NULL makes an empty handle).
    explicit Handle(T *raw = nullptr) noexcept : raw_(raw) {}
    /// Takes the other handle's C handle, leaving it empty.
    Handle(Handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    /// Frees this handle's C handle and takes the other's.
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            Free(raw_);
            raw_ = std::exchange(other.raw_, nullptr);
        }
        return *this;
    }
    /// Not copyable: one owner per C handle (move it instead).
    Handle(const Handle &) = delete;
    /// Not copyable: one owner per C handle (move it instead).
    Handle &operator=(const Handle &) = delete;
    /// Frees the C handle (if any).
    ~Handle() { Free(raw_); }
    /// The C handle, still owned by this object.
    T *get() const noexcept { return raw_; }
    /// Gives up ownership of the C handle.
    T *release() noexcept { return std::exchange(raw_, nullptr); }
    /// Whether this object holds a C handle.
    explicit operator bool() const noexcept { return raw_ != nullptr; }

  private:
    T *raw_;
};

/// Reads text written by a C function with the `deeptrack_last_error_message` buffer contract.
template <typename Fill> std::string read_text(Fill &&fill) {
    char small[256];
    size_t needed = 0;
    deeptrack_status status = fill(small, sizeof small, &needed);
    if (status == DEEPTRACK_STATUS_OK) return small;
    if (status != DEEPTRACK_STATUS_BUFFER_TOO_SMALL || needed == 0) check(status);
    std::string text(needed, '\0');
    check(fill(&text[0], needed, nullptr));
    text.resize(needed - 1);
    return text;
}

/// The number of elements of `shape`, or nothing when the product overflows.
inline std::optional<size_t> element_count(const std::vector<size_t> &shape) noexcept {
    size_t n = 1;
    for (size_t s : shape) {
        if (s != 0 && n > SIZE_MAX / s) return std::nullopt;
        n *= s;
    }
    for (size_t s : shape) {
        if (s == 0) return 0;
    }
    return n;
}

/// Throws INVALID_ARGUMENT unless `data` holds as many elements as `shape` describes (an overflowing
/// shape is left to the library, which reports it).
inline void check_data_fits(size_t len, const std::vector<size_t> &shape) {
    std::optional<size_t> n = element_count(shape);
    if (n && *n != len) {
        throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, "the data has " + std::to_string(len) +
                                                           " elements but the shape needs " + std::to_string(*n));
    }
}
} // namespace detail

class Value;
class ValueView;

namespace detail {
/// The read-only accessors shared by Value (owned) and ValueView (borrowed); `D::get()` gives the
/// C pointer.
template <typename D> class ValueReader {
  public:
    /// The kind (DEEPTRACK_VALUE_KIND_*; NONE for an empty handle).
    uint32_t kind() const { return deeptrack_value_kind(ptr()); }
    /// Whether the value is none.
    bool is_none() const { return kind() == DEEPTRACK_VALUE_KIND_NONE; }
    /// A float, or an int converted to double; throws TYPE_MISMATCH for other kinds.
    double as_float() const {
        double x;
        check(deeptrack_value_as_float(ptr(), &x));
        return x;
    }
    /// An int; throws TYPE_MISMATCH for other kinds.
    int64_t as_int() const {
        int64_t x;
        check(deeptrack_value_as_int(ptr(), &x));
        return x;
    }
    /// A bool; throws TYPE_MISMATCH for other kinds.
    bool as_bool() const {
        bool x;
        check(deeptrack_value_as_bool(ptr(), &x));
        return x;
    }
    /// A string (copied); throws TYPE_MISMATCH for other kinds.
    std::string as_string() const {
        const char *s;
        check(deeptrack_value_as_string(ptr(), &s));
        return s;
    }
    /// The elements of an array, C order (copied); throws TYPE_MISMATCH for other kinds.
    std::vector<double> as_array() const {
        const double *data;
        const size_t *shape;
        size_t ndim;
        check(deeptrack_value_array(ptr(), &data, &shape, &ndim));
        size_t n = 1;
        for (size_t i = 0; i < ndim; i++) n *= shape[i];
        return std::vector<double>(data, data + n);
    }
    /// The shape of an array; throws TYPE_MISMATCH for other kinds.
    std::vector<size_t> array_shape() const {
        const size_t *shape;
        size_t ndim;
        check(deeptrack_value_array(ptr(), nullptr, &shape, &ndim));
        return std::vector<size_t>(shape, shape + ndim);
    }
    /// The number of items of a list (0 for any other kind).
    size_t len() const { return deeptrack_value_list_len(ptr()); }
    /// Item `index` of a list, borrowed (valid while the list lives and is not changed); throws
    /// TYPE_MISMATCH for another kind and OUT_OF_RANGE past the end.
    ValueView at(size_t index) const;
    /// Item `index` of a list (as at()).
    ValueView operator[](size_t index) const;
    /// An owned copy.
    Value clone() const;
    /// A Python-like rendering (`array([1.0, 2.0])`, `'Particle'`, `[0]`).
    std::string repr() const {
        return read_text([this](char *buf, size_t len, size_t *needed) {
            return deeptrack_value_repr(ptr(), buf, len, needed);
        });
    }

  private:
    const deeptrack_value *ptr() const noexcept { return static_cast<const D &>(*this).get(); }
};
} // namespace detail

/// A borrowed value (a list item, a dict entry, a value read through a SampleContext): never freed,
/// valid as long as its owner (see the C API). clone() makes an owned copy.
class ValueView : public detail::ValueReader<ValueView> {
  public:
    /// An empty view (reads as none).
    ValueView() noexcept = default;
    /// Borrows `v`.
    explicit ValueView(const deeptrack_value *v) noexcept : v_(v) {}
    /// The borrowed C pointer.
    const deeptrack_value *get() const noexcept { return v_; }
    /// Whether the view points to a value.
    explicit operator bool() const noexcept { return v_ != nullptr; }

  private:
    const deeptrack_value *v_ = nullptr;
};

/// An owned value.
class Value : public detail::Handle<deeptrack_value, deeptrack_value_free>, public detail::ValueReader<Value> {
  public:
    using Handle::get;
    using Handle::Handle;
    /// A float.
    static Value of(double x) { deeptrack_value *v; check(deeptrack_value_new_float(x, &v)); return Value(v); }
    /// An int.
    static Value of(int64_t x) { deeptrack_value *v; check(deeptrack_value_new_int(x, &v)); return Value(v); }
    /// An int, from any other integer type (converted to int64_t).
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                               !std::is_same_v<T, int64_t>,
                                           int> = 0>
    static Value of(T x) {
        return of(static_cast<int64_t>(x));
    }
    /// A bool.
    static Value of(bool x) { deeptrack_value *v; check(deeptrack_value_new_bool(x, &v)); return Value(v); }
    /// A string (UTF-8, copied; INVALID_UTF8 otherwise).
    static Value of(const char *s) { deeptrack_value *v; check(deeptrack_value_new_string(s, &v)); return Value(v); }
    /// A string (UTF-8, copied).
    static Value of(const std::string &s) { return of(s.c_str()); }
    /// A 1-d array (copied).
    static Value of(const std::vector<double> &x) { return array(x, {x.size()}); }
    /// A 1-d array (copied), e.g. `Value::of({1.0, 2.0})`.
    static Value of(std::initializer_list<double> x) { return of(std::vector<double>(x)); }
    /// An n-d array of `shape` (C order, copied); `data` must hold as many elements as the shape
    /// (INVALID_ARGUMENT otherwise). An empty shape makes a scalar array of one element.
    static Value array(const std::vector<double> &data, const std::vector<size_t> &shape) {
        detail::check_data_fits(data.size(), shape);
        deeptrack_value *v;
        check(deeptrack_value_new_array(data.data(), shape.data(), shape.size(), &v));
        return Value(v);
    }
    /// None.
    static Value none() { deeptrack_value *v; check(deeptrack_value_new_none(&v)); return Value(v); }
    /// A list of copies of `items` (empty by default).
    static Value list(std::initializer_list<ValueView> items = {}) {
        deeptrack_value *v;
        check(deeptrack_value_new_list(&v));
        Value result(v);
        for (ValueView item : items) result.push(item);
        return result;
    }
    /// Appends a copy of `item` to this list (TYPE_MISMATCH if this is not a list); invalidates views
    /// of its items.
    Value &push(ValueView item) {
        check(deeptrack_value_list_push(get(), item.get()));
        return *this;
    }
    /// A borrowed view of this value.
    ValueView view() const noexcept { return ValueView(get()); }
    /// A borrowed view of this value (for functions taking views).
    operator ValueView() const noexcept { return view(); }
};

template <typename D> ValueView detail::ValueReader<D>::at(size_t index) const {
    const deeptrack_value *item = deeptrack_value_list_get(ptr(), index);
    if (item != nullptr) return ValueView(item);
    if (kind() != DEEPTRACK_VALUE_KIND_LIST && kind() != DEEPTRACK_VALUE_KIND_TUPLE)
        throw Error(DEEPTRACK_STATUS_TYPE_MISMATCH, "the value is not a list or a tuple");
    throw Error(DEEPTRACK_STATUS_OUT_OF_RANGE, "index " + std::to_string(index) + " is out of range for a list of " +
                                                   std::to_string(len()) + " items");
}

template <typename D> ValueView detail::ValueReader<D>::operator[](size_t index) const { return at(index); }

template <typename D> Value detail::ValueReader<D>::clone() const {
    deeptrack_value *v;
    check(deeptrack_value_clone(ptr(), &v));
    return Value(v);
}

/// A borrowed property dict (of an image, or a custom feature's properties): the ordered key -> value
/// map of one computation. Never freed; valid while its image lives and keeps it (a custom feature's
/// dict: during the call). Two views are equal when they are the same dict (identity, as
/// merge_properties_from compares), not when their contents are equal.
class PropertyDict {
  public:
    /// An empty view.
    PropertyDict() noexcept = default;
    /// Borrows `d`.
    explicit PropertyDict(const deeptrack_property_dict *d) noexcept : d_(d) {}
    /// The borrowed C pointer.
    const deeptrack_property_dict *get() const noexcept { return d_; }
    /// Whether the view points to a dict.
    explicit operator bool() const noexcept { return d_ != nullptr; }
    /// The number of entries.
    size_t len() const noexcept { return deeptrack_property_dict_len(d_); }
    /// The key of entry `index` (OUT_OF_RANGE past the end).
    std::string key(size_t index) const {
        const char *k;
        check(deeptrack_property_dict_key(d_, index, &k));
        return k;
    }
    /// Every key, in order.
    std::vector<std::string> keys() const {
        std::vector<std::string> all;
        for (size_t i = 0, n = len(); i < n; i++) all.push_back(key(i));
        return all;
    }
    /// Whether the dict has `key`.
    bool contains(CStr key) const {
        for (size_t i = 0, n = len(); i < n; i++) {
            if (key.c_str() != nullptr && this->key(i) == key.c_str()) return true;
        }
        return false;
    }
    /// The value of `key`, borrowed from the dict (NOT_FOUND when absent).
    ValueView get(CStr key) const {
        const deeptrack_value *v;
        check(deeptrack_property_dict_get(d_, key.c_str(), &v));
        return ValueView(v);
    }
    /// A Python-like rendering (`{'position': array([1.0, 2.0]), 'name': 'Particle'}`).
    std::string repr() const {
        return detail::read_text([this](char *buf, size_t len, size_t *needed) {
            return deeptrack_property_dict_repr(d_, buf, len, needed);
        });
    }
    /// Whether both views are the same dict.
    friend bool operator==(const PropertyDict &a, const PropertyDict &b) noexcept { return a.d_ == b.d_; }
    /// Whether the views are different dicts.
    friend bool operator!=(const PropertyDict &a, const PropertyDict &b) noexcept { return a.d_ != b.d_; }

  private:
    const deeptrack_property_dict *d_ = nullptr;
};

class Image;

namespace detail {
/// The read-only accessors shared by Image (owned) and ImageView (borrowed); `D::get()` gives the C
/// pointer.
template <typename D> class ImageReader {
  public:
    /// The number of dimensions.
    size_t ndim() const { return deeptrack_image_ndim(ptr()); }
    /// Whether the image holds complex numbers: its last axis (of length 2) holds the real and
    /// imaginary parts (`ComplexGaussian`'s result).
    bool is_complex() const {
        bool complex = false;
        check(deeptrack_image_is_complex(ptr(), &complex));
        return complex;
    }
    /// numpy's type of the samples, a `DEEPTRACK_DTYPE_*` number (`AsType`'s output; float64
    /// otherwise); `deeptrack_dtype_name` names it. The samples are read as doubles either way.
    uint32_t dtype() const {
        uint32_t d = DEEPTRACK_DTYPE_FLOAT64;
        check(deeptrack_image_dtype(ptr(), &d));
        return d;
    }
    /// The shape.
    std::vector<size_t> shape() const {
        std::vector<size_t> s(ndim());
        check(deeptrack_image_shape(ptr(), s.data(), s.size()));
        return s;
    }
    /// The number of elements.
    size_t size() const {
        const double *p;
        size_t n;
        check(deeptrack_image_data(ptr(), &p, &n));
        return n;
    }
    /// The elements, C order (copied).
    std::vector<double> data() const {
        const double *p;
        size_t n;
        check(deeptrack_image_data(ptr(), &p, &n));
        return std::vector<double>(p, p + n);
    }
    /// The elements, C order, borrowed: valid while the image lives (size() of them).
    const double *data_ptr() const {
        const double *p;
        size_t n;
        check(deeptrack_image_data(ptr(), &p, &n));
        return p;
    }
    /// Copies the elements into `buf` of `len` doubles (BUFFER_TOO_SMALL if it is too short).
    void copy_to(double *buf, size_t len) const { check(deeptrack_image_copy_to(ptr(), buf, len)); }
    /// The number of property dicts.
    size_t property_count() const { return deeptrack_image_property_count(ptr()); }
    /// Property dict `index`, borrowed (valid while the image lives and its list is not changed).
    PropertyDict property_dict(size_t index) const {
        const deeptrack_property_dict *d;
        check(deeptrack_image_property_dict(ptr(), index, &d));
        return PropertyDict(d);
    }
    /// Every property dict, in order (borrowed, as property_dict()).
    std::vector<PropertyDict> property_dicts() const {
        std::vector<PropertyDict> all;
        for (size_t i = 0, n = property_count(); i < n; i++) all.push_back(property_dict(i));
        return all;
    }
    /// The first value of `key`, or all values (a list) with `get_one` false; throws NOT_FOUND if none.
    Value get_property(CStr key, bool get_one = true) const;
    /// As get_property(), but nothing (instead of NOT_FOUND) when no dict has `key`.
    std::optional<Value> find_property(CStr key, bool get_one = true) const;
    /// The property dicts holding `key` (every dict for a null `key`) as one JSON table
    /// (`deeptrack_image_table_json`: their scalar entries, and `key`'s value as nested lists).
    std::string table_json(CStr key = CStr(nullptr)) const {
        return detail::read_text([this, &key](char *buf, size_t len, size_t *needed) {
            return deeptrack_image_table_json(ptr(), key.c_str(), buf, len, needed);
        });
    }
    /// A new image sharing the data and holding the same property dicts.
    Image clone() const;
    /// Writes a 16-bit grayscale PNG (a 2-D or (H, W, 1) image scaled to its range); returns the
    /// minimum and maximum that were mapped to 0 and 65535.
    std::array<double, 2> save_png(CStr path) const {
        std::array<double, 2> range{};
        check(deeptrack_image_save_png(ptr(), path.c_str(), range.data()));
        return range;
    }

  private:
    const deeptrack_image *ptr() const noexcept { return static_cast<const D &>(*this).get(); }
};
} // namespace detail

/// A borrowed image (a custom feature's input, or a view of an Image): never freed, valid while its
/// owner lives (a custom feature's input: during the call). clone() makes an owned Image.
class ImageView : public detail::ImageReader<ImageView> {
  public:
    /// An empty view (no image, e.g. resolving without input).
    ImageView() noexcept = default;
    /// Borrows `img` (NULL for none).
    explicit ImageView(const deeptrack_image *img) noexcept : img_(img) {}
    /// The borrowed C pointer.
    const deeptrack_image *get() const noexcept { return img_; }
    /// Whether the view points to an image.
    explicit operator bool() const noexcept { return img_ != nullptr; }

  private:
    const deeptrack_image *img_ = nullptr;
};

/// An owned image.
class Image : public detail::Handle<deeptrack_image, deeptrack_image_free>, public detail::ImageReader<Image> {
  public:
    using Handle::get;
    using Handle::Handle;
    /// An image of `shape` holding a copy of `data` (C order; as many elements as the shape, else
    /// INVALID_ARGUMENT), without properties.
    Image(const std::vector<double> &data, const std::vector<size_t> &shape) : Handle(nullptr) {
        detail::check_data_fits(data.size(), shape);
        deeptrack_image *img;
        check(deeptrack_image_new(data.data(), shape.data(), shape.size(), &img));
        *this = Image(img);
    }
    /// A borrowed view of this image.
    ImageView view() const noexcept { return ImageView(get()); }
    /// A borrowed view of this image (for functions taking views).
    operator ImageView() const noexcept { return view(); }
    /// Appends every dict of `other` that this image does not hold as the same dict (identity).
    void merge_properties_from(ImageView other) { check(deeptrack_image_merge_properties_from(get(), other.get())); }
    /// Appends dict `d` (shared, keeping its identity; no deduplication).
    void append_properties(PropertyDict d) { check(deeptrack_image_append_properties(get(), d.get())); }
    /// Marks the image complex (its last axis, of length 2, holds the real and imaginary parts; else
    /// INVALID_ARGUMENT) or real.
    void set_complex(bool complex) { check(deeptrack_image_set_complex(get(), complex)); }
    /// Appends a new dict of copies of `entries` (keys non-empty and distinct) and returns it, borrowed.
    PropertyDict push_properties(const std::vector<std::pair<std::string, ValueView>> &entries) {
        std::vector<const char *> keys;
        std::vector<const deeptrack_value *> values;
        for (const auto &entry : entries) {
            keys.push_back(entry.first.c_str());
            values.push_back(entry.second.get());
        }
        const deeptrack_property_dict *d;
        check(deeptrack_image_push_properties(get(), keys.data(), values.data(), entries.size(), &d));
        return PropertyDict(d);
    }
};

/// Takes the calling thread's pending warnings (what resolves reported without failing, e.g. a
/// `NonOverlapping` that could not place its volumes apart), oldest first.
inline std::vector<std::string> take_warnings() {
    std::string text = detail::read_text(deeptrack_take_warnings);
    std::vector<std::string> out;
    size_t start = 0;
    while (!text.empty() && start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

template <typename D> Value detail::ImageReader<D>::get_property(CStr key, bool get_one) const {
    deeptrack_value *v;
    check(deeptrack_image_get_property(ptr(), key.c_str(), get_one, &v));
    return Value(v);
}

template <typename D> std::optional<Value> detail::ImageReader<D>::find_property(CStr key, bool get_one) const {
    deeptrack_value *v;
    deeptrack_status status = deeptrack_image_get_property(ptr(), key.c_str(), get_one, &v);
    if (status == DEEPTRACK_STATUS_NOT_FOUND) return std::nullopt;
    check(status);
    return Value(v);
}

template <typename D> Image detail::ImageReader<D>::clone() const {
    deeptrack_image *img;
    check(deeptrack_image_clone(ptr(), &img));
    return Image(img);
}

/// What a sampling callback sees while it runs: sibling properties, the evaluation's random
/// generator and the replicate index. Valid only during the callback that received it.
class SampleContext {
  public:
    /// Wraps the context passed to a running callback.
    explicit SampleContext(deeptrack_sample_context *ctx) noexcept : ctx_(ctx) {}
    /// The C context.
    deeptrack_sample_context *get() const noexcept { return ctx_; }
    /// The value of sibling property `name`, sampled first if needed (which makes it a dependency);
    /// borrowed until the callback returns. NOT_FOUND for an unknown name, CYCLE for a cycle.
    ValueView get(CStr name) const {
        const deeptrack_value *v;
        check(deeptrack_context_get(ctx_, name.c_str(), &v));
        return ValueView(v);
    }
    /// A draw from U[0, 1) with the evaluation's (seedable) generator.
    double uniform() const {
        double x;
        check(deeptrack_context_uniform(ctx_, &x));
        return x;
    }
    /// A draw from the standard normal distribution with the evaluation's (seedable) generator.
    double normal() const {
        double x;
        check(deeptrack_context_normal(ctx_, &x));
        return x;
    }
    /// DeepTrack2's `pixel` unit in meters: the pixel size of the optics imaging the feature
    /// (`resolution / magnification`), 1 µm outside a microscope.
    double pixel_size() const {
        double x;
        check(deeptrack_context_pixel_size(ctx_, &x));
        return x;
    }
    /// The replicate index (`_ID`): empty at top level, one entry inside a repeat, ...
    std::vector<size_t> replicate_index() const {
        size_t small[16];
        size_t depth = 0;
        deeptrack_status status = deeptrack_context_replicate_index(ctx_, small, 16, &depth);
        if (status == DEEPTRACK_STATUS_OK) return std::vector<size_t>(small, small + depth);
        if (status != DEEPTRACK_STATUS_BUFFER_TOO_SMALL) check(status);
        std::vector<size_t> index(depth);
        check(deeptrack_context_replicate_index(ctx_, index.data(), index.size(), &depth));
        index.resize(depth);
        return index;
    }

  private:
    deeptrack_sample_context *ctx_;
};

/// A sampling callback: returns the property's new value (an empty Value fails the resolve). It may
/// throw: the exception fails the resolve, whose deeptrack::Error then contains its what().
using SampleFunction = std::function<Value(SampleContext &ctx)>;

/// A custom feature's computation: returns the output image, or an empty Image to pass the input
/// through. `input` is empty when resolved without input; `input` and `properties` are borrowed for
/// the call. It may throw: the exception fails the resolve, whose deeptrack::Error then contains its
/// what().
using GetFunction = std::function<Image(ImageView input, PropertyDict properties)>;

/// A custom feature's computation that may give no image (DeepTrack2's `get` returning None; the C
/// API's DEEPTRACK_STATUS_NO_IMAGE): returns the output image, an empty Image to pass the input
/// through, or std::nullopt for no image. Resolved on one image, the pipeline then gives none (an
/// empty Image from resolve(), no images from resolve_many()); resolved on a list, that image is left
/// out and what follows computes the others. As GetFunction otherwise. A lambda returning
/// std::optional<Image> given to Feature::custom is one of these (write its return type:
/// `[](ImageView in, PropertyDict) -> std::optional<Image> { ... }`).
using OptionalGetFunction = std::function<std::optional<Image>(ImageView input, PropertyDict properties)>;

namespace detail {
/// Records `message` as the failing callback's explanation and returns `status`.
inline deeptrack_status fail_callback(deeptrack_status status, const char *message) noexcept {
    deeptrack_set_error_message(message);
    return status == DEEPTRACK_STATUS_OK ? static_cast<deeptrack_status>(DEEPTRACK_STATUS_CALLBACK_FAILED) : status;
}

/// Runs a callback body; no exception crosses into the library: each becomes a failure status with
/// its message (a deeptrack::Error keeps its status and message).
template <typename Body> deeptrack_status guard_callback(Body &&body) noexcept {
    try {
        return body();
    } catch (const Error &e) {
        return fail_callback(e.status(), e.message().c_str());
    } catch (const std::bad_alloc &e) {
        return fail_callback(DEEPTRACK_STATUS_OUT_OF_MEMORY, e.what());
    } catch (const std::exception &e) {
        return fail_callback(DEEPTRACK_STATUS_CALLBACK_FAILED, e.what());
    } catch (...) {
        return fail_callback(DEEPTRACK_STATUS_CALLBACK_FAILED, "a C++ exception that is not a std::exception");
    }
}

/// The C sampling callback running a SampleFunction.
inline deeptrack_status sample_trampoline(void *userdata, deeptrack_sample_context *ctx,
                                          deeptrack_value **out) noexcept {
    return guard_callback([&]() -> deeptrack_status {
        SampleContext context(ctx);
        Value value = (*static_cast<SampleFunction *>(userdata))(context);
        *out = value.release();
        return DEEPTRACK_STATUS_OK;
    });
}

/// The C get callback running a GetFunction.
inline deeptrack_status get_trampoline(void *userdata, const deeptrack_image *input,
                                       const deeptrack_property_dict *properties, deeptrack_image **output) noexcept {
    return guard_callback([&]() -> deeptrack_status {
        Image result = (*static_cast<GetFunction *>(userdata))(ImageView(input), PropertyDict(properties));
        *output = result.release();
        return DEEPTRACK_STATUS_OK;
    });
}

/// The C get callback of an OptionalGetFunction: std::nullopt is DEEPTRACK_STATUS_NO_IMAGE.
inline deeptrack_status optional_get_trampoline(void *userdata, const deeptrack_image *input,
                                                const deeptrack_property_dict *properties,
                                                deeptrack_image **output) noexcept {
    return guard_callback([&]() -> deeptrack_status {
        std::optional<Image> result =
            (*static_cast<OptionalGetFunction *>(userdata))(ImageView(input), PropertyDict(properties));
        if (!result) return DEEPTRACK_STATUS_NO_IMAGE;
        *output = result->release();
        return DEEPTRACK_STATUS_OK;
    });
}

/// Whether a callable `Fn` of (ImageView, PropertyDict) returns std::optional<Image> (a custom
/// feature's computation that may give no image).
template <typename Fn>
constexpr bool may_give_no_image =
    std::is_same_v<std::decay_t<std::invoke_result_t<Fn &, ImageView, PropertyDict>>, std::optional<Image>>;

/// Whether `Fn` is one of the two std::function types of custom features (taken without a template).
template <typename Fn>
constexpr bool is_get_function =
    std::is_same_v<std::decay_t<Fn>, GetFunction> || std::is_same_v<std::decay_t<Fn>, OptionalGetFunction>;

/// free_userdata for a heap-allocated `Fn`.
template <typename Fn> void delete_userdata(void *userdata) noexcept { delete static_cast<Fn *>(userdata); }

/// Throws NULL_ARGUMENT for an empty std::function.
template <typename Fn> void check_callable(const Fn &fn) {
    if (!fn) throw Error(DEEPTRACK_STATUS_NULL_ARGUMENT, "the callback is an empty std::function");
}
} // namespace detail

class Feature;

/// An owned sampling rule (given to Feature::set, which takes it).
class Rule : public detail::Handle<deeptrack_rule, deeptrack_rule_free> {
  public:
    using Handle::Handle;
    /// Always a copy of `v`.
    static Rule constant(ValueView v) { deeptrack_rule *r; check(deeptrack_rule_constant(v.get(), &r)); return Rule(r); }
    /// A float from U[low, high).
    static Rule uniform(double low, double high) { deeptrack_rule *r; check(deeptrack_rule_uniform(low, high, &r)); return Rule(r); }
    /// A 1-d array, element i from U[low[i], high[i]).
    static Rule uniform(const std::vector<double> &low, const std::vector<double> &high) {
        if (low.size() != high.size()) throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, "low and high differ in length");
        deeptrack_rule *r;
        check(deeptrack_rule_uniform_array(low.data(), high.data(), low.size(), &r));
        return Rule(r);
    }
    /// A 1-d array, element i from U[low[i], high[i]) (as uniform() with vectors).
    static Rule uniform_array(const std::vector<double> &low, const std::vector<double> &high) {
        return uniform(low, high);
    }
    /// `v` pixels (numbers, arrays, lists) in meters at the pixel size of the optics imaging the
    /// feature, for a length in meters (`DEEPTRACK_PARAM_FLAG_METERS`, a scatterer's radius).
    static Rule pixels(ValueView v) { deeptrack_rule *r; check(deeptrack_rule_pixels(v.get(), &r)); return Rule(r); }
    /// `v` meters (numbers, arrays, lists) in pixels of the optics imaging the feature, for a number
    /// of pixels (`DEEPTRACK_PARAM_FLAG_PIXELS`, a scatterer's position and z).
    static Rule meters(ValueView v) { deeptrack_rule *r; check(deeptrack_rule_meters(v.get(), &r)); return Rule(r); }
    /// A float from N(mean, std²).
    static Rule normal(double mean, double std) { deeptrack_rule *r; check(deeptrack_rule_normal(mean, std, &r)); return Rule(r); }
    /// An integer from [low, high).
    static Rule randint(int64_t low, int64_t high) { deeptrack_rule *r; check(deeptrack_rule_randint(low, high, &r)); return Rule(r); }
    /// One item of the list `list` (copied), uniformly.
    static Rule choice(ValueView list) { deeptrack_rule *r; check(deeptrack_rule_choice(list.get(), &r)); return Rule(r); }
    /// One of `items` (copied), uniformly.
    static Rule choice(std::initializer_list<ValueView> items) { return choice(Value::list(items)); }
    /// A value computed by `fn` (never run on two threads at once). The rule owns `fn` and destroys it
    /// when the last feature or rule using it goes.
    static Rule callback(SampleFunction fn) { return make_callback(std::move(fn), deeptrack_rule_callback); }
    /// As callback(), for a thread-safe `fn` that the library may run on several threads at once.
    static Rule callback_threadsafe(SampleFunction fn) {
        return make_callback(std::move(fn), deeptrack_rule_callback_threadsafe);
    }
    /// The value of property `key` of `source` (`B(pos=A.pos)`); keeps `source` alive.
    static Rule property_of(const Feature &source, CStr key);
    /// The output of resolving `source` without input (a feature as a property value: `X + Y` is
    /// `X >> Add(value=Y)`); keeps `source` alive.
    static Rule feature(const Feature &source);
    /// A LIST (a TUPLE when `tuple`) of the values of `items`, each sampled in turn: the list
    /// property of `feature[mask]` (`Slice(slices=[the output of mask])`); features the items hold
    /// are shared, the items stay the caller's.
    static Rule list(const std::vector<Rule> &items, bool tuple = false) {
        std::vector<const deeptrack_rule *> handles;
        handles.reserve(items.size());
        for (const Rule &item : items) handles.push_back(item.get());
        deeptrack_rule *r;
        check(deeptrack_rule_list(handles.data(), handles.size(), tuple, &r));
        return Rule(r);
    }

  private:
    template <typename Register> static Rule make_callback(SampleFunction fn, Register register_fn) {
        detail::check_callable(fn);
        auto owned = std::make_unique<SampleFunction>(std::move(fn));
        deeptrack_rule *r;
        check(register_fn(&detail::sample_trampoline, owned.get(), &detail::delete_userdata<SampleFunction>, &r));
        owned.release(); // the rule owns it now
        return Rule(r);
    }
};

/// An owned feature handle (features are reference counted inside the library).
class Feature : public detail::Handle<deeptrack_feature, deeptrack_feature_free> {
  public:
    using Handle::Handle;
    /// A built-in feature by DeepTrack class name ("Add", "PointParticle", "Fluorescence", ...).
    explicit Feature(CStr kind) : Handle(nullptr) {
        deeptrack_feature *f;
        check(deeptrack_feature_new(kind.c_str(), &f));
        *this = Feature(f);
    }
    /// A custom feature named `name` computing `get` (never run on two threads at once). The feature
    /// owns `get` and destroys it when the last reference to the feature goes.
    static Feature custom(CStr name, GetFunction get) {
        return make_custom(name, std::move(get), deeptrack_feature_new_custom, &detail::get_trampoline);
    }
    /// A custom feature named `name` whose `get` may give no image (std::nullopt), as custom().
    static Feature custom(CStr name, OptionalGetFunction get) {
        return make_custom(name, std::move(get), deeptrack_feature_new_custom, &detail::optional_get_trampoline);
    }
    /// custom() of any callable: one returning std::optional<Image> is an OptionalGetFunction, any
    /// other a GetFunction.
    template <typename Fn, typename = std::enable_if_t<!detail::is_get_function<Fn>>>
    static Feature custom(CStr name, Fn &&get) {
        if constexpr (detail::may_give_no_image<Fn>) return custom(name, OptionalGetFunction(std::forward<Fn>(get)));
        else return custom(name, GetFunction(std::forward<Fn>(get)));
    }
    /// As custom(), for a thread-safe `get` that the library may run on several threads at once.
    static Feature custom_threadsafe(CStr name, GetFunction get) {
        return make_custom(name, std::move(get), deeptrack_feature_new_custom_threadsafe, &detail::get_trampoline);
    }
    /// As custom() of an OptionalGetFunction, for a thread-safe `get`.
    static Feature custom_threadsafe(CStr name, OptionalGetFunction get) {
        return make_custom(name, std::move(get), deeptrack_feature_new_custom_threadsafe,
                           &detail::optional_get_trampoline);
    }
    /// custom_threadsafe() of any callable, as custom().
    template <typename Fn, typename = std::enable_if_t<!detail::is_get_function<Fn>>>
    static Feature custom_threadsafe(CStr name, Fn &&get) {
        if constexpr (detail::may_give_no_image<Fn>) {
            return custom_threadsafe(name, OptionalGetFunction(std::forward<Fn>(get)));
        } else {
            return custom_threadsafe(name, GetFunction(std::forward<Fn>(get)));
        }
    }
    /// Sets property `key` (the rule is consumed, even when this throws).
    Feature &set(CStr key, Rule rule) {
        check(deeptrack_feature_set_property(get(), key.c_str(), rule.release()));
        return *this;
    }
    /// Sets property `key` to a constant copy of `v`.
    Feature &set(CStr key, ValueView v) { return set(key, Rule::constant(v)); }
    /// Sets property `key` to the output of `source` (Rule::feature).
    Feature &set(CStr key, const Feature &source) { return set(key, Rule::feature(source)); }
    /// The current value of property `key` (sampled if needed); NOT_FOUND if there is none.
    Value property(CStr key) const {
        deeptrack_value *v;
        check(deeptrack_feature_get_property(get(), key.c_str(), &v));
        return Value(v);
    }
    /// The current value of property `key` (as property()).
    Value get_property(CStr key) const { return property(key); }
    /// Whether the feature has property `key` (nothing is sampled).
    bool has_property(CStr key) const {
        bool has;
        check(deeptrack_feature_has_property(get(), key.c_str(), &has));
        return has;
    }
    /// Turns storing of properties on (or off) for this feature and every feature it contains.
    Feature &store_properties(bool enable = true) { check(deeptrack_feature_store_properties(get(), enable)); return *this; }
    /// Seeds the pipeline: later samples are reproducible.
    Feature &seed(uint64_t s) { check(deeptrack_feature_seed(get(), s)); return *this; }
    /// Re-samples: the next resolve draws new values.
    Feature &update() { check(deeptrack_feature_update(get())); return *this; }
    /// Resolves on `input` (or the stored input); an empty Image when the pipeline produced none.
    Image resolve(const Image *input = nullptr) const {
        deeptrack_image *out;
        check(deeptrack_feature_resolve(get(), input ? input->get() : nullptr, &out));
        return Image(out);
    }
    /// Resolves on `input` (an empty view: the stored input); an empty Image when there is no output.
    Image resolve(ImageView input) const {
        deeptrack_image *out;
        check(deeptrack_feature_resolve(get(), input.get(), &out));
        return Image(out);
    }
    /// Resolves a pipeline whose result is a list of images (as resolve() otherwise).
    std::vector<Image> resolve_many(ImageView input = {}) const {
        constexpr size_t small_cap = 8;
        deeptrack_image *small[small_cap];
        size_t count = 0;
        std::vector<Image> images;
        images.reserve(small_cap);
        deeptrack_status status = deeptrack_feature_resolve_many(get(), input.get(), small, small_cap, &count);
        if (status == DEEPTRACK_STATUS_OK) {
            for (size_t i = 0; i < count; i++) images.emplace_back(small[i]);
            return images;
        }
        if (status != DEEPTRACK_STATUS_BUFFER_TOO_SMALL) check(status);
        std::vector<deeptrack_image *> raw(count);
        images.reserve(count);
        check(deeptrack_feature_resolve_many(get(), input.get(), raw.data(), raw.size(), &count));
        for (size_t i = 0; i < count; i++) images.emplace_back(raw[i]);
        return images;
    }
    /// Resolves on a list of images, as DeepTrack2 resolves a list (deeptrack_feature_resolve_list:
    /// distributed features compute each image on its own; an empty list is no input). Returns every
    /// output image.
    std::vector<Image> resolve_list(const std::vector<ImageView> &inputs) const {
        std::vector<const deeptrack_image *> raw_inputs;
        raw_inputs.reserve(inputs.size());
        for (const ImageView &input : inputs) raw_inputs.push_back(input.get());
        size_t count = 0;
        std::vector<deeptrack_image *> raw(inputs.size() + 1);
        deeptrack_status status =
            deeptrack_feature_resolve_list(get(), raw_inputs.data(), raw_inputs.size(), raw.data(), raw.size(), &count);
        if (status == DEEPTRACK_STATUS_BUFFER_TOO_SMALL) {
            raw.resize(count);
            status = deeptrack_feature_resolve_list(get(), raw_inputs.data(), raw_inputs.size(), raw.data(),
                                                    raw.size(), &count);
        }
        check(status);
        std::vector<Image> images;
        images.reserve(count);
        for (size_t i = 0; i < count; i++) images.emplace_back(raw[i]);
        return images;
    }
    /// Items `first .. first + count` of the stream `seed`: item i depends only on (pipeline, seed, i),
    /// never on `threads` (0: one per core). This feature, its caches and its stored input are not
    /// touched.
    std::vector<Image> resolve_batch(uint64_t seed, uint64_t first, size_t count, size_t threads = 0,
                                     ImageView input = {}) const {
        std::vector<deeptrack_image *> raw(count);
        std::vector<Image> images;
        images.reserve(count);
        check(deeptrack_feature_resolve_batch(get(), input.get(), seed, first, count, threads, raw.data()));
        for (deeptrack_image *img : raw) images.emplace_back(img);
        return images;
    }
    /// `*this >> next`.
    Feature chain(const Feature &next) const {
        deeptrack_feature *f;
        check(deeptrack_feature_chain(get(), next.get(), &f));
        return Feature(f);
    }
    /// `*this >> next`.
    Feature operator>>(const Feature &next) const { return chain(next); }
    /// `*this ^ n`: this feature applied n times (`N` is a property of the repeat).
    Feature repeat(size_t n) const {
        deeptrack_feature *f;
        check(deeptrack_feature_repeat(get(), n, &f));
        return Feature(f);
    }
    /// `*this ^ n`.
    Feature operator^(size_t n) const { return repeat(n); }
    /// `optics(sample)`: a microscope imaging `sample` with this feature as the optics.
    Feature operator()(const Feature &sample) const {
        deeptrack_feature *f;
        check(deeptrack_feature_microscope(get(), sample.get(), &f));
        return Feature(f);
    }

  private:
    template <typename Fn, typename Register, typename Trampoline>
    static Feature make_custom(CStr name, Fn get, Register register_fn, Trampoline trampoline) {
        detail::check_callable(get);
        auto owned = std::make_unique<Fn>(std::move(get));
        deeptrack_feature *f;
        check(register_fn(name.c_str(), trampoline, owned.get(), &detail::delete_userdata<Fn>, &f));
        owned.release(); // the feature owns it now
        return Feature(f);
    }
};

/// `optics(sample)`: a microscope imaging `sample` with `optics`.
inline Feature microscope(const Feature &optics, const Feature &sample) { return optics(sample); }

inline Rule Rule::property_of(const Feature &source, CStr key) {
    deeptrack_rule *r;
    check(deeptrack_rule_property_of(source.get(), key.c_str(), &r));
    return Rule(r);
}

inline Rule Rule::feature(const Feature &source) {
    deeptrack_rule *r;
    check(deeptrack_rule_feature(source.get(), &r));
    return Rule(r);
}

} // namespace deeptrack

#endif // DEEPTRACK_HPP
