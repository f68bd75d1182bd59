//! Errors of the Rust API: a kind (which the C layer maps to a status code) and a message that names
//! the feature and property at fault.

use std::fmt;

/// What went wrong, coarsely. Each kind has one C status code (`DEEPTRACK_STATUS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A required pointer argument was NULL (C layer only).
    NullArgument,
    /// An argument or property value is out of its domain (NaN, negative size, bad shape, …).
    InvalidArgument,
    /// A string was not valid UTF-8 (C layer only).
    InvalidUtf8,
    /// A value has the wrong kind (a string where a number is expected, …).
    TypeMismatch,
    /// A property, key or feature kind does not exist.
    NotFound,
    /// An index is past the end of a list.
    OutOfRange,
    /// A caller-supplied buffer is too short (C layer only).
    BufferTooSmall,
    /// Sampling rules depend on each other in a cycle.
    Cycle,
    /// A user callback reported failure or returned nothing.
    CallbackFailed,
    /// A handle is of the wrong type or was already freed (C layer only).
    InvalidHandle,
    /// An allocation failed or a requested size does not fit in memory.
    OutOfMemory,
    /// A feature was re-entered while it was being resolved (e.g. from its own callback).
    Busy,
    /// A panic was caught at the C boundary (C layer only).
    Panic,
}

/// An error with context: the feature and property it concerns, when known.
///
/// Its `Display` reads like `property 'radius' of feature 'Sphere': expected a number, got a string`.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    feature: Option<String>,
    property: Option<String>,
    detail: String,
}

/// Result type of the Rust API.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A new error of `kind` with a detail message and no context yet.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error { kind, feature: None, property: None, detail: detail.into() }
    }

    /// Shorthand for [`ErrorKind::InvalidArgument`].
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, detail)
    }

    /// Shorthand for [`ErrorKind::TypeMismatch`].
    pub fn type_mismatch(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::TypeMismatch, detail)
    }

    /// Shorthand for [`ErrorKind::NotFound`].
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, detail)
    }

    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The name of the feature at fault, if known.
    pub fn feature(&self) -> Option<&str> {
        self.feature.as_deref()
    }

    /// The name of the property at fault, if known.
    pub fn property(&self) -> Option<&str> {
        self.property.as_deref()
    }

    /// Names the property at fault, unless an inner error already named one.
    pub fn in_property(mut self, property: &str) -> Self {
        if self.property.is_none() && self.feature.is_none() {
            self.property = Some(property.to_owned());
        }
        self
    }

    /// Names the feature at fault, unless an inner error already named one.
    pub fn in_feature(mut self, feature: &str) -> Self {
        if self.feature.is_none() {
            self.feature = Some(feature.to_owned());
        }
        self
    }

    /// Names `feature` as the one at fault in place of any named before: a property one feature took
    /// from another (a scatterer's `wavelength`, set by its optics) is blamed where it was set.
    pub(crate) fn blamed_on(mut self, feature: &str) -> Self {
        self.feature = Some(feature.to_owned());
        self
    }

    /// Names `property` of `feature` as the one at fault in place of any named before: a number one
    /// feature computed from another's properties ("auto") is blamed on the property that set it.
    pub(crate) fn blamed_on_property(mut self, feature: &str, property: &str) -> Self {
        self.feature = Some(feature.to_owned());
        self.property = Some(property.to_owned());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.property, &self.feature) {
            (Some(p), Some(feat)) => write!(f, "property '{p}' of feature '{feat}': {}", self.detail),
            (Some(p), None) => write!(f, "property '{p}': {}", self.detail),
            (None, Some(feat)) => write!(f, "feature '{feat}': {}", self.detail),
            (None, None) => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_property_and_feature() {
        let e = Error::type_mismatch("expected a number, got a string")
            .in_property("radius")
            .in_feature("Sphere")
            .in_feature("Chain");
        assert_eq!(e.to_string(), "property 'radius' of feature 'Sphere': expected a number, got a string");
        assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    }
}
