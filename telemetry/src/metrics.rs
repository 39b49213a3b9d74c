//! The process's metrics registry and the typed helpers that record each metric.
//!
//! One registry per process ([`metrics`]), so intake, the workers and the HTTP handlers record
//! into it without passing a handle around. Every label takes its value from a closed set
//! (the enums below, [`Class`], the four service queues): no id, name or text can become a
//! label. Every label set is created at start, so each series exists (at 0) from the first
//! scrape and `increase()` / `absent()` in alert rules behave.
//!
//! | metric | type | labels | what |
//! |---|---|---|---|
//! | `mailroom_envelopes_received_total` | counter | `door` | new envelopes stored by intake |
//! | `mailroom_envelopes_duplicated_total` | counter | `door` | second copies recognised and not stored |
//! | `mailroom_envelopes_refused_total` | counter | `door` | envelopes refused at intake (links, paths, sizes) |
//! | `mailroom_envelopes_processed_total` | counter | `outcome` | envelopes a worker finished: `stored`, `rejected`, `retried`, `already_done` |
//! | `mailroom_envelopes_rejected_total` | counter | `reason` | rejections by kind (`damaged`, `timeout`, `attempts`…) |
//! | `mailroom_pages_total` | counter | `kind` | pages read: `ocr`, `text_layer`, `blank` |
//! | `mailroom_stage_duration_seconds` | histogram | `stage` | time per envelope in `ocr`, `classify`, `store` |
//! | `mailroom_envelope_duration_seconds` | histogram | | end to end: intake's commit to the result's commit |
//! | `mailroom_ocr_slots_busy` | gauge | | OCR slots reading an envelope now |
//! | `mailroom_ocr_slots` | gauge | | OCR slots of this process |
//! | `mailroom_ocr_recognition_cpu_seconds_total` | counter | | CPU time the OCR engine spent recognising pages (its rate over the cores is the share of the machine doing pure recognition: the OCR floor) |
//! | `mailroom_documents_total` | counter | `class`, `route` | documents stored, by class and service queue |
//! | `mailroom_documents_straight_through_total` | counter | `class` | documents a clerk has only to approve ([`crate::straight_through`]) |
//! | `mailroom_deliveries_total` | counter | `outcome` | broker deliveries settled: `acked`, `retried`, `dead_lettered`, `stale`, `malformed`, `returned` |
//! | `mailroom_queue_depth_messages` | gauge | `queue` | messages ready in each broker queue (`envelopes`, `dead_letters`, the services, `events`); in embedded mode `envelopes` is the store's queue |
//! | `mailroom_envelopes_per_hour` | gauge | | envelopes this process finished over the last hour |
//! | `mailroom_validation_backlog_documents` | gauge | `service`, `age` | documents waiting for a clerk (from the store) |
//! | `mailroom_deadlines_at_risk_documents` | gauge | `deadline` | complaints due within 2 working days (from the store) |
//! | `mailroom_deadlines_overdue_documents` | gauge | `deadline` | complaints past due (from the store) |
//! | `mailroom_outbox_pending_messages` | gauge | `kind` | envelopes and events stored but not yet published |
//! | `mailroom_component_up` | gauge | `component` | 1 when the `store` / `broker` answered the last check |
//! | `mailroom_desk_decisions_last_hour` | gauge | `service`, `decision` | documents clerks `validated` / `rejected` over the last hour (from the store) |
//! | `mailroom_desk_corrections_last_hour` | gauge | `kind` | clerks' corrections over the last hour: `field`, `class`, `pages` |
//! | `mailroom_desk_corrected_documents_last_hour` | gauge | | documents with at least one correction over the last hour |
//! | `mailroom_desk_claimed_documents` | gauge | `service` | documents a clerk holds now |
//! | `mailroom_desk_login_failures_last_hour` | gauge | | refused desk logins over the last hour |
//! | `mailroom_working_hours` | gauge | | 1 Monday to Friday 08:00–18:00 Europe/Paris, public holidays excepted |

use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use mailroom_domain::Class;
use mailroom_store::metrics::{CorrectionKind, DeskActivity};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The four service queues, the only `route` / `service` label values.
pub const SERVICES: [&str; 4] = [
    "adhesions",
    "prestations",
    "reclamations",
    "qualification_manuelle",
];

/// A clerk's decision on a document (the `decision` label).
pub const DECISIONS: [&str; 2] = ["validated", "rejected"];

/// Which intake door an envelope came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    HotFolder,
    Upload,
    Cli,
}

impl Door {
    pub const ALL: [Door; 3] = [Door::HotFolder, Door::Upload, Door::Cli];

    pub fn as_str(self) -> &'static str {
        match self {
            Door::HotFolder => "hot_folder",
            Door::Upload => "upload",
            Door::Cli => "cli",
        }
    }

    /// The door of a store `source` (`hot_folder`, `cli`, `upload:<scanner>`): the scanner's
    /// name is dropped, it is not a label.
    pub fn from_source(source: &str) -> Door {
        if source.starts_with("upload") {
            Door::Upload
        } else if source == "hot_folder" {
            Door::HotFolder
        } else {
            Door::Cli
        }
    }
}

/// What became of an envelope a worker took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    /// Documents stored, waiting for validation.
    Stored,
    /// Rejected with a reason.
    Rejected,
    /// Given back for a later try (a machine fault).
    Retried,
    /// Found finished already (a redelivery).
    AlreadyDone,
}

impl Processed {
    pub const ALL: [Processed; 4] = [
        Processed::Stored,
        Processed::Rejected,
        Processed::Retried,
        Processed::AlreadyDone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Processed::Stored => "stored",
            Processed::Rejected => "rejected",
            Processed::Retried => "retried",
            Processed::AlreadyDone => "already_done",
        }
    }
}

/// Why an envelope was rejected: the OCR stage's error kinds, and the workers' own.
pub const REJECT_REASONS: [&str; 10] = [
    "unsupported",
    "damaged",
    "over_limit",
    "timeout",
    "crashed",
    "io",
    "engine",
    "attempts",
    "reader_failed",
    "classifier_failed",
];

/// How a page was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Ocr,
    TextLayer,
    Blank,
}

impl PageKind {
    pub const ALL: [PageKind; 3] = [PageKind::Ocr, PageKind::TextLayer, PageKind::Blank];

    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Ocr => "ocr",
            PageKind::TextLayer => "text_layer",
            PageKind::Blank => "blank",
        }
    }
}

/// A stage of the per-envelope pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading every page (decode, clean-up, OCR or text layer).
    Ocr,
    /// Splitting, classifying, extracting and checking fields.
    Classify,
    /// Committing pages, documents, fields, routes and events.
    Store,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Ocr, Stage::Classify, Stage::Store];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Ocr => "ocr",
            Stage::Classify => "classify",
            Stage::Store => "store",
        }
    }
}

/// How a broker delivery was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Acked,
    Retried,
    DeadLettered,
    /// The ack could not reach the broker (its channel was recovered): it redelivers.
    Stale,
    /// The body was not an envelope message: dead-lettered unread.
    Malformed,
    /// Handed back at shutdown.
    Returned,
}

impl Settlement {
    pub const ALL: [Settlement; 6] = [
        Settlement::Acked,
        Settlement::Retried,
        Settlement::DeadLettered,
        Settlement::Stale,
        Settlement::Malformed,
        Settlement::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Settlement::Acked => "acked",
            Settlement::Retried => "retried",
            Settlement::DeadLettered => "dead_lettered",
            Settlement::Stale => "stale",
            Settlement::Malformed => "malformed",
            Settlement::Returned => "returned",
        }
    }
}

/// A queue whose depth is watched: the broker's queues by their role (never by their
/// prefixed name), or the store's queue in embedded mode (`envelopes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Envelopes,
    DeadLetters,
    /// A service queue, one of [`SERVICES`].
    Service(&'static str),
    Events,
}

impl Queue {
    /// Every queue.
    pub fn all() -> Vec<Queue> {
        let mut all = vec![Queue::Envelopes, Queue::DeadLetters];
        all.extend(SERVICES.into_iter().map(Queue::Service));
        all.push(Queue::Events);
        all
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Envelopes => "envelopes",
            Queue::DeadLetters => "dead_letters",
            Queue::Service(s) => s,
            Queue::Events => "events",
        }
    }
}

/// A dependency readiness depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    Store,
    Broker,
}

impl Component {
    pub const ALL: [Component; 2] = [Component::Store, Component::Broker];

    pub fn as_str(self) -> &'static str {
        match self {
            Component::Store => "store",
            Component::Broker => "broker",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DoorLabel {
    door: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DocumentLabels {
    class: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClassLabel {
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    queue: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BacklogLabels {
    service: &'static str,
    age: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    service: &'static str,
    decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabel {
    service: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeadlineLabel {
    deadline: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabel {
    component: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Seconds a stage takes for one envelope: 50 ms (a text-layer page) to 5 minutes (a
/// long envelope on a loaded machine).
fn stage_histogram() -> Histogram {
    Histogram::new([
        0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0,
    ])
}

/// Seconds from intake to result: seconds when the mailroom keeps up, hours when it does not.
fn envelope_histogram() -> Histogram {
    Histogram::new([
        1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
        14400.0, 28800.0, 86400.0,
    ])
}

/// Bound on the finish times kept for [`Metrics::envelopes_per_hour`] (about 28 envelopes a
/// second for an hour; beyond that the gauge saturates rather than the memory growing).
const PER_HOUR_CAP: usize = 100_000;

/// The registry and its metrics; see the module docs for the list.
pub struct Metrics {
    registry: Registry,
    received: Family<DoorLabel, Counter>,
    duplicated: Family<DoorLabel, Counter>,
    refused: Family<DoorLabel, Counter>,
    processed: Family<OutcomeLabel, Counter>,
    rejected: Family<ReasonLabel, Counter>,
    pages: Family<KindLabel, Counter>,
    stages: HistogramFamily<StageLabel>,
    envelope_duration: Histogram,
    slots_busy: Gauge,
    slots: Gauge,
    recognition_cpu: Counter<f64, AtomicU64>,
    documents: Family<DocumentLabels, Counter>,
    straight_through: Family<ClassLabel, Counter>,
    deliveries: Family<OutcomeLabel, Counter>,
    queue_depth: Family<QueueLabel, Gauge>,
    per_hour: Gauge,
    backlog: Family<BacklogLabels, Gauge>,
    at_risk: Family<DeadlineLabel, Gauge>,
    overdue: Family<DeadlineLabel, Gauge>,
    outbox: Family<KindLabel, Gauge>,
    up: Family<ComponentLabel, Gauge>,
    working_hours: Gauge,
    desk_decisions: Family<DecisionLabels, Gauge>,
    desk_corrections: Family<KindLabel, Gauge>,
    desk_corrected: Gauge,
    desk_claimed: Family<ServiceLabel, Gauge>,
    desk_login_failures: Gauge,
    finished: Mutex<VecDeque<Instant>>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// This process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Metrics {
    fn new() -> Metrics {
        let m = Metrics {
            registry: Registry::default(),
            received: Family::default(),
            duplicated: Family::default(),
            refused: Family::default(),
            processed: Family::default(),
            rejected: Family::default(),
            pages: Family::default(),
            stages: Family::new_with_constructor(stage_histogram as fn() -> Histogram),
            envelope_duration: envelope_histogram(),
            slots_busy: Gauge::default(),
            slots: Gauge::default(),
            recognition_cpu: Counter::default(),
            documents: Family::default(),
            straight_through: Family::default(),
            deliveries: Family::default(),
            queue_depth: Family::default(),
            per_hour: Gauge::default(),
            backlog: Family::default(),
            at_risk: Family::default(),
            overdue: Family::default(),
            outbox: Family::default(),
            up: Family::default(),
            working_hours: Gauge::default(),
            desk_decisions: Family::default(),
            desk_corrections: Family::default(),
            desk_corrected: Gauge::default(),
            desk_claimed: Family::default(),
            desk_login_failures: Gauge::default(),
            finished: Mutex::new(VecDeque::new()),
        };
        m.register_all()
    }

    fn register_all(mut self) -> Metrics {
        // Every known label set now, so that each series exists from the first scrape.
        for d in Door::ALL {
            let l = DoorLabel { door: d.as_str() };
            drop(self.received.get_or_create(&l));
            drop(self.duplicated.get_or_create(&l));
            drop(self.refused.get_or_create(&l));
        }
        for o in Processed::ALL {
            drop(self.processed.get_or_create(&OutcomeLabel {
                outcome: o.as_str(),
            }));
        }
        for r in REJECT_REASONS {
            drop(self.rejected.get_or_create(&ReasonLabel { reason: r }));
        }
        for k in PageKind::ALL {
            drop(self.pages.get_or_create(&KindLabel { kind: k.as_str() }));
        }
        for s in Stage::ALL {
            drop(self.stages.get_or_create(&StageLabel { stage: s.as_str() }));
        }
        for c in Class::ALL {
            let route = route_of(c);
            drop(self.documents.get_or_create(&DocumentLabels {
                class: c.as_str(),
                route,
            }));
            drop(
                self.straight_through
                    .get_or_create(&ClassLabel { class: c.as_str() }),
            );
        }
        for s in Settlement::ALL {
            drop(self.deliveries.get_or_create(&OutcomeLabel {
                outcome: s.as_str(),
            }));
        }
        for q in Queue::all() {
            drop(
                self.queue_depth
                    .get_or_create(&QueueLabel { queue: q.as_str() }),
            );
        }
        for s in SERVICES {
            for a in mailroom_store::metrics::AgeBucket::ALL {
                drop(self.backlog.get_or_create(&BacklogLabels {
                    service: s,
                    age: a.as_str(),
                }));
            }
        }
        for d in mailroom_store::metrics::Deadline::ALL {
            let l = DeadlineLabel {
                deadline: d.as_str(),
            };
            drop(self.at_risk.get_or_create(&l));
            drop(self.overdue.get_or_create(&l));
        }
        for k in ["envelopes", "events"] {
            drop(self.outbox.get_or_create(&KindLabel { kind: k }));
        }
        for s in SERVICES {
            for decision in DECISIONS {
                drop(self.desk_decisions.get_or_create(&DecisionLabels {
                    service: s,
                    decision,
                }));
            }
            drop(
                self.desk_claimed
                    .get_or_create(&ServiceLabel { service: s }),
            );
        }
        for k in CorrectionKind::ALL {
            drop(
                self.desk_corrections
                    .get_or_create(&KindLabel { kind: k.as_str() }),
            );
        }
        // `mailroom_component_up` is not created ahead: a component this process does not use
        // (the broker, in embedded mode) must not read as down.

        let r = &mut self.registry;
        r.register(
            "mailroom_envelopes_received",
            "New envelopes stored by intake, by door",
            self.received.clone(),
        );
        r.register(
            "mailroom_envelopes_duplicated",
            "Second copies of an envelope recognised at intake and not stored again, by door",
            self.duplicated.clone(),
        );
        r.register(
            "mailroom_envelopes_refused",
            "Envelopes refused at intake (links, file names that are paths, over the limits), by door",
            self.refused.clone(),
        );
        r.register(
            "mailroom_envelopes_processed",
            "Envelopes a worker finished with, by outcome (stored, rejected, retried, already_done)",
            self.processed.clone(),
        );
        r.register(
            "mailroom_envelopes_rejected",
            "Envelopes rejected by the workers, by reason",
            self.rejected.clone(),
        );
        r.register(
            "mailroom_pages",
            "Pages read, by kind (ocr, text_layer, blank)",
            self.pages.clone(),
        );
        r.register(
            "mailroom_stage_duration_seconds",
            "Time one envelope spends in a pipeline stage (ocr, classify, store)",
            self.stages.clone(),
        );
        r.register(
            "mailroom_envelope_duration_seconds",
            "End to end: from intake storing an envelope to its result committed, queue wait included",
            self.envelope_duration.clone(),
        );
        r.register(
            "mailroom_ocr_slots_busy",
            "OCR slots reading an envelope now",
            self.slots_busy.clone(),
        );
        r.register(
            "mailroom_ocr_slots",
            "OCR slots of this process",
            self.slots.clone(),
        );
        r.register(
            "mailroom_ocr_recognition_cpu_seconds",
            "CPU time the OCR engine spent recognising pages (pure recognition, the OCR floor's measure)",
            self.recognition_cpu.clone(),
        );
        r.register(
            "mailroom_documents",
            "Documents stored, by class and by route (service queue)",
            self.documents.clone(),
        );
        r.register(
            "mailroom_documents_straight_through",
            "Documents whose class confidence reaches the routing threshold and whose every field is valid, by class",
            self.straight_through.clone(),
        );
        r.register(
            "mailroom_deliveries",
            "Broker deliveries settled, by outcome",
            self.deliveries.clone(),
        );
        r.register(
            "mailroom_queue_depth_messages",
            "Messages ready in each queue (broker: passive declare; embedded: envelopes waiting in the store)",
            self.queue_depth.clone(),
        );
        r.register(
            "mailroom_envelopes_per_hour",
            "Envelopes this process finished (stored or rejected) over the last hour",
            self.per_hour.clone(),
        );
        r.register(
            "mailroom_validation_backlog_documents",
            "Documents waiting for a clerk's validation, by service and by age since intake",
            self.backlog.clone(),
        );
        r.register(
            "mailroom_deadlines_at_risk_documents",
            "Complaints waiting for validation due within 2 working days, by deadline",
            self.at_risk.clone(),
        );
        r.register(
            "mailroom_deadlines_overdue_documents",
            "Complaints waiting for validation past their due date, by deadline",
            self.overdue.clone(),
        );
        r.register(
            "mailroom_outbox_pending_messages",
            "Envelopes and events stored but not yet published to the broker",
            self.outbox.clone(),
        );
        r.register(
            "mailroom_component_up",
            "1 when the component answered its last check, 0 otherwise",
            self.up.clone(),
        );
        r.register(
            "mailroom_desk_decisions_last_hour",
            "Documents clerks validated or rejected over the last hour, by service and decision (every web process, from the store)",
            self.desk_decisions.clone(),
        );
        r.register(
            "mailroom_desk_corrections_last_hour",
            "Clerks' corrections over the last hour, by kind (field value, class, pages)",
            self.desk_corrections.clone(),
        );
        r.register(
            "mailroom_desk_corrected_documents_last_hour",
            "Documents with at least one clerk's correction over the last hour",
            self.desk_corrected.clone(),
        );
        r.register(
            "mailroom_desk_claimed_documents",
            "Documents a clerk holds now, by service",
            self.desk_claimed.clone(),
        );
        r.register(
            "mailroom_desk_login_failures_last_hour",
            "Refused desk logins over the last hour",
            self.desk_login_failures.clone(),
        );
        r.register(
            "mailroom_working_hours",
            "1 during working hours: Monday to Friday 08:00-18:00 Europe/Paris, French public holidays excepted",
            self.working_hours.clone(),
        );
        self
    }

    /// A new envelope stored by intake.
    pub fn envelope_received(&self, door: Door) {
        self.received
            .get_or_create(&DoorLabel {
                door: door.as_str(),
            })
            .inc();
    }

    /// A second copy recognised at intake.
    pub fn envelope_duplicated(&self, door: Door) {
        self.duplicated
            .get_or_create(&DoorLabel {
                door: door.as_str(),
            })
            .inc();
    }

    /// An envelope refused at intake.
    pub fn envelope_refused(&self, door: Door) {
        self.refused
            .get_or_create(&DoorLabel {
                door: door.as_str(),
            })
            .inc();
    }

    /// A worker finished with an envelope. Stored and rejected envelopes count towards
    /// `mailroom_envelopes_per_hour`.
    pub fn envelope_processed(&self, outcome: Processed) {
        self.processed
            .get_or_create(&OutcomeLabel {
                outcome: outcome.as_str(),
            })
            .inc();
        if matches!(outcome, Processed::Stored | Processed::Rejected) {
            let now = Instant::now();
            let mut finished = self.finished.lock().unwrap_or_else(|e| e.into_inner());
            prune(&mut finished, now);
            if finished.len() >= PER_HOUR_CAP {
                finished.pop_front();
            }
            finished.push_back(now);
        }
    }

    /// A rejection, by reason: one of [`REJECT_REASONS`] (anything else counts as `engine`,
    /// so a label value can never come from elsewhere).
    pub fn envelope_rejected(&self, reason: &str) {
        let reason = REJECT_REASONS
            .iter()
            .find(|r| **r == reason)
            .copied()
            .unwrap_or("engine");
        self.rejected.get_or_create(&ReasonLabel { reason }).inc();
    }

    /// `n` pages read as `kind`.
    pub fn pages_read(&self, kind: PageKind, n: u64) {
        self.pages
            .get_or_create(&KindLabel {
                kind: kind.as_str(),
            })
            .inc_by(n);
    }

    /// CPU time the OCR engine spent recognising an envelope's pages.
    pub fn recognition_cpu(&self, elapsed: Duration) {
        self.recognition_cpu.inc_by(elapsed.as_secs_f64());
    }

    /// Time an envelope spent in a stage.
    pub fn stage_duration(&self, stage: Stage, elapsed: Duration) {
        self.stages
            .get_or_create(&StageLabel {
                stage: stage.as_str(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// End-to-end time of an envelope.
    pub fn envelope_duration(&self, elapsed: Duration) {
        self.envelope_duration.observe(elapsed.as_secs_f64());
    }

    /// This process's OCR slots.
    pub fn set_ocr_slots(&self, n: usize) {
        self.slots.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Marks an OCR slot busy until the guard is dropped.
    pub fn ocr_slot_busy(&'static self) -> SlotGuard {
        self.slots_busy.inc();
        SlotGuard { metrics: self }
    }

    /// A document stored, with its class and route, and whether it went straight through.
    pub fn document_stored(&self, class: Class, straight_through: bool) {
        self.documents
            .get_or_create(&DocumentLabels {
                class: class.as_str(),
                route: route_of(class),
            })
            .inc();
        if straight_through {
            self.straight_through
                .get_or_create(&ClassLabel {
                    class: class.as_str(),
                })
                .inc();
        }
    }

    /// A broker delivery settled.
    pub fn delivery(&self, how: Settlement) {
        self.deliveries
            .get_or_create(&OutcomeLabel {
                outcome: how.as_str(),
            })
            .inc();
    }

    /// `n` broker deliveries settled the same way.
    pub fn deliveries(&self, how: Settlement, n: u64) {
        self.deliveries
            .get_or_create(&OutcomeLabel {
                outcome: how.as_str(),
            })
            .inc_by(n);
    }

    /// The depth of a queue.
    pub fn set_queue_depth(&self, queue: Queue, messages: u64) {
        self.queue_depth
            .get_or_create(&QueueLabel {
                queue: queue.as_str(),
            })
            .set(gauge_value(messages));
    }

    /// The last depth recorded for a queue.
    pub fn queue_depth(&self, queue: Queue) -> u64 {
        u64::try_from(
            self.queue_depth
                .get_or_create(&QueueLabel {
                    queue: queue.as_str(),
                })
                .get(),
        )
        .unwrap_or(0)
    }

    /// The store's figures, from the sampler.
    pub fn set_store_figures(
        &self,
        backlog: &[mailroom_store::metrics::BacklogCount],
        deadlines: &[mailroom_store::metrics::DeadlineCount],
        queue: &mailroom_store::metrics::QueueFigures,
    ) {
        for s in SERVICES {
            for a in mailroom_store::metrics::AgeBucket::ALL {
                let n: u64 = backlog
                    .iter()
                    .filter(|b| b.service == s && b.age == a)
                    .map(|b| b.documents)
                    .sum();
                self.backlog
                    .get_or_create(&BacklogLabels {
                        service: s,
                        age: a.as_str(),
                    })
                    .set(gauge_value(n));
            }
        }
        for d in deadlines {
            let l = DeadlineLabel {
                deadline: d.deadline.as_str(),
            };
            self.at_risk.get_or_create(&l).set(gauge_value(d.at_risk));
            self.overdue.get_or_create(&l).set(gauge_value(d.overdue));
        }
        self.outbox
            .get_or_create(&KindLabel { kind: "envelopes" })
            .set(gauge_value(queue.unpublished_envelopes));
        self.outbox
            .get_or_create(&KindLabel { kind: "events" })
            .set(gauge_value(queue.pending_events));
    }

    /// The clerks' last hour, from the sampler.
    pub fn set_desk_activity(&self, a: &DeskActivity) {
        for s in SERVICES {
            for decision in DECISIONS {
                let n = a
                    .decisions
                    .iter()
                    .filter(|(q, d, _)| q == s && d == decision)
                    .map(|(_, _, n)| *n)
                    .sum();
                self.desk_decisions
                    .get_or_create(&DecisionLabels {
                        service: s,
                        decision,
                    })
                    .set(gauge_value(n));
            }
            let held = a
                .claimed
                .iter()
                .filter(|(q, _)| q == s)
                .map(|(_, n)| *n)
                .sum();
            self.desk_claimed
                .get_or_create(&ServiceLabel { service: s })
                .set(gauge_value(held));
        }
        for (k, n) in &a.corrections {
            self.desk_corrections
                .get_or_create(&KindLabel { kind: k.as_str() })
                .set(gauge_value(*n));
        }
        self.desk_corrected.set(gauge_value(a.corrected_documents));
        self.desk_login_failures.set(gauge_value(a.login_failures));
    }

    /// Whether a component answered its last check.
    pub fn set_up(&self, component: Component, up: bool) {
        self.up
            .get_or_create(&ComponentLabel {
                component: component.as_str(),
            })
            .set(i64::from(up));
    }

    /// Envelopes this process finished over the last hour.
    pub fn envelopes_per_hour(&self) -> u64 {
        let mut finished = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        prune(&mut finished, Instant::now());
        finished.len() as u64
    }

    /// The text exposition (OpenMetrics), with the gauges computed at scrape time
    /// (envelopes per hour, working hours) brought up to date first.
    pub fn encode(&self) -> String {
        self.per_hour.set(gauge_value(self.envelopes_per_hour()));
        self.working_hours
            .set(i64::from(crate::paris::working_hours(
                time::OffsetDateTime::now_utc(),
            )));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        out
    }
}

/// Drops finish times older than an hour.
fn prune(finished: &mut VecDeque<Instant>, now: Instant) {
    let hour = Duration::from_secs(3600);
    while finished
        .front()
        .is_some_and(|t| now.duration_since(*t) > hour)
    {
        finished.pop_front();
    }
}

/// The service queue of a class (the routing table of `mailroom-workers`, repeated here as
/// label values; a test there checks they agree).
pub fn route_of(class: Class) -> &'static str {
    match class {
        Class::MembershipForm => "adhesions",
        Class::Invoice | Class::Quote => "prestations",
        Class::Complaint => "reclamations",
        Class::Other => "qualification_manuelle",
    }
}

/// An OCR slot marked busy; dropping it frees the slot.
#[must_use = "the slot is busy only while the guard lives"]
pub struct SlotGuard {
    metrics: &'static Metrics,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.metrics.slots_busy.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_exists_from_the_start() {
        let text = metrics().encode();
        for name in [
            "mailroom_envelopes_received_total{door=\"upload\"}",
            "mailroom_envelopes_processed_total{outcome=\"stored\"}",
            "mailroom_pages_total{kind=\"text_layer\"}",
            "mailroom_stage_duration_seconds_bucket{le=\"0.05\",stage=\"ocr\"}",
            "mailroom_envelope_duration_seconds_count",
            "mailroom_documents_total{class=\"complaint\",route=\"reclamations\"}",
            "mailroom_queue_depth_messages{queue=\"dead_letters\"}",
            "mailroom_validation_backlog_documents{service=\"adhesions\",age=\"over_7d\"}",
            "mailroom_deadlines_overdue_documents{deadline=\"answer\"}",
            "mailroom_working_hours ",
            "mailroom_envelopes_per_hour ",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }

    #[test]
    fn unknown_rejection_reasons_do_not_become_labels() {
        metrics().envelope_rejected("e-0123456789abcdef0123");
        assert!(!metrics().encode().contains("e-0123456789"));
    }

    #[test]
    fn slot_guards_free_their_slot() {
        let before = metrics().slots_busy.get();
        let g = metrics().ocr_slot_busy();
        assert_eq!(metrics().slots_busy.get(), before + 1);
        drop(g);
        assert_eq!(metrics().slots_busy.get(), before);
    }
}
