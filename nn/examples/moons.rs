//! micrograd's demo, on tapegrad: a 2-16-16-1 MLP learns the two-moons data set.
//!
//! Exactly as micrograd's notebook does it: 100 points with noise 0.1, `MLP(2, [16, 16,
//! 1])`, the max-margin loss with 1e-4 L2 regularization, and 100 steps of SGD with the
//! learning rate `1.0 - 0.9 k / 100`. It prints the loss and accuracy as it trains and
//! the time per step, and writes two pictures (SVG, for any browser) into `out/moons/`:
//! the decision boundary with the points, and the computation graph of one neuron.
//!
//! Run with `cargo run --release --example moons`.

use std::error::Error;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use tapegrad::Tape;
use tapegrad_nn::data::{Dataset, moons};
use tapegrad_nn::{MLP, Sgd, Workspace, accuracy, hinge_loss, l2_regularization};

/// The seed of the data set; the model starts from `MLP::new`'s fixed seed.
const SEED: u64 = 1337;
const STEPS: usize = 100;

fn main() -> Result<(), Box<dyn Error>> {
    let data = moons(100, 0.1, SEED);
    let labels = data.signed_labels(); // micrograd's ±1
    let mut model = MLP::new(2, &[16, 16, 1]);
    println!(
        "two moons: {} points; MLP(2, [16, 16, 1]) with {} parameters",
        data.len(),
        model.parameters().len()
    );

    let mut sgd = Sgd::new(model.parameters().len(), |k: usize| {
        1.0 - 0.9 * k as f64 / STEPS as f64
    });
    // Buffers made once: the steps after the first allocate nothing.
    let mut workspace = Workspace::new();
    let mut scores = Vec::with_capacity(data.len());
    let mut gradient = vec![0.0; model.parameters().len()];
    let mut step_times = Vec::with_capacity(STEPS);
    let mut last_accuracy = 0.0;
    for k in 0..STEPS {
        let started = Instant::now();
        let mut step_accuracy = 0.0;
        let loss = tapegrad::gradient_into(
            |p| {
                scores.clear();
                for x in &data.points {
                    scores.push(model.forward(p, x, &mut workspace)[0]);
                }
                step_accuracy = accuracy(&scores, &labels);
                hinge_loss(&scores, &labels) + l2_regularization(p, 1e-4)
            },
            model.parameters(),
            &mut gradient,
        );
        sgd.step(model.parameters_mut(), &gradient);
        step_times.push(started.elapsed());
        last_accuracy = step_accuracy;
        if k % 10 == 0 || k == STEPS - 1 {
            println!(
                "step {k:3}  loss {loss:.6}  accuracy {:5.1}%",
                100.0 * step_accuracy
            );
        }
    }
    step_times.sort();
    let median = step_times[STEPS / 2];
    let total: Duration = step_times.iter().sum();
    println!(
        "time per step: median {:.3} ms, mean {:.3} ms (forward over 100 points, loss, \
         backward sweep, SGD update)",
        median.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3 / STEPS as f64
    );

    let out = Path::new("out").join("moons");
    fs::create_dir_all(&out)?;
    let boundary = out.join("decision_boundary.svg");
    fs::write(&boundary, decision_boundary_svg(&model, &data))?;
    let (neuron_svg, neuron_dot) = neuron_graph(&model, &data)?;
    let graph = out.join("neuron.svg");
    fs::write(&graph, neuron_svg)?;
    fs::write(out.join("neuron.dot"), neuron_dot)?;
    println!("wrote {} and {}", boundary.display(), graph.display());

    assert_eq!(last_accuracy, 1.0, "the demo should separate the moons");
    Ok(())
}

/// The computation graph of the first neuron of the first layer on the first point, with
/// its gradients: micrograd's `draw_dot` picture. Returns the SVG and the DOT text.
fn neuron_graph(model: &MLP, data: &Dataset) -> Result<(String, String), Box<dyn Error>> {
    let neuron = model.layers()[0].neuron();
    let mut tape = Tape::new();
    tape.record_graph(true);
    let w = tape.vars(&model.parameters()[..3]); // w1, w2, then the bias
    let x = tape.vars(&data.points[0]);
    let y = neuron.forward(&w, &x);
    let grads = tape.backward(y);
    let graph = tape
        .graph(y)?
        .gradients(&grads)
        .label(x[0], "x1")
        .label(x[1], "x2")
        .label(w[0], "w1")
        .label(w[1], "w2")
        .label(w[2], "b");
    Ok((graph.to_svg(), graph.to_dot()))
}

/// The model's decision regions over a grid, with the data points on top, as micrograd's
/// notebook plots them.
fn decision_boundary_svg(model: &MLP, data: &Dataset) -> String {
    let (x_min, x_max) = bounds(data.points.iter().map(|p| p[0]));
    let (y_min, y_max) = bounds(data.points.iter().map(|p| p[1]));
    let scale = 160.0; // pixels per unit
    let step = 0.04;
    let width = (x_max - x_min) * scale;
    let height = (y_max - y_min) * scale;
    let to_px = |x: f64, y: f64| ((x - x_min) * scale, (y_max - y) * scale);
    let mut workspace = Workspace::new();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let columns = ((x_max - x_min) / step).ceil() as usize;
    let rows = ((y_max - y_min) / step).ceil() as usize;
    for i in 0..columns {
        for j in 0..rows {
            let (x, y) = (
                x_min + (i as f64 + 0.5) * step,
                y_min + (j as f64 + 0.5) * step,
            );
            let score = model.forward(model.parameters(), &[x, y], &mut workspace)[0];
            let fill = if score > 0.0 { "#f7c9c4" } else { "#c4d7f7" };
            let (px, py) = to_px(x - step / 2.0, y + step / 2.0);
            svg += &format!(
                "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{s:.1}\" height=\"{s:.1}\" fill=\"{fill}\"/>\n",
                s = step * scale + 0.5
            );
        }
    }
    for (point, &label) in data.points.iter().zip(&data.labels) {
        let (px, py) = to_px(point[0], point[1]);
        let fill = if label == 1 { "#d62728" } else { "#1f4fb4" };
        svg += &format!(
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"5\" fill=\"{fill}\" stroke=\"black\"/>\n"
        );
    }
    svg += "</svg>\n";
    svg
}

/// The range of `values`, widened by one unit on each side.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    (low - 1.0, high + 1.0)
}
