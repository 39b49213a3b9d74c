//! `mailroom train`: the classifier learned again from sample sets.
//!
//! A set is anything in the SAMPLES.md layout: generated sets, and later the clerks'
//! corrections exported the same way (their validated classes and pages are a truth). Each
//! truth document gives one example (its pages' text), and each page of a multi-page
//! document one more, since the splitter classifies pages one at a time. The first names of
//! the truth are kept as the model's lexicon.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mailroom_domain::Class;
use mailroom_domain::normalize::fold_text;
use serde::Serialize;
use serde_json::Value;

use crate::cache::PageSource;
use crate::error::ClassifyError;
use crate::eval::read_truth;
use crate::layout::PageLayout;
use crate::model::{FitOptions, Model, fit};
use crate::process::list_envelopes;

/// How to train.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Sample sets (folders with `envelopes/` and `truth/`).
    pub sets: Vec<PathBuf>,
    /// Where to write the model (e.g. `classify/model/classifier.json`). When a model is
    /// already there, the new one's revision follows it.
    pub out: PathBuf,
    pub ocr: mailroom_ocr::Config,
    pub ocr_cache: Option<PathBuf>,
    pub fit: FitOptions,
}

/// What a training run did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub envelopes: usize,
    /// Envelopes skipped because they could not be read.
    pub unreadable: usize,
    pub examples: BTreeMap<String, usize>,
    pub features: usize,
    pub held_out_accuracy: f64,
    pub temperature: f64,
    pub revision: u32,
    pub model: PathBuf,
}

impl std::fmt::Display for TrainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ex: Vec<String> = self
            .examples
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(
            f,
            "{} envelopes read ({} unreadable); examples: {}",
            self.envelopes,
            self.unreadable,
            ex.join(", ")
        )?;
        write!(
            f,
            "{} features, held-out accuracy {:.1} %, temperature {:.2}; wrote revision {} to {}",
            self.features,
            100.0 * self.held_out_accuracy,
            self.temperature,
            self.revision,
            self.model.display()
        )
    }
}

/// Labelled texts and first names gathered from sets.
#[derive(Debug, Default)]
pub struct Examples {
    pub texts: Vec<(String, Class)>,
    pub first_names: Vec<String>,
    pub per_set: BTreeMap<String, usize>,
    pub envelopes: usize,
    pub unreadable: usize,
}

/// Reads the sets' envelopes (through the cache) and builds training examples.
///
/// # Errors
/// [`ClassifyError::Io`] / [`ClassifyError::Format`] for unreadable folders or truth,
/// [`ClassifyError::Ocr`] when the OCR stage cannot start.
pub fn gather(
    sets: &[PathBuf],
    source: &PageSource,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Examples, ClassifyError> {
    let mut ex = Examples::default();
    let mut jobs: Vec<(String, PathBuf, mailroom_domain::Truth)> = Vec::new();
    for set in sets {
        let truth = read_truth(set)?;
        let name = set
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for path in list_envelopes(&set.join("envelopes"))? {
            let env = crate::cache::envelope_name(&path);
            if let Some(t) = truth.get(&env) {
                jobs.push((name.clone(), path, t.clone()));
            }
        }
    }
    let total = jobs.len();
    for (i, (set, path, t)) in jobs.into_iter().enumerate() {
        progress(i + 1, total);
        ex.envelopes += 1;
        let pages = match source.read(&path)? {
            Ok(p) => p,
            Err(_) => {
                ex.unreadable += 1;
                continue;
            }
        };
        let folds: BTreeMap<u32, String> = pages
            .iter()
            .map(|p| (p.page, PageLayout::new(p).fold()))
            .collect();
        for d in &t.documents {
            let text: Vec<&str> = d
                .pages
                .iter()
                .filter_map(|p| folds.get(p).map(String::as_str))
                .collect();
            ex.texts.push((text.join("\n"), d.class));
            *ex.per_set.entry(set.clone()).or_default() += 1;
            if d.pages.len() > 1 {
                for t in text {
                    ex.texts.push((t.to_string(), d.class));
                }
            }
            for key in ["first_name", "patient_first_name"] {
                if let Some(Value::String(s)) = d.fields.get(key) {
                    ex.first_names.push(s.clone());
                }
            }
            if let Some(Value::Array(deps)) = d.fields.get("dependants") {
                for dep in deps {
                    if let Some(s) = dep.get("first_name").and_then(Value::as_str) {
                        ex.first_names.push(s.to_string());
                    }
                }
            }
        }
    }
    Ok(ex)
}

/// Trains a model from `opts.sets` and writes it to `opts.out`; `progress` is told
/// (envelopes read, envelopes to read).
///
/// # Errors
/// As [`gather`], plus [`ClassifyError::Train`] when the examples cannot make a model and
/// [`ClassifyError::Io`] when it cannot be written.
pub fn train(
    opts: &TrainOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<TrainReport, ClassifyError> {
    let source = PageSource::new(opts.ocr.clone(), opts.ocr_cache.clone());
    let ex = gather(&opts.sets, &source, progress)?;
    let model = build(&ex, &opts.fit, previous_revision(&opts.out))?;
    model.save(&opts.out)?;
    Ok(TrainReport {
        envelopes: ex.envelopes,
        unreadable: ex.unreadable,
        examples: model.trained_on.examples.clone(),
        features: model.features.len(),
        held_out_accuracy: model.trained_on.held_out_accuracy,
        temperature: model.temperature,
        revision: model.revision,
        model: opts.out.clone(),
    })
}

fn previous_revision(path: &Path) -> Option<u32> {
    Model::load(path).ok().map(|m| m.revision)
}

/// Fits a model on gathered examples.
///
/// # Errors
/// [`ClassifyError::Train`] when the examples cannot make a model.
pub fn build(
    ex: &Examples,
    opts: &FitOptions,
    previous: Option<u32>,
) -> Result<Model, ClassifyError> {
    let mut model = fit(&ex.texts, opts)?;
    model.revision = previous.map_or(1, |r| r + 1);
    model.trained_on.sets = ex.per_set.clone();
    model.first_names = ex
        .first_names
        .iter()
        .map(|s| fold_text(s))
        .filter(|s| !s.is_empty())
        .collect();
    Ok(model)
}
