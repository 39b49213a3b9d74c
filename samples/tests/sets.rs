//! A generated set follows the SAMPLES.md contract, the demo set is what its seed makes, and
//! generation is deterministic.

use mailroom_samples::check::check_set;
use mailroom_samples::{DEMO_COUNT, DEMO_SEED, generate};
use std::path::{Path, PathBuf};

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

#[test]
fn generated_set_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(dir.path(), 40, 4242, &|_| {}).unwrap();
    assert_eq!(summary.envelopes, 40);
    let report = check_set(dir.path()).unwrap();
    assert!(
        report.problems.is_empty(),
        "problems: {:#?}",
        report.problems
    );
    assert_eq!(report.envelopes, 40);
    assert_eq!(
        report.pages, summary.pages,
        "pages decoded from the files differ from pages planned"
    );
}

#[test]
fn demo_set_follows_the_contract_and_covers_every_class_and_format() {
    let report = check_set(&demo_dir()).unwrap();
    assert!(
        report.problems.is_empty(),
        "problems: {:#?}",
        report.problems
    );
    assert_eq!(report.envelopes as u64, DEMO_COUNT);
    for class in mailroom_domain::Class::ALL {
        assert!(
            report
                .documents_per_class
                .get(class.as_str())
                .copied()
                .unwrap_or(0)
                >= 3,
            "demo set has too few {class} documents: {:?}",
            report.documents_per_class
        );
    }
    for ext in ["tif", "jpg", "png", "pdf"] {
        assert!(
            report.files_per_type.contains_key(ext),
            "demo set has no .{ext} file: {:?}",
            report.files_per_type
        );
    }
    assert!(report.blank_pages > 0, "demo set has no blank page");
    assert!(
        report.bytes < 25_000_000,
        "demo set is {} bytes, over 25 MB",
        report.bytes
    );
}

#[test]
fn demo_truth_is_what_its_seed_makes() {
    let truth_dir = demo_dir().join("truth");
    for i in 0..DEMO_COUNT {
        let expected = mailroom_samples::truth(DEMO_SEED, i);
        let path = truth_dir.join(format!("{}.json", expected.envelope));
        let committed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            committed,
            serde_json::to_value(&expected).unwrap(),
            "{} differs from its regeneration",
            path.display()
        );
    }
}

fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn generation_is_deterministic_byte_for_byte() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(a.path(), 12, 99, &|_| {}).unwrap();
    generate(b.path(), 12, 99, &|_| {}).unwrap();
    let (fa, fb) = (files_under(a.path()), files_under(b.path()));
    assert_eq!(fa.len(), fb.len());
    for ((pa, da), (pb, db)) in fa.iter().zip(&fb) {
        assert_eq!(pa, pb);
        assert!(
            da == db,
            "{} differs between two runs of the same seed",
            pa.display()
        );
    }
    // And another seed gives another set.
    let c = tempfile::tempdir().unwrap();
    generate(c.path(), 12, 100, &|_| {}).unwrap();
    let tc = std::fs::read(c.path().join("truth/env-000001.json")).unwrap();
    let ta = std::fs::read(a.path().join("truth/env-000001.json")).unwrap();
    assert_ne!(ta, tc);
}

#[test]
fn class_mix_is_realistic_over_300_envelopes() {
    let mut per_class = std::collections::BTreeMap::<&str, usize>::new();
    let mut docs_per_env = [0usize; 6];
    let mut total = 0;
    for i in 0..300 {
        let t = mailroom_samples::truth(777, i);
        docs_per_env[t.documents.len().min(5)] += 1;
        for d in &t.documents {
            *per_class.entry(d.class.as_str()).or_default() += 1;
            total += 1;
        }
    }
    for class in mailroom_domain::Class::ALL {
        let n = per_class.get(class.as_str()).copied().unwrap_or(0);
        assert!(
            n * 100 >= total * 8,
            "{class}: {n} of {total} documents, under 8 %"
        );
    }
    assert_eq!(
        docs_per_env[0] + docs_per_env[5],
        0,
        "envelopes hold 1 to 4 documents: {docs_per_env:?}"
    );
    assert!(
        docs_per_env[1] > 0 && docs_per_env[2] > 0 && docs_per_env[3] + docs_per_env[4] > 0,
        "{docs_per_env:?}"
    );
}

/// The boxes in meta/ point at ink in the stored image, through skew and quarter turns: the
/// evaluation of field boxes depends on it.
#[test]
fn meta_field_boxes_point_at_ink_in_the_stored_images() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 30, 2024, &|_| {}).unwrap();
    let mut checked = 0;
    let mut turned = 0;
    for entry in std::fs::read_dir(dir.path().join("meta")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "set.json" {
            continue;
        }
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let id = meta["envelope"].as_str().unwrap();
        for page in meta["pages"].as_array().unwrap() {
            let file = page["file"].as_str().unwrap();
            // One image per file: PNG and JPEG pages (TIFF and PDF hold several).
            if !(file.ends_with(".png") || file.ends_with(".jpg")) {
                continue;
            }
            let img = image::open(dir.path().join("envelopes").join(id).join(file))
                .unwrap()
                .to_luma8();
            assert_eq!(
                (img.width(), img.height()),
                (
                    page["width"].as_u64().unwrap() as u32,
                    page["height"].as_u64().unwrap() as u32
                )
            );
            for f in page["fields"].as_array().unwrap() {
                let b: Vec<u32> = f["bbox"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as u32)
                    .collect();
                let mut dark = 0u32;
                let mut all = 0u32;
                for y in b[1]..b[3].min(img.height()) {
                    for x in b[0]..b[2].min(img.width()) {
                        all += 1;
                        if img.get_pixel(x, y).0[0] < 110 {
                            dark += 1;
                        }
                    }
                }
                assert!(
                    all > 0 && dark * 50 >= all,
                    "{id} page {}: box of {} {:?} holds no ink ({dark}/{all})",
                    page["page"],
                    f["key"],
                    b
                );
                checked += 1;
                if page["quarter_turns"].as_u64().unwrap() != 0 {
                    turned += 1;
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} field boxes checked");
    println!("{checked} field boxes point at ink, {turned} of them on turned pages");
}
