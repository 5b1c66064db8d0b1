//! Losses, each a generic function over `T: Float`: the same code gives a value on `f64`
//! and a value to differentiate on [`Var`](tapegrad::Var). The [crate](crate)
//! docs list them.

use num_traits::Float;

use super::model::{Relu, relu};

/// `x` as a `T`.
fn constant<T: Float>(x: f64) -> T {
    T::from(x).expect("tapegrad_nn: this float type cannot represent an f64 label")
}

/// Checks that a batch of outputs and a batch of labels have one entry each per sample.
fn check_batch(function: &str, outputs: usize, labels: usize) {
    assert_eq!(
        outputs, labels,
        "tapegrad_nn::{function}: {outputs} outputs but {labels} labels; give one label per output"
    );
}

/// micrograd's max-margin loss: `mean(relu(1 - yᵢ sᵢ))` for scores `sᵢ` and labels
/// `yᵢ = ±1`.
///
/// A score on the right side of 0 by a margin of at least 1 costs nothing; inside the
/// margin, the loss grows linearly. At the kink, `yᵢ sᵢ = 1`, the derivative is 0
/// ([`relu`]'s convention). micrograd adds [`l2_regularization`] with `alpha = 1e-4`:
///
/// ```
/// use tapegrad_nn::{hinge_loss, l2_regularization};
///
/// let scores = [2.0, 0.5, -0.25];
/// let labels = [1.0, 1.0, -1.0];
/// // micrograd multiplies the sum by 1/n, and so does hinge_loss.
/// assert_eq!(hinge_loss(&scores, &labels), (0.0 + 0.5 + 0.75) * (1.0 / 3.0));
///
/// let parameters = [0.5, -1.0];
/// let (total, gradient) = tapegrad::gradient(
///     |p| hinge_loss(&[p[0] + p[1]], &[1.0]) + l2_regularization(p, 1e-4),
///     &parameters,
/// );
/// assert_eq!(total, 1.5 + 1e-4 * 1.25);
/// approx::assert_relative_eq!(gradient[0], -1.0 + 1e-4, epsilon = 1e-15);
/// approx::assert_relative_eq!(gradient[1], -1.0 - 2e-4, epsilon = 1e-15);
/// ```
///
/// # Panics
///
/// If `scores` and `labels` differ in length.
pub fn hinge_loss<T: Relu>(scores: &[T], labels: &[f64]) -> T {
    check_batch("hinge_loss", scores.len(), labels.len());
    let sum = scores.iter().zip(labels).fold(T::zero(), |sum, (&s, &y)| {
        sum + relu(T::one() - constant::<T>(y) * s)
    });
    sum * constant(1.0 / scores.len() as f64)
}

/// `alpha Σ p²`, micrograd's L2 regularization (`alpha = 1e-4` in its moons demo).
pub fn l2_regularization<T: Float>(parameters: &[T], alpha: f64) -> T {
    let sum = parameters.iter().fold(T::zero(), |sum, &p| sum + p * p);
    constant::<T>(alpha) * sum
}

/// The fraction of `scores` on the same side of 0 as their `labels`: micrograd's
/// `(score > 0) == (y > 0)`. A score of exactly 0 counts as negative.
///
/// ```
/// use tapegrad_nn::accuracy;
/// assert_eq!(accuracy(&[2.0, -0.5, 0.1, 0.0], &[1.0, -1.0, -1.0, 1.0]), 0.5);
/// ```
///
/// # Panics
///
/// If `scores` and `labels` differ in length.
pub fn accuracy<T: Float>(scores: &[T], labels: &[f64]) -> f64 {
    check_batch("accuracy", scores.len(), labels.len());
    let right = scores
        .iter()
        .zip(labels)
        .filter(|&(&s, &y)| (s > T::zero()) == (y > 0.0))
        .count();
    right as f64 / scores.len() as f64
}

/// `mean((pᵢ - tᵢ)²)` for predictions `pᵢ` and targets `tᵢ`.
///
/// ```
/// use tapegrad_nn::mean_squared_error;
/// assert_eq!(mean_squared_error(&[1.0, 2.0], &[0.0, 4.0]), 2.5);
/// ```
///
/// # Panics
///
/// If `predictions` and `targets` differ in length.
pub fn mean_squared_error<T: Float>(predictions: &[T], targets: &[f64]) -> T {
    check_batch("mean_squared_error", predictions.len(), targets.len());
    let sum = predictions
        .iter()
        .zip(targets)
        .fold(T::zero(), |sum, (&p, &t)| {
            let error = p - constant::<T>(t);
            sum + error * error
        });
    sum / constant(predictions.len() as f64)
}

/// Binary cross-entropy of logits `zᵢ` against targets `tᵢ` in `[0, 1]`, averaged:
/// `-t ln σ(z) - (1 - t) ln(1 - σ(z))` with `σ` the logistic sigmoid.
///
/// Computed without overflow for any `z` as `max(z, 0) - z t + ln(1 + e^(-|z|))`, in
/// two branches (`z >= 0` and `z < 0`) that are each smooth, so the derivative is the
/// exact `σ(z) - t` everywhere, 0 included.
///
/// ```
/// use tapegrad_nn::binary_cross_entropy_with_logits;
///
/// let loss = binary_cross_entropy_with_logits(&[0.0, 1000.0], &[1.0, 1.0]);
/// assert_eq!(loss, std::f64::consts::LN_2 / 2.0); // ln 2 at z = 0, 0 at z = 1000
/// let (_, gradient) =
///     tapegrad::gradient(|z| binary_cross_entropy_with_logits(z, &[0.25]), &[0.0]);
/// assert_eq!(gradient, [0.5 - 0.25]); // σ(0) - t
/// ```
///
/// # Panics
///
/// If `logits` and `targets` differ in length.
pub fn binary_cross_entropy_with_logits<T: Float>(logits: &[T], targets: &[f64]) -> T {
    check_batch(
        "binary_cross_entropy_with_logits",
        logits.len(),
        targets.len(),
    );
    let sum = logits.iter().zip(targets).fold(T::zero(), |sum, (&z, &t)| {
        let t = constant::<T>(t);
        let loss = if z >= T::zero() {
            z - z * t + (-z).exp().ln_1p()
        } else {
            z.exp().ln_1p() - z * t
        };
        sum + loss
    });
    sum / constant(logits.len() as f64)
}

/// Cross-entropy of the softmax of `logits` against the class `class`:
/// `-ln(e^(z_class) / Σ e^(zᵢ)) = ln Σ e^(zᵢ - m) + m - z_class`, with `m = max zᵢ` so
/// that no exponential overflows.
///
/// Its gradient is `softmax(z) - onehot(class)`. The shift `m` enters as a constant: the
/// loss does not depend on it, so its derivative is zero and recording it would only
/// add rounding.
///
/// ```
/// use tapegrad_nn::softmax_cross_entropy;
///
/// let loss = softmax_cross_entropy(&[1000.0, 1000.0], 0);
/// assert_eq!(loss, std::f64::consts::LN_2);
/// let (_, gradient) = tapegrad::gradient(|z| softmax_cross_entropy(z, 1), &[0.0, 0.0]);
/// assert_eq!(gradient, [0.5, -0.5]);
/// ```
///
/// # Panics
///
/// If `class` is not an index of `logits`.
pub fn softmax_cross_entropy<T: Float>(logits: &[T], class: usize) -> T {
    assert!(
        class < logits.len(),
        "tapegrad_nn::softmax_cross_entropy: class {class} of only {} logits; classes count \
         from 0",
        logits.len()
    );
    let max = logits[1..]
        .iter()
        .fold(logits[0], |max, &z| if z > max { z } else { max });
    let shift = max.to_f64().map_or(max, constant::<T>);
    let sum = logits
        .iter()
        .fold(T::zero(), |sum, &z| sum + (z - shift).exp());
    sum.ln() + (shift - logits[class])
}
