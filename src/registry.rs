//! Where the tapes of a thread live. With [`edges`](crate::edges), the only `unsafe` code
//! of the crate.
//!
//! A [`Var`](crate::Var) is plain data — a value, a node index and a generation — so that
//! it is `Copy`, `Send`, `Sync` and can be a nalgebra scalar. It holds no pointer to its
//! tape. An operation on Vars finds the tape to record on through this module:
//!
//! - every thread has an *active* storage pointer, set by each call of a [`Tape`]
//!   method; an operation whose operands carry the active storage's generation records
//!   there at the cost of one thread-local load and one comparison;
//! - otherwise the thread's list of live tapes is searched for that generation (two tapes
//!   used in turn on one thread), and the match becomes the active one;
//! - a generation found nowhere on this thread is a Var whose tape was cleared or dropped,
//!   or a Var of a tape that lives on another thread: both panic with a message saying
//!   which, from a global table of live generations that only tape creation, `clear` and
//!   drop touch.
//!
//! [`Tape`]: crate::Tape

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::{self, ThreadId};

use crate::storage::Storage;

/// The generation that no tape is ever given, so that a Var can carry it to say that it
/// is a constant ([`CONSTANT`](crate::var::CONSTANT)).
pub(crate) const NO_TAPE: u32 = 0;

static NEXT_GENERATION: AtomicU32 = AtomicU32::new(1);

/// Every live generation and the thread its tape lives on: read only to explain a panic.
static LIVE: Mutex<BTreeMap<u32, ThreadId>> = Mutex::new(BTreeMap::new());

thread_local! {
    /// The storage that this thread's last tape call or operation recorded on, or null.
    static ACTIVE: Cell<*mut Storage> = const { Cell::new(ptr::null_mut()) };
    /// Every storage owned by a live tape of this thread, with its generation: the
    /// search for a generation reads this list and never the storages themselves, so
    /// that it can run while a storage is borrowed.
    static HERE: RefCell<Vec<(u32, NonNull<Storage>)>> = const { RefCell::new(Vec::new()) };
}

/// A generation that no live tape holds, taken while `live` is locked, so that no other
/// thread can take it meanwhile.
///
/// Generations count up from 1 and wrap after 2^32 tapes and clears, skipping
/// [`NO_TAPE`] and every generation still held by a live tape: a tape that lives across
/// the wrap keeps its generation to itself, so correct code is never corrupted. A stale
/// Var (one whose tape was cleared or dropped) is caught by its generation; after the
/// wrap its generation can be handed out again, and a stale Var used exactly while a
/// live tape holds its old generation reads that tape's node instead of panicking. That
/// takes 2^32 tapes or clears between the Var's making and its use, and then the chance
/// that a given use goes unnoticed is (live tapes) / 2^32.
fn next_generation(live: &BTreeMap<u32, ThreadId>) -> u32 {
    loop {
        let generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
        if generation != NO_TAPE && !live.contains_key(&generation) {
            return generation;
        }
    }
}

/// The live generations, each with its tape's thread: a map, so that making, clearing
/// and dropping a tape cost a logarithm of the number of live tapes.
fn live() -> std::sync::MutexGuard<'static, BTreeMap<u32, ThreadId>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The storage of one tape, owned by that tape and registered with its thread.
///
/// Neither `Send` nor `Sync`: the storage is reached through the thread-local pointers of
/// the thread that created it, so it must stay on that thread.
#[derive(Debug)]
pub(crate) struct Slot {
    storage: NonNull<Storage>,
    _not_send_sync: PhantomData<*mut Storage>,
}

impl Slot {
    /// Creates and registers an empty storage with room for `edges` edges.
    pub(crate) fn new(edges: usize) -> Self {
        let generation = {
            let mut live = live();
            let generation = next_generation(&live);
            live.insert(generation, thread::current().id());
            generation
        };
        let storage = NonNull::from(Box::leak(Box::new(Storage::new(generation, edges))));
        HERE.with(|here| here.borrow_mut().push((generation, storage)));
        ACTIVE.with(|active| active.set(storage.as_ptr()));
        Slot {
            storage,
            _not_send_sync: PhantomData,
        }
    }

    /// Runs `f` on the storage and makes it this thread's active one.
    ///
    /// `f` must not call back into [`with`](Self::with) or [`record`]: every caller passes
    /// a closure of this crate that only reads or pushes.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Storage) -> R) -> R {
        let storage = self.storage.as_ptr();
        ACTIVE.with(|active| active.set(storage));
        // SAFETY: `storage` came from `Box::leak` in `new` and is freed only in `drop`, so
        // it is valid for as long as `self` is. The slot is neither Send nor Sync, so this
        // is the storage's own thread, where no other reference to it exists while `f`
        // runs: `with` and `record` create their `&mut` only for the length of a crate
        // closure that does not reach them again.
        f(unsafe { &mut *storage })
    }

    /// Forgets every node and moves the storage to a new generation, so that Vars of the
    /// old one panic instead of reading the new one's nodes.
    pub(crate) fn clear(&mut self) {
        let old = self.with(|storage| storage.generation);
        let generation = {
            let mut live = live();
            let generation = next_generation(&live);
            if let Some(thread) = live.remove(&old) {
                live.insert(generation, thread);
            }
            generation
        };
        self.with(|storage| storage.clear(generation));
        let storage = self.storage;
        HERE.with(|here| {
            if let Some(entry) = here.borrow_mut().iter_mut().find(|(_, s)| *s == storage) {
                entry.0 = generation;
            }
        });
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let storage = self.storage.as_ptr();
        // A tape dropped while its thread's locals are being destroyed finds them gone;
        // nothing can use them afterwards, so there is nothing to unregister.
        let _ = ACTIVE.try_with(|active| {
            if active.get() == storage {
                active.set(ptr::null_mut());
            }
        });
        let _ = HERE.try_with(|here| here.borrow_mut().retain(|(_, s)| s.as_ptr() != storage));
        // SAFETY: `storage` came from `Box::leak` in `new`, this is its only owner, and
        // it has just been removed from this thread's pointers, so nothing can reach it.
        let storage = unsafe { Box::from_raw(storage) };
        live().remove(&storage.generation);
    }
}

/// Runs `f` on the storage of the tape with `generation`, for an operation on Vars.
///
/// # Panics
///
/// If no live tape of this thread has `generation` (see the module docs).
#[inline(always)]
pub(crate) fn record<R>(generation: u32, f: impl FnOnce(&mut Storage) -> R) -> R {
    let mut storage = ACTIVE.with(Cell::get);
    // SAFETY: ACTIVE is null or points to the storage of a live tape of this thread
    // (`Slot::drop` resets it before freeing), and no reference to that storage is held
    // while an operation runs (see `Slot::with`).
    if storage.is_null() || unsafe { (*storage).generation } != generation {
        storage = find(generation);
    }
    // SAFETY: as above, and `find` returns only such storages; the `&mut` lives only
    // while `f`, a crate closure that pushes edges, runs.
    f(unsafe { &mut *storage })
}

/// Runs `f` on the storage of this thread's live tape with `generation`, if there is one,
/// and does nothing otherwise: for the checked mode's bookkeeping of comparisons, which
/// must not panic where the comparison it watches does not.
#[cold]
#[inline(never)]
pub(crate) fn record_if_live(generation: u32, f: impl FnOnce(&mut Storage)) {
    let found = HERE.with(|here| {
        let here = here.borrow();
        here.iter()
            .find(|&&(held, _)| held == generation)
            .map(|&(_, storage)| storage)
    });
    if let Some(storage) = found {
        // SAFETY: HERE holds only storages of live tapes of this thread, and comparisons
        // of Vars, the only callers, run in user code, where no reference to a storage is
        // held (see `Slot::with`); the `&mut` lives only while `f` pushes one entry.
        f(unsafe { &mut *storage.as_ptr() })
    }
}

/// Checks that a live tape of this thread has `generation`, and makes it the active one.
///
/// # Panics
///
/// As [`record`].
#[inline]
pub(crate) fn resolve(generation: u32) {
    record(generation, |_| ());
}

/// The storage of this thread's live tape with `generation`, made the active one.
#[cold]
#[inline(never)]
fn find(generation: u32) -> *mut Storage {
    let found = HERE.with(|here| {
        let here = here.borrow();
        here.iter()
            .find(|&&(held, _)| held == generation)
            .map(|&(_, storage)| storage)
    });
    match found {
        Some(storage) => {
            let storage = storage.as_ptr();
            ACTIVE.with(|active| active.set(storage));
            storage
        }
        None => not_here(generation),
    }
}

/// Panics for a Var whose generation no live tape of this thread has.
#[cold]
#[inline(never)]
pub(crate) fn not_here(generation: u32) -> ! {
    let owner = live().get(&generation).copied();
    match owner {
        Some(thread) => panic!(
            "tapegrad: this Var belongs to a Tape on another thread ({thread:?}, this is \
             {:?}). A Tape and its Vars are used on the thread that created the tape: send \
             plain f64 values between threads and create one Tape per thread",
            thread::current().id()
        ),
        None => panic!(
            "tapegrad: this Var's Tape has been cleared or dropped since the Var was made, \
             so its node no longer exists. Keep Vars only until the next Tape::clear, and \
             read results out as f64 (Var::value, Gradients::wrt) before that"
        ),
    }
}

/// Panics for an operation on Vars of two different tapes.
#[cold]
#[inline(never)]
pub(crate) fn mixed_tapes(a: u32, b: u32) -> ! {
    let live = live();
    let both_live = live.contains_key(&a) && live.contains_key(&b);
    drop(live);
    if both_live {
        panic!(
            "tapegrad: an operation mixes Vars of two different Tapes. Every Var of one \
             computation must come from the same Tape; to use a value of another tape, take \
             its f64 value (Var::value) and make a new Var or constant from it"
        )
    }
    // At most one of them is live on this thread: `find` panics for the other.
    find(a);
    find(b);
    unreachable!("two live generations that are not both live")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tape;

    /// Moves the global counter so that the next generation handed out is `next`, as
    /// 2^32 tapes and clears would (the unit tests share the counter; with the rule
    /// under test, moving it cannot hurt them).
    fn come_round_to(next: u32) {
        NEXT_GENERATION.store(next, Ordering::Relaxed);
    }

    #[test]
    fn a_generation_held_by_a_live_tape_is_not_handed_out_again() {
        // The input, with the 2^32 - 2 clears replaced by moving the counter.
        let a = Tape::new();
        let xa = a.var(2.0);
        let mut b = Tape::new();
        come_round_to(xa.generation);
        b.clear();
        let _ = b.len(); // b becomes the thread's active tape
        let held = b.with_storage(|storage| storage.generation);
        assert_ne!(held, xa.generation);
        let ya = xa * xa;
        assert_eq!(a.backward(ya)[xa], 4.0);
        assert_eq!(b.len(), 0, "nothing was recorded on b");

        // A new tape skips it too.
        come_round_to(xa.generation);
        let c = Tape::new();
        assert_ne!(c.with_storage(|storage| storage.generation), xa.generation);
    }

    #[test]
    fn the_wrap_skips_the_constants_generation() {
        let mut tape = Tape::new();
        come_round_to(u32::MAX);
        tape.clear();
        tape.clear();
        let x = tape.var(3.0);
        assert_ne!(x.generation, NO_TAPE);
        assert!(!x.is_constant());
        let y = x * x;
        assert_eq!(tape.backward(y)[x], 6.0);
    }
}
