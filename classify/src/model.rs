//! The learned document classifier: a multinomial logistic regression over the words of a
//! document, with temperature-scaled (calibrated) probabilities.
//!
//! The model is a small versioned JSON file (`classify/model/classifier.json`), committed
//! with the code and compiled into the library, so a fresh build classifies without any
//! download; `mailroom train` writes a new one. Training uses linfa's logistic regression;
//! prediction is a dot product and a softmax, done here so that loading a model costs
//! nothing and the file format does not depend on linfa's internals.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use mailroom_domain::Class;
use serde::{Deserialize, Serialize};

use crate::error::ClassifyError;

/// The format version of the model file this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The model compiled into the library.
const EMBEDDED: &str = include_str!("../model/classifier.json");

/// A trained classifier, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// Always `mailroom-classifier`.
    pub format: String,
    /// [`FORMAT_VERSION`] of the file.
    pub version: u32,
    /// Increases with every training run written over a previous model.
    pub revision: u32,
    /// What the model was trained on, for the record.
    pub trained_on: TrainingInfo,
    /// The classes, in the order of the weight columns.
    pub classes: Vec<Class>,
    /// Word and word-pair features, in the order of the weight rows.
    pub features: Vec<String>,
    /// One row per feature, one column per class.
    pub weights: Vec<Vec<f32>>,
    /// One per class.
    pub intercept: Vec<f32>,
    /// Logits are divided by it before the softmax (calibration on held-out documents).
    pub temperature: f64,
    /// Below this calibrated probability, a document goes to `other` (manual qualification).
    pub min_confidence: f64,
    /// First names seen in training truth: tells a first name from a last name when the case
    /// does not.
    #[serde(default)]
    pub first_names: BTreeSet<String>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// Where a model came from and how it did on its held-out part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// The sets (folder names) and how many documents each gave.
    pub sets: BTreeMap<String, usize>,
    /// Training examples (documents and pages) per class.
    pub examples: BTreeMap<String, usize>,
    /// Accuracy on the held-out fifth before the final fit.
    pub held_out_accuracy: f64,
    /// Negative log-likelihood per example on the held-out fifth, after calibration.
    pub held_out_nll: f64,
    /// L2 regularisation used.
    pub alpha: f64,
}

/// Class probabilities of one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Calibrated probability per class, in [`Class::ALL`] order.
    pub probs: [f64; 5],
}

impl Prediction {
    /// The most probable class and its probability.
    pub fn best(&self) -> (Class, f64) {
        let mut best = (Class::Other, -1.0);
        for (i, c) in Class::ALL.iter().enumerate() {
            if self.probs[i] > best.1 {
                best = (*c, self.probs[i]);
            }
        }
        best
    }

    /// The probability of `class`.
    pub fn prob(&self, class: Class) -> f64 {
        self.probs[class_index(class)]
    }
}

/// Index of a class in [`Class::ALL`].
pub fn class_index(c: Class) -> usize {
    Class::ALL.iter().position(|x| *x == c).unwrap_or(4)
}

/// The words of a folded text that the classifier looks at: runs of at least two letters
/// (digits and one-letter words carry no class), then pairs of neighbouring words.
pub fn features_of(fold: &str) -> BTreeSet<String> {
    let words: Vec<&str> = fold
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_alphabetic))
        .collect();
    let mut out: BTreeSet<String> = words.iter().map(|w| (*w).to_string()).collect();
    for p in words.windows(2) {
        out.insert(format!("{} {}", p[0], p[1]));
    }
    out
}

impl Model {
    /// The model compiled into the library (`classify/model/classifier.json`).
    ///
    /// # Errors
    /// [`ClassifyError::Model`] if the embedded file does not parse (a build that ships a
    /// broken model fails its tests).
    pub fn embedded() -> Result<Model, ClassifyError> {
        Model::from_json(EMBEDDED)
    }

    /// Reads a model file.
    ///
    /// # Errors
    /// [`ClassifyError::Io`] when the file cannot be read, [`ClassifyError::Model`] when it
    /// is not a model of a version this code reads.
    pub fn load(path: &std::path::Path) -> Result<Model, ClassifyError> {
        let s = std::fs::read_to_string(path).map_err(|e| ClassifyError::io(path, e))?;
        Model::from_json(&s)
    }

    /// Parses a model from its JSON text.
    ///
    /// # Errors
    /// [`ClassifyError::Model`] when the text is not a consistent model of this version.
    pub fn from_json(s: &str) -> Result<Model, ClassifyError> {
        let mut m = parse_any(s)?;
        if m.format != "mailroom-classifier" || m.version != FORMAT_VERSION {
            return Err(ClassifyError::Model(format!(
                "format {:?} version {} (this build reads version {FORMAT_VERSION})",
                m.format, m.version
            )));
        }
        let k = m.classes.len();
        if m.weights.len() != m.features.len()
            || m.weights.iter().any(|r| r.len() != k)
            || m.intercept.len() != k
            || m.temperature.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        {
            return Err(ClassifyError::Model("inconsistent dimensions".into()));
        }
        m.index = m
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        Ok(m)
    }

    /// Writes the model as pretty JSON (one feature per line, so that diffs stay readable).
    ///
    /// # Errors
    /// [`ClassifyError::Io`] when the file cannot be written.
    pub fn save(&self, path: &std::path::Path) -> Result<(), ClassifyError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ClassifyError::io(dir, e))?;
        }
        let s = self.to_json();
        std::fs::write(path, s).map_err(|e| ClassifyError::io(path, e))
    }

    /// The file's text: the header fields pretty, each weight row on one line.
    pub fn to_json(&self) -> String {
        let mut head = serde_json::to_value(self).unwrap_or_default();
        let mut rows = String::new();
        if let Some(o) = head.as_object_mut() {
            o.remove("weights");
            o.remove("features");
        }
        for (i, (f, w)) in self.features.iter().zip(&self.weights).enumerate() {
            let w: Vec<String> = w.iter().map(|x| format!("{x:.4}")).collect();
            rows.push_str(&format!(
                "    [{}, [{}]]{}\n",
                serde_json::to_string(f).unwrap_or_default(),
                w.join(", "),
                if i + 1 < self.features.len() { "," } else { "" }
            ));
        }
        let head = serde_json::to_string_pretty(&head).unwrap_or_default();
        let head = head.trim_end().trim_end_matches('}').trim_end();
        format!("{head},\n  \"table\": [\n{rows}  ]\n}}\n")
    }

    /// Raw class scores (logits) of a folded text, in the order of `self.classes`.
    pub fn logits(&self, fold: &str) -> Vec<f64> {
        let feats = features_of(fold);
        let idx: Vec<usize> = feats
            .iter()
            .filter_map(|f| self.index.get(f).copied())
            .collect();
        let norm = if idx.is_empty() {
            0.0
        } else {
            1.0 / (idx.len() as f64).sqrt()
        };
        let mut z: Vec<f64> = self.intercept.iter().map(|&b| f64::from(b)).collect();
        for i in idx {
            for (k, w) in self.weights[i].iter().enumerate() {
                z[k] += f64::from(*w) * norm;
            }
        }
        z
    }

    /// Calibrated class probabilities of a folded text.
    pub fn predict(&self, fold: &str) -> Prediction {
        let z = self.logits(fold);
        let p = softmax(&z, self.temperature);
        let mut probs = [0.0; 5];
        for (k, c) in self.classes.iter().enumerate() {
            probs[class_index(*c)] = p[k];
        }
        Prediction { probs }
    }

    /// Whether `name` (any case) is a first name the model has seen.
    pub fn is_first_name(&self, name: &str) -> bool {
        self.first_names
            .contains(&mailroom_domain::normalize::fold_text(name))
    }
}

/// Softmax of `z / t`.
pub fn softmax(z: &[f64], t: f64) -> Vec<f64> {
    let m = z.iter().cloned().fold(f64::MIN, f64::max);
    let e: Vec<f64> = z.iter().map(|x| ((x - m) / t).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

/// The model file's on-disk shape: features and weights as one table.
#[derive(Deserialize)]
struct Stored {
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
    table: Vec<(String, Vec<f32>)>,
}

impl Model {
    fn from_stored(s: Stored) -> Result<Model, String> {
        let mut rest = s.rest;
        let (features, weights): (Vec<String>, Vec<Vec<f32>>) = s.table.into_iter().unzip();
        rest.insert(
            "features".into(),
            serde_json::to_value(features).map_err(|e| e.to_string())?,
        );
        rest.insert(
            "weights".into(),
            serde_json::to_value(weights).map_err(|e| e.to_string())?,
        );
        serde_json::from_value(serde_json::Value::Object(rest)).map_err(|e| e.to_string())
    }
}

/// Parses either form: `table` (as written) or `features` + `weights`.
fn parse_any(s: &str) -> Result<Model, ClassifyError> {
    let v: serde_json::Value =
        serde_json::from_str(s).map_err(|e| ClassifyError::Model(e.to_string()))?;
    if v.get("table").is_some() {
        let f: Stored =
            serde_json::from_value(v).map_err(|e| ClassifyError::Model(e.to_string()))?;
        Model::from_stored(f).map_err(ClassifyError::Model)
    } else {
        serde_json::from_value(v).map_err(|e| ClassifyError::Model(e.to_string()))
    }
}

/// The share of probability the calibration keeps off the labelled class.
const SMOOTHING: f64 = 0.02;

/// Options of a training run.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Most features kept (by number of examples they occur in).
    pub max_features: usize,
    /// Fewest examples a feature must occur in.
    pub min_df: usize,
    /// L2 regularisation.
    pub alpha: f64,
    /// Calibrated probability under which a document goes to `other`.
    pub min_confidence: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_features: 1500,
            min_df: 3,
            alpha: 0.05,
            min_confidence: 0.6,
        }
    }
}

/// Fits a model on folded texts and their classes.
///
/// A fifth of the examples (every fifth) is held out first to measure accuracy and to fit
/// the temperature; the final model is then fitted on everything with that temperature.
///
/// # Errors
/// [`ClassifyError::Train`] when there are too few examples or classes, or the optimiser
/// fails.
pub fn fit(examples: &[(String, Class)], opts: &FitOptions) -> Result<Model, ClassifyError> {
    use linfa::prelude::*;
    use linfa_logistic::MultiLogisticRegression;
    use ndarray::{Array1, Array2};

    let present: BTreeSet<Class> = examples.iter().map(|e| e.1).collect();
    if examples.len() < 10 || present.len() < 2 {
        return Err(ClassifyError::Train(format!(
            "{} examples of {} classes: too few to learn from",
            examples.len(),
            present.len()
        )));
    }
    let feats: Vec<BTreeSet<String>> = examples.iter().map(|e| features_of(&e.0)).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for f in &feats {
        for w in f {
            *df.entry(w.as_str()).or_default() += 1;
        }
    }
    let mut vocab: Vec<(&str, usize)> = df.into_iter().filter(|(_, n)| *n >= opts.min_df).collect();
    vocab.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    vocab.truncate(opts.max_features);
    let mut features: Vec<String> = vocab.iter().map(|(w, _)| (*w).to_string()).collect();
    features.sort();
    let index: HashMap<&str, usize> = features
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), i))
        .collect();
    let classes: Vec<Class> = present.into_iter().collect();
    let matrix = |rows: &[usize]| -> (Array2<f64>, Array1<usize>) {
        let mut x = Array2::<f64>::zeros((rows.len(), features.len()));
        let mut y = Array1::<usize>::zeros(rows.len());
        for (r, &i) in rows.iter().enumerate() {
            let idx: Vec<usize> = feats[i]
                .iter()
                .filter_map(|f| index.get(f.as_str()).copied())
                .collect();
            let v = if idx.is_empty() {
                0.0
            } else {
                1.0 / (idx.len() as f64).sqrt()
            };
            for j in idx {
                x[[r, j]] = v;
            }
            y[r] = classes
                .iter()
                .position(|c| *c == examples[i].1)
                .unwrap_or(0);
        }
        (x, y)
    };
    let fit_rows = |rows: &[usize]| {
        let (x, y) = matrix(rows);
        let ds = Dataset::new(x, y);
        MultiLogisticRegression::default()
            .alpha(opts.alpha)
            .max_iterations(300)
            .fit(&ds)
            .map_err(|e| ClassifyError::Train(e.to_string()))
    };
    let all: Vec<usize> = (0..examples.len()).collect();
    let held: Vec<usize> = all.iter().copied().filter(|i| i % 5 == 4).collect();
    let train: Vec<usize> = all.iter().copied().filter(|i| i % 5 != 4).collect();
    let to_model = |m: &linfa_logistic::MultiFittedLogisticRegression<f64, usize>, t: f64| {
        // linfa orders classes by label; ours are 0..k, so column j is class m.classes()[j].
        let order: Vec<usize> = m.classes().to_vec();
        let p = m.params();
        let mut weights = vec![vec![0f32; classes.len()]; features.len()];
        let mut intercept = vec![0f32; classes.len()];
        for (j, &c) in order.iter().enumerate() {
            for (i, row) in weights.iter_mut().enumerate() {
                row[c] = p[[i, j]] as f32;
            }
            intercept[c] = m.intercept()[j] as f32;
        }
        let mut model = Model {
            format: "mailroom-classifier".into(),
            version: FORMAT_VERSION,
            revision: 0,
            trained_on: TrainingInfo::default(),
            classes: classes.clone(),
            features: features.clone(),
            weights,
            intercept,
            temperature: t,
            min_confidence: opts.min_confidence,
            first_names: BTreeSet::new(),
            index: HashMap::new(),
        };
        model.index = model
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        model
    };
    let (mut temperature, mut accuracy, mut nll) = (1.0, 0.0, 0.0);
    let held_classes: BTreeSet<Class> = train.iter().map(|&i| examples[i].1).collect();
    if !held.is_empty() && held_classes.len() == classes.len() {
        let m = fit_rows(&train)?;
        let model = to_model(&m, 1.0);
        let logits: Vec<(Vec<f64>, usize)> = held
            .iter()
            .map(|&i| {
                let y = classes
                    .iter()
                    .position(|c| *c == examples[i].1)
                    .unwrap_or(0);
                (model.logits(&examples[i].0), y)
            })
            .collect();
        // Generated training sets are separable, where plain NLL would sharpen without
        // bound; the targets are smoothed to what a set can vouch for (98 %), so the
        // confidence of an ordinary document lands near that and an odd one well below.
        let k = classes.len() as f64;
        let nll_at = |t: f64| {
            logits
                .iter()
                .map(|(z, y)| {
                    softmax(z, t)
                        .iter()
                        .enumerate()
                        .map(|(j, p)| {
                            let q = if j == *y {
                                1.0 - SMOOTHING
                            } else {
                                SMOOTHING / (k - 1.0)
                            };
                            -q * p.max(1e-12).ln()
                        })
                        .sum::<f64>()
                })
                .sum::<f64>()
                / logits.len() as f64
        };
        let mut best = (1.0, nll_at(1.0));
        let mut t = 0.02;
        while t <= 5.0 {
            let n = nll_at(t);
            if n < best.1 {
                best = (t, n);
            }
            t *= 1.1;
        }
        temperature = best.0;
        nll = best.1;
        let right = logits
            .iter()
            .filter(|(z, y)| {
                z.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(k, _)| k == *y)
                    .unwrap_or(false)
            })
            .count();
        accuracy = right as f64 / logits.len() as f64;
    }
    let m = fit_rows(&all)?;
    let mut model = to_model(&m, temperature);
    model.trained_on.held_out_accuracy = accuracy;
    model.trained_on.held_out_nll = nll;
    model.trained_on.alpha = opts.alpha;
    for e in examples {
        *model
            .trained_on
            .examples
            .entry(e.1.as_str().to_string())
            .or_default() += 1;
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_words_and_pairs() {
        let f = features_of("bulletin d'adhesion n° 12 a");
        assert!(f.contains("bulletin"));
        assert!(f.contains("adhesion"));
        assert!(f.contains("bulletin adhesion"));
        assert!(!f.contains("12"));
        assert!(!f.contains("a"));
    }

    #[test]
    fn the_embedded_model_loads() {
        let m = Model::embedded().expect("embedded model");
        assert_eq!(m.version, FORMAT_VERSION);
        assert!(m.features.len() > 100);
        for c in Class::ALL {
            let (pages, truth) = crate::layout::testkit::fixture(c.as_str());
            let fold: Vec<String> = pages
                .iter()
                .map(|p| crate::layout::PageLayout::new(p).fold())
                .collect();
            let p = m.predict(&fold.join("\n"));
            assert_eq!(p.best().0, truth.class, "{p:?}");
            assert!(p.best().1 > m.min_confidence, "{p:?}");
        }
        let p = m.predict("bonjour");
        let s: f64 = p.probs.iter().sum();
        assert!((s - 1.0).abs() < 1e-9);
    }

    #[test]
    fn fit_learns_and_round_trips() {
        let mut ex = Vec::new();
        for i in 0..30 {
            ex.push((
                format!("facture acquittee montant total {i}"),
                Class::Invoice,
            ));
            ex.push((format!("devis valable jusqu au {i}"), Class::Quote));
            ex.push((format!("releve identite bancaire iban {i}"), Class::Other));
        }
        let opts = FitOptions {
            min_df: 2,
            ..FitOptions::default()
        };
        let m = fit(&ex, &opts).unwrap();
        assert_eq!(m.predict("une facture acquittee").best().0, Class::Invoice);
        assert_eq!(m.predict("ce devis est valable").best().0, Class::Quote);
        let back = Model::from_json(&m.to_json()).unwrap();
        assert_eq!(back.features, m.features);
        let (a, b) = (m.predict("devis"), back.predict("devis"));
        assert!((a.probs[2] - b.probs[2]).abs() < 1e-3);
    }
}
