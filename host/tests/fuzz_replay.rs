//! The fuzz targets' checks, run by every `cargo test` without cargo-fuzz: each file of
//! `fuzz/corpus/<target>/` (the seeds, and every input a fuzzing run found, which is how a finding
//! becomes a regression test), then a bounded, deterministic run of mutations of them (byte
//! flips, insertions, deletions, splices: 20,000 per target, the same every run).
//!
//! The checks are the fuzz targets' own code (`fuzz/checks/*.rs`, included as source), so the
//! replay and `cargo fuzz run` can't drift apart. `fuzz/README.md` has the unbounded run.

use std::path::PathBuf;

mod input {
    include!("../../fuzz/checks/input.rs");
}
mod enforce {
    include!("../../fuzz/checks/enforce.rs");
}
mod normalizers {
    include!("../../fuzz/checks/normalizers.rs");
}
mod config {
    include!("../../fuzz/checks/config.rs");
}

const MUTATIONS: usize = 20_000;

/// xorshift64*: a fixed seed, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { usize::try_from(self.next() % n as u64).unwrap_or(0) }
    }
}

/// A mutation of one of `seeds`, the way a coverage-blind fuzzer makes them.
fn mutate(seeds: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, b"{}[]\",:0.-9aZ\\\n \x00\xff"[rng.below(18)]),
            2 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            3 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                let len = rng.below(other.len() - from + 1).min(64);
                let piece = other[from..from + len].to_vec();
                data.splice(at..at, piece);
            }
            _ => {
                let i = rng.below(data.len().max(1));
                if let Some(byte) = data.get_mut(i) {
                    *byte = u8::try_from(rng.below(256)).unwrap_or(0);
                }
            }
        }
    }
    data
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files.iter().map(|file| std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))).collect()
}

fn replay(target: &str, check: fn(&[u8])) {
    let seeds = corpus(target);
    assert!(!seeds.is_empty(), "fuzz/corpus/{target} has no seed");
    for seed in &seeds {
        check(seed);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for n in 0..MUTATIONS {
        let data = mutate(&seeds, &mut rng);
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "fuzz check `{target}` failed on mutation {n}: {:?} (save it to fuzz/corpus/{target}/ as a regression)",
            String::from_utf8_lossy(&data)
        );
    }
}

#[test]
fn input_validation() {
    replay("input", input::check);
}

#[test]
fn contract_enforcement() {
    replay("enforce", enforce::check);
}

#[test]
fn normalizers() {
    replay("normalizers", normalizers::check);
}

#[test]
fn manifest_and_automation_parsers() {
    replay("config", config::check);
}
