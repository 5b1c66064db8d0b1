#![cfg(feature = "nalgebra")]

//! Users' own derivative rules: `Var::custom`, `Var::custom_with_hessian` and
//! `Var::custom_vjp`, against closed forms and central finite differences.

use std::cell::Cell;
use std::f64::consts::PI;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use nalgebra::{DMatrix, DVector, Matrix2, Vector1, Vector2, Vector3};
use tapegrad::{Tape, Var};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        panic!("a panic without a message")
    }
}

/// erf's first and second derivatives, 2/√π e^(−x²) and −2x times that.
fn erf_derivatives(x: f64) -> (f64, f64) {
    let d = 2.0 / PI.sqrt() * (-x * x).exp();
    (d, -2.0 * x * d)
}

/// erf as a custom rule with its Hessian; the value itself does not matter here.
fn erf_rule(x: Var<'_>) -> Var<'_> {
    let (d, d2) = erf_derivatives(x.value());
    Var::custom_with_hessian(&[x], 0.677_801_193_837_418_4, &[d], &[d2])
}

// ---- Scalar rules ---------------------------------------------------------------------

#[test]
fn a_custom_node_takes_the_partials_it_is_given() {
    // f(a, b) = sin(a) b, written as a rule and as operations.
    let tape = Tape::new();
    let (a, b) = (tape.var(0.7), tape.var(-1.3));
    let (av, bv) = (a.value(), b.value());
    let rule = Var::custom(&[a, b], av.sin() * bv, &[av.cos() * bv, av.sin()]);
    let built_in = a.sin() * b;
    let y = rule * rule + 3.0 * rule;
    let grads = tape.backward(y);
    let z = built_in * built_in + 3.0 * built_in;
    let expected = tape.backward(z);
    assert_eq!(rule.value(), built_in.value());
    assert_eq!(grads[a], expected[a]);
    assert_eq!(grads[b], expected[b]);
}

#[test]
fn one_call_records_exactly_one_node() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0, 3.0]);
    let before = tape.len();
    let _ = Var::custom(&x, 6.0, &[1.0, 1.0, 1.0]);
    assert_eq!(tape.len(), before + 1);
    let _ = Var::custom_with_hessian(&x, 6.0, &[1.0; 3], &[0.0; 6]);
    assert_eq!(tape.len(), before + 2);
}

#[test]
fn constants_among_the_inputs_drop_out() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let c = Var::constant(5.0);
    let y = Var::custom(&[c, x, c], 10.0, &[99.0, 3.0, 99.0]);
    assert_eq!(tape.backward(y)[x], 3.0);
    assert_eq!(tape.backward(y)[c], 0.0);
}

#[test]
fn a_rule_of_constants_only_or_of_nothing_is_a_constant() {
    let tape = Tape::new();
    let _ = tape.var(1.0);
    let before = tape.len();
    let y = Var::custom(&[Var::constant(1.0), Var::constant(2.0)], 7.0, &[1.0, 1.0]);
    assert!(y.is_constant());
    assert_eq!(y.value(), 7.0);
    let none = Var::custom(&[], 4.0, &[]);
    assert!(none.is_constant());
    assert_eq!(tape.len(), before);
    // Inside hessian too, even without second derivatives.
    let (value, _, hessian) = tapegrad::hessian(
        |v: &Vector1<Var<'static>>| v[0] + Var::custom(&[Var::constant(1.0)], 2.0, &[1.0]),
        &Vector1::new(1.0),
    );
    assert_eq!((value, hessian[(0, 0)]), (3.0, 0.0));
}

#[test]
fn the_same_var_twice_adds_its_partials_and_hessian_terms() {
    // f(a, b) = a² b³ taken at a = b = x: f = x⁵, f' = 5x⁴, f'' = 20x³, and from the
    // rule's terms: h_aa + 2 h_ba + h_bb = 2b³ + 2·6ab² + 6a²b.
    let f = |v: &Vector1<Var<'static>>| {
        let x = v[0];
        let (a, b) = (x.value(), x.value());
        Var::custom_with_hessian(
            &[x, x],
            a * a * b * b * b,
            &[2.0 * a * b * b * b, 3.0 * a * a * b * b],
            &[2.0 * b * b * b, 6.0 * a * b * b, 6.0 * a * a * b],
        )
    };
    let x = 1.5_f64;
    let (value, gradient, hessian) = tapegrad::hessian(f, &Vector1::new(x));
    assert_eq!(value, x.powi(5));
    assert_eq!(gradient[0], 5.0 * x.powi(4));
    assert_eq!(hessian[(0, 0)], 20.0 * x.powi(3));
}

#[test]
fn the_hessian_of_a_rule_with_second_derivatives_is_exact() {
    // The case: erf at 0.7 has f'' = -0.967784804574754.
    let (_, gradient, hessian) = tapegrad::hessian(
        |v: &Vector1<Var<'static>>| erf_rule(v[0]),
        &Vector1::new(0.7),
    );
    // mpmath at 30 digits: erf'(0.7) = 0.691274860410538615…, erf''(0.7) = -0.967784804574753999…
    assert!((gradient[0] - 0.691_274_860_410_538_6).abs() < 1e-15);
    assert!((hessian[(0, 0)] + 0.967_784_804_574_754).abs() < 1e-14);
    // The usual workaround, (x - x0) d + f(x0), has the right gradient but f'' = 0.
    let workaround = |v: &Vector1<Var<'static>>| {
        let (d, _) = erf_derivatives(0.7);
        (v[0] - 0.7) * d + 0.678
    };
    let (_, _, wrong) = tapegrad::hessian(workaround, &Vector1::new(0.7));
    assert_eq!(wrong[(0, 0)], 0.0);
}

#[test]
fn a_rule_of_three_inputs_takes_its_triangle_row_by_row() {
    // f(a, b, c) = a b² c³: the lower triangle [aa, ba, bb, ca, cb, cc].
    let f = |v: &Vector3<Var<'static>>| {
        let (a, b, c) = (v[0].value(), v[1].value(), v[2].value());
        Var::custom_with_hessian(
            &[v[0], v[1], v[2]],
            a * b * b * c * c * c,
            &[
                b * b * c * c * c,
                2.0 * a * b * c * c * c,
                3.0 * a * b * b * c * c,
            ],
            &[
                0.0,
                2.0 * b * c * c * c,
                2.0 * a * c * c * c,
                3.0 * b * b * c * c,
                6.0 * a * b * c * c,
                6.0 * a * b * b * c,
            ],
        )
    };
    let g = |v: &Vector3<Var<'static>>| v[0] * v[1].powi(2) * v[2].powi(3);
    let x = Vector3::new(0.5, -1.25, 2.0);
    let (value, gradient, hessian) = tapegrad::hessian(f, &x);
    let (value_ops, gradient_ops, hessian_ops) = tapegrad::hessian(g, &x);
    assert!((value - value_ops).abs() < 1e-14);
    assert!((gradient - gradient_ops).norm() < 1e-13);
    assert!(
        (hessian - hessian_ops).norm() < 1e-13,
        "{hessian} vs {hessian_ops}"
    );
    // hvp agrees with the Hessian.
    let v = Vector3::new(0.3, -0.2, 1.1);
    let (_, _, hv) = tapegrad::hvp(f, &x, &v);
    assert!((hv - hessian * v).norm() < 1e-13);
}

#[test]
fn a_rule_without_second_derivatives_panics_on_a_second_order_tape() {
    let message = panic_message(|| {
        let _ = tapegrad::hessian(
            |v: &Vector1<Var<'static>>| Var::custom(&[v[0]], 1.0, &[2.0]),
            &Vector1::new(1.0),
        );
    });
    assert!(message.contains("custom_with_hessian"), "{message}");
    let message = panic_message(|| {
        let _ = tapegrad::hvp(
            |v: &Vector1<Var<'static>>| Var::custom(&[v[0]], 1.0, &[2.0]) * v[0],
            &Vector1::new(1.0),
            &Vector1::new(1.0),
        );
    });
    assert!(message.contains("custom_with_hessian"), "{message}");
}

#[test]
fn lengths_that_do_not_match_panic_naming_both() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let message = panic_message(|| {
        let _ = Var::custom(&[x, x], 1.0, &[1.0]);
    });
    assert!(
        message.contains("2 inputs takes 2 partials; 1 were given"),
        "{message}"
    );
    let message = panic_message(|| {
        let _ = Var::custom_with_hessian(&[x, x], 1.0, &[1.0, 1.0], &[1.0, 2.0]);
    });
    assert!(
        message.contains("takes 3 Hessian entries (its lower triangle); 2 were given"),
        "{message}"
    );
    // Even when every input is a constant.
    let c = Var::constant(1.0);
    let message = panic_message(|| {
        let _ = Var::custom(&[c], 1.0, &[]);
    });
    assert!(
        message.contains("1 inputs takes 1 partials; 0 were given"),
        "{message}"
    );
}

#[test]
fn vars_of_two_tapes_panic() {
    let (first, second) = (Tape::new(), Tape::new());
    let (a, b) = (first.var(1.0), second.var(2.0));
    let message = panic_message(|| {
        let _ = Var::custom(&[a, b], 1.0, &[1.0, 1.0]);
    });
    assert!(message.contains("two different Tapes"), "{message}");
    let message = panic_message(|| {
        let _ = Var::custom_vjp(&[a, b], &[1.0], |_, _| {});
    });
    assert!(message.contains("two different Tapes"), "{message}");
}

// ---- Vector rules -----------------------------------------------------------------------

/// x = A⁻¹ b for an n × n A given column by column, recorded as one vector rule whose
/// adjoint is one solve with Aᵀ: b̄ = A⁻ᵀ x̄, Ā = -b̄ xᵀ (Giles 2008).
fn solve<'t>(a: &[Var<'t>], b: &[Var<'t>]) -> Vec<Var<'t>> {
    let n = b.len();
    let matrix = DMatrix::from_iterator(n, n, a.iter().map(|v| v.value()));
    let b_values = DVector::from_iterator(n, b.iter().map(|v| v.value()));
    let x = matrix
        .clone()
        .lu()
        .solve(&b_values)
        .expect("a regular matrix");
    let transposed = matrix.transpose().lu();
    let inputs: Vec<Var<'t>> = a.iter().chain(b).copied().collect();
    let outputs = x.as_slice().to_vec();
    Var::custom_vjp(&inputs, &outputs, move |x_bar, inputs_bar| {
        let b_bar = transposed
            .solve(&DVector::from_column_slice(x_bar))
            .unwrap();
        let a_bar = -&b_bar * x.transpose();
        inputs_bar[..n * n].copy_from_slice(a_bar.as_slice());
        inputs_bar[n * n..].copy_from_slice(b_bar.as_slice());
    })
}

/// x = A⁻¹ b by Gaussian elimination without pivoting, written for any float type, as
/// scalar code would be: about n³/3 multiply-adds, each recorded on a tape of Vars.
fn lu_solve<T: num_traits::Float>(a: &[T], b: &[T]) -> Vec<T> {
    let n = b.len();
    let (mut a, mut x) = (a.to_vec(), b.to_vec()); // a column-major
    for k in 0..n {
        for i in k + 1..n {
            let factor = a[k * n + i] / a[k * n + k];
            for j in k + 1..n {
                a[j * n + i] = a[j * n + i] - factor * a[j * n + k];
            }
            x[i] = x[i] - factor * x[k];
        }
    }
    for k in (0..n).rev() {
        let mut sum = x[k];
        for j in k + 1..n {
            sum = sum - a[j * n + k] * x[j];
        }
        x[k] = sum / a[k * n + k];
    }
    x
}

/// A well-conditioned n × n matrix (column-major) and right-hand side, fixed.
fn system(n: usize) -> (Vec<f64>, Vec<f64>) {
    let weyl = |k: usize| (k as f64 * 0.618_033_988_749_894_9).fract() - 0.5;
    let mut a: Vec<f64> = (0..n * n).map(weyl).collect();
    for i in 0..n {
        a[i * n + i] += n as f64 / 4.0;
    }
    let b = (0..n).map(|k| weyl(n * n + k) * 3.0).collect();
    (a, b)
}

/// The objective of the solve tests: Σ wᵢ xᵢ with fixed weights.
fn weights(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 + (i % 7) as f64 / 3.0).collect()
}

#[test]
fn a_200_by_200_solve_matches_its_closed_form_and_finite_differences() {
    let n = 200;
    let (a, b) = (system(n).0, system(n).1);
    let w = weights(n);
    let objective = |x: &[Var<'static>]| {
        let solution = solve(&x[..n * n], &x[n * n..]);
        solution
            .iter()
            .zip(&w)
            .map(|(&s, &wi)| s * wi)
            .sum::<Var<'static>>()
    };
    let inputs: Vec<f64> = a.iter().chain(&b).copied().collect();
    let (_, gradient) = tapegrad::gradient(objective, &inputs);

    // Closed form: b̄ = A⁻ᵀ w, Ā = -b̄ xᵀ.
    let matrix = DMatrix::from_column_slice(n, n, &a);
    let x = matrix
        .clone()
        .lu()
        .solve(&DVector::from_column_slice(&b))
        .unwrap();
    let b_bar = matrix
        .transpose()
        .lu()
        .solve(&DVector::from_column_slice(&w))
        .unwrap();
    for i in 0..n {
        assert!((gradient[n * n + i] - b_bar[i]).abs() < 1e-12 * b_bar.amax());
    }
    let a_bar = -&b_bar * x.transpose();
    let worst = (0..n * n)
        .map(|k| (gradient[k] - a_bar.as_slice()[k]).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-12 * a_bar.amax(), "{worst}");

    // Central differences of the f64 objective, at a few entries of A and b.
    let f = |inputs: &[f64]| {
        let matrix = DMatrix::from_column_slice(n, n, &inputs[..n * n]);
        let x = matrix
            .lu()
            .solve(&DVector::from_column_slice(&inputs[n * n..]))
            .unwrap();
        x.iter().zip(&w).map(|(xi, wi)| xi * wi).sum::<f64>()
    };
    for k in [0, 1, 201, 7_777, 39_999, n * n, n * n + 57, n * n + n - 1] {
        let h = 1e-5;
        let (mut up, mut down) = (inputs.clone(), inputs.clone());
        up[k] += h;
        down[k] -= h;
        let difference = (f(&up) - f(&down)) / (2.0 * h);
        assert!(
            (gradient[k] - difference).abs() < 1e-6 * (1.0 + difference.abs()),
            "entry {k}: {} vs {difference}",
            gradient[k]
        );
    }
}

#[test]
fn a_vector_rule_costs_its_outputs_on_the_tape_where_scalar_code_costs_n_cubed() {
    // The tape of one solve: n output nodes for the rule, against every multiply-add of
    // an LU solve on Vars. (The rule's callback also holds Aᵀ's factors and x: n² + n
    // numbers, outside the tape.)
    let n = 40;
    let (a, b) = system(n);
    let inputs: Vec<f64> = a.iter().chain(&b).copied().collect();
    let tape = Tape::new();
    let vars = tape.vars(&inputs);
    let before = tape.memory_bytes();
    let _ = solve(&vars[..n * n], &vars[n * n..]);
    let rule_bytes = tape.memory_bytes() - before;
    // The input list (4 bytes per input) and a little bookkeeping; outputs made before
    // any operation need no edge.
    let inputs_bytes = 4 * (n * n + n);
    assert!(
        (inputs_bytes..inputs_bytes + 256).contains(&rule_bytes),
        "{rule_bytes}"
    );
    let _ = tape.var(1.0) * 2.0; // an operation: later nodes need edges
    let before = tape.memory_bytes();
    let _ = solve(&vars[..n * n], &vars[n * n..]);
    assert_eq!(
        tape.memory_bytes() - before,
        rule_bytes + n * 12,
        "one edge to the sink per output"
    );

    let scalar = Tape::new();
    let vars = scalar.vars(&inputs);
    let before = scalar.memory_bytes();
    let x = lu_solve(&vars[..n * n], &vars[n * n..]);
    let scalar_bytes = scalar.memory_bytes() - before;
    // The same solution, to the rounding of two different eliminations.
    let rule = solve(&vars[..n * n], &vars[n * n..]);
    for (s, r) in x.iter().zip(&rule) {
        assert!((s.value() - r.value()).abs() < 1e-12);
    }
    assert!(scalar_bytes > n * n * n / 3 * 24, "{scalar_bytes}");
}

#[test]
fn the_callback_is_skipped_when_no_output_has_an_adjoint() {
    let calls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&calls);
    let tape = Tape::new();
    let x = tape.var(2.0);
    let outputs = Var::custom_vjp(&[x], &[4.0, 8.0], move |y_bar, x_bar| {
        counter.set(counter.get() + 1);
        x_bar[0] = 4.0 * y_bar[0] + 12.0 * y_bar[1];
    });
    let unrelated = x * 3.0;
    assert_eq!(tape.backward(unrelated)[x], 3.0);
    assert_eq!(calls.get(), 0);
    assert_eq!(tape.backward(outputs[0] + outputs[1])[x], 16.0);
    assert_eq!(calls.get(), 1);
}

#[test]
fn rules_chain_and_any_output_can_be_the_result() {
    // y = (x², x³) as a rule, z = (y0 y1, y0 + y1) as another: check every output.
    let tape = Tape::new();
    let x = tape.var(1.5);
    let xv = x.value();
    let y = Var::custom_vjp(&[x], &[xv * xv, xv * xv * xv], move |y_bar, x_bar| {
        x_bar[0] = 2.0 * xv * y_bar[0] + 3.0 * xv * xv * y_bar[1];
    });
    let (y0, y1) = (y[0].value(), y[1].value());
    let z = Var::custom_vjp(&y, &[y0 * y1, y0 + y1], move |z_bar, y_bar| {
        y_bar[0] = y1 * z_bar[0] + z_bar[1];
        y_bar[1] = y0 * z_bar[0] + z_bar[1];
    });
    // d/dx of x², x³, x⁵, x² + x³.
    let expected = [
        2.0 * xv,
        3.0 * xv * xv,
        5.0 * xv.powi(4),
        2.0 * xv + 3.0 * xv * xv,
    ];
    for (output, expected) in [y[0], y[1], z[0], z[1]].into_iter().zip(expected) {
        let g = tape.backward(output)[x];
        assert!((g - expected).abs() < 1e-12, "{g} vs {expected}");
    }
    // Mixed with ordinary operations on both sides.
    let w = (z[0] * x.sin()).exp();
    let g = tape.backward(w)[x];
    let f = |x: f64| (x.powi(5) * x.sin()).exp();
    let h = 1e-6;
    let difference = (f(xv + h) - f(xv - h)) / (2.0 * h);
    assert!(
        (g - difference).abs() < 1e-6 * difference.abs(),
        "{g} vs {difference}"
    );
}

#[test]
fn constants_among_a_vector_rules_inputs_get_no_adjoint() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let c = Var::constant(2.0);
    let y = Var::custom_vjp(&[c, x], &[6.0], |y_bar, x_bar| {
        x_bar[0] = 3.0 * y_bar[0];
        x_bar[1] = 2.0 * y_bar[0];
    });
    let grads = tape.backward(y[0]);
    assert_eq!((grads[x], grads[c]), (2.0, 0.0));
    // Only constants: constant outputs, nothing recorded.
    let before = tape.len();
    let z = Var::custom_vjp(&[c], &[1.0, 2.0], |_, _| unreachable!());
    assert!(z.iter().all(|v| v.is_constant()));
    assert_eq!(tape.len(), before);
}

#[test]
fn a_vector_rule_panics_inside_hessian() {
    let message = panic_message(|| {
        let _ = tapegrad::hessian(
            |v: &Vector2<Var<'static>>| Var::custom_vjp(&[v[0], v[1]], &[1.0], |_, _| {})[0],
            &Vector2::new(1.0, 2.0),
        );
    });
    assert!(
        message.contains("custom_vjp has no second derivatives"),
        "{message}"
    );
}

#[test]
fn a_callback_that_records_on_the_tape_being_swept_panics() {
    let message = panic_message(|| {
        let _ = tapegrad::gradient(
            |x| {
                let escaped = x[0];
                let y = Var::custom_vjp(&[x[0]], &[1.0], move |_, x_bar| {
                    x_bar[0] = (escaped * 2.0).value();
                });
                y[0]
            },
            &[1.0],
        );
    });
    assert!(
        message.contains("recorded on the tape being swept"),
        "{message}"
    );
}

#[test]
fn a_callback_may_differentiate_on_a_tape_of_its_own() {
    // The VJP of y = sin(x) computed by a nested gradient: a driver call inside the
    // callback records on another tape.
    let (value, gradient) = tapegrad::gradient(
        |x| {
            let xv = x[0].value();
            let y = Var::custom_vjp(&[x[0]], &[xv.sin()], move |y_bar, x_bar| {
                let (_, inner) = tapegrad::gradient(|t| t[0].sin(), &[xv]);
                x_bar[0] = inner[0] * y_bar[0];
            });
            y[0] * 2.0
        },
        &[0.4],
    );
    assert_eq!(value, 2.0 * 0.4f64.sin());
    assert_eq!(gradient, vec![2.0 * 0.4f64.cos()]);
}

#[test]
fn the_checked_sweep_follows_dependencies_through_a_vector_rule() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    let root = x.sqrt(); // +inf partial at 0
    let y = Var::custom_vjp(&[root], &[0.0], |y_bar, x_bar| x_bar[0] = 0.0 * y_bar[0]);
    let error = tape.backward_checked(y[0]).unwrap_err();
    assert_eq!(error.skipped.len(), 1);
    assert_eq!(error.skipped[0].operand, 1);
    // A rule that y does not depend on does not make sqrt reachable.
    let z = x * 2.0;
    assert!(tape.backward_checked(z).is_ok());
}

#[test]
fn custom_rules_in_nalgebra_code_with_jacobian() {
    let (_, jacobian) = tapegrad::jacobian(
        |v: &Vector2<Var<'static>>| {
            let (a, b) = (v[0].value(), v[1].value());
            let y = Var::custom_vjp(&[v[0], v[1]], &[a * b, a + b], move |y_bar, x_bar| {
                x_bar[0] = b * y_bar[0] + y_bar[1];
                x_bar[1] = a * y_bar[0] + y_bar[1];
            });
            Vector2::new(y[0], y[1])
        },
        &Vector2::new(2.0, 5.0),
    );
    assert_eq!(jacobian, Matrix2::new(5.0, 2.0, 1.0, 1.0));
}

#[test]
fn a_vector_rules_outputs_are_named_in_pictures_of_the_graph() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(2.0);
    let y = Var::custom_vjp(&[x], &[4.0], |y_bar, x_bar| x_bar[0] = 4.0 * y_bar[0]);
    let z = y[0] * 3.0;
    let graph = tape.graph(z).unwrap();
    let dot = graph.to_dot();
    assert!(dot.contains("custom_vjp"), "{dot}");
    let scalar = Var::custom(&[x], 8.0, &[12.0]);
    let dot = tape.graph(scalar).unwrap().to_dot();
    assert!(dot.contains("custom"), "{dot}");
}
