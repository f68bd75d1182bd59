// deeptrack.hpp: a header-only C++17 wrapper over the deeptrack C API (include/deeptrack.h).
//
// Handles become move-only RAII objects that free themselves; failed calls throw deeptrack::Error
// carrying the status and the library's message. Borrowed C pointers (list items, property dicts, a
// custom feature's input, a callback's context) become small copyable views (ValueView, PropertyDict,
// ImageView, SampleContext) that own nothing and are valid as long as the C API says the pointer is.
// Callbacks are std::function objects owned by the rule or feature (freed through free_userdata): sampling
// rules, custom, appending and Merge features, scatterers' volumes; a borrowed image owns its release
// function, and a batch's progress function stays the caller's. An exception thrown by a callback is
// caught at the C boundary and fails the resolve with the exception's text (a progress function's is
// rethrown by the batch). It wraps every function of the C API: tests/cpp.rs checks that it calls each.
// Hand-written (the C header is the generated one).
#ifndef DEEPTRACK_HPP
#define DEEPTRACK_HPP

#include <algorithm>
#include <array>
#include <complex>
#include <exception>
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
#include <typeinfo>
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

/// Sets how long, in milliseconds, a call waits behind one call of a callback that is not thread-safe
/// and runs on another thread before it throws BUSY ("held by a running callback"), for every thread
/// (10000 until set); returns the limit it replaces. See deeptrack_set_callback_wait.
inline uint32_t set_callback_wait(uint32_t ms) {
    uint32_t previous = 0;
    check(deeptrack_set_callback_wait(ms, &previous));
    return previous;
}

/// Closes callbacks for good, for a host shutting down: from now on the library runs no callback (a
/// resolve needing one throws CALLBACK_FAILED, "callbacks are closed"; a batch's progress callback is
/// skipped) and frees no callback's std::function (left to the process's end). Waits at most
/// `wait_ms` milliseconds for the callbacks running on other threads; returns how many still run.
inline size_t close_callbacks(uint32_t wait_ms) {
    size_t still_running = 0;
    check(deeptrack_close_callbacks(wait_ms, &still_running));
    return still_running;
}

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
/// What Value::object() gives the library: a share of the object and its type, deleted by
/// release_held() when the library lets the last copy of the value go (on any thread).
struct HeldObject {
    std::shared_ptr<void> object;
    const std::type_info *type;
};
/// The release function of Value::object()'s values (it also tells them from other hosts' objects).
inline void release_held(void *held) { delete static_cast<HeldObject *>(held); }
/// A new HeldObject sharing `obj`, for the library to own.
template <typename T> HeldObject *hold(std::shared_ptr<T> obj) {
    return new HeldObject{std::static_pointer_cast<void>(std::move(obj)), &typeid(T)};
}
/// The `T` that `held` (read back from the library with its `release`) shares, or nullptr for an
/// object of another type or one this wrapper did not make.
template <typename T> std::shared_ptr<T> held_as(void *held, deeptrack_free_fn release) {
    if (release != release_held) return nullptr;
    auto *h = static_cast<HeldObject *>(held);
    if (*h->type != typeid(T)) return nullptr;
    return std::static_pointer_cast<T>(h->object);
}

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
    /// A complex number, or a float or int with a zero imaginary part; throws TYPE_MISMATCH for other
    /// kinds.
    std::complex<double> as_complex() const {
        double re, im;
        check(deeptrack_value_as_complex(ptr(), &re, &im));
        return {re, im};
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
    /// The elements of a complex array (DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY), C order (copied); throws
    /// TYPE_MISMATCH for other kinds (a real array is read with as_array()).
    std::vector<std::complex<double>> as_complex_array() const {
        const double *data;
        const size_t *shape;
        size_t ndim;
        check(deeptrack_value_array_complex(ptr(), &data, &shape, &ndim));
        size_t n = 1;
        for (size_t i = 0; i < ndim; i++) n *= shape[i];
        std::vector<std::complex<double>> out(n);
        for (size_t i = 0; i < n; i++) out[i] = std::complex<double>(data[2 * i], data[2 * i + 1]);
        return out;
    }
    /// The elements of a boolean array (DEEPTRACK_VALUE_KIND_BOOL_ARRAY, numpy's mask), C order
    /// (copied); throws TYPE_MISMATCH for other kinds.
    std::vector<bool> as_bool_array() const {
        const bool *data;
        const size_t *shape;
        size_t ndim;
        check(deeptrack_value_array_bool(ptr(), &data, &shape, &ndim));
        size_t n = 1;
        for (size_t i = 0; i < ndim; i++) n *= shape[i];
        return std::vector<bool>(data, data + n);
    }
    /// The elements of an integer array (DEEPTRACK_VALUE_KIND_INT_ARRAY, numpy's integer array), C
    /// order (copied); throws TYPE_MISMATCH for other kinds (a float array is read with as_array()).
    std::vector<int64_t> as_int_array() const {
        const int64_t *data;
        const size_t *shape;
        size_t ndim;
        check(deeptrack_value_array_int(ptr(), &data, &shape, &ndim));
        size_t n = 1;
        for (size_t i = 0; i < ndim; i++) n *= shape[i];
        return std::vector<int64_t>(data, data + n);
    }
    /// The object of an OBJECT value made by Value::object() with the same `T` (a new share of it);
    /// nullptr for one of another type or made elsewhere (a C host's); throws TYPE_MISMATCH for other
    /// kinds.
    template <typename T> std::shared_ptr<T> as_object() const {
        void *held;
        deeptrack_free_fn release;
        check(deeptrack_value_object(ptr(), &held, &release));
        return detail::held_as<T>(held, release);
    }
    /// The shape of an array: a float, complex, boolean or integer array; throws TYPE_MISMATCH for
    /// other kinds.
    std::vector<size_t> array_shape() const {
        const size_t *shape;
        size_t ndim;
        if (kind() == DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY) {
            check(deeptrack_value_array_complex(ptr(), nullptr, &shape, &ndim));
        } else if (kind() == DEEPTRACK_VALUE_KIND_BOOL_ARRAY) {
            check(deeptrack_value_array_bool(ptr(), nullptr, &shape, &ndim));
        } else if (kind() == DEEPTRACK_VALUE_KIND_INT_ARRAY) {
            check(deeptrack_value_array_int(ptr(), nullptr, &shape, &ndim));
        } else {
            check(deeptrack_value_array(ptr(), nullptr, &shape, &ndim));
        }
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
    /// A complex number.
    static Value of(std::complex<double> x) {
        deeptrack_value *v;
        check(deeptrack_value_new_complex(x.real(), x.imag(), &v));
        return Value(v);
    }
    /// An n-d complex array of `shape` (C order, copied; DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY); `data`
    /// must hold as many elements as the shape (INVALID_ARGUMENT otherwise).
    static Value complex_array(const std::vector<std::complex<double>> &data, const std::vector<size_t> &shape) {
        detail::check_data_fits(data.size(), shape);
        std::vector<double> parts(2 * data.size());
        for (size_t i = 0; i < data.size(); i++) {
            parts[2 * i] = data[i].real();
            parts[2 * i + 1] = data[i].imag();
        }
        deeptrack_value *v;
        check(deeptrack_value_new_array_complex(parts.data(), shape.data(), shape.size(), &v));
        return Value(v);
    }
    /// An n-d boolean array of `shape` (numpy's bool array, a mask; C order, copied;
    /// DEEPTRACK_VALUE_KIND_BOOL_ARRAY); `data` must hold as many elements as the shape
    /// (INVALID_ARGUMENT otherwise).
    static Value bool_array(const std::vector<bool> &data, const std::vector<size_t> &shape) {
        detail::check_data_fits(data.size(), shape);
        std::unique_ptr<bool[]> bytes(new bool[data.size() + 1]);
        for (size_t i = 0; i < data.size(); i++) bytes[i] = data[i];
        deeptrack_value *v;
        check(deeptrack_value_new_array_bool(bytes.get(), shape.data(), shape.size(), &v));
        return Value(v);
    }
    /// An n-d integer array of `shape` (numpy's integer array; C order, copied;
    /// DEEPTRACK_VALUE_KIND_INT_ARRAY); `data` must hold as many elements as the shape
    /// (INVALID_ARGUMENT otherwise).
    static Value int_array(const std::vector<int64_t> &data, const std::vector<size_t> &shape) {
        detail::check_data_fits(data.size(), shape);
        deeptrack_value *v;
        check(deeptrack_value_new_array_int(data.data(), shape.data(), shape.size(), &v));
        return Value(v);
    }
    /// An object of the program's (DEEPTRACK_VALUE_KIND_OBJECT): the library holds a share of it
    /// without reading it, and it travels with the properties (the dicts of every image,
    /// `property()`); the share is released when the value's last copy goes, on whichever thread lets
    /// it go (so `T` must be safe to destroy there), before the library call that let it go returns
    /// and never while the library holds a lock: its destructor may call the library (free a Feature
    /// or an Image it holds). A kind that would compute with it throws
    /// TYPE_MISMATCH naming the property.
    template <typename T> static Value object(std::shared_ptr<T> obj) {
        auto *held = detail::hold(std::move(obj));
        deeptrack_value *v;
        deeptrack_status status = deeptrack_value_new_object(held, detail::release_held, &v);
        if (status != DEEPTRACK_STATUS_OK) delete held; // nothing was taken
        check(status);
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
    /// A tuple of copies of `items` (DEEPTRACK_VALUE_KIND_TUPLE: a property set to it reads back as a
    /// tuple; the library takes it as a list elsewhere).
    static Value tuple(std::initializer_list<ValueView> items = {}) {
        deeptrack_value *v;
        check(deeptrack_value_new_tuple(&v));
        Value result(v);
        for (ValueView item : items) result.push(item);
        return result;
    }
    /// Appends a copy of `item` to this list or tuple (TYPE_MISMATCH for another kind); invalidates
    /// views of its items.
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

/// numpy's name of the type numbered `dtype` (a `DEEPTRACK_DTYPE_*` number: "float64", "uint8",
/// "bool", ...); INVALID_ARGUMENT for another number.
inline std::string dtype_name(uint32_t dtype) {
    const char *name = deeptrack_dtype_name(dtype);
    if (name == nullptr) {
        throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, std::to_string(dtype) + " is no DEEPTRACK_DTYPE_*");
    }
    return name;
}

/// Where an image's elements are in memory, as doubles (ImageView::layout()): element
/// `[i0, i1, ...]` is at `data[i0 * strides[0] + i1 * strides[1] + ...]`. Borrowed: valid while the
/// image (or an image sharing its samples) lives.
struct Layout {
    /// The element at index 0 on every axis (null when there are no elements).
    const double *data = nullptr;
    /// The signed distance in elements between neighbours along each axis.
    std::vector<ptrdiff_t> strides;
    /// Whether the strides are not the C-order ones (a view: Transpose, a flip, a crop, a complex part).
    bool permuted = false;
};

/// Where an image's samples are in memory, in the type the image holds them in (ImageView::samples()):
/// element `[i0, i1, ...]` is at `data[i0 * strides[0] + ...]` counted in elements of `dtype`
/// (`int8_t` ... `uint64_t`, `float`, half-precision bits as `uint16_t`, one byte 0 or 1 for bool,
/// `double`). Borrowed: valid while the image (or an image sharing its samples) lives.
struct Samples {
    /// The element at index 0 on every axis (null when there are no elements).
    const void *data = nullptr;
    /// The samples' type, a `DEEPTRACK_DTYPE_*` number (dtype_name() names it).
    uint32_t dtype = DEEPTRACK_DTYPE_FLOAT64;
    /// The signed distance in elements (of `dtype`) between neighbours along each axis.
    std::vector<ptrdiff_t> strides;
    /// Whether the strides are not the C-order ones.
    bool permuted = false;
};

namespace detail {
/// The read-only accessors shared by Image (owned) and ImageView (borrowed); `D::get()` gives the C
/// pointer.
template <typename D> class ImageReader {
  public:
    /// The object an image standing for one holds (Image::object() with the same `T`: a new share);
    /// nullptr for an object of another type or made elsewhere; throws TYPE_MISMATCH for an image of
    /// samples.
    template <typename T> std::shared_ptr<T> as_object() const {
        void *held;
        deeptrack_free_fn release;
        check(deeptrack_image_object(ptr(), &held, &release));
        return held_as<T>(held, release);
    }
    /// The number of dimensions.
    size_t ndim() const { return deeptrack_image_ndim(ptr()); }
    /// Whether the image holds complex numbers: its last axis (of length 2) holds the real and
    /// imaginary parts (`ComplexGaussian`'s result).
    bool is_complex() const {
        bool complex = false;
        check(deeptrack_image_is_complex(ptr(), &complex));
        return complex;
    }
    /// numpy's type of the samples, a `DEEPTRACK_DTYPE_*` number (Image::typed's, `AsType`'s output; float64
    /// otherwise); dtype_name() names it. The samples are read as doubles either way.
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
    /// The elements where they are in memory, without copying (a view of another image's memory
    /// lends that memory with its own strides; narrow samples are lent as their float64 values).
    Layout layout() const {
        Layout out;
        out.strides.resize(ndim());
        check(deeptrack_image_layout(ptr(), &out.data, out.strides.data(), out.strides.size(), &out.permuted));
        return out;
    }
    /// The samples where they are in memory, in the type the image holds them in (AsType's output, a
    /// comparison's bools; doubles for a float64 image), without copying.
    Samples samples() const {
        Samples out;
        out.strides.resize(ndim());
        check(deeptrack_image_samples(ptr(), &out.data, &out.dtype, out.strides.data(), out.strides.size(),
                                      &out.permuted));
        return out;
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

    /// Writes a 16-bit grayscale TIFF: a 2-D image is one page, an (H, W, N) image N pages. With
    /// `scale`, values are mapped so that the minimum is 0 and the maximum 65535; without, written as
    /// they are, rounded and clipped to 0 ... 65535 (a camera's ADU). Returns the minimum and maximum
    /// of the finite values.
    std::array<double, 2> save_tiff(CStr path, bool scale = true) const {
        std::array<double, 2> range{};
        check(deeptrack_image_save_tiff(ptr(), path.c_str(), scale, range.data()));
        return range;
    }

  private:
    const deeptrack_image *ptr() const noexcept { return static_cast<const D &>(*this).get(); }
};

/// release for Image::borrow: runs and destroys the std::function (never lets an exception out).
inline void release_borrowed(void *ctx) noexcept {
    std::unique_ptr<std::function<void()>> release(static_cast<std::function<void()> *>(ctx));
    try {
        if (*release) (*release)();
    } catch (...) { // release must not unwind into the library
    }
}
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
    /// An image standing for an object of the program's in place of samples (what a custom
    /// feature's get returns when its result is no array): it reaches the next custom feature's get
    /// (as_object()), passes through DummyFeature, Stack and the structural features with its dicts,
    /// and any other kind throws TYPE_MISMATCH naming itself. The library holds a share of `obj`,
    /// released as Value::object()'s (`T`'s destructor may call the library).
    template <typename T> static Image object(std::shared_ptr<T> obj) {
        auto *held = detail::hold(std::move(obj));
        deeptrack_image *img;
        deeptrack_status status = deeptrack_image_new_object(held, detail::release_held, &img);
        if (status != DEEPTRACK_STATUS_OK) delete held; // nothing was taken
        check(status);
        return Image(img);
    }
    /// An image standing for the list `items` (shared: each keeps its samples and dicts), what a
    /// custom feature's get returns to give several images in the input's place (DeepTrack2's get
    /// returning a list): the features that follow compute each of them on its own, and each carries
    /// the input's dicts; empty: no image. As a resolve's input it stands for its images (as
    /// resolve_list()); any kind computing with it throws TYPE_MISMATCH, a function of an image (a
    /// kind's function parameter) returning it INVALID_ARGUMENT.
    static Image list(const std::vector<ImageView> &items) {
        std::vector<const deeptrack_image *> ptrs;
        ptrs.reserve(items.size());
        for (const ImageView &item : items) ptrs.push_back(item.get());
        deeptrack_image *img;
        check(deeptrack_image_new_list(ptrs.data(), ptrs.size(), &img));
        return Image(img);
    }
    /// An image of `shape` holding a copy of `data`, samples of the type numbered `dtype` (a
    /// `DEEPTRACK_DTYPE_*` number: `uint8_t`, `int16_t`, `float`, half bits, bool bytes, ...; C
    /// order, any alignment), tagged with that type (dtype()), without properties; the kinds that only
    /// move samples keep it. INVALID_ARGUMENT for a bad `dtype`.
    static Image typed(const void *data, uint32_t dtype, const std::vector<size_t> &shape) {
        deeptrack_image *img;
        check(deeptrack_image_new_typed(data, dtype, shape.data(), shape.size(), &img));
        return Image(img);
    }
    /// An image of `shape` reading `data` (C order, 8-byte aligned) in place, without a copy, and
    /// without properties. `release` (may be empty) is called once, on any thread, when neither the
    /// image nor any result sharing its samples needs the memory any more; also when the library
    /// refuses the image (this throws then). The memory must stay valid and unwritten until then
    /// (writes between library calls show, as in a numpy view). An exception thrown by `release` is
    /// swallowed.
    static Image borrow(const double *data, const std::vector<size_t> &shape, std::function<void()> release = {}) {
        auto owned = std::make_unique<std::function<void()>>(std::move(release));
        deeptrack_image *img;
        // The library calls release exactly once in every case, errors included: it owns it now.
        check(deeptrack_image_borrow(data, shape.data(), shape.size(), &detail::release_borrowed, owned.release(),
                                     &img));
        return Image(img);
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

/// Images of the same shape stacked into one C-order array of shape (n, H, W, C) (stack()): 2-d
/// images get C 1.
struct Stack {
    /// The elements, C order.
    std::vector<double> data;
    /// (n, H, W, C).
    std::array<size_t, 4> shape{};
};

/// Copies `images` of one shape (a sequence's frames) into one (n, H, W, C) array; INVALID_ARGUMENT
/// for no images, an image that is not 2-d or 3-d, or shapes that differ (the message names the image).
inline Stack stack(const std::vector<ImageView> &images) {
    std::vector<const deeptrack_image *> raw;
    raw.reserve(images.size());
    for (const ImageView &img : images) raw.push_back(img.get());
    Stack out;
    size_t needed = 0;
    deeptrack_status status =
        deeptrack_images_stack(raw.data(), raw.size(), nullptr, 0, out.shape.data(), &needed);
    if (status != DEEPTRACK_STATUS_BUFFER_TOO_SMALL) check(status);
    out.data.resize(needed);
    check(deeptrack_images_stack(raw.data(), raw.size(), out.data.data(), out.data.size(), out.shape.data(), &needed));
    return out;
}

/// DeepTrack2's `holography.get_propagation_matrix(shape=(rows, cols), to_z, pixel_size, wavelength,
/// dx, dy)`: the angular-spectrum transfer function over `to_z`, shifted by `dx` (columns) and `dy`
/// (rows), in FFT order, as a complex image of shape (rows, cols, 2).
inline Image holography_propagation_matrix(size_t rows, size_t cols, double to_z, double pixel_size,
                                           double wavelength, double dx = 0.0, double dy = 0.0) {
    deeptrack_image *img;
    check(deeptrack_holography_propagation_matrix(rows, cols, to_z, pixel_size, wavelength, dx, dy, &img));
    return Image(img);
}

/// The centre of radial symmetry of the `rows x cols` image `data` (row-major; DeepTrack2's
/// `radialcenter`): {x, y}, the column and row coordinates in pixels from the first pixel's centre
/// (NaN for an image without any gradient). INVALID_ARGUMENT for fewer than 2 rows or columns.
inline std::array<double, 2> radial_center(const double *data, size_t rows, size_t cols) {
    std::array<double, 2> xy{};
    check(deeptrack_radial_center(data, rows, cols, &xy[0], &xy[1]));
    return xy;
}

/// radial_center() of a 2-d image, or of an (H, W, 1) one.
inline std::array<double, 2> radial_center(ImageView img) {
    std::vector<size_t> shape = img.shape();
    if (shape.size() == 3 && shape[2] == 1) shape.pop_back();
    if (shape.size() != 2) {
        throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT,
                    "radial_center takes a 2-d image, got " + std::to_string(shape.size()) + " dimensions");
    }
    return radial_center(img.data_ptr(), shape[0], shape[1]);
}

/// DeepTrack2's Bessel and Riccati-Bessel functions (deeptrack_bessel_evaluate's `function`).
enum class Bessel : deeptrack_bessel_function {
    /// J_nu(x) (`besselj`).
    J = DEEPTRACK_BESSEL_J,
    /// J'_nu(x) (`dbesselj`).
    JDerivative = DEEPTRACK_BESSEL_J_DERIVATIVE,
    /// Y_nu(x) (`bessely`).
    Y = DEEPTRACK_BESSEL_Y,
    /// Y'_nu(x) (`dbessely`).
    YDerivative = DEEPTRACK_BESSEL_Y_DERIVATIVE,
    /// psi_l(x), Riccati-Bessel of the first kind (`ricbesj`).
    RiccatiJ = DEEPTRACK_BESSEL_RICCATI_J,
    /// psi'_l(x) (`dricbesj`).
    RiccatiJDerivative = DEEPTRACK_BESSEL_RICCATI_J_DERIVATIVE,
    /// chi_l(x), Riccati-Bessel of the second kind (`ricbesy`).
    RiccatiY = DEEPTRACK_BESSEL_RICCATI_Y,
    /// chi'_l(x) (`dricbesy`).
    RiccatiYDerivative = DEEPTRACK_BESSEL_RICCATI_Y_DERIVATIVE,
    /// xi_l(x), Riccati-Bessel of the third kind (`ricbesh`).
    RiccatiH = DEEPTRACK_BESSEL_RICCATI_H,
    /// xi'_l(x) (`dricbesh`).
    RiccatiHDerivative = DEEPTRACK_BESSEL_RICCATI_H_DERIVATIVE,
};

namespace detail {
/// deeptrack_bessel_evaluate at `orders.size()` points, `x` real (1 double each) or complex (2).
inline std::vector<std::complex<double>> bessel(Bessel function, const std::vector<double> &orders, const double *x,
                                                size_t x_len, bool real_argument) {
    if (x_len != orders.size()) {
        throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, "orders has " + std::to_string(orders.size()) +
                                                           " numbers but x has " + std::to_string(x_len));
    }
    std::vector<double> out(2 * orders.size());
    check(deeptrack_bessel_evaluate(static_cast<deeptrack_bessel_function>(function), orders.data(), x,
                                    orders.size(), real_argument, out.data()));
    std::vector<std::complex<double>> values(orders.size());
    for (size_t k = 0; k < values.size(); k++) values[k] = {out[2 * k], out[2 * k + 1]};
    return values;
}
} // namespace detail

/// `function(orders[k], x[k])` for every k, at real arguments (scipy's conventions: NaN where the
/// real function is undefined); the imaginary parts are 0 except for the Hankel ones (RiccatiH...).
inline std::vector<std::complex<double>> bessel(Bessel function, const std::vector<double> &orders,
                                                const std::vector<double> &x) {
    return detail::bessel(function, orders, x.data(), x.size(), true);
}

/// `function(orders[k], x[k])` for every k, at complex arguments (principal branches; absorbing
/// particles' `m x`).
inline std::vector<std::complex<double>> bessel(Bessel function, const std::vector<double> &orders,
                                                const std::vector<std::complex<double>> &x) {
    std::vector<double> parts(2 * x.size());
    for (size_t k = 0; k < x.size(); k++) {
        parts[2 * k] = x[k].real();
        parts[2 * k + 1] = x[k].imag();
    }
    return detail::bessel(function, orders, parts.data(), x.size(), false);
}

/// The Mie coefficients a_l and b_l, l = 1 ... max_order (mie_coefficients()).
struct MieCoefficients {
    /// a_1 ... a_max_order.
    std::vector<std::complex<double>> a;
    /// b_1 ... b_max_order.
    std::vector<std::complex<double>> b;
};

/// The Mie coefficients of a sphere of concentric layers (DeepTrack2's
/// `backend.mie.stratified_coefficients`; one layer is `coefficients`): `m` the relative refractive
/// indices and `a` the size parameters (k x outer radius) of the layers, innermost first.
/// INVALID_ARGUMENT for no layers or lengths that differ.
inline MieCoefficients mie_coefficients(const std::vector<std::complex<double>> &m, const std::vector<double> &a,
                                        size_t max_order) {
    if (m.size() != a.size()) throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, "m and a differ in length");
    std::vector<double> parts(2 * m.size()), an(2 * max_order), bn(2 * max_order);
    for (size_t i = 0; i < m.size(); i++) {
        parts[2 * i] = m[i].real();
        parts[2 * i + 1] = m[i].imag();
    }
    check(deeptrack_mie_coefficients(parts.data(), a.data(), a.size(), max_order, an.data(), bn.data()));
    MieCoefficients out;
    for (size_t l = 0; l < max_order; l++) {
        out.a.emplace_back(an[2 * l], an[2 * l + 1]);
        out.b.emplace_back(bn[2 * l], bn[2 * l + 1]);
    }
    return out;
}

/// The angular functions of the Mie field (mie_harmonics()): `max_order x n` values each, row-major
/// (order l's values at every point are row l - 1).
struct MieHarmonics {
    /// pi_l(x).
    std::vector<double> pi;
    /// tau_l(x).
    std::vector<double> tau;
};

/// pi_l(x) and tau_l(x), l = 1 ... max_order, at the cosines `x` (DeepTrack2's `backend.mie.harmonics`).
inline MieHarmonics mie_harmonics(const std::vector<double> &x, size_t max_order) {
    std::optional<size_t> n = detail::element_count({x.size(), max_order});
    if (!n) throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, "max_order x points overflows");
    MieHarmonics out{std::vector<double>(*n), std::vector<double>(*n)};
    check(deeptrack_mie_harmonics(x.data(), x.size(), max_order, out.pi.data(), out.tau.data()));
    return out;
}

/// The volume the built-in scatterer `kind` ("PointParticle", "Sphere", "Ellipse", "Ellipsoid")
/// computes from the properties `entries` (others take the kind's defaults; `voxel_size` the voxel),
/// uncropped: what a subclass's `super().get(...)` gives inside Feature::scatterer's callback.
inline Image scatterer_volume(CStr kind, const std::vector<std::pair<std::string, ValueView>> &entries) {
    std::vector<const char *> keys;
    std::vector<const deeptrack_value *> values;
    for (const auto &entry : entries) {
        keys.push_back(entry.first.c_str());
        values.push_back(entry.second.get());
    }
    deeptrack_image *img;
    check(deeptrack_scatterer_volume(kind.c_str(), keys.data(), values.data(), entries.size(), &img));
    return Image(img);
}

/// scatterer_volume() of every entry of `properties` (the dict Feature::scatterer's callback receives).
inline Image scatterer_volume(CStr kind, PropertyDict properties) {
    std::vector<std::pair<std::string, ValueView>> entries;
    for (size_t i = 0, n = properties.len(); i < n; i++) {
        std::string key = properties.key(i);
        ValueView value = properties.get(key);
        entries.emplace_back(std::move(key), value);
    }
    return scatterer_volume(kind, entries);
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

/// A Merge feature's function (DeepTrack2's `Merge(function)`): receives every input image at once
/// (none when resolved without input) and this computation's properties, all borrowed for the call,
/// and returns the output images, in order. It may throw, as a GetFunction may.
using MergeFunction = std::function<std::vector<Image>(const std::vector<ImageView> &inputs, PropertyDict properties)>;

/// Reports a batch's progress (Feature::resolve_batch_with): `done` of `total` items are rendered.
/// Runs on the thread that called the batch. Return false to stop the batch (it then throws
/// CALLBACK_FAILED); an exception also stops it and is rethrown by resolve_batch_with.
using ProgressFunction = std::function<bool(size_t done, size_t total)>;

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

/// The C merge callback running a MergeFunction: pushes its images, in order.
inline deeptrack_status merge_trampoline(void *userdata, const deeptrack_image *const *inputs, size_t count,
                                         const deeptrack_property_dict *properties,
                                         deeptrack_merge_output *output) noexcept {
    return guard_callback([&]() -> deeptrack_status {
        std::vector<ImageView> views;
        views.reserve(count);
        for (size_t i = 0; i < count; i++) views.emplace_back(inputs[i]);
        std::vector<Image> images = (*static_cast<MergeFunction *>(userdata))(views, PropertyDict(properties));
        for (Image &img : images) {
            if (!img) throw Error(DEEPTRACK_STATUS_NULL_ARGUMENT, "the merge function returned an empty Image");
            check(deeptrack_merge_output_push(output, img.get()));
            img.release(); // the output list owns it now
        }
        return DEEPTRACK_STATUS_OK;
    });
}

/// What the C progress callback of Feature::resolve_batch_with carries: the function, and the first
/// exception it threw (rethrown after the batch).
struct Progress {
    /// The user's function.
    ProgressFunction *fn;
    /// The exception that stopped the batch, if any.
    std::exception_ptr error;
};

/// The C progress callback running a ProgressFunction: an exception stops the batch and is kept.
inline bool progress_trampoline(void *userdata, size_t done, size_t total) noexcept {
    auto *progress = static_cast<Progress *>(userdata);
    try {
        return (*progress->fn)(done, total);
    } catch (...) {
        if (!progress->error) progress->error = std::current_exception();
        return false;
    }
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

/// deeptrack_feature_new_custom_appending with `thread_safe` bound: registers as
/// deeptrack_feature_new_custom does.
struct AppendingRegister {
    /// Whether the library may run the callback on several threads at once.
    bool thread_safe;
    /// Registers `get` as an appending custom feature.
    deeptrack_status operator()(const char *name, deeptrack_get_fn get, void *userdata, deeptrack_free_fn free_userdata,
                                deeptrack_feature **out) const {
        return deeptrack_feature_new_custom_appending(name, get, userdata, free_userdata, thread_safe, out);
    }
};

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
    /// A step rule of Brownian diffusion for a position in pixels (Feature::set_sequential): each step
    /// adds a normal increment of standard deviation `sqrt(2 D dt) / pixel_size` to every coordinate
    /// (`diffusion` D in m^2/s, `frame_interval` dt in s, `pixel_size` in m).
    static Rule brownian(double diffusion, double frame_interval, double pixel_size) {
        deeptrack_rule *r;
        check(deeptrack_rule_brownian(diffusion, frame_interval, pixel_size, &r));
        return Rule(r);
    }
    /// A step rule of Brownian diffusion with `diffusion` in pixels^2 per frame: each step adds a normal
    /// increment of standard deviation `sqrt(2 D)` to every coordinate.
    static Rule brownian_pixels(double diffusion) {
        deeptrack_rule *r;
        check(deeptrack_rule_brownian_pixels(diffusion, &r));
        return Rule(r);
    }
    /// A step rule of directed motion: each step adds `velocity` to the previous value (one number:
    /// to every element). INVALID_ARGUMENT for no numbers or a non-finite one.
    static Rule drift(const std::vector<double> &velocity) {
        deeptrack_rule *r;
        check(deeptrack_rule_drift(velocity.data(), velocity.size(), &r));
        return Rule(r);
    }
    /// A step rule adding a draw of `increment` to the previous value (a random walk:
    /// `Rule::increment(Rule::normal(0, 1))`); consumes `increment`, even when this throws.
    static Rule increment(Rule increment) {
        deeptrack_rule *r;
        check(deeptrack_rule_increment(increment.release(), &r));
        return Rule(r);
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
    /// A built-in feature of a kind built from other features ("Combine", "OneOf", "Probability",
    /// "Sequence", ...): `features` are its feature parameters in order (shared; a null entry leaves an
    /// optional one out before a later one). INVALID_ARGUMENT when their number does not fit the kind.
    static Feature with(CStr kind, std::initializer_list<const Feature *> features) {
        return with(kind, std::vector<const Feature *>(features));
    }
    /// with() of a vector of features.
    static Feature with(CStr kind, const std::vector<const Feature *> &features) {
        std::vector<deeptrack_feature *> raw;
        raw.reserve(features.size());
        for (const Feature *f : features) raw.push_back(f != nullptr ? f->get() : nullptr);
        deeptrack_feature *out;
        check(deeptrack_feature_new_with(kind.c_str(), raw.data(), raw.size(), &out));
        return Feature(out);
    }
    /// A custom feature whose image is appended to its input list (DeepTrack2's
    /// MERGE_STRATEGY_APPEND, as the scatterers: `A >> B` gives both images): `get` runs once per
    /// computation with an empty input; std::nullopt (an OptionalGetFunction's) or an empty Image
    /// appends nothing. `thread_safe`: the library may run `get` on several threads at once.
    static Feature custom_appending(CStr name, GetFunction get, bool thread_safe = false) {
        return make_custom(name, std::move(get), appending(thread_safe), &detail::get_trampoline);
    }
    /// custom_appending() of an OptionalGetFunction.
    static Feature custom_appending(CStr name, OptionalGetFunction get, bool thread_safe = false) {
        return make_custom(name, std::move(get), appending(thread_safe), &detail::optional_get_trampoline);
    }
    /// custom_appending() of any callable, as custom().
    template <typename Fn, typename = std::enable_if_t<!detail::is_get_function<Fn>>>
    static Feature custom_appending(CStr name, Fn &&get, bool thread_safe = false) {
        if constexpr (detail::may_give_no_image<Fn>) {
            return custom_appending(name, OptionalGetFunction(std::forward<Fn>(get)), thread_safe);
        } else {
            return custom_appending(name, GetFunction(std::forward<Fn>(get)), thread_safe);
        }
    }
    /// A Merge feature named `name` computing `function` on all its input images at once (never run on
    /// two threads at once). The feature owns `function`.
    static Feature merge(CStr name, MergeFunction function) {
        detail::check_callable(function);
        auto owned = std::make_unique<MergeFunction>(std::move(function));
        deeptrack_feature *f;
        check(deeptrack_feature_new_merge(name.c_str(), &detail::merge_trampoline, owned.get(),
                                          &detail::delete_userdata<MergeFunction>, &f));
        owned.release(); // the feature owns it now
        return Feature(f);
    }
    /// A built-in volume scatterer of `kind` ("PointParticle", "Sphere", "Ellipse", "Ellipsoid") whose
    /// volume `get` computes (DeepTrack2's subclass overriding `get`): `get` receives an empty input
    /// and the sampled properties plus `voxel_size` and `pixel_size`, and returns a real 3-D image
    /// (scatterer_volume() gives the kind's own). INVALID_ARGUMENT for another kind.
    static Feature scatterer(CStr kind, GetFunction get, bool thread_safe = false) {
        detail::check_callable(get);
        auto owned = std::make_unique<GetFunction>(std::move(get));
        deeptrack_feature *f;
        check(deeptrack_feature_new_scatterer(kind.c_str(), &detail::get_trampoline, owned.get(),
                                              &detail::delete_userdata<GetFunction>, thread_safe, &f));
        owned.release(); // the feature owns it now
        return Feature(f);
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
    /// The names of the properties, in order (the kind's parameters, other properties set, `name`).
    std::vector<std::string> property_names() const {
        deeptrack_value *v;
        check(deeptrack_feature_property_names(get(), &v));
        Value names(v);
        std::vector<std::string> out;
        for (size_t i = 0, n = names.len(); i < n; i++) out.push_back(names[i].as_string());
        return out;
    }
    /// Puts the properties in the order of `keys` (each property once); INVALID_ARGUMENT for an
    /// unknown, repeated or missing name.
    Feature &order_properties(const std::vector<std::string> &keys) {
        std::vector<const char *> raw;
        raw.reserve(keys.size());
        for (const std::string &key : keys) raw.push_back(key.c_str());
        check(deeptrack_feature_order_properties(get(), raw.data(), raw.size()));
        return *this;
    }
    /// Pins property `key` to a copy of `v` until the next update (DeepTrack2's
    /// `feature.key.set_value(v)`); returns whether anything changed. NOT_FOUND for an unknown key.
    bool set_value(CStr key, ValueView v) {
        bool changed = false;
        check(deeptrack_feature_set_value(get(), key.c_str(), v.get(), &changed));
        return changed;
    }
    /// set_value() on every feature of this pipeline that has property `key` (DeepTrack2's
    /// `feature.resolve(x, key=v)`); returns how many have it (0 is not an error).
    size_t set_value_everywhere(CStr key, ValueView v) {
        size_t count = 0;
        check(deeptrack_feature_set_value_everywhere(get(), key.c_str(), v.get(), &count));
        return count;
    }
    /// Makes property `key` sequential (DeepTrack2's `Sequential(f, key=step)`): inside a Sequence,
    /// `step` samples it at every step after the first (its callbacks read `previous_value`,
    /// `sequence_step`, ... through their context). Consumes `step`, even when this throws.
    Feature &set_sequential(CStr key, Rule step) {
        check(deeptrack_feature_set_sequential(get(), key.c_str(), step.release()));
        return *this;
    }
    /// Whether the feature holds a current result (DeepTrack2's `feature.is_valid()`).
    bool is_valid() const {
        bool valid = false;
        check(deeptrack_feature_is_valid(get(), &valid));
        return valid;
    }
    /// Turns storing of properties on (or off) for this feature and every feature it contains.
    Feature &store_properties(bool enable = true) { check(deeptrack_feature_store_properties(get(), enable)); return *this; }
    /// Storing of properties for this feature only, not the features it contains (DeepTrack2's
    /// `store_properties(toggle, recursive=False)`; see `deeptrack_feature_store_own_properties`).
    Feature &store_own_properties(bool enable = true) { check(deeptrack_feature_store_own_properties(get(), enable)); return *this; }
    /// Binds `arguments` (DeepTrack2's `bind_arguments`): with properties stored, every result of this
    /// feature records a dict of their values right before its own, wherever it computes. This
    /// feature keeps its own reference to them. Throws (CYCLE) when `arguments` depends on this one.
    Feature &bind_arguments(const Feature &arguments) {
        check(deeptrack_feature_bind_arguments(get(), arguments.get()));
        return *this;
    }
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
    /// resolve_batch() for items of several images each (a Sequence's frames): item k's images, for
    /// items `first .. first + count` of the stream `seed`.
    std::vector<std::vector<Image>> resolve_batch_many(uint64_t seed, uint64_t first, size_t count,
                                                       size_t threads = 0, ImageView input = {}) const {
        std::vector<size_t> counts(count);
        size_t total = 0;
        std::vector<deeptrack_image *> raw;
        deeptrack_status status = deeptrack_feature_resolve_batch_many(get(), input.get(), seed, first, count, threads,
                                                                       nullptr, 0, counts.data(), &total);
        if (status == DEEPTRACK_STATUS_BUFFER_TOO_SMALL) {
            // The items are computed again; they depend only on (pipeline, seed, index).
            raw.resize(total);
            status = deeptrack_feature_resolve_batch_many(get(), input.get(), seed, first, count, threads, raw.data(),
                                                          raw.size(), counts.data(), &total);
        }
        check(status);
        std::vector<std::vector<Image>> items(count);
        size_t next = 0;
        for (size_t k = 0; k < count; k++) {
            for (size_t j = 0; j < counts[k]; j++) items[k].emplace_back(raw[next++]);
        }
        return items;
    }
    /// resolve_batch() for items of `per_item` images each (a Stack's `image & target` gives 2), with
    /// `progress` (may be empty) told how many items are done; returns item k's images. An item of
    /// another number of images throws INVALID_ARGUMENT; a stop asked by `progress` CALLBACK_FAILED,
    /// and an exception it threw is rethrown.
    std::vector<std::vector<Image>> resolve_batch_with(uint64_t seed, uint64_t first, size_t count, size_t per_item,
                                                       ProgressFunction progress = {}, size_t threads = 0,
                                                       ImageView input = {}) const {
        std::optional<size_t> n = detail::element_count({count, per_item});
        if (!n) throw Error(DEEPTRACK_STATUS_INVALID_ARGUMENT, "count x per_item overflows");
        // Never an empty buffer, whose data() may be null: the library then reports its own errors.
        std::vector<deeptrack_image *> raw(std::max<size_t>(*n, 1));
        detail::Progress state{&progress, nullptr};
        deeptrack_status status = deeptrack_feature_resolve_batch_with(
            get(), input.get(), seed, first, count, threads, per_item,
            progress ? &detail::progress_trampoline : nullptr, &state, raw.data());
        std::vector<std::vector<Image>> items(count);
        if (status == DEEPTRACK_STATUS_OK) { // owned before a rethrow, so that they are freed
            for (size_t k = 0; k < count; k++) {
                for (size_t j = 0; j < per_item; j++) items[k].emplace_back(raw[k * per_item + j]);
            }
        }
        if (state.error) std::rethrow_exception(state.error);
        check(status);
        return items;
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
    /// deeptrack_feature_new_custom_appending with `thread_safe` bound, as make_custom registers.
    static detail::AppendingRegister appending(bool thread_safe) noexcept {
        return detail::AppendingRegister{thread_safe};
    }
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

/// The `photons_per_unit` of a Camera after `optics` such that a point particle of intensity 1 at the
/// centre of the output region delivers `photons` photons onto the sensor in `exposure_time` seconds
/// (give the camera the same exposure_time). `optics` is not touched. INVALID_ARGUMENT for optics
/// whose image is not proportional to the intensity (brightfield) and bad numbers.
inline double camera_photons_per_unit(const Feature &optics, double photons, double exposure_time) {
    double out = 0.0;
    check(deeptrack_camera_photons_per_unit(optics.get(), photons, exposure_time, &out));
    return out;
}

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

/// What values a parameter of a built-in kind accepts (KindParam::type(); the C API's
/// `DEEPTRACK_PARAM_*` types).
enum class ParamType : uint32_t {
    /// Any value (the kind checks it).
    Any = DEEPTRACK_PARAM_ANY,
    /// A number, never NaN, within the limits.
    Number = DEEPTRACK_PARAM_NUMBER,
    /// A whole number.
    Integer = DEEPTRACK_PARAM_INTEGER,
    /// A bool.
    Bool = DEEPTRACK_PARAM_BOOL,
    /// A string, one of the choices when there are any.
    String = DEEPTRACK_PARAM_STRING,
    /// One number or a vector of numbers of KindParam::length(), each within the limits.
    Vector = DEEPTRACK_PARAM_VECTOR,
    /// Numbers of any shape.
    Array = DEEPTRACK_PARAM_ARRAY,
    /// Numbers of any shape, or a list of them paired with the images.
    Arrays = DEEPTRACK_PARAM_ARRAYS,
    /// An axis: none, an int, or a list of ints.
    Axis = DEEPTRACK_PARAM_AXIS,
    /// A feature given at construction (Feature::with), not a property.
    Feature = DEEPTRACK_PARAM_FEATURE,
    /// Any number of features given at construction (Feature::with), not a property.
    Features = DEEPTRACK_PARAM_FEATURES,
    /// A function given at construction: a custom feature among Feature::with's features.
    Callback = DEEPTRACK_PARAM_CALLBACK,
    /// numpy's type as a string: a name ("float32") or a type code ("f4"), as `np.dtype` reads it.
    Dtype = DEEPTRACK_PARAM_DTYPE,
};

/// The bits of KindParam::flags() (the C API's `DEEPTRACK_PARAM_FLAG_*`).
struct ParamFlag {
    /// The lower limit itself is excluded.
    static constexpr uint32_t MinOpen = DEEPTRACK_PARAM_FLAG_MIN_OPEN;
    /// The upper limit itself is excluded.
    static constexpr uint32_t MaxOpen = DEEPTRACK_PARAM_FLAG_MAX_OPEN;
    /// None is accepted too.
    static constexpr uint32_t Nullable = DEEPTRACK_PARAM_FLAG_NULLABLE;
    /// Supported at DeepTrack2's default only.
    static constexpr uint32_t OnlyDefault = DEEPTRACK_PARAM_FLAG_ONLY_DEFAULT;
    /// No default: the parameter must be given.
    static constexpr uint32_t Required = DEEPTRACK_PARAM_FLAG_REQUIRED;
    /// Optional, and not a property unless set.
    static constexpr uint32_t Optional = DEEPTRACK_PARAM_FLAG_OPTIONAL;
    /// The default is sampled by the library from the other properties.
    static constexpr uint32_t Sampled = DEEPTRACK_PARAM_FLAG_SAMPLED;
    /// The numbers must be whole.
    static constexpr uint32_t Whole = DEEPTRACK_PARAM_FLAG_WHOLE;
    /// A length in meters (give a quantity in pixels with Rule::pixels).
    static constexpr uint32_t Meters = DEEPTRACK_PARAM_FLAG_METERS;
    /// A number of camera pixels (give a length in meters with Rule::meters).
    static constexpr uint32_t Pixels = DEEPTRACK_PARAM_FLAG_PIXELS;
};

namespace detail {
/// A string the library lends for the life of the process, read by `read(&s)`.
template <typename Read> std::string static_text(Read &&read) {
    const char *s = nullptr;
    check(read(&s));
    return s;
}
} // namespace detail

/// Parameter `index()` of a built-in kind (Kind::param()): what the feature's property of that name
/// accepts, and its default.
class KindParam {
  public:
    /// Parameter `param` of kind `kind` (not checked: the accessors throw OUT_OF_RANGE).
    KindParam(size_t kind, size_t param) noexcept : kind_(kind), param_(param) {}
    /// The kind's index.
    size_t kind_index() const noexcept { return kind_; }
    /// The parameter's index, in the order of the feature's properties.
    size_t index() const noexcept { return param_; }
    /// The name (the property's).
    std::string name() const {
        return detail::static_text([this](const char **s) { return deeptrack_kind_param_name(kind_, param_, s); });
    }
    /// One line on what it means.
    std::string doc() const {
        return detail::static_text([this](const char **s) { return deeptrack_kind_param_doc(kind_, param_, s); });
    }
    /// What values it accepts.
    ParamType type() const {
        uint32_t t = 0;
        check(deeptrack_kind_param_type(kind_, param_, &t));
        return static_cast<ParamType>(t);
    }
    /// Its ParamFlag bits.
    uint32_t flags() const {
        uint32_t f = 0;
        check(deeptrack_kind_param_flags(kind_, param_, &f));
        return f;
    }
    /// The constant default, or nothing (the flags say why: required, optional or sampled).
    std::optional<Value> default_value() const {
        deeptrack_value *v = nullptr;
        check(deeptrack_kind_param_default(kind_, param_, &v));
        if (v == nullptr) return std::nullopt;
        return Value(v);
    }
    /// {min, max} of its numbers, inclusive unless the flags say open (-DBL_MAX / DBL_MAX: finite;
    /// infinities: no limit).
    std::array<double, 2> limits() const {
        std::array<double, 2> out{};
        check(deeptrack_kind_param_limits(kind_, param_, &out[0], &out[1]));
        return out;
    }
    /// {min, max} of how many numbers a ParamType::Vector takes (SIZE_MAX: no upper limit; other
    /// types: {0, SIZE_MAX}).
    std::array<size_t, 2> length() const {
        std::array<size_t, 2> out{};
        check(deeptrack_kind_param_length(kind_, param_, &out[0], &out[1]));
        return out;
    }
    /// The accepted strings of a ParamType::String (empty: any string).
    std::vector<std::string> choices() const {
        size_t n = 0;
        check(deeptrack_kind_param_choice_count(kind_, param_, &n));
        std::vector<std::string> out;
        for (size_t c = 0; c < n; c++) {
            out.push_back(detail::static_text(
                [this, c](const char **s) { return deeptrack_kind_param_choice(kind_, param_, c, s); }));
        }
        return out;
    }

  private:
    size_t kind_, param_;
};

/// A built-in kind (what Feature's constructor and Feature::with create): its DeepTrack2 class name,
/// module, parameters and defaults, as the README's table lists them.
class Kind {
  public:
    /// Kind number `index` (not checked: the accessors throw OUT_OF_RANGE; see at()).
    explicit Kind(size_t index) noexcept : index_(index) {}
    /// The number of built-in kinds (aliases not counted).
    static size_t count() noexcept { return deeptrack_kind_count(); }
    /// Kind number `index`; OUT_OF_RANGE past the end.
    static Kind at(size_t index) {
        Kind kind(index);
        kind.name(); // checks the index
        return kind;
    }
    /// The kind whose class name or alias is `name`; NOT_FOUND (with a suggestion) for another.
    static Kind find(CStr name) {
        size_t index = 0;
        check(deeptrack_kind_find(name.c_str(), &index));
        return Kind(index);
    }
    /// Every kind, in order.
    static std::vector<Kind> all() {
        std::vector<Kind> out;
        for (size_t i = 0, n = count(); i < n; i++) out.emplace_back(i);
        return out;
    }
    /// The kind's index.
    size_t index() const noexcept { return index_; }
    /// The DeepTrack2 class name.
    std::string name() const {
        return detail::static_text([this](const char **s) { return deeptrack_kind_name(index_, s); });
    }
    /// The DeepTrack2 module ("features", "math", "optics", ...).
    std::string module_name() const {
        return detail::static_text([this](const char **s) { return deeptrack_kind_module(index_, s); });
    }
    /// DeepTrack2 2.0.1's direct base class where it is not the module's usual one ("Blur" for
    /// GaussianBlur), "" otherwise.
    std::string base() const {
        return detail::static_text([this](const char **s) { return deeptrack_kind_base(index_, s); });
    }
    /// One line on what the kind computes.
    std::string doc() const {
        return detail::static_text([this](const char **s) { return deeptrack_kind_doc(index_, s); });
    }
    /// Whether DeepTrack2 2.0.1 gives a 0-d array on a 0-d input where the library gives a number.
    bool zero_d_array() const {
        bool out = false;
        check(deeptrack_kind_zero_d_array(index_, &out));
        return out;
    }
    /// Whether the result is numpy's bools (the comparisons: GreaterThan, Equals, ...).
    bool bool_output() const {
        bool out = false;
        check(deeptrack_kind_bool_output(index_, &out));
        return out;
    }
    /// The other class names that create the kind ("Equal" for Equals).
    std::vector<std::string> aliases() const {
        size_t n = 0;
        check(deeptrack_kind_alias_count(index_, &n));
        std::vector<std::string> out;
        for (size_t a = 0; a < n; a++) {
            out.push_back(
                detail::static_text([this, a](const char **s) { return deeptrack_kind_alias(index_, a, s); }));
        }
        return out;
    }
    /// The parameters DeepTrack2's constructor takes by position, in order ("_input": the input image).
    std::vector<std::string> positional() const {
        size_t n = 0;
        check(deeptrack_kind_positional_count(index_, &n));
        std::vector<std::string> out;
        for (size_t p = 0; p < n; p++) {
            out.push_back(
                detail::static_text([this, p](const char **s) { return deeptrack_kind_positional(index_, p, s); }));
        }
        return out;
    }
    /// The number of parameters.
    size_t param_count() const {
        size_t n = 0;
        check(deeptrack_kind_param_count(index_, &n));
        return n;
    }
    /// Parameter `index`; OUT_OF_RANGE past the end.
    KindParam param(size_t index) const {
        KindParam p(index_, index);
        p.name(); // checks the index
        return p;
    }
    /// The parameter named `name`; NOT_FOUND when the kind has none.
    KindParam param(CStr name) const {
        for (size_t i = 0, n = param_count(); i < n; i++) {
            KindParam p(index_, i);
            if (name.c_str() != nullptr && p.name() == name.c_str()) return p;
        }
        throw Error(DEEPTRACK_STATUS_NOT_FOUND, this->name() + " has no parameter '" +
                                                    (name.c_str() != nullptr ? name.c_str() : "(null)") + "'");
    }
    /// Every parameter, in order.
    std::vector<KindParam> params() const {
        std::vector<KindParam> out;
        for (size_t i = 0, n = param_count(); i < n; i++) out.emplace_back(index_, i);
        return out;
    }

  private:
    size_t index_;
};

} // namespace deeptrack

#endif // DEEPTRACK_HPP
