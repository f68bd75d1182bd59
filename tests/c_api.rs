//! Compiles the C and C++ programs with the system compiler against the freshly built
//! `libdeeptrack` and runs them: the contract test, the bad-input suite, re-entrant calls from
//! callbacks, fork in every state, and the examples.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{lib_dir, root};

/// Compiles `source` with `compiler` (extra `flags`) into executable `name`, linked to libdeeptrack.
/// Each test uses its own `name`, since tests run in parallel.
fn compile(compiler: &str, source: &str, name: &str, flags: &[&str]) -> PathBuf {
    let lib = lib_dir();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let status = Command::new(compiler)
        .args(flags)
        .args(["-Wall", "-Wextra", "-Werror", "-g"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join(source))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-ldeeptrack", "-lm"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(status.success(), "{compiler} failed to compile {source}");
    out
}

/// Runs an executable; returns its standard output, failing the test if it exits non-zero.
fn run(exe: &Path) -> String {
    let output = Command::new(exe).output().expect("run the compiled program");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{} failed:\n{stdout}\n{stderr}", exe.display());
    stdout
}

#[test]
fn c_contract_test_passes() {
    let out = run(&compile("cc", "tests/c/test_api.c", "test_api", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn work_bounds_and_extreme_parameters_from_c() {
    let out = run(&compile("cc", "tests/c/bounds.c", "bounds", &["-std=c11"]));
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn errors_inside_a_microscope_name_the_property_from_c() {
    let out = run(&compile("cc", "tests/c/blame.c", "blame", &["-std=c11"]));
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn finite_inputs_give_finite_images_or_errors_naming_the_property_from_c() {
    let out = run(&compile("cc", "tests/c/finite.c", "finite", &["-std=c11"]));
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn elementwise_and_statistics_kinds_from_c() {
    let out = run(&compile("cc", "tests/c/reductions.c", "reductions", &["-std=c11"]));
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn structural_kinds_are_built_by_name_from_features() {
    let out = run(&compile("cc", "tests/c/structural.c", "structural", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn stack_of_a_feature_and_augmentation_dicts_from_c() {
    let out = run(&compile("cc", "tests/c/stack_dicts.c", "stack_dicts", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn bound_arguments_record_their_dict_from_c() {
    let out = run(&compile("cc", "tests/c/bind_arguments.c", "bind_arguments", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn as_type_tags_and_numpys_power_from_c() {
    let out = run(&compile("cc", "tests/c/features_completion.c", "features_completion", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn zero_d_shapes_and_a_limited_address_space_from_c() {
    // Under mimalloc and under the system allocator: a failed allocation is OUT_OF_MEMORY either way.
    let exe = compile("cc", "tests/c/shapes_memory.c", "shapes_memory", &["-std=c11"]);
    // `batch`: 64 threads where a few fit (an abort, at random, before the batch counted them),
    // three times, as the abort depended on the threads' timing.
    for (system, args) in [(false, &[][..]), (true, &[]), (false, &["batch"]), (true, &["batch"])] {
        for _ in 0..if args.is_empty() { 1 } else { 3 } {
            let mut command = Command::new(&exe);
            command.args(args);
            if system {
                command.env("DEEPTRACK_SYSTEM_ALLOCATOR", "1");
            }
            let output = command.output().expect("run shapes_memory");
            let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            assert!(
                output.status.success(),
                "shapes_memory {args:?} (system allocator: {system}) failed ({:?}):\n{stdout}\n{stderr}",
                output.status
            );
            assert!(stdout.trim_end().ends_with(" passed, 0 failed"), "{stdout}");
        }
    }
}

#[test]
fn parameters_as_numpy_gives_them() {
    std::fs::create_dir_all("target/tmp").unwrap();
    let out = run(&compile("cc", "tests/c/param_arrays.c", "param_arrays", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn narrow_samples_are_lent_in_their_type_and_read_as_doubles() {
    let out = run(&compile("cc", "tests/c/narrow.c", "narrow", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn permuted_images_share_their_samples_and_give_c_order_data() {
    let out = run(&compile("cc", "tests/c/permuted.c", "permuted", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn composed_pipelines_from_c_broadcast_index_and_override_as_deeptrack2() {
    let out = run(&compile("cc", "tests/c/composition.c", "composition", &["-std=c11"]));
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn flips_crops_and_complex_parts_are_strided_views_from_c() {
    let out = run(&compile("cc", "tests/c/views.c", "views", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn flips_and_crops_of_narrow_images_lend_their_samples_with_signed_strides_from_c() {
    let out = run(&compile("cc", "tests/c/narrow_views.c", "narrow_views", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    assert!(!last.starts_with("0 passed"), "{out}");
    print!("{out}");
}

#[test]
fn borrowed_images_share_the_callers_samples_and_release_them_once() {
    let out = run(&compile("cc", "tests/c/borrow.c", "borrow", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn tuples_set_as_property_values_read_back_as_tuples_from_c() {
    let out = run(&compile("cc", "tests/c/tuples.c", "tuples", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    assert!(!last.starts_with("0 passed"), "{out}");
}

#[test]
fn feature_property_names_set_value_and_appending_custom_features_from_c() {
    let out = run(&compile("cc", "tests/c/feature_values.c", "feature_values", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    assert!(!last.starts_with("0 passed"), "{out}");
}

#[test]
fn custom_features_giving_several_images_from_c() {
    let out = run(&compile("cc", "tests/c/list_results.c", "list_results", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    assert!(!last.starts_with("0 passed"), "{out}");
}

#[test]
fn custom_features_giving_no_image_from_c() {
    let out = run(&compile("cc", "tests/c/no_image.c", "no_image", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    assert!(!last.starts_with("0 passed"), "{out}");
}

#[test]
fn sequences_from_c_give_frames_with_their_positions_and_stack_them() {
    let out = run(&compile("cc", "tests/c/sequence.c", "sequence", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn scene_kinds_from_c_place_apart_warn_and_give_complex_images() {
    let out = run(&compile("cc", "tests/c/scene.c", "scene", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn choice_store_and_upscale_kinds_are_built_by_name_from_features() {
    let out = run(&compile("cc", "tests/c/choice_store.c", "choice_store", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn darkfield_iscat_and_holography_are_built_by_name_and_image_brightfields_field() {
    let out = run(&compile("cc", "tests/c/optics_systems.c", "optics_systems", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn absorbing_and_upsampled_scatterers_from_c_image_as_deeptrack2() {
    let out = run(&compile("cc", "tests/c/absorbing.c", "absorbing", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn positions_in_meters_from_c_image_as_the_same_positions_in_pixels() {
    let out = run(&compile("cc", "tests/c/position_unit.c", "position_unit", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn scatterers_record_the_optics_voxel_and_pixel_size_from_c() {
    let out = run(&compile("cc", "tests/c/voxel_size.c", "voxel_size", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn optics_dicts_are_deeptrack2s_from_c() {
    let out = run(&compile("cc", "tests/c/optics_dicts.c", "optics_dicts", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn complex_arrays_are_property_values_from_c() {
    let out = run(&compile("cc", "tests/c/complex_arrays.c", "complex_arrays", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
    valgrind_clean("tests/c/complex_arrays.c", "valgrind_complex_arrays");
}

#[test]
fn int_arrays_are_property_values_from_c() {
    let out = run(&compile("cc", "tests/c/int_arrays.c", "int_arrays", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
    valgrind_clean("tests/c/int_arrays.c", "valgrind_int_arrays");
}

#[test]
fn host_objects_are_property_values_from_c() {
    let out = run(&compile("cc", "tests/c/object_values.c", "object_values", &["-std=c11", "-pthread"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
    valgrind_clean("tests/c/object_values.c", "valgrind_object_values");
}

#[test]
fn complex_images_through_kinds_by_name_from_c() {
    let out = run(&compile("cc", "tests/c/complex_kinds.c", "complex_kinds", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
    valgrind_clean("tests/c/complex_kinds.c", "valgrind_complex_kinds");
}

#[test]
fn holography_kinds_and_the_propagation_matrix_from_c() {
    let out = run(&compile("cc", "tests/c/holography.c", "holography", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn camera_kinds_and_tiff_output_from_c() {
    let out = run(&compile("cc", "tests/c/camera.c", "camera", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn image_table_json_from_c() {
    let out = run(&compile("cc", "tests/c/table.c", "table", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn bad_input_suite_fails_cleanly_and_leaves_the_library_working() {
    let out = run(&compile("cc", "tests/c/bad_input.c", "bad_input", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    let cases: usize = last.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(last.ends_with(" bad-input cases, 0 failed"), "{out}");
    assert!(cases >= 150, "only {cases} bad-input cases");
    print!("{out}");
}

#[test]
fn reentrant_calls_from_callbacks_answer_ok_or_busy_and_never_hang() {
    let out = run(&compile("cc", "tests/c/reentrancy.c", "reentrancy", &["-std=c11", "-pthread"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" checks passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn waits_behind_running_callbacks_are_bounded_and_callbacks_close_at_shutdown_from_c() {
    let out = run(&compile("cc", "tests/c/callback_wait.c", "callback_wait", &["-std=c11", "-pthread"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" checks passed, 0 failed"), "{out}");
    print!("{out}");
}

#[test]
fn forked_children_use_the_library_whatever_the_parent_was_doing() {
    let out = run(&compile("cc", "tests/c/fork.c", "fork", &["-std=c11", "-pthread"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" checks passed, 0 failed"), "{out}");
    print!("{out}");
}

/// fork while other threads' batch workers exit and allocate: with mimalloc's segments all from the
/// OS (`MIMALLOC_DISALLOW_ARENA_ALLOC`), an exiting thread takes the lock of mimalloc's list of
/// abandoned segments, which the library's fork handlers hold through the fork
/// (src/alloc/fork.rs); and with mimalloc's defaults.
#[test]
fn forked_children_batch_while_the_parents_threads_exit_and_allocate() {
    let exe = compile("cc", "tests/c/fork_alloc.c", "fork_alloc", &["-std=c11", "-pthread"]);
    for os_segments in [true, false] {
        let mut command = Command::new(&exe);
        if os_segments {
            command.env("MIMALLOC_DISALLOW_ARENA_ALLOC", "1");
        }
        let output = command.output().expect("run fork_alloc");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "fork_alloc (OS segments: {os_segments}) failed:\n{stdout}\n{stderr}");
        let last = stdout.lines().last().unwrap_or_default();
        assert!(last.ends_with(" checks passed, 0 failed"), "{stdout}");
        print!("{stdout}");
    }
}

/// Runs a C program under valgrind: no invalid access, no definite or indirect leak.
#[test]
fn batches_of_image_and_target_with_a_progress_callback_from_c() {
    let out = run(&compile("cc", "tests/c/batch_progress.c", "batch_progress", &["-std=c11", "-pthread"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    valgrind_clean_with("tests/c/batch_progress.c", "valgrind_batch_progress", &["-std=c11", "-pthread"], &[]);
}

fn valgrind_clean(source: &str, name: &str) {
    valgrind_clean_with(source, name, &["-std=c11"], &[]);
}

/// [`valgrind_clean`] with compiler flags and more valgrind options.
fn valgrind_clean_with(source: &str, name: &str, flags: &[&str], options: &[&str]) {
    let exe = compile("cc", source, name, flags);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name.to_owned() + "-out");
    std::fs::create_dir_all(&dir).expect("an output directory");
    let output = Command::new("valgrind")
        // The system allocator, which valgrind watches (src/alloc.rs), instead of mimalloc.
        .env("DEEPTRACK_SYSTEM_ALLOCATOR", "1")
        // "Possibly lost" blocks are the process-wide FFT plan cache (src/fft.rs), alive until exit.
        .args(["--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect"])
        .args(["--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"])
        .args(options)
        .arg(&exe)
        .arg(&dir)
        .output()
        .expect("valgrind is needed for this test");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "valgrind reports problems in {source}:\n{stderr}");
}

/// The C tests and the examples leak nothing and make no invalid access (valgrind is on every machine
/// of this project's kind; see README).
#[test]
fn c_programs_are_clean_under_valgrind() {
    valgrind_clean("tests/c/test_api.c", "valgrind_test_api");
    valgrind_clean("tests/c/mathkinds.c", "valgrind_mathkinds");
    valgrind_clean("tests/c/blurpool.c", "valgrind_blurpool");
    valgrind_clean("tests/c/pupil.c", "valgrind_pupil");
    valgrind_clean("tests/c/custom_pupil.c", "valgrind_custom_pupil");
    valgrind_clean("tests/c/mie_coefficients.c", "valgrind_mie_coefficients");
    valgrind_clean("examples-c/tutorial.c", "valgrind_tutorial");
    valgrind_clean("examples-c/simulate.c", "valgrind_simulate");
    valgrind_clean("tests/c/feature_values.c", "valgrind_feature_values");
    valgrind_clean("tests/c/scene.c", "valgrind_scene");
    valgrind_clean("tests/c/permuted.c", "valgrind_permuted");
    valgrind_clean("tests/c/composition.c", "valgrind_composition");
    valgrind_clean("tests/c/tuples.c", "valgrind_tuples");
    valgrind_clean("tests/c/camera.c", "valgrind_camera");
    valgrind_clean("tests/c/sequence.c", "valgrind_sequence");
    valgrind_clean("tests/c/no_image.c", "valgrind_no_image");
    valgrind_clean("tests/c/list_results.c", "valgrind_list_results");
    valgrind_clean("examples-c/movie.c", "valgrind_movie");
    valgrind_clean("tests/c/table.c", "valgrind_table");
}

/// The C tests of this round's optics, Mie mathematics and sample types: buffers handed in and out.
#[test]
fn optics_and_mie_programs_are_clean_under_valgrind() {
    valgrind_clean("tests/c/mie.c", "valgrind_mie");
    valgrind_clean("tests/c/mie_optics.c", "valgrind_mie_optics");
    valgrind_clean("tests/c/holography.c", "valgrind_holography");
    valgrind_clean("tests/c/optics_systems.c", "valgrind_optics_systems");
    valgrind_clean("tests/c/absorbing.c", "valgrind_absorbing");
    valgrind_clean("tests/c/features_completion.c", "valgrind_features_completion");
    valgrind_clean("examples-c/optics.c", "valgrind_optics_example");
}

/// Bound arguments: the feature's own reference to them outlives the caller's handle, and nothing leaks.
#[test]
fn bind_arguments_is_clean_under_valgrind() {
    valgrind_clean("tests/c/bind_arguments.c", "valgrind_bind_arguments");
}

#[test]
fn bad_input_suite_is_clean_under_valgrind() {
    valgrind_clean("tests/c/bad_input.c", "valgrind_bad_input");
}

#[test]
fn reentrancy_and_fork_tests_are_clean_under_valgrind() {
    let flags = ["-std=c11", "-pthread"];
    valgrind_clean_with("tests/c/reentrancy.c", "valgrind_reentrancy", &flags, &[]);
    // No invalid access in the parent and the children; leaks are not looked for, since a child
    // leaves with `_exit`, keeping what its parent's threads held (reentrancy.c runs the same code
    // in one process, leaks checked).
    valgrind_clean_with("tests/c/fork.c", "valgrind_fork", &flags, &["--leak-check=no"]);
    valgrind_clean_with("tests/c/fork_alloc.c", "valgrind_fork_alloc", &flags, &["--leak-check=no"]);
}

/// The C tests built with AddressSanitizer and UndefinedBehaviorSanitizer (the C side is instrumented;
/// with `DEEPTRACK_SYSTEM_ALLOCATOR` the library's allocations go through the sanitizer's malloc, so
/// its leaks, double frees and overflows of heap blocks are caught too). Huge requests must come back as allocation failures
/// (`DEEPTRACK_STATUS_OUT_OF_MEMORY`), not abort the process: `allocator_may_return_null=1`.
#[test]
fn c_tests_are_clean_under_address_and_undefined_behavior_sanitizers() {
    for (source, name) in [
        ("tests/c/test_api.c", "asan_test_api"),
        ("tests/c/bad_input.c", "asan_bad_input"),
        ("tests/c/list_results.c", "asan_list_results"),
    ] {
        let flags =
            ["-std=c11", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"];
        let exe = compile("cc", source, name, &flags);
        let output = Command::new(&exe)
            .env("DEEPTRACK_SYSTEM_ALLOCATOR", "1")
            .env("ASAN_OPTIONS", "detect_leaks=1:allocator_may_return_null=1:abort_on_error=0")
            .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
            .output()
            .expect("run the sanitized program");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{source} under ASan+UBSan:\n{stdout}\n{stderr}");
        assert!(!stderr.contains("runtime error"), "{source}: UBSan reports:\n{stderr}");
        assert!(stdout.lines().last().unwrap_or_default().contains(" 0 failed"), "{stdout}");
    }
}

#[test]
fn simulate_example_renders_images_and_reports_every_particle() {
    let exe = compile("cc", "examples-c/simulate.c", "simulate", &["-std=c11"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("simulate-out");
    std::fs::create_dir_all(&dir).expect("an output directory");
    let output = Command::new(&exe).arg(&dir).output().expect("run simulate");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}\n{}", String::from_utf8_lossy(&output.stderr));
    print!("{out}");
    assert!(out.starts_with("fluorescence: 128x128 image"), "{out}");
    assert!(out.contains("\nparticles: 10\n"), "{out}");
    let positions: Vec<(f64, f64)> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("particle ").and_then(|l| l.split(" at (").nth(1)))
        .map(|p| {
            let (x, y) = p.trim_end_matches(')').split_once(", ").expect("x, y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    assert_eq!(positions.len(), 10);
    assert!(positions.iter().all(|&(x, y)| (8.0..120.0).contains(&x) && (8.0..120.0).contains(&y)), "{positions:?}");
    assert!(out.contains("\nemccd: ADU "), "{out}");
    for png in ["fluorescence.png", "brightfield.png", "emccd.png"] {
        let bytes = std::fs::read(dir.join(png)).expect("the PNG was written");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 1000, "{png}");
        assert_picture_is_current(&dir.join(png), &root().join("docs/images").join(png));
    }
}

#[test]
fn optics_example_images_mie_spheres_with_their_ground_truth() {
    let exe = compile("cc", "examples-c/optics.c", "optics_example", &["-std=c11"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("optics-out");
    std::fs::create_dir_all(&dir).expect("an output directory");
    let output = Command::new(&exe).arg(&dir).output().expect("run optics");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}\n{}", String::from_utf8_lossy(&output.stderr));
    print!("{out}");
    // Three random spheres, each with the ground truth its image carries, within the ranges drawn.
    let truths: Vec<Vec<f64>> = out
        .lines()
        .filter(|l| l.starts_with("mie sphere "))
        .map(|l| {
            l.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .filter(|t| t.parse::<f64>().is_ok())
                .map(|t| t.parse().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(truths.len(), 3, "{out}");
    for (i, t) in truths.iter().enumerate() {
        // index, x, y, z, radius (nm), refractive index
        assert_eq!(t.len(), 6, "{t:?}");
        assert_eq!(t[0], i as f64);
        assert!((40.0..=88.0).contains(&t[1]) && (40.0..=88.0).contains(&t[2]), "{t:?}");
        assert!((-5.0..=5.0).contains(&t[3]) && (100.0..=400.0).contains(&t[4]) && (1.37..=1.67).contains(&t[5]));
    }
    assert!(truths[0] != truths[1] && truths[1] != truths[2], "each update draws a new sphere: {truths:?}");
    for png in [
        "mie_aberrated.png",
        "mie_brightfield.png",
        "darkfield.png",
        "iscat.png",
        "holography.png",
        "aberrated_fluorescence.png",
    ] {
        assert!(out.contains(&format!("{png}: values ")), "{out}");
        let (pixels, size) = read_png(&dir.join(png));
        assert_eq!(size, (128, 128), "{png}");
        assert!(pixels.iter().any(|&p| p != pixels[0]), "{png} is uniform");
        assert_picture_is_current(&dir.join(png), &root().join("docs/images").join(png));
    }
}

#[test]
fn movie_example_writes_frames_and_prints_every_frames_positions() {
    let exe = compile("cc", "examples-c/movie.c", "movie", &["-std=c11"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("movie-out");
    std::fs::create_dir_all(&dir).expect("an output directory");
    let output = Command::new(&exe).arg(&dir).output().expect("run movie");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}\n{}", String::from_utf8_lossy(&output.stderr));
    print!("{out}");
    assert!(out.starts_with("movie: 10 frames of 64x64, 5 particles\n"), "{out}");
    assert!(out.contains("\nstacked: (10, 64, 64, 1)\n"), "{out}");
    let tracks: Vec<Vec<(f64, f64)>> = out
        .lines()
        .filter_map(|l| l.strip_prefix("frame ").and_then(|l| l.split_once(": ")))
        .map(|(_, ps)| {
            ps.split(") (")
                .map(|p| {
                    let (x, y) = p.trim_matches(|c| c == '(' || c == ')').split_once(", ").expect("x, y");
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect();
    assert_eq!(tracks.len(), 10);
    assert!(tracks.iter().all(|frame| frame.len() == 5));
    // Every particle moves at every step, by a Brownian step of 1 pixel per axis (far below 30).
    for pair in tracks.windows(2) {
        for (a, b) in pair[0].iter().zip(&pair[1]) {
            assert!(a != b && (a.0 - b.0).abs() < 30.0 && (a.1 - b.1).abs() < 30.0, "{a:?} -> {b:?}");
        }
    }
    for t in 0..10 {
        let bytes = std::fs::read(dir.join(format!("frame-{t:02}.png"))).expect("the PNG was written");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "frame {t}");
    }
    // The multi-page TIFF: a 16-bit page per frame, scaled over the movie, the frames different.
    assert!(out.contains("\nmovie.tif: 10 pages of 64x64, 16-bit, "), "{out}");
    let file = std::fs::File::open(dir.join("movie.tif")).expect("the TIFF was written");
    let mut decoder = tiff::decoder::Decoder::new(std::io::BufReader::new(file)).expect("a TIFF");
    let mut pages: Vec<Vec<u16>> = Vec::new();
    loop {
        assert_eq!(decoder.dimensions().unwrap(), (64, 64));
        match decoder.read_image().unwrap() {
            tiff::decoder::DecodingResult::U16(page) => pages.push(page),
            _ => panic!("page {} is not 16-bit", pages.len()),
        }
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().unwrap();
    }
    assert_eq!(pages.len(), 10);
    assert_eq!(pages.iter().flatten().max(), Some(&65535));
    assert_eq!(pages.iter().flatten().min(), Some(&0));
    assert!(pages.windows(2).all(|p| p[0] != p[1]), "every frame its own page");
}

/// The 16-bit grayscale pixels of a PNG written by `deeptrack_image_save_png`, and its size.
fn read_png(path: &Path) -> (Vec<u16>, (u32, u32)) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("PNG pixels");
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Grayscale, png::BitDepth::Sixteen));
    let pixels = buf[..info.buffer_size()].chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])).collect();
    (pixels, (info.width, info.height))
}

/// The README's picture `committed` shows what the current code renders (`rendered`): the same size,
/// and at most 0.1% of the pixels more than 1% of the range apart (room for rounding in the last bits
/// of an FFT on another CPU; a picture from older code, with other positions, differs almost
/// everywhere). `make pictures` renders them again.
fn assert_picture_is_current(rendered: &Path, committed: &Path) {
    let (new, new_size) = read_png(rendered);
    let (old, old_size) = read_png(committed);
    let stale = format!("{} is stale: render it again with `make pictures` and commit it", committed.display());
    assert_eq!(new_size, old_size, "{stale}");
    let far = new.iter().zip(&old).filter(|&(&a, &b)| a.abs_diff(b) > u16::MAX / 100).count();
    assert!(far * 1000 <= new.len(), "{stale} ({far} of {} pixels differ)", new.len());
}

#[test]
fn tutorial_example_prints_the_tutorial() {
    let out = run(&compile("cc", "examples-c/tutorial.c", "tutorial", &["-std=c11"]));
    print!("{out}");
    let line = |prefix: &str| -> String {
        out.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{out}"))
            .to_owned()
    };
    // 1. One dict after the first resolve.
    assert!(line("properties: [{'position': array([").ends_with("]), 'name': 'Particle'}]"));
    // 2. Merging the cached result keeps one set; after update, two.
    assert_eq!(line("dicts after merging the same image: "), "dicts after merging the same image: 1");
    assert_eq!(line("dicts after update and merge: "), "dicts after update and merge: 2");
    // 3. get_property.
    assert_eq!(line("name: "), "name: 'Particle'");
    assert_eq!(line("all names: "), "all names: ['Particle', 'Particle']");
    assert!(line("all positions: ").starts_with("all positions: [array(["));
    assert_eq!(line("missing, with default: "), "missing, with default: Not found!");
    assert_eq!(line("missing, all, with default: "), "missing, all, with default: Not found!");
    assert_eq!(line("missing: "), "missing: None");
    // 4. track_me through (A ^ 4) >> B.
    assert_eq!(line("track_me: "), "track_me: [0, 0, 0, 0, 1]");
    assert_eq!(line("number of dicts: "), "number of dicts: 7");
    assert_eq!(line("  4: "), "  4: {'N': 4, 'name': 'Repeat'}");
    assert_eq!(line("  6: "), "  6: {'name': 'Chain'}");
    assert!(line("  0: ").ends_with("'track_me': False, 'name': 'Particle', '_ID': [0]}"));
    assert!(line("  5: ").ends_with("'track_me': True, 'name': 'Particle'}"));
    // 5. Three different diffusions through particle ^ 3.
    let diffusions: Vec<f64> = line("diffusion: ")
        .trim_start_matches("diffusion: [")
        .trim_end_matches(']')
        .split(", ")
        .map(|x| x.parse().expect("a number"))
        .collect();
    assert_eq!(diffusions.len(), 3);
    assert!(diffusions.iter().all(|d| (1.0..5.0).contains(d)));
    assert!(diffusions[0] != diffusions[1] && diffusions[1] != diffusions[2] && diffusions[0] != diffusions[2]);
}

#[test]
fn blur_and_pool_call_c_functions() {
    let out = run(&compile("cc", "tests/c/blurpool.c", "blurpool", &["-std=c11"]));
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn pupils_and_illumination_from_c() {
    let out = run(&compile("cc", "tests/c/pupil.c", "pupil", &["-std=c11"]));
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn custom_and_array_pupils_from_c() {
    let out = run(&compile("cc", "tests/c/custom_pupil.c", "custom_pupil", &["-std=c11"]));
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn mie_scatterer_coefficients_from_c() {
    let out = run(&compile("cc", "tests/c/mie_coefficients.c", "mie_coefficients", &["-std=c11"]));
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn border_modes_elastic_transformation_and_average_from_c() {
    let out = run(&compile("cc", "tests/c/mathkinds.c", "mathkinds", &["-std=c11"]));
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn mie_mathematics_from_c() {
    let out = run(&compile("cc", "tests/c/mie.c", "mie", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn radial_center_program_is_clean_under_valgrind() {
    valgrind_clean("tests/c/radialcenter.c", "valgrind_radialcenter");
}

#[test]
fn radial_center_from_c() {
    let out = run(&compile("cc", "tests/c/radialcenter.c", "radialcenter", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn mie_scatterers_imaged_from_c() {
    let out = run(&compile("cc", "tests/c/mie_optics.c", "mie_optics", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn scatterers_whose_volume_a_callback_computes_image_as_the_builtin_kind() {
    let out = run(&compile("cc", "tests/c/scatterer_volume.c", "scatterer_volume", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}

/// The README's C program ("Use it from your program"), as it stands there: it compiles without a
/// warning, prints a 64×64×1 image of 4096 pixels and the three true positions (each coordinate in the
/// sampled range 8 … 56), and leaks nothing under valgrind.
#[test]
fn readme_c_example_compiles_runs_and_is_clean() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = readme.split("\n### Use it from your program\n").nth(1).expect("the README's C section");
    let section = section.split("\n## ").next().unwrap_or_default();
    let blocks: Vec<&str> = section.split("```c\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    assert_eq!(blocks.len(), 1, "one C program in the section");
    let source = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("readme_example.c");
    std::fs::write(&source, blocks[0]).expect("write the example");
    let source = source.to_str().expect("a UTF-8 path");
    let out = run(&compile("cc", source, "readme_example", &["-std=c11"]));
    let prefix = format!("deeptrack {}: a 64x64x1 image (4096 pixels), positions [", env!("CARGO_PKG_VERSION"));
    assert!(out.starts_with(&prefix), "{out}");
    let numbers: Vec<f64> = out[prefix.len()..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 6, "three 2-d positions: {out}");
    assert!(numbers.iter().all(|x| (8.0..=56.0).contains(x)), "{out}");
    valgrind_clean(source, "valgrind_readme_example");
}

#[test]
fn fidelity_fixes_from_c() {
    let fixtures = format!("-DFIXTURES=\"{}\"", root().join("tests/fixtures/deeptrack-2.0.1/files").display());
    let tmp = format!("-DTMPDIR=\"{}\"", env!("CARGO_TARGET_TMPDIR"));
    let out = run(&compile("cc", "tests/c/fidelity.c", "fidelity", &["-std=c11", &fixtures, &tmp]));
    assert!(out.ends_with(" 0 failed\n"), "{out}");
}

#[test]
fn images_of_every_numpy_type_are_made_from_c_and_keep_it() {
    let out = run(&compile("cc", "tests/c/typed_images.c", "typed_images", &["-std=c11"]));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    print!("{out}");
}
