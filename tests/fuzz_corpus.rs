//! Replays the fuzzing corpus (`fuzz/corpus/api_calls`, grown by `cargo fuzz run api_calls`) and a
//! few thousand seeded random programs through the same interpreter of C API calls, so that every
//! `cargo test` re-checks what the fuzzer explored: no crash, no hang and no DEEPTRACK_STATUS_PANIC.

mod api_program;

use api_program::Machine;
use rand::{Rng, SeedableRng};

#[test]
fn the_fuzzing_corpus_replays_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/api_calls");
    let mut inputs = 0;
    let mut calls = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus directory") {
        let path = entry.unwrap().path();
        calls += Machine::run(&std::fs::read(&path).unwrap());
        inputs += 1;
    }
    println!("{inputs} corpus inputs, {calls} API calls");
    assert!(inputs >= 20, "the corpus has only {inputs} inputs");
}

#[test]
fn seeded_random_programs_run_cleanly() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let mut calls = 0;
    for _ in 0..2_000 {
        let len = rng.random_range(0..160);
        let program: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        calls += Machine::run(&program);
    }
    assert!(calls > 20_000, "only {calls} calls");
}

/// Programs made mostly of the operations that matter to re-entrancy: custom features and callback
/// rules that call the library back (resolve, batch, update, seed, get a property of any slot),
/// chains, batches and resolves. Nothing may hang, panic or fail without a message.
#[test]
fn programs_whose_callbacks_call_the_library_back_run_cleanly() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let (mut calls, mut reentered) = (0, 0);
    for _ in 0..2_000 {
        let len = rng.random_range(0..120);
        let program: Vec<u8> = (0..len)
            .map(|i| match (i % 3, rng.random_range(0..10)) {
                // An op byte: extended (batch, re-entrant callbacks), chain, resolve, update.
                (0, 0..=5) => rng.random_range(240..=255),
                (0, 6) => 4,
                (0, 7) => 10,
                (0, 8) => 9,
                _ => rng.random(),
            })
            .collect();
        let (c, r) = Machine::run_counting(&program);
        calls += c;
        reentered += r;
    }
    assert!(reentered > 400, "only {reentered} calls from callbacks ({calls} calls)");
}
