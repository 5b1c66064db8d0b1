//! micrograd's demo, on tapegrad: a 2-16-16-1 MLP learns the two-moons data set.
//!
//! Exactly as micrograd's notebook does it: 100 points with noise 0.1, `MLP(2, [16, 16,
//! 1])`, the max-margin loss with 1e-4 L2 regularization, and 100 steps of SGD with the
//! learning rate `1.0 - 0.9 k / 100`. It prints the loss and accuracy as it trains and
//! the time per step, and writes two pictures (SVG, for any browser) into `out/moons/`:
//! the decision boundary with the points, and the computation graph of one neuron.
//!
//! Run with `cargo run --release --example moons`. Options:
//!
//! ```text
//! --steps N   SGD steps (default 100); the learning rate falls from 1.0 to 0.1 over them
//! --out DIR   folder for the pictures (default out/moons)
//! ```
//!
//! The decision boundary is drawn with plotters: the model's score is sampled on a fine
//! grid, and the curve where it crosses 0 is traced by marching squares ([`zero_contours`])
//! and drawn as a line, over a light fill of each class's region.

use std::error::Error;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
#[path = "common/plot_style.rs"]
mod plot_style;
use tapegrad::Tape;
use tapegrad_nn::data::{Dataset, moons};
use tapegrad_nn::{MLP, Sgd, Workspace, accuracy, hinge_loss, l2_regularization};

/// The seed of the data set; the model starts from `MLP::new`'s fixed seed.
pub const SEED: u64 = 1337;
/// SGD steps, unless `--steps` says otherwise.
pub const STEPS: usize = 100;
/// The number of points.
pub const POINTS: usize = 100;
/// The standard deviation of the noise on the points.
pub const NOISE: f64 = 0.1;
/// The hidden layers and the output of the MLP.
pub const LAYERS: [usize; 3] = [16, 16, 1];

// ---------------------------------------------------------------------------------------
// Training

/// What a run of micrograd's recipe gives.
#[derive(Debug)]
pub struct Training {
    /// The two moons, class 0 the upper one.
    pub data: Dataset,
    /// The trained model.
    pub model: MLP,
    /// The loss of every step, before its update.
    pub losses: Vec<f64>,
    /// The trained model's accuracy on the points.
    pub accuracy: f64,
    /// The time of every step: forward pass, loss, backward sweep and update.
    pub step_times: Vec<Duration>,
}

/// micrograd's recipe for `steps` steps of SGD, the learning rate falling from 1.0 to 0.1;
/// `report(step, loss, accuracy)` is called after each step with the loss and the
/// accuracy of the scores that the step differentiated.
pub fn train(steps: usize, mut report: impl FnMut(usize, f64, f64)) -> Training {
    let data = moons(POINTS, NOISE, SEED);
    let labels = data.signed_labels(); // micrograd's ±1
    let mut model = MLP::new(2, &LAYERS);
    let mut sgd = Sgd::new(model.parameters().len(), |k: usize| {
        1.0 - 0.9 * k as f64 / steps as f64
    });
    // Buffers made once: the steps after the first allocate nothing.
    let mut workspace = Workspace::new();
    let mut scores = Vec::with_capacity(data.len());
    let mut gradient = vec![0.0; model.parameters().len()];
    let mut losses = Vec::with_capacity(steps);
    let mut step_times = Vec::with_capacity(steps);
    for k in 0..steps {
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
        losses.push(loss);
        report(k, loss, step_accuracy);
    }
    let predictions: Vec<f64> = data.points.iter().map(|x| model.predict(x)[0]).collect();
    Training {
        accuracy: accuracy(&predictions, &labels),
        data,
        model,
        losses,
        step_times,
    }
}

/// The computation graph of the first neuron of the first layer on the first point, with
/// its gradients: micrograd's `draw_dot` picture. Returns the SVG and the DOT text.
pub fn neuron_graph(model: &MLP, data: &Dataset) -> Result<(String, String), Box<dyn Error>> {
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
        .label(w[2], "b")
        .caption(format!(
            "Neuron 1 of the first hidden layer (ReLU) of the trained MLP, on data point 1 \
             (x1 = {:.3}, x2 = {:.3})\ngrad: the derivative of the neuron's output with \
             respect to each value",
            data.points[0][0], data.points[0][1]
        ));
    Ok((graph.to_svg(), graph.to_dot()))
}

// ---------------------------------------------------------------------------------------
// Contours by marching squares

/// A function sampled on a rectangular grid of points.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The x of each column of points, increasing.
    pub xs: Vec<f64>,
    /// The y of each row of points, increasing.
    pub ys: Vec<f64>,
    /// The function at `(xs[i], ys[j])` is `values[j * xs.len() + i]`.
    pub values: Vec<f64>,
}

impl Grid {
    /// `f` at every point of the grid `xs × ys`.
    pub fn sample(xs: Vec<f64>, ys: Vec<f64>, mut f: impl FnMut(f64, f64) -> f64) -> Grid {
        let mut values = Vec::with_capacity(xs.len() * ys.len());
        for &y in &ys {
            for &x in &xs {
                values.push(f(x, y));
            }
        }
        Grid { xs, ys, values }
    }

    fn value(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.xs.len() + i]
    }

    /// This grid inside a ring of points with the value `outside` (0 or below), laid on
    /// its own border. The ring cuts every region where the function is positive off
    /// along the frame, so that [`zero_contours`] of the closed grid are closed curves:
    /// the outlines of those regions, frame included.
    pub fn closed(&self, outside: f64) -> Grid {
        let ring = |v: &[f64]| -> Vec<f64> {
            let mut out = Vec::with_capacity(v.len() + 2);
            out.push(v[0]);
            out.extend_from_slice(v);
            out.push(v[v.len() - 1]);
            out
        };
        let (xs, ys) = (ring(&self.xs), ring(&self.ys));
        let (columns, inner) = (xs.len(), self.xs.len());
        let mut values = vec![outside; columns * ys.len()];
        for (j, row) in self.values.chunks_exact(inner).enumerate() {
            let start = (j + 1) * columns + 1;
            values[start..start + inner].copy_from_slice(row);
        }
        Grid { xs, ys, values }
    }
}

/// The curves along which `grid`'s values cross 0, by marching squares: a grid point is
/// inside where its value is above 0, and where the two ends of a cell's edge disagree,
/// the curve crosses the edge at the point that linear interpolation puts at 0.
///
/// Each curve keeps the inside on its left. A curve that closes repeats its first point
/// at its end; one that runs into the border of the grid is open. Where a cell has
/// inside corners on one diagonal and outside ones on the other (a saddle), the value
/// at its center decides which corners the curves join.
pub fn zero_contours(grid: &Grid) -> Vec<Vec<(f64, f64)>> {
    const NONE: usize = usize::MAX;
    let (columns, rows) = (grid.xs.len(), grid.ys.len());
    let inside = |(i, j): (usize, usize)| grid.value(i, j) > 0.0;
    // A crossing is named by its edge: 2 (j·columns + i) for the edge from point (i, j)
    // to (i + 1, j), one more for the edge from (i, j) to (i, j + 1). The curves are
    // kept as links from each crossing to the next one along its curve.
    let mut next = vec![NONE; 2 * columns * rows];
    let mut linked_to = vec![false; next.len()];
    for j in 0..rows.saturating_sub(1) {
        for i in 0..columns.saturating_sub(1) {
            // The corners counterclockwise from the lower left, and the edge from each
            // to the next.
            let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let edges = [
                2 * (j * columns + i),
                2 * (j * columns + i + 1) + 1,
                2 * ((j + 1) * columns + i),
                2 * (j * columns + i) + 1,
            ];
            // The crossings met going around the cell, each an exit (inside to
            // outside) or an entry; exits and entries alternate.
            let mut crossings = [(0, false); 4];
            let mut count = 0;
            for k in 0..4 {
                let (from, to) = (inside(corners[k]), inside(corners[(k + 1) % 4]));
                if from != to {
                    crossings[count] = (edges[k], from);
                    count += 1;
                }
            }
            // The inside lies on the left of a segment from an exit to the entry after
            // it. In a saddle whose center is outside, the inside corners are cut off
            // instead: each exit then goes to the entry before it.
            // (The value at the center is the corners' mean, of the sign of their sum.)
            let center: f64 = corners.iter().map(|&(a, b)| grid.value(a, b)).sum();
            let step = if count == 4 && center <= 0.0 { 3 } else { 1 };
            for k in 0..count {
                let (edge, exit) = crossings[k];
                if exit {
                    let entry = crossings[(k + step) % count].0;
                    next[edge] = entry;
                    linked_to[entry] = true;
                }
            }
        }
    }

    let point = |edge: usize| -> (f64, f64) {
        let (i, j) = ((edge / 2) % columns, (edge / 2) / columns);
        let along_x = edge.is_multiple_of(2);
        let (i1, j1) = if along_x { (i + 1, j) } else { (i, j + 1) };
        let (v0, v1) = (grid.value(i, j), grid.value(i1, j1));
        let t = v0 / (v0 - v1);
        (
            grid.xs[i] + t * (grid.xs[i1] - grid.xs[i]),
            grid.ys[j] + t * (grid.ys[j1] - grid.ys[j]),
        )
    };
    // The open curves from their first crossings, which nothing links to; then the
    // loops, from any crossing not yet walked.
    let firsts = (0..next.len()).filter(|&e| next[e] != NONE && !linked_to[e]);
    let others = (0..next.len()).filter(|&e| next[e] != NONE);
    let mut walked = vec![false; next.len()];
    let mut curves = Vec::new();
    for start in firsts.chain(others) {
        if walked[start] {
            continue;
        }
        let mut curve = vec![point(start)];
        walked[start] = true;
        let mut edge = start;
        while next[edge] != NONE {
            edge = next[edge];
            curve.push(point(edge));
            if walked[edge] {
                break; // back at the start of a loop
            }
            walked[edge] = true;
        }
        curves.push(curve);
    }
    curves
}

/// The area that the closed curve `curve` (its last point its first) encloses: positive
/// when it runs counterclockwise, negative when clockwise (the shoelace formula).
pub fn signed_area(curve: &[(f64, f64)]) -> f64 {
    let twice: f64 = curve
        .windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum();
    twice / 2.0
}

/// `curve` without the points that lie within `tolerance` of the line between the points
/// kept on either side (Ramer-Douglas-Peucker). A curve traced through a
/// piecewise-linear function, as an MLP with ReLUs is, keeps little more than its
/// corners, and rounding its points to whole pixels then leaves no jags.
pub fn simplify(curve: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if curve.len() < 3 {
        return curve.to_vec();
    }
    let mut keep = vec![false; curve.len()];
    let last = curve.len() - 1;
    (keep[0], keep[last]) = (true, true);
    let mut spans = vec![(0, last)];
    while let Some((first, last)) = spans.pop() {
        let farthest = (first + 1..last)
            .map(|k| (k, distance_to_segment(curve[k], curve[first], curve[last])))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((k, distance)) = farthest
            && distance > tolerance
        {
            keep[k] = true;
            spans.extend([(first, k), (k, last)]);
        }
    }
    curve
        .iter()
        .zip(&keep)
        .filter(|&(_, &kept)| kept)
        .map(|(&p, _)| p)
        .collect()
}

/// The distance from `p` to the segment from `a` to `b`.
fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length_squared = dx * dx + dy * dy;
    let t = if length_squared > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length_squared).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

// ---------------------------------------------------------------------------------------
// The picture

/// The upper moon, class 0, label −1: where the score is below 0.
const UPPER_POINT: RGBColor = RGBColor(33, 84, 186);
const UPPER_REGION: RGBColor = RGBColor(215, 228, 250);
/// The lower moon, class 1, label +1: where the score is above 0.
const LOWER_POINT: RGBColor = RGBColor(214, 45, 40);
const LOWER_REGION: RGBColor = RGBColor(252, 219, 212);
/// The width of the plot area in pixels; its height follows from the data, one unit of
/// y as long as one of x.
const PLOT_WIDTH: u32 = 720;
/// The room above the plot for the title and the accuracy line.
const HEADER: u32 = 78;
/// The room for the tick labels and the axis names.
const LEFT_LABELS: u32 = 66;
const BOTTOM_LABELS: u32 = 58;
const MARGIN: u32 = 18;
/// The score is sampled every `1 / GRID_PER_UNIT` units: about three pixels.
const GRID_PER_UNIT: f64 = 45.0;
/// How far, in pixels, a drawn curve may stray from the traced one.
const TOLERANCE: f64 = 0.35;

/// The range of `values`, widened by 0.7 on each side and out to a multiple of 0.5.
fn frame(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    (
        ((low - 0.7) * 2.0).floor() / 2.0,
        ((high + 0.7) * 2.0).ceil() / 2.0,
    )
}

/// `count` evenly spaced numbers from `low` to `high`, both included.
fn linspace((low, high): (f64, f64), count: usize) -> Vec<f64> {
    (0..count)
        .map(|k| low + (high - low) * k as f64 / (count - 1) as f64)
        .collect()
}

/// The decision regions of `model`, its boundary (score 0) and the points of `data`,
/// with axes, a legend, and the accuracy after `steps` steps in the header: an SVG
/// picture drawn with plotters.
pub fn decision_boundary_svg(
    model: &MLP,
    data: &Dataset,
    steps: usize,
) -> Result<String, Box<dyn Error>> {
    let x_range = frame(data.points.iter().map(|p| p[0]));
    let y_range = frame(data.points.iter().map(|p| p[1]));
    let scale = f64::from(PLOT_WIDTH) / (x_range.1 - x_range.0); // pixels per unit
    let plot_height = ((y_range.1 - y_range.0) * scale).round() as u32;
    let width = PLOT_WIDTH + LEFT_LABELS + 2 * MARGIN;
    let height = HEADER + plot_height + BOTTOM_LABELS + 2 * MARGIN;

    let mut workspace = Workspace::new();
    let columns = ((x_range.1 - x_range.0) * GRID_PER_UNIT).round() as usize + 1;
    let rows = ((y_range.1 - y_range.0) * GRID_PER_UNIT).round() as usize + 1;
    let scores = Grid::sample(
        linspace(x_range, columns),
        linspace(y_range, rows),
        |x, y| model.forward(model.parameters(), &[x, y], &mut workspace)[0],
    );
    let labels = data.signed_labels();
    let predictions: Vec<f64> = data.points.iter().map(|x| model.predict(x)[0]).collect();
    let right = (accuracy(&predictions, &labels) * data.len() as f64).round();
    let layers: Vec<String> = LAYERS.iter().map(|n| n.to_string()).collect();
    let title = format!(
        "Two moons: the decision boundary of MLP(2, [{}])",
        layers.join(", ")
    );
    let subtitle = format!(
        "after {steps} SGD step{}: training accuracy {:.0}% ({right} of {} points \
         classified correctly)",
        if steps == 1 { "" } else { "s" },
        100.0 * right / data.len() as f64,
        data.len()
    );

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (header, body) = root.split_vertically(HEADER);
        let center = Pos::new(HPos::Center, VPos::Top);
        let middle = (width / 2) as i32;
        header.draw(&Text::new(
            title,
            (middle, 16),
            ("sans-serif", 27).into_font().color(&BLACK).pos(center),
        ))?;
        header.draw(&Text::new(
            subtitle,
            (middle, 50),
            ("sans-serif", 20).into_font().color(&BLACK).pos(center),
        ))?;

        let mut chart = ChartBuilder::on(&body)
            .margin(MARGIN)
            .x_label_area_size(BOTTOM_LABELS)
            .y_label_area_size(LEFT_LABELS)
            .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)?;

        // The regions: the upper moon's color everywhere, then the regions where the
        // score is positive, largest first, each hole in them painted back.
        chart.plotting_area().fill(&UPPER_REGION)?;
        let tolerance = TOLERANCE / scale;
        let mut regions: Vec<_> = zero_contours(&scores.closed(-1.0))
            .iter()
            .map(|outline| simplify(outline, tolerance))
            .collect();
        regions.sort_by(|a, b| signed_area(b).abs().total_cmp(&signed_area(a).abs()));
        chart.draw_series(regions.into_iter().map(|outline| {
            let color = if signed_area(&outline) > 0.0 {
                LOWER_REGION
            } else {
                UPPER_REGION
            };
            Polygon::new(outline, color.filled())
        }))?;

        plot_style::draw_axes(&mut chart, ("x\u{2081}", "x\u{2082}"), (1, 1))?;

        let boundary = BLACK.stroke_width(3);
        chart
            .draw_series(
                zero_contours(&scores)
                    .iter()
                    .map(|curve| PathElement::new(simplify(curve, tolerance), boundary)),
            )?
            .label("decision boundary: score 0")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 26, y)], boundary));
        for (class, point, region, label) in [
            (
                0,
                UPPER_POINT,
                UPPER_REGION,
                "upper moon, label \u{2212}1 (score < 0)",
            ),
            (
                1,
                LOWER_POINT,
                LOWER_REGION,
                "lower moon, label +1 (score > 0)",
            ),
        ] {
            let outline = BLACK.mix(0.8).stroke_width(1);
            let points = data.points.iter().zip(&data.labels);
            chart
                .draw_series(points.filter(|&(_, &l)| l == class).map(|(p, _)| {
                    EmptyElement::at((p[0], p[1]))
                        + Circle::new((0, 0), 5, point.filled())
                        + Circle::new((0, 0), 5, outline)
                }))?
                .label(label)
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(0, -9), (26, 9)], region.filled())
                        + Circle::new((13, 0), 5, point.filled())
                        + Circle::new((13, 0), 5, outline)
                });
        }
        plot_style::draw_legend(&mut chart)?;
        root.present()?;
    }
    Ok(svg)
}

// ---------------------------------------------------------------------------------------
// The program

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// SGD steps.
    pub steps: usize,
    /// The folder of the pictures.
    pub out: PathBuf,
}

pub const USAGE: &str = "usage: cargo run --release --example moons [-- OPTIONS]

  --steps N   SGD steps (default 100); the learning rate falls from 1.0 to 0.1 over them
  --out DIR   folder for decision_boundary.svg and neuron.svg (default out/moons)
  --help      this text";

/// The options that `args` (without the program's name) ask for, or `None` for `--help`.
pub fn parse_args(
    args: impl IntoIterator<Item = impl Into<OsString>>,
) -> Result<Option<Options>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut options = Options {
        steps: STEPS,
        out: Path::new("out").join("moons"),
    };
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("steps") => {
                let value = parser.value()?.string()?;
                options.steps = match value.parse() {
                    Ok(steps) if steps > 0 => steps,
                    _ => {
                        return Err(format!(
                            "--steps needs a whole number of at least 1, not `{value}`"
                        )
                        .into());
                    }
                };
            }
            Long("out") => options.out = parser.value()?.into(),
            Short('h') | Long("help") => return Ok(None),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Some(options))
}

/// Trains, prints what happens, and writes the pictures.
pub fn run(options: &Options) -> Result<Training, String> {
    let steps = options.steps;
    // The folder first, so that a bad --out fails before the training, not after.
    let out = &options.out;
    fs::create_dir_all(out)
        .map_err(|error| format!("cannot create the folder {}: {error}", out.display()))?;
    println!(
        "two moons: {POINTS} points; MLP(2, {LAYERS:?}) with {} parameters",
        MLP::new(2, &LAYERS).parameters().len()
    );
    let training = train(steps, |k, loss, accuracy| {
        if k % 10 == 0 || k == steps - 1 {
            println!(
                "step {k:3}  loss {loss:.6}  accuracy {:5.1}%",
                100.0 * accuracy
            );
        }
    });
    let mut times = training.step_times.clone();
    times.sort();
    let total: Duration = times.iter().sum();
    // The middle time, or the mean of the two middle ones.
    let median = (times[(steps - 1) / 2] + times[steps / 2]) / 2;
    println!(
        "time per step: median {:.3} ms, mean {:.3} ms (forward over {POINTS} points, loss, \
         backward sweep, SGD update)",
        median.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3 / steps as f64
    );

    let boundary = out.join("decision_boundary.svg");
    let picture = decision_boundary_svg(&training.model, &training.data, steps)
        .map_err(|error| format!("cannot draw the decision boundary: {error}"))?;
    let (neuron_svg, neuron_dot) = neuron_graph(&training.model, &training.data)
        .map_err(|error| format!("cannot draw the neuron's graph: {error}"))?;
    let graph = out.join("neuron.svg");
    for (path, text) in [
        (&boundary, picture),
        (&graph, neuron_svg),
        (&out.join("neuron.dot"), neuron_dot),
    ] {
        fs::write(path, text)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    println!("wrote {} and {}", boundary.display(), graph.display());

    println!(
        "accuracy of the trained model: {:.1}%",
        100.0 * training.accuracy
    );
    Ok(training)
}

/// lexopt's error prints as its message, so a failure ends with `Error: ...` and exit
/// code 1. micrograd's recipe, and a longer one, must separate the moons.
fn main() -> Result<(), lexopt::Error> {
    let Some(options) = parse_args(std::env::args_os().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    let training = run(&options)?;
    if options.steps >= STEPS && training.accuracy < 1.0 {
        let message = format!(
            "the demo should separate the moons, but classifies {:.0}% of the points correctly",
            100.0 * training.accuracy
        );
        return Err(message.into());
    }
    Ok(())
}
