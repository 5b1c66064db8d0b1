//! The digamma function ψ = Γ'/Γ and its first three derivatives, the polygamma
//! functions ψ₁ (trigamma), ψ₂ and ψ₃, on `f64`: the values behind
//! [`Special::digamma`](crate::Special::digamma) and
//! [`Special::trigamma`](crate::Special::trigamma) and behind the derivatives of all the
//! gamma-family functions.
//!
//! No maintained crate computes these to the accuracy tapegrad promises (see the notes
//! of `special.rs`), so they are written here from the classical formulas of DLMF
//! chapter 5 (<https://dlmf.nist.gov/5>):
//!
//! | where              | how                                                                   |
//! |--------------------|-----------------------------------------------------------------------|
//! | `x ≥ 12`           | the asymptotic expansions, DLMF 5.11.2 (ψ) and 5.15.8 (ψₙ)            |
//! | `0 ≤ x < 12`, ψₙ   | the recurrence ψₙ(x) = ψₙ(x + 1) + (-1)ⁿ⁺¹ n! / xⁿ⁺¹ (DLMF 5.15.5), upward to 12: every term has one sign |
//! | `1 ≤ x < 2`, ψ     | the Taylor series about the positive root x₀ of ψ, so that ψ is accurate relative to its value near x₀ |
//! | `2 ≤ x < 12`, ψ    | the recurrence ψ(x) = ψ(x - 1) + 1/(x - 1) (DLMF 5.5.2), downward into [1, 2) |
//! | `0 ≤ x < 1`, ψ     | ψ(x) = ψ(x + 1) - 1/x                                                 |
//! | `x < 0`            | the reflection formula ψ(1 - x) - ψ(x) = π cot(πx) (DLMF 5.5.4) and its derivatives (DLMF 5.15.6) |
//!
//! Every step adds terms of one sign, or subtracts terms a few times smaller than the
//! result, except where the result itself nears 0: at the roots of ψ and ψ₂ on the
//! negative axis (ψ(-0.5040830…) = 0, …), where the error is absolute, about 1e-16
//! times `|π cot(πx)|`.

use std::f64::consts::PI;

/// The Bernoulli numbers B₂, B₄, …, B₂₀ (DLMF table 24.2.1), each the nearest f64 to
/// the exact fraction.
pub(super) const BERNOULLI: [f64; 10] = [
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
    -3617.0 / 510.0,
    43867.0 / 798.0,
    -174611.0 / 330.0,
];

/// Where the asymptotic expansions take over. From 12 on, the ten terms of
/// [`BERNOULLI`] leave a truncation error below 1e-17 relative for ψ, …, ψ₃ (the next
/// term of ψ₃'s series is 3e-18 of the value at 12) and for `ln Γ`'s.
pub(super) const ASYMPTOTIC: f64 = 12.0;

/// `n!` for the orders computed here.
const FACTORIAL: [f64; 4] = [1.0, 1.0, 2.0, 6.0];

/// The coefficients of the asymptotic series of ψₙ in powers of `w = 1/x²` (DLMF
/// 5.15.8, with 5.11.2 for n = 0): `B₂ₖ / (2k)` for ψ, `B₂ₖ (2k + n - 1)! / (2k)!`
/// for ψₙ with n ≥ 1.
const fn asymptotic_coefficients(n: usize) -> [f64; 10] {
    let mut coefficients = [0.0; 10];
    let mut k = 0;
    while k < 10 {
        let two_k = 2.0 * (k + 1) as f64;
        coefficients[k] = if n == 0 {
            BERNOULLI[k] / two_k
        } else {
            // (2k + n - 1)! / (2k)! = (2k + 1) (2k + 2) ⋯ (2k + n - 1)
            let mut product = BERNOULLI[k];
            let mut j = 1;
            while j < n {
                product *= two_k + j as f64;
                j += 1;
            }
            product
        };
        k += 1;
    }
    coefficients
}

const ASYMPTOTIC_COEFFICIENTS: [[f64; 10]; 4] = [
    asymptotic_coefficients(0),
    asymptotic_coefficients(1),
    asymptotic_coefficients(2),
    asymptotic_coefficients(3),
];

/// The positive root x₀ = 1.4616321449683623412… of ψ (DLMF 5.4.iii), as the sum of
/// two f64s: `ROOT_HIGH + ROOT_LOW` is within 3e-33 of it.
const ROOT_HIGH: f64 = 1.4616321449683622;
const ROOT_LOW: f64 = 9.549995429965697e-17;

/// The Taylor coefficients of ψ about its root x₀: ψ(x) = Σₖ₌₁ cₖ (x - x₀)ᵏ with
/// cₖ = ψ⁽ᵏ⁾(x₀) / k! = (-1)ᵏ⁺¹ ζ(k + 1, x₀) (DLMF 5.15.2), computed with mpmath at 60
/// digits by `tests/reference/special.py --root-series`. On [1, 2), where
/// |x - x₀| ≤ 0.54 and the series converges as (0.54 / x₀)ᵏ, forty terms leave an error
/// below 1e-17 relative.
const ROOT_SERIES: [f64; 40] = [
    0.9676722454476212,
    -0.4427631689835921,
    0.258499760955651,
    -0.16394270544240652,
    0.10782405069126237,
    -0.07219956125645471,
    0.04880428816414311,
    -0.03316112647484736,
    0.022597648232218104,
    -0.01542476590494896,
    0.010538791616612175,
    -0.007204534386356869,
    0.004926781395729853,
    -0.003369801655439328,
    0.002305126326734928,
    -0.0015769367714301972,
    0.0010788252019162967,
    -0.0007380709389960052,
    0.000504953265834602,
    -0.0003454680251063077,
    0.00023635601564027053,
    -0.00016170622091974803,
    0.0001106337276874741,
    -7.569179582195066e-05,
    5.178575795222081e-05,
    -3.5430070947659604e-05,
    2.424006611860132e-05,
    -1.6584242271854135e-05,
    1.134638458466385e-05,
    -7.762817668462094e-06,
    5.3110609208898636e-06,
    -3.6336507898010456e-06,
    2.486022733129538e-06,
    -1.7008538854332607e-06,
    1.1636675363548843e-06,
    -7.96142543124197e-07,
    5.446941930669446e-07,
    -3.7266161283438227e-07,
    2.549626552021554e-07,
    -1.7443695117727745e-07,
];

/// `Σ coefficients[k] wᵏ` by Horner's rule (with separate multiplies and adds:
/// `f64::mul_add` is a library call on targets built without FMA, the default on
/// x86-64).
#[inline]
pub(super) fn polynomial(coefficients: &[f64], w: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |sum, &c| sum * w + c)
}

/// ψₙ(x), the n-th derivative of the digamma function (ψ₀ = ψ), for n ≤ 3.
///
/// At a pole, `x = 0, -1, -2, …`: +inf for n = 1 and 3 (the limit from both sides),
/// NaN for n = 0 and 2 at the negative integers (the one-sided limits are ±inf), and at
/// `±0` the limit from that side (ψ(+0) = -inf, ψ(-0) = +inf, ψ₂(+0) = -inf, ψ₂(-0) =
/// +inf), as SciPy's `digamma` and `polygamma` give.
pub(crate) fn polygamma(n: usize, x: f64) -> f64 {
    debug_assert!(n <= 3, "polygamma of order {n}");
    if x.is_nan() {
        x
    } else if x < 0.0 {
        reflected(n, x)
    } else if n == 0 {
        digamma_nonnegative(x)
    } else {
        polygamma_nonnegative(n, x)
    }
}

/// ψ(x) for `x ≥ 0` (and `-0.0`).
fn digamma_nonnegative(x: f64) -> f64 {
    if x >= ASYMPTOTIC {
        asymptotic(0, x)
    } else if x >= 2.0 {
        // ψ(x) = ψ(x - m) + Σⱼ₌₁ᵐ 1/(x - j) with x - m in [1, 2); each x - j is exact.
        let steps = x.floor() - 1.0;
        let mut sum = 0.0;
        let mut j = 1.0;
        while j <= steps {
            sum += (x - j).recip();
            j += 1.0;
        }
        near_root(x - steps) + sum
    } else if x >= 1.0 {
        near_root(x)
    } else {
        near_root(x + 1.0) - x.recip()
    }
}

/// ψ(x) for `1 ≤ x < 2` (or a little beyond), from the Taylor series about the root:
/// relative accuracy of a few ulps even where ψ(x) is tiny.
fn near_root(x: f64) -> f64 {
    // x - ROOT_HIGH is exact (Sterbenz) on [0.74, 2.9].
    let g = (x - ROOT_HIGH) - ROOT_LOW;
    // Σₖ cₖ₊₁ gᵏ as four interleaved Horner chains in g⁴ (Estrin's scheme), so that the
    // forty multiply-adds take the time of ten; the terms still decrease, so the sum
    // loses nothing to it. Plain multiplies and adds, as in `polynomial`.
    let (g2, g4) = (g * g, g * g * (g * g));
    let mut chains = [0.0; 4];
    for coefficients in ROOT_SERIES.chunks_exact(4).rev() {
        for (chain, &c) in chains.iter_mut().zip(coefficients) {
            *chain = *chain * g4 + c;
        }
    }
    let [c0, c1, c2, c3] = chains;
    g * ((c1 * g + c0) + g2 * (c3 * g + c2))
}

/// ψₙ(x) for `n ≥ 1` and `x ≥ 0` (and `-0.0`): the recurrence up to
/// [`ASYMPTOTIC`], then the asymptotic series. All terms have the sign of ψₙ.
fn polygamma_nonnegative(n: usize, x: f64) -> f64 {
    let steps = if x < ASYMPTOTIC {
        (ASYMPTOTIC - x).ceil()
    } else {
        0.0
    };
    let mut value = asymptotic(n, x + steps);
    // ψₙ(x) = ψₙ(x + m) + (-1)ⁿ⁺¹ n! Σⱼ₌₀ᵐ⁻¹ (x + j)⁻ⁿ⁻¹, smallest terms first.
    let scale = if !n.is_multiple_of(2) {
        FACTORIAL[n]
    } else {
        -FACTORIAL[n]
    };
    let mut j = steps - 1.0;
    while j >= 1.0 {
        value += scale * power((x + j).recip(), n + 1);
        j -= 1.0;
    }
    if steps >= 1.0 {
        // The term of x itself, not of x + 0.0, which would make -0.0 into +0.0.
        value += scale * power(x.recip(), n + 1);
    }
    value
}

/// `rⁿ` for a small `n`, by repeated multiplication (no overflow of `xⁿ` on the way to
/// `1/xⁿ`).
#[inline]
fn power(r: f64, n: usize) -> f64 {
    (1..n).fold(r, |p, _| p * r)
}

/// The asymptotic series of ψₙ at `x ≥ 12` (DLMF 5.11.2 and 5.15.8):
///
/// ψ(x) ~ ln x - 1/(2x) - Σₖ B₂ₖ / (2k x²ᵏ),
/// ψₙ(x) ~ (-1)ⁿ⁺¹ [(n - 1)!/xⁿ + n!/(2xⁿ⁺¹) + Σₖ B₂ₖ (2k + n - 1)! / ((2k)! x²ᵏ⁺ⁿ)].
fn asymptotic(n: usize, x: f64) -> f64 {
    let r = x.recip();
    let w = r * r;
    let series = w * polynomial(&ASYMPTOTIC_COEFFICIENTS[n], w);
    if n == 0 {
        return x.ln() - 0.5 * r - series;
    }
    let bracket = FACTORIAL[n - 1] + 0.5 * FACTORIAL[n] * r + series;
    let magnitude = power(r, n) * bracket;
    if n.is_multiple_of(2) {
        -magnitude
    } else {
        magnitude
    }
}

/// ψₙ(x) for `x < 0`, from ψₙ(1 - x) by the reflection formula ψ(1 - x) - ψ(x) =
/// π cot(πx) (DLMF 5.5.4) differentiated n times (DLMF 5.15.6). With `s = sin(πx)`,
/// `c = cos(πx)` and `q = π / s`:
///
/// - ψ(x)  = ψ(1 - x) - q c
/// - ψ₁(x) = -ψ₁(1 - x) + q²
/// - ψ₂(x) = ψ₂(1 - x) - 2 q³ c
/// - ψ₃(x) = -ψ₃(1 - x) + 2 q⁴ (1 + 2c²)
fn reflected(n: usize, x: f64) -> f64 {
    let pole = x == x.floor();
    if pole && n.is_multiple_of(2) {
        // The one-sided limits are +inf and -inf (and -inf is no number to reflect).
        return f64::NAN;
    }
    let mirrored = polygamma(n, 1.0 - x);
    let (s, c) = sin_cos_pi(x);
    let q = PI / s;
    match n {
        0 => mirrored - q * c,
        1 => q * q - mirrored,
        2 => mirrored - 2.0 * q * q * q * c,
        _ => 2.0 * (q * q) * (q * q) * (1.0 + 2.0 * c * c) - mirrored,
    }
}

/// `(sin πx, cos πx)` up to a common sign, accurate to a few ulps for any `x`: the
/// argument is reduced exactly to `r = x - round(x)` in [-1/2, 1/2], and each value is
/// taken from whichever of `sin` and `cos` has the smaller argument (so that `cos πx`
/// is exactly 0 at half-integers and `sin πx` exactly 0 at integers). The sign
/// `(-1)^round(x)` is left out: the reflection formulas use only `cot πx` and
/// `csc² πx`, whose period is 1.
fn sin_cos_pi(x: f64) -> (f64, f64) {
    let r = x - x.round();
    let magnitude = r.abs();
    if magnitude <= 0.25 {
        (PI * r).sin_cos()
    } else {
        let (cos, sin) = (PI * (0.5 - magnitude)).sin_cos();
        (sin.copysign(r), cos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_series_meets_the_recurrence_at_both_ends() {
        // ψ(2) = ψ(1) + 1, both from the series (1 - γ and -γ).
        let euler_gamma = 0.5772156649015329;
        assert!((near_root(1.0) + euler_gamma).abs() < 2e-16);
        assert!((near_root(2.0) - (1.0 - euler_gamma)).abs() < 2e-16);
    }

    #[test]
    fn sin_cos_pi_is_exact_where_it_must_be() {
        assert_eq!(sin_cos_pi(-3.0).0, 0.0);
        assert_eq!(sin_cos_pi(-2.5).1, 0.0);
        // sin(1.5π) = -1, cos(1.5π) = 0; round(1.5) = 2, so no sign is left out.
        assert_eq!(sin_cos_pi(1.5), (-1.0, 0.0));
    }
}
