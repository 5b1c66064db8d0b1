//! The demo `examples/moons.rs` (micrograd's), compiled in as a module so that the tests
//! call the functions it runs: its recipe reaches 100 % training accuracy from its fixed
//! seeds, the graph of one neuron has micrograd's shape, the marching squares trace the
//! right curves, the picture holds what a reader needs, and the command line is checked.

mod common;

#[allow(dead_code)]
#[path = "../examples/moons.rs"]
mod moons;

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{TempDir, check_tags, count, points_of};
use moons::{Grid, Training, signed_area, simplify, zero_contours};
use tapegrad::Tape;
use tapegrad_nn::{MLP, Workspace};

/// The demo's run, trained once for all the tests that need it.
fn trained() -> &'static Training {
    static TRAINED: OnceLock<Training> = OnceLock::new();
    TRAINED.get_or_init(|| moons::train(moons::STEPS, |_, _, _| {}))
}

#[test]
fn the_moons_demo_separates_the_training_set() {
    let mut reported = Vec::new();
    let training = moons::train(moons::STEPS, |k, loss, _| reported.push((k, loss)));
    assert_eq!(training.model.parameters().len(), 337);
    assert_eq!(training.accuracy, 1.0);
    let losses = &training.losses;
    assert_eq!(losses.len(), moons::STEPS);
    assert!(
        losses[99] < losses[0] / 20.0,
        "{} -> {}",
        losses[0],
        losses[99]
    );
    // The report sees every step, in order, with the loss of that step.
    let steps: Vec<usize> = reported.iter().map(|r| r.0).collect();
    assert_eq!(steps, (0..moons::STEPS).collect::<Vec<_>>());
    assert!(reported.iter().zip(losses).all(|(r, &l)| r.1 == l));
}

#[test]
fn the_graph_of_one_neuron_is_micrograds() {
    let model = MLP::new(2, &[16, 16, 1]);
    let neuron = model.layers()[0].neuron();
    let mut tape = Tape::new();
    tape.record_graph(true);
    let w = tape.vars(&model.parameters()[..3]);
    let x = tape.vars(&[0.5, -1.0]);
    let y = neuron.forward(&w, &x);
    let graph = tape.graph(y).unwrap();
    let mut ops: Vec<&str> = graph.nodes().iter().map(|n| n.op).collect();
    ops.sort_unstable();
    // 5 inputs (w1, w2, b, x1, x2), two products, two sums, one ReLU.
    assert_eq!(
        ops,
        [
            "*", "*", "+", "+", "input", "input", "input", "input", "input", "relu"
        ]
    );
    assert_eq!(graph.edges().len(), 9);
}

// ---------------------------------------------------------------------------------------
// Marching squares

/// `count` evenly spaced numbers from `low` to `high`, both included.
fn spaced(low: f64, high: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|k| low + (high - low) * k as f64 / (count - 1) as f64)
        .collect()
}

/// `f` on the grid of `count × count` points over `[-extent, extent]²`.
fn square_grid(extent: f64, count: usize, f: impl FnMut(f64, f64) -> f64) -> Grid {
    let axis = spaced(-extent, extent, count);
    Grid::sample(axis.clone(), axis, f)
}

#[test]
fn the_contour_of_a_disc_is_its_circle_counterclockwise() {
    let grid = square_grid(2.0, 81, |x, y| 1.0 - x * x - y * y);
    let curves = zero_contours(&grid);
    assert_eq!(curves.len(), 1);
    let circle = &curves[0];
    assert_eq!(
        circle.first(),
        circle.last(),
        "a loop repeats its first point"
    );
    // The crossings of four cells per grid step, all within a sliver of the circle.
    assert!(circle.len() > 100, "{}", circle.len());
    for &(x, y) in circle {
        assert!((x.hypot(y) - 1.0).abs() < 3e-3, "({x}, {y})");
    }
    // The inside on the left: counterclockwise, enclosing about π.
    let area = signed_area(circle);
    assert!((area - PI).abs() < 0.01, "{area}");
}

#[test]
fn a_hole_runs_clockwise_and_the_closed_grid_adds_the_frame() {
    let grid = square_grid(2.0, 81, |x, y| x * x + y * y - 1.0);
    let curves = zero_contours(&grid);
    assert_eq!(curves.len(), 1);
    assert!((signed_area(&curves[0]) + PI).abs() < 0.01);

    // With a ring of negative values on the border, the positive region, the square
    // less the disc, is outlined: the frame counterclockwise, the hole clockwise.
    let closed = grid.closed(-1.0);
    assert_eq!(closed.xs.len(), 83);
    assert_eq!((closed.xs[0], closed.xs[82]), (-2.0, 2.0));
    let mut areas: Vec<f64> = zero_contours(&closed)
        .iter()
        .map(|c| signed_area(c))
        .collect();
    areas.sort_by(f64::total_cmp);
    assert_eq!(areas.len(), 2, "{areas:?}");
    assert!((areas[0] + PI).abs() < 0.01, "{areas:?}");
    assert!((areas[1] - 16.0).abs() < 1e-9, "{areas:?}");
}

#[test]
fn a_straight_boundary_is_traced_exactly_and_simplifies_to_two_points() {
    // f > 0 above the line y = x / 2 - 0.1234 (which meets no grid point).
    let grid = square_grid(1.0, 41, |x, y| y - 0.5 * x + 0.1234);
    let curves = zero_contours(&grid);
    assert_eq!(curves.len(), 1);
    let line = &curves[0];
    // Linear interpolation is exact for a linear function.
    for &(x, y) in line {
        assert!((y - (0.5 * x - 0.1234)).abs() < 1e-12, "({x}, {y})");
    }
    // Open, from the left border to the right one: the inside, above, on its left.
    let (first, last) = (line[0], line[line.len() - 1]);
    assert_eq!((first.0, last.0), (-1.0, 1.0));
    assert_eq!(simplify(line, 1e-9), vec![first, last]);
}

#[test]
fn a_saddle_is_split_by_the_value_at_its_center() {
    // One cell: inside at the lower left and upper right corners, outside at the others.
    // The curves' first and last points, to 1e-9.
    let cell = |c: f64| {
        let grid = Grid::sample(vec![-1.0, 1.0], vec![-1.0, 1.0], |x, y| x * y + c);
        let round = |(x, y): (f64, f64)| ((x * 1e9).round() / 1e9, (y * 1e9).round() / 1e9);
        let mut ends: Vec<((f64, f64), (f64, f64))> = zero_contours(&grid)
            .iter()
            .map(|curve| (round(curve[0]), round(curve[curve.len() - 1])))
            .collect();
        ends.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
        ends
    };
    // Centre inside: the inside corners join, the curves cut off the outside corners,
    // each curve with the inside on its left.
    assert_eq!(
        cell(0.2),
        vec![((-0.2, 1.0), (-1.0, 0.2)), ((0.2, -1.0), (1.0, -0.2))]
    );
    // Centre outside: the curves cut off the inside corners, which lie on their left.
    assert_eq!(
        cell(-0.2),
        vec![((-0.2, -1.0), (-1.0, -0.2)), ((0.2, 1.0), (1.0, 0.2))]
    );
}

#[test]
fn simplify_keeps_the_corners_and_drops_the_jitter() {
    // An L of 201 points with a wobble of 1e-4, and its corner at (1, 0).
    let mut curve: Vec<(f64, f64)> = (0..=100)
        .map(|k| (k as f64 / 100.0, 1e-4 * (k as f64).sin()))
        .collect();
    curve.extend((1..=100).map(|k| (1.0 + 1e-4 * (k as f64).cos(), k as f64 / 100.0)));
    let simple = simplify(&curve, 1e-3);
    assert_eq!(simple.len(), 3, "{simple:?}");
    assert_eq!(simple[0], curve[0]);
    assert_eq!(simple[1], curve[100]);
    assert_eq!(simple[2], curve[200]);
    // A tolerance below the wobble keeps more.
    assert!(simplify(&curve, 1e-5).len() > 10);
    // A closed square keeps its four corners and its closing point.
    let square = [
        (0.0, 0.0),
        (0.5, 0.0),
        (1.0, 0.0),
        (1.0, 1.0),
        (0.0, 1.0),
        (0.0, 0.0),
    ];
    assert_eq!(
        simplify(&square, 1e-6),
        [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    );
}

#[test]
fn the_traced_boundary_of_the_trained_model_has_score_zero() {
    let model = &trained().model;
    let mut workspace = Workspace::new();
    let mut score = |x: f64, y: f64| model.forward(model.parameters(), &[x, y], &mut workspace)[0];
    let grid = Grid::sample(spaced(-2.0, 3.0, 226), spaced(-1.5, 2.0, 159), &mut score);
    let spread = grid.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let curves = zero_contours(&grid);
    let points: usize = curves.iter().map(Vec::len).sum();
    assert!(points > 200, "{points}");
    for &(x, y) in curves.iter().flatten() {
        // The score is linear but in the few cells where a ReLU kinks.
        assert!(
            score(x, y).abs() < 1e-3 * spread,
            "score {} at ({x}, {y})",
            score(x, y)
        );
    }
    // Between the two moons: every point of the upper one (class 0) has a negative
    // score, every point of the lower one a positive score.
    let data = &trained().data;
    for (p, &label) in data.points.iter().zip(&data.labels) {
        assert_eq!(score(p[0], p[1]) > 0.0, label == 1, "{p:?}");
    }
}

// ---------------------------------------------------------------------------------------
// The picture

#[test]
fn the_decision_boundary_picture_is_small_and_says_what_it_shows() {
    let training = trained();
    let svg = moons::decision_boundary_svg(&training.model, &training.data, moons::STEPS).unwrap();
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
    let tags = check_tags(&svg);

    for text in [
        "Two moons: the decision boundary of MLP(2, [16, 16, 1])",
        "after 100 SGD steps: training accuracy 100% (100 of 100 points classified correctly)",
        "decision boundary: score 0",
        "upper moon, label \u{2212}1 (score &lt; 0)",
        "lower moon, label +1 (score &gt; 0)",
        "\nx\u{2081}\n</text>",
        "\nx\u{2082}\n</text>",
        "\n\u{2212}1.0\n</text>",
        "\n2.0\n</text>",
    ] {
        assert!(svg.contains(text), "no {text:?} in the picture");
    }
    // Every point, with its rim, and the two legend markers.
    assert_eq!(count(&tags, "circle"), 2 * 100 + 2 * 2);
    // The regions are a handful of polygons, not a mosaic of tiles.
    assert!(count(&tags, "rect") < 10, "{} rects", count(&tags, "rect"));
    let regions = points_of(&svg, "polygon");
    assert!((1..=10).contains(&regions.len()), "{}", regions.len());
    // The boundary is a line of width 3: one or a few polylines of many points, one
    // more of two points in the legend.
    let boundary: Vec<Vec<(f64, f64)>> = svg
        .split("<polyline ")
        .skip(1)
        .filter(|element| element.contains("stroke-width=\"3\""))
        .map(|element| points_of(&format!("<polyline {element}"), "polyline").remove(0))
        .filter(|points| points.len() > 2)
        .collect();
    assert!((1..=3).contains(&boundary.len()), "{}", boundary.len());
    let points: usize = boundary.iter().map(Vec::len).sum();
    assert!((10..2000).contains(&points), "{points} points");
    // Smooth: the line turns, all its length, by a few radians, as the moons do, where
    // the stairs of a grid of tiles turn by a right angle at every step, one way then
    // the other.
    for line in &boundary {
        let turning: f64 = line
            .windows(3)
            .map(|w| {
                let a = (w[1].0 - w[0].0, w[1].1 - w[0].1);
                let b = (w[2].0 - w[1].0, w[2].1 - w[1].1);
                (a.0 * b.1 - a.1 * b.0).atan2(a.0 * b.0 + a.1 * b.1).abs()
            })
            .sum();
        assert!(turning < 4.0 * PI, "the line turns by {turning} rad in all");
    }
}

#[test]
fn the_run_writes_its_pictures_where_it_is_told() {
    let dir = TempDir::new("moons-run");
    let out = dir.path().join("pictures");
    let options = moons::Options {
        steps: 5,
        out: out.clone(),
    };
    // Five steps do not separate the moons, and need not: only the full run must.
    moons::run(&options).unwrap();
    let boundary = std::fs::read_to_string(out.join("decision_boundary.svg")).unwrap();
    assert!(boundary.contains("after 5 SGD steps"));
    let graph = std::fs::read_to_string(out.join("neuron.svg")).unwrap();
    check_tags(&graph);
    assert!(graph.contains("relu"));
    let dot = std::fs::read_to_string(out.join("neuron.dot")).unwrap();
    assert!(dot.starts_with("digraph"), "{dot}");

    // A file where the folder should be: a message, not a panic.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let error = moons::run(&moons::Options {
        steps: 1,
        out: blocker,
    })
    .unwrap_err();
    assert!(error.contains("cannot create the folder"), "{error}");
}

#[test]
fn the_command_line() {
    let parse = |args: &[&str]| moons::parse_args(args.iter().copied());
    let defaults = moons::Options {
        steps: 100,
        out: Path::new("out").join("moons"),
    };
    assert_eq!(parse(&[]).unwrap(), Some(defaults));
    assert_eq!(
        parse(&["--steps", "20", "--out", "pictures"]).unwrap(),
        Some(moons::Options {
            steps: 20,
            out: PathBuf::from("pictures"),
        })
    );
    assert_eq!(parse(&["--steps=7"]).unwrap().unwrap().steps, 7);
    assert_eq!(parse(&["--help"]).unwrap(), None);
    assert_eq!(parse(&["-h", "--bogus"]).unwrap(), None);
    for (bad, says) in [
        (&["--steps"][..], "--steps"),
        (
            &["--steps", "0"],
            "--steps needs a whole number of at least 1, not `0`",
        ),
        (&["--steps", "many"], "not `many`"),
        (&["--out"], "--out"),
        (&["--bogus"], "--bogus"),
        (&["pictures"], "pictures"),
    ] {
        let error = parse(bad).unwrap_err().to_string();
        assert!(error.contains(says), "{bad:?}: {error}");
    }
}
