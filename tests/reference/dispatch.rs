//! The functions of the reference tables, by name: shared by tests/reference.rs (first
//! derivatives, tests/reference/cases.rs) and tests/reference_second.rs (second
//! derivatives, tests/reference/second.rs), so that both run exactly the same code for
//! a name and a function added to the tables needs one match arm in each path, here.
//!
//! Each test declares it with `#[path = "reference/dispatch.rs"] mod dispatch;`.

use num_traits::Float;
use tapegrad::Var;

/// Methods of `Var` that `num_traits::Float` does not have: the trait path skips them
/// (only them; any other name without a match arm fails).
pub const NOT_IN_FLOAT: &[&str] = &["relu"];

/// The `n` of a name `powi(n)`.
fn powi_exponent(name: &str) -> Option<i32> {
    let n = name.strip_prefix("powi(")?.strip_suffix(')')?;
    Some(
        n.parse()
            .unwrap_or_else(|_| panic!("bad exponent in {name:?}")),
    )
}

/// The function `name` of the tables, through the inherent methods and operators of
/// `Var`; `None` if no arm matches the name and number of arguments.
pub fn inherent<'t>(name: &str, args: &[Var<'t>]) -> Option<Var<'t>> {
    if let Some(n) = powi_exponent(name) {
        return match *args {
            [x] => Some(x.powi(n)),
            _ => None,
        };
    }
    let y = match (name, args) {
        ("sin", &[x]) => x.sin(),
        ("cos", &[x]) => x.cos(),
        ("tan", &[x]) => x.tan(),
        ("asin", &[x]) => x.asin(),
        ("acos", &[x]) => x.acos(),
        ("atan", &[x]) => x.atan(),
        ("sinh", &[x]) => x.sinh(),
        ("cosh", &[x]) => x.cosh(),
        ("tanh", &[x]) => x.tanh(),
        ("asinh", &[x]) => x.asinh(),
        ("acosh", &[x]) => x.acosh(),
        ("atanh", &[x]) => x.atanh(),
        ("exp", &[x]) => x.exp(),
        ("exp2", &[x]) => x.exp2(),
        ("exp_m1", &[x]) => x.exp_m1(),
        ("ln", &[x]) => x.ln(),
        ("ln_1p", &[x]) => x.ln_1p(),
        ("log2", &[x]) => x.log2(),
        ("log10", &[x]) => x.log10(),
        ("sqrt", &[x]) => x.sqrt(),
        ("cbrt", &[x]) => x.cbrt(),
        ("recip", &[x]) => x.recip(),
        ("abs", &[x]) => x.abs(),
        ("relu", &[x]) => x.relu(),
        ("to_degrees", &[x]) => x.to_degrees(),
        ("to_radians", &[x]) => x.to_radians(),
        ("fract", &[x]) => x.fract(),
        ("neg", &[x]) => -x,
        ("sin_cos.0", &[x]) => x.sin_cos().0,
        ("sin_cos.1", &[x]) => x.sin_cos().1,

        ("add", &[a, b]) => a + b,
        ("sub", &[a, b]) => a - b,
        ("mul", &[a, b]) => a * b,
        ("div", &[a, b]) => a / b,
        ("rem", &[a, b]) => a % b,
        ("powf", &[x, y]) => x.powf(y),
        ("log", &[x, base]) => x.log(base),
        ("atan2", &[y, x]) => y.atan2(x),
        ("hypot", &[x, y]) => x.hypot(y),
        ("max", &[a, b]) => a.max(b),
        ("min", &[a, b]) => a.min(b),

        ("mul_add", &[x, a, b]) => x.mul_add(a, b),

        ("exp(sin(x)*y)/(1+x*x)", &[x, y]) => (x.sin() * y).exp() / (1.0 + x * x),
        ("sqrt(x*x+y*y)*atan2(y,x)", &[x, y]) => (x * x + y * y).sqrt() * y.atan2(x),
        ("tanh(x*y+ln(x))", &[x, y]) => (x * y + x.ln()).tanh(),
        ("ln_1p(x^y)*asinh(y-x)", &[x, y]) => x.powf(y).ln_1p() * (y - x).asinh(),
        ("sin(x*y*z)+hypot(x,z)/(1+exp(y))", &[x, y, z]) => {
            (x * y * z).sin() + x.hypot(z) / (1.0 + y.exp())
        }
        ("mul_add(x,y,z).cbrt()*log(x,y)", &[x, y, z]) => x.mul_add(y, z).cbrt() * x.log(y),
        _ => return None,
    };
    Some(y)
}

/// The function `name` of the tables, in generic code that knows only
/// `num_traits::Float` (and the operators it requires): every call goes through the
/// trait's forwarding to `Var`. `None` if no arm matches.
pub fn via_float<T: Float>(name: &str, args: &[T]) -> Option<T> {
    if let Some(n) = powi_exponent(name) {
        return match *args {
            [x] => Some(Float::powi(x, n)),
            _ => None,
        };
    }
    let one = T::one();
    let y = match (name, args) {
        ("sin", &[x]) => Float::sin(x),
        ("cos", &[x]) => Float::cos(x),
        ("tan", &[x]) => Float::tan(x),
        ("asin", &[x]) => Float::asin(x),
        ("acos", &[x]) => Float::acos(x),
        ("atan", &[x]) => Float::atan(x),
        ("sinh", &[x]) => Float::sinh(x),
        ("cosh", &[x]) => Float::cosh(x),
        ("tanh", &[x]) => Float::tanh(x),
        ("asinh", &[x]) => Float::asinh(x),
        ("acosh", &[x]) => Float::acosh(x),
        ("atanh", &[x]) => Float::atanh(x),
        ("exp", &[x]) => Float::exp(x),
        ("exp2", &[x]) => Float::exp2(x),
        ("exp_m1", &[x]) => Float::exp_m1(x),
        ("ln", &[x]) => Float::ln(x),
        ("ln_1p", &[x]) => Float::ln_1p(x),
        ("log2", &[x]) => Float::log2(x),
        ("log10", &[x]) => Float::log10(x),
        ("sqrt", &[x]) => Float::sqrt(x),
        ("cbrt", &[x]) => Float::cbrt(x),
        ("recip", &[x]) => Float::recip(x),
        ("abs", &[x]) => Float::abs(x),
        ("to_degrees", &[x]) => Float::to_degrees(x),
        ("to_radians", &[x]) => Float::to_radians(x),
        ("fract", &[x]) => Float::fract(x),
        ("neg", &[x]) => -x,
        ("sin_cos.0", &[x]) => Float::sin_cos(x).0,
        ("sin_cos.1", &[x]) => Float::sin_cos(x).1,

        ("add", &[a, b]) => a + b,
        ("sub", &[a, b]) => a - b,
        ("mul", &[a, b]) => a * b,
        ("div", &[a, b]) => a / b,
        ("rem", &[a, b]) => a % b,
        ("powf", &[x, y]) => Float::powf(x, y),
        ("log", &[x, base]) => Float::log(x, base),
        ("atan2", &[y, x]) => Float::atan2(y, x),
        ("hypot", &[x, y]) => Float::hypot(x, y),
        ("max", &[a, b]) => Float::max(a, b),
        ("min", &[a, b]) => Float::min(a, b),

        ("mul_add", &[x, a, b]) => Float::mul_add(x, a, b),

        ("exp(sin(x)*y)/(1+x*x)", &[x, y]) => (x.sin() * y).exp() / (one + x * x),
        ("sqrt(x*x+y*y)*atan2(y,x)", &[x, y]) => (x * x + y * y).sqrt() * y.atan2(x),
        ("tanh(x*y+ln(x))", &[x, y]) => (x * y + x.ln()).tanh(),
        ("ln_1p(x^y)*asinh(y-x)", &[x, y]) => x.powf(y).ln_1p() * (y - x).asinh(),
        ("sin(x*y*z)+hypot(x,z)/(1+exp(y))", &[x, y, z]) => {
            (x * y * z).sin() + x.hypot(z) / (one + y.exp())
        }
        ("mul_add(x,y,z).cbrt()*log(x,y)", &[x, y, z]) => x.mul_add(y, z).cbrt() * x.log(y),
        _ => return None,
    };
    Some(y)
}

/// [`via_float`] at `T = Var<'t>`, for every `'t`.
pub fn float_trait<'t>(name: &str, args: &[Var<'t>]) -> Option<Var<'t>> {
    via_float(name, args)
}
