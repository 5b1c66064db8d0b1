//! The optimizer adapters (features `argmin` and `levenberg-marquardt`): each solves a
//! real problem, and records the closure no more often than it must.

#![cfg(any(feature = "argmin", feature = "levenberg-marquardt"))]

use std::sync::atomic::{AtomicUsize, Ordering};

use num_traits::Float;

/// Extended Rosenbrock; its minimum is 0 at all ones.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).unwrap());
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
        .fold(T::zero(), |sum, term| sum + term)
}

#[cfg(feature = "argmin")]
mod argmin {
    use super::*;
    use ::argmin::core::{CostFunction, Executor, Gradient, Hessian, State};
    use ::argmin::solver::linesearch::MoreThuenteLineSearch;
    use ::argmin::solver::newton::NewtonCG;
    use ::argmin::solver::quasinewton::LBFGS;
    use tapegrad::argmin::Problem;

    #[test]
    fn lbfgs_finds_the_minimum_of_rosenbrock_in_20_dimensions() {
        let recordings = AtomicUsize::new(0);
        let problem = Problem::new(|x| {
            recordings.fetch_add(1, Ordering::Relaxed);
            rosenbrock(x)
        });
        let start: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect();
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
            .with_tolerance_grad(1e-10)
            .unwrap()
            .with_tolerance_cost(0.0)
            .unwrap();
        let result = Executor::new(problem, solver)
            .configure(|state| state.param(start).max_iters(1000))
            .run()
            .unwrap();
        let best = result.state().get_best_param().unwrap();
        for &xi in best {
            assert!((xi - 1.0).abs() < 1e-8, "{best:?} is not (1, ..., 1)");
        }
        // Every cost that L-BFGS asks for is followed by the gradient at the same point:
        // with the cache, one recording serves both.
        let counts = &result.problem.counts;
        let (costs, gradients) = (counts["cost_count"], counts["gradient_count"]);
        assert!(costs > 0 && gradients > 0);
        assert!(
            recordings.load(Ordering::Relaxed) <= costs.max(gradients) as usize,
            "{} recordings for {costs} costs and {gradients} gradients",
            recordings.load(Ordering::Relaxed)
        );
    }

    #[test]
    fn cost_then_gradient_at_one_point_records_once() {
        let recordings = AtomicUsize::new(0);
        let problem = Problem::new(|x| {
            recordings.fetch_add(1, Ordering::Relaxed);
            rosenbrock(x)
        });
        let x = vec![1.0, 2.0];
        assert_eq!(problem.cost(&x).unwrap(), 100.0);
        assert_eq!(problem.gradient(&x).unwrap(), vec![-400.0, 200.0]);
        assert_eq!(problem.cost(&x).unwrap(), 100.0);
        assert_eq!(recordings.load(Ordering::Relaxed), 1);
        // Another point records again; so does the first one after it.
        let y = vec![1.0, 1.0];
        assert_eq!(problem.gradient(&y).unwrap(), vec![0.0, 0.0]);
        assert_eq!(problem.cost(&y).unwrap(), 0.0);
        assert_eq!(recordings.load(Ordering::Relaxed), 2);
        assert_eq!(problem.gradient(&x).unwrap(), vec![-400.0, 200.0]);
        assert_eq!(recordings.load(Ordering::Relaxed), 3);
        // -0.0 and 0.0 are different points to the cache (different bits).
        assert_eq!(problem.cost(&vec![0.0, 0.0]).unwrap(), 1.0);
        assert_eq!(problem.cost(&vec![-0.0, 0.0]).unwrap(), 1.0);
        assert_eq!(recordings.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn hessian_is_exact_and_fills_the_cache() {
        let recordings = AtomicUsize::new(0);
        let problem = Problem::new(|x| {
            recordings.fetch_add(1, Ordering::Relaxed);
            rosenbrock(x)
        });
        let x = vec![1.0, 2.0];
        // ∂²/∂x₀² = 1200 x₀² - 400 x₁ + 2, ∂²/∂x₀∂x₁ = -400 x₀, ∂²/∂x₁² = 200.
        assert_eq!(
            problem.hessian(&x).unwrap(),
            vec![vec![402.0, -400.0], vec![-400.0, 200.0]]
        );
        assert_eq!(problem.gradient(&x).unwrap(), vec![-400.0, 200.0]);
        assert_eq!(problem.cost(&x).unwrap(), 100.0);
        assert_eq!(recordings.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn newton_cg_uses_the_hessian() {
        // Σ cosh(xᵢ - cᵢ) + (x₀ - x₁)²: convex, smallest at c = (1, -2, 0.5) and 0 there.
        let c = [1.0, -2.0, 0.5];
        let problem = Problem::new(|x| {
            let coupling = (x[0] - x[1] - (c[0] - c[1])).powi(2);
            x.iter()
                .zip(c)
                .fold(coupling, |sum, (&xi, ci)| sum + (xi - ci).cosh())
        });
        let result = Executor::new(problem, NewtonCG::new(MoreThuenteLineSearch::new()))
            .configure(|state| state.param(vec![0.0, 0.0, 0.0]).max_iters(50))
            .run()
            .unwrap();
        let best = result.state().get_best_param().unwrap();
        approx::assert_relative_eq!(best.as_slice(), c.as_slice(), epsilon = 1e-6);
        assert!(result.problem.counts["hessian_count"] > 0);
    }

    #[test]
    fn the_problem_is_sync_when_its_closure_is() {
        fn assert_sync<T: Sync + Send>(_: &T) {}
        assert_sync(&Problem::new(|x: &[tapegrad::Var<'static>]| x[0] * x[0]));
    }
}

#[cfg(feature = "levenberg-marquardt")]
mod levenberg_marquardt {
    use super::*;
    use ::levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
    use tapegrad::levenberg_marquardt::Problem;

    #[test]
    fn fits_an_exponential_decay_exactly() {
        // y = a e^(-b t) + c with a = 2.5, b = 1.3, c = 0.5, on 60 points of [0, 6).
        let model = |p: &[f64], t: f64| p[0] * (-p[1] * t).exp() + p[2];
        let data: Vec<(f64, f64)> = (0..60)
            .map(|k| f64::from(k) * 0.1)
            .map(|t| (t, model(&[2.5, 1.3, 0.5], t)))
            .collect();
        let recordings = AtomicUsize::new(0);
        let problem = Problem::new(
            |p| {
                recordings.fetch_add(1, Ordering::Relaxed);
                data.iter()
                    .map(|&(t, y)| p[0] * (-p[1] * t).exp() + p[2] - y)
                    .collect()
            },
            &[1.0, 0.5, 0.0],
        );
        let (fitted, report) = LevenbergMarquardt::new().minimize(problem);
        assert!(report.termination.was_successful(), "{report:?}");
        approx::assert_relative_eq!(
            fitted.parameters(),
            [2.5, 1.3, 0.5].as_slice(),
            epsilon = 1e-10
        );
        // One recording per point: the start, then each point the solver tried; the
        // returns after rejected steps record nothing.
        assert_eq!(
            recordings.load(Ordering::Relaxed),
            report.number_of_evaluations
        );
    }

    #[test]
    fn residuals_and_jacobian_come_from_one_recording() {
        let recordings = AtomicUsize::new(0);
        let mut problem = Problem::new(
            |p| {
                recordings.fetch_add(1, Ordering::Relaxed);
                vec![p[0] * p[1], p[1].sin(), rosenbrock(p)]
            },
            &[2.0, 0.0],
        );
        assert_eq!(recordings.load(Ordering::Relaxed), 1);
        let r = problem.residuals().unwrap();
        let j = problem.jacobian().unwrap();
        assert_eq!(r.as_slice(), &[0.0, 0.0, 1601.0]);
        // Column-major: ∂/∂p₀ of the three residuals, then ∂/∂p₁.
        assert_eq!(j.shape(), (3, 2));
        assert_eq!(j.as_slice(), &[0.0, 0.0, 3202.0, 2.0, 1.0, -800.0]);
        assert_eq!(recordings.load(Ordering::Relaxed), 1);
        problem.set_params(&problem.params().map(|p| p + 1.0));
        assert_eq!(problem.parameters(), &[3.0, 1.0]);
        assert_eq!(problem.residuals().unwrap()[0], 3.0);
        assert_eq!(recordings.load(Ordering::Relaxed), 2);
    }
}
