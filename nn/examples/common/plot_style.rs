//! The look that the demos' plots share, drawn with plotters: axis names and tick labels
//! in readable sizes, faint grid lines at the ticks, and the legend in a white box.
//!
//! The examples that plot include this file as a module (`#[path]`); it is no example of
//! its own.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// A chart on an SVG picture with `f64` coordinates on both axes.
pub type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What drawing on an SVG picture can fail with.
pub type DrawingError = DrawingAreaErrorKind<std::io::Error>;

/// Tick labels with `decimals` decimals and a true minus sign, `−1.5` rather than `-1.5`.
pub fn tick_labels(decimals: usize) -> impl Fn(&f64) -> String {
    move |value| {
        let text = format!("{value:.decimals$}");
        // -0.0 prints as "-0.0"; a tick at zero reads "0.0".
        if text
            .trim_start_matches('-')
            .bytes()
            .all(|b| b == b'0' || b == b'.')
        {
            text.trim_start_matches('-').to_string()
        } else {
            text.replace('-', "\u{2212}")
        }
    }
}

/// The axes of `chart`, named `x_name` and `y_name` (in italics, as variables), their
/// ticks labelled with `x_decimals` and `y_decimals` decimals, and faint grid lines at
/// the ticks.
pub fn draw_axes(
    chart: &mut Chart<'_, '_>,
    (x_name, y_name): (&str, &str),
    (x_decimals, y_decimals): (usize, usize),
) -> Result<(), DrawingError> {
    chart
        .configure_mesh()
        .x_desc(x_name)
        .y_desc(y_name)
        .axis_desc_style(("sans-serif", 22).into_font().style(FontStyle::Italic))
        .label_style(("sans-serif", 17))
        .x_label_formatter(&tick_labels(x_decimals))
        .y_label_formatter(&tick_labels(y_decimals))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.mix(0.7))
        .draw()
}

/// The legend of `chart`'s labelled series, in a white box in the upper left corner.
pub fn draw_legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>) -> Result<(), DrawingError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .margin(12)
        .legend_area_size(34)
        .label_font(("sans-serif", 19))
        .background_style(WHITE.mix(0.92))
        .border_style(BLACK.mix(0.5))
        .draw()
}
