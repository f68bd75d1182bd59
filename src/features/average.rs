//! `Average(features, axis=0)` (DeepTrack2's `math` module): resolves each of its features (without
//! input, as DeepTrack2 does) and returns `np.mean` of their outputs stacked along a new first axis,
//! over `axis`, with the properties of every output merged.

use std::sync::Arc;

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use super::statistics::{self, Reduction, reduce};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList, flatten};
use crate::properties::PropertyDict;

/// The registry entry.
pub(crate) const AVERAGE: KindSpec = KindSpec {
    name: "Average",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: true,
    bool_output: false,
    doc: "The mean of its features' outputs (stacked on a new first axis) over `axis`.",
    params: &[
        ParamSpec::new("features", ParamKind::Features, ParamDefault::Required, "the features averaged"),
        ParamSpec {
            nullable: true,
            ..ParamSpec::new(
                "axis",
                ParamKind::Axis,
                ParamDefault::Value(Const::Int(0)),
                "the axis or axes of the stack averaged over (0: across the features; None: every axis)",
            )
        },
    ],
    positional: &["features", "axis"],
    make: |features| Box::new(Average { features }),
};

/// `Average(features, axis=0)`.
#[derive(Clone)]
struct Average {
    features: Vec<Feature>,
}

impl FeatureKind for Average {
    fn with_children(&self, features: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(Average { features })
    }

    fn name(&self) -> &str {
        "Average"
    }

    fn children(&self) -> Vec<Feature> {
        self.features.clone()
    }

    fn is_structural(&self) -> bool {
        true
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process_list(
        &self,
        _: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let axis = Params::new(AVERAGE.params, props).parse("axis", statistics::axes)?;
        let mut images = Vec::with_capacity(self.features.len());
        for feature in &self.features {
            let outputs = rs.resolve(feature, &ImageList::new(), id)?;
            images.extend(flatten(&outputs)?.iter().cloned());
        }
        if images.is_empty() {
            return Err(Error::invalid("the features gave no image to average").in_property("features"));
        }
        let spec = reduce::Spec { op: Reduction::Mean, axis: axis.as_deref(), keepdims: false, q: None };
        let mean = |images: &[Image]| -> Result<Image> {
            let what = "the features' outputs are averaged as one array";
            Ok(Image::new(reduce::reduce(super::statistics::stack(images, what, "features")?.view(), &spec)?))
        };
        let mut out = if images.iter().any(Image::is_complex) {
            // numpy's mean of complex numbers: the mean of each part (a real image's imaginary parts 0).
            let part = |imaginary: bool| -> Result<Vec<Image>> {
                images
                    .iter()
                    .map(|img| match (img.is_complex(), imaginary) {
                        (true, _) => img.complex_part(imaginary),
                        (false, false) => Ok(img.clone()),
                        (false, true) => Ok(Image::new(
                            ndarray::ArrayD::from_shape_vec(
                                ndarray::IxDyn(img.shape()),
                                crate::buffer::zeroed(img.len())?,
                            )
                            .expect("one zero a sample"),
                        )),
                    })
                    .collect()
            };
            super::complex_inputs::join(&mean(&part(false)?)?, &mean(&part(true)?)?)?
        } else {
            mean(&images)?
        };
        out.merge_properties_from_all(&images)?;
        Ok(ImageList::from(vec![out]))
    }
}
