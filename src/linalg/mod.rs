//! Matrix-level rules: decompositions and rotations recorded with their analytic adjoints.

mod rotation;

pub use rotation::{rotation_from_scaled_axis, scaled_axis};
