//! Replays every input kept in the fuzzing corpora (`fuzz/corpus/<target>/`) through the harness
//! `cargo fuzz` runs (`fuzz/src/lib.rs`): an input that once crashed a parser stays a test, and
//! the harness itself is built and exercised on every CI run.

#[path = "../../../../fuzz/src/lib.rs"]
mod harness;

#[test]
fn every_kept_fuzzing_input_is_handled_without_a_crash() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for (name, target) in harness::TARGETS {
        let mut inputs = 0;
        for entry in std::fs::read_dir(root.join(name)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            target(&bytes);
            inputs += 1;
        }
        assert!(inputs >= 3, "the {name} corpus is kept ({inputs} inputs)");
    }
}
