//! [`Object`]: a value the library holds for its host without reading it (a Python dict, an instance
//! of a user's class, a function), so that it travels with the property dicts as DeepTrack2 keeps any
//! object a property is given.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// An object of the host's, shared by reference count. The library never computes with one: a
/// feature that reads numbers from it fails with a type mismatch naming the property. It compares
/// equal only to itself (its clones). Dropping the last clone drops what it holds, on whichever
/// thread lets it go.
#[derive(Clone)]
pub struct Object(Arc<dyn Any + Send + Sync>);

impl Object {
    /// An object holding `inner` (any `Send + Sync` Rust value; the C ABI stores the host's pointer
    /// with its release function).
    pub fn new<T: Any + Send + Sync>(inner: T) -> Self {
        Object(Arc::new(inner))
    }

    /// What the object holds, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }

    /// Whether `self` and `other` are the same object (one is a clone of the other).
    pub fn same(&self, other: &Object) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Object({:p})", Arc::as_ptr(&self.0).cast::<()>())
    }
}

#[cfg(test)]
mod tests {
    use super::Object;

    #[test]
    fn an_object_is_itself_and_gives_back_what_it_holds() {
        let a = Object::new(String::from("meta"));
        let b = a.clone();
        assert!(a.same(&b));
        assert!(!a.same(&Object::new(String::from("meta"))));
        assert_eq!(b.downcast_ref::<String>().map(String::as_str), Some("meta"));
        assert!(b.downcast_ref::<i64>().is_none());
    }

    #[test]
    fn the_last_clone_drops_what_it_holds() {
        let held = std::sync::Arc::new(());
        let a = Object::new(std::sync::Arc::clone(&held));
        let b = a.clone();
        drop(a);
        assert_eq!(std::sync::Arc::strong_count(&held), 2);
        drop(b);
        assert_eq!(std::sync::Arc::strong_count(&held), 1);
    }
}
