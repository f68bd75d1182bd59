//! Replays the fuzzing corpus (`fuzz/corpus/api_calls`, grown by `cargo fuzz run api_calls`) and a
//! few thousand seeded random programs through the same interpreter of C API calls, so that every
//! `cargo test` re-checks what the fuzzer explored: no crash and no DEEPTRACK_STATUS_PANIC.

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
