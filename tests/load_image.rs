//! `LoadImage`: PNG (8 and 16 bits, gray and RGB), TIFF (pages, planes and series, against DeepTrack2 2.0.1), `.npy` (types, byte
//! orders, Fortran order) read as DeepTrack2's readers give them; several paths stacked or listed,
//! one drawn at random (uniformly, reproducibly), RGB to gray, `ndim`; and the errors, which name the
//! path and the reason.

use std::path::PathBuf;

use deeptrack::dtype::Dtype;
use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("load_image");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_png(name: &str, w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8]) -> String {
    let path = dir().join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(color);
    enc.set_depth(depth);
    enc.write_header().unwrap().write_image_data(data).unwrap();
    path.to_str().unwrap().to_owned()
}

fn write_npy(name: &str, descr: &str, fortran: bool, shape: &str, body: &[u8]) -> String {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(body);
    let path = dir().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

fn load(path: Value) -> Feature {
    let f = registry::build("LoadImage", Vec::new()).unwrap();
    f.set_property("path", Rule::constant(path)).unwrap();
    f
}

fn one(f: &Feature) -> Image {
    let out = f.resolve(None).unwrap();
    assert_eq!(out.len(), 1);
    out[0].clone()
}

#[test]
fn png_tiff_and_npy_read_as_deeptrack2s_readers() {
    let gray: Vec<u8> = (0..12).map(|i| i * 20).collect();
    let png8 = write_png("g8.png", 4, 3, png::ColorType::Grayscale, png::BitDepth::Eight, &gray);
    let f = load(Value::str(&png8));
    assert_eq!(f.property_names(), ["path", "as_list", "ndim", "to_grayscale", "get_one_random", "name"]);
    let img = one(&f);
    assert_eq!(img.shape(), [3, 4, 1], "ndim 3 adds an axis");
    assert_eq!(img.as_slice(), gray.iter().map(|&b| f64::from(b)).collect::<Vec<_>>().as_slice());
    let wide: Vec<u8> = [1000u16, 65535, 0, 7].iter().flat_map(|v| v.to_be_bytes()).collect();
    let png16 = write_png("g16.png", 2, 2, png::ColorType::Grayscale, png::BitDepth::Sixteen, &wide);
    assert_eq!(one(&load(Value::str(&png16))).as_slice(), [1000.0, 65535.0, 0.0, 7.0]);
    let rgb: Vec<u8> = (0..18).collect();
    let png_rgb = write_png("rgb.png", 3, 2, png::ColorType::Rgb, png::BitDepth::Eight, &rgb);
    let img = one(&load(Value::str(&png_rgb)));
    assert_eq!((img.shape(), img.as_slice()[5]), (&[2, 3, 3][..], 5.0));

    // TIFF: one page, then several stacked first.
    let path = dir().join("pages.tif");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = tiff::encoder::TiffEncoder::new(file).unwrap();
        enc.write_image::<tiff::encoder::colortype::Gray16>(3, 2, &[1, 2, 3, 4, 5, 6]).unwrap();
        enc.write_image::<tiff::encoder::colortype::Gray16>(3, 2, &[7, 8, 9, 10, 11, 12]).unwrap();
    }
    let img = one(&load(Value::str(path.to_str().unwrap())));
    assert_eq!(img.shape(), [2, 2, 3]);
    assert_eq!(img.as_slice(), (1..=12).map(f64::from).collect::<Vec<_>>().as_slice());

    // .npy: little and big endian, signed, Fortran order.
    let body: Vec<u8> = [1.5f64, -2.0, 3.25, 4.0, 5.0, 6.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let npy = write_npy("f8.npy", "<f8", false, "(2, 3)", &body);
    let img = one(&load(Value::str(&npy)));
    assert_eq!((img.shape(), img.as_slice()), (&[2, 3, 1][..], &[1.5, -2.0, 3.25, 4.0, 5.0, 6.0][..]));
    let body: Vec<u8> = [-3i16, 300, 7, -1].iter().flat_map(|v| v.to_be_bytes()).collect();
    let npy = write_npy("i2.npy", ">i2", true, "(2, 2)", &body);
    // Column-major: [[-3, 7], [300, -1]].
    assert_eq!(one(&load(Value::str(&npy))).as_slice(), [-3.0, 7.0, 300.0, -1.0]);
    let npy = write_npy("u1.npy", "|u1", false, "(4,)", &[0, 1, 254, 255]);
    let f = load(Value::str(&npy));
    f.set_property("ndim", Rule::constant(0)).unwrap();
    assert_eq!(one(&f).shape(), [4]);
}

#[test]
fn several_paths_are_stacked_listed_or_drawn() {
    let a = write_npy(
        "a.npy",
        "<f8",
        false,
        "(2,)",
        &[1.0f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>(),
    );
    let b = write_npy(
        "b.npy",
        "<f8",
        false,
        "(2,)",
        &[3.0f64, 4.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>(),
    );
    let c = write_npy("c.npy", "<f8", false, "(3,)", &[0u8; 24]);
    let both = Value::List(vec![Value::str(&a), Value::str(&b)]);
    let f = load(both.clone());
    let img = one(&f);
    assert_eq!((img.shape(), img.as_slice()), (&[2, 2, 1][..], &[1.0, 3.0, 2.0, 4.0][..]));
    f.set_property("as_list", Rule::constant(true)).unwrap();
    let out = f.resolve(None).unwrap();
    assert_eq!(out.iter().map(|i| i.as_slice().to_vec()).collect::<Vec<_>>(), [vec![1.0, 2.0], vec![3.0, 4.0]]);
    assert_eq!(out[0].shape(), [2, 1, 1]);
    f.set_property("get_one_random", Rule::constant(true)).unwrap();
    f.seed(9).unwrap();
    let mut firsts = Vec::new();
    for _ in 0..400 {
        f.update().unwrap();
        firsts.push(one(&f).as_slice()[0]);
    }
    let ones = firsts.iter().filter(|&&x| x == 1.0).count();
    assert!((150..250).contains(&ones), "{ones} of 400 draws chose the first file");
    f.seed(9).unwrap();
    let again: Vec<f64> = (0..400)
        .map(|_| {
            f.update().unwrap();
            one(&f).as_slice()[0]
        })
        .collect();
    assert_eq!(again, firsts);
    let err = load(Value::List(vec![Value::str(&a), Value::str(&c)])).resolve(None).unwrap_err();
    assert!(err.to_string().contains("cannot be stacked"), "{err}");
}

/// Files of different types stack in the type numpy's `np.stack` gives them (DeepTrack2 2.0.1's
/// `LoadImage` of several paths): their types promoted, the values exact.
#[test]
fn files_of_different_types_stack_in_numpys_promoted_type() {
    let png8 = write_png("s8.png", 2, 1, png::ColorType::Grayscale, png::BitDepth::Eight, &[7, 250]);
    let png16 = write_png("s16.png", 2, 1, png::ColorType::Grayscale, png::BitDepth::Sixteen, &[1, 0, 255, 255]);
    let i16 = write_npy(
        "s16.npy",
        "<i2",
        false,
        "(1, 2)",
        &[-3i16, 9].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>(),
    );
    let f4 = write_npy(
        "sf4.npy",
        "<f4",
        false,
        "(1, 2)",
        &[0.5f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>(),
    );
    let stacked = |paths: &[&String]| one(&load(Value::List(paths.iter().map(|p| Value::str(p)).collect())));
    let cases = [
        (vec![&png8, &png16], Dtype::UInt16, vec![7.0, 256.0, 250.0, 65535.0]),
        (vec![&png8, &i16], Dtype::Int16, vec![7.0, -3.0, 250.0, 9.0]),
        (vec![&png16, &i16], Dtype::Int32, vec![256.0, -3.0, 65535.0, 9.0]),
        (vec![&png8, &f4], Dtype::Float32, vec![7.0, 0.5, 250.0, 2.0]),
        (vec![&png16, &f4], Dtype::Float32, vec![256.0, 0.5, 65535.0, 2.0]),
        (vec![&png8, &png8], Dtype::UInt8, vec![7.0, 7.0, 250.0, 250.0]),
    ];
    for (paths, dtype, values) in cases {
        let img = stacked(&paths);
        assert_eq!((img.shape(), img.dtype(), img.as_slice()), (&[1, 2, 2][..], dtype, &values[..]), "{paths:?}");
    }
}

#[test]
fn to_grayscale_converts_rgb_as_skimage() {
    let rgb = write_png("px.png", 1, 1, png::ColorType::Rgb, png::BitDepth::Eight, &[255, 0, 51]);
    let f = load(Value::str(&rgb));
    f.set_property("to_grayscale", Rule::constant(true)).unwrap();
    let img = one(&f);
    assert_eq!(img.shape(), [1, 1, 1]);
    assert!((img.as_slice()[0] - (0.2125 + 0.0721 * 0.2)).abs() < 1e-15);
    // A gray image is left as it is (DeepTrack2 warns and ignores it).
    let gray = write_png("px1.png", 1, 1, png::ColorType::Grayscale, png::BitDepth::Eight, &[9]);
    let f = load(Value::str(&gray));
    f.set_property("to_grayscale", Rule::constant(true)).unwrap();
    assert_eq!(one(&f).as_slice(), [9.0]);
}

#[test]
fn errors_name_the_path_and_the_reason() {
    let missing = dir().join("missing.png");
    let err = load(Value::str(missing.to_str().unwrap())).resolve(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().starts_with("property 'path' of feature 'LoadImage': cannot read '"), "{err}");
    assert!(err.to_string().contains("missing.png"), "{err}");
    let text = dir().join("text.png");
    std::fs::write(&text, "hello").unwrap();
    let err = load(Value::str(text.to_str().unwrap())).resolve(None).unwrap_err();
    assert!(err.to_string().ends_with("text.png': unsupported format: not a PNG, TIFF, JPEG or .npy file"), "{err}");
    let truncated = dir().join("truncated.png");
    std::fs::write(&truncated, b"\x89PNG\r\n\x1a\n\0\0").unwrap();
    let err = load(Value::str(truncated.to_str().unwrap())).resolve(None).unwrap_err();
    assert!(err.to_string().contains("a bad PNG file"), "{err}");
    let huge = write_npy("huge.npy", "<f8", false, "(100000, 100000)", &[]);
    let err = load(Value::str(&huge)).resolve(None).unwrap_err();
    assert!(err.to_string().contains("exceeds the maximum of 268435456 samples"), "{err}");
    let f = registry::build("LoadImage", Vec::new()).unwrap();
    let err = f.set_property("path", Rule::constant(3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'path' of feature 'LoadImage': expected a path or a list of paths, got an integer"
    );
    let err = f.set_property("load_options", Rule::constant(Value::str("x"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(f.resolve(None).unwrap_err().kind(), ErrorKind::NotFound, "path is required");
}

/// The TIFF cases of `tests/fixtures/deeptrack-2.0.1/files/manifest.json`: files written by tifffile
/// (`imwrite`: separate planes of 3, 4 and 5 samples in uint8, uint16 and float32, pages, RGB pages, a
/// leading axis of one; ImageJ stacks and hyperstacks; several series; pages without a description,
/// of one shape or of two) and by `imageio.mimwrite`, read by DeepTrack2 2.0.1's `LoadImage` (imageio,
/// then tifffile's first series): the same shape and the same values.
#[test]
fn tiffs_read_as_deeptrack2_reads_them() {
    let files = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/files");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(files.join("manifest.json")).unwrap()).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 14);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let tif = files.join(format!("{id}.tif"));
        let got = one(&load(Value::str(tif.to_str().unwrap())));
        // The expected output, a float64 .npy of any shape: read with ndim 0 (no axis added).
        let expected = load(Value::str(files.join(format!("{id}.npy")).to_str().unwrap()));
        expected.set_property("ndim", Rule::constant(0)).unwrap();
        let expected = one(&expected);
        let shape: Vec<usize> =
            case["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        assert_eq!(expected.shape(), shape.as_slice(), "{id}");
        assert_eq!(got.shape(), expected.shape(), "{id}");
        assert_eq!(got.as_slice(), expected.as_slice(), "{id}");
    }
}

#[test]
fn bad_tiffs_are_errors_that_say_why() {
    let files = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/files");
    let bytes = std::fs::read(files.join("tiff_planar_u16_4.tif")).unwrap();
    // Cut inside the strips: the header and directory are read, the samples are missing.
    let cut = dir().join("cut.tif");
    let body_start = 8;
    std::fs::write(&cut, &bytes[..bytes.len().min(body_start + 40)]).unwrap();
    let err = load(Value::str(cut.to_str().unwrap())).resolve(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("cut.tif': a bad TIFF file"), "{err}");
    // Only the magic number.
    let magic = dir().join("magic.tif");
    std::fs::write(&magic, b"II*\0").unwrap();
    let err = load(Value::str(magic.to_str().unwrap())).resolve(None).unwrap_err();
    assert!(err.to_string().contains("magic.tif': a bad TIFF file"), "{err}");
    // A description claiming more pages than the file has.
    let short = dir().join("short.tif");
    {
        let file = std::fs::File::create(&short).unwrap();
        let mut enc = tiff::encoder::TiffEncoder::new(file).unwrap();
        let mut image = enc.new_image::<tiff::encoder::colortype::Gray8>(2, 2).unwrap();
        image.encoder().write_tag(tiff::tags::Tag::ImageDescription, "{\"shape\": [3, 2, 2]}").unwrap();
        image.write_data(&[1, 2, 3, 4]).unwrap();
    }
    let err = load(Value::str(short.to_str().unwrap())).resolve(None).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "short.tif': a bad TIFF file: its description gives shape [3, 2, 2] (3 pages), but the file has 1"
        ),
        "{err}"
    );
}
