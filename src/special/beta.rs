//! `ln |B(a, b)|` and the differences `ψₙ(a) - ψₙ(a + b)` that make its derivatives, on
//! `f64`, accurate where the plain sums of `ln Γ` and ψ cancel: when an argument is
//! large, `ln Γ(a) + ln Γ(b) - ln Γ(a + b)` subtracts numbers of size `a ln a` to leave
//! one of size `b ln a` (a thousandth of the digits are left of `ln B(2e11, 0.06)`), and
//! `ψ(a) - ψ(a + b)` subtracts two numbers near `ln a` to leave one near `-b/a`.
//!
//! Both are rewritten with Stirling's series (DLMF 5.11.1) so that the large parts
//! cancel in closed form (as R's `lbeta` does for the value).

use super::polygamma::{ASYMPTOTIC, BERNOULLI, polygamma, polynomial};

/// `½ ln 2π`.
const HALF_LN_TWO_PI: f64 = 0.9189385332046728;

/// The coefficients of Stirling's correction δ(x) = ln Γ(x) - (x - ½) ln x + x - ½ ln 2π
/// ~ Σₖ B₂ₖ / (2k (2k - 1) x²ᵏ⁻¹) (DLMF 5.11.1), in powers of `1/x²` after a factor
/// `1/x`.
const STIRLING: [f64; 10] = {
    let mut coefficients = [0.0; 10];
    let mut k = 0;
    while k < 10 {
        let two_k = 2.0 * (k + 1) as f64;
        coefficients[k] = BERNOULLI[k] / (two_k * (two_k - 1.0));
        k += 1;
    }
    coefficients
};

/// Stirling's correction δ(x) for `x ≥ 12` (see [`STIRLING`]).
fn stirling_correction(x: f64) -> f64 {
    let r = x.recip();
    r * polynomial(&STIRLING, r * r)
}

/// `ln |B(a, b)| = ln |Γ(a)| + ln |Γ(b)| - ln |Γ(a + b)|`.
///
/// With `p ≤ q` the two arguments, as R's `lbeta` (Brown and Levy's `ALNREL`-style
/// arrangement, written anew here from Stirling's series):
///
/// - `p ≥ 12`: ln B = -½ ln q + ½ ln 2π + (p - ½) ln(p/(p+q)) + q ln(1 - p/(p+q))
///   + δ(p) + δ(q) - δ(p+q);
/// - `q ≥ 12` and `p + q ≥ 12`: ln B = ln |Γ(p)| + p - p ln(p+q)
///   + (q - ½) ln(1 - p/(p+q)) + δ(q) - δ(p+q);
/// - otherwise the sum of the three `ln |Γ|`, each below 40 in size here.
pub(super) fn ln_beta(a: f64, b: f64) -> f64 {
    let (p, q) = if a < b { (a, b) } else { (b, a) };
    let sum = p + q;
    if q == f64::INFINITY && p > 0.0 {
        // B(p, q) ~ Γ(p) q⁻ᵖ → 0.
        return f64::NEG_INFINITY;
    }
    if p >= ASYMPTOTIC {
        let t = p / sum;
        let corrections =
            stirling_correction(p) + (stirling_correction(q) - stirling_correction(sum));
        -0.5 * q.ln() + HALF_LN_TWO_PI + (p - 0.5) * t.ln() + q * (-t).ln_1p() + corrections
    } else if q >= ASYMPTOTIC && sum >= ASYMPTOTIC && q.is_finite() {
        let t = p / sum;
        let corrections = stirling_correction(q) - stirling_correction(sum);
        libm::lgamma(p) + corrections + p - p * sum.ln() + (q - 0.5) * (-t).ln_1p()
    } else {
        libm::lgamma(p) + libm::lgamma(q) - libm::lgamma(sum)
    }
}

/// `ψₙ(a) - ψₙ(a + b)` for `n` 0 or 1: the partial derivatives of `ln B(a, b)` (n = 0)
/// and its second derivatives (n = 1).
///
/// For positive `a` and `a + b` both are shifted above 12 by the recurrence (whose
/// terms `1/(a+j) - 1/(a+b+j) = b / ((a+j)(a+b+j))` keep the exact `b`), and the
/// difference of the asymptotic series is taken term by term in closed form:
/// `ln a - ln(a+b) = -ln(1 + b/a)`, and with `u = 1/a`, `v = 1/(a+b)`,
/// `uᵐ - vᵐ = (u - v) hₘ₋₁(u, v)` where `u - v = b u v` and `hₘ(u, v) = Σᵢ uᵐ⁻ⁱ vⁱ`.
/// Every term then has the sign of the result. Elsewhere (an argument at or below 0)
/// it is the plain difference, accurate to about 1e-16 absolute.
pub(super) fn polygamma_difference(n: usize, a: f64, b: f64) -> f64 {
    debug_assert!(n <= 1, "polygamma difference of order {n}");
    let c = a + b;
    if a == f64::INFINITY && b.is_finite() {
        // ψₙ(a) - ψₙ(a + b) → 0 as a grows (it is about -b/a, or b/a² for n = 1).
        return 0.0;
    }
    if !(a > 0.0 && c > 0.0 && a.is_finite() && c.is_finite()) || b == 0.0 {
        return polygamma(n, a) - polygamma(n, c);
    }
    let lowest = a.min(c);
    let steps = if lowest < ASYMPTOTIC {
        (ASYMPTOTIC - lowest).ceil()
    } else {
        0.0
    };
    let shifted = a + steps;
    let mut value = asymptotic_difference(n, shifted, b);
    let mut j = steps - 1.0;
    while j >= 0.0 {
        let (aj, cj) = (a + j, a + j + b);
        // b / (aj cj), divided in turn so that no product of two tiny or two huge
        // numbers under- or overflows on the way (a = b = 1e-200, or b = 1e300).
        let ratio = b / aj / cj;
        value += match n {
            // ψ(x) = ψ(x + 1) - 1/x: 1/aj - 1/cj = b / (aj cj)
            0 => -ratio,
            // ψ₁(x) = ψ₁(x + 1) + 1/x²: 1/aj² - 1/cj² = b (aj + cj) / (aj² cj²)
            _ => ratio * (aj.recip() + cj.recip()),
        };
        j -= 1.0;
    }
    value
}

/// `ψₙ(a) - ψₙ(a + b)` for `a, a + b ≥ 12`, `n` 0 or 1, from the asymptotic series of
/// `polygamma.rs` taken term by term (see [`polygamma_difference`]):
///
/// - ψ(a) - ψ(a+b) = -ln(1 + b/a) - (u - v)/2 - Σₖ B₂ₖ/(2k) (u²ᵏ - v²ᵏ),
/// - ψ₁(a) - ψ₁(a+b) = (u - v) + (u² - v²)/2 + Σₖ B₂ₖ (u²ᵏ⁺¹ - v²ᵏ⁺¹).
fn asymptotic_difference(n: usize, a: f64, b: f64) -> f64 {
    let (u, v) = (a.recip(), (a + b).recip());
    let u_minus_v = b * u * v;
    // h[m] = hₘ(u, v) for m = 0..=21, by hₘ = u hₘ₋₁ + vᵐ.
    let mut h = [0.0; 22];
    let mut v_power = 1.0;
    h[0] = 1.0;
    for m in 1..h.len() {
        v_power *= v;
        h[m] = u * h[m - 1] + v_power;
    }
    if n == 0 {
        // u²ᵏ - v²ᵏ = (u - v) h₂ₖ₋₁
        let series: f64 = (0..BERNOULLI.len())
            .rev()
            .map(|k| BERNOULLI[k] / (2.0 * (k + 1) as f64) * h[2 * k + 1])
            .sum();
        -(b / a).ln_1p() - u_minus_v * (0.5 + series)
    } else {
        // u²ᵏ⁺¹ - v²ᵏ⁺¹ = (u - v) h₂ₖ
        let series: f64 = (0..BERNOULLI.len())
            .rev()
            .map(|k| BERNOULLI[k] * h[2 * k + 2])
            .sum();
        u_minus_v * (1.0 + 0.5 * h[1] + series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_matches_the_plain_one_where_nothing_cancels() {
        for (a, b) in [(0.5, 3.0), (2.0, 0.25), (15.0, 40.0), (30.0, -5.0)] {
            for n in 0..=1 {
                let plain = polygamma(n, a) - polygamma(n, a + b);
                let careful = polygamma_difference(n, a, b);
                assert!(
                    ((careful - plain) / plain).abs() < 1e-14,
                    "n = {n}, a = {a}, b = {b}: {careful} vs {plain}"
                );
            }
        }
    }
}
