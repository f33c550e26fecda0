//! Valgrind client requests (memcheck), emitted directly: the "special instruction" sequence of
//! `valgrind.h` for amd64 (`rol rdi` by 3, 13, 61, 51, then `xchg rbx, rbx`; the request block's
//! address in `rax`, the result in `rdx`). Natively this sequence is a no-op that returns the
//! default value, so the binary also runs outside valgrind (and then checks nothing).
//!
//! Request numbers from `/usr/include/valgrind/{valgrind,memcheck}.h` (valgrind 3.19; they are an
//! ABI that valgrind promises not to change).

#![allow(unsafe_code)]

use core::mem::size_of_val;

const fn tool_base(a: u8, b: u8) -> usize {
    ((a as usize) << 24) | ((b as usize) << 16)
}

/// `VG_USERREQ__RUNNING_ON_VALGRIND`.
const RUNNING_ON_VALGRIND: usize = 0x1001;
/// `VG_USERREQ__COUNT_ERRORS`: the number of (unsuppressed) errors reported so far.
const COUNT_ERRORS: usize = 0x1201;
/// `VG_USERREQ__MAKE_MEM_UNDEFINED` (`VG_USERREQ_TOOL_BASE('M','C') + 1`).
const MAKE_MEM_UNDEFINED: usize = tool_base(b'M', b'C') + 1;
/// `VG_USERREQ__MAKE_MEM_DEFINED`.
const MAKE_MEM_DEFINED: usize = tool_base(b'M', b'C') + 2;
/// `VG_USERREQ__GET_VBITS`: copies the validity bits of a range (1 = undefined) without
/// reporting an error (unlike `CHECK_MEM_IS_DEFINED`, which counts as one).
const GET_VBITS: usize = tool_base(b'M', b'C') + 8;

#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn request(default: usize, req: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let args: [usize; 6] = [req, a1, a2, a3, 0, 0];
    let mut result = default;
    // SAFETY: the sequence only rotates rdi by 128 bits in total (unchanged; declared clobbered
    // anyway) and exchanges rbx with itself; under valgrind the core reads the six words at rax
    // and writes rdx. The memory clobber (no `nomem`) makes the compiler write `args`, and the
    // memory the request names, before it and reload afterwards.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") result,
            out("rdi") _,
            options(nostack),
        );
    }
    core::hint::black_box(&args);
    result
}

#[cfg(not(target_arch = "x86_64"))]
compile_error!("the ctgrind check emits amd64 valgrind client requests only");

/// Whether the program runs under valgrind (0 natively).
pub fn running_on_valgrind() -> usize {
    request(0, RUNNING_ON_VALGRIND, 0, 0, 0)
}

/// Errors valgrind has reported so far (suppressed ones not counted).
pub fn count_errors() -> usize {
    request(0, COUNT_ERRORS, 0, 0, 0)
}

/// Marks `len` bytes at `ptr` undefined: memcheck then reports any branch or address that depends
/// on them (ctgrind: "secret").
pub fn poison_raw(ptr: *const u8, len: usize) {
    request(0, MAKE_MEM_UNDEFINED, ptr as usize, len, 0);
}

/// Marks `len` bytes at `ptr` defined again ("public"): declassification.
pub fn unpoison_raw(ptr: *const u8, len: usize) {
    request(0, MAKE_MEM_DEFINED, ptr as usize, len, 0);
}

/// Marks the whole memory of `value` (its inline bytes, not what it points to) secret.
pub fn poison<T: ?Sized>(value: &T) {
    poison_raw(value as *const T as *const u8, size_of_val(value));
}

/// Marks the whole memory of `value` (its inline bytes, not what it points to) public.
pub fn unpoison<T: ?Sized>(value: &T) {
    unpoison_raw(value as *const T as *const u8, size_of_val(value));
}

/// Under valgrind, the number of bytes of `value` that memcheck holds (partly) undefined;
/// `None` natively. Reports no error.
pub fn undefined_bytes<T: ?Sized>(value: &T) -> Option<usize> {
    let len = size_of_val(value);
    let mut vbits = vec![0u8; len];
    let status = request(
        0,
        GET_VBITS,
        value as *const T as *const u8 as usize,
        vbits.as_mut_ptr() as usize,
        len,
    );
    // Valgrind wrote the bits through the escaped pointer; keep the compiler from assuming zeros.
    let vbits = core::hint::black_box(vbits);
    (status == 1).then(|| vbits.iter().filter(|&&b| b != 0).count())
}

/// Marks secret the one occurrence of `needle` inside the inline memory of `value` (for a secret
/// field of a struct whose layout is private, such as a `TrusteeKey`'s share). Panics unless
/// `needle` occurs exactly once.
pub fn poison_field<T: ?Sized>(value: &T, needle: &[u8]) {
    let base = value as *const T as *const u8;
    let len = size_of_val(value);
    // Padding bytes may be undefined to memcheck; the search below must not branch on them.
    unpoison_raw(base, len);
    // SAFETY: `base..base + len` is the memory of `value`, live and borrowed for this call; every
    // byte is read as a plain `u8` through a raw pointer (padding included, which the harness
    // accepts: the bytes are only compared).
    let bytes: Vec<u8> = (0..len)
        .map(|i| unsafe { core::ptr::read_volatile(base.add(i)) })
        .collect();
    let hits: Vec<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "the secret field occurs {} times in the value's memory",
        hits.len()
    );
    // SAFETY: in bounds, as found above.
    poison_raw(unsafe { base.add(hits[0]) }, needle.len());
}
