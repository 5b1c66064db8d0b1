//! The exponential and logarithm maps between rotation vectors and unit quaternions,
//! written as ordinary [`Var`] arithmetic that is exact, to first and second order, at
//! the identity.
//!
//! | function                     | maps                                  | near the identity          |
//! |------------------------------|---------------------------------------|----------------------------|
//! | [`rotation_from_scaled_axis`] | `v` ↦ `(cos(θ/2), sin(θ/2) v/θ)`, θ = \|v\| | Taylor series in θ² = v·v  |
//! | [`scaled_axis`]              | `q` ↦ `2 atan2(\|q_v\|, q_w) q_v/\|q_v\|`   | Taylor series in \|q_v\|²/q_w² |
//!
//! nalgebra's `UnitQuaternion::from_scaled_axis` returns the identity when `|v|² ≤ ε²`,
//! so its derivative at `v = 0` comes out 0; and its `scaled_axis` divides by `|q_v|`.
//! Here the coefficients `cos(θ/2)`, `sin(θ/2)/θ` and `atan(r)/r` are functions of a
//! squared norm, which needs no square root: near 0 they are evaluated as truncated
//! Taylor polynomials of that square (on the tape, so second derivatives are those of
//! the polynomial), further out by their closed forms. Both branches agree with the
//! function to about one rounding error, in value, gradient and Hessian.

use nalgebra::{Quaternion, UnitQuaternion, Vector3};

use crate::Var;

/// Below this θ² = |v|², `cos(θ/2)` and `sin(θ/2)/θ` come from their Taylor series in
/// θ². Above it the closed forms lose nothing to cancellation: their derivatives with
/// respect to θ² lose about `ε/θ²` (first) and `ε/θ⁴` (second) relative.
const EXP_SERIES_BELOW: f64 = 1.0;

/// Terms of the exp map's series: at θ² = 1 the first term left out is below 1e-21,
/// and its second derivative below 1e-19.
const EXP_TERMS: usize = 10;

/// `cos(θ/2) = Σ_k (−θ²/4)^k / (2k)!`, coefficients of (θ²)^k.
const COS_HALF: [f64; EXP_TERMS] = series_coefficients(1.0, 1);

/// `sin(θ/2)/θ = Σ_k (−θ²/4)^k / (2 (2k + 1)!)`, coefficients of (θ²)^k.
const SIN_HALF_OVER: [f64; EXP_TERMS] = series_coefficients(0.5, 2);

/// Below this `r² = |q_v|²/q_w²`, `atan(r)/r` comes from its Taylor series in r²; above
/// it the closed form `atan2(|q_v|, q_w)/|q_v|` loses at most about `ε/r⁴ = 1e-14`
/// relative in second derivatives.
const LOG_SERIES_BELOW: f64 = 0.1;

/// Terms of the log map's series `atan(r)/r = Σ_k (−r²)^k/(2k + 1)`: at r² = 0.1 the
/// first term left out is below 1e-23 and its second derivative below 1e-20.
const LOG_TERMS: usize = 24;

/// The first coefficients of a series in `x` with `c_0 = first` and `c_{k+1} = −c_k / (4
/// (2k + offset) (2k + offset + 1))`: with `(1, 1)` they are those of `cos(√x/2) = Σ_k
/// (−x/4)^k/(2k)!`, with `(1/2, 2)` those of `sin(√x/2)/√x = Σ_k (−x/4)^k/(2 (2k + 1)!)`.
const fn series_coefficients(first: f64, offset: usize) -> [f64; EXP_TERMS] {
    let mut c = [0.0; EXP_TERMS];
    c[0] = first;
    let mut k = 0;
    while k + 1 < EXP_TERMS {
        let (a, b) = ((2 * k + offset) as f64, (2 * k + offset + 1) as f64);
        c[k + 1] = -c[k] / (4.0 * a * b);
        k += 1;
    }
    c
}

/// `Σ_k coefficients[k] x^k` by Horner's rule, on the tape.
fn polynomial(x: Var<'static>, coefficients: &[f64]) -> Var<'static> {
    let (&last, rest) = coefficients.split_last().expect("at least one coefficient");
    rest.iter()
        .rev()
        .fold(Var::constant(last), |sum, &c| sum * x + c)
}

/// The unit quaternion of the rotation by the angle `|v|` about the axis `v/|v|`: the
/// exponential map `exp(v/2)`, with `w ≥ 0`.
///
/// Returns `(cos(θ/2), sin(θ/2) v/θ)` with θ = |v| for θ ≤ π, and its negative (the same
/// rotation) for θ > π, so that the scalar part is never negative. The same rotation as
/// nalgebra's `UnitQuaternion::from_scaled_axis`, but differentiable at `v = 0`: there
/// the Jacobian of the vector part is `I/2` and the Hessian of the scalar part is
/// `−I/4`, where nalgebra's shortcut (the identity when `|v|² ≤ ε²`) gives 0.
///
/// ```
/// # #[cfg(feature = "nalgebra")] {
/// use nalgebra::{Matrix3, Vector3};
/// use tapegrad::linalg::rotation_from_scaled_axis;
///
/// let (xyz, jacobian) = tapegrad::jacobian(
///     |v: &Vector3<tapegrad::Var>| rotation_from_scaled_axis(v).coords.xyz(),
///     &Vector3::<f64>::zeros(),
/// );
/// assert_eq!(xyz, Vector3::zeros());
/// assert_eq!(jacobian, Matrix3::identity() / 2.0);
/// # }
/// ```
///
/// # Conventions
///
/// At θ = π exactly the scalar part is 0 (to rounding) and the sign of the result flips
/// as θ crosses π: the map is continuous as a map to rotations, not to quaternions, and
/// its derivative there is that of the branch `θ ≤ π`. Exact to rounding in value, first
/// and second derivatives everywhere else; [`hessian`](crate::hessian) and
/// [`hvp`](crate::hvp) work through it.
///
/// # Panics
///
/// If the entries of `v` belong to different tapes.
pub fn rotation_from_scaled_axis(v: &Vector3<Var<'static>>) -> UnitQuaternion<Var<'static>> {
    let theta_squared = v.x * v.x + v.y * v.y + v.z * v.z;
    let (cos_half, sin_half_over) = if theta_squared.value() < EXP_SERIES_BELOW {
        (
            polynomial(theta_squared, &COS_HALF),
            polynomial(theta_squared, &SIN_HALF_OVER),
        )
    } else {
        let theta = theta_squared.sqrt();
        let (sin, cos) = (theta * 0.5).sin_cos();
        (cos, sin / theta)
    };
    // q and −q are the same rotation; keep w ≥ 0.
    let (w, s) = if cos_half.value() < 0.0 {
        (-cos_half, -sin_half_over)
    } else {
        (cos_half, sin_half_over)
    };
    UnitQuaternion::new_unchecked(Quaternion::new(w, v.x * s, v.y * s, v.z * s))
}

/// The rotation vector of `q`: its axis times its angle in `[0, π]`, the logarithm map
/// `2 log(q)`, inverse of [`rotation_from_scaled_axis`] for `|v| < π`.
///
/// With `q = (w, q_v)`, returns `2 atan2(|q_v|, |w|) sign(w) q_v/|q_v|`. The formula
/// depends on the direction of `q` only, so it is also defined (and differentiated) off
/// the unit sphere: the derivative with respect to a change of `q`'s norm is 0. Near the
/// identity it is `(2/w) (atan(r)/r) q_v` with `r² = |q_v|²/w²`, from a Taylor series in
/// `r²`: at `q = 1` the Jacobian with respect to `q_v` is `2I`, where nalgebra's
/// `scaled_axis` divides by `|q_v| = 0`.
///
/// ```
/// # #[cfg(feature = "nalgebra")] {
/// use approx::assert_relative_eq;
/// use nalgebra::{Matrix3, Vector3};
/// use tapegrad::linalg::{rotation_from_scaled_axis, scaled_axis};
///
/// let v = Vector3::new(0.3, -1.2, 2.0);
/// let (round_trip, jacobian) = tapegrad::jacobian(
///     |v: &Vector3<tapegrad::Var>| scaled_axis(&rotation_from_scaled_axis(v)),
///     &v,
/// );
/// assert_relative_eq!(round_trip, v, epsilon = 1e-15);
/// assert_relative_eq!(jacobian, Matrix3::identity(), epsilon = 1e-14);
/// # }
/// ```
///
/// # Conventions
///
/// `q` and `−q` give the same result; at `w = 0` (a half turn) the sign of the result
/// is that of `q_v`, and the derivative is that of the branch `w ≥ 0`. The zero
/// quaternion gives NaN. Exact to rounding in value, first and second derivatives
/// elsewhere; [`hessian`](crate::hessian) and [`hvp`](crate::hvp) work through it.
///
/// # Panics
///
/// If the entries of `q` belong to different tapes.
pub fn scaled_axis(q: &UnitQuaternion<Var<'static>>) -> Vector3<Var<'static>> {
    let q = q.as_ref();
    let (w, v) = if q.w.value() < 0.0 {
        (-q.w, -q.vector())
    } else {
        (q.w, q.vector().into_owned())
    };
    let norm_squared = v.x * v.x + v.y * v.y + v.z * v.z;
    let w_squared = w * w;
    // 2 atan2(|q_v|, w) / |q_v|
    let factor = if norm_squared.value() < LOG_SERIES_BELOW * w_squared.value() {
        polynomial(norm_squared / w_squared, &ATAN_OVER) * 2.0 / w
    } else {
        let norm = norm_squared.sqrt();
        norm.atan2(w) * 2.0 / norm
    };
    v * factor
}

/// `atan(r)/r = Σ_k (−r²)^k/(2k + 1)`, coefficients of (r²)^k.
const ATAN_OVER: [f64; LOG_TERMS] = {
    let mut c = [0.0; LOG_TERMS];
    let mut k = 0;
    while k < LOG_TERMS {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        c[k] = sign / (2 * k + 1) as f64;
        k += 1;
    }
    c
};
