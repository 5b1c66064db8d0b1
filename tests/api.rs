//! The public contract of DESIGN.md: what `Var`, `Tape` and `Gradients` are and offer.

// The operator tests take references on purpose: every operand combination must work.
#![allow(clippy::op_ref)]

use num_traits::{
    Bounded, Float, FloatConst, FromPrimitive, Num, NumCast, One, Signed, ToPrimitive, Zero,
};
use tapegrad::{Gradients, Tape, Var};

fn assert_copy_send_sync<T: Copy + Send + Sync>() {}
fn assert_float<T: Float + FloatConst + Signed + Bounded + FromPrimitive + Default>() {}
fn assert_real<T: num_traits::real::Real>() {}

#[test]
fn var_is_small_plain_data() {
    assert_copy_send_sync::<Var<'static>>();
    assert!(std::mem::size_of::<Var<'_>>() <= 16);
    assert_eq!(std::mem::size_of::<Var<'_>>(), 16);
    assert_float::<Var<'static>>();
    assert_real::<Var<'static>>();
}

#[test]
fn the_contract_example() {
    let tape = Tape::new();
    let a = tape.var(2.0);
    let b = tape.var(3.0);
    let c = a * b + 1.0;
    let grads: Gradients<'_> = tape.backward(c);
    assert_eq!(c.value(), 7.0);
    assert_eq!(grads[a], 3.0);
    assert_eq!(grads.wrt(b), 2.0);
}

#[test]
fn every_operand_combination_of_every_operator() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let y = tape.var(2.0);
    let k = 2.0;
    // (expression, value, d/dx, d/dy)
    let cases: Vec<(Var<'_>, f64, f64, f64)> = vec![
        (x + y, 5.0, 1.0, 1.0),
        (x + &y, 5.0, 1.0, 1.0),
        (&x + y, 5.0, 1.0, 1.0),
        (&x + &y, 5.0, 1.0, 1.0),
        (x + k, 5.0, 1.0, 0.0),
        (x + &k, 5.0, 1.0, 0.0),
        (&x + k, 5.0, 1.0, 0.0),
        (&x + &k, 5.0, 1.0, 0.0),
        (k + x, 5.0, 1.0, 0.0),
        (&k + x, 5.0, 1.0, 0.0),
        (k + &x, 5.0, 1.0, 0.0),
        (&k + &x, 5.0, 1.0, 0.0),
        (x - y, 1.0, 1.0, -1.0),
        (x - k, 1.0, 1.0, 0.0),
        (k - x, -1.0, -1.0, 0.0),
        (&k - &y, 0.0, 0.0, -1.0),
        (x * y, 6.0, 2.0, 3.0),
        (x * k, 6.0, 2.0, 0.0),
        (k * x, 6.0, 2.0, 0.0),
        (&x * &y, 6.0, 2.0, 3.0),
        (x / y, 1.5, 0.5, -0.75),
        (x / k, 1.5, 0.5, 0.0),
        (k / y, 1.0, 0.0, -0.5),
        (&x / &y, 1.5, 0.5, -0.75),
        (x % y, 1.0, 1.0, -1.0),
        (x % k, 1.0, 1.0, 0.0),
        (7.0 % x, 1.0, -2.0, 0.0),
        (&x % &y, 1.0, 1.0, -1.0),
        (-x, -3.0, -1.0, 0.0),
        (-&y, -2.0, 0.0, -1.0),
    ];
    for (i, (z, value, dx, dy)) in cases.into_iter().enumerate() {
        let grads = tape.backward(z);
        assert_eq!(z.value(), value, "case {i}");
        assert_eq!((grads[x], grads[y]), (dx, dy), "case {i}");
    }
}

#[test]
fn compound_assignment_with_every_right_operand() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let mut z = x;
    z += x; // 2x
    z -= 1.0; // 2x - 1
    z *= &x; // 2x² - x
    z /= 2.0; // x² - x/2
    z += &4.0; // x² - x/2 + 4
    z -= &x; // x² - 3x/2 + 4
    z *= &2.0; // 2x² - 3x + 8
    z /= &x; // 2x - 3 + 8/x
    z %= 100.0;
    z %= &100.0;
    let grads = tape.backward(z);
    approx::assert_relative_eq!(z.value(), 6.0 - 3.0 + 8.0 / 3.0, max_relative = 1e-15);
    approx::assert_relative_eq!(grads[x], 2.0 - 8.0 / 9.0, max_relative = 1e-15);
}

#[test]
fn sums_and_products() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0, 3.0, 4.0]);
    let s: Var<'_> = x.iter().sum();
    let p: Var<'_> = x.iter().copied().product();
    let grads = tape.backward(s * p);
    // d(s p)/dx_i = p + s p / x_i
    let expected: Vec<f64> = [1.0, 2.0, 3.0, 4.0]
        .iter()
        .map(|xi| 24.0 + 10.0 * 24.0 / xi)
        .collect();
    assert_eq!(grads.wrt_all(&x), expected);
}

#[test]
fn an_iterator_sum_is_one_node_per_chunk_even_when_the_iterator_records() {
    let tape = Tape::new();
    let x = tape.vars(&(0..200).map(|i| i as f64).collect::<Vec<_>>());
    let before = tape.len();
    let squares: Var<'_> = x.iter().map(|&xi| xi * xi).sum();
    // 200 squares, then ceil(200 / 64) = 4 sum nodes.
    assert_eq!(tape.len() - before, 200 + 4);
    let grads = tape.backward(squares);
    for (i, &xi) in x.iter().enumerate() {
        assert_eq!(grads[xi], 2.0 * i as f64);
    }
    let expected: f64 = (0..200).map(|i| (i * i) as f64).sum();
    assert_eq!(squares.value(), expected);
}

#[test]
fn the_sum_of_vars_has_the_value_of_the_f64_sum() {
    let values = [0.1, 0.2, 0.3, 1e16, -1e16, 0.7];
    let tape = Tape::new();
    let x = tape.vars(&values);
    let s: Var<'_> = x.iter().sum();
    assert_eq!(s.value(), values.iter().sum::<f64>());
    assert_eq!(Var::sum(&x).value(), values.iter().sum::<f64>());
    let empty: Var<'_> = std::iter::empty::<Var<'_>>().sum();
    assert!(empty.is_constant());
    assert_eq!(empty.value(), std::iter::empty::<f64>().sum::<f64>());
}

#[test]
fn constants_are_not_recorded() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let c = Var::constant(2.0);
    let before = tape.len();
    let k = (c * 3.0).sin() + Var::PI() + Var::one() + Var::constant(2.0);
    assert!(k.is_constant());
    assert_eq!(tape.len(), before);
    let y = x * k;
    assert_eq!(tape.len(), before + 1);
    let grads = tape.backward(y);
    assert_eq!(grads[x], k.value());
    assert_eq!(grads[c], 0.0);
    assert_eq!(grads[k], 0.0);
}

#[test]
fn gradients_of_an_intermediate_value_ignore_what_was_recorded_after_it() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    let y = x * 3.0;
    // Recorded after y, with an infinite partial: must not leak into dy/dx.
    let later = x.sqrt() * 2.0;
    assert_eq!(tape.backward(y)[x], 3.0);
    assert_eq!(tape.backward(y)[later], 0.0);
    assert_eq!(tape.backward(later)[x], f64::INFINITY);
    // And the whole tape again, after more recording.
    let z = y + later;
    let grads = tape.backward(z);
    assert_eq!(grads[x], f64::INFINITY);
    assert_eq!(grads[y], 1.0);
}

#[test]
fn backward_of_a_leaf_and_of_a_constant() {
    let tape = Tape::new();
    let x = tape.var(5.0);
    let other = tape.var(1.0);
    let grads = tape.backward(x);
    assert_eq!((grads[x], grads[other]), (1.0, 0.0));
    let grads = tape.backward(Var::constant(4.0));
    assert_eq!((grads[x], grads[other]), (0.0, 0.0));
}

#[test]
fn inputs_made_before_and_after_operations() {
    // Inputs made before any operation are stored without an edge, later ones with one:
    // both must read back the same.
    let tape = Tape::new();
    let x = tape.vars(&[2.0, 3.0]);
    let p = x[0] * x[1];
    let z = tape.var(4.0);
    let w = tape.vars(&[5.0, 7.0]);
    let y = p * z + w[0] * x[0];
    assert_eq!(y.value(), 2.0 * 3.0 * 4.0 + 5.0 * 2.0);
    let grads = tape.backward(y);
    // ∂y/∂x0 = x1 z + w0, ∂y/∂x1 = x0 z, ∂y/∂z = x0 x1, ∂y/∂w0 = x0, ∂y/∂w1 = 0.
    assert_eq!(
        grads.wrt_all(&[x[0], x[1], z, w[0], w[1]]),
        vec![3.0 * 4.0 + 5.0, 2.0 * 4.0, 6.0, 2.0, 0.0]
    );
    let grads = tape.backward(p);
    assert_eq!(grads.wrt_all(&[x[0], x[1], z]), vec![3.0, 2.0, 0.0]);
    for leaf in [x[1], z, w[1]] {
        let grads = tape.backward(leaf);
        assert_eq!(grads[leaf], 1.0);
        assert_eq!(grads[x[0]], 0.0);
    }
    assert_eq!(tape.len(), 2 + 1 + 1 + 2 + 3);
}

#[test]
fn tape_length_clear_and_capacity() {
    let mut tape = Tape::with_capacity(100);
    assert!(tape.is_empty());
    {
        let x = tape.vars(&[1.0, 2.0]);
        let _ = x[0] * x[1] + 1.0;
        assert_eq!(tape.len(), 4);
    }
    tape.clear();
    assert!(tape.is_empty());
    let x = tape.var(2.0);
    assert_eq!(tape.backward(x.powi(3))[x], 12.0);
    assert!(Tape::default().is_empty());
}

#[test]
fn num_traits_constructors_and_conversions() {
    let v: Var<'_> = Var::zero();
    assert!(v.is_zero() && v.is_constant());
    assert!(Var::one().is_one());
    let three: Var<'_> = NumCast::from(3u8).unwrap();
    assert_eq!(three.value(), 3.0);
    assert_eq!(
        <Var<'_> as FromPrimitive>::from_i64(-7).unwrap().value(),
        -7.0
    );
    assert_eq!(
        <Var<'_> as FromPrimitive>::from_f32(0.5).unwrap().value(),
        0.5
    );
    assert_eq!(Var::constant(3.7).to_i64(), Some(3));
    assert_eq!(Var::constant(-1.0).to_u32(), None);
    assert_eq!(Var::constant(2.5).to_f64(), Some(2.5));
    assert_eq!(
        <Var<'_> as Num>::from_str_radix("2.5", 10).unwrap().value(),
        2.5
    );
    assert!(<Var<'_> as Num>::from_str_radix("x", 10).is_err());
    assert_eq!(<Var<'_> as Bounded>::max_value().value(), f64::MAX);
    assert_eq!(
        <Var<'_> as Float>::min_positive_value().value(),
        f64::MIN_POSITIVE
    );
    assert_eq!(<Var<'_> as Float>::epsilon().value(), f64::EPSILON);
    assert_eq!(Var::TAU().value(), std::f64::consts::TAU);
    assert_eq!(Var::LOG2_10().value(), std::f64::consts::LOG2_10);
    assert!(<Var<'_> as Float>::nan().is_nan());
    assert_eq!(
        Var::constant(-2.0).integer_decode(),
        (-2.0f64).integer_decode()
    );
    assert!(Signed::is_negative(&Var::constant(-1.0)));
    assert!(Signed::is_positive(&Var::constant(1.0)));
    assert!(!Signed::is_positive(&Var::constant(f64::NAN)));
}

#[test]
fn comparisons_look_at_values_only() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let y = x * 1.0;
    assert!(x == y);
    assert!(x == 2.0);
    assert!(2.0 == x);
    assert!(x < 3.0 && 1.0 < x);
    assert!(x > Var::constant(1.0));
    assert!(tape.var(f64::NAN) != tape.var(f64::NAN));
}

#[test]
fn formatting() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let c = Var::constant(0.125);
    assert_eq!(format!("{x}"), "2");
    assert_eq!(format!("{c:>8.2}"), format!("{:>8.2}", 0.125));
    assert_eq!(format!("{c:e}"), "1.25e-1");
    assert_eq!(format!("{x:?}"), "Var { value: 2.0, node: 1 }");
    assert_eq!(format!("{c:?}"), "Var { value: 0.125, node: \"constant\" }");
    assert_eq!(
        format!("{:?}", Var::default()),
        format!("{:?}", Var::constant(0.0))
    );
}

/// Generic code written for `f64` takes the same branches and gives the same value.
fn piecewise<T: Float>(x: T) -> T {
    if x < T::zero() {
        -x * x
    } else if x.sqrt() > T::from(2.0).unwrap() {
        x.ln()
    } else {
        x.sin().max(x.cos())
    }
}

#[test]
fn generic_code_runs_unchanged() {
    for x0 in [-1.5, 0.5, 9.0] {
        let tape = Tape::new();
        let x = tape.var(x0);
        let y = piecewise(x);
        assert_eq!(y.value(), piecewise(x0));
        let expected = if x0 < 0.0 {
            -2.0 * x0
        } else if x0 > 4.0 {
            1.0 / x0
        } else {
            -x0.sin() // cos(0.5) > sin(0.5)
        };
        assert_eq!(tape.backward(y)[x], expected);
    }
}
