//! nalgebra support: `Var<'static>` as a simba `RealField`, and approx's comparisons.
