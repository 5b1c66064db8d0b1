#!/usr/bin/env python3
"""Reference values for tests/reference.rs and tests/reference_second.rs, computed
with a computer-algebra system.

For every differentiable method of `tapegrad::Var` this script writes the function as
a SymPy expression, differentiates it symbolically with `sympy.diff`, and evaluates the
value and every partial derivative at each test point to 40 significant digits
(`evalf(40, strict=True)`, cross-checked against a 60-digit evaluation). Each number
is then rounded to the nearest f64 and printed with `repr`, the shortest literal that
reads back as that same f64, into the Rust source `tests/reference/cases.rs`.

The test points are themselves f64 values; SymPy receives them as the exact rationals
they stand for (`float.as_integer_ratio`), so the reference is the true function at
the very input the Rust test feeds to tapegrad, with no decimal conversion in between.

Regenerate the data (from the repository root) with

    python3 tests/reference/generate.py > tests/reference/cases.rs
    python3 tests/reference/generate.py --second > tests/reference/second.rs

Requires SymPy (and mpmath, which SymPy depends on). The output is deterministic.

Second derivatives, for tests/reference_second.rs: with `--second` the script prints
instead `tests/reference/second.rs`, which holds for the same functions at the same
points the full Hessian, every second partial `sympy.diff(sympy.diff(f, a_i), a_j)`
(both orders are differentiated and must round to the same f64), and the
Hessian-vector products `H v` for the fixed directions `v` of `DIRECTIONS`, summed
exactly in SymPy before the one rounding. Each number goes through the same evaluation
as the first derivatives. A point where some second derivative or product is no normal
f64 (it overflows, underflows, is subnormal, or is not finite, e.g. `sqrt''` at
`1e-300`, about `-2.5e449`) is left out of the tables of second.rs and listed, with the
reason, in its `LEFT_OUT`; every other failure still stops the script. The value and the
gradient are repeated in each row, so that the test can check what the second-order
drivers return alongside the Hessian.

Conventions of the tables (see the header this script prints):
    (name, arguments, value, partials)
`arguments[0]` is the receiver and the rest are the method's arguments, in call order:
`("atan2", [y, x], ...)` stands for `y.atan2(x)`, `("mul_add", [x, a, b], ...)` for
`x.mul_add(a, b)`, `("rem", [a, b], ...)` for `a % b`. `partials[i]` is the derivative
of the value with respect to `arguments[i]`.
"""

import math
import sys

import mpmath
import sympy as sp

DIGITS = 40  # significant digits of the reference evaluation
CHECK_DIGITS = 60  # a second, more precise evaluation that the first must agree with

x, y, z = sp.symbols("x y z", real=True)


class trunc(sp.Function):  # noqa: N801 (named as the Rust method)
    """Rounding toward zero, as `f64::trunc`.

    It is piecewise constant, so its derivative is 0 everywhere except at the integers,
    where it jumps; the test points keep its argument away from the integers. SymPy's
    own `floor` has no derivative rule (it stays an unevaluated `Derivative`), hence
    this small class.
    """

    @classmethod
    def eval(cls, arg):
        if arg.is_Rational:
            whole = sp.floor(abs(arg))
            return whole if arg >= 0 else -whole
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


def exact(value):
    """The f64 `value` as the exact rational number it represents."""
    assert isinstance(value, float) and math.isfinite(value), value
    numerator, denominator = value.as_integer_ratio()
    return sp.Rational(numerator, denominator)


class NotRepresentable(ValueError):
    """A number that exists but is no normal f64: it overflows, underflows to 0 or to a
    subnormal, or is not finite. The first-order tables stop on it as on any error;
    second.rs leaves out the point instead (see `second_cases`)."""

    def __init__(self, expr, value, problem):
        super().__init__(f"{expr} = {value} {problem}")
        self.value = value
        self.problem = problem


NOT_FINITE = (sp.oo, -sp.oo, sp.zoo, sp.nan)


def to_f64(expr):
    """`expr` (with every symbol replaced) evaluated and rounded to the nearest f64."""
    value = sp.N(expr, DIGITS, strict=True)
    check = sp.N(expr, CHECK_DIGITS, strict=True)
    if value.has(*NOT_FINITE) or check.has(*NOT_FINITE):
        raise NotRepresentable(expr, value, "is not finite")
    if not (value.is_real and check.is_real):
        raise ValueError(f"{expr} is not real: {value}")
    # The 40-digit result must match the 60-digit one to (nearly) 40 digits.
    if check != 0 and abs(value - check) > abs(check) * sp.Float(10) ** (5 - DIGITS):
        raise ValueError(f"{expr}: {DIGITS}-digit {value} vs {CHECK_DIGITS}-digit {check}")
    if check == 0 and value != 0:
        raise ValueError(f"{expr}: {value} should be 0")
    # Python parses a decimal string correctly rounded to the nearest f64 (whereas
    # `float()` of a SymPy Float rounds toward zero).
    result = float(str(value))
    if not math.isfinite(result):
        raise NotRepresentable(expr, value, "overflows f64")
    if result == 0.0 and value != 0:
        raise NotRepresentable(expr, value, "underflows to 0 as an f64")
    if result != 0.0 and abs(result) < sys.float_info.min:
        raise NotRepresentable(expr, value, "is subnormal as an f64")
    return result


def rust_f64(value):
    """A Rust literal for the f64 `value`: the shortest decimal that reads back as it."""
    text = repr(value)
    assert float(text) == value and math.isfinite(value), text
    return text


def cube_root(u):
    """The real cube root, negative for negative `u`, as `f64::cbrt`."""
    return sp.sign(u) * sp.Abs(u) ** sp.Rational(1, 3)


# Each entry: (name, SymPy expression, the f64 function of Python's standard library
# that the Rust method wraps, or None, and the points). The Python function serves only
# as a sanity check that the SymPy definition means what the Rust method computes.
PI = math.pi

UNARY = [
    ("sin", sp.sin(x), math.sin,
     [0.5, -1.25, 3.0, PI, 10.0, -100.5, 1e5, 1e-8]),
    ("cos", sp.cos(x), math.cos,
     [0.5, -1.25, 3.0, PI / 2, 10.0, -100.5, 1e5, 1e-8]),
    ("tan", sp.tan(x), math.tan,
     [0.5, -1.25, 1.5, 1.57, -3.0, 100.0, 1e-8]),
    ("asin", sp.asin(x), math.asin,
     [0.5, -0.25, 0.9, -0.99, 0.999999, 1e-8]),
    ("acos", sp.acos(x), math.acos,
     [0.5, -0.25, 0.9, -0.99, 0.999999, -0.999999, 1e-8]),
    ("atan", sp.atan(x), math.atan,
     [0.5, -2.0, 1e-8, 1e3, -1e8, 1e100]),
    ("sinh", sp.sinh(x), math.sinh,
     [0.5, -2.0, 1e-8, 10.0, -30.0, 700.0]),
    ("cosh", sp.cosh(x), math.cosh,
     [0.5, -2.0, 1e-8, 10.0, -30.0, 700.0]),
    ("tanh", sp.tanh(x), math.tanh,
     [0.5, -1.5, 3.0, 1e-8, 10.0, -20.0]),
    ("asinh", sp.asinh(x), math.asinh,
     [0.5, -2.0, 1e-8, 1e3, -1e10, 1e200]),
    ("acosh", sp.acosh(x), math.acosh,
     [1.5, 2.0, 10.0, 1e10, 1.0000001, 1e300]),
    ("atanh", sp.atanh(x), math.atanh,
     [0.5, -0.25, 1e-8, 0.9, -0.99, 0.999999]),
    ("exp", sp.exp(x), math.exp,
     [0.5, -2.0, 1e-8, 10.0, -700.0, 700.0]),
    ("exp2", 2**x, math.exp2,
     [0.5, -2.0, 0.1, 10.0, -1000.0, 1000.0]),
    ("exp_m1", sp.exp(x) - 1, math.expm1,
     [1e-10, -1e-10, 0.5, -2.0, 30.0, -40.0]),
    ("ln", sp.log(x), math.log,
     [0.5, 2.0, 7.5, 1.0000001, 1e-300, 1e300]),
    ("ln_1p", sp.log(1 + x), math.log1p,
     [1e-10, -1e-10, 0.5, 3.0, -0.999999, 1e10]),
    ("log2", sp.log(x, 2), math.log2,
     [0.5, 3.0, 1024.0, 1.0000001, 1e-300, 1e300]),
    ("log10", sp.log(x, 10), math.log10,
     [0.5, 3.0, 1000.0, 1.0000001, 1e-300, 1e300]),
    ("sqrt", sp.sqrt(x), math.sqrt,
     [0.25, 2.0, 7.0, 1e-10, 1e-300, 1e300]),
    ("cbrt", cube_root(x), math.cbrt,
     [0.125, -8.0, 2.0, -1e-9, 1e300, -3e-300, 1e-310]),
    ("recip", 1 / x, lambda u: 1 / u,
     [0.5, -3.0, 7.0, 1e-100, -1e100]),
    ("abs", sp.Abs(x), abs,
     [0.5, -0.5, 1e-300, -1e300]),
    ("relu", sp.Max(x, 0), lambda u: max(u, 0.0),
     [0.5, -0.5, 3.0, 1e-300, -1e300]),
    ("to_degrees", x * 180 / sp.pi, math.degrees,
     [0.5, -3.0, PI, 1e300]),
    ("to_radians", x * sp.pi / 180, math.radians,
     [90.0, -45.0, 0.5, 1e300]),
    ("fract", x - trunc(x), lambda u: math.fmod(u, 1.0),
     [2.75, -2.75, 0.3, 1e10 + 0.5, -7.125]),
    ("neg", -x, lambda u: -u,
     [0.5, -3.0, 1e300]),
    ("sin_cos.0", sp.sin(x), math.sin,
     [0.5, -1.25, 3.0, 1e5]),
    ("sin_cos.1", sp.cos(x), math.cos,
     [0.5, -1.25, 3.0, 1e5]),
]

POWI_POINTS = [0.5, -1.5, 2.0, 3.7, -0.3, 1e10]
for n in [-3, -1, 0, 1, 2, 3, 7]:
    UNARY.append((f"powi({n})", x**n, lambda u, n=n: u**n, POWI_POINTS))

BINARY = [
    ("add", x + y, lambda a, b: a + b,
     [(0.5, 0.25), (-3.0, 1e10), (1e-300, -2.0)]),
    ("sub", x - y, lambda a, b: a - b,
     [(0.5, 0.25), (-3.0, 1e10), (1e-300, -2.0)]),
    ("mul", x * y, lambda a, b: a * b,
     [(0.5, 0.25), (-3.0, 1e10), (1e-150, -2e-100), (1e150, 7.0)]),
    ("div", x / y, lambda a, b: a / b,
     [(1.0, 3.0), (-2.5, 0.1), (1e100, 1e-100), (7.0, -1e100)]),
    # Away from the jumps of trunc(a / b): a / b is never close to an integer.
    ("rem", x - y * trunc(x / y), math.fmod,
     [(7.5, 2.0), (-7.5, 2.0), (7.5, -2.0), (-7.5, -2.0), (5.3, 0.7), (1.0, 3.0),
      (1000.25, 3.5), (1e10, 0.3)]),
    ("powf", x**y, math.pow,
     [(2.0, 3.0), (0.5, -1.5), (3.0, 0.5), (10.0, 2.5), (1.5, 100.0), (1e-10, 0.5),
      (7.0, -0.3), (1e100, 2.5)]),
    ("log", sp.log(x) / sp.log(y), math.log,
     [(8.0, 2.0), (100.0, 10.0), (0.5, 3.0), (2.0, 0.5), (1e300, 1.5), (5.0, 1.001),
      (1.0000001, 7.0)]),
    # y.atan2(x): the receiver is y, the angle of the point (x, y).
    ("atan2", sp.atan2(x, y), math.atan2,
     [(1.0, 2.0), (1.0, -2.0), (-1.0, -2.0), (-1.0, 2.0), (3.0, 0.0), (1e-5, -1.0),
      (-1e-5, -1.0), (4e-200, 3e-200), (4e200, -3e200)]),
    ("hypot", sp.sqrt(x**2 + y**2), math.hypot,
     [(3.0, 4.0), (-3.0, 4.0), (0.5, -7.0), (1e200, 1e200), (1e-200, -1e-200),
      (1e-20, 1.0)]),
    # Away from ties.
    ("max", sp.Max(x, y), max,
     [(1.0, 2.0), (2.0, 1.0), (-1.0, -1.0000001), (1e300, -1e300)]),
    ("min", sp.Min(x, y), min,
     [(1.0, 2.0), (2.0, 1.0), (-1.0, -1.0000001), (1e300, -1e300)]),
]

TERNARY = [
    ("mul_add", x * y + z, None,
     [(2.0, 3.0, 4.0), (-1.5, 0.25, 1e10), (1e100, 1e-100, -1.0),
      # The exact 0.1 * 0.2 minus its own rounding: only a fused multiply-add
      # (one rounding) gets this small remainder right; a separate product gives 0.
      (0.1, 0.2, -0.020000000000000004)]),
]

# Smooth expressions of several variables; tests/reference/dispatch.rs writes each again in Rust,
# in a match arm whose pattern is the name given here.
COMPOSITE = [
    ("exp(sin(x)*y)/(1+x*x)", sp.exp(sp.sin(x) * y) / (1 + x * x), None,
     [(0.5, 1.5), (-2.0, 0.3), (3.0, -2.0)]),
    ("sqrt(x*x+y*y)*atan2(y,x)", sp.sqrt(x * x + y * y) * sp.atan2(y, x), None,
     [(1.0, 2.0), (-3.0, 0.5), (0.25, -4.0)]),
    ("tanh(x*y+ln(x))", sp.tanh(x * y + sp.log(x)), None,
     [(0.5, 0.8), (2.0, -0.25), (1.5, 0.1)]),
    ("ln_1p(x^y)*asinh(y-x)", sp.log(1 + x**y) * sp.asinh(y - x), None,
     [(0.5, 2.5), (3.0, 0.75), (1.25, -1.5)]),
    ("sin(x*y*z)+hypot(x,z)/(1+exp(y))",
     sp.sin(x * y * z) + sp.sqrt(x**2 + z**2) / (1 + sp.exp(y)), None,
     [(0.5, -1.0, 2.0), (-1.5, 0.25, 0.75), (2.0, 1.5, -0.5)]),
    ("mul_add(x,y,z).cbrt()*log(x,y)", cube_root(x * y + z) * sp.log(x) / sp.log(y), None,
     [(2.0, 3.0, 1.0), (0.5, 1.5, -4.0), (7.0, 0.25, 0.5)]),
]

VARIABLES = (x, y, z)


def arguments(name, expr, point):
    """The f64 arguments of one test point, the symbols they stand for, and the
    substitution of their exact values for those symbols."""
    args = tuple(map(float, point)) if isinstance(point, tuple) else (float(point),)
    variables = VARIABLES[: len(args)]
    assert expr.free_symbols <= set(variables), (name, expr.free_symbols)
    substitution = {v: exact(a) for v, a in zip(variables, args)}
    return args, variables, substitution


def check_value(name, args, value, f64_function):
    """Stops if SymPy's `value` is not what the Python function computes."""
    if f64_function is not None:
        libm = f64_function(*args)
        if not math.isclose(value, libm, rel_tol=1e-12, abs_tol=0.0):
            raise ValueError(f"{name}{args}: SymPy {value} but Python {libm}")


def cases(table):
    """The rows of one table: (name, args, value, partials), all f64."""
    rows = []
    for name, expr, f64_function, points in table:
        for point in points:
            args, variables, substitution = arguments(name, expr, point)
            value = to_f64(expr.subs(substitution))
            grads = [to_f64(sp.diff(expr, v).subs(substitution)) for v in variables]
            check_value(name, args, value, f64_function)
            rows.append((name, args, value, grads))
    return rows


# The directions v of the Hessian-vector products in second.rs, by number of arguments:
# exact in binary, of mixed signs and sizes, and with a zero component (an input whose
# tangent is 0) where there are several arguments.
DIRECTIONS = {
    1: [(-0.75,), (3.0,)],
    2: [(1.0, -0.5), (0.0, 2.5)],
    3: [(1.0, -0.5, 2.0), (0.0, 0.25, -3.0)],
}


def second_cases(table):
    """The rows of one table for second.rs and the points left out of it.

    A row is (name, args, value, gradient, hessian, products), all f64: `hessian` holds
    the n x n second partials row by row, `products` the n entries of H v for each
    direction v of `DIRECTIONS[n]`, one direction after the other. A point left out is
    (name, args, problems), with one message per number that is no normal f64.
    """
    rows, dropped = [], []
    for name, expr, f64_function, points in table:
        for point in points:
            args, variables, substitution = arguments(name, expr, point)
            n = len(variables)
            firsts = [sp.diff(expr, v) for v in variables]
            # Every second partial on its own, in both orders: ∂/∂a_j (∂f/∂a_i).
            seconds = [[sp.diff(first, v).subs(substitution) for v in variables]
                       for first in firsts]
            value = to_f64(expr.subs(substitution))
            gradient = [to_f64(first.subs(substitution)) for first in firsts]
            check_value(name, args, value, f64_function)
            # Messages about numbers that are no normal f64, of the Hessian and of the
            # products; the products overflow or underflow with the Hessian as a rule,
            # so they are named only when the Hessian is fine.
            hessian_problems, product_problems = [], []

            def rounded(what, number, problems):
                try:
                    return to_f64(number)
                except NotRepresentable as error:
                    short = mpmath.nstr(mpmath.mpf(str(error.value)), 3)
                    problems.append(f"{what} = {short} {error.problem}")
                    return None

            hessian = [[None] * n for _ in range(n)]
            for i in range(n):
                for j in range(n):
                    # Below the diagonal, a problem is that of the equal entry above.
                    problems = hessian_problems if i <= j else []
                    hessian[i][j] = rounded(f"H[{i}][{j}]", seconds[i][j], problems)
                for j in range(i):
                    if hessian[i][j] != hessian[j][i]:
                        raise ValueError(f"{name}{args}: H[{i}][{j}] = {hessian[i][j]}"
                                         f" but H[{j}][{i}] = {hessian[j][i]}")
            products = []
            for direction in DIRECTIONS[n]:
                v = [exact(component) for component in direction]
                for i in range(n):
                    exact_product = sp.Add(*[seconds[i][j] * v[j] for j in range(n)])
                    what = f"(H v)[{i}] for v = {direction}"
                    products.append(rounded(what, exact_product, product_problems))
            if hessian_problems or product_problems:
                dropped.append((name, args, hessian_problems or product_problems))
            else:
                flat = [entry for row in hessian for entry in row]
                rows.append((name, args, value, gradient, flat, products))
    return rows, dropped


def fmt_row(name, args, value, grads):
    args_text = ", ".join(rust_f64(a) for a in args)
    grads_text = ", ".join(rust_f64(g) for g in grads)
    return f'    ("{name}", &[{args_text}], {rust_f64(value)}, &[{grads_text}]),'


def fmt_list(values):
    return "&[" + ", ".join(rust_f64(v) for v in values) + "]"


def fmt_second_row(name, args, value, gradient, hessian, products):
    numbers = ", ".join(fmt_list(values) for values in (gradient, hessian, products))
    return f'    ("{name}", {fmt_list(args)}, {rust_f64(value)}, {numbers}),'


HEADER = """\
// @generated by tests/reference/generate.py: DO NOT EDIT BY HAND.
//
// Regenerate from the repository root with
//
//     python3 tests/reference/generate.py > tests/reference/cases.rs
//
// Reference values computed with SymPy {sympy} (mpmath {mpmath}): each function is
// differentiated symbolically, evaluated to {digits} significant digits at the exact
// value of each f64 argument, and rounded to the nearest f64.
//
// Row layout: (name, arguments, value, partials).
// `arguments[0]` is the receiver, the rest the method's arguments in call order
// (`("atan2", &[y, x], ..)` is `y.atan2(x)`; `("rem", &[a, b], ..)` is `a % b`);
// `partials[i]` is the derivative of the value with respect to `arguments[i]`.
"""

SECOND_HEADER = """\
// @generated by tests/reference/generate.py --second: DO NOT EDIT BY HAND.
//
// Regenerate from the repository root with
//
//     python3 tests/reference/generate.py --second > tests/reference/second.rs
//
// (and the first derivatives, tests/reference/cases.rs, without `--second`).
//
// Reference second derivatives computed with SymPy {sympy} (mpmath {mpmath}): the
// functions and points of cases.rs, each function differentiated symbolically twice
// (every second partial on its own, in both orders, which must agree), evaluated to
// {digits} significant digits at the exact value of each f64 argument, and rounded to
// the nearest f64.
//
// Row layout: (name, arguments, value, gradient, hessian, products), for n arguments.
// `arguments`, `value` and `gradient` are as the arguments, value and partials of
// cases.rs (`arguments[0]` is the receiver); `hessian[i * n + j]` is the second
// derivative with respect to `arguments[i]` and `arguments[j]`; `products[k * n + i]`
// is `(H v)[i]` for the direction `v = DIRECTIONS[n - 1][k]`, summed exactly and then
// rounded once.
"""


def table(name, doc, rows, row_type="(&str, &[f64], f64, &[f64])", fmt=fmt_row):
    lines = [
        "",
        f"/// {doc}",
        f"pub const {name}: &[{row_type}] = &[",
    ]
    lines += [fmt(*row) for row in rows]
    lines.append("];")
    return lines


# The tables of second.rs, in order, with their doc comments.
SECOND_TABLES = [
    ("UNARY", UNARY, "Methods of one Var (`sin_cos.0` and `.1` are the two outputs of "
     "`sin_cos`)."),
    ("BINARY", BINARY, "Methods and operators of two Vars."),
    ("TERNARY", TERNARY, "Methods of three Vars."),
    ("COMPOSITE", COMPOSITE, "Expressions built of several operations; the name is "
     "matched in tests/reference/dispatch.rs."),
]


def first_order():
    """The text of tests/reference/cases.rs."""
    unary = cases(UNARY)
    binary = cases(BINARY)
    ternary = cases(TERNARY)
    composite = cases(COMPOSITE)
    total = len(unary) + len(binary) + len(ternary) + len(composite)
    lines = HEADER.format(
        sympy=sp.__version__, mpmath=mpmath.__version__, digits=DIGITS
    ).splitlines()
    lines.append(f"// {total} cases.")
    lines += table("UNARY", "Methods of one Var (`sin_cos.0` and `.1` are the two "
                   "outputs of `sin_cos`).", unary)
    lines += table("BINARY", "Methods and operators of two Vars.", binary)
    lines += table("TERNARY", "Methods of three Vars.", ternary)
    lines += table("COMPOSITE", "Expressions built of several operations; the name "
                   "is matched in tests/reference/dispatch.rs.", composite)
    return lines


def second_order():
    """The text of tests/reference/second.rs."""
    tables, dropped = [], []
    for name, source, doc in SECOND_TABLES:
        rows, left_out = second_cases(source)
        tables.append((name, doc, rows))
        dropped += left_out
    total = sum(len(rows) for _, _, rows in tables)
    lines = SECOND_HEADER.format(
        sympy=sp.__version__, mpmath=mpmath.__version__, digits=DIGITS
    ).splitlines()
    lines.append(f"// {total} cases; {len(dropped)} points of cases.rs left out "
                 "(see `LEFT_OUT`).")
    lines += [
        "",
        "/// The points of cases.rs that the tables below leave out, as (name,",
        "/// arguments, reason): some second derivative (or Hessian-vector product)",
        "/// there is no normal f64, so that no f64 result could be compared with it.",
        "pub const LEFT_OUT: &[(&str, &[f64], &str)] = &[",
    ]
    for name, args, problems in dropped:
        lines.append(f'    ("{name}", {fmt_list(args)}, "{"; ".join(problems)}"),')
    lines.append("];")
    lines += [
        "",
        "/// The directions `v` of the Hessian-vector products: `DIRECTIONS[n - 1]` for "
        "n arguments.",
        "pub const DIRECTIONS: [&[&[f64]]; 3] = [",
    ]
    for n in (1, 2, 3):
        lines.append(f"    &[{', '.join(fmt_list(v) for v in DIRECTIONS[n])}],")
    lines.append("];")
    lines += [
        "",
        "/// A row of the tables below: (name, arguments, value, gradient, hessian,",
        "/// products), as the header describes.",
        "pub type Row = (",
        "    &'static str,",
        "    &'static [f64],",
        "    f64,",
        "    &'static [f64],",
        "    &'static [f64],",
        "    &'static [f64],",
        ");",
    ]
    for name, doc, rows in tables:
        lines += table(name, doc, rows, "Row", fmt_second_row)
    return lines


def main():
    if sys.argv[1:] == ["--second"]:
        lines = second_order()
    elif sys.argv[1:] == []:
        lines = first_order()
    else:
        sys.exit(f"usage: {sys.argv[0]} [--second] > FILE (see the docstring)")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
