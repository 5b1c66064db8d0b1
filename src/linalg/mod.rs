//! Matrix-level rules: decompositions and rotations recorded with their analytic adjoints.

mod eigen;
mod rotation;

pub use eigen::{svd, symmetric_eigen};
pub use rotation::{rotation_from_scaled_axis, scaled_axis};
