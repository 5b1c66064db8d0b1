//! Every path through the crate's `unsafe` code (`src/registry.rs`: the thread-local
//! pointers to tapes; `src/edges.rs`: the unchecked writes of the recording fast path),
//! small enough to run under Miri:
//!
//! ```sh
//! cargo +nightly miri test -p tapegrad --all-features --test unsafe_paths
//! ```
//!
//! `.ci/run` does that (with the unit tests of `registry`, `edges` and `storage`) where a
//! nightly toolchain with Miri can be installed, under both
//! Stacked and Tree Borrows. Each test also checks its numbers, so that it means
//! something under plain `cargo test` too.

use std::panic::{AssertUnwindSafe, catch_unwind};

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

#[test]
fn fast_path_slow_path_and_growth() {
    // Room for 4 edges: the first operations take the fast path, the rest grow the
    // arrays on the slow path and reopen the fast path.
    let tape = Tape::with_capacity(4);
    let x = tape.var(0.5);
    let mut y = x;
    for _ in 0..40 {
        y = (y * x).sin() + x;
    }
    let grads = tape.backward(y);
    // Central difference of the same function.
    let f = |x: f64| (0..40).fold(x, |y, _| (y * x).sin() + x);
    let h = 1e-6;
    let expected = (f(0.5 + h) - f(0.5 - h)) / (2.0 * h);
    assert!(
        (grads[x] - expected).abs() < 1e-6,
        "{} vs {expected}",
        grads[x]
    );
}

#[test]
fn n_ary_nodes_and_inputs_made_late() {
    let tape = Tape::with_capacity(2);
    let xs = tape.vars(&[1.0, 2.0, 3.0]);
    let s = Var::sum(&xs);
    let late = tape.var(4.0); // an input made after an operation gets an edge to the sink
    let d = Var::dot(&xs, &[late, late, late]);
    let total: Var<'_> = [s, d, late].iter().sum();
    let grads = tape.backward(total);
    // total = Σx + late Σx + late
    assert_eq!(grads.wrt_all(&xs), vec![5.0, 5.0, 5.0]);
    assert_eq!(grads[late], 7.0);
}

#[test]
fn two_tapes_used_in_turn_and_dropped_in_any_order() {
    let first = Tape::new();
    let second = Tape::new();
    let a = first.var(2.0);
    let b = second.var(3.0);
    let (mut ya, mut yb) = (a, b);
    for _ in 0..3 {
        ya *= a; // each switches the thread's active tape
        yb *= b;
    }
    assert_eq!(first.backward(ya)[a], 4.0 * 8.0);
    assert_eq!(second.backward(yb)[b], 4.0 * 27.0);
    drop(first); // the active tape is dropped while another lives
    let c = second.var(1.0);
    assert_eq!((c * b).value(), 3.0);
    drop(second);
    let third = Tape::new();
    let z = third.var(1.5);
    assert_eq!(third.backward(z * z)[z], 3.0);
}

#[test]
fn clear_and_reuse() {
    let mut tape = Tape::with_capacity(2);
    for step in 0..5 {
        tape.clear();
        let x = tape.var(f64::from(step));
        let y = x * x * x;
        assert_eq!(tape.backward(y)[x], 3.0 * f64::from(step * step));
    }
}

#[test]
fn tapes_on_other_threads() {
    let handles: Vec<_> = (0..2)
        .map(|k| {
            std::thread::spawn(move || {
                let tape = Tape::new();
                let x = tape.var(f64::from(k) + 1.0);
                let y = x * x * x;
                tape.backward(y)[x]
            })
        })
        .collect();
    for (k, handle) in handles.into_iter().enumerate() {
        let x = k as f64 + 1.0;
        assert_eq!(handle.join().unwrap(), 3.0 * x * x);
    }
}

#[test]
fn a_tape_dropped_while_its_thread_ends() {
    // The tape lives in a thread-local, so it is dropped during the thread's teardown,
    // when the crate's own thread-locals may already be gone.
    std::thread::spawn(|| {
        thread_local! {
            static KEPT: std::cell::RefCell<Option<Tape>> = const { std::cell::RefCell::new(None) };
        }
        KEPT.with(|kept| *kept.borrow_mut() = Some(Tape::new()));
    })
    .join()
    .unwrap();
}

#[test]
fn a_var_of_another_thread_panics() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let message = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                panic_message(|| {
                    let _ = x * 2.0;
                })
            })
            .join()
            .unwrap()
    });
    assert!(message.contains("another thread"), "{message}");
}

#[test]
fn dead_vars_reaching_every_entry_point_panic() {
    // A Var that escaped a driver's closure belongs to a generation that is gone.
    let mut escaped = None;
    let _ = tapegrad::gradient(
        |x| {
            escaped = Some(x[0]);
            x[0] * 2.0
        },
        &[1.0],
    );
    let dead = escaped.unwrap();

    let message = panic_message(|| drop(tapegrad::gradient(|_| dead, &[1.0])));
    assert!(message.contains("cleared or dropped"), "{message}");
    let message = panic_message(|| {
        let _ = dead * 2.0;
    });
    assert!(message.contains("cleared or dropped"), "{message}");

    let tape = Tape::new();
    let message = panic_message(|| drop(tape.backward(dead)));
    assert!(message.contains("cleared or dropped"), "{message}");

    let mut graphed = Tape::new();
    graphed.record_graph(true);
    let message = panic_message(|| drop(graphed.graph(dead)));
    assert!(message.contains("cleared or dropped"), "{message}");

    #[cfg(feature = "nalgebra")]
    {
        let x = nalgebra::Vector1::new(1.0);
        let message = panic_message(|| {
            let _ = tapegrad::hessian(|_| dead, &x);
        });
        assert!(message.contains("cleared or dropped"), "{message}");
    }

    // The tapes still work after the panics.
    let z = tape.var(2.0);
    assert_eq!(tape.backward(z * z)[z], 4.0);
}

#[test]
fn vars_of_two_live_tapes_panic_inside_tape_methods() {
    let first = Tape::new();
    let second = Tape::new();
    let a = first.var(1.0);
    let y = second.var(2.0) * 3.0;
    let message = panic_message(|| drop(first.backward(y)));
    assert!(message.contains("two different Tapes"), "{message}");
    let grads = first.backward(a * 2.0);
    let message = panic_message(|| {
        let _ = grads[y];
    });
    assert!(message.contains("two different Tapes"), "{message}");
}

#[cfg(feature = "nalgebra")]
#[test]
fn drivers_reuse_their_thread_tape() {
    use nalgebra::{Matrix2, Vector2};
    for k in 0..3 {
        let shift = f64::from(k);
        let (value, gradient) = tapegrad::gradient(|x| x[0] * x[1] + shift, &[2.0, 5.0]);
        assert_eq!((value, gradient), (10.0 + shift, vec![5.0, 2.0]));
    }
    let (_, _, hessian) = tapegrad::hessian(
        |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1],
        &Vector2::new(1.0, 2.0),
    );
    assert_eq!(hessian, Matrix2::new(4.0, 2.0, 2.0, 0.0));
}

#[test]
fn custom_vector_rules_run_with_no_storage_borrowed() {
    // The sweep leaves the storage between its segments to call each rule's callback;
    // a callback that uses a driver records on another tape, one that records on the
    // tape being swept panics.
    let (value, gradient) = tapegrad::gradient(
        |x| {
            let xv = x[0].value();
            let y = Var::custom_vjp(&[x[0]], &[xv * xv], move |y_bar, x_bar| {
                let (_, inner) = tapegrad::gradient(|t| t[0] * t[0], &[xv]);
                x_bar[0] = inner[0] * y_bar[0];
            });
            let z = Var::custom_vjp(&[y[0], x[0]], &[y[0].value() + xv], |z_bar, x_bar| {
                x_bar[0] = z_bar[0];
                x_bar[1] = z_bar[0];
            });
            z[0] * 3.0
        },
        &[2.0],
    );
    assert_eq!(value, 18.0);
    assert_eq!(gradient, vec![3.0 * (2.0 * 2.0 + 1.0)]);

    let message = panic_message(|| {
        let _ = tapegrad::gradient(
            |x| {
                let escaped = x[0];
                Var::custom_vjp(&[x[0]], &[1.0], move |_, x_bar| {
                    x_bar[0] = (escaped + 1.0).value();
                })[0]
            },
            &[1.0],
        );
    });
    assert!(message.contains("tape being swept"), "{message}");
}

#[test]
fn ties_are_noted_through_the_registry() {
    let mut tape = Tape::new();
    tape.check_numerics(true);
    let (x, y) = (tape.var(1.0), tape.var(1.0));
    let other = Tape::new();
    let z = other.var(0.0);
    assert!(x == y && z == 0.0); // one tie on each tape, the other not checking
    assert_eq!(tape.ties().len(), 1);
    assert!(other.ties().is_empty());
}
