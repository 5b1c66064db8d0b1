//! Optimizers that update a flat slice of `f64` parameters from their gradient:
//! [`Sgd`] (with a learning-rate [`Schedule`] and momentum) and [`Adam`].
//!
//! Each keeps its state in buffers sized when it is made, so a step allocates nothing.

use std::fmt;

/// A learning rate for each step: `learning_rate(k)` for the step `k`, counting from 0.
///
/// An `f64` is a constant rate, and a closure `Fn(usize) -> f64` a schedule, such as
/// micrograd's decay in its moons demo, `|k| 1.0 - 0.9 * k as f64 / 100.0`.
pub trait Schedule {
    /// The learning rate of step `step`, the first step being 0.
    fn learning_rate(&self, step: usize) -> f64;
}

impl Schedule for f64 {
    /// The constant rate `self`.
    fn learning_rate(&self, _step: usize) -> f64 {
        *self
    }
}

impl<F: Fn(usize) -> f64> Schedule for F {
    /// `self(step)`.
    fn learning_rate(&self, step: usize) -> f64 {
        self(step)
    }
}

/// Something that updates parameters from their gradient, one step at a time.
pub trait Optimizer {
    /// Moves `parameters` one step against `gradients`.
    ///
    /// # Panics
    ///
    /// If `parameters` and `gradients` do not have the length the optimizer was made for.
    fn step(&mut self, parameters: &mut [f64], gradients: &[f64]);
}

/// Checks the lengths of a step's slices against the optimizer's state.
fn check_lengths(optimizer: &str, state: usize, parameters: usize, gradients: usize) {
    assert!(
        parameters == state && gradients == state,
        "tapegrad_nn::{optimizer}::step: made for {state} parameters, but given {parameters} \
         parameters and {gradients} gradients"
    );
}

/// Stochastic gradient descent with a learning-rate [`Schedule`] `S` and optional
/// momentum.
///
/// Without momentum, a step is micrograd's `p -= learning_rate * grad`. With momentum
/// `μ`, each parameter keeps a velocity `v ← μ v + g` and moves by `p -= learning_rate
/// * v` (the form of PyTorch's `SGD`).
///
/// ```
/// use tapegrad_nn::Sgd;
///
/// // micrograd's moons demo: the rate decays from 1.0 to 0.1 over 100 steps.
/// let mut sgd = Sgd::new(1, |k| 1.0 - 0.9 * k as f64 / 100.0);
/// let mut p = [0.0];
/// sgd.step(&mut p, &[1.0]); // rate 1.0
/// sgd.step(&mut p, &[1.0]); // rate 0.991
/// assert_eq!(p, [-1.0 - (1.0 - 0.9 * 1.0 / 100.0)]);
///
/// let mut heavy = Sgd::new(1, 0.1).with_momentum(0.9);
/// let mut q = [0.0];
/// heavy.step(&mut q, &[1.0]); // v = 1
/// heavy.step(&mut q, &[1.0]); // v = 1.9
/// assert_eq!(q, [-0.1 - 0.1 * 1.9]);
/// ```
#[derive(Clone)]
pub struct Sgd<S = f64> {
    schedule: S,
    momentum: f64,
    velocity: Vec<f64>,
    steps: usize,
}

impl<S: Schedule> Sgd<S> {
    /// Plain SGD over `parameter_count` parameters with the learning rate
    /// `learning_rate`: an `f64`, or a closure from the step number to the rate.
    pub fn new(parameter_count: usize, learning_rate: S) -> Self {
        Sgd {
            schedule: learning_rate,
            momentum: 0.0,
            velocity: vec![0.0; parameter_count],
            steps: 0,
        }
    }

    /// The same optimizer with momentum `momentum` (often 0.9).
    pub fn with_momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// How many steps were taken.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The learning rate of the next step.
    pub fn learning_rate(&self) -> f64 {
        self.schedule.learning_rate(self.steps)
    }

    /// Moves `parameters` one step against `gradients`.
    ///
    /// # Panics
    ///
    /// If `parameters` and `gradients` do not hold `parameter_count` numbers each.
    pub fn step(&mut self, parameters: &mut [f64], gradients: &[f64]) {
        check_lengths(
            "Sgd",
            self.velocity.len(),
            parameters.len(),
            gradients.len(),
        );
        let rate = self.learning_rate();
        if self.momentum == 0.0 {
            for (p, &g) in parameters.iter_mut().zip(gradients) {
                *p -= rate * g;
            }
        } else {
            let momentum = self.momentum;
            for ((p, &g), v) in parameters.iter_mut().zip(gradients).zip(&mut self.velocity) {
                *v = momentum * *v + g;
                *p -= rate * *v;
            }
        }
        self.steps += 1;
    }
}

impl<S: Schedule> Optimizer for Sgd<S> {
    fn step(&mut self, parameters: &mut [f64], gradients: &[f64]) {
        Sgd::step(self, parameters, gradients);
    }
}

impl<S> fmt::Debug for Sgd<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sgd")
            .field("momentum", &self.momentum)
            .field("parameters", &self.velocity.len())
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

/// Adam (Kingma and Ba, 2015), with bias correction and a learning-rate [`Schedule`]
/// `S`.
///
/// For each parameter with gradient `g`, at step `t = 1, 2, ...`:
/// `m ← β₁ m + (1 - β₁) g`, `v ← β₂ v + (1 - β₂) g²`, and
/// `p -= rate · m̂ / (√v̂ + ε)` with `m̂ = m / (1 - β₁ᵗ)`, `v̂ = v / (1 - β₂ᵗ)`. Defaults:
/// `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
///
/// After bias correction the first step is `rate · g / (|g| + ε)`, about `rate` times
/// the sign of the gradient, whatever its size:
///
/// ```
/// use tapegrad_nn::Adam;
///
/// let mut adam = Adam::new(2, 0.01);
/// let mut p = [1.0, 1.0];
/// adam.step(&mut p, &[1e3, -1e-3]);
/// approx::assert_relative_eq!(p[0], 1.0 - 0.01, epsilon = 1e-12);
/// approx::assert_relative_eq!(p[1], 1.0 + 0.01, epsilon = 1e-6);
/// ```
#[derive(Clone)]
pub struct Adam<S = f64> {
    schedule: S,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    /// `β₁ᵗ` and `β₂ᵗ` of the last step.
    beta1_power: f64,
    beta2_power: f64,
    first_moment: Vec<f64>,
    second_moment: Vec<f64>,
    steps: usize,
}

impl<S: Schedule> Adam<S> {
    /// Adam over `parameter_count` parameters with the learning rate `learning_rate`
    /// (an `f64`, often `1e-3`, or a closure from the step number to the rate) and the
    /// default `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
    pub fn new(parameter_count: usize, learning_rate: S) -> Self {
        Adam {
            schedule: learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            beta1_power: 1.0,
            beta2_power: 1.0,
            first_moment: vec![0.0; parameter_count],
            second_moment: vec![0.0; parameter_count],
            steps: 0,
        }
    }

    /// The same optimizer with the decay rates `beta1` and `beta2` of the moments.
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// The same optimizer with `epsilon` added to `√v̂`.
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// How many steps were taken.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The learning rate of the next step.
    pub fn learning_rate(&self) -> f64 {
        self.schedule.learning_rate(self.steps)
    }

    /// Moves `parameters` one step against `gradients`.
    ///
    /// # Panics
    ///
    /// If `parameters` and `gradients` do not hold `parameter_count` numbers each.
    pub fn step(&mut self, parameters: &mut [f64], gradients: &[f64]) {
        check_lengths(
            "Adam",
            self.first_moment.len(),
            parameters.len(),
            gradients.len(),
        );
        let rate = self.learning_rate();
        let (beta1, beta2, epsilon) = (self.beta1, self.beta2, self.epsilon);
        self.beta1_power *= beta1;
        self.beta2_power *= beta2;
        let (correction1, correction2) = (1.0 - self.beta1_power, 1.0 - self.beta2_power);
        let moments = self.first_moment.iter_mut().zip(&mut self.second_moment);
        for ((p, &g), (m, v)) in parameters.iter_mut().zip(gradients).zip(moments) {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            let corrected_m = *m / correction1;
            let corrected_v = *v / correction2;
            *p -= rate * corrected_m / (corrected_v.sqrt() + epsilon);
        }
        self.steps += 1;
    }
}

impl<S: Schedule> Optimizer for Adam<S> {
    fn step(&mut self, parameters: &mut [f64], gradients: &[f64]) {
        Adam::step(self, parameters, gradients);
    }
}

impl<S> fmt::Debug for Adam<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Adam")
            .field("beta1", &self.beta1)
            .field("beta2", &self.beta2)
            .field("epsilon", &self.epsilon)
            .field("parameters", &self.first_moment.len())
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}
