//! `deeptrack`: DeepTrack2-style simulation of microscopy images, natively.
//!
//! Pipelines are built from [`Feature`]s whose properties are sampled from [`Rule`]s; resolving a
//! pipeline produces [`Image`]s that carry the [`PropertyDict`]s that made them (with
//! [`Feature::store_properties`]). The C ABI in [`ffi`] is one client of this API.

#![warn(missing_docs)]

#[cfg(feature = "mimalloc")]
mod alloc;
mod buffer;
pub mod dtype;
pub mod error;
mod fallible;
pub mod features;
pub mod ffi;
mod fft;
pub mod graph;
pub mod image;
pub mod io;
mod layout;
pub mod mie;
pub mod properties;
pub mod property_list;
pub mod property_table;
pub mod radialcenter;
mod rng;
pub mod samples;
pub mod shared_list;
mod simd;
mod streaming;
mod sync;
pub mod typed_samples;
pub mod value;
pub mod warnings;

pub use error::{Error, ErrorKind, Result};
pub use features::optics::{Imaging, OpticsContext};
pub use graph::{Feature, Progress, ReplicaId, Resolver, Scope, ScopeValue};
pub use image::{Image, ImageList};
pub use properties::{PropertyDict, Rule, SampleContext};
pub use property_list::PropertyList;
pub use value::{Text, Value, ValueKind};
