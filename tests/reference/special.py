#!/usr/bin/env python3
"""Reference values for tests/special.rs: the `tapegrad::Special` functions, their first
and second derivatives, computed with mpmath at 50 significant digits.

Each function is written below with its derivatives in closed form (DLMF chapters 5
and 7), in mpmath's own special functions (`erf`, `erfc`, `loggamma`, `gamma`,
`digamma`, `polygamma`); none of tapegrad's formulas is used. Every number is
evaluated at 50 digits and again at 70, the two must agree to 45 digits, and the
result is rounded to the nearest f64 and printed with `repr`, the shortest literal
that reads back as that same f64, into the Rust source `tests/reference/special_cases.rs`.

The test points are f64 values; mpmath receives them exactly (`mpf(float)` is exact),
so the reference is the true function at the very input the Rust test feeds to
tapegrad. Every reference number must be a normal f64 or exactly 0; the script stops
on any other, so that no test compares with an underflowed or overflowed reference.

Regenerate the data (from the repository root) with

    python3 tests/reference/special.py > tests/reference/special_cases.rs

and, for the coefficients of the Taylor series of ψ about its root in
src/special/polygamma.rs (`ROOT_HIGH`, `ROOT_LOW`, `ROOT_SERIES`),

    python3 tests/reference/special.py --root-series

Requires mpmath (1.3 was used). The output is deterministic.
"""

import math
import sys

import mpmath

DIGITS = 50  # significant digits of the reference evaluation
CHECK_DIGITS = 70  # a second, more precise evaluation that the first must agree with
AGREE_DIGITS = 45


def ln_abs_gamma(x):
    """ln |Γ(x)|: the real part of the principal log-gamma (DLMF 5.4.iii)."""
    return mpmath.re(mpmath.loggamma(x))


def psi(n, x):
    """The polygamma function ψₙ(x) (ψ₀ = digamma), at 20 more digits than the working
    precision: at the root of ψ, 1.4616…, the f64 nearest to it has ψ ≈ -9e-17, and the
    absolute accuracy of the working precision alone would leave 34 of 50 digits."""
    with mpmath.extradps(20):
        return +(mpmath.digamma(x) if n == 0 else mpmath.polygamma(n, x))


def gaussian(x):
    """2/√π e^(-x²), the derivative of erf (DLMF 7.10.1)."""
    return 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)


# Each unary function: (value, first derivative, second derivative), in closed form.
UNARY_FUNCTIONS = {
    "erf": lambda x: (mpmath.erf(x), gaussian(x), -2 * x * gaussian(x)),
    "erfc": lambda x: (mpmath.erfc(x), -gaussian(x), 2 * x * gaussian(x)),
    "ln_gamma": lambda x: (ln_abs_gamma(x), psi(0, x), psi(1, x)),
    "gamma": lambda x: (
        mpmath.gamma(x),
        mpmath.gamma(x) * psi(0, x),
        mpmath.gamma(x) * (psi(0, x) ** 2 + psi(1, x)),
    ),
    "digamma": lambda x: (psi(0, x), psi(1, x), psi(2, x)),
    "trigamma": lambda x: (psi(1, x), psi(2, x), psi(3, x)),
}

ERF_GRID = [k / 4 for k in range(-24, 25)]  # [-6, 6] in steps of 1/4
NEGATIVE = [-0.5, -1.5, -2.5, -3.25, -10.3, -20.7]
# Where ψ is near its positive root x₀ = 1.46163214496836234...: the f64 nearest to
# x₀, its neighbours, and points 1e-8, 1e-4 and 1e-2 away.
NEAR_ROOT = [1.4616321449683622, 1.4616321449683624, 1.461632144968362,
             1.46163215, 1.46163213, 1.4617, 1.4615, 1.47, 1.45]

UNARY_POINTS = {
    "erf": ERF_GRID + [0.7, 0.1, 1e-10, -1e-10, 1e-300, 2.3456, -3.9, 0.84375, 5.9],
    "erfc": ERF_GRID + [0.7, 1e-10, 0.84375, 6.5, 8.0, 10.0, 15.0, 20.0, 26.0, 26.5,
                        -1e-10],
    "ln_gamma": [
        # near 1 and 2, where ln Γ = 0 (1 and 2 themselves: exactly 0)
        1.0, 2.0, 1.0 + 1e-8, 1.0 - 1e-8, 1.001, 0.999, 0.9, 1.1,
        2.0 + 1e-8, 2.0 - 1e-8, 2.001, 1.999, 1.9, 2.1,
        # small, moderate and large
        1e-10, 1e-100, 0.5, 1.5, 3.7, 10.5, 50.25, 170.5, 1e5, 1e15, 1e300,
        # negative non-integers: ln |Γ|
        -1e-8, -0.25, -2.4, -1e5 - 0.5,
    ] + NEGATIVE,
    "gamma": [k / 2 for k in range(-11, 0, 2)]  # -5.5, -4.5, ..., -0.5
    + [-5.9, -4.1, -3.001, -2.999, -1e-8, 1e-10, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0,
       4.75, 10.5, 20.0, 33.3, 50.5, 100.0, 150.5, 160.5, 170.0]
    + NEAR_ROOT,
    "digamma": [-1e-8, -1e-3, 1e-10, 1e-3, 0.5, 1.0, 2.0, 2.5, 3.5, 7.25, 11.9, 12.0,
                12.1, 30.0, 1e5, 1e15, -0.9, -1.25, -5.5] + NEAR_ROOT + NEGATIVE,
    "trigamma": [-1e-8, -1e-3, 1e-10, 1e-3, 0.5, 1.0, 1.4616321449683622, 2.0, 3.5,
                 7.25, 11.9, 12.0, 12.1, 30.0, 1e5, 1e15, -0.9, -1.25, -5.5]
    + NEGATIVE,
}

def ln_beta_value(a, b):
    """ln |B(a, b)| (DLMF 5.12.1), with a + b exact and the precision raised by the
    digits that the sum of the three ln |Γ| cancels."""
    with mpmath.extradps(int(mpmath.log10(abs(a) + abs(b) + 10)) + 10):
        s = mpmath.fadd(a, b, exact=True)
        return +(ln_abs_gamma(a) + ln_abs_gamma(b) - ln_abs_gamma(s))


def ln_beta(a, b):
    """ln |B(a, b)| and its derivatives: (value, [∂a, ∂b], [∂aa, ∂ab, ∂bb]), with the
    precision raised as in `ln_beta_value` for the differences of ψ and ψ₁."""
    with mpmath.extradps(int(mpmath.log10(abs(a) + abs(b) + 10)) + 10):
        s = mpmath.fadd(a, b, exact=True)
        numbers = (
            ln_abs_gamma(a) + ln_abs_gamma(b) - ln_abs_gamma(s),
            [psi(0, a) - psi(0, s), psi(0, b) - psi(0, s)],
            [psi(1, a) - psi(1, s), -psi(1, s), psi(1, b) - psi(1, s)],
        )
    return numbers


BINARY_POINTS = {
    "ln_beta": [
        (0.5, 0.5), (1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (0.1, 7.5), (5.0, 1e-10),
        (11.5, 13.0), (12.5, 7.25), (30.0, 20.0), (100.5, 3.25), (1e5, 2e5),
        (1e10, 0.5), (0.5, 1e10), (1e10, 2e10), (1e15, 1e15), (3.0, 1e100),
        (-0.5, 2.5), (-2.5, 20.0), (-10.3, 0.75),
    ],
}

# Functions of two variables built of several Special calls, for the Hessian test:
# (the Rust expression, matched by name in tests/special.rs; the mpmath function).
COMPOSITE = {
    "ln_gamma(x)*erf(y)+digamma(x*y)": (
        lambda x, y: ln_abs_gamma(x) * mpmath.erf(y) + psi(0, x * y),
        [(2.5, 0.7), (0.75, -1.25), (7.0, 0.3)],
    ),
    "ln_beta(x,y)-gamma(x/y)+trigamma(y)*erfc(x)": (
        lambda x, y: ln_beta_value(x, y) - mpmath.gamma(x / y) + psi(1, y) * mpmath.erfc(x),
        [(2.5, 0.7), (0.75, 1.25), (3.0, 4.5)],
    ),
}


class NotNormal(ValueError):
    """A reference number that is no normal f64 (nor exactly 0)."""


def evaluate(compute):
    """The numbers `compute()` returns (a number or nested lists of numbers), at
    DIGITS and checked at CHECK_DIGITS, as mpf."""
    with mpmath.workdps(CHECK_DIGITS):
        check = compute()
    with mpmath.workdps(DIGITS):
        value = compute()
    return value, check


def to_f64(value, check, what):
    """`value` rounded to the nearest f64, after checking it against `check`."""
    if not (mpmath.isfinite(value) and mpmath.isfinite(check)):
        raise NotNormal(f"{what}: {value} is not finite")
    with mpmath.workdps(CHECK_DIGITS):
        if check != 0 and abs(value - check) > abs(check) * mpmath.mpf(10) ** -AGREE_DIGITS:
            raise ValueError(f"{what}: {DIGITS}-digit {value} vs {CHECK_DIGITS}-digit {check}")
        if check == 0 and value != 0:
            raise ValueError(f"{what}: {value} should be 0")
    # Python parses a decimal string correctly rounded to the nearest f64.
    result = float(mpmath.nstr(value, DIGITS))
    if result == 0.0 and value != 0 or result != 0.0 and abs(result) < sys.float_info.min:
        raise NotNormal(f"{what}: {value} underflows")
    if not math.isfinite(result):
        raise NotNormal(f"{what}: {value} overflows")
    return result


def flatten(numbers):
    if isinstance(numbers, (list, tuple)):
        return [n for part in numbers for n in flatten(part)]
    return [numbers]


def rounded(compute, what):
    """The flat list of f64s that `compute` yields."""
    value, check = evaluate(compute)
    return [to_f64(v, c, what) for v, c in zip(flatten(value), flatten(check))]


def derivatives(f, x, y):
    """(value, gradient, [∂xx, ∂xy, ∂yy]) of f at (x, y), by mpmath's numerical
    differentiation at the working precision (it raises the precision itself)."""
    def partial(i, j):
        return mpmath.diff(f, (x, y), (i, j))
    return (partial(0, 0), [partial(1, 0), partial(0, 1)],
            [partial(2, 0), partial(1, 1), partial(0, 2)])


def rust_f64(value):
    text = repr(value)
    assert float(text) == value and math.isfinite(value), text
    return text


def rust_list(values):
    return "[" + ", ".join(rust_f64(v) for v in values) + "]"


HEADER = """\
// @generated by tests/reference/special.py: DO NOT EDIT BY HAND.
//
// Regenerate from the repository root with
//
//     python3 tests/reference/special.py > tests/reference/special_cases.rs
//
// Reference values computed with mpmath {mpmath} at {digits} significant digits (checked
// against {check} digits) from closed forms of each function and its derivatives, at the
// exact value of each f64 argument, and rounded to the nearest f64.
"""


def generate():
    lines = HEADER.format(mpmath=mpmath.__version__, digits=DIGITS,
                          check=CHECK_DIGITS).splitlines()
    lines += [
        "",
        "/// (method, x, value, first derivative, second derivative).",
        "pub const UNARY: &[(&str, f64, f64, f64, f64)] = &[",
    ]
    count = 0
    for name, points in UNARY_POINTS.items():
        function = UNARY_FUNCTIONS[name]
        for x in points:
            numbers = rounded(lambda: list(function(mpmath.mpf(x))), f"{name}({x!r})")
            lines.append(f'    ("{name}", {", ".join(rust_f64(v) for v in [x] + numbers)}),')
            count += 1
    lines += [
        "];",
        "",
        "/// A row of two arguments: (name, [a, b], value, [∂/∂a, ∂/∂b],",
        "/// [∂²/∂a², ∂²/∂a∂b, ∂²/∂b²]).",
        "pub type Binary = (&'static str, [f64; 2], f64, [f64; 2], [f64; 3]);",
        "",
        "/// (method, [a, b], ...) of `a.method(b)`, as [`Binary`].",
        "pub const BINARY: &[Binary] = &[",
    ]
    for name, points in BINARY_POINTS.items():
        for a, b in points:
            numbers = rounded(lambda: ln_beta(mpmath.mpf(a), mpmath.mpf(b)),
                              f"{name}({a!r}, {b!r})")
            lines.append(f'    ("{name}", {rust_list([a, b])}, {rust_f64(numbers[0])}, '
                         f'{rust_list(numbers[1:3])}, {rust_list(numbers[3:])}),')
            count += 1
    lines += [
        "];",
        "",
        "/// (expression, [x, y], ...) as [`Binary`]; the expression is matched by name in",
        "/// tests/special.rs. The derivatives are mpmath's numerical ones (`mpmath.diff`,",
        "/// which raises the working precision to keep all digits).",
        "pub const COMPOSITE: &[Binary] = &[",
    ]
    for name, (function, points) in COMPOSITE.items():
        for x, y in points:
            numbers = rounded(lambda: derivatives(function, mpmath.mpf(x), mpmath.mpf(y)),
                              f"{name} at ({x!r}, {y!r})")
            lines.append(f'    ("{name}", {rust_list([x, y])}, {rust_f64(numbers[0])}, '
                         f'{rust_list(numbers[1:3])}, {rust_list(numbers[3:])}),')
            count += 1
    lines += ["];"]
    lines.insert(len(HEADER.splitlines()), f"// {count} cases.")
    return lines


def root_series():
    """The Rust constants of ψ's Taylor series about its positive root."""
    with mpmath.workdps(60):
        root = mpmath.findroot(mpmath.digamma, mpmath.mpf("1.46"))
        high = float(root)
        low = float(root - mpmath.mpf(high))
        lines = [f"const ROOT_HIGH: f64 = {rust_f64(high)};",
                 f"const ROOT_LOW: f64 = {rust_f64(low)};",
                 "const ROOT_SERIES: [f64; 40] = ["]
        for k in range(1, 41):
            c = (-1) ** (k + 1) * mpmath.zeta(k + 1, root)
            lines.append(f"    {rust_f64(float(c))},")
        lines.append("];")
    return lines


def main():
    if sys.argv[1:] == ["--root-series"]:
        lines = root_series()
    elif sys.argv[1:] == []:
        lines = generate()
    else:
        sys.exit(f"usage: {sys.argv[0]} [--root-series] (see the docstring)")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
