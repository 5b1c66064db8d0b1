//! Seeded toy data sets for classifiers, and the tools to split and batch them.
//!
//! | item | what it gives |
//! |---|---|
//! | [`moons`] | two interleaving half circles, as scikit-learn's `make_moons` |
//! | [`circles`] | a small circle inside a large one, as scikit-learn's `make_circles` |
//! | [`spirals`] | interleaved spiral arms, one per class, as in Stanford's CS231n notes |
//! | [`Dataset`] | 2-d points and their labels; [`signed_labels`](Dataset::signed_labels) gives micrograd's ±1 |
//! | [`Dataset::split`], [`split_indices`] | a shuffled train/test partition |
//! | [`Minibatches`] | batches of indices, reshuffled every epoch |
//! | [`SplitMix64`] | the small generator behind all of them |
//!
//! Everything random takes a `seed: u64`: the same seed gives the same data on every
//! run, another seed other data. The integer stream of [`SplitMix64`] is the same on
//! every platform; the points also go through `sin`, `cos` and `ln`, whose last bit the
//! platform's math library decides.
//!
//! ```
//! use tapegrad_nn::data::moons;
//!
//! let data = moons(100, 0.1, 42);
//! assert_eq!(data.len(), 100);
//! assert_eq!(data.class_counts(), vec![50, 50]);
//! assert_eq!(data, moons(100, 0.1, 42)); // reproducible
//!
//! // micrograd trains on labels -1 and +1: `y * 2 - 1`.
//! let y = data.signed_labels();
//! assert!(y.iter().all(|&y| y == -1.0 || y == 1.0));
//!
//! let (train, test) = data.split(0.2, 7);
//! assert_eq!((train.len(), test.len()), (80, 20));
//! ```

use std::f64::consts::PI;

/// A small, fast pseudo-random generator: SplitMix64 (Steele, Lea and Flood, 2014).
///
/// Each call adds a fixed odd constant to a 64-bit counter and scrambles the result, so
/// every seed (0 included) gives a full-period stream of 2⁶⁴ numbers that passes the
/// usual statistical batteries. Good for data and weight initialization, not for
/// cryptography.
///
/// ```
/// use tapegrad_nn::data::SplitMix64;
///
/// let mut rng = SplitMix64::new(1);
/// let u = rng.uniform();
/// assert!((0.0..1.0).contains(&u));
/// assert!(rng.below(6) < 6);
/// assert_eq!(SplitMix64::new(1).uniform(), u); // the same seed, the same stream
/// ```
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
    /// Box–Muller makes normals in pairs; the second waits here for the next call.
    spare_normal: Option<f64>,
}

impl SplitMix64 {
    /// A generator whose stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 {
            state: seed,
            spare_normal: None,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`: the top 53 bits of [`next_u64`](Self::next_u64)
    /// over 2⁵³, so every value is a multiple of 2⁻⁵³.
    pub fn uniform(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// A uniform number in `[low, high)`.
    pub fn uniform_in(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// A standard normal number (mean 0, standard deviation 1), by the Box–Muller
    /// transform: two uniforms give two independent normals, and the second is kept for
    /// the next call.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let angle = 2.0 * PI * self.uniform();
        self.spare_normal = Some(radius * angle.sin());
        radius * angle.cos()
    }

    /// A uniform integer in `0..n`, without modulo bias (Lemire's multiply-and-reject).
    ///
    /// # Panics
    ///
    /// When `n` is 0: the range `0..0` is empty.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "SplitMix64::below(0): the range 0..0 is empty");
        let n = n as u64;
        // Products whose low half falls under 2⁶⁴ mod n would make some results more
        // likely than others; drawing again in that case makes all n equally likely.
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            if product as u64 >= threshold {
                return (product >> 64) as usize;
            }
        }
    }

    /// Puts `items` in a uniformly random order (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            let pick = self.below(last + 1);
            items.swap(last, pick);
        }
    }
}

/// Points in the plane with a class label each: what [`moons`], [`circles`] and
/// [`spirals`] return.
///
/// `points[i]` has label `labels[i]`; the two vectors always have the same length, and
/// every label is below `classes`. The fields are public so that a training loop can read
/// them directly; keep these two rules when changing them.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The points, `[x, y]`.
    pub points: Vec<[f64; 2]>,
    /// The class of each point, in `0..classes`.
    pub labels: Vec<usize>,
    /// The number of classes.
    pub classes: usize,
}

impl Dataset {
    /// The number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// How many points each class has: entry `k` counts the label `k`.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &label in &self.labels {
            counts[label] += 1;
        }
        counts
    }

    /// The labels as micrograd uses them for a two-class problem: label 0 becomes `-1.0`,
    /// label 1 becomes `+1.0` (`y * 2 - 1` in micrograd's demo), ready for its max-margin
    /// loss `relu(1 - yᵢ·scoreᵢ)`.
    ///
    /// # Panics
    ///
    /// When a label is neither 0 nor 1.
    pub fn signed_labels(&self) -> Vec<f64> {
        self.labels
            .iter()
            .map(|&label| match label {
                0 => -1.0,
                1 => 1.0,
                other => panic!(
                    "signed_labels needs two classes, 0 and 1, but a point has label {other}"
                ),
            })
            .collect()
    }

    /// The points at `indices`, in that order (an index may repeat).
    ///
    /// # Panics
    ///
    /// When an index is not below [`len`](Self::len).
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            points: indices.iter().map(|&i| self.points[i]).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes,
        }
    }

    /// A shuffled split into `(train, test)`, the test part holding
    /// `test_fraction` of the points (see [`split_indices`]).
    ///
    /// # Panics
    ///
    /// When `test_fraction` is not in `[0, 1]`.
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
        let (train, test) = split_indices(self.len(), test_fraction, seed);
        (self.subset(&train), self.subset(&test))
    }
}

/// A random partition of `0..n` into `(train, test)` index lists.
///
/// The test list has `round(n · test_fraction)` indices (scikit-learn's
/// `train_test_split` rounds up instead, which turns `0.7 · 10` into 8), the train list
/// the rest. Both come in shuffled order; together they hold every index once.
///
/// ```
/// let (train, test) = tapegrad_nn::data::split_indices(10, 0.3, 1);
/// assert_eq!((train.len(), test.len()), (7, 3));
/// let mut all = [train, test].concat();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>());
/// ```
///
/// # Panics
///
/// When `test_fraction` is not in `[0, 1]` (NaN included).
pub fn split_indices(n: usize, test_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    assert!(
        (0.0..=1.0).contains(&test_fraction),
        "split_indices: test_fraction must lie in [0, 1], got {test_fraction}"
    );
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let test_len = ((n as f64 * test_fraction).round() as usize).min(n);
    let train = order.split_off(test_len);
    (train, order)
}

/// Batches of indices into a data set of `n` items, in a new random order every epoch.
///
/// Each call to [`epoch`](Self::epoch) reshuffles the indices and cuts them into batches
/// of `batch_size`; the last batch is shorter when `batch_size` does not divide `n`. The
/// sequence of epochs is fixed by the seed.
///
/// ```
/// use tapegrad_nn::data::Minibatches;
///
/// let mut batches = Minibatches::new(10, 4, 3);
/// let sizes: Vec<usize> = batches.epoch().map(|batch| batch.len()).collect();
/// assert_eq!(sizes, [4, 4, 2]);
/// for batch in batches.epoch() {
///     for &i in batch {
///         assert!(i < 10); // index into the training set
///     }
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Minibatches {
    order: Vec<usize>,
    batch_size: usize,
    rng: SplitMix64,
}

impl Minibatches {
    /// Batches of `batch_size` indices into `0..n`, shuffled by a generator seeded with
    /// `seed`.
    ///
    /// # Panics
    ///
    /// When `batch_size` is 0.
    pub fn new(n: usize, batch_size: usize, seed: u64) -> Self {
        assert!(
            batch_size > 0,
            "Minibatches::new: batch_size must be at least 1"
        );
        Minibatches {
            order: (0..n).collect(),
            batch_size,
            rng: SplitMix64::new(seed),
        }
    }

    /// Reshuffles the indices and returns this epoch's batches.
    pub fn epoch(&mut self) -> std::slice::Chunks<'_, usize> {
        self.rng.shuffle(&mut self.order);
        self.order.chunks(self.batch_size)
    }

    /// The number of batches in an epoch: `n / batch_size`, rounded up.
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }
}

/// `count` evenly spaced numbers from `start` towards `end`, as numpy's `linspace`: with
/// `endpoint`, the last one is `end` exactly; without, the step is `(end - start) / count`
/// and `end` is left out.
fn linspace(start: f64, end: f64, count: usize, endpoint: bool) -> impl Iterator<Item = f64> {
    let intervals = if endpoint {
        count.saturating_sub(1)
    } else {
        count
    };
    (0..count).map(move |i| {
        if endpoint && i + 1 == count && count > 1 {
            end
        } else if intervals == 0 {
            start
        } else {
            start + (end - start) * (i as f64 / intervals as f64)
        }
    })
}

fn assert_noise(noise: f64, function: &str) {
    assert!(
        noise >= 0.0 && noise.is_finite(),
        "{function}: noise is a standard deviation and must be finite and >= 0, got {noise}"
    );
}

/// Shuffles the labelled points with `rng`, then adds Gaussian noise of standard
/// deviation `noise` to every coordinate (scikit-learn's order of the two steps).
fn shuffle_and_jitter(
    mut labelled: Vec<([f64; 2], usize)>,
    noise: f64,
    classes: usize,
    rng: &mut SplitMix64,
) -> Dataset {
    rng.shuffle(&mut labelled);
    let (mut points, labels): (Vec<[f64; 2]>, Vec<usize>) = labelled.into_iter().unzip();
    if noise > 0.0 {
        for point in &mut points {
            point[0] += noise * rng.normal();
            point[1] += noise * rng.normal();
        }
    }
    Dataset {
        points,
        labels,
        classes,
    }
}

/// Two interleaving half circles, as scikit-learn's `make_moons(n, noise=noise)`.
///
/// `n / 2` (rounded down) points of class 0 lie on the upper half of the unit circle,
/// `(cos t, sin t)`, and the other points, class 1, on the lower half circle
/// `(1 - cos t, 1 - sin t - 0.5)`, each with `t` evenly spaced over `[0, π]` (both ends
/// included). The points are shuffled, then each coordinate gets Gaussian noise of
/// standard deviation `noise`.
///
/// micrograd's demo uses `moons(100, 0.1, seed)` with labels `-1`/`+1`:
/// [`Dataset::signed_labels`].
///
/// # Panics
///
/// When `noise` is negative, infinite or NaN.
pub fn moons(n: usize, noise: f64, seed: u64) -> Dataset {
    assert_noise(noise, "moons");
    let outer = n / 2;
    let inner = n - outer;
    let mut labelled = Vec::with_capacity(n);
    labelled.extend(linspace(0.0, PI, outer, true).map(|t| ([t.cos(), t.sin()], 0)));
    labelled
        .extend(linspace(0.0, PI, inner, true).map(|t| ([1.0 - t.cos(), 1.0 - t.sin() - 0.5], 1)));
    shuffle_and_jitter(labelled, noise, 2, &mut SplitMix64::new(seed))
}

/// A small circle inside a large one, as scikit-learn's
/// `make_circles(n, noise=noise, factor=factor)`.
///
/// `n / 2` (rounded down) points of class 0 lie on the unit circle, the other points,
/// class 1, on the circle of radius `factor`, each at angles evenly spaced over
/// `[0, 2π)`. The points are shuffled, then each coordinate gets Gaussian noise of
/// standard deviation `noise`.
///
/// # Panics
///
/// When `factor` is not in `[0, 1)`, or `noise` is negative, infinite or NaN.
pub fn circles(n: usize, noise: f64, factor: f64, seed: u64) -> Dataset {
    assert_noise(noise, "circles");
    assert!(
        (0.0..1.0).contains(&factor),
        "circles: factor is the inner radius and must lie in [0, 1), got {factor}"
    );
    let outer = n / 2;
    let inner = n - outer;
    let mut labelled = Vec::with_capacity(n);
    labelled.extend(linspace(0.0, 2.0 * PI, outer, false).map(|t| ([t.cos(), t.sin()], 0)));
    labelled.extend(
        linspace(0.0, 2.0 * PI, inner, false).map(|t| ([factor * t.cos(), factor * t.sin()], 1)),
    );
    shuffle_and_jitter(labelled, noise, 2, &mut SplitMix64::new(seed))
}

/// Interleaved spiral arms, one per class: the classic data set of Stanford's CS231n
/// notes ("Putting it together: minimal neural network case study").
///
/// Class `k` has `n_per_class` points at radii `r` evenly spaced over `[0, 1]` and
/// angles `t = 4k + 4r` plus Gaussian noise of standard deviation `noise` (noise on the
/// angle, as in CS231n, which uses 0.2), placed at `(r sin t, r cos t)`. The points are
/// then shuffled.
///
/// # Panics
///
/// When `noise` is negative, infinite or NaN.
pub fn spirals(n_per_class: usize, classes: usize, noise: f64, seed: u64) -> Dataset {
    assert_noise(noise, "spirals");
    let mut rng = SplitMix64::new(seed);
    let mut labelled = Vec::with_capacity(n_per_class * classes);
    for class in 0..classes {
        let start = 4.0 * class as f64;
        for (radius, angle) in linspace(0.0, 1.0, n_per_class, true).zip(linspace(
            start,
            start + 4.0,
            n_per_class,
            true,
        )) {
            let angle = angle + noise * rng.normal();
            labelled.push(([radius * angle.sin(), radius * angle.cos()], class));
        }
    }
    shuffle_and_jitter(labelled, 0.0, classes, &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_matches_numpy() {
        let with_end: Vec<f64> = linspace(0.0, 1.0, 5, true).collect();
        assert_eq!(with_end, [0.0, 0.25, 0.5, 0.75, 1.0]);
        let without_end: Vec<f64> = linspace(0.0, 1.0, 4, false).collect();
        assert_eq!(without_end, [0.0, 0.25, 0.5, 0.75]);
        assert_eq!(linspace(2.0, 3.0, 1, true).collect::<Vec<_>>(), [2.0]);
        assert_eq!(linspace(2.0, 3.0, 1, false).collect::<Vec<_>>(), [2.0]);
        assert_eq!(linspace(2.0, 3.0, 0, true).count(), 0);
    }

    #[test]
    fn splitmix64_reference_values() {
        // The first outputs for seed 1234567: the test vector of Rosetta Code's
        // "Pseudo-random numbers/Splitmix64" task, also reproduced with an independent
        // Python transcription of Vigna's reference C code.
        let mut rng = SplitMix64::new(1234567);
        let first: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6457827717110365317,
                3203168211198807973,
                9817491932198370423,
                4593380528125082431,
                16408922859458223821,
            ]
        );
    }
}
