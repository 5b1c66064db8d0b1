//! Derivative modes: `jvp` and `vjp` against closed forms and against `jacobian`,
//! `Tape::backward_with` against separate sweeps, vector-mode Jacobians against scalar
//! sweeps for many shapes (lane remainders included), every driver on slices, arrays,
//! `Vec`s, `f32` and nalgebra vectors, and the panics of bad input.

// `|x| rosenbrock(x)` is the form that users write and the issue asked to compile.
#![allow(clippy::redundant_closure)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use num_traits::Float;
use tapegrad::{Tape, Var};

/// The text of a panic's payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast_ref::<&str>().unwrap().to_string(),
    }
}

/// The message of the panic of `f`, which must panic.
fn panics(f: impl FnOnce()) -> String {
    panic_message(catch_unwind(AssertUnwindSafe(f)).expect_err("must panic"))
}

/// A small deterministic generator (xorshift64*), so that every run tests the same
/// functions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One output of a random function: which inputs it reads and how.
#[derive(Clone, Debug)]
enum Term {
    /// `sin(a · x[i] · x[j]) + x[k]²`
    Smooth(usize, usize, usize, f64),
    /// `exp(a · x[i]) / (1 + x[j]²)`
    Ratio(usize, usize, f64),
    /// `x[i]` itself, a leaf as output.
    Input(usize),
    /// A constant.
    Constant(f64),
    /// The same Var as an earlier output.
    Repeat(usize),
}

/// A random function of `n` inputs and `m` outputs.
fn random_terms(rng: &mut Rng, n: usize, m: usize) -> Vec<Term> {
    (0..m)
        .map(|i| match rng.below(10) {
            0 => Term::Input(rng.below(n)),
            1 => Term::Constant(rng.uniform(-1.0, 1.0)),
            2 if i > 0 => Term::Repeat(rng.below(i)),
            3..=5 => Term::Ratio(rng.below(n), rng.below(n), rng.uniform(-1.0, 1.0)),
            _ => Term::Smooth(
                rng.below(n),
                rng.below(n),
                rng.below(n),
                rng.uniform(-2.0, 2.0),
            ),
        })
        .collect()
}

/// Runs the random function `terms` on `x`.
fn evaluate<'t>(terms: &[Term], x: &[Var<'t>]) -> Vec<Var<'t>> {
    let mut y: Vec<Var<'t>> = Vec::with_capacity(terms.len());
    for term in terms {
        let value = match *term {
            Term::Smooth(i, j, k, a) => (x[i] * x[j] * a).sin() + x[k].powi(2),
            Term::Ratio(i, j, a) => (x[i] * a).exp() / (x[j] * x[j] + 1.0),
            Term::Input(i) => x[i],
            Term::Constant(c) => Var::constant(c),
            Term::Repeat(r) => y[r],
        };
        y.push(value);
    }
    y
}

/// The Jacobian of `terms` at `x` column by column, from one scalar `jvp` per unit
/// vector: forward mode with one lane.
fn jacobian_by_columns(terms: &[Term], x: &[f64]) -> Vec<Vec<f64>> {
    let (n, m) = (x.len(), terms.len());
    let mut rows = vec![vec![0.0; n]; m];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let (_, column) = tapegrad::jvp(|v| evaluate(terms, v), x, &e);
        for i in 0..m {
            rows[i][j] = column[i];
        }
    }
    rows
}

/// The Jacobian of `terms` at `x` row by row, from one scalar `vjp` per unit vector:
/// reverse mode with one lane.
fn jacobian_by_rows(terms: &[Term], x: &[f64]) -> Vec<Vec<f64>> {
    let m = terms.len();
    (0..m)
        .map(|i| {
            let mut e = vec![0.0; m];
            e[i] = 1.0;
            tapegrad::vjp(|v| evaluate(terms, v), x, &e).1
        })
        .collect()
}

#[test]
fn vector_mode_jacobians_equal_scalar_sweeps_for_every_shape() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let sizes = [1, 2, 3, 4, 5, 8, 9, 12, 17];
    for &n in &sizes {
        for &m in &sizes {
            let terms = random_terms(&mut rng, n, m);
            let x: Vec<f64> = (0..n).map(|_| rng.uniform(-1.5, 1.5)).collect();
            let (values, jacobian) = tapegrad::jacobian(|v| evaluate(&terms, v), &x);
            assert_eq!((jacobian.rows(), jacobian.columns()), (m, n));
            let expected_values: Vec<f64> = tapegrad::jvp(|v| evaluate(&terms, v), &x, &x).0;
            assert_eq!(values, expected_values);
            let by_columns = jacobian_by_columns(&terms, &x);
            let by_rows = jacobian_by_rows(&terms, &x);
            // The mode picked sums exactly as the scalar sweeps of its direction do;
            // the other direction sums in another order, equal to rounding.
            let (same, other) = if n < m {
                (&by_columns, &by_rows)
            } else {
                (&by_rows, &by_columns)
            };
            for i in 0..m {
                assert_eq!(jacobian.row(i), same[i], "{n} × {m}, row {i}: {terms:?}");
                for j in 0..n {
                    let (a, b) = (jacobian[(i, j)], other[i][j]);
                    assert!(
                        (a - b).abs() <= 1e-14 * (1.0 + a.abs()),
                        "{n} × {m}, ({i}, {j}): {a} vs {b}"
                    );
                }
            }
        }
    }
}

#[test]
fn jvp_and_vjp_of_polar_coordinates() {
    let (r, t) = (2.0f64, 0.7f64);
    let f = |p: &[Var<'static>]| vec![p[0] * p[1].cos(), p[0] * p[1].sin()];
    // J = [[cos t, -r sin t], [sin t, r cos t]]
    let (values, jv) = tapegrad::jvp(f, &[r, t], &[0.5, -1.0]);
    assert_eq!(values, vec![r * t.cos(), r * t.sin()]);
    let expected = [0.5 * t.cos() + r * t.sin(), 0.5 * t.sin() - r * t.cos()];
    for (a, b) in jv.iter().zip(expected) {
        assert!((a - b).abs() < 1e-15, "{jv:?} vs {expected:?}");
    }
    let (_, ujt) = tapegrad::vjp(f, &[r, t], &[3.0, -2.0]);
    let expected = [
        3.0 * t.cos() - 2.0 * t.sin(),
        -3.0 * r * t.sin() - 2.0 * r * t.cos(),
    ];
    for (a, b) in ujt.iter().zip(expected) {
        assert!((a - b).abs() < 1e-14, "{ujt:?} vs {expected:?}");
    }
}

#[test]
fn jvp_is_a_combination_of_columns_and_vjp_of_rows() {
    let mut rng = Rng(7);
    let (n, m) = (6, 11);
    let terms = random_terms(&mut rng, n, m);
    let x: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let v: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let u: Vec<f64> = (0..m).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let (_, jacobian) = tapegrad::jacobian(|x| evaluate(&terms, x), &x);
    let (_, jv) = tapegrad::jvp(|x| evaluate(&terms, x), &x, &v);
    let (_, ujt) = tapegrad::vjp(|x| evaluate(&terms, x), &x, &u);
    for i in 0..m {
        let expected: f64 = (0..n).map(|j| jacobian[(i, j)] * v[j]).sum();
        assert!((jv[i] - expected).abs() < 1e-13, "row {i}");
    }
    for j in 0..n {
        let expected: f64 = (0..m).map(|i| u[i] * jacobian[(i, j)]).sum();
        assert!((ujt[j] - expected).abs() < 1e-13, "column {j}");
    }
}

#[test]
fn backward_with_is_the_sum_of_separate_backward_sweeps() {
    let tape = Tape::new();
    let x = tape.vars(&[0.3, -1.2, 2.0]);
    let a = (x[0] * x[1]).sin();
    let b = x[2].exp() * x[0];
    let c = a * b + x[1];
    let k = Var::constant(4.0);
    let ys = [a, b, c, a, k];
    let cotangents = [2.0, -0.5, 1.5, 3.0, 9.0];
    let together = tape.backward_with(&ys, &cotangents).wrt_all(&x);
    let mut separate = [0.0; 3];
    for (&y, &u) in ys.iter().zip(&cotangents) {
        for (s, g) in separate.iter_mut().zip(tape.backward(y).wrt_all(&x)) {
            *s += u * g;
        }
    }
    for (t, s) in together.iter().zip(separate) {
        assert!((t - s).abs() < 1e-14, "{together:?} vs {separate:?}");
    }
    // a twice, with cotangents 2 and 3, is a once with 5.
    let once = tape
        .backward_with(&[a, b, c], &[5.0, -0.5, 1.5])
        .wrt_all(&x);
    assert_eq!(together, once);
    // No outputs, or constants only: zero everywhere.
    assert_eq!(tape.backward_with(&[], &[]).wrt_all(&x), vec![0.0; 3]);
    assert_eq!(tape.backward_with(&[k], &[1.0]).wrt_all(&x), vec![0.0; 3]);
}

#[test]
fn derivative_of_functions_of_one_variable() {
    let (value, slope) = tapegrad::derivative(|x| x.powi(3) - x * 2.0, 1.5);
    assert_eq!(
        (value, slope),
        (1.5f64.powi(3) - 3.0, 3.0 * 1.5 * 1.5 - 2.0)
    );
    let (value, slope) = tapegrad::derivative(|x| x.ln(), 2.0f32);
    assert_eq!((value, slope), (2.0f64.ln(), 0.5));
    // A constant function.
    assert_eq!(
        tapegrad::derivative(|_| Var::constant(3.0), 1.0),
        (3.0, 0.0)
    );
}

/// Generic code that makes its constants from `f32`.
fn half_square<T: Float + From<f32>>(x: &[T]) -> T {
    x.iter().fold(T::zero(), |s, &xi| {
        s + xi * xi * <T as From<f32>>::from(0.5f32)
    })
}

#[test]
fn f32_inputs_and_from_f32() {
    let (value, gradient) = tapegrad::gradient(|x| half_square(x), &[1.0, 2.0]);
    assert_eq!((value, gradient), (2.5, vec![1.0, 2.0]));
    let x32 = [1.0f32, 2.0];
    let (value, gradient, hessian) = tapegrad::hessian(|x| half_square(x), &x32);
    assert_eq!((value, gradient), (2.5, vec![1.0, 2.0]));
    assert_eq!(hessian.as_slice(), &[1.0, 0.0, 0.0, 1.0]);
    let (_, _, hv) = tapegrad::hvp(|x| half_square(x), &x32[..], &[3.0f32, 4.0]);
    assert_eq!(hv, vec![3.0, 4.0]);
    let (values, jv) = tapegrad::jvp(|x| vec![x[0] * x[1]], &vec![2.0f32, 3.0], &[1.0, 1.0]);
    assert_eq!((values, jv), (vec![6.0], vec![5.0]));
    let (_, ujt) = tapegrad::vjp(|x| [x[0] * x[1]], &x32, &[2.0f32]);
    assert_eq!(ujt, vec![4.0, 2.0]);
    let (_, jacobian) = tapegrad::jacobian(|x| [x[0] * x[1], x[0]], &x32);
    assert_eq!(jacobian.as_slice(), &[2.0, 1.0, 1.0, 0.0]);
    assert_eq!(Var::from(0.1f32).value(), f64::from(0.1f32));
}

/// Extended Rosenbrock, generic.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).unwrap());
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
        .fold(T::zero(), |sum, term| sum + term)
}

#[test]
fn hessian_and_hvp_on_slices_arrays_and_vecs() {
    let (value, gradient, hessian) = tapegrad::hessian(|x| rosenbrock(x), &[1.0, 2.0]);
    assert_eq!((value, gradient), (100.0, vec![-400.0, 200.0]));
    assert_eq!(hessian.as_slice(), &[402.0, -400.0, -400.0, 200.0]);
    let x = vec![0.5, -0.3, 1.2];
    let (_, _, from_vec) = tapegrad::hessian(|x| rosenbrock(x), &x);
    let (_, _, from_slice) = tapegrad::hessian(|x| rosenbrock(x), x.as_slice());
    assert_eq!(from_vec, from_slice);
    let v = [1.0, -2.0, 0.5];
    let (_, _, hv) = tapegrad::hvp(|x| rosenbrock(x), &x, &v);
    for i in 0..3 {
        let expected: f64 = (0..3).map(|j| from_vec[(i, j)] * v[j]).sum();
        assert!((hv[i] - expected).abs() < 1e-12);
    }
    // No inputs at all.
    let (value, gradient, hessian) = tapegrad::hessian(|_| Var::constant(1.0), &[0.0f64; 0]);
    assert_eq!((value, gradient, hessian.rows()), (1.0, vec![], 0));
}

#[test]
fn mismatched_lengths_name_the_driver_and_both_lengths() {
    let f = |x: &[Var<'static>]| vec![x[0] * x[1], x[0]];
    let message = panics(|| {
        tapegrad::jvp(f, &[1.0, 2.0], &[1.0, 2.0, 3.0]);
    });
    assert!(
        message.contains("tapegrad::jvp") && message.contains('2') && message.contains('3'),
        "{message}"
    );
    let message = panics(|| {
        tapegrad::vjp(f, &[1.0, 2.0], &[1.0, 2.0, 3.0]);
    });
    assert!(
        message.contains("tapegrad::vjp")
            && message.contains("2 outputs")
            && message.contains("3 entries"),
        "{message}"
    );
    let message = panics(|| {
        tapegrad::hvp(|x| x[0] * x[1], &[1.0, 2.0], &[1.0]);
    });
    assert!(
        message.contains("tapegrad::hvp") && message.contains('2') && message.contains('1'),
        "{message}"
    );
    let message = panics(|| {
        let tape = Tape::new();
        let x = tape.var(1.0);
        tape.backward_with(&[x, x], &[1.0]);
    });
    assert!(
        message.contains("Tape::backward_with") && message.contains("2 outputs but 1 cotangents"),
        "{message}"
    );
    // The drivers still work afterwards.
    assert_eq!(tapegrad::jvp(f, &[1.0, 2.0], &[1.0, 0.0]).1, vec![2.0, 1.0]);
}

/// `[x₀ + x₁, x₀ x₁, 2 x₀]` as one custom vector rule.
fn custom_pair<'t>(x: &[Var<'t>]) -> Vec<Var<'t>> {
    let (a, b) = (x[0].value(), x[1].value());
    Var::custom_vjp(
        &[x[0], x[1]],
        &[a + b, a * b, 2.0 * a],
        move |y_bar, x_bar| {
            x_bar[0] = y_bar[0] + b * y_bar[1] + 2.0 * y_bar[2];
            x_bar[1] = y_bar[0] + a * y_bar[1];
        },
    )
}

#[test]
fn custom_vector_rules_panic_in_forward_mode_and_work_in_reverse() {
    let message = panics(|| {
        tapegrad::jvp(custom_pair, &[2.0, 3.0], &[1.0, 0.0]);
    });
    assert!(
        message.contains("custom_vjp") && message.contains("tapegrad::vjp"),
        "{message}"
    );
    // jacobian would pick forward mode (2 inputs, 3 outputs) but sweeps in reverse.
    let (values, jacobian) = tapegrad::jacobian(custom_pair, &[2.0, 3.0]);
    assert_eq!(values, vec![5.0, 6.0, 4.0]);
    assert_eq!(jacobian.as_slice(), &[1.0, 1.0, 3.0, 2.0, 2.0, 0.0]);
    let (_, ujt) = tapegrad::vjp(custom_pair, &[2.0, 3.0], &[1.0, 1.0, 1.0]);
    assert_eq!(ujt, vec![6.0, 3.0]);
    // Custom scalar rules are edges like any other: forward mode goes through them.
    let (_, jv) = tapegrad::jvp(
        |x| vec![Var::custom(&[x[0]], 0.0, &[7.0]) * x[1]],
        &[2.0, 3.0],
        &[1.0, 0.0],
    );
    assert_eq!(jv, vec![21.0]);
}

#[test]
fn outputs_that_are_inputs_or_constants() {
    let f = |x: &[Var<'static>]| [x[2], Var::constant(1.0), x[0] * 2.0];
    let (values, jacobian) = tapegrad::jacobian(f, &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(values, [3.0, 1.0, 2.0]);
    assert_eq!(
        jacobian.as_slice(),
        &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]
    );
    let g = |x: &[Var<'static>]| vec![x[1], Var::constant(1.0), x[0] * 2.0, x[1] * x[0]];
    let (_, jacobian) = tapegrad::jacobian(g, &[1.0, 2.0]);
    assert_eq!(
        jacobian.as_slice(),
        &[0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 2.0, 1.0]
    );
    let (_, jv) = tapegrad::jvp(g, &[1.0, 2.0], &[1.0, 1.0]);
    assert_eq!(jv, vec![1.0, 0.0, 2.0, 3.0]);
    // Only constants out.
    let (values, jacobian) = tapegrad::jacobian(|_| vec![Var::constant(2.0); 3], &[1.0]);
    assert_eq!((values, jacobian.into_vec()), (vec![2.0; 3], vec![0.0; 3]));
}

#[cfg(feature = "nalgebra")]
mod nalgebra_inputs {
    use approx::assert_relative_eq;
    use nalgebra::{DMatrix, DVector, Matrix2, Matrix2x3, Matrix3x2, Vector2, Vector3};
    use tapegrad::Var;

    use super::{Rng, evaluate, random_terms, rosenbrock};

    #[test]
    fn every_driver_on_fixed_and_dynamic_vectors() {
        let f = |p: &Vector2<Var<'static>>| Vector3::new(p[0] * p[1], p[0].sin(), p[1] * 3.0);
        let x = Vector2::new(0.5, -2.0);
        let (values, jacobian) = tapegrad::jacobian(f, &x);
        assert_eq!(values, Vector3::new(-1.0, 0.5f64.sin(), -6.0));
        let expected: Matrix3x2<f64> = Matrix3x2::new(-2.0, 0.5, 0.5f64.cos(), 0.0, 0.0, 3.0);
        assert_eq!(jacobian, expected);
        let (_, jv) = tapegrad::jvp(f, &x, &Vector2::new(1.0, 2.0));
        assert_eq!(jv, expected * Vector2::new(1.0, 2.0));
        let u = Vector3::new(1.0, -1.0, 0.5);
        let (_, ujt) = tapegrad::vjp(f, &x, &u);
        assert_relative_eq!(ujt, expected.transpose() * u, max_relative = 1e-15);

        // Dynamic: more inputs than outputs, reverse mode.
        let g = |p: &DVector<Var<'static>>| {
            DVector::from_vec(vec![p.iter().copied().sum::<Var<'static>>(), p[0] * p[4]])
        };
        let x = DVector::from_fn(5, |i, _| i as f64 + 1.0);
        let (values, jacobian) = tapegrad::jacobian(g, &x);
        assert_eq!(values.as_slice(), &[15.0, 5.0]);
        let expected =
            DMatrix::from_row_slice(2, 5, &[1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(jacobian, expected);

        // Hessians: fixed, dynamic, f32 entries, and a view.
        let h = |v: &Vector3<Var<'static>>| rosenbrock(v.as_slice());
        let point = Vector3::new(0.5, -0.3, 1.2);
        let (_, gradient, fixed) = tapegrad::hessian(h, &point);
        let (_, _, flat) = tapegrad::hessian(|x| rosenbrock(x), point.as_slice());
        let (_, dynamic_gradient, dynamic) = tapegrad::hessian(
            |v: &DVector<Var<'static>>| rosenbrock(v.as_slice()),
            &DVector::from_column_slice(point.as_slice()),
        );
        assert_eq!(gradient.as_slice(), dynamic_gradient.as_slice());
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(fixed[(i, j)], flat[(i, j)]);
                assert_eq!(fixed[(i, j)], dynamic[(i, j)]);
            }
        }
        let (_, _, from_f32) = tapegrad::hessian(h, &Vector3::new(0.5f32, -0.3, 1.2).cast::<f32>());
        assert_relative_eq!(from_f32, fixed, max_relative = 1e-6);
        let (_, _, hv) = tapegrad::hvp(h, &point, &Vector3::new(1.0, 0.0, 0.0));
        assert_eq!(hv, fixed.column(0));
        let (_, _, hv_view) = tapegrad::hvp(
            |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1],
            &Vector3::new(9.0, 1.0, 2.0).fixed_rows::<2>(1),
            &Vector2::new(1.0, 0.0),
        );
        assert_eq!(hv_view, Vector2::new(4.0, 2.0));
        let (_, _, hessian) = tapegrad::hessian(
            |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1] + v[1].powi(3),
            &Vector2::new(1.0, 2.0),
        );
        assert_eq!(hessian, Matrix2::new(4.0, 2.0, 2.0, 12.0));
    }

    #[test]
    fn nalgebra_jacobians_equal_slice_jacobians() {
        let mut rng = Rng(3);
        for (n, m) in [(3, 2), (2, 3), (9, 5), (5, 9), (8, 8)] {
            let terms = random_terms(&mut rng, n, m);
            let x: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let (_, flat) = tapegrad::jacobian(|v| evaluate(&terms, v), &x);
            let (_, matrix) = tapegrad::jacobian(
                |v: &DVector<Var<'static>>| DVector::from_vec(evaluate(&terms, v.as_slice())),
                &DVector::from_vec(x.clone()),
            );
            assert_eq!(matrix.shape(), (m, n));
            for i in 0..m {
                for j in 0..n {
                    assert_eq!(matrix[(i, j)], flat[(i, j)]);
                }
            }
        }
        // A fixed 2 × 3 Jacobian type.
        let (_, j) = tapegrad::jacobian(
            |p: &Vector3<Var<'static>>| Vector2::new(p[0] * p[1], p[2]),
            &Vector3::new(1.0, 2.0, 3.0),
        );
        let _: Matrix2x3<f64> = j;
        assert_eq!(j, Matrix2x3::new(2.0, 1.0, 0.0, 0.0, 0.0, 1.0));
    }
}
