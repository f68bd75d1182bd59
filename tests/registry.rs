//! The registry of kinds is the single source of truth: every registered kind builds with its
//! spec's defaults, the names the library accepts are the table's, and constants are checked against
//! the spec when they are set (and sampled values when they are read).

use deeptrack::features::registry::{self, Const, ParamDefault, ParamKind, ParamSpec, Support};
use deeptrack::features::{self, builtin_names};
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn repr(v: &Value) -> String {
    v.to_string()
}

#[test]
fn every_registered_kind_builds_with_its_defaults() {
    let mut leaves = 0;
    for spec in registry::kinds() {
        let feature_params: Vec<&ParamSpec> = spec.params.iter().filter(|p| p.is_feature()).collect();
        let required = feature_params.iter().any(|p| matches!(p.default, ParamDefault::Required));
        if !feature_params.is_empty() && !required {
            // Optional feature parameters (`Sin(feature)`): built with one as well as without.
            let dummies = feature_params.iter().map(|_| features::builtin("DummyFeature").unwrap()).collect();
            let f = registry::build(spec.name, dummies).unwrap();
            assert_eq!(f.get_property("name").unwrap().as_str().unwrap(), spec.name);
        }
        if required {
            // Kinds built from features say which ones they take.
            let err = registry::build(spec.name, Vec::new()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{}", spec.name);
            assert!(err.to_string().starts_with(&format!("{} takes", spec.name)), "{err}");
            assert!(features::builtin(spec.name).is_none());
            let dummies = feature_params.iter().map(|_| features::builtin("DummyFeature").unwrap()).collect();
            let f = registry::build(spec.name, dummies).unwrap();
            assert_eq!(f.get_property("name").unwrap().as_str().unwrap(), spec.name);
            continue;
        }
        leaves += 1;
        let f = features::builtin(spec.name).unwrap_or_else(|| panic!("{} does not build", spec.name));
        assert!(std::ptr::eq(f.spec().unwrap(), spec));
        // The properties: the spec's default properties in order, then name.
        let expected: Vec<&str> =
            spec.params.iter().filter(|p| p.is_default_property()).map(|p| p.name).chain(["name"]).collect();
        assert_eq!(f.property_names(), expected, "{}", spec.name);
        for p in spec.params {
            match p.default {
                ParamDefault::Value(c) if p.support == Support::Full => {
                    assert_eq!(repr(&f.get_property(p.name).unwrap()), repr(&c.to_value()), "{}.{}", spec.name, p.name);
                    // The default is a valid value of its own parameter.
                    p.validate(&c.to_value()).unwrap_or_else(|e| panic!("{}.{}: {e}", spec.name, p.name));
                }
                ParamDefault::Sampled(_) => assert!(f.get_property(p.name).is_ok()),
                _ => assert!(!f.has_property(p.name), "{}.{} is not a property unless set", spec.name, p.name),
            }
        }
        assert_eq!(f.get_property("name").unwrap().as_str().unwrap(), spec.name);
        // Positional parameters are parameters (or DeepTrack2's `_input`).
        for name in spec.positional {
            assert!(*name == "_input" || spec.param(name).is_some(), "{}: positional {name}", spec.name);
        }
        assert!(!spec.doc.is_empty() && spec.params.iter().all(|p| !p.doc.is_empty()), "{}", spec.name);
    }
    assert!(leaves >= 37, "{leaves} kinds built");
}

/// `KindSpec::bool_output` (what bindings read to give numpy's bool scalar, as 2.0.1, from a
/// comparison of a 0-d input) says exactly which kinds give numpy's bools: every built-in kind that
/// resolves with its defaults on a float image of 3 x 3 (the comparisons with `value` 0.5) gives bools
/// if and only if its spec says so.
#[test]
fn bool_output_is_the_kinds_that_give_bools() {
    let mut resolved = 0;
    let mut bools = Vec::new();
    for spec in registry::kinds() {
        if spec.params.iter().any(|p| p.is_feature() && matches!(p.default, ParamDefault::Required))
            || matches!(spec.module, "optics" | "scatterers" | "holography" | "sequences")
        {
            assert!(!spec.bool_output, "{}", spec.name);
            continue;
        }
        let f = features::builtin(spec.name).unwrap();
        if spec.param("value").is_some() && spec.base == "ArithmeticOperationFeature" {
            f.set_property("value", Rule::constant(0.5)).unwrap();
        }
        let input = Image::new(ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[3, 3]), |i| i[0] as f64 * 0.3 + 0.1));
        let Ok(out) = f.resolve(Some(&input)) else { continue };
        let Some(img) = out.first() else { continue };
        resolved += 1;
        let gives_bools = img.dtype() == deeptrack::dtype::Dtype::Bool;
        assert_eq!(gives_bools, spec.bool_output, "{}", spec.name);
        if gives_bools {
            bools.push(spec.name);
        }
    }
    assert!(resolved >= 60, "{resolved} kinds resolved");
    assert_eq!(bools, ["GreaterThan", "LessThan", "GreaterThanOrEquals", "LessThanOrEquals", "Equals"]);
}

#[test]
fn builtin_names_is_the_table() {
    let table: Vec<&str> =
        registry::kinds().flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied())).collect();
    assert_eq!(builtin_names(), table);
    // The kind the hand-kept lists forgot.
    assert!(builtin_names().contains(&"AverageBlur"));
    let mut sorted = table.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), table.len(), "a name is registered twice");
    // An alias builds its kind, named by its class name.
    for (alias, kind) in [("Equal", "Equals"), ("GreaterThanOrEqual", "GreaterThanOrEquals"), ("Branch", "Chain")] {
        assert_eq!(registry::find(alias).unwrap().name, kind);
    }
    let f = features::builtin("LessThanOrEqual").unwrap();
    assert_eq!(f.get_property("name").unwrap().as_str().unwrap(), "LessThanOrEquals");
    // The "known kinds" error lists the table.
    let err = registry::build("Nope", Vec::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.to_string(), format!("unknown feature kind 'Nope'; known kinds: {}", table.join(", ")));
    // A misspelt name is answered with the closest kind: another case, a transposition, a letter
    // missing or too many; an alias is suggested as itself. Nothing is suggested for a name far from all.
    for (typo, kind) in [
        ("gaussian", "Gaussian"),
        ("PointParticel", "PointParticle"),
        ("Fluorescense", "Fluorescence"),
        ("Brightfeld", "Brightfield"),
        ("NormaliseMinMax", "NormalizeMinMax"),
        ("GreaterThanOrEqul", "GreaterThanOrEqual"),
    ] {
        assert_eq!(registry::closest(typo), Some(kind), "{typo}");
        let err = registry::build(typo, Vec::new()).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("unknown feature kind '{typo}' (did you mean '{kind}'?); known kinds: ")),
            "{err}"
        );
    }
    for far in ["Nope", "Particle", "Xyzzy", ""] {
        assert_eq!(registry::closest(far), None, "{far}");
    }
}

#[test]
fn constants_are_checked_against_the_spec_when_set() {
    let set = |kind: &str, key: &str, v: Value| {
        features::builtin(kind).unwrap().set_property(key, Rule::constant(v)).map_err(|e| (e.kind(), e.to_string()))
    };
    let err = |kind: &str, key: &str, v: Value| set(kind, key, v).unwrap_err();
    // Every bounded number of every kind: above its maximum, below its minimum, and not a number.
    let mut bounded = 0;
    for spec in registry::kinds().filter(|k| !k.params.iter().any(ParamSpec::is_feature)) {
        for p in spec.params.iter().filter(|p| p.support == Support::Full) {
            if matches!(p.kind, ParamKind::Number | ParamKind::Integer) {
                let (kind, message) = err(spec.name, p.name, Value::str("a"));
                assert_eq!(kind, ErrorKind::TypeMismatch);
                assert_eq!(
                    message,
                    format!("property '{}' of feature '{}': expected a number, got a string", p.name, spec.name)
                );
                if p.max.is_finite() && p.max < f64::MAX {
                    let (kind, message) = err(spec.name, p.name, Value::Float(p.max * 10.0));
                    assert_eq!(kind, ErrorKind::InvalidArgument);
                    assert!(message.ends_with(&format!("exceeds the maximum of {}", p.max)), "{message}");
                    bounded += 1;
                }
                if p.min == 0.0 {
                    let (_, message) = err(spec.name, p.name, Value::Float(-1.0));
                    assert!(message.contains("expected a positive") || message.contains("non-negative"), "{message}");
                }
            }
        }
    }
    assert!(bounded >= 3, "{bounded}");
    assert_eq!(
        err("GaussianBlur", "sigma", Value::Float(2e6)).1,
        "property 'sigma' of feature 'GaussianBlur': 2000000 exceeds the maximum of 1000000"
    );
    assert_eq!(
        err("AverageBlur", "ksize", Value::Int(0)).1,
        "property 'ksize' of feature 'AverageBlur': expected a positive integer, got 0"
    );
    assert_eq!(
        err("Crop", "crop_mode", Value::str("keep")).1,
        "property 'crop_mode' of feature 'Crop': expected 'retain' or 'remove', got 'keep'"
    );
    // A parameter implemented at its default only refuses other constants.
    let (_, message) = err("LoadImage", "load_options", Value::Int(2));
    assert!(message.starts_with("property 'load_options' of feature 'LoadImage': only "), "{message}");
    assert!(message.contains("is supported by libdeeptrack, got 2"), "{message}");
    // Every scatterer's upsample, the Mie ones' too, is any positive whole number (DeepTrack2 2.0.1
    // ignores it).
    assert!(set("MieSphere", "upsample", Value::Int(2)).is_ok());
    // A volume scatterer's upsample is any positive whole number (DeepTrack2 2.0.1 ignores it).
    assert!(set("Sphere", "upsample", Value::Int(1)).is_ok());
    assert!(set("Sphere", "upsample", Value::Int(2)).is_ok());
    let (kind, message) = err("Sphere", "upsample", Value::Int(0));
    assert_eq!(kind, ErrorKind::InvalidArgument);
    assert!(message.starts_with("property 'upsample' of feature 'Sphere': "), "{message}");
    assert!(set("Pad", "mode", Value::str("reflect")).is_ok());
    assert_eq!(
        err("Sphere", "position", Value::vector(&[1.0])).1,
        "property 'position' of feature 'Sphere': expected 2 or 3 numbers, got 1"
    );
    assert_eq!(
        err("FlipLR", "augment", Value::Int(1)).1,
        "property 'augment' of feature 'FlipLR': expected a bool, got an integer"
    );
    assert_eq!(
        err("Clip", "min", Value::Float(f64::NAN)).1,
        "property 'min' of feature 'Clip': expected a number, got NaN"
    );
    assert_eq!(
        err("Gaussian", "mu", Value::Float(f64::INFINITY)).1,
        "property 'mu' of feature 'Gaussian': expected a finite number, got inf"
    );
    // Keys the kind does not declare are metadata; optional ones are checked when given.
    assert!(set("GaussianBlur", "track_me", Value::str("anything")).is_ok());
    assert!(set("Sphere", "intensity", Value::None).is_ok());
    assert!(err("Sphere", "intensity", Value::str("bright")).1.contains("expected a number, got a string"));
    // A feature of your own has no spec: nothing is checked.
    let custom = Feature::custom("GaussianBlur", |_, _| Ok(None));
    assert!(custom.set_property("sigma", Rule::constant(-1.0)).is_ok());
}

#[test]
fn sampled_values_are_checked_when_read() {
    let blur = features::builtin("GaussianBlur").unwrap();
    blur.set_property("sigma", Rule::uniform(2e6, 3e6).unwrap()).unwrap();
    let err = blur.resolve(Some(&Image::zeros(&[4, 4]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().starts_with("property 'sigma' of feature 'GaussianBlur': 2"), "{err}");
    assert!(err.to_string().ends_with("exceeds the maximum of 1000000"), "{err}");
    let flip = features::builtin("FlipUD").unwrap();
    flip.set_property("p", Rule::choice(vec![Value::Float(1.5)]).unwrap()).unwrap();
    let err = flip.resolve(Some(&Image::zeros(&[2, 2]))).unwrap_err();
    assert_eq!(err.to_string(), "property 'p' of feature 'FlipUD': 1.5 exceeds the maximum of 1");
}

/// The parameter kinds that the next kinds need (axes, operands, vectors, strings, nullable values),
/// checked directly.
#[test]
fn parameter_kinds_accept_what_they_say() {
    let spec = |kind: ParamKind| ParamSpec::new("x", kind, ParamDefault::Required, "a test parameter");
    let ok = |p: &ParamSpec, v: Value| p.validate(&v).map_err(|e| e.to_string());
    let ints = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());

    let axis = spec(ParamKind::Axis);
    assert!(ok(&axis, Value::None).is_ok() && ok(&axis, Value::Int(-1)).is_ok() && ok(&axis, ints(&[0, 1])).is_ok());
    assert_eq!(
        ok(&axis, Value::Float(1.5)).unwrap_err(),
        "expected an axis: None, an integer or integers, got a float"
    );
    assert!(ok(&axis, Value::List(vec![Value::Int(0), Value::str("a")])).is_err());

    let vector = ParamSpec { min: 0.0, max: 10.0, ..spec(ParamKind::Vector { min_len: 2, max_len: 2, whole: true }) };
    assert!(ok(&vector, ints(&[1, 10])).is_ok());
    assert_eq!(ok(&vector, ints(&[1, 2, 3])).unwrap_err(), "expected 2 numbers, got 3");
    assert_eq!(ok(&vector, Value::vector(&[1.0, 11.0])).unwrap_err(), "11 exceeds the maximum of 10");
    assert_eq!(ok(&vector, Value::vector(&[1.0, 0.5])).unwrap_err(), "expected a non-negative integer, got 0.5");

    let mode = spec(ParamKind::Str { choices: &["constant", "reflect", "wrap"] });
    assert_eq!(ok(&mode, Value::str("edge")).unwrap_err(), "expected one of 'constant', 'reflect', 'wrap', got 'edge'");
    assert!(ok(&spec(ParamKind::Str { choices: &[] }), Value::str("anything")).is_ok());

    let operands = spec(ParamKind::Arrays);
    assert!(ok(&operands, Value::List(vec![Value::vector(&[1.0, 2.0]), Value::Float(f64::NAN)])).is_ok());
    assert!(ok(&operands, Value::str("a")).is_err());
    let bounded = ParamSpec { min: 0.0, max: 1.0, ..spec(ParamKind::Array) };
    assert_eq!(ok(&bounded, Value::vector(&[0.5, 2.0])).unwrap_err(), "2 exceeds the maximum of 1");

    let open = ParamSpec { min: 0.0, max: 1.0, min_open: true, max_open: true, ..spec(ParamKind::Number) };
    assert_eq!(ok(&open, Value::Float(0.0)).unwrap_err(), "expected a positive number, got 0");
    assert_eq!(ok(&open, Value::Float(1.0)).unwrap_err(), "expected a number less than 1, got 1");
    let nullable = ParamSpec { nullable: true, ..spec(ParamKind::Number) };
    assert!(ok(&nullable, Value::None).is_ok() && ok(&spec(ParamKind::Number), Value::None).is_err());

    // Feature and callback parameters are not properties: constants are refused for them.
    let chain = registry::find("Chain").unwrap();
    assert_eq!(
        chain.validate("feature_1", &Value::Int(1)).unwrap_err().to_string(),
        "property 'feature_1': 'feature_1' is a feature given at construction, not a property"
    );
    // Constant defaults keep DeepTrack2's Python types: tuples stay tuples, lists lists, ints ints.
    let tuple = |v: Vec<Value>| Value::Tuple(v);
    assert_eq!(Const::IntTuple(&[1, 2]).to_value().to_string(), tuple(vec![Value::Int(1), Value::Int(2)]).to_string());
    assert!(
        matches!(Const::IntTuple(&[1, 2]).to_value(), Value::Tuple(v) if matches!(v[..], [Value::Int(1), Value::Int(2)]))
    );
    assert!(matches!(Const::FloatTuple(&[0.5]).to_value(), Value::Tuple(v) if matches!(v[..], [Value::Float(0.5)])));
    assert!(matches!(Const::FloatList(&[0.5]).to_value(), Value::List(v) if matches!(v[..], [Value::Float(0.5)])));
}

// -- the README's table of kinds, generated from the registry ----------------------------------------

const TABLE_START: &str = "<!-- kinds: generated from the registry by `make docs`; do not edit -->";
const TABLE_END: &str = "<!-- end of kinds -->";

/// A default as the table shows it (Python's spelling).
fn default_text(p: &ParamSpec) -> String {
    match p.default {
        ParamDefault::Value(Const::Floats(v)) => {
            format!("({})", v.iter().map(|x| format!("{x}")).collect::<Vec<_>>().join(", "))
        }
        ParamDefault::Value(c) => c.to_value().to_string(),
        ParamDefault::Required => String::new(),
        ParamDefault::Absent | ParamDefault::Sampled(_) => "None".to_owned(),
    }
}

/// The README's table of built-in kinds: one row per kind, with its DeepTrack2 module, its
/// parameters and defaults (those implemented at their default only are marked), and its doc.
fn kinds_table() -> String {
    let mut out = format!(
        "{TABLE_START}\n| kind | DeepTrack2 module | parameters (defaults; † only the default is implemented) | what it \
         computes |\n|---|---|---|---|\n"
    );
    for k in registry::kinds() {
        let mut name = format!("`{}`", k.name);
        if !k.aliases.is_empty() {
            let aliases: Vec<String> = k.aliases.iter().map(|a| format!("`{a}`")).collect();
            name = format!("{name} ({})", aliases.join(", "));
        }
        let params: Vec<String> = k
            .params
            .iter()
            .map(|p| {
                let default = default_text(p);
                let mark = if p.support == Support::OnlyDefault { "†" } else { "" };
                if default.is_empty() { format!("`{}`{mark}", p.name) } else { format!("`{}={default}`{mark}", p.name) }
            })
            .collect();
        let doc = k.doc.replace('|', "\\|");
        out += &format!("| {name} | {} | {} | {doc} |\n", k.module, params.join(", "));
    }
    out + TABLE_END
}

#[test]
fn the_readme_table_of_kinds_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(TABLE_START).expect("the README has the table's start marker");
    let end = readme.find(TABLE_END).expect("the README has the table's end marker") + TABLE_END.len();
    let current = &readme[start..end];
    let table = kinds_table();
    if std::env::var("DEEPTRACK_UPDATE_DOCS").as_deref() == Ok("1") {
        if current != table {
            std::fs::write(&path, format!("{}{table}{}", &readme[..start], &readme[end..])).unwrap();
        }
        return;
    }
    assert!(current == table, "the README's table of kinds is stale: regenerate it with `make docs` and commit it");
    for k in registry::kinds() {
        assert!(table.contains(&format!("| `{}`", k.name)));
    }
}

// -- no kind name list outside the registry ----------------------------------------------------------

/// Where a list of kind names would be a second source of truth: lines of `text` with a window of
/// [`WINDOW`] lines holding at least [`LIST_NAMES`] distinct registered kind names as string literals
/// (`"Name"` or `'Name'`) from at least [`LIST_MODULES`] DeepTrack2 modules. Code that builds a few
/// specific features, or maps operators to one module's kinds, stays below it; an enumeration of the
/// kinds across families does not. A table of results per kind (what DeepTrack2 gives for each) is a
/// test of those kinds, not a list of the registry: a comment saying `per-kind expectations` exempts
/// the lines from it to the end of its block (a line `};` or an empty line).
fn kind_lists(text: &str) -> Vec<usize> {
    let mut exempt = false;
    let lines: Vec<&str> = text
        .lines()
        .map(|line| {
            if line.contains("per-kind expectations") {
                exempt = true;
            } else if exempt && matches!(line.trim(), "" | "};") {
                exempt = false;
            }
            if exempt { "" } else { line }
        })
        .collect();
    let named: Vec<Vec<&'static registry::KindSpec>> = lines
        .iter()
        .map(|line| {
            registry::kinds()
                .filter(|k| {
                    std::iter::once(k.name)
                        .chain(k.aliases.iter().copied())
                        .any(|n| line.contains(&format!("\"{n}\"")) || line.contains(&format!("'{n}'")))
                })
                .collect()
        })
        .collect();
    let mut found = Vec::new();
    for start in 0..lines.len() {
        let window = &named[start..(start + WINDOW).min(lines.len())];
        let mut kinds: Vec<&str> = window.iter().flatten().map(|k| k.name).collect();
        kinds.sort();
        kinds.dedup();
        let mut modules: Vec<&str> = window.iter().flatten().map(|k| k.module).collect();
        modules.sort();
        modules.dedup();
        if kinds.len() >= LIST_NAMES && modules.len() >= LIST_MODULES {
            found.push(start + 1);
        }
    }
    found
}

const WINDOW: usize = 12;
const LIST_NAMES: usize = 6;
const LIST_MODULES: usize = 3;

/// Source files of the repository, outside the registry's family entries (`src/features/`) and this
/// file (whose samples below prove the rule can fail): those git lists (tracked, and untracked but
/// not ignored, so that build outputs such as `python/build/` are not read), or a walk of the source
/// directories where git is not available.
fn sources() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dirs = ["src", "python", "tests", "include", "examples-c", "fuzz/fuzz_targets"];
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--"])
        .args(dirs)
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success());
    let mut candidates: Vec<std::path::PathBuf> = Vec::new();
    match listed {
        Some(out) => candidates.extend(
            out.stdout
                .split(|&b| b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| root.join(String::from_utf8_lossy(p).as_ref())),
        ),
        None => {
            let mut stack: Vec<std::path::PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else { continue };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        candidates.push(path);
                    }
                }
            }
        }
    }
    candidates.retain(|path| {
        let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        !(rel.starts_with("src/features") || rel == "tests/registry.rs" || rel.starts_with("tests/fixtures"))
            && path.is_file()
            && ["rs", "py", "c", "h", "hpp", "cpp"].iter().any(|e| path.extension().is_some_and(|x| x == *e))
    });
    candidates
}

#[test]
fn no_kind_name_list_exists_outside_the_registry() {
    let sources = sources();
    assert!(sources.len() > 50, "found only {} source files", sources.len());
    let mut lists = Vec::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = kind_lists(&text).first() {
            lists.push(format!("{}:{line}", path.display()));
        }
    }
    assert!(lists.is_empty(), "lists of kind names outside the registry (derive them from it): {lists:?}");
}

/// The rule flags the lists this repository had (the fuzz interpreter's, the Python package's and
/// the C doc of `deeptrack_feature_new`), and not code that builds a few features.
#[test]
fn the_list_rule_flags_lists_and_only_lists() {
    let fuzz = "const KINDS: &[&str] = &[\n    \"DummyFeature\",\n    \"Value\",\n    \"Add\",\n    \"Clip\",\n    \
                \"GaussianBlur\",\n    \"Gaussian\",\n    \"Poisson\",\n    \"FlipLR\",\n    \"Sphere\",\n];";
    assert!(!kind_lists(fuzz).is_empty());
    let python = "BUILTIN_KINDS = {\n    \"Value\": (\"value\",),\n    \"Clip\": (\"min\", \"max\"),\n    \
                  \"GaussianBlur\": (\"sigma\",),\n    \"Gaussian\": (\"mu\", \"sigma\"),\n    \"Pad\": (\"px\",),\n    \
                  \"Sphere\": (\"radius\",),\n}";
    assert!(!kind_lists(python).is_empty());
    let c_doc = "/// Creates a built-in feature by DeepTrack class name: `\"DummyFeature\"`, `\"Value\"`, `\"Add\"`,\n\
                 /// math: `\"Clip\"`, `\"GaussianBlur\"`; noise: `\"Gaussian\"`, `\"Poisson\"`; augmentations: `\"Pad\"`.";
    assert!(!kind_lists(c_doc).is_empty());
    // The exemption covers its block only.
    let exempt = format!("/* per-kind expectations */\n{fuzz}\n");
    assert!(kind_lists(&exempt).is_empty());
    assert!(!kind_lists(&format!("{exempt}\n{python}")).is_empty());
    // Building a few features, or the operators' table of one module, is not a list.
    let pipeline =
        "let p = builtin(\"PointParticle\");\nlet o = builtin(\"Fluorescence\");\nlet n = builtin(\"Gaussian\");";
    assert!(kind_lists(pipeline).is_empty());
    let operators = "(\"add\", \"Add\"),\n(\"sub\", \"Subtract\"),\n(\"mul\", \"Multiply\"),\n(\"truediv\", \"Divide\"),\n\
                     (\"floordiv\", \"FloorDivide\"),\n(\"pow\", \"Power\"),\n(\"gt\", \"GreaterThan\"),";
    assert!(kind_lists(operators).is_empty());
}

// -- the defaults' Python types, against DeepTrack2 2.0.1's (tests/fixtures/defaults.py) -------------

/// The Python type DeepTrack2 would show for a constant default, as `defaults.py` describes values:
/// `{"type": ..., "value" | "items" | "dtype" + "shape"}`.
fn python_description(c: Const) -> serde_json::Value {
    use serde_json::json;
    match c {
        Const::None => json!({"type": "NoneType", "value": null}),
        Const::Bool(b) => json!({"type": "bool", "value": b}),
        Const::Int(i) => json!({"type": "int", "value": i}),
        // defaults.py writes a non-finite float as Python's repr.
        Const::Float(x) if !x.is_finite() => json!({"type": "float", "value": format!("{x}").replace("NaN", "nan")}),
        Const::Float(x) => json!({"type": "float", "value": x}),
        Const::Str(s) => json!({"type": "str", "value": s}),
        Const::Floats(v) => json!({"type": "ndarray", "dtype": "float64", "shape": [v.len()], "value": v}),
        Const::FloatList(v) => {
            json!({"type": "list", "items": v.iter().map(|&x| python_description(Const::Float(x))).collect::<Vec<_>>()})
        }
        Const::FloatTuple(v) => {
            json!({"type": "tuple", "items": v.iter().map(|&x| python_description(Const::Float(x))).collect::<Vec<_>>()})
        }
        Const::IntTuple(v) => {
            json!({"type": "tuple", "items": v.iter().map(|&x| python_description(Const::Int(x))).collect::<Vec<_>>()})
        }
    }
}

/// The registry's constant defaults whose Python type or value differs from DeepTrack2 2.0.1's, each
/// with its reason (tests/python/test_default_types.py holds the full comparison of the properties).
const ACCEPTED_DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "Affine",
        "translate",
        "None means translate_px here (C's semantics); the Python class copies translate_px into it, as 2.0.1's constructor",
    ),
    ("CropToMultiplesOf", "crop", "2.0.1 holds a function of the image; the kind computes the crop itself"),
    ("PadToMultiplesOf", "px", "2.0.1 holds a function of the image; the kind computes the padding itself"),
];

#[test]
fn constant_defaults_have_deeptrack2s_python_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/defaults.json");
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let kinds = fixture["kinds"].as_object().unwrap();
    let mut compared = 0;
    let (mut differ, mut visited) = (Vec::new(), 0);
    for spec in registry::kinds() {
        let kind = &kinds[spec.name];
        assert!(kind.is_object(), "{} is not in defaults.json: run make fixtures", spec.name);
        let Some(properties) = kind.get("properties").and_then(|p| p.as_object()) else { continue };
        let keys = |field: &str| -> Vec<String> {
            kind[field].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_owned()).collect()
        };
        // Drawn at every update (compared by the Python test by type), or given to construct it.
        let (random, given) = (keys("random"), keys("given"));
        for p in spec.params.iter().filter(|p| p.support == Support::Full) {
            let (ParamDefault::Value(c), Some(want)) = (p.default, properties.get(p.name)) else { continue };
            if random.iter().chain(&given).any(|k| k == p.name) {
                continue;
            }
            compared += 1;
            let ours = python_description(c);
            // JSON numbers: 2.0.1's 1e-06 and ours compare as f64 (serde keeps ints and floats apart).
            let accepted = ACCEPTED_DEFAULTS.iter().any(|&(k, key, _)| k == spec.name && key == p.name);
            visited += usize::from(accepted);
            if ours != *want && !accepted {
                differ.push(format!("{}.{}: {ours} (2.0.1: {want})", spec.name, p.name));
            } else if ours == *want && accepted {
                differ.push(format!("{}.{}: accepted as a difference, but the same as 2.0.1's", spec.name, p.name));
            }
        }
    }
    assert!(differ.is_empty(), "defaults that differ from DeepTrack2 2.0.1's:\n{}", differ.join("\n"));
    assert!(compared > 300, "{compared} defaults compared");
    assert_eq!(visited, ACCEPTED_DEFAULTS.len(), "every accepted difference names a compared default");
}
