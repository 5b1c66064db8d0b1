//! A training loop allocates nothing after its first step: `Tape::clear` keeps the
//! tape's memory and `backward` reuses the buffer of the previous step's gradients.
//!
//! This test binary counts every allocation of its own thread.

use num_traits::Float;
use tapegrad::{Tape, Var};

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{allocations, held_bytes};

fn loss<T: Float>(w: &[T], data: &[(f64, f64)]) -> T {
    data.iter()
        .map(|&(x, y)| {
            let x = T::from(x).unwrap();
            let prediction = (w[0] * x + w[1]).tanh() * w[2];
            (prediction - T::from(y).unwrap()).powi(2)
        })
        .fold(T::zero(), |sum, e| sum + e)
}

#[test]
fn training_steps_after_the_first_do_not_allocate() {
    let data: Vec<(f64, f64)> = (0..50)
        .map(|i| {
            let x = f64::from(i) / 25.0 - 1.0;
            (x, (2.0 * x).tanh() * 0.5)
        })
        .collect();
    let mut weights = [0.3, 0.0, 1.0];
    let mut tape = Tape::new();
    let step = |tape: &mut Tape, weights: &mut [f64; 3]| {
        tape.clear();
        let inputs: [Var<'_>; 3] = std::array::from_fn(|i| tape.var(weights[i]));
        let l = loss(&inputs, &data);
        let grads = tape.backward(l);
        for (w, &x) in weights.iter_mut().zip(&inputs) {
            *w -= 0.05 * grads[x];
        }
        l.value()
    };
    let first = step(&mut tape, &mut weights);
    let before = allocations();
    let mut last = first;
    for _ in 0..200 {
        last = step(&mut tape, &mut weights);
    }
    assert_eq!(allocations() - before, 0, "steps after the first allocated");
    assert!(
        last < first / 10.0,
        "training went nowhere: {first} -> {last}"
    );
}

#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    let tape = Tape::new();
    let _ = tape.vars(&[1.0, 2.0]);
    assert!(allocations() > before);
}

#[test]
fn gradient_calls_in_a_loop_allocate_only_their_result() {
    let x = [0.5, -1.0, 2.0];
    let f = |v: &[Var<'static>]| loss(v, &[(0.1, 0.2), (0.3, -0.1)]);
    let _ = tapegrad::gradient(f, &x); // the first call makes the thread's tape
    let before = allocations();
    let mut point = x;
    for _ in 0..10_000 {
        let (_, gradient) = tapegrad::gradient(f, &point);
        point[0] -= 1e-3 * gradient[0];
    }
    // One allocation per call: the returned gradient vector.
    assert_eq!(allocations() - before, 10_000);
}

/// The hardening issue's input, scaled for a debug build: a gradient of 2·10^6 inputs
/// made the drivers' thread tape hold its peak (211 MB) for good. A small call after a
/// large one now gives the large one's memory back, while a loop of large calls keeps
/// reusing it.
#[test]
fn a_large_driver_call_gives_its_memory_back_to_the_next_small_one() {
    let x = vec![0.5; 2_000_000];
    let sum_sq = |x: &[Var<'static>]| x.iter().map(|&v| v * v).sum::<Var<'static>>();
    let before = held_bytes();
    let (_, gradient) = tapegrad::gradient(sum_sq, &x);
    assert_eq!(gradient[0], 1.0);
    drop(gradient);
    let after_large = held_bytes() - before;
    assert!(
        after_large > 50 << 20,
        "the tape of 2·10^6 squares is kept: {after_large} bytes"
    );

    // A second large call reuses that memory: a handful of allocations, no growth.
    let started = allocations();
    let (_, gradient) = tapegrad::gradient(sum_sq, &x);
    drop(gradient);
    assert!(
        allocations() - started < 10,
        "{} allocations",
        allocations() - started
    );
    assert_eq!(held_bytes() - before, after_large);

    let (_, small) = tapegrad::gradient(|x| x[0] * x[0], &[3.0]);
    assert_eq!(small, vec![6.0]);
    drop(small);
    let after_small = held_bytes() - before;
    assert!(
        after_small < 1 << 20,
        "after a small call: {after_small} bytes held"
    );
}

/// A loop of large calls whose memory is mostly inputs and adjoints, not edges, keeps its
/// memory too (the release compares what a call used with what is held, buffers
/// included): the review's two loops.
#[test]
fn large_calls_in_a_loop_reuse_their_memory() {
    let x = vec![1.0; 2_000_000];
    let mut gradient = vec![0.0; x.len()];
    for call in 0..3 {
        let started = allocations();
        tapegrad::gradient_into(|x| x[0] * x[1], &x, &mut gradient);
        if call > 0 {
            assert_eq!(allocations() - started, 0, "call {call} of gradient_into");
        }
    }
    #[cfg(feature = "nalgebra")]
    {
        use nalgebra::DVector;
        let n = 200_000;
        let x = DVector::from_element(n, 0.5);
        let v = DVector::from_element(n, 1.0);
        let f = |x: &DVector<Var<'static>>| x.iter().map(|&xi| xi.sin() * xi).sum::<Var<'static>>();
        for call in 0..3 {
            let started = allocations();
            let (_, gradient, hv) = tapegrad::hvp(f, &x, &v);
            drop((gradient, hv));
            if call > 0 {
                // The two result vectors, nothing for the tape.
                assert!(
                    allocations() - started <= 4,
                    "call {call} of hvp: {}",
                    allocations() - started
                );
            }
        }
    }
}

/// Every driver of the modes issue, in a loop on slices: after the first call, each call
/// allocates its results and nothing else (the Jacobian's lane buffer, the direction and
/// the inputs are the thread tape's).
#[test]
fn driver_loops_allocate_only_their_results() {
    let x = [0.5, -1.0, 2.0];
    // An array out: the closure allocates nothing itself, and the values come back as an
    // array too.
    let f = |v: &[Var<'static>]| [v[0] * v[1], v[2].sin(), v[0] + v[2], v[1].exp()];
    let g = |v: &[Var<'static>]| loss(v, &[(0.1, 0.2), (0.3, -0.1)]);
    // (name, results allocated per call, the call)
    let drivers: [(&str, usize, &dyn Fn()); 6] = [
        ("jacobian", 1, &|| {
            std::hint::black_box(tapegrad::jacobian(f, &x));
        }),
        ("jvp", 0, &|| {
            std::hint::black_box(tapegrad::jvp(f, &x, &[1.0, 0.0, -1.0]));
        }),
        ("vjp", 1, &|| {
            std::hint::black_box(tapegrad::vjp(f, &x, &[1.0, 2.0, 3.0, 4.0]));
        }),
        ("hessian", 2, &|| {
            std::hint::black_box(tapegrad::hessian(g, &x));
        }),
        ("hvp", 2, &|| {
            std::hint::black_box(tapegrad::hvp(g, &x, &[1.0, 0.0, 0.0]));
        }),
        ("derivative", 0, &|| {
            std::hint::black_box(tapegrad::derivative(|t| t.sin() * t, 0.3));
        }),
    ];
    for (name, results, call) in drivers {
        call(); // the first call grows the thread's tape and buffers
        let before = allocations();
        for _ in 0..1000 {
            call();
        }
        assert_eq!(allocations() - before, 1000 * results, "{name}");
    }
}
