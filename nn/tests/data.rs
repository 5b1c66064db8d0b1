//! The data tools of `tapegrad_nn`: the seeded generators, the train/test split and the
//! minibatches (`data`), the IDX reader of MNIST (`idx`) and the bundled 8×8 digits
//! (`digits`).
//!
//! Every malformed IDX file is tried four ways where it applies: from a reader of unknown
//! length, from a plain file (whose length is checked first), and, with the `gzip`
//! feature, both again gzip-compressed. This test binary also records the largest single
//! allocation of its own thread, to show that a header's claim is not allocated before
//! the data is there.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::f64::consts::PI;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use tapegrad_nn::data::{Minibatches, SplitMix64, circles, moons, spirals, split_indices};
use tapegrad_nn::digits::{DIGITS_PATH, DigitsErrorKind, DigitsReader, load_digits, read_digits};
use tapegrad_nn::idx::{
    DEFAULT_LIMIT, ElementType, IdxData, IdxErrorKind, IdxReader, Images, Section, load_mnist,
    read_idx, read_idx_file, read_images, read_images_from, read_labels, read_labels_from,
};

// ---------------------------------------------------------------------------------------
// The largest allocation of this thread.

struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: forwards every call to the system allocator unchanged; the bookkeeping touches
// only a const-initialized thread-local without destructor, which never allocates.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Runs `f` and returns its result, the largest single allocation it made on this
/// thread, and how long it took.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    LARGEST.with(|largest| largest.set(0));
    let start = Instant::now();
    let result = f();
    let elapsed = start.elapsed();
    (result, LARGEST.with(Cell::get), elapsed)
}

const ONE_MIB: usize = 1 << 20;

#[test]
fn the_allocation_probe_sees_a_large_allocation() {
    let (buffer, largest, _) = measured(|| vec![0u8; 4 * ONE_MIB]);
    assert!(largest >= 4 * ONE_MIB, "saw only {largest} bytes");
    drop(buffer);
}

// ---------------------------------------------------------------------------------------
// Temporary files, removed when dropped.

static NEXT_TEMP: AtomicUsize = AtomicUsize::new(0);

struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> Self {
        let unique = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        TempPath(std::env::temp_dir().join(format!(
            "tapegrad-test-data-{}-{unique}-{name}",
            std::process::id()
        )))
    }

    fn file(name: &str, contents: &[u8]) -> Self {
        let path = TempPath::new(name);
        std::fs::write(&path.0, contents).expect("write a temporary file");
        path
    }

    fn dir(name: &str) -> Self {
        let path = TempPath::new(name);
        std::fs::create_dir(&path.0).expect("create a temporary folder");
        path
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[cfg(feature = "gzip")]
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A gzip file of `head`, then `copies` times `block`, as one gzip member each: what
/// `cat head.gz block.gz block.gz ... > file.gz` makes, which gunzip (and every reader
/// here) decompresses whole. `block` is compressed once, so a file that decompresses to
/// gigabytes is built in milliseconds; a block of zeros shrinks a thousandfold.
#[cfg(feature = "gzip")]
fn gzip_repeated(head: &[u8], block: &[u8], copies: usize) -> Vec<u8> {
    let member = gzip(block);
    let mut file = gzip(head);
    file.reserve(member.len() * copies);
    for _ in 0..copies {
        file.extend_from_slice(&member);
    }
    file
}

/// Reads `bytes` every way that applies, with `from_reader` and `from_path`: from a
/// reader of unknown length, from a plain file named `every-way`, and, with the `gzip`
/// feature, both again gzip-compressed. Each result comes with the way, in words.
fn every_way<T, E>(
    bytes: &[u8],
    from_reader: impl Fn(&[u8]) -> Result<T, E>,
    from_path: impl Fn(&Path) -> Result<T, E>,
) -> Vec<(&'static str, Result<T, E>)> {
    let file = TempPath::file("every-way", bytes);
    #[cfg_attr(not(feature = "gzip"), allow(unused_mut))]
    let mut results = vec![
        ("from a reader", from_reader(bytes)),
        ("from a plain file", from_path(&file.0)),
    ];
    #[cfg(feature = "gzip")]
    {
        let compressed = gzip(bytes);
        let file = TempPath::file("every-way.gz", &compressed);
        results.push(("from a gzip stream", from_reader(&compressed)));
        results.push(("from a gzip file", from_path(&file.0)));
    }
    results
}

// ---------------------------------------------------------------------------------------
// The generators.

fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

#[test]
fn generators_are_reproducible_and_differ_across_seeds() {
    assert_eq!(moons(200, 0.1, 1), moons(200, 0.1, 1));
    assert_ne!(moons(200, 0.1, 1), moons(200, 0.1, 2));
    assert_eq!(circles(200, 0.05, 0.5, 1), circles(200, 0.05, 0.5, 1));
    assert_ne!(circles(200, 0.05, 0.5, 1), circles(200, 0.05, 0.5, 2));
    assert_eq!(spirals(100, 3, 0.2, 1), spirals(100, 3, 0.2, 1));
    assert_ne!(spirals(100, 3, 0.2, 1), spirals(100, 3, 0.2, 2));
    // Without noise the seed still orders the points.
    assert_ne!(moons(200, 0.0, 1).points, moons(200, 0.0, 2).points);
}

#[test]
fn moons_counts_and_labels() {
    for (n, outer, inner) in [(100, 50, 50), (101, 50, 51), (1, 0, 1), (0, 0, 0)] {
        let data = moons(n, 0.1, 3);
        assert_eq!(data.len(), n);
        assert_eq!(data.labels.len(), n);
        assert_eq!(data.classes, 2);
        assert_eq!(data.class_counts(), vec![outer, inner], "n = {n}");
    }
}

#[test]
fn noiseless_moons_lie_on_their_half_circles() {
    let data = moons(101, 0.0, 5);
    for (&point, &label) in data.points.iter().zip(&data.labels) {
        let [x, y] = point;
        if label == 0 {
            // The upper half of the unit circle.
            assert!((x.hypot(y) - 1.0).abs() < 1e-12, "{point:?}");
            assert!(y >= -1e-15, "{point:?}");
        } else {
            // The lower half of the unit circle centred at (1, 0.5).
            assert!(
                (distance(point, [1.0, 0.5]) - 1.0).abs() < 1e-12,
                "{point:?}"
            );
            assert!(y <= 0.5 + 1e-15, "{point:?}");
        }
    }
    // Both ends of both half circles are there: t = 0 and t = π exactly.
    for end in [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]] {
        let nearest = data
            .points
            .iter()
            .map(|&p| distance(p, end))
            .fold(f64::INFINITY, f64::min);
        assert!(nearest < 1e-15, "no point at {end:?}");
    }
    // And the points are evenly spaced in angle: the 50 outer angles are iπ/49.
    let mut angles: Vec<f64> = data
        .points
        .iter()
        .zip(&data.labels)
        .filter(|&(_, &label)| label == 0)
        .map(|(p, _)| p[1].atan2(p[0]))
        .collect();
    angles.sort_by(f64::total_cmp);
    for (i, angle) in angles.iter().enumerate() {
        assert!((angle.abs() - PI * i as f64 / 49.0).abs() < 1e-12);
    }
}

#[test]
fn moons_noise_has_the_requested_standard_deviation() {
    // The shuffle draws come first, so the noiseless points with the same seed are the
    // points before the noise was added.
    let n = 4000;
    let clean = moons(n, 0.0, 11);
    let noisy = moons(n, 0.1, 11);
    assert_eq!(clean.labels, noisy.labels);
    let offsets: Vec<f64> = clean
        .points
        .iter()
        .zip(&noisy.points)
        .flat_map(|(c, p)| [p[0] - c[0], p[1] - c[1]])
        .collect();
    let mean = offsets.iter().sum::<f64>() / offsets.len() as f64;
    let variance = offsets.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / offsets.len() as f64;
    assert!(mean.abs() < 0.005, "mean {mean}");
    assert!(
        (variance.sqrt() - 0.1).abs() < 0.005,
        "std {}",
        variance.sqrt()
    );
}

#[test]
fn noiseless_circles_lie_on_the_two_radii() {
    let data = circles(301, 0.0, 0.3, 2);
    assert_eq!(data.class_counts(), vec![150, 151]);
    for (&[x, y], &label) in data.points.iter().zip(&data.labels) {
        let radius = if label == 0 { 1.0 } else { 0.3 };
        assert!(
            (x.hypot(y) - radius).abs() < 1e-12,
            "({x}, {y}) label {label}"
        );
    }
    let noisy = circles(301, 0.05, 0.3, 2);
    assert!(noisy.points != data.points);
}

#[test]
#[should_panic(expected = "factor")]
fn circles_refuses_an_inner_circle_that_is_not_inside() {
    circles(10, 0.0, 1.0, 0);
}

#[test]
#[should_panic(expected = "noise")]
fn generators_refuse_negative_noise() {
    moons(10, -0.1, 0);
}

#[test]
fn noiseless_spirals_follow_their_arms() {
    let (per_class, classes) = (50, 4);
    let data = spirals(per_class, classes, 0.0, 9);
    assert_eq!(data.len(), per_class * classes);
    assert_eq!(data.class_counts(), vec![per_class; classes]);
    for (&point, &class) in data.points.iter().zip(&data.labels) {
        let r = point[0].hypot(point[1]);
        let t = 4.0 * class as f64 + 4.0 * r;
        assert!(r <= 1.0 + 1e-15);
        assert!(
            distance(point, [r * t.sin(), r * t.cos()]) < 1e-12,
            "{point:?}"
        );
    }
    // The radii of each arm are evenly spaced over [0, 1].
    for class in 0..classes {
        let mut radii: Vec<f64> = data
            .points
            .iter()
            .zip(&data.labels)
            .filter(|&(_, &label)| label == class)
            .map(|(p, _)| p[0].hypot(p[1]))
            .collect();
        radii.sort_by(f64::total_cmp);
        for (i, r) in radii.iter().enumerate() {
            assert!((r - i as f64 / (per_class - 1) as f64).abs() < 1e-12);
        }
    }
}

#[test]
fn signed_labels_are_micrograds() {
    let data = moons(10, 0.1, 0);
    let signed = data.signed_labels();
    for (&label, &y) in data.labels.iter().zip(&signed) {
        assert_eq!(y, label as f64 * 2.0 - 1.0);
    }
}

#[test]
#[should_panic(expected = "label 2")]
fn signed_labels_need_two_classes() {
    spirals(5, 3, 0.0, 0).signed_labels();
}

#[test]
fn split_partitions_the_indices() {
    for (n, fraction, test_len) in [(103, 0.25, 26), (10, 0.7, 7), (10, 0.0, 0), (10, 1.0, 10)] {
        let (train, test) = split_indices(n, fraction, 4);
        assert_eq!(test.len(), test_len, "n = {n}, fraction = {fraction}");
        assert_eq!(train.len() + test.len(), n);
        let mut all = [train.clone(), test.clone()].concat();
        all.sort();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
        assert_eq!((train, test), split_indices(n, fraction, 4));
    }
    assert_ne!(split_indices(100, 0.2, 1), split_indices(100, 0.2, 2));

    // Dataset::split keeps every point with its label.
    let data = moons(50, 0.1, 3);
    let (train, test) = data.split(0.2, 8);
    assert_eq!((train.len(), test.len()), (40, 10));
    let mut parts: Vec<([f64; 2], usize)> = train
        .points
        .iter()
        .copied()
        .zip(train.labels.iter().copied())
        .chain(test.points.iter().copied().zip(test.labels.iter().copied()))
        .collect();
    let mut whole: Vec<([f64; 2], usize)> = data
        .points
        .iter()
        .copied()
        .zip(data.labels.iter().copied())
        .collect();
    let key = |a: &([f64; 2], usize), b: &([f64; 2], usize)| a.0[0].total_cmp(&b.0[0]);
    parts.sort_by(key);
    whole.sort_by(key);
    assert_eq!(parts, whole);
}

#[test]
#[should_panic(expected = "test_fraction")]
fn split_refuses_a_fraction_above_one() {
    split_indices(10, 1.5, 0);
}

#[test]
fn minibatches_cover_every_index_once_per_epoch() {
    let mut batches = Minibatches::new(10, 3, 5);
    assert_eq!(batches.batches_per_epoch(), 4);
    let mut epochs = Vec::new();
    for _ in 0..3 {
        let epoch: Vec<Vec<usize>> = batches.epoch().map(<[usize]>::to_vec).collect();
        let sizes: Vec<usize> = epoch.iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 3, 3, 1]);
        let mut all = epoch.concat();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        epochs.push(epoch);
    }
    assert!(
        epochs[0] != epochs[1] || epochs[1] != epochs[2],
        "reshuffled"
    );

    let mut again = Minibatches::new(10, 3, 5);
    let mut other = Minibatches::new(10, 3, 6);
    let first: Vec<Vec<usize>> = again.epoch().map(<[usize]>::to_vec).collect();
    let different: Vec<Vec<usize>> = other.epoch().map(<[usize]>::to_vec).collect();
    assert_eq!(first, epochs[0]);
    assert_ne!(different, epochs[0]);
    assert_eq!(Minibatches::new(0, 4, 0).epoch().count(), 0);
}

#[test]
fn splitmix64_draws_have_the_right_distributions() {
    let mut rng = SplitMix64::new(2024);
    let n = 100_000;
    let uniforms: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    assert!(uniforms.iter().all(|u| (0.0..1.0).contains(u)));
    let mean = uniforms.iter().sum::<f64>() / n as f64;
    assert!((mean - 0.5).abs() < 0.005, "uniform mean {mean}");

    let normals: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mean = normals.iter().sum::<f64>() / n as f64;
    let variance = normals.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(mean.abs() < 0.01, "normal mean {mean}");
    assert!((variance - 1.0).abs() < 0.02, "normal variance {variance}");

    let mut counts = [0usize; 6];
    for _ in 0..60_000 {
        counts[rng.below(6)] += 1;
    }
    assert!(
        counts.iter().all(|&c| c.abs_diff(10_000) < 500),
        "{counts:?}"
    );

    let mut items: Vec<usize> = (0..20).collect();
    rng.shuffle(&mut items);
    assert_ne!(items, (0..20).collect::<Vec<_>>());
    items.sort();
    assert_eq!(items, (0..20).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------
// IDX files.

/// An IDX file: magic, dimension sizes, data (given as raw bytes).
fn idx_file(type_code: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut file = vec![0, 0, type_code, dims.len() as u8];
    for d in dims {
        file.extend(d.to_be_bytes());
    }
    file.extend(data);
    file
}

/// Reads `bytes` every way that applies and hands each result's error kind to `check`.
fn check_every_way(bytes: &[u8], check: impl Fn(&IdxErrorKind) -> bool) {
    let results = every_way(bytes, |r| read_idx(Cursor::new(r)), |p| read_idx_file(p));
    for (way, result) in results {
        let error = result.expect_err(way);
        assert!(check(error.kind()), "{way}: {error}");
        if way.ends_with("file") {
            let path = error.path().expect("an error from a file names it");
            assert!(
                path.to_string_lossy().contains("every-way"),
                "{way}: {error}"
            );
            assert!(error.to_string().contains("every-way"), "{way}: {error}");
        }
    }
}

macro_rules! malformed_idx {
    ($($name:ident: $bytes:expr => $pattern:pat,)*) => {$(
        #[test]
        fn $name() {
            let bytes: Vec<u8> = $bytes;
            check_every_way(&bytes, |kind| matches!(kind, $pattern));
        }
    )*};
}

malformed_idx! {
    empty_file: vec![]
        => IdxErrorKind::Truncated { section: Section::Magic, expected: 4, found: 0 },
    one_byte: vec![0]
        => IdxErrorKind::Truncated { section: Section::Magic, expected: 4, found: 1 },
    three_bytes: vec![0, 0, 8]
        => IdxErrorKind::Truncated { section: Section::Magic, expected: 4, found: 3 },
    truncated_dimension_sizes: vec![0, 0, 8, 3, 0, 0, 0, 1, 0, 0]
        => IdxErrorKind::Truncated { section: Section::Dimensions, expected: 12, found: 6 },
    truncated_u8_data: idx_file(0x08, &[2, 2], &[1, 2, 3])
        => IdxErrorKind::Truncated { section: Section::Data, expected: 4, found: 3 },
    truncated_i32_data: idx_file(0x0C, &[2], &[0, 0, 0, 1, 0, 0, 0])
        => IdxErrorKind::Truncated { section: Section::Data, expected: 8, found: 7 },
    header_without_data: idx_file(0x0D, &[3], &[])
        => IdxErrorKind::Truncated { section: Section::Data, expected: 12, found: 0 },
    first_magic_byte_not_zero: idx_file(0x08, &[1], &[7]).into_iter().enumerate()
        .map(|(i, b)| if i == 0 { 1 } else { b }).collect()
        => IdxErrorKind::BadMagic { found: [1, 0] },
    second_magic_byte_not_zero: vec![0, 3, 8, 1, 0, 0, 0, 1, 7]
        => IdxErrorKind::BadMagic { found: [0, 3] },
    text_file: b"label,pixel\n1,2\n".to_vec()
        => IdxErrorKind::BadMagic { found: [b'l', b'a'] },
    type_byte_0x0a: idx_file(0x0A, &[1], &[7])
        => IdxErrorKind::UnsupportedType { code: 0x0A },
    type_byte_zero: idx_file(0x00, &[1], &[7])
        => IdxErrorKind::UnsupportedType { code: 0x00 },
    no_dimensions: vec![0, 0, 8, 0, 7]
        => IdxErrorKind::DimensionMismatch { .. },
    product_of_dimensions_overflows: idx_file(0x0E, &[u32::MAX; 4], &[1, 2, 3])
        => IdxErrorKind::DimensionMismatch { .. },
    byte_count_overflows: idx_file(0x0E, &[u32::MAX, u32::MAX], &[1, 2, 3])
        => IdxErrorKind::DimensionMismatch { .. },
    data_after_the_elements: idx_file(0x08, &[2], &[1, 2, 3])
        => IdxErrorKind::DimensionMismatch { .. },
    mnist_sized_header_with_ten_bytes: idx_file(0x08, &[60_000, 28, 28], &[0; 10])
        => IdxErrorKind::Truncated { section: Section::Data, expected: 47_040_000, found: 10 },
    claim_of_exactly_the_default_limit: idx_file(0x08, &[1 << 14, 1 << 15], &[0; 10])
        => IdxErrorKind::Truncated { section: Section::Data, expected: DEFAULT_LIMIT, found: 10 },
    claim_one_byte_over_the_default_limit: idx_file(0x08, &[(1 << 29) + 1], &[0; 10])
        => IdxErrorKind::TooLarge { claimed: 536_870_913, limit: DEFAULT_LIMIT },
    f64_claim_over_the_default_limit: idx_file(0x0E, &[1 << 26, 2], &[0; 10])
        => IdxErrorKind::TooLarge { claimed: 1_073_741_824, limit: DEFAULT_LIMIT },
    four_billion_bytes_claimed: idx_file(0x08, &[u32::MAX], &[0; 10])
        => IdxErrorKind::TooLarge { claimed: 4_294_967_295, limit: DEFAULT_LIMIT },
}

#[test]
fn messages_say_what_is_wrong() {
    let message = |bytes: Vec<u8>| read_idx(bytes.as_slice()).unwrap_err().to_string();
    assert_eq!(
        message(idx_file(0x08, &[2, 2], &[1, 2, 3])),
        "truncated IDX file: 4 bytes of data expected, only 3 are there"
    );
    assert!(message(vec![7, 7, 8, 1]).contains("not an IDX file"));
    assert!(message(idx_file(0x0A, &[1], &[0])).contains("0x0A"));
    assert!(message(idx_file(0x0E, &[u32::MAX; 4], &[])).contains("more than"));
    assert_eq!(
        message(idx_file(0x0E, &[1 << 26, 2], &[])),
        "the IDX header claims 1073741824 bytes of data, more than the limit of 536870912 \
         bytes; if the file is genuine, read it with a higher limit: \
         `IdxReader::new().limit(bytes)`"
    );
}

#[test]
fn a_huge_header_on_a_tiny_file_fails_at_once_without_allocating() {
    // 60000 × 28 × 28 bytes claimed, 10 there: plain file, then a reader of unknown length.
    let bytes = idx_file(0x08, &[60_000, 28, 28], &[0; 10]);
    let file = TempPath::file("huge-claim", &bytes);
    let (result, largest, elapsed) = measured(|| read_images(&file.0));
    assert!(matches!(
        result.unwrap_err().kind(),
        IdxErrorKind::Truncated {
            section: Section::Data,
            expected: 47_040_000,
            found: 10
        }
    ));
    assert!(largest < ONE_MIB, "allocated {largest} bytes at once");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");

    // u32::MAX f64s claimed (32 GiB), from a reader whose length nobody knows, with the
    // limit lifted (the default refuses the claim at once).
    let bytes = idx_file(0x0E, &[u32::MAX], &[0; 10]);
    let unlimited = IdxReader::new().limit(u64::MAX);
    let (result, largest, elapsed) = measured(|| unlimited.read(Cursor::new(&bytes)));
    assert!(matches!(
        result.unwrap_err().kind(),
        IdxErrorKind::Truncated {
            section: Section::Data,
            found: 10,
            ..
        }
    ));
    assert!(largest < ONE_MIB, "allocated {largest} bytes at once");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[cfg(feature = "gzip")]
#[test]
fn a_gzip_file_claiming_four_billion_items_fails_without_allocating() {
    // With the limit lifted; the default refuses the claim at once.
    let compressed = gzip(&idx_file(0x08, &[u32::MAX], &[0; 10]));
    let file = TempPath::file("huge-claim.gz", &compressed);
    let unlimited = IdxReader::new().limit(u64::MAX);
    let (result, largest, elapsed) = measured(|| unlimited.read_labels(&file.0));
    let error = result.unwrap_err();
    assert!(
        matches!(
            error.kind(),
            IdxErrorKind::Truncated {
                section: Section::Data,
                expected: 4_294_967_295,
                found: 10
            }
        ),
        "{error}"
    );
    assert!(largest < ONE_MIB, "allocated {largest} bytes at once");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[cfg(feature = "gzip")]
#[test]
fn a_cut_or_corrupt_gzip_stream_is_an_error() {
    let compressed = gzip(&idx_file(0x08, &[100, 10], &[7; 1000]));
    for cut in [
        3,
        10,
        compressed.len() / 2,
        compressed.len() - 4,
        compressed.len() - 1,
    ] {
        let error = read_idx(&compressed[..cut]).expect_err("a cut gzip stream");
        assert!(
            matches!(
                error.kind(),
                IdxErrorKind::Truncated { .. } | IdxErrorKind::Io(_)
            ),
            "cut at {cut}: {error}"
        );
    }
    let mut corrupt = compressed.clone();
    let crc = corrupt.len() - 8;
    corrupt[crc] ^= 0xFF;
    let error = read_idx(corrupt.as_slice()).expect_err("a wrong checksum");
    assert!(matches!(error.kind(), IdxErrorKind::Io(_)), "{error}");
}

// ---------------------------------------------------------------------------------------
// The size limit of the IDX reader.

/// The file of the hardening issue: 2 MB of gzip whose IDX header claims 2^32 - 1 bytes
/// of `u8` labels, followed by 2 GiB of zeros, which the reader before the limit
/// decompressed into one 2 GiB allocation (then reported the file truncated).
#[cfg(feature = "gzip")]
#[test]
fn the_issues_gzip_bomb_is_refused_at_its_header() {
    let bomb = gzip_repeated(&idx_file(0x08, &[u32::MAX], &[]), &vec![0; ONE_MIB], 2048);
    assert!(
        (2_000_000..2_300_000).contains(&bomb.len()),
        "{}",
        bomb.len()
    );
    let file = TempPath::file("bomb-idx1-ubyte.gz", &bomb);
    let expected = |kind: &IdxErrorKind| {
        matches!(
            kind,
            IdxErrorKind::TooLarge {
                claimed: 4_294_967_295,
                limit: DEFAULT_LIMIT
            }
        )
    };

    let (result, largest, elapsed) = measured(|| read_labels(&file.0));
    let error = result.unwrap_err();
    assert!(expected(error.kind()), "{error}");
    assert!(error.to_string().contains(".limit(bytes)"), "{error}");
    assert!(largest < ONE_MIB, "allocated {largest} bytes at once");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");

    let (result, largest, _) = measured(|| read_idx(bomb.as_slice()));
    assert!(expected(result.unwrap_err().kind()));
    assert!(largest < ONE_MIB, "allocated {largest} bytes at once");
}

/// Data past what a header claims is not decompressed: one byte of it is an error.
#[cfg(feature = "gzip")]
#[test]
fn a_gzip_file_never_decompresses_past_its_claim() {
    let bomb = gzip_repeated(&idx_file(0x08, &[16], &[1; 16]), &vec![0; ONE_MIB], 64);
    let reader = IdxReader::new().limit(16);
    let (result, largest, elapsed) = measured(|| reader.read(bomb.as_slice()));
    let error = result.unwrap_err();
    assert!(
        matches!(error.kind(), IdxErrorKind::DimensionMismatch { detail } if detail.contains("more bytes follow")),
        "{error}"
    );
    assert!(largest < ONE_MIB, "allocated {largest} bytes at once");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn a_file_at_the_limit_reads_and_one_byte_more_fails() {
    let reader = IdxReader::new().limit(12);
    let read_every_way =
        |bytes: &[u8]| every_way(bytes, |r| reader.read(r), |p| reader.read_file(p));

    // 12 bytes of data: 3 × 4 u8, 3 i32.
    for bytes in [
        idx_file(0x08, &[3, 4], &[5; 12]),
        idx_file(0x0C, &[3], &[0; 12]),
    ] {
        for (way, result) in read_every_way(&bytes) {
            let array = result.unwrap_or_else(|error| panic!("{way}: {error}"));
            assert_eq!(array.data.len() * array.data.element_type().size(), 12);
        }
    }

    // 13 u8, 4 i32, and a claim far over the limit with its data missing: the claim is
    // checked against the limit first, even where the file's length is known.
    for (bytes, over) in [
        (idx_file(0x08, &[13], &[5; 13]), 13),
        (idx_file(0x0C, &[4], &[0; 16]), 16),
        (idx_file(0x08, &[10, 100], &[5]), 1000),
    ] {
        for (way, result) in read_every_way(&bytes) {
            let error = result.expect_err(way);
            assert!(
                matches!(error.kind(), &IdxErrorKind::TooLarge { claimed, limit: 12 } if claimed == over),
                "{way}: {error}"
            );
        }
    }

    // The typed readers keep the limit.
    let images = idx_file(0x08, &[1, 3, 4], &[5; 12]);
    assert!(reader.read_images_from(images.as_slice()).is_ok());
    let error = reader
        .limit(11)
        .read_images_from(images.as_slice())
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        IdxErrorKind::TooLarge {
            claimed: 12,
            limit: 11
        }
    ));
    let labels = idx_file(0x08, &[13], &[5; 13]);
    assert!(reader.limit(13).read_labels_from(labels.as_slice()).is_ok());
    let file = TempPath::file("labels", &labels);
    let error = reader.read_labels(&file.0).unwrap_err();
    assert!(matches!(
        error.kind(),
        IdxErrorKind::TooLarge {
            claimed: 13,
            limit: 12
        }
    ));
    assert_eq!(error.path(), Some(file.0.as_path()));
}

#[test]
fn the_default_reader_is_the_functions() {
    assert_eq!(IdxReader::default(), IdxReader::new());
    assert_eq!(IdxReader::new().limit(DEFAULT_LIMIT), IdxReader::new());
    assert_eq!(DEFAULT_LIMIT, 512 * 1024 * 1024);
    let bytes = idx_file(0x08, &[2, 2], &[1, 2, 3, 4]);
    assert_eq!(
        IdxReader::new().read(bytes.as_slice()).unwrap(),
        read_idx(bytes.as_slice()).unwrap()
    );
}

/// Data that arrives from a stream grows its vector by doubling, but never past the claim,
/// so the memory for a file within the limit stays within the limit.
#[test]
fn memory_for_streamed_data_stays_within_the_limit() {
    let limit = 3 * ONE_MIB / 2;
    let reader = IdxReader::new().limit(limit as u64);
    let bytes = idx_file(0x08, &[limit as u32], &vec![9; limit]);
    let streams = [
        #[cfg(feature = "gzip")]
        gzip(&bytes),
        bytes,
    ];
    for stream in streams {
        let (result, largest, _) = measured(|| reader.read_labels_from(stream.as_slice()));
        assert_eq!(result.unwrap().len(), limit);
        assert!(largest <= limit, "allocated {largest} bytes at once");
    }
}

#[test]
fn load_mnist_reads_each_file_with_the_limit() {
    // The training images hold 5 × 2 × 2 = 20 bytes, the most of the four files.
    let dir = mnist_folder([5, 3], [5, 3]);
    assert!(IdxReader::new().limit(20).load_mnist(&dir.0).is_ok());
    let error = IdxReader::new().limit(19).load_mnist(&dir.0).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            IdxErrorKind::TooLarge {
                claimed: 20,
                limit: 19
            }
        ),
        "{error}"
    );
    let name = error.path().unwrap().file_name().unwrap().to_string_lossy();
    assert_eq!(name, "train-images-idx3-ubyte");
}

#[cfg(not(feature = "gzip"))]
#[test]
fn without_the_gzip_feature_a_gzip_file_is_a_clear_error() {
    // The gzip signature, then anything: the reader must not try to parse it.
    let bytes = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    let error = read_idx(bytes.as_slice()).unwrap_err();
    assert!(matches!(error.kind(), IdxErrorKind::GzipDisabled));
    assert!(error.to_string().contains("gzip"));
    let file = TempPath::file("images.gz", &bytes);
    let error = read_images(&file.0).unwrap_err();
    assert!(matches!(error.kind(), IdxErrorKind::GzipDisabled));
}

#[test]
fn every_element_type_round_trips() {
    let cases: Vec<(u8, Vec<u8>, IdxData)> = vec![
        (0x08, vec![0, 7, 255], IdxData::U8(vec![0, 7, 255])),
        (0x09, vec![0x80, 0xFF, 5], IdxData::I8(vec![-128, -1, 5])),
        (
            0x0B,
            [-2i16, 300, i16::MAX]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect(),
            IdxData::I16(vec![-2, 300, i16::MAX]),
        ),
        (
            0x0C,
            [i32::MIN, -70_000, 1]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect(),
            IdxData::I32(vec![i32::MIN, -70_000, 1]),
        ),
        (
            0x0D,
            [-1.5f32, 0.25, 3e38]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect(),
            IdxData::F32(vec![-1.5, 0.25, 3e38]),
        ),
        (
            0x0E,
            [-1.5f64, PI, 1e300]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect(),
            IdxData::F64(vec![-1.5, PI, 1e300]),
        ),
    ];
    for (code, data, expected) in cases {
        let element = ElementType::from_code(code).unwrap();
        assert_eq!(element.code(), code);
        assert_eq!(expected.element_type(), element);
        assert_eq!(data.len(), 3 * element.size());
        let bytes = idx_file(code, &[3, 1], &data);
        let array = read_idx(bytes.as_slice()).unwrap();
        assert_eq!(array.dims, [3, 1]);
        assert_eq!(array.data, expected, "type {element}");
        let file = TempPath::file("every-type", &bytes);
        assert_eq!(read_idx_file(&file.0).unwrap(), array);
        #[cfg(feature = "gzip")]
        {
            let file = TempPath::file("every-type.gz", &gzip(&bytes));
            assert_eq!(read_idx_file(&file.0).unwrap(), array);
        }
    }
}

#[test]
fn images_and_labels_round_trip() {
    let pixels: Vec<u8> = (0..24).collect();
    let images_bytes = idx_file(0x08, &[4, 2, 3], &pixels);
    let labels_bytes = idx_file(0x08, &[4], &[3, 1, 4, 1]);
    let expected = Images {
        count: 4,
        rows: 2,
        cols: 3,
        pixels: pixels.clone(),
    };

    let images = read_images_from(images_bytes.as_slice()).unwrap();
    assert_eq!(images, expected);
    assert_eq!(images.image(2), &[12, 13, 14, 15, 16, 17]);
    assert_eq!(
        read_labels_from(labels_bytes.as_slice()).unwrap(),
        [3, 1, 4, 1]
    );

    let images_file = TempPath::file("images", &images_bytes);
    let labels_file = TempPath::file("labels", &labels_bytes);
    assert_eq!(read_images(&images_file.0).unwrap(), expected);
    assert_eq!(read_labels(&labels_file.0).unwrap(), [3, 1, 4, 1]);

    #[cfg(feature = "gzip")]
    {
        let images_file = TempPath::file("images.gz", &gzip(&images_bytes));
        let labels_file = TempPath::file("labels.gz", &gzip(&labels_bytes));
        assert_eq!(read_images(&images_file.0).unwrap(), expected);
        assert_eq!(read_labels(&labels_file.0).unwrap(), [3, 1, 4, 1]);
    }

    // No images at all is a valid, empty file.
    let empty = read_images_from(idx_file(0x08, &[0, 28, 28], &[]).as_slice()).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn images_and_labels_need_their_shape_and_type() {
    let labels_bytes = idx_file(0x08, &[4], &[3, 1, 4, 1]);
    let error = read_images_from(labels_bytes.as_slice()).unwrap_err();
    assert!(
        matches!(error.kind(), IdxErrorKind::DimensionMismatch { .. }),
        "{error}"
    );

    let images_bytes = idx_file(0x08, &[1, 2, 2], &[0; 4]);
    let error = read_labels_from(images_bytes.as_slice()).unwrap_err();
    assert!(
        matches!(error.kind(), IdxErrorKind::DimensionMismatch { .. }),
        "{error}"
    );

    let floats = idx_file(0x0D, &[1, 1, 1], &[0; 4]);
    let error = read_images_from(floats.as_slice()).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            IdxErrorKind::WrongType {
                expected: ElementType::U8,
                found: ElementType::F32
            }
        ),
        "{error}"
    );

    let file = TempPath::file("labels-as-images", &labels_bytes);
    let error = read_images(&file.0).unwrap_err();
    assert_eq!(error.path(), Some(file.0.as_path()));
}

/// Writes an MNIST folder with `n_train` and `n_test` images of 2×2 and the given
/// numbers of labels; with the `gzip` feature the test part is gzip-compressed.
fn mnist_folder(images: [u32; 2], labels: [u32; 2]) -> TempPath {
    let dir = TempPath::dir("mnist");
    let write = |name: &str, bytes: Vec<u8>, compress: bool| {
        #[cfg(feature = "gzip")]
        if compress {
            std::fs::write(dir.0.join(format!("{name}.gz")), gzip(&bytes)).unwrap();
            return;
        }
        let _ = compress;
        std::fs::write(dir.0.join(name), bytes).unwrap();
    };
    for (part, (n_images, n_labels), compress) in [
        ("train", (images[0], labels[0]), false),
        ("t10k", (images[1], labels[1]), true),
    ] {
        let pixels: Vec<u8> = (0..4 * n_images).map(|i| i as u8).collect();
        let digits: Vec<u8> = (0..n_labels).map(|i| (i % 10) as u8).collect();
        write(
            &format!("{part}-images-idx3-ubyte"),
            idx_file(0x08, &[n_images, 2, 2], &pixels),
            compress,
        );
        write(
            &format!("{part}-labels-idx1-ubyte"),
            idx_file(0x08, &[n_labels], &digits),
            compress,
        );
    }
    dir
}

#[test]
fn load_mnist_reads_the_four_files() {
    let dir = mnist_folder([5, 3], [5, 3]);
    let (train_images, train_labels, test_images, test_labels) = load_mnist(&dir.0).unwrap();
    assert_eq!(
        (train_images.len(), train_images.rows, train_images.cols),
        (5, 2, 2)
    );
    assert_eq!(train_labels, [0, 1, 2, 3, 4]);
    assert_eq!(test_images.len(), 3);
    assert_eq!(test_images.image(2), &[8, 9, 10, 11]);
    assert_eq!(test_labels, [0, 1, 2]);
}

#[test]
fn load_mnist_refuses_images_and_labels_of_different_counts() {
    for (images, labels, bad_part) in [([5, 3], [4, 3], "train"), ([5, 3], [5, 4], "t10k")] {
        let dir = mnist_folder(images, labels);
        let error = load_mnist(&dir.0).unwrap_err();
        assert!(
            matches!(error.kind(), IdxErrorKind::DimensionMismatch { .. }),
            "{error}"
        );
        let path = error.path().expect("the error names the file");
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(name.starts_with(&format!("{bad_part}-labels")), "{error}");
        assert!(error.to_string().contains("images but"), "{error}");
    }
}

#[test]
fn load_mnist_names_a_missing_file() {
    let dir = mnist_folder([2, 2], [2, 2]);
    std::fs::remove_file(dir.0.join("train-labels-idx1-ubyte")).unwrap();
    let error = load_mnist(&dir.0).unwrap_err();
    match error.kind() {
        IdxErrorKind::Io(io) => assert_eq!(io.kind(), std::io::ErrorKind::NotFound),
        other => panic!("expected NotFound, got {other}"),
    }
    assert!(
        error.to_string().contains("train-labels-idx1-ubyte"),
        "{error}"
    );
}

proptest! {
    #[test]
    fn any_valid_file_round_trips(
        dims in prop::collection::vec(0u32..5, 1..4),
        seed in any::<u64>(),
    ) {
        let count: u32 = dims.iter().product();
        let mut rng = SplitMix64::new(seed);
        let data: Vec<u8> = (0..count).map(|_| rng.below(256) as u8).collect();
        let bytes = idx_file(0x08, &dims, &data);
        let array = read_idx(bytes.as_slice()).unwrap();
        prop_assert_eq!(array.dims, dims.iter().map(|&d| d as usize).collect::<Vec<_>>());
        prop_assert_eq!(array.data, IdxData::U8(data));
    }

    #[test]
    fn every_cut_of_a_valid_file_is_truncated(cut in 0usize..28, code in prop::sample::select(vec![0x08u8, 0x0B, 0x0E])) {
        // 4 + 8 header bytes, then 2 × 2 elements of 1, 2 or 8 bytes.
        let size = ElementType::from_code(code).unwrap().size();
        let bytes = idx_file(code, &[2, 2], &vec![1; 4 * size]);
        let cut = cut.min(bytes.len() - 1);
        let error = read_idx(&bytes[..cut]).unwrap_err();
        let is_truncated = matches!(error.kind(), IdxErrorKind::Truncated { .. });
        prop_assert!(is_truncated, "{}", error);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = read_idx(bytes.as_slice());
        let mut with_magic = vec![0, 0];
        with_magic.extend(&bytes);
        let _ = read_idx(with_magic.as_slice());
        let _ = read_digits(bytes.as_slice());
    }
}

// ---------------------------------------------------------------------------------------
// The 8×8 digits.

#[test]
fn the_bundled_digits_file_is_where_digits_path_says() {
    let path = Path::new(DIGITS_PATH);
    assert!(path.is_file(), "{DIGITS_PATH} is missing");
    assert_eq!(std::fs::metadata(path).unwrap().len(), 57_523);
}

#[cfg(feature = "gzip")]
#[test]
fn the_bundled_digits_load() {
    let digits = load_digits(DIGITS_PATH).unwrap();
    assert_eq!(digits.len(), 1797);
    assert_eq!(digits.labels.len(), 1797);
    assert!(digits.images.iter().flatten().all(|&p| p <= 16));
    assert!(digits.labels.iter().all(|&d| d < 10));
    let counts = digits.class_counts();
    assert!(
        counts.iter().all(|&c| (170..=190).contains(&c)),
        "{counts:?}"
    );
    // Counted independently with awk over the decompressed file.
    assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    let total: u64 = digits.images.iter().flatten().map(|&p| u64::from(p)).sum();
    assert_eq!(total, 561_718);
    // The first image is scikit-learn's `load_digits().images[0]`, a zero.
    assert_eq!(
        digits.images[0][..16],
        [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]
    );
    assert_eq!(digits.labels[..3], [0, 1, 2]);
    assert_eq!(digits.labels[1796], 8);
    let features = digits.features(0);
    assert_eq!(features[2], 5.0 / 16.0);
    assert!(features.iter().all(|x| (0.0..=1.0).contains(x)));

    let (train, test) = split_indices(digits.len(), 0.2, 0);
    assert_eq!(
        digits.subset(&train).len() + digits.subset(&test).len(),
        1797
    );
}

#[cfg(not(feature = "gzip"))]
#[test]
fn without_the_gzip_feature_the_bundled_digits_are_a_clear_error() {
    let error = load_digits(DIGITS_PATH).unwrap_err();
    assert!(
        matches!(error.kind(), DigitsErrorKind::GzipDisabled),
        "{error}"
    );
    assert!(error.to_string().contains("gzip"));
}

/// A digits line: 64 pixels of `pixel`, then `label`.
fn digits_line(pixel: u8, label: usize) -> String {
    let mut fields = vec![pixel.to_string(); 64];
    fields.push(label.to_string());
    fields.join(",")
}

#[test]
fn plain_and_compressed_csv_both_load() {
    let text = format!("{}\r\n\n{}\n", digits_line(16, 9), digits_line(0, 0));
    let digits = read_digits(text.as_bytes()).unwrap();
    assert_eq!(digits.labels, [9, 0]);
    assert_eq!(digits.images, [[16; 64], [0; 64]]);

    let file = TempPath::file("digits.csv", text.as_bytes());
    assert_eq!(load_digits(&file.0).unwrap(), digits);

    // The floating-point layout of older scikit-learn versions.
    let floats: String = (0..64)
        .map(|_| "1.600000000000000000e+01,")
        .chain(["3.000000000000000000e+00\n"])
        .collect();
    let old = read_digits(floats.as_bytes()).unwrap();
    assert_eq!((old.images[0], old.labels[0]), ([16; 64], 3));

    #[cfg(feature = "gzip")]
    {
        let file = TempPath::file("digits.csv.gz", &gzip(text.as_bytes()));
        assert_eq!(load_digits(&file.0).unwrap(), digits);
    }
}

macro_rules! malformed_digits {
    ($($name:ident: $text:expr => line $line:literal, $needle:literal,)*) => {$(
        #[test]
        fn $name() {
            let text: Vec<u8> = $text;
            let error = read_digits(text.as_slice()).unwrap_err();
            assert!(
                matches!(error.kind(), DigitsErrorKind::Malformed { line: $line, .. }),
                "{error}"
            );
            let message = error.to_string();
            assert!(message.starts_with(concat!("line ", $line, ": ")), "{message}");
            assert!(message.contains($needle), "{message}");
        }
    )*};
}

fn lines(lines: &[String]) -> Vec<u8> {
    lines.join("\n").into_bytes()
}

malformed_digits! {
    sixty_four_values: lines(&[digits_line(1, 1), digits_line(1, 1)[2..].to_string()])
        => line 2, "found 64",
    sixty_six_values: lines(&[digits_line(1, 1), digits_line(1, 1), format!("{},0", digits_line(1, 1))])
        => line 3, "found 66",
    a_word_for_a_pixel: lines(&[digits_line(1, 1).replacen('1', "x", 1)])
        => line 1, "pixel 1 is `x`, not an integer",
    a_fraction_for_a_pixel: lines(&[digits_line(1, 1), digits_line(1, 1).replacen('1', "1.5", 1)])
        => line 2, "not an integer",
    a_pixel_above_sixteen: lines(&[digits_line(17, 1)])
        => line 1, "pixel 1 is 17, outside 0..=16",
    a_negative_pixel: lines(&[digits_line(2, 1), digits_line(2, 1).replacen('2', "-2", 1)])
        => line 2, "pixel 1 is -2",
    a_label_of_ten: lines(&[digits_line(0, 3), digits_line(0, 10)])
        => line 2, "the label is 10, not a digit",
    a_missing_label: lines(&[format!("{},", digits_line(0, 3).rsplit_once(',').unwrap().0)])
        => line 1, "the label is ``, not an integer",
    not_utf8: [lines(&[digits_line(0, 3)]), b"\n\xff\xfe,0\n".to_vec()].concat()
        => line 2, "not UTF-8",
    a_line_without_end: vec![b'1'; 10_000]
        => line 1, "longer than",
}

#[test]
fn an_empty_file_holds_no_digits() {
    for text in ["", "\n\n  \n"] {
        let error = read_digits(text.as_bytes()).unwrap_err();
        assert!(matches!(error.kind(), DigitsErrorKind::Empty), "{error}");
    }
}

#[test]
fn a_malformed_file_is_named_in_the_error() {
    let file = TempPath::file(
        "bad-digits.csv",
        lines(&[digits_line(0, 0), "1,2".into()]).as_slice(),
    );
    let error = load_digits(&file.0).unwrap_err();
    assert_eq!(error.path(), Some(file.0.as_path()));
    let message = error.to_string();
    assert!(message.contains("bad-digits.csv: line 2: "), "{message}");
}

// ---------------------------------------------------------------------------------------
// The size limit of the digits reader.

/// `lines` lines of 64 zero pixels and the label 0: 130 bytes each with its line end.
fn digits_text(lines: usize) -> Vec<u8> {
    format!("{}\n", digits_line(0, 0))
        .repeat(lines)
        .into_bytes()
}

#[test]
fn digits_at_the_limit_read_and_one_byte_more_fails() {
    let text = digits_text(3);
    assert_eq!(text.len(), 390);
    let reader = DigitsReader::new().limit(390);
    for (way, result) in every_way(&text, |r| reader.read(r), |p| reader.load(p)) {
        let digits = result.unwrap_or_else(|error| panic!("{way}: {error}"));
        assert_eq!(digits.len(), 3, "{way}");
    }
    let reader = reader.limit(389);
    for (way, result) in every_way(&text, |r| reader.read(r), |p| reader.load(p)) {
        let error = result.expect_err(way);
        assert!(
            matches!(error.kind(), DigitsErrorKind::TooLarge { limit: 389 }),
            "{way}: {error}"
        );
        assert!(
            error.to_string().contains(
                "limit of 389 bytes of text; if the file is genuine, read it with \
                           a higher limit: `DigitsReader::new().limit(bytes)`"
            ),
            "{way}: {error}"
        );
    }
}

#[test]
fn the_default_digits_reader_is_the_functions() {
    assert_eq!(DigitsReader::default(), DigitsReader::new());
    assert_eq!(
        DigitsReader::new().limit(tapegrad_nn::digits::DEFAULT_LIMIT),
        DigitsReader::new()
    );
    let text = digits_text(2);
    assert_eq!(
        DigitsReader::new().read(text.as_slice()).unwrap(),
        read_digits(text.as_slice()).unwrap()
    );
}

/// 64 MiB of valid lines in a few hundred kB of gzip: reading stops one byte past the
/// limit, holding less than the limit.
#[cfg(feature = "gzip")]
#[test]
fn a_digits_gzip_bomb_stops_at_the_limit() {
    let bomb = gzip_repeated(&[], &digits_text(8066), 64);
    assert!(bomb.len() < ONE_MIB, "{}", bomb.len());
    let reader = DigitsReader::new().limit(ONE_MIB as u64);
    let (result, largest, elapsed) = measured(|| reader.read(bomb.as_slice()));
    let error = result.unwrap_err();
    assert!(
        matches!(error.kind(), DigitsErrorKind::TooLarge { limit } if *limit == ONE_MIB as u64),
        "{error}"
    );
    assert!(largest <= ONE_MIB, "allocated {largest} bytes at once");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn a_plain_digits_file_over_the_default_limit_is_refused_before_it_is_read() {
    use tapegrad_nn::digits::DEFAULT_LIMIT;
    // One line, then zero bytes up to the length (a sparse file: nothing is written).
    let file = TempPath::file("huge-digits.csv", &digits_text(1));
    let handle = std::fs::OpenOptions::new()
        .write(true)
        .open(&file.0)
        .unwrap();
    handle.set_len(DEFAULT_LIMIT + 1).unwrap();
    let (result, largest, elapsed) = measured(|| load_digits(&file.0));
    let error = result.unwrap_err();
    assert!(
        matches!(
            error.kind(),
            DigitsErrorKind::TooLarge {
                limit: DEFAULT_LIMIT
            }
        ),
        "{error}"
    );
    assert_eq!(error.path(), Some(file.0.as_path()));
    assert!(largest < ONE_MIB, "allocated {largest} bytes at once");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");

    // At exactly the limit the file is read, and the zeros after the first line are a
    // line too long.
    handle.set_len(DEFAULT_LIMIT).unwrap();
    let error = load_digits(&file.0).unwrap_err();
    assert!(
        matches!(error.kind(), DigitsErrorKind::Malformed { line: 2, .. }),
        "{error}"
    );
}
