//! Complaint letters (réclamations): what members write to their mutuelle when something goes
//! wrong, in the shapes such mail really takes — a typed formal letter, a handwritten page on
//! lined paper, a printed e-mail, a short angry note, a registered "mise en demeure", or an
//! ordinary request with the complaint hidden in one paragraph.
//!
//! The text is assembled from paragraph templates, several wordings per paragraph kind, so that
//! a classifier cannot learn one sentence. The values that are truth fields (references, the
//! disputed amount, the escalation mention, the member number, the names and the letter date)
//! are tagged inside the templates: the truth is recorded from what is actually drawn, with the
//! box of each printed value.

use super::{Ctx, DisputeRef};
use crate::doc::{BoxMm, Doc, DocBuilder, Rng, text_box};
use crate::fonts::{self, Font};
use crate::values::{self, DateStyle, Sex, fmt_date, iso, pick};
use mailroom_domain::{Amount, Class, normalize};
use rand::Rng as _;
use serde_json::Value;
use time::{Date, Duration};

/// The letter designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Formal,
    Handwritten,
    Email,
    Note,
    Registered,
    Embedded,
}

#[cfg(test)]
const VARIANTS: [Variant; 6] = [
    Variant::Formal,
    Variant::Handwritten,
    Variant::Email,
    Variant::Note,
    Variant::Registered,
    Variant::Embedded,
];

/// Draws a complaint letter. When `disputed` is given, the letter is about that invoice (which
/// travels in the same envelope) and cites its number, date, provider and the disputed amount.
pub fn render(rng: &mut Rng, ctx: &Ctx, disputed: Option<&DisputeRef>) -> Doc {
    let variant = match rng.random_range(0..100) {
        0..25 => Variant::Formal,
        25..45 => Variant::Handwritten,
        45..60 => Variant::Email,
        60..70 => Variant::Note,
        70..82 => Variant::Registered,
        _ => Variant::Embedded,
    };
    render_variant(rng, ctx, disputed, variant)
}

fn render_variant(
    rng: &mut Rng,
    ctx: &Ctx,
    disputed: Option<&DisputeRef>,
    variant: Variant,
) -> Doc {
    // About 30 % of complaints escalate overall: the registered notice always does.
    let p_esc = match variant {
        Variant::Registered => 1.0,
        Variant::Note => 0.3,
        Variant::Embedded => 0.1,
        _ => 0.2,
    };
    let escalation = rng.random_bool(p_esc);
    let c = Content::new(rng, ctx, disputed, escalation);
    match variant {
        Variant::Formal => formal(rng, ctx, c),
        Variant::Handwritten => handwritten(rng, ctx, c),
        Variant::Email => email(rng, ctx, c),
        Variant::Note => note(rng, ctx, c),
        Variant::Registered => registered(rng, ctx, c),
        Variant::Embedded => embedded(rng, ctx, c),
    }
}

// ---------------------------------------------------------------------------------------------
// Tagged text

/// What a printed piece of text is evidence of.
#[derive(Clone, Debug, PartialEq)]
enum Tag {
    First,
    Last,
    Member,
    LetterDate,
    /// A cited reference, normalised.
    Ref(String),
    Amount(Amount),
    /// A mention of the médiateur, the ACPR, a lawyer, a court or a mise en demeure.
    Esc,
}

#[derive(Clone, Debug)]
struct Seg {
    text: String,
    tag: Option<Tag>,
}

fn plain(s: impl Into<String>) -> Seg {
    Seg {
        text: s.into(),
        tag: None,
    }
}

fn tagged(s: impl Into<String>, tag: Tag) -> Seg {
    Seg {
        text: s.into(),
        tag: Some(tag),
    }
}

fn concat(segs: &[Seg]) -> String {
    segs.iter().map(|s| s.text.as_str()).collect()
}

/// Template variables: `{name}` in a template is replaced by the segment set under `name`.
#[derive(Default)]
struct Vars(Vec<(&'static str, Seg)>);

impl Vars {
    fn set(&mut self, name: &'static str, seg: Seg) {
        if let Some(e) = self.0.iter_mut().find(|(n, _)| *n == name) {
            e.1 = seg;
        } else {
            self.0.push((name, seg));
        }
    }

    fn text(&mut self, name: &'static str, s: impl Into<String>) {
        self.set(name, plain(s));
    }

    fn get(&self, name: &str) -> Option<&Seg> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
    }
}

/// The `{names}` a template uses.
fn placeholders(tpl: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = tpl;
    while let Some(i) = rest.find('{') {
        let r = &rest[i + 1..];
        let Some(j) = r.find('}') else { break };
        out.push(&r[..j]);
        rest = &r[j + 1..];
    }
    out
}

fn usable(tpl: &str, v: &Vars) -> bool {
    placeholders(tpl).iter().all(|n| v.get(n).is_some())
}

/// Expands a template: `{name}` from `v`, `[[text]]` as an escalation mention.
fn fill(tpl: &str, v: &Vars) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut rest = tpl;
    let flush = |buf: &mut String, out: &mut Vec<Seg>| {
        if !buf.is_empty() {
            out.push(plain(std::mem::take(buf)));
        }
    };
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("[[") {
            let end = r.find("]]").expect("unclosed [[ in template");
            flush(&mut buf, &mut out);
            out.push(tagged(&r[..end], Tag::Esc));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('{') {
            let end = r.find('}').expect("unclosed { in template");
            let name = &r[..end];
            let seg = v
                .get(name)
                .unwrap_or_else(|| panic!("template variable {name} is not set"));
            if seg.tag.is_none() {
                buf.push_str(&seg.text);
            } else {
                flush(&mut buf, &mut out);
                out.push(seg.clone());
            }
            rest = &r[end + 1..];
        } else {
            buf.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    flush(&mut buf, &mut out);
    out
}

/// One of the templates whose variables are all set.
fn choose<'t>(rng: &mut Rng, list: &[&'t str], v: &Vars) -> &'t str {
    let ok: Vec<&'t str> = list.iter().copied().filter(|t| usable(t, v)).collect();
    assert!(!ok.is_empty(), "no usable template among {list:?}");
    ok[rng.random_range(0..ok.len())]
}

/// One of a list of strings.
fn pk<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

/// Joins sentences into one paragraph.
fn join(parts: Vec<Vec<Seg>>) -> Vec<Seg> {
    let mut out = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(plain(" "));
        }
        out.extend(p);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Wording

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Theme {
    Refused,
    Late,
    WrongAmount,
    DoubleDebit,
    TiersPayant,
    NoAnswer,
    Termination,
    CardMissing,
}

const INTRO: &[&str] = &[
    "Je me permets de vous écrire au sujet d'un problème que je n'arrive pas à régler par téléphone.",
    "Adhérent{e} de votre mutuelle depuis {since}, je vous écris car je rencontre un problème avec mon dossier.",
    "Par la présente, je souhaite vous faire part de mon profond mécontentement.",
    "Je me vois contraint{e} de vous adresser ce courrier, ma situation n'étant toujours pas réglée.",
    "Je reviens vers vous au sujet de {care} : je n'ai toujours pas obtenu satisfaction.",
    "Je suis adhérent{e} chez vous depuis {since} et c'est la première fois que je dois vous écrire pour me plaindre.",
    "Je souhaite déposer une réclamation concernant {care}.",
    "Suite à mon appel du {prev_date} à votre service client, je vous confirme ma réclamation par écrit.",
    "Je vous écris une nouvelle fois, faute d'avoir obtenu une réponse claire de vos services.",
    "Je tiens à vous signaler un dysfonctionnement dans le traitement de mon dossier.",
    "Cliente fidèle depuis {since}, je suis aujourd'hui obligée de vous écrire pour me plaindre.",
];

const INTRO_MEMBER: &[&str] = &[
    "Adhérent{e} sous le numéro {mem}, je me permets de vous écrire car un problème persiste sur mon dossier.",
    "Je suis adhérent{e} de votre mutuelle (n° {mem}) et je vous écris pour vous faire part de mon mécontentement.",
    "Mon numéro d'adhérent est le {mem}. Je vous écris au sujet de {care}.",
    "Je vous écris concernant mon contrat, numéro d'adhérent {mem}.",
    "Titulaire du contrat adhérent n° {mem}, je souhaite déposer une réclamation.",
    "Je vous contacte au sujet de mon dossier d'adhérent {mem}, qui n'est toujours pas réglé.",
];

const FACTS_INV_REFUSED: &[&str] = &[
    "Le {inv_date}, j'ai réglé chez {prov} la facture n° {ref} d'un montant de {total}. Vous avez refusé de me rembourser la part qui vous revient, soit {amt}, sans aucune explication.",
    "Je vous ai transmis la facture n° {ref} du {inv_date} établie par {prov}. Votre service m'indique que cette dépense n'est pas prise en charge, alors que ma garantie prévoit un remboursement de {amt}.",
    "J'ai reçu un refus de prise en charge pour la facture {ref} {de_prov}, datée du {inv_date}. Le montant en jeu est de {amt}.",
    "Ma demande de remboursement concernant la facture n° {ref} ({prov}, {inv_date}) a été rejetée au motif que le document serait « non conforme ». Il s'agit pourtant d'une facture originale et acquittée, d'un montant total de {total}.",
    "Vous avez rejeté le remboursement de la facture {ref} que {prov} m'a remise le {inv_date}, au prétexte que la prescription manquait. L'ordonnance était pourtant jointe à mon envoi.",
];
const FACTS_INV_LATE: &[&str] = &[
    "Je vous ai adressé le {prev_date} la facture n° {ref} {de_prov}, datée du {inv_date}, pour un montant restant à ma charge de {amt}. À ce jour, je n'ai perçu aucun remboursement.",
    "Cela fait maintenant plus de {weeks} semaines que j'attends le remboursement de la facture {ref} du {inv_date} ({prov}), soit {amt}.",
    "Malgré l'envoi de la facture n° {ref} émise par {prov} le {inv_date}, aucun versement n'est apparu sur mon compte. La somme attendue s'élève à {amt}.",
    "La facture {ref} {de_prov} du {inv_date} vous a été envoyée il y a plus de {weeks} semaines et elle n'est toujours pas remboursée.",
];
const FACTS_INV_WRONG: &[&str] = &[
    "Pour la facture n° {ref} du {inv_date} {de_prov}, d'un montant de {total}, vous ne m'avez remboursé que {paid}. D'après le tableau de garanties de mon contrat, il me manque {amt}.",
    "Le remboursement que j'ai reçu pour la facture {ref} ({prov}, {inv_date}) est nettement inférieur à ce que prévoit ma formule : il manque {amt}.",
    "Je constate une erreur dans votre décompte concernant la facture n° {ref} du {inv_date} : vous avez versé {paid} alors que ma garantie couvre {expected}, soit une différence de {amt}.",
    "Concernant la facture {ref} {de_prov} (soins du {inv_date}), le montant versé ne correspond pas à ma garantie. Selon mes calculs, vous me devez encore {amt}.",
];
const FACTS_INV_TIERS: &[&str] = &[
    "Le {inv_date}, {prov} a refusé d'appliquer le tiers payant au motif que mes droits n'apparaissaient pas chez vous. J'ai donc dû avancer la totalité de la facture n° {ref}, soit {total}, dont {amt} auraient dû être pris en charge par la mutuelle.",
    "Lors de mon passage chez {prov} le {inv_date}, le tiers payant m'a été refusé : votre organisme ne répondait pas à la demande de prise en charge. J'ai dû régler moi-même {amt} (facture n° {ref}).",
    "Malgré ma carte de tiers payant à jour, {prov} n'a pas pu obtenir votre accord le {inv_date}. J'ai avancé les frais (facture {ref}) et j'attends le remboursement de {amt}.",
];
const FACTS_INV_NOANSWER: &[&str] = &[
    "Le {prev_date}, je vous ai transmis la facture n° {ref} {de_prov} du {inv_date}, accompagnée d'une lettre explicative. Je n'ai reçu ni réponse ni remboursement des {amt} qui me sont dus.",
    "Voici le troisième courrier que je vous adresse au sujet de la facture {ref} ({prov}, {inv_date}). Mes lettres du {prev_date2} et du {prev_date} sont restées sans réponse. Le montant en attente est de {amt}.",
    "Je vous ai écrit à deux reprises, le {prev_date2} puis le {prev_date}, au sujet de la facture {ref} {de_prov} datée du {inv_date}. Aucune réponse ne m'est parvenue.",
];

const FACTS_REFUSED: &[&str] = &[
    "J'ai envoyé le {prev_date} ma demande de remboursement pour {care}. Votre décompte n° {decompte} indique un rejet, sans motif compréhensible.",
    "Ma demande de prise en charge concernant {care} (soins du {care_date}) a été refusée. Ces soins sont pourtant prévus par mon contrat.",
    "Vous refusez de me rembourser {care} au motif que la prescription serait trop ancienne. Or l'ordonnance date de moins d'un an. Le montant concerné est de {amt}.",
    "Votre service a rejeté mon dossier n° {dossier} relatif à {care}, alors que tous les justificatifs étaient joints.",
    "Le remboursement de {care} m'a été refusé, pour un montant de {amt}, au motif d'un « défaut de pièce justificative ».",
];
const FACTS_LATE: &[&str] = &[
    "J'ai adressé à vos services, le {prev_date}, toutes les pièces nécessaires au remboursement de {care}. Plus de {weeks} semaines plus tard, je n'ai toujours rien reçu.",
    "Mon dossier n° {dossier}, relatif à {care}, est en attente depuis le {prev_date}. Le montant attendu est de {amt}.",
    "Je n'ai toujours pas été remboursé{e} de {care}, alors que la Sécurité sociale a réglé sa part depuis longtemps.",
    "Les soins du {care_date} ({care}) ne sont toujours pas remboursés, soit {amt} que j'ai avancés.",
];
const FACTS_WRONG: &[&str] = &[
    "Sur le décompte n° {decompte}, vous m'avez versé {paid} pour {care}, alors que ma garantie prévoit {expected}. Il me manque donc {amt}.",
    "Le remboursement reçu pour {care} ne correspond pas à ma garantie : il manque {amt}.",
    "Votre décompte du {prev_date} comporte une erreur : le montant remboursé pour {care} est de {paid} au lieu de {expected}.",
    "Pour {care} (soins du {care_date}), vous avez appliqué le mauvais niveau de garantie, ce qui me fait perdre {amt}.",
    "Le remboursement reçu pour {care} est bien inférieur à ce que prévoit le tableau de garanties de ma formule.",
    "Pour {care}, vous ne m'avez remboursé que la base de la Sécurité sociale, sans appliquer mon niveau de garantie.",
];
const FACTS_DOUBLE: &[&str] = &[
    "Ma cotisation du mois de {month} a été prélevée deux fois sur mon compte bancaire, le {debit_date}, pour un montant de {amt} à chaque fois.",
    "En consultant mon relevé bancaire, j'ai constaté un double prélèvement de ma cotisation mensuelle ({amt}) le {debit_date}.",
    "Vous avez prélevé deux fois la cotisation de {month}. Ce prélèvement en trop de {amt} m'a mis{e} à découvert.",
    "Je constate sur mon relevé de compte deux prélèvements identiques de {amt} effectués par {mutuelle} au titre du mois de {month}.",
    "Le {debit_date}, ma cotisation a été débitée deux fois.",
];
const FACTS_TIERS: &[&str] = &[
    "Le {care_date}, ma pharmacie a refusé le tiers payant : selon le pharmacien, mes droits ne sont pas ouverts chez vous. J'ai dû avancer {amt}.",
    "Pour la deuxième fois ce mois-ci, le tiers payant m'a été refusé, à la pharmacie comme chez l'opticien, alors que je suis à jour de mes cotisations.",
    "Le pharmacien n'a pas pu lire mes droits mutuelle le {care_date} et j'ai dû payer l'intégralité de mes médicaments, soit {amt}.",
    "Depuis le début de l'année, les professionnels de santé m'indiquent que votre mutuelle refuse le tiers payant sur ma carte.",
];
const FACTS_NOANSWER: &[&str] = &[
    "Je vous ai écrit le {prev_date2}, puis le {prev_date}, au sujet de mon dossier n° {dossier}. À ce jour, aucune réponse.",
    "Malgré mes nombreux appels et un courrier envoyé le {prev_date}, ma demande concernant {care} reste sans réponse.",
    "Voilà plus de deux mois que j'attends une réponse à ma réclamation n° {dossier}.",
    "Mon courrier du {prev_date} concernant {care} est resté lettre morte, tout comme mes messages sur l'espace adhérent.",
];
const FACTS_TERMINATION: &[&str] = &[
    "Par courrier recommandé du {prev_date}, je vous ai demandé la résiliation de mon contrat à compter du {res_date}. Or vous continuez à prélever mes cotisations.",
    "Bien que j'aie résilié mon contrat (demande du {prev_date}, effet au {res_date}), vous avez encore prélevé {amt} sur mon compte.",
    "Ma résiliation, envoyée le {prev_date} par l'intermédiaire de ma nouvelle mutuelle, n'a visiblement pas été prise en compte : les prélèvements continuent.",
    "Mon contrat est résilié depuis le {res_date}, mais vous m'avez encore prélevé {amt}.",
];
const FACTS_CARD: &[&str] = &[
    "Je n'ai toujours pas reçu ma carte de tiers payant pour l'année {year}, malgré ma demande du {prev_date}.",
    "Ma carte de tiers payant {year} ne m'est jamais parvenue. Depuis le début de l'année, je dois avancer tous mes frais de santé.",
    "Depuis mon adhésion, je n'ai jamais reçu de carte de tiers payant, ni pour moi ni pour ma famille.",
    "J'ai signalé le {prev_date} que je n'avais pas reçu ma nouvelle carte de mutuelle. Je l'attends toujours.",
];

const GRIEF: &[&str] = &[
    "Je trouve cette situation inadmissible.",
    "Je ne comprends pas comment une telle erreur est possible.",
    "Je suis très déçu{e} par la manière dont mon dossier est traité.",
    "Cette situation me cause un réel préjudice financier.",
    "Je paie mes cotisations chaque mois sans faute et j'attends en retour un service correct.",
    "Vos conseillers téléphoniques me renvoient d'un service à l'autre sans jamais apporter de solution.",
    "Il est anormal de devoir relancer sans cesse pour obtenir ce qui m'est dû.",
    "Je commence sérieusement à regretter d'avoir choisi votre mutuelle.",
    "Ce n'est pas la première fois que je rencontre ce genre de difficulté avec vos services.",
    "Ce manque de sérieux n'est pas acceptable.",
    "Je suis profondément mécontent{e} de ce traitement.",
];
const GRIEF_DOUBLE: &[&str] = &[
    "Ce prélèvement en double a mis mon compte à découvert et m'a occasionné des frais bancaires.",
    "Je ne comprends pas qu'une telle erreur puisse se produire sans que vous la détectiez.",
];
const GRIEF_TERMINATION: &[&str] = &[
    "Je n'ai plus aucun lien avec votre mutuelle et ces prélèvements sont injustifiés.",
    "Ma nouvelle complémentaire m'a pourtant confirmé vous avoir transmis la demande dans les délais.",
];
const GRIEF_CARD: &[&str] = &[
    "Je suis obligé{e} d'avancer les frais à chaque visite chez le médecin ou à la pharmacie.",
    "Sans carte, je ne peux pas bénéficier du tiers payant, ce qui est très pénalisant.",
];
const GRIEF_TIERS: &[&str] = &[
    "Je me suis retrouvé{e} dans une situation très gênante devant les autres clients.",
    "Devoir avancer une telle somme n'est pas normal lorsque l'on est à jour de ses cotisations.",
];
const GRIEF_WAIT: &[&str] = &[
    "Ce délai est anormalement long.",
    "Je ne peux pas attendre indéfiniment ce remboursement.",
];

const PRIOR: &[&str] = &[
    "J'ai déjà contacté votre service client par téléphone le {prev_date}, sans résultat.",
    "Un conseiller m'avait assuré que le problème serait réglé sous huit jours ; il n'en est rien.",
    "Mon précédent courrier du {prev_date} est resté sans réponse.",
    "J'ai également envoyé un message depuis mon espace adhérent, resté sans suite.",
    "J'ai appelé à trois reprises et l'on m'a chaque fois promis un rappel qui n'est jamais venu.",
];

const DEMAND_AMOUNT: &[&str] = &[
    "Je vous demande donc de procéder sans délai au remboursement de la somme de {amt}.",
    "Je vous remercie de bien vouloir me verser les {amt} qui me sont dus dans les plus brefs délais.",
    "Je vous prie de régulariser ma situation en me remboursant {amt}.",
    "Merci de me rembourser {amt} au plus vite et de m'expliquer ce qui s'est passé.",
    "J'attends donc le versement de {amt} sur mon compte dans les meilleurs délais.",
];
const DEMAND: &[&str] = &[
    "Je vous demande de régulariser ma situation dans les meilleurs délais.",
    "Je vous remercie de traiter ma demande rapidement et de me tenir informé{e}.",
    "Je souhaite obtenir une réponse écrite et une solution rapide.",
    "Je vous prie de bien vouloir examiner à nouveau mon dossier.",
];
const DEMAND_REFUSED: &[&str] = &[
    "Je vous demande de réexaminer mon dossier et de procéder au remboursement prévu par mon contrat.",
];
const DEMAND_WRONG: &[&str] =
    &["Je vous demande de revoir le calcul et de me verser le complément."];
const DEMAND_DOUBLE: &[&str] = &[
    "Je vous demande de me rembourser immédiatement les {amt} prélevés à tort, ainsi que les frais bancaires occasionnés.",
    "Je vous demande de me rembourser sans attendre le prélèvement effectué en double.",
];
const DEMAND_TIERS: &[&str] = &[
    "Je vous demande de vérifier que mes droits sont bien transmis aux professionnels de santé et de me rembourser les frais avancés.",
    "Merci de corriger mes droits au tiers payant et de me rembourser {amt}.",
];
const DEMAND_TERMINATION: &[&str] = &[
    "Je vous demande de prendre acte de ma résiliation, de cesser tout prélèvement et de me rembourser les cotisations perçues à tort.",
    "Je vous demande d'arrêter immédiatement les prélèvements et de me restituer {amt}.",
];
const DEMAND_CARD: &[&str] = &[
    "Je vous demande de m'envoyer ma carte de tiers payant sans attendre, ou à défaut une attestation provisoire.",
    "Merci de m'adresser rapidement ma carte, par courrier ou sur mon espace adhérent.",
];

const ESC: &[&str] = &[
    "Sans réponse satisfaisante de votre part sous {delay}, je saisirai [[le Médiateur de la Mutualité Française]].",
    "À défaut de régularisation dans un délai de {delay}, je n'hésiterai pas à saisir [[le médiateur]] compétent.",
    "Si ma demande n'aboutit pas, je porterai cette affaire à la connaissance de [[l'ACPR]].",
    "J'ai d'ores et déjà consulté [[un avocat]], qui m'assistera si nécessaire.",
    "Je me réserve le droit d'engager toute action utile devant [[le tribunal judiciaire]].",
    "Faute de quoi, je me verrai contraint{e} de porter l'affaire devant [[le tribunal]].",
    "Je vous informe que je saisis parallèlement [[le médiateur de la consommation]].",
    "Le présent courrier vaut [[mise en demeure]] de régulariser ma situation sous {delay}.",
    "Une copie de ce courrier est adressée à [[mon avocat]].",
    "Si rien n'est fait, je m'adresserai à l'Autorité de contrôle prudentiel et de résolution ([[ACPR]]).",
];

const CLOSE_FORMAL: &[&str] = &[
    "Dans l'attente de votre réponse, je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
    "Veuillez agréer, Madame, Monsieur, l'expression de mes sentiments distingués.",
    "Je vous prie de croire, Madame, Monsieur, à l'assurance de ma considération distinguée.",
    "Dans l'attente d'une réponse rapide, veuillez recevoir, Madame, Monsieur, mes salutations.",
    "Je vous prie d'agréer, Madame, Monsieur, mes salutations respectueuses.",
    "Je vous remercie par avance et vous prie d'agréer mes salutations distinguées.",
];
const CLOSE_CASUAL: &[&str] = &[
    "Salutations.",
    "Cordialement.",
    "Merci d'avance.",
    "Dans l'attente de vous lire, salutations.",
    "Merci de faire le nécessaire. Salutations distinguées.",
    "Recevez mes salutations.",
];

const CITE_INVOICE: &[&str] = &[
    "Il s'agit de la facture n° {ref} du {inv_date} établie par {prov}.",
    "Je joins une copie de la facture {ref} du {inv_date} ({prov}).",
    "La facture concernée porte le n° {ref} ({prov}, {inv_date}).",
];
const CITE_AMOUNT: &[&str] = &[
    "Le montant contesté s'élève à {amt}.",
    "La somme en litige est de {amt}.",
    "Il me reste dû {amt}.",
];

const SUBJ_REFUSED: &[&str] = &[
    "Réclamation – refus de remboursement",
    "Contestation d'un refus de prise en charge",
    "Réclamation : facture n° {ref} non remboursée",
    "Refus de remboursement injustifié",
    "Contestation du rejet de mon dossier n° {dossier}",
];
const SUBJ_LATE: &[&str] = &[
    "Retard de remboursement",
    "Réclamation – remboursement en attente",
    "Remboursement toujours pas reçu",
    "Relance : facture {ref}",
    "Relance remboursement – dossier n° {dossier}",
];
const SUBJ_WRONG: &[&str] = &[
    "Erreur sur le montant remboursé",
    "Contestation de remboursement",
    "Réclamation – montant remboursé insuffisant",
    "Contestation du décompte n° {decompte}",
    "Remboursement incomplet de la facture {ref}",
];
const SUBJ_DOUBLE: &[&str] = &[
    "Double prélèvement de cotisation",
    "Cotisation prélevée deux fois",
    "Réclamation – prélèvement en double",
];
const SUBJ_TIERS: &[&str] = &[
    "Refus du tiers payant",
    "Réclamation – tiers payant refusé",
    "Tiers payant refusé",
];
const SUBJ_NOANSWER: &[&str] = &[
    "Absence de réponse à mes courriers",
    "Troisième relance",
    "Relance – dossier n° {dossier}",
    "Réclamation restée sans réponse",
];
const SUBJ_TERMINATION: &[&str] = &[
    "Résiliation non prise en compte",
    "Prélèvements après résiliation",
    "Réclamation – résiliation de mon contrat",
];
const SUBJ_CARD: &[&str] = &[
    "Carte de tiers payant non reçue",
    "Réclamation – carte de mutuelle",
    "Carte de tiers payant {year}",
];

/// Everything a letter says, decided once; the layouts pick and place the paragraphs.
struct Content {
    theme: Theme,
    escalation: bool,
    invoice: bool,
    inv_ref: Option<String>,
    letter_date: Date,
    sex: Sex,
    civ: &'static str,
    first: String,
    last: String,
    city: String,
    member_printed: String,
    v: Vars,
}

fn title_case(s: &str) -> String {
    let mut out = String::new();
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, ' ' | '-' | '\'');
    }
    out
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A member number as a member copies it: as issued, or in groups.
fn member_printed(rng: &mut Rng, m: &str) -> String {
    if rng.random_bool(0.7) {
        return m.to_string();
    }
    let split = m.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
    let (head, tail) = m.split_at(split);
    let groups: Vec<String> = tail
        .as_bytes()
        .chunks(3)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let body = groups.join(" ");
    if head.is_empty() {
        body
    } else {
        format!("{head} {body}")
    }
}

fn amount_printed(rng: &mut Rng, a: Amount) -> String {
    match rng.random_range(0..10) {
        0..=6 => format!("{} €", a.format_fr()),
        7..=8 => format!("{} euros", a.format_fr()),
        _ => format!("{}€", a.format_fr()),
    }
}

/// A dossier, décompte or claim number, printed and normalised.
fn dossier_ref(rng: &mut Rng, year: i32) -> (String, String) {
    let printed = match rng.random_range(0..5) {
        0 => format!("{year}-{}", digits(rng, 6)),
        1 => format!("DOS{}{}", year % 100, digits(rng, 6)),
        2 => format!("R-{}", digits(rng, 7)),
        3 => format!("{year}/{}", digits(rng, 5)),
        _ => format!("RC{}", digits(rng, 8)),
    };
    let norm = printed.to_uppercase();
    (printed, norm)
}

fn decompte_ref(rng: &mut Rng, year: i32) -> (String, String) {
    let printed = match rng.random_range(0..3) {
        0 => digits(rng, 10),
        1 => format!("DEC-{year}-{}", digits(rng, 5)),
        _ => format!("{}{}{}", year % 100, digits(rng, 3), digits(rng, 5)),
    };
    let norm = printed.to_uppercase();
    (printed, norm)
}

fn care_phrase(rng: &mut Rng, care_type: &str) -> &'static str {
    match care_type {
        "optical" => pk(
            rng,
            &[
                "mes lunettes",
                "mes nouvelles lunettes",
                "mes verres correcteurs",
                "mes lentilles",
            ],
        ),
        "dental" => pk(
            rng,
            &[
                "ma couronne dentaire",
                "mes soins dentaires",
                "mon implant dentaire",
                "ma prothèse dentaire",
            ],
        ),
        "hearing" => pk(rng, &["mes appareils auditifs", "mes prothèses auditives"]),
        "hospital" => pk(
            rng,
            &[
                "mon hospitalisation",
                "mon séjour à la clinique",
                "mes frais d'hospitalisation",
            ],
        ),
        "pharmacy" => pk(rng, &["mes médicaments", "mes frais de pharmacie"]),
        "consultation" => pk(
            rng,
            &[
                "ma consultation chez le spécialiste",
                "mes consultations médicales",
            ],
        ),
        "paramedical" => pk(
            rng,
            &[
                "mes séances de kinésithérapie",
                "mes séances d'ostéopathie",
                "mes soins infirmiers",
            ],
        ),
        _ => pk(rng, &["mes soins", "mes frais médicaux"]),
    }
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

impl Content {
    fn new(rng: &mut Rng, ctx: &Ctx, disputed: Option<&DisputeRef>, escalation: bool) -> Content {
        let person = &ctx.member.person;
        let received = ctx.received;
        let mut letter_date = values::date_before(rng, received, 0, 10);
        if let Some(d) = disputed
            && letter_date < d.date
        {
            letter_date = d.date;
        }
        let theme = if disputed.is_some() {
            *pick(
                rng,
                &[
                    Theme::Refused,
                    Theme::Late,
                    Theme::WrongAmount,
                    Theme::TiersPayant,
                    Theme::NoAnswer,
                ],
            )
        } else {
            *pick(
                rng,
                &[
                    Theme::Refused,
                    Theme::Late,
                    Theme::WrongAmount,
                    Theme::DoubleDebit,
                    Theme::TiersPayant,
                    Theme::NoAnswer,
                    Theme::Termination,
                    Theme::CardMissing,
                ],
            )
        };
        let year = letter_date.year();
        let short = if rng.random_bool(0.5) {
            DateStyle::Long
        } else {
            DateStyle::Slash
        };
        let mut v = Vars::default();
        let f = person.sex == Sex::F;
        v.text("e", if f { "e" } else { "" });
        v.text(
            "since",
            match rng.random_range(0..4) {
                0 => "plus de dix ans".to_string(),
                1 => "de nombreuses années".to_string(),
                _ => (year - rng.random_range(2..25)).to_string(),
            },
        );
        // Earlier letters and calls: after the invoice when there is one.
        let (prev, prev2) = match disputed {
            Some(d) => {
                let gap = (letter_date - d.date).whole_days();
                if gap >= 2 {
                    let prev = d.date + Duration::days(rng.random_range(1..gap));
                    let before = (prev - d.date).whole_days();
                    let prev2 =
                        (before >= 1).then(|| d.date + Duration::days(rng.random_range(0..before)));
                    (prev, prev2)
                } else {
                    (d.date, None)
                }
            }
            None => {
                let prev = letter_date - Duration::days(rng.random_range(15..60));
                (prev, Some(prev - Duration::days(rng.random_range(15..45))))
            }
        };
        v.text("prev_date", fmt_date(prev, short));
        if let Some(p2) = prev2 {
            v.text("prev_date2", fmt_date(p2, short));
        }
        let weeks = (letter_date - prev).whole_days() / 7;
        if weeks >= 2 {
            v.text("weeks", weeks.to_string());
        }
        v.text("mutuelle", ctx.mutuelle.name);
        v.text(
            "delay",
            pk(
                rng,
                &[
                    "8 jours",
                    "huit jours",
                    "15 jours",
                    "quinze jours",
                    "un mois",
                ],
            ),
        );
        v.text("year", year.to_string());
        let mut inv_ref = None;
        let mut amount: Option<Amount> = None;
        let needs_care = matches!(
            theme,
            Theme::Refused
                | Theme::Late
                | Theme::WrongAmount
                | Theme::TiersPayant
                | Theme::NoAnswer
        );
        if let Some(d) = disputed {
            v.set(
                "ref",
                tagged(&d.printed_reference, Tag::Ref(d.reference.clone())),
            );
            inv_ref = Some(d.reference.clone());
            v.text(
                "inv_date",
                fmt_date(
                    d.date,
                    if rng.random_bool(0.6) {
                        DateStyle::Slash
                    } else {
                        DateStyle::Long
                    },
                ),
            );
            v.text("prov", &d.provider_name);
            v.text("de_prov", de_city(&d.provider_name));
            v.text("total", amount_printed(rng, d.total));
            v.text("care", care_phrase(rng, d.care_type));
            amount = Some(d.disputed);
            if theme == Theme::WrongAmount {
                let room = d.total.cents() - d.disputed.cents();
                if room > 200 {
                    let paid = Amount::from_cents(rng.random_range(room / 10..room));
                    v.text("paid", amount_printed(rng, paid));
                    v.text(
                        "expected",
                        amount_printed(rng, Amount::from_cents(paid.cents() + d.disputed.cents())),
                    );
                }
            }
            if rng.random_bool(0.2) {
                let (p, n) = dossier_ref(rng, year);
                v.set("dossier", tagged(p, Tag::Ref(n)));
            }
        } else {
            if needs_care {
                let ct = pk(
                    rng,
                    &[
                        "optical",
                        "dental",
                        "hearing",
                        "hospital",
                        "pharmacy",
                        "consultation",
                        "paramedical",
                    ],
                );
                v.text("care", care_phrase(rng, ct));
                let care_date = letter_date - Duration::days(rng.random_range(20..120));
                v.text("care_date", fmt_date(care_date, short));
            }
            let (lo, hi, p) = match theme {
                Theme::Refused => (25.0, 420.0, 0.7),
                Theme::Late => (20.0, 650.0, 0.7),
                Theme::WrongAmount => (8.0, 160.0, 0.9),
                Theme::DoubleDebit => (32.0, 195.0, 0.95),
                Theme::TiersPayant => (12.0, 140.0, 0.7),
                Theme::Termination => (40.0, 420.0, 0.6),
                Theme::NoAnswer => (20.0, 300.0, 0.3),
                Theme::CardMissing => (0.0, 0.0, 0.0),
            };
            if p > 0.0 && rng.random_bool(p) {
                let a = values::euros(rng, lo, hi);
                amount = Some(a);
                if theme == Theme::WrongAmount {
                    let paid = values::euros(rng, 5.0, 120.0);
                    v.text("paid", amount_printed(rng, paid));
                    v.text(
                        "expected",
                        amount_printed(rng, Amount::from_cents(paid.cents() + a.cents())),
                    );
                }
            }
            if theme == Theme::NoAnswer || rng.random_bool(0.45) {
                let (p, n) = dossier_ref(rng, year);
                v.set("dossier", tagged(p, Tag::Ref(n)));
            }
            if matches!(theme, Theme::Refused | Theme::WrongAmount) && rng.random_bool(0.6) {
                let (p, n) = decompte_ref(rng, year);
                v.set("decompte", tagged(p, Tag::Ref(n)));
            }
            let debit = letter_date - Duration::days(rng.random_range(3..25));
            v.text("debit_date", fmt_date(debit, short));
            v.text("month", MONTHS[usize::from(u8::from(debit.month())) - 1]);
            let res = values::first_of_next_month(prev, 1);
            let res = if res > letter_date {
                values::first_of_next_month(prev2.unwrap_or(prev), 1)
            } else {
                res
            };
            v.text("res_date", fmt_date(res, DateStyle::Long));
        }
        if let Some(a) = amount {
            v.set("amt", tagged(amount_printed(rng, a), Tag::Amount(a)));
        }
        let last = if rng.random_bool(0.6) {
            person.last_name.clone()
        } else {
            title_case(&person.last_name)
        };
        let civ = match rng.random_range(0..5) {
            0 | 1 => {
                if f {
                    "Mme"
                } else {
                    "M."
                }
            }
            2 => {
                if f {
                    "Madame"
                } else {
                    "Monsieur"
                }
            }
            _ => "",
        };
        Content {
            theme,
            escalation,
            invoice: disputed.is_some(),
            inv_ref,
            letter_date,
            sex: person.sex,
            civ,
            first: person.first_name.clone(),
            last,
            city: ctx.member.address.city.clone(),
            member_printed: member_printed(rng, &ctx.member.member_number),
            v,
        }
    }

    fn e(&self) -> &'static str {
        if self.sex == Sex::F { "e" } else { "" }
    }

    fn pick_fill(&self, rng: &mut Rng, list: &[&str]) -> Vec<Seg> {
        let t = choose(rng, list, &self.v);
        fill(t, &self.v)
    }

    fn intro(&self, rng: &mut Rng) -> Vec<Seg> {
        let list: Vec<&str> = INTRO
            .iter()
            .copied()
            .filter(|t| self.sex == Sex::F || !t.starts_with("Cliente"))
            .collect();
        self.pick_fill(rng, &list)
    }

    /// An opening sentence that gives the member number (tagged).
    fn intro_member(&mut self, rng: &mut Rng) -> Vec<Seg> {
        self.v
            .set("mem", tagged(self.member_printed.clone(), Tag::Member));
        let out = self.pick_fill(rng, INTRO_MEMBER);
        self.v.0.retain(|(n, _)| *n != "mem");
        out
    }

    fn facts(&self, rng: &mut Rng) -> Vec<Seg> {
        let list = match (self.invoice, self.theme) {
            (true, Theme::Refused) => FACTS_INV_REFUSED,
            (true, Theme::Late) => FACTS_INV_LATE,
            (true, Theme::WrongAmount) => FACTS_INV_WRONG,
            (true, Theme::TiersPayant) => FACTS_INV_TIERS,
            (true, _) => FACTS_INV_NOANSWER,
            (false, Theme::Refused) => FACTS_REFUSED,
            (false, Theme::Late) => FACTS_LATE,
            (false, Theme::WrongAmount) => FACTS_WRONG,
            (false, Theme::DoubleDebit) => FACTS_DOUBLE,
            (false, Theme::TiersPayant) => FACTS_TIERS,
            (false, Theme::NoAnswer) => FACTS_NOANSWER,
            (false, Theme::Termination) => FACTS_TERMINATION,
            (false, Theme::CardMissing) => FACTS_CARD,
        };
        self.pick_fill(rng, list)
    }

    fn grief(&self, rng: &mut Rng) -> Vec<Seg> {
        let special = match self.theme {
            Theme::DoubleDebit => GRIEF_DOUBLE,
            Theme::Termination => GRIEF_TERMINATION,
            Theme::CardMissing => GRIEF_CARD,
            Theme::TiersPayant => GRIEF_TIERS,
            Theme::Late | Theme::NoAnswer => GRIEF_WAIT,
            _ => &[],
        };
        if !special.is_empty() && rng.random_bool(0.5) {
            self.pick_fill(rng, special)
        } else {
            self.pick_fill(rng, GRIEF)
        }
    }

    fn prior(&self, rng: &mut Rng) -> Vec<Seg> {
        self.pick_fill(rng, PRIOR)
    }

    fn demand(&self, rng: &mut Rng) -> Vec<Seg> {
        let special = match self.theme {
            Theme::Refused => DEMAND_REFUSED,
            Theme::WrongAmount => DEMAND_WRONG,
            Theme::DoubleDebit => DEMAND_DOUBLE,
            Theme::TiersPayant => DEMAND_TIERS,
            Theme::Termination => DEMAND_TERMINATION,
            Theme::CardMissing => DEMAND_CARD,
            _ => &[],
        };
        let has_amt = self.v.get("amt").is_some();
        if !special.is_empty() && rng.random_bool(0.5) {
            self.pick_fill(rng, special)
        } else if has_amt && self.theme != Theme::CardMissing && rng.random_bool(0.75) {
            self.pick_fill(rng, DEMAND_AMOUNT)
        } else {
            self.pick_fill(rng, DEMAND)
        }
    }

    fn esc(&self, rng: &mut Rng) -> Vec<Seg> {
        self.pick_fill(rng, ESC)
    }

    fn close(&self, rng: &mut Rng, formal: bool) -> Vec<Seg> {
        self.pick_fill(rng, if formal { CLOSE_FORMAL } else { CLOSE_CASUAL })
    }

    fn subject(&self, rng: &mut Rng) -> Vec<Seg> {
        let list = match self.theme {
            Theme::Refused => SUBJ_REFUSED,
            Theme::Late => SUBJ_LATE,
            Theme::WrongAmount => SUBJ_WRONG,
            Theme::DoubleDebit => SUBJ_DOUBLE,
            Theme::TiersPayant => SUBJ_TIERS,
            Theme::NoAnswer => SUBJ_NOANSWER,
            Theme::Termination => SUBJ_TERMINATION,
            Theme::CardMissing => SUBJ_CARD,
        };
        self.pick_fill(rng, list)
    }

    /// Makes sure the body cites the invoice and the disputed amount when the complaint is about
    /// an invoice, and carries an escalation mention when the letter escalates. Sentences are
    /// appended to paragraph `at`.
    fn ensure_cited(&self, rng: &mut Rng, paras: &mut [Vec<Seg>], at: usize) {
        let all = || paras.iter().flatten();
        if self.invoice {
            let has_ref = all()
                .any(|s| matches!(&s.tag, Some(Tag::Ref(r)) if Some(r) == self.inv_ref.as_ref()));
            let has_amt = all().any(|s| matches!(s.tag, Some(Tag::Amount(_))));
            if !has_ref {
                let s = self.pick_fill(rng, CITE_INVOICE);
                paras[at].push(plain(" "));
                paras[at].extend(s);
            }
            if !has_amt {
                let s = self.pick_fill(rng, CITE_AMOUNT);
                paras[at].push(plain(" "));
                paras[at].extend(s);
            }
        }
        let has_esc = paras.iter().flatten().any(|s| s.tag == Some(Tag::Esc));
        if self.escalation && !has_esc {
            let s = self.esc(rng);
            let last = paras.len() - 1;
            paras[last].push(plain(" "));
            paras[last].extend(s);
        }
    }

    /// The name as a sender writes it, with or without civility, first name first or last.
    fn name_segs(&self, rng: &mut Rng, with_civ: bool) -> Vec<Seg> {
        let mut out = Vec::new();
        if with_civ && !self.civ.is_empty() {
            out.push(plain(format!("{} ", self.civ)));
        }
        if rng.random_bool(0.7) {
            out.push(tagged(&self.first, Tag::First));
            out.push(plain(" "));
            out.push(tagged(&self.last, Tag::Last));
        } else {
            out.push(tagged(&self.last, Tag::Last));
            out.push(plain(" "));
            out.push(tagged(&self.first, Tag::First));
        }
        out
    }

    fn date_segs(&self, rng: &mut Rng, style: DateStyle) -> Vec<Seg> {
        let d = tagged(fmt_date(self.letter_date, style), Tag::LetterDate);
        let city = &self.city;
        match rng.random_range(0..5) {
            0 => vec![plain(format!("Fait {}, le ", a_city(city))), d],
            1 | 2 => vec![plain(format!("{city}, le ")), d],
            3 => vec![plain("Le "), d],
            _ => vec![d],
        }
    }

    fn member_line(&self, rng: &mut Rng) -> Vec<Seg> {
        let label = *pick(
            rng,
            &[
                "N° adhérent :",
                "Réf. adhérent :",
                "Matricule :",
                "N° d'adhérent :",
                "Numéro adhérent :",
                "Adhérent n°",
                "Mon n° d'adhérent :",
                "N° de contrat adhérent :",
            ],
        );
        vec![
            plain(format!("{label} ")),
            tagged(self.member_printed.clone(), Tag::Member),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

/// How body text flows on the page.
#[derive(Clone, Copy)]
struct Flow {
    x: f32,
    width: f32,
    font: Font,
    size: f32,
    leading: f32,
    indent: f32,
    gap: f32,
    /// Random extra left offset of each line (handwriting), mm.
    jitter: f32,
    /// First baseline on a continuation page.
    top: f32,
    /// Last baseline allowed on a page.
    bottom: f32,
}

#[derive(Clone, Copy)]
enum Paper {
    Plain,
    Lined {
        first: f32,
        pitch: f32,
        margin: Option<f32>,
    },
}

/// A letter being drawn: the builder plus what has been printed so far.
struct Letter {
    b: DocBuilder,
    member_number: String,
    letter_date: Date,
    escalation: bool,
    esc_marked: bool,
    /// The escalation flag is false: mark the first body line when it is drawn.
    false_pending: bool,
    first_set: bool,
    last_set: bool,
    refs: Vec<String>,
    amount: Option<Amount>,
    paper: Paper,
}

impl Letter {
    fn new(layout: &str, ctx: &Ctx, c: &Content, paper: Paper) -> Letter {
        let mut l = Letter {
            b: DocBuilder::new(Class::Complaint, layout),
            member_number: ctx.member.member_number.clone(),
            letter_date: c.letter_date,
            escalation: c.escalation,
            esc_marked: false,
            false_pending: !c.escalation,
            first_set: false,
            last_set: false,
            refs: Vec::new(),
            amount: None,
            paper,
        };
        l.draw_paper();
        l
    }

    fn draw_paper(&mut self) {
        if let Paper::Lined {
            first,
            pitch,
            margin,
        } = self.paper
        {
            let mut y = first;
            while y < 290.0 {
                self.b.fill(0.0, y, 210.0, 0.3, 200);
                y += pitch;
            }
            if let Some(m) = margin {
                self.b.fill(m, 0.0, 0.3, 297.0, 175);
            }
        }
    }

    fn next_page(&mut self, f: &Flow) -> f32 {
        self.b.new_page();
        self.draw_paper();
        f.top
    }

    fn record(&mut self, tag: &Tag, printed: &str, bbox: BoxMm) {
        match tag {
            Tag::First => {
                if !self.first_set {
                    self.b
                        .set_field("first_name", normalize::text(printed).unwrap_or_default());
                    self.first_set = true;
                }
                self.b.mark("first_name", printed, bbox);
            }
            Tag::Last => {
                if !self.last_set {
                    self.b
                        .set_field("last_name", normalize::text(printed).unwrap_or_default());
                    self.last_set = true;
                }
                self.b.mark("last_name", printed, bbox);
            }
            Tag::Member => {
                self.b
                    .set_field("member_number", self.member_number.clone());
                self.b.mark("member_number", printed, bbox);
            }
            Tag::LetterDate => {
                self.b.set_field("letter_date", iso(self.letter_date));
                self.b.mark("letter_date", printed, bbox);
            }
            Tag::Ref(r) => {
                let i = match self.refs.iter().position(|x| x == r) {
                    Some(i) => i,
                    None => {
                        self.refs.push(r.clone());
                        self.refs.len() - 1
                    }
                };
                self.b.mark(&format!("references.{i}"), printed, bbox);
            }
            Tag::Amount(a) => {
                self.amount = Some(*a);
                self.b.mark("disputed_amount", printed, bbox);
            }
            Tag::Esc => {
                if !self.esc_marked {
                    self.b.mark("escalation", printed, bbox);
                    self.esc_marked = true;
                }
            }
        }
    }

    /// Draws `segs` as one line at (x, y) and records their tags; returns the line's box.
    fn line(&mut self, x: f32, y: f32, font: Font, size: f32, segs: &[Seg]) -> BoxMm {
        let full = concat(segs);
        let bbox = self.b.text(x, y, font, size, &full);
        let mut prefix = String::new();
        for s in segs {
            if let Some(tag) = &s.tag {
                let x0 = x + fonts::width_mm(font, size, &prefix);
                let bb = text_box(x0, y, font, size, &s.text);
                self.record(tag, &s.text, bb);
            }
            prefix.push_str(&s.text);
        }
        bbox
    }

    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, s: &str) -> BoxMm {
        self.b.text(x, y, font, size, s)
    }

    /// A label then the subject; records the subject field (and any tag inside it).
    #[allow(clippy::too_many_arguments)]
    fn subject_line(
        &mut self,
        x: f32,
        y: f32,
        label_font: Font,
        font: Font,
        size: f32,
        label: &str,
        segs: &[Seg],
    ) -> BoxMm {
        let x1 = if label.is_empty() {
            x
        } else {
            let lb = self.b.text(x, y, label_font, size, label);
            lb[2] + fonts::width_mm(font, size, " ")
        };
        let bb = self.line(x1, y, font, size, segs);
        let s = concat(segs);
        if let Some(n) = normalize::text(&s) {
            self.b.set_field("subject", n);
            self.b.mark("subject", s.trim(), bb);
        }
        bb
    }

    /// Sets a paragraph in the flow from baseline `y`; returns the next paragraph's baseline.
    fn para(&mut self, rng: &mut Rng, f: &Flow, y: f32, segs: &[Seg]) -> f32 {
        let mut y = y;
        let lines = wrap_segs(segs, f.font, f.size, f.width - f.jitter, f.indent);
        for (i, line) in lines.iter().enumerate() {
            if y > f.bottom {
                y = self.next_page(f);
            }
            let mut dx = if i == 0 { f.indent } else { 0.0 };
            if f.jitter > 0.0 {
                dx += rng.random_range(0.0..f.jitter);
            }
            let bb = self.line(f.x + dx, y, f.font, f.size, line);
            if self.false_pending {
                let t = concat(line);
                self.b.mark("escalation", t.trim(), bb);
                self.false_pending = false;
            }
            y += f.leading;
        }
        y + f.gap
    }

    fn finish(mut self) -> Doc {
        if !self.refs.is_empty() {
            let list: Vec<Value> = self.refs.iter().map(|r| Value::String(r.clone())).collect();
            self.b.set_field("references", Value::Array(list));
        }
        if let Some(a) = self.amount {
            self.b.set_field("disputed_amount", a.to_normalized());
        }
        self.b.set_field("escalation", self.escalation);
        self.b.finish()
    }
}

struct Word {
    text: String,
    tag: Option<Tag>,
    space_before: bool,
}

fn to_words(segs: &[Seg]) -> Vec<Word> {
    let mut out = Vec::new();
    let mut pending = false;
    for seg in segs {
        match &seg.tag {
            Some(t) => {
                out.push(Word {
                    text: seg.text.clone(),
                    tag: Some(t.clone()),
                    space_before: pending,
                });
                pending = false;
            }
            None => {
                let mut space = pending;
                let mut cur = String::new();
                for ch in seg.text.chars() {
                    if ch.is_whitespace() {
                        if !cur.is_empty() {
                            out.push(Word {
                                text: std::mem::take(&mut cur),
                                tag: None,
                                space_before: space,
                            });
                        }
                        space = true;
                    } else {
                        cur.push(ch);
                    }
                }
                if !cur.is_empty() {
                    out.push(Word {
                        text: cur,
                        tag: None,
                        space_before: space,
                    });
                    space = false;
                }
                pending = space;
            }
        }
    }
    out
}

/// Breaks tagged text into lines no wider than `width` (the first `indent` narrower); a tagged
/// value is never split, nor separated from punctuation glued to it.
fn wrap_segs(segs: &[Seg], font: Font, size: f32, width: f32, indent: f32) -> Vec<Vec<Seg>> {
    let words = to_words(segs);
    let mut units: Vec<Vec<Word>> = Vec::new();
    for w in words {
        match units.last_mut() {
            Some(u) if !w.space_before => u.push(w),
            _ => units.push(vec![w]),
        }
    }
    let mut lines: Vec<Vec<Seg>> = Vec::new();
    let mut cur: Vec<Seg> = Vec::new();
    let mut cur_text = String::new();
    for u in units {
        let utext: String = u.iter().map(|w| w.text.as_str()).collect();
        let avail = if lines.is_empty() {
            width - indent
        } else {
            width
        };
        let candidate = if cur_text.is_empty() {
            utext.clone()
        } else {
            format!("{cur_text} {utext}")
        };
        if !cur_text.is_empty() && fonts::width_mm(font, size, &candidate) > avail {
            lines.push(std::mem::take(&mut cur));
            cur_text = utext;
        } else {
            if !cur_text.is_empty() {
                cur.push(plain(" "));
            }
            cur_text = candidate;
        }
        for w in u {
            cur.push(Seg {
                text: w.text,
                tag: w.tag,
            });
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn bold_of(f: Font) -> Font {
    match f {
        Font::Sans | Font::SansItalic => Font::SansBold,
        Font::Serif | Font::SerifItalic | Font::Bookman | Font::Century => Font::SerifBold,
        Font::Mono => Font::MonoBold,
        Font::Dejavu => Font::DejavuBold,
        Font::Narrow => Font::NarrowBold,
        other => other,
    }
}

/// Sender's postal lines after the name.
fn address_lines(ctx: &Ctx, upper_city: bool) -> Vec<String> {
    let a = &ctx.member.address;
    let mut out = vec![a.street.clone()];
    if let Some(c) = &a.complement {
        out.push(c.clone());
    }
    let city = if upper_city {
        a.city.to_uppercase()
    } else {
        a.city.clone()
    };
    out.push(format!("{} {}", a.postal_code, city));
    out
}

fn recipient_lines(rng: &mut Rng, ctx: &Ctx) -> Vec<String> {
    let m = ctx.mutuelle;
    let mut out = vec![m.name.to_string()];
    match rng.random_range(0..6) {
        0 => out.push("Service Réclamations".into()),
        1 => out.push("Service Relations Adhérents".into()),
        2 => out.push("Service Prestations".into()),
        3 => out.push("À l'attention du service client".into()),
        _ => {}
    }
    out.push(m.address.to_string());
    out.push(m.city_line.to_string());
    out
}

/// A signature scribble of a random size in the ranges given.
fn scribble(rng: &mut Rng, b: &mut DocBuilder, x: f32, y: f32, w: (f32, f32), h: (f32, f32)) {
    let w = rng.random_range(w.0..w.1);
    let h = rng.random_range(h.0..h.1);
    b.signature(rng, x, y, w, h);
}

/// Signature: a scribble and the typed (or written) name.
#[allow(clippy::too_many_arguments)]
fn sign(
    rng: &mut Rng,
    l: &mut Letter,
    c: &Content,
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    name_above: bool,
) -> f32 {
    let segs = c.name_segs(rng, false);
    if name_above {
        l.line(x, y, font, size, &segs);
        scribble(rng, &mut l.b, x, y + 2.0, (30.0, 48.0), (9.0, 14.0));
        y + 18.0
    } else {
        scribble(rng, &mut l.b, x, y, (30.0, 48.0), (9.0, 14.0));
        l.line(x, y + 19.0, font, size, &segs);
        y + 24.0
    }
}

// ---------------------------------------------------------------------------------------------
// Layouts

/// A typed formal letter: sender top left, recipient right, date, "Objet :", formal closing.
fn formal(rng: &mut Rng, ctx: &Ctx, mut c: Content) -> Doc {
    let font = *pick(
        rng,
        &[
            Font::Serif,
            Font::Century,
            Font::Bookman,
            Font::Sans,
            Font::Dejavu,
            Font::Serif,
        ],
    );
    let bold = bold_of(font);
    let size = rng.random_range(10.5..11.8f32);
    let lead = size * rng.random_range(0.44..0.50);
    let lm = rng.random_range(18.0..26.0f32);
    let rm = 210.0 - rng.random_range(18.0..24.0f32);
    let mut l = Letter::new("complaint/formal-letter", ctx, &c, Paper::Plain);

    // Sender block.
    let mut y = rng.random_range(18.0..28.0f32);
    let name = c.name_segs(rng, true);
    let name_font = if rng.random_bool(0.5) { bold } else { font };
    l.line(lm, y, name_font, size, &name);
    y += lead;
    for s in address_lines(ctx, rng.random_bool(0.5)) {
        l.text(lm, y, font, size, &s);
        y += lead;
    }
    if rng.random_bool(0.5) {
        let p = values::fmt_phone(rng, &ctx.member.phone);
        l.text(
            lm,
            y,
            font,
            size,
            &format!("{} {p}", pk(rng, &["Tél. :", "Tél :", "Téléphone :"])),
        );
        y += lead;
    }
    if rng.random_bool(0.3) {
        l.text(lm, y, font, size, &ctx.member.email);
        y += lead;
    }
    // Member number: in the sender block, on a reference line, in the body, or absent.
    let member_mode = if rng.random_bool(0.7) {
        rng.random_range(0..3)
    } else {
        3
    };
    if member_mode == 0 {
        let s = c.member_line(rng);
        l.line(lm, y, font, size, &s);
        y += lead;
    }

    // Recipient block.
    let rx = rng.random_range(108.0..120.0f32);
    let mut ry = (y + rng.random_range(6.0..14.0)).max(rng.random_range(48.0..58.0));
    for (i, s) in recipient_lines(rng, ctx).iter().enumerate() {
        l.text(rx, ry, if i == 0 { bold } else { font }, size, s);
        ry += lead;
    }
    let mut y = ry + rng.random_range(6.0..12.0);
    let date_style = *pick(rng, &[DateStyle::Long, DateStyle::Long, DateStyle::Slash]);
    let date = c.date_segs(rng, date_style);
    if rng.random_bool(0.6) {
        let w = fonts::width_mm(font, size, &concat(&date));
        l.line(rm - w, y, font, size, &date);
    } else {
        l.line(rx, y, font, size, &date);
    }
    y += lead * 2.5;
    if !c.escalation && rng.random_bool(0.12) {
        l.text(
            lm,
            y,
            bold_of(font),
            size,
            "Lettre recommandée avec accusé de réception",
        );
        y += lead * 1.6;
    }
    let subj = c.subject(rng);
    let label = pk(rng, &["Objet :", "Objet :", "OBJET :", "Objet:"]);
    let subj_font = if rng.random_bool(0.4) { bold } else { font };
    l.subject_line(lm, y, bold, subj_font, size, label, &subj);
    y += lead;
    if member_mode == 1 {
        let mut s = c.member_line(rng);
        if rng.random_bool(0.5) {
            s.insert(0, plain("Réf. : "));
        }
        l.line(lm, y, font, size, &s);
        y += lead;
    }
    if let Some(d) = c.v.get("dossier").cloned()
        && rng.random_bool(0.5)
    {
        let label = pk(
            rng,
            &["V/Réf. : dossier n° ", "Vos références : ", "Dossier n° "],
        );
        l.line(lm, y, font, size, &[plain(label), d]);
        y += lead;
    }
    y += lead * 1.4;
    let salutation = pk(
        rng,
        &[
            "Madame, Monsieur,",
            "Madame, Monsieur,",
            "Madame, Monsieur,",
            "Messieurs,",
            "Madame, Monsieur le Directeur,",
        ],
    );
    l.text(
        lm + if rng.random_bool(0.3) { 10.0 } else { 0.0 },
        y,
        font,
        size,
        salutation,
    );
    y += lead * 1.8;

    // Body.
    let mut paras: Vec<Vec<Seg>> = Vec::new();
    let intro = if member_mode == 2 {
        c.intro_member(rng)
    } else {
        c.intro(rng)
    };
    let facts = c.facts(rng);
    if rng.random_bool(0.5) {
        paras.push(intro);
        paras.push(facts);
    } else {
        paras.push(join(vec![intro, facts]));
    }
    let facts_at = paras.len() - 1;
    let mut p = vec![c.grief(rng)];
    if rng.random_bool(0.5) {
        p.push(c.prior(rng));
    }
    paras.push(join(p));
    paras.push(c.demand(rng));
    if c.escalation {
        paras.push(c.esc(rng));
    }
    c.ensure_cited(rng, &mut paras, facts_at);
    if c.invoice && rng.random_bool(0.5) {
        paras.push(vec![plain(*pick(
            rng,
            &[
                "Vous trouverez ci-joint une copie de la facture concernée.",
                "Je joins à ce courrier une copie de la facture.",
                "Copie de la facture jointe.",
            ],
        ))]);
    }
    paras.push(c.close(rng, true));
    let flow = Flow {
        x: lm,
        width: rm - lm,
        font,
        size,
        leading: lead,
        indent: if rng.random_bool(0.5) {
            rng.random_range(8.0..14.0)
        } else {
            0.0
        },
        gap: lead * rng.random_range(0.4..0.9),
        jitter: 0.0,
        top: 25.0,
        bottom: 272.0,
    };
    for p in &paras {
        y = l.para(rng, &flow, y, p);
    }
    if y > 248.0 {
        y = l.next_page(&flow);
    }
    let sx = rng.random_range(110.0..130.0f32);
    let above = rng.random_bool(0.5);
    y = sign(rng, &mut l, &c, sx, y + 4.0, font, size, above);
    if c.invoice && rng.random_bool(0.4) && y < 278.0 {
        l.text(
            lm,
            y.max(270.0),
            font,
            size - 1.0,
            "P.J. : copie de la facture",
        );
    }
    l.finish()
}

/// A handwritten letter in the calligraphic face, on plain or ruled paper.
fn handwritten(rng: &mut Rng, ctx: &Ctx, mut c: Content) -> Doc {
    let size = rng.random_range(13.0..15.0f32);
    let lined = rng.random_bool(0.6);
    let pitch = if lined {
        rng.random_range(7.8..9.0f32)
    } else {
        rng.random_range(7.0..8.2f32)
    };
    let first_rule = rng.random_range(18.0..24.0f32);
    let margin = if lined && rng.random_bool(0.6) {
        Some(rng.random_range(26.0..30.0f32))
    } else {
        None
    };
    let paper = if lined {
        Paper::Lined {
            first: first_rule,
            pitch,
            margin,
        }
    } else {
        Paper::Plain
    };
    let mut l = Letter::new("complaint/handwritten", ctx, &c, paper);
    let lm = margin
        .map(|m| m + 3.0)
        .unwrap_or(rng.random_range(16.0..24.0));
    let rm = 210.0 - rng.random_range(14.0..22.0f32);
    let f = Font::Hand;
    // Baselines sit just above the rules.
    let row = |r: usize| first_rule + pitch * r as f32 - 1.0;
    let mut r = 1usize;
    let civ = rng.random_bool(0.4);
    let name = c.name_segs(rng, civ);
    l.line(lm, row(r), f, size, &name);
    let date_style = *pick(
        rng,
        &[
            DateStyle::Slash,
            DateStyle::SlashShort,
            DateStyle::Long,
            DateStyle::DotShort,
        ],
    );
    let date = c.date_segs(rng, date_style);
    let date_on_first = rng.random_bool(0.5);
    if date_on_first {
        let w = fonts::width_mm(f, size, &concat(&date));
        l.line(rm - w, row(r), f, size, &date);
    }
    r += 1;
    if rng.random_bool(0.7) {
        for s in address_lines(ctx, false) {
            l.text(lm, row(r), f, size, &s);
            r += 1;
        }
    }
    let member = rng.random_bool(0.7);
    let member_in_body = member && rng.random_bool(0.3);
    if member && !member_in_body {
        let s = c.member_line(rng);
        l.line(lm, row(r), f, size, &s);
        r += 1;
    }
    if !date_on_first {
        r += 1;
        let w = fonts::width_mm(f, size, &concat(&date));
        l.line(rm - w - rng.random_range(0.0..20.0), row(r), f, size, &date);
    }
    r += 1;
    if rng.random_bool(0.5) {
        let x = rng.random_range(100.0..120.0f32);
        l.text(x, row(r), f, size, ctx.mutuelle.name);
        r += 1;
        if rng.random_bool(0.5) {
            l.text(x, row(r), f, size, ctx.mutuelle.city_line);
            r += 1;
        }
    }
    r += 1;
    if rng.random_bool(0.6) {
        let subj = c.subject(rng);
        l.subject_line(
            lm,
            row(r),
            f,
            f,
            size,
            pk(rng, &["Objet :", "Objet :", "Obj :"]),
            &subj,
        );
        r += 2;
    }
    l.text(
        lm + rng.random_range(0.0..12.0),
        row(r),
        f,
        size,
        pk(
            rng,
            &[
                "Madame, Monsieur,",
                "Bonjour,",
                "Messieurs,",
                "Madame, Monsieur,",
            ],
        ),
    );
    r += 1;
    if rng.random_bool(0.5) {
        r += 1;
    }
    let mut paras: Vec<Vec<Seg>> = Vec::new();
    let opening = if member_in_body {
        c.intro_member(rng)
    } else if rng.random_bool(0.5) {
        c.intro(rng)
    } else {
        Vec::new()
    };
    let facts = c.facts(rng);
    paras.push(if opening.is_empty() {
        facts
    } else {
        join(vec![opening, facts])
    });
    let mut p = vec![c.grief(rng)];
    if rng.random_bool(0.4) {
        p.push(c.prior(rng));
    }
    p.push(c.demand(rng));
    paras.push(join(p));
    if c.escalation {
        paras.push(c.esc(rng));
    }
    c.ensure_cited(rng, &mut paras, 0);
    let formal = rng.random_bool(0.4);
    paras.push(c.close(rng, formal));
    let flow = Flow {
        x: lm,
        width: rm - lm,
        font: f,
        size,
        leading: pitch,
        indent: rng.random_range(4.0..14.0),
        gap: if rng.random_bool(0.5) { pitch } else { 0.0 },
        jitter: 1.5,
        top: row(1),
        bottom: 280.0,
    };
    let mut y = row(r);
    for p in &paras {
        y = l.para(rng, &flow, y, p);
    }
    if y + pitch * 2.0 > 282.0 {
        y = l.next_page(&flow);
    }
    let sx = rng.random_range(100.0..135.0f32);
    scribble(rng, &mut l.b, sx, y - 4.0, (28.0, 45.0), (9.0, 13.0));
    if rng.random_bool(0.6) {
        let segs = c.name_segs(rng, false);
        l.line(sx, y + pitch * 2.0, f, size, &segs);
    }
    l.finish()
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("lundi", "lun."),
    ("mardi", "mar."),
    ("mercredi", "mer."),
    ("jeudi", "jeu."),
    ("vendredi", "ven."),
    ("samedi", "sam."),
    ("dimanche", "dim."),
];

fn mutuelle_mail(rng: &mut Rng, ctx: &Ctx) -> String {
    let slug: String = normalize::fold_text(ctx.mutuelle.name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let user = pk(
        rng,
        &[
            "reclamations",
            "contact",
            "service.adherents",
            "prestations",
            "relation.client",
        ],
    );
    format!("{user}@{slug}.fr")
}

/// How a webmail prints: its brand, its window title, its address.
struct Webmail {
    brand: &'static str,
    app: &'static str,
    url: &'static str,
}

fn webmail(email: &str) -> Webmail {
    let domain = email.rsplit('@').next().unwrap_or("");
    let (brand, app, url) = match domain {
        "gmail.com" => (
            "Gmail",
            "Gmail",
            "https://mail.google.com/mail/u/0/?view=pt&search=all&ik=",
        ),
        "orange.fr" | "wanadoo.fr" => (
            "Orange",
            "Mail Orange",
            "https://messagerie.orange.fr/#/print/",
        ),
        "free.fr" => (
            "Free",
            "Zimbra Free",
            "https://zimbra.free.fr/zimbra/h/printmessage?id=",
        ),
        "sfr.fr" => ("SFR Mail", "SFR Mail", "https://webmail.sfr.fr/print?msg="),
        "laposte.net" => (
            "laposte.net",
            "Messagerie laposte.net",
            "https://www.laposte.net/webmail/print/",
        ),
        _ => ("Webmail", "Webmail", "https://webmail.example.fr/print?id="),
    };
    Webmail { brand, app, url }
}

/// "à Lyon", "au Mans".
fn a_city(city: &str) -> String {
    if let Some(rest) = city.strip_prefix("Le ") {
        format!("au {rest}")
    } else {
        format!("à {city}")
    }
}

/// "de Lyon", "d'Annecy", "du Mans".
fn de_city(city: &str) -> String {
    if let Some(rest) = city.strip_prefix("Le ") {
        format!("du {rest}")
    } else if city.starts_with(['A', 'E', 'I', 'O', 'U', 'Y', 'É', 'Â', 'Î']) {
        format!("d'{city}")
    } else {
        format!("de {city}")
    }
}

/// A printed e-mail: client header, De/À/Date/Objet, then the text; no handwritten signature.
fn email(rng: &mut Rng, ctx: &Ctx, mut c: Content) -> Doc {
    let outlook = rng.random_bool(0.5);
    let layout = if outlook {
        "complaint/email-outlook"
    } else {
        "complaint/email-webmail"
    };
    let mut l = Letter::new(layout, ctx, &c, Paper::Plain);
    let font = *pick(rng, &[Font::Sans, Font::Dejavu, Font::Sans, Font::Serif]);
    let bold = bold_of(font);
    let size = rng.random_range(10.0..11.0f32);
    let lead = size * 0.46;
    let lm = rng.random_range(14.0..20.0f32);
    let rm = 210.0 - rng.random_range(14.0..20.0f32);
    let hour = rng.random_range(7..23);
    let minute = rng.random_range(0..60);
    let wd = WEEKDAYS[usize::from(c.letter_date.weekday().number_days_from_monday())];
    let to = mutuelle_mail(rng, ctx);
    let subj = c.subject(rng);
    let subj_text = concat(&subj);
    let wm = webmail(&ctx.member.email);
    let mut y;
    if outlook {
        let mut top = 18.0;
        if rng.random_bool(0.5) {
            l.b.text_gray(
                lm,
                10.0 + 3.0,
                Font::Sans,
                8.0,
                &format!(
                    "{} {}",
                    fmt_date(c.letter_date, DateStyle::Slash),
                    "Outlook"
                ),
                90,
            );
            top = 22.0;
        }
        let owner = format!("{} {}", c.first, c.last);
        l.text(lm, top, Font::SansBold, 13.0, &owner);
        l.b.fill(lm, top + 2.5, rm - lm, 0.8, 0);
        y = top + 10.0;
        let lab_w = 24.0;
        let hsize = size;
        l.text(lm, y, bold, hsize, "De :");
        let mut from = c.name_segs(rng, false);
        from.push(plain(format!(" <{}>", ctx.member.email)));
        l.line(lm + lab_w, y, font, hsize, &from);
        y += lead * 1.2;
        l.text(lm, y, bold, hsize, "Envoyé :");
        let date_seg = tagged(fmt_date(c.letter_date, DateStyle::Long), Tag::LetterDate);
        l.line(
            lm + lab_w,
            y,
            font,
            hsize,
            &[
                plain(format!("{} ", wd.0)),
                date_seg,
                plain(format!(" {hour:02}:{minute:02}")),
            ],
        );
        y += lead * 1.2;
        l.text(lm, y, bold, hsize, "À :");
        l.text(lm + lab_w, y, font, hsize, &to);
        y += lead * 1.2;
        let sy = y;
        l.text(lm, sy, bold, hsize, "Objet :");
        l.subject_line(lm + lab_w, sy, font, font, hsize, "", &subj);
        y += lead * 1.2;
        if c.invoice && rng.random_bool(0.5) {
            let lb = l.text(lm, y, bold, hsize, "Pièces jointes :");
            l.text(
                (lm + lab_w).max(lb[2] + 3.0),
                y,
                font,
                hsize,
                &format!("facture_{}.pdf", rng.random_range(1..40)),
            );
            y += lead * 1.2;
        }
        y += lead;
    } else {
        // Webmail print: header strip, subject as title, sender line with date on the right.
        if rng.random_bool(0.6) {
            let stamp = format!(
                "{} {:02}:{:02}",
                fmt_date(c.letter_date, DateStyle::SlashShort),
                hour,
                (minute + 7).min(59)
            );
            l.b.text_gray(lm, 10.0 + 3.0, Font::Sans, 8.0, &stamp, 80);
            l.b.text_gray(
                80.0,
                13.0,
                Font::Sans,
                8.0,
                &format!("{} - {subj_text}", wm.app),
                80,
            );
        }
        let brand = wm.brand;
        l.text(lm, 24.0, Font::SansBold, 15.0, brand);
        let who = format!("{} {} <{}>", c.first, c.last, ctx.member.email);
        let w = fonts::width_mm(Font::Sans, 8.5, &who);
        l.b.text_gray(rm - w, 24.0, Font::Sans, 8.5, &who, 60);
        l.b.fill(lm, 27.0, rm - lm, 0.4, 120);
        l.subject_line(lm, 37.0, Font::SansBold, Font::SansBold, 13.0, "", &subj);
        l.b.text_gray(lm, 43.0, Font::Sans, 8.5, "1 message", 90);
        l.b.fill(lm, 45.5, rm - lm, 0.3, 150);
        y = 53.0;
        let mut from = c.name_segs(rng, false);
        from.push(plain(format!(" <{}>", ctx.member.email)));
        l.line(lm, y, bold, size, &from);
        let date_seg = tagged(fmt_date(c.letter_date, DateStyle::Long), Tag::LetterDate);
        let dsegs = [
            plain(format!("{} ", wd.1)),
            date_seg,
            plain(format!(" à {hour:02}:{minute:02}")),
        ];
        let w = fonts::width_mm(font, size - 1.0, &concat(&dsegs));
        let from_w = fonts::width_mm(bold, size, &concat(&from));
        let dy = if lm + from_w + 6.0 < rm - w {
            0.0
        } else {
            lead
        };
        l.line(rm - w, y + dy, font, size - 1.0, &dsegs);
        y += lead * 2.0;
        l.b.text_gray(lm, y, font, size - 1.0, &format!("À : {to}"), 60);
        y += lead * 2.5;
    }
    // Body.
    let greet = pk(
        rng,
        &[
            "Bonjour,",
            "Madame, Monsieur,",
            "Bonjour Madame, Monsieur,",
            "Bonjour,",
        ],
    );
    l.text(lm, y, font, size, greet);
    y += lead * 2.0;
    let member_mode = if rng.random_bool(0.7) {
        rng.random_range(0..2)
    } else {
        2
    };
    let mut paras: Vec<Vec<Seg>> = Vec::new();
    let opening = if member_mode == 0 {
        c.intro_member(rng)
    } else {
        c.intro(rng)
    };
    paras.push(opening);
    paras.push(c.facts(rng));
    let mut p = vec![c.grief(rng)];
    if rng.random_bool(0.5) {
        p.push(c.prior(rng));
    }
    paras.push(join(p));
    let mut d = vec![c.demand(rng)];
    if c.escalation {
        d.push(c.esc(rng));
    }
    paras.push(join(d));
    c.ensure_cited(rng, &mut paras, 1);
    let flow = Flow {
        x: lm,
        width: rm - lm,
        font,
        size,
        leading: lead,
        indent: 0.0,
        gap: lead * 0.9,
        jitter: 0.0,
        top: 22.0,
        bottom: 270.0,
    };
    for p in &paras {
        y = l.para(rng, &flow, y, p);
    }
    if y > 255.0 {
        y = l.next_page(&flow);
    }
    let closing = pk(
        rng,
        &[
            "Cordialement,",
            "Bien cordialement,",
            "Dans l'attente de votre retour,",
            "Salutations,",
            "Merci de votre retour rapide.",
        ],
    );
    l.text(lm, y, font, size, closing);
    y += lead * 1.6;
    let segs = c.name_segs(rng, false);
    l.line(lm, y, font, size, &segs);
    y += lead;
    if member_mode == 1 {
        let s = c.member_line(rng);
        l.line(lm, y, font, size, &s);
        y += lead;
    }
    if rng.random_bool(0.5) {
        let p = values::fmt_phone(rng, &ctx.member.phone);
        l.text(lm, y, font, size, &p);
    }
    let url = if outlook {
        "https://outlook.live.com/mail/0/inbox/id/AQMkADAwATM0MDAAMS1iZjA".to_string()
    } else {
        format!(
            "{}{:x}",
            wm.url,
            rng.random_range(0x1000_0000u32..0xffff_ffff)
        )
    };
    let pages = l.b.page_index() + 1;
    l.b.text_gray(lm, 289.0, Font::Sans, 7.5, &url, 90);
    let pn = format!("{pages}/{pages}");
    let w = fonts::width_mm(Font::Sans, 7.5, &pn);
    l.b.text_gray(rm - w, 289.0, Font::Sans, 7.5, &pn, 90);
    l.finish()
}

const NOTE_HEAD: &[&str] = &[
    "RÉCLAMATION",
    "RÉCLAMATION URGENTE",
    "TROISIÈME RELANCE",
    "RELANCE !!!",
    "À L'ATTENTION DU SERVICE RÉCLAMATIONS",
    "RÉCLAMATION !",
];
const NOTE_OPEN: &[&str] = &[
    "Ceci est ma troisième relance !",
    "J'en ai assez d'attendre.",
    "Encore une fois, rien ne va !",
    "Je suis excédé{e}.",
    "Vraiment, c'est inadmissible.",
    "Ça suffit !",
    "Je n'en peux plus de vos services.",
];
const NOTE_FACTS_INV: &[&str] = &[
    "Facture n° {ref} du {inv_date} ({prov}) : toujours pas remboursée !",
    "{prov}, facture {ref} du {inv_date} : vous me devez {amt}.",
    "Vous ne m'avez rien versé pour la facture {ref} ({prov}, {inv_date}).",
    "Facture {ref} {de_prov}, datée du {inv_date} : remboursement refusé, sans explication.",
];
const NOTE_FACTS_INV_TIERS: &[&str] =
    &["Le tiers payant a été refusé chez {prov} le {inv_date} (facture {ref}) !"];
const NOTE_FACTS_INV_WRONG: &[&str] =
    &["Remboursement de la facture {ref} ({prov}, {inv_date}) : il manque {amt} !"];
const NOTE_FACTS: &[(Theme, &str)] = &[
    (
        Theme::DoubleDebit,
        "Cotisation prélevée DEUX FOIS le {debit_date} : {amt} !",
    ),
    (
        Theme::DoubleDebit,
        "Vous m'avez prélevé deux fois ma cotisation ce mois-ci.",
    ),
    (
        Theme::CardMissing,
        "Toujours pas de carte de tiers payant {year} !",
    ),
    (
        Theme::CardMissing,
        "Où est ma carte de mutuelle ? Demandée le {prev_date}, jamais reçue.",
    ),
    (
        Theme::Termination,
        "J'ai résilié le {prev_date} et vous prélevez encore !",
    ),
    (
        Theme::Termination,
        "Contrat résilié au {res_date}, et encore {amt} prélevés !",
    ),
    (
        Theme::NoAnswer,
        "Aucune réponse à mon courrier du {prev_date}.",
    ),
    (
        Theme::NoAnswer,
        "Dossier n° {dossier} : toujours aucune réponse.",
    ),
    (
        Theme::Refused,
        "Remboursement refusé pour {care}, sans explication !",
    ),
    (
        Theme::Refused,
        "Refus de rembourser {care} ({amt}) : je conteste.",
    ),
    (
        Theme::Late,
        "{weeks} semaines que j'attends le remboursement de {care} !",
    ),
    (Theme::Late, "Toujours rien reçu pour {care}."),
    (
        Theme::WrongAmount,
        "Remboursement de {care} faux : il manque {amt}.",
    ),
    (
        Theme::WrongAmount,
        "Décompte {decompte} : erreur de calcul !",
    ),
    (
        Theme::TiersPayant,
        "Tiers payant refusé à la pharmacie le {care_date} !",
    ),
    (
        Theme::TiersPayant,
        "Plus de tiers payant chez le pharmacien : j'avance tout !",
    ),
];
const NOTE_DEMAND: &[&str] = &[
    "Remboursez-moi {amt} immédiatement.",
    "J'exige une réponse rapide.",
    "Merci de régulariser au plus vite.",
    "Je veux être remboursé{e}, point.",
    "Réglez ce problème, merci.",
    "Faites le nécessaire, et vite.",
];
const NOTE_ESC: &[&str] = &[
    "Sinon, ce sera [[le médiateur]].",
    "Prochaine étape : [[mon avocat]].",
    "Sans réponse sous {delay}, je saisis [[l'ACPR]].",
    "Je vais saisir [[le médiateur]] !",
    "Dernier avertissement avant [[le tribunal]].",
];

/// A short angry note: big heading, a few blunt sentences, signature.
fn note(rng: &mut Rng, ctx: &Ctx, c: Content) -> Doc {
    let mut l = Letter::new("complaint/short-note", ctx, &c, Paper::Plain);
    let font = *pick(
        rng,
        &[
            Font::Dejavu,
            Font::Sans,
            Font::Narrow,
            Font::Mono,
            Font::Century,
        ],
    );
    let bold = bold_of(font);
    let size = rng.random_range(12.0..13.5f32);
    let lead = size * 0.5;
    let lm = rng.random_range(18.0..30.0f32);
    let rm = 210.0 - rng.random_range(18.0..30.0f32);
    let mut y = rng.random_range(20.0..30.0f32);
    let civ = rng.random_bool(0.5);
    let name = c.name_segs(rng, civ);
    l.line(lm, y, bold, size - 1.0, &name);
    let ds = *pick(
        rng,
        &[DateStyle::Slash, DateStyle::SlashShort, DateStyle::Long],
    );
    let date = c.date_segs(rng, ds);
    let w = fonts::width_mm(font, size - 1.0, &concat(&date));
    l.line(rm - w, y, font, size - 1.0, &date);
    y += lead;
    if rng.random_bool(0.7) {
        let s = c.member_line(rng);
        l.line(lm, y, font, size - 1.0, &s);
        y += lead;
    }
    if rng.random_bool(0.5) {
        let a = &ctx.member.address;
        l.text(
            lm,
            y,
            font,
            size - 1.0,
            &format!("{} - {} {}", a.street, a.postal_code, a.city),
        );
        y += lead;
    }
    y += rng.random_range(12.0..22.0);
    let head = pk(rng, NOTE_HEAD);
    let hsize = rng.random_range(16.0..21.0f32);
    let hb = l.b.text_center(105.0, y, bold, hsize, head);
    l.b.line(hb[0], y + 1.5, hb[2], y + 1.5, 0.5);
    if rng.random_bool(0.3) {
        l.b.line(hb[0], y + 2.6, hb[2], y + 2.6, 0.4);
    }
    y += rng.random_range(14.0..20.0);
    if rng.random_bool(0.4) {
        let subj = c.subject(rng);
        l.subject_line(lm, y, bold, font, size, "Objet :", &subj);
        y += lead * 2.0;
    }
    let mut parts = Vec::new();
    if rng.random_bool(0.7) {
        parts.push(c.pick_fill(rng, NOTE_OPEN));
    }
    let facts = if c.invoice {
        let list = match c.theme {
            Theme::TiersPayant => NOTE_FACTS_INV_TIERS,
            Theme::WrongAmount => NOTE_FACTS_INV_WRONG,
            _ => NOTE_FACTS_INV,
        };
        c.pick_fill(rng, list)
    } else {
        let list: Vec<&str> = NOTE_FACTS
            .iter()
            .filter(|(t, _)| *t == c.theme)
            .map(|(_, s)| *s)
            .collect();
        let list: Vec<&str> = if list.iter().any(|t| usable(t, &c.v)) {
            list
        } else {
            vec![]
        };
        if list.is_empty() {
            c.facts(rng)
        } else {
            c.pick_fill(rng, &list)
        }
    };
    parts.push(facts);
    let mut paras = vec![join(parts)];
    let mut tail = Vec::new();
    if rng.random_bool(0.5) {
        tail.push(c.grief(rng));
    }
    tail.push(c.pick_fill(rng, NOTE_DEMAND));
    if c.escalation {
        tail.push(c.pick_fill(rng, NOTE_ESC));
    }
    paras.push(join(tail));
    c.ensure_cited(rng, &mut paras, 0);
    let flow = Flow {
        x: lm,
        width: rm - lm,
        font,
        size,
        leading: lead * 1.15,
        indent: 0.0,
        gap: lead * 1.2,
        jitter: 0.0,
        top: 25.0,
        bottom: 270.0,
    };
    for p in &paras {
        y = l.para(rng, &flow, y, p);
    }
    y += 4.0;
    if y > 255.0 {
        y = l.next_page(&flow);
    }
    let sx = rng.random_range(110.0..140.0f32);
    sign(rng, &mut l, &c, sx, y, font, size - 1.0, false);
    l.finish()
}

const REG_INTRO: &[&str] = &[
    "Adhérent{e} de votre mutuelle, je vous ai signalé à plusieurs reprises un litige qui n'est toujours pas résolu.",
    "Je suis adhérent{e} de {mutuelle} et je me vois contraint{e} de vous adresser la présente par lettre recommandée.",
    "Malgré mes démarches amiables, le litige qui nous oppose n'a pas trouvé de solution.",
    "Je fais suite à mes précédents courriers, restés sans effet.",
];
const REG_PRIOR: &[&str] = &[
    "Malgré mes relances du {prev_date2} et du {prev_date}, restées sans effet, aucune solution ne m'a été proposée.",
    "Mon courrier du {prev_date}, pourtant explicite, n'a donné aucun résultat.",
    "Mes nombreux appels à votre service client n'ont pas permis de régler ce litige.",
];
const REG_LAW: &[&str] = &[
    "Je vous rappelle qu'aux termes de l'article 1103 du Code civil, les contrats légalement formés tiennent lieu de loi à ceux qui les ont faits. Votre mutuelle est donc tenue de servir les prestations prévues par mon contrat.",
    "Conformément à l'article 1231-6 du Code civil, les sommes dues porteront intérêts au taux légal à compter de la présente [[mise en demeure]].",
    "Je vous rappelle que les garanties de mon contrat responsable, au sens de l'article L. 871-1 du Code de la sécurité sociale, couvrent cette dépense.",
    "Je vous rappelle que la recommandation 2022-R-01 de l'[[ACPR]] impose de répondre à une réclamation dans un délai de deux mois au plus.",
];
const REG_LAW_TERMINATION: &[&str] = &[
    "Depuis la loi n° 2019-733 du 14 juillet 2019, un contrat de complémentaire santé peut être résilié à tout moment après un an d'engagement, la résiliation prenant effet un mois après sa notification (article L. 221-10-2 du Code de la mutualité).",
];
const REG_DEMAND_AMOUNT: &[&str] = &[
    "Par la présente, je vous [[mets en demeure]] de me verser la somme de {amt} dans un délai de {delay} à compter de la réception de ce courrier.",
    "En conséquence, je vous [[mets en demeure]] de procéder au remboursement de {amt} sous {delay}.",
    "Je vous [[mets en demeure]] de me régler la somme de {amt}, sans délai et au plus tard sous {delay}.",
];
const REG_DEMAND: &[&str] = &[
    "Je vous [[mets en demeure]] de régulariser ma situation dans un délai de {delay}.",
    "Par la présente lettre, valant [[mise en demeure]], je vous demande de mettre fin à ce litige sous {delay}.",
    "En conséquence, je vous [[mets en demeure]] de respecter vos obligations contractuelles dans un délai de {delay}.",
];
const REG_THREAT: &[&str] = &[
    "À défaut, je saisirai [[le Médiateur de la Mutualité Française]], puis, le cas échéant, la juridiction compétente.",
    "À défaut d'exécution dans ce délai, je n'hésiterai pas à saisir [[le tribunal judiciaire]] {de_city}.",
    "Faute de réponse, je confierai ce dossier à [[mon avocat]] afin d'engager une procédure.",
    "Sans régularisation, je saisirai [[le médiateur]] puis, si nécessaire, la justice.",
    "À défaut, je saisirai sans autre avis [[le tribunal]] compétent.",
];
const REG_SUBJ: &[&str] = &[
    "[[Mise en demeure]] – remboursement de la facture n° {ref}",
    "[[Mise en demeure]] de payer",
    "[[Mise en demeure]]",
    "[[Mise en demeure]] – réclamation restée sans suite",
    "[[MISE EN DEMEURE]]",
];
const REG_SUBJ_THEME: &[(Theme, &str)] = &[
    (
        Theme::Termination,
        "[[Mise en demeure]] – résiliation de contrat",
    ),
    (
        Theme::DoubleDebit,
        "[[Mise en demeure]] – double prélèvement",
    ),
    (
        Theme::CardMissing,
        "[[Mise en demeure]] – carte de tiers payant",
    ),
    (
        Theme::NoAnswer,
        "[[Mise en demeure]] – dossier n° {dossier}",
    ),
];

/// A registered letter with a formal notice (mise en demeure), citing the law.
fn registered(rng: &mut Rng, ctx: &Ctx, mut c: Content) -> Doc {
    let mut l = Letter::new("complaint/registered-notice", ctx, &c, Paper::Plain);
    c.v.text("de_city", de_city(&c.city));
    let font = *pick(
        rng,
        &[
            Font::Serif,
            Font::Century,
            Font::Sans,
            Font::Mono,
            Font::Bookman,
        ],
    );
    let bold = bold_of(font);
    let size = if font == Font::Mono {
        rng.random_range(10.0..10.8f32)
    } else {
        rng.random_range(10.5..11.5f32)
    };
    let lead = size * 0.47;
    let lm = rng.random_range(18.0..25.0f32);
    let rm = 210.0 - rng.random_range(18.0..24.0f32);
    let mut y = rng.random_range(18.0..26.0f32);
    let title = pk(
        rng,
        &[
            "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION",
            "LETTRE RECOMMANDÉE AVEC AR",
            "Lettre recommandée avec accusé de réception",
        ],
    );
    let title_top = rng.random_bool(0.5);
    if title_top {
        let tb = l.b.text_center(105.0, y + 2.0, bold, size + 1.0, title);
        l.b.rect(
            tb[0] - 3.0,
            tb[1] - 2.5,
            tb[2] - tb[0] + 6.0,
            tb[3] - tb[1] + 5.0,
            0.4,
        );
        y += 14.0;
    }
    let name = c.name_segs(rng, true);
    l.line(lm, y, bold, size, &name);
    y += lead;
    for s in address_lines(ctx, true) {
        l.text(lm, y, font, size, &s);
        y += lead;
    }
    let member = rng.random_bool(0.75);
    if member {
        let s = c.member_line(rng);
        l.line(lm, y, font, size, &s);
        y += lead;
    }
    let rx = rng.random_range(108.0..118.0f32);
    let mut ry = (y + 8.0).max(52.0);
    if !title_top {
        let w = fonts::width_mm(bold, size - 0.5, title);
        l.text((rm - w).min(rx).max(lm), ry, bold, size - 0.5, title);
        ry += lead * 1.5;
    }
    if rng.random_bool(0.5) {
        let n = format!(
            "N° {} {} {} {} {}",
            pk(rng, &["1A", "1K", "2C"]),
            digits(rng, 3),
            digits(rng, 3),
            digits(rng, 4),
            digits(rng, 1)
        );
        l.text(rx, ry, font, size - 1.0, &n);
        ry += lead * 1.5;
    }
    for (i, s) in recipient_lines(rng, ctx).iter().enumerate() {
        l.text(rx, ry, if i == 0 { bold } else { font }, size, s);
        ry += lead;
    }
    y = ry + 8.0;
    let date = c.date_segs(rng, DateStyle::Long);
    let w = fonts::width_mm(font, size, &concat(&date));
    l.line(
        if rng.random_bool(0.5) { rm - w } else { rx },
        y,
        font,
        size,
        &date,
    );
    y += lead * 2.5;
    let mut subjects: Vec<&str> = REG_SUBJ.to_vec();
    subjects.extend(
        REG_SUBJ_THEME
            .iter()
            .filter(|(t, _)| *t == c.theme)
            .map(|(_, s)| *s),
    );
    let subj = c.pick_fill(rng, &subjects);
    l.subject_line(lm, y, bold, bold, size, "Objet :", &subj);
    y += lead * 2.5;
    l.text(
        lm,
        y,
        font,
        size,
        pk(
            rng,
            &[
                "Madame, Monsieur,",
                "Madame la Directrice, Monsieur le Directeur,",
                "Madame, Monsieur,",
            ],
        ),
    );
    y += lead * 1.8;

    let mut paras: Vec<Vec<Seg>> = vec![join(vec![c.pick_fill(rng, REG_INTRO), c.facts(rng)])];
    if c.theme != Theme::NoAnswer {
        paras.push(c.pick_fill(rng, REG_PRIOR));
    }
    let law = if c.theme == Theme::Termination && rng.random_bool(0.7) {
        REG_LAW_TERMINATION
    } else {
        REG_LAW
    };
    paras.push(c.pick_fill(rng, law));
    let demand = if c.v.get("amt").is_some() && rng.random_bool(0.8) {
        REG_DEMAND_AMOUNT
    } else {
        REG_DEMAND
    };
    paras.push(c.pick_fill(rng, demand));
    paras.push(c.pick_fill(rng, REG_THREAT));
    c.ensure_cited(rng, &mut paras, 0);
    paras.push(c.close(rng, true));
    let numbered = rng.random_bool(0.3);
    let flow = Flow {
        x: lm,
        width: rm - lm,
        font,
        size,
        leading: lead,
        indent: if numbered {
            0.0
        } else if rng.random_bool(0.5) {
            10.0
        } else {
            0.0
        },
        gap: lead * 0.7,
        jitter: 0.0,
        top: 25.0,
        bottom: 272.0,
    };
    let n = paras.len();
    for (i, p) in paras.iter().enumerate() {
        if numbered && i > 0 && i < n - 1 {
            let mut q = vec![plain(format!("{i}. "))];
            q.extend(p.iter().cloned());
            y = l.para(rng, &flow, y, &q);
        } else {
            y = l.para(rng, &flow, y, p);
        }
    }
    if y > 250.0 {
        y = l.next_page(&flow);
    }
    let sx = rng.random_range(112.0..132.0f32);
    let above = rng.random_bool(0.5);
    let y2 = sign(rng, &mut l, &c, sx, y + 4.0, font, size, above);
    if c.invoice && y2 < 278.0 {
        l.text(
            lm,
            y2.max(272.0),
            font,
            size - 1.0,
            "P.J. : copie de la facture, copies de mes courriers précédents",
        );
    }
    l.finish()
}

const REQ_SUBJ: &[&str] = &[
    "Envoi de justificatifs",
    "Demande de remboursement",
    "Transmission de documents",
    "Mise à jour de mon dossier",
    "Pièces complémentaires",
    "Envoi de factures",
];
const REQ_PARA: &[&str] = &[
    "Veuillez trouver ci-joint les justificatifs demandés par votre service, afin de compléter mon dossier.",
    "Je vous adresse ci-joint la facture correspondant à mes derniers soins, en vue de leur remboursement.",
    "Suite à votre courrier, je vous transmets l'attestation de droits de la Sécurité sociale mise à jour.",
    "Je vous prie de trouver ci-joint mon nouveau relevé d'identité bancaire pour le versement de mes prestations.",
    "Vous trouverez sous ce pli la copie de la carte Vitale de mon conjoint, à rattacher à mon contrat.",
    "Comme convenu avec votre conseiller, je vous envoie les documents nécessaires au traitement de ma demande.",
];
const EMBED_OPEN: &[&str] = &[
    "Par ailleurs, je suis très mécontent{e}.",
    "Par ailleurs, je tiens à vous faire part de mon mécontentement.",
    "J'en profite pour vous signaler un problème.",
    "Autre point, et non des moindres.",
    "Par ailleurs, je suis très déçu{e} du traitement de mon dossier.",
    "Je souhaite également porter réclamation.",
];
const EMBED_END: &[&str] = &[
    "Je vous remercie par avance pour le traitement de ces demandes.",
    "Je reste à votre disposition pour tout document complémentaire.",
    "Merci de me tenir informé{e} de la suite donnée.",
];

/// An ordinary request (sending documents) with the complaint in one middle paragraph.
fn embedded(rng: &mut Rng, ctx: &Ctx, c: Content) -> Doc {
    let hand = rng.random_bool(0.3);
    let layout = if hand {
        "complaint/request-with-complaint-hand"
    } else {
        "complaint/request-with-complaint"
    };
    let mut l = Letter::new(layout, ctx, &c, Paper::Plain);
    let font = if hand {
        Font::Hand
    } else {
        *pick(rng, &[Font::Sans, Font::Dejavu, Font::Narrow, Font::Serif])
    };
    let bold = if hand { Font::Hand } else { bold_of(font) };
    let size = if hand {
        rng.random_range(13.0..14.5f32)
    } else {
        rng.random_range(10.0..11.5f32)
    };
    let lead = if hand { size * 0.55 } else { size * 0.46 };
    let lm = rng.random_range(18.0..26.0f32);
    let rm = 210.0 - rng.random_range(18.0..26.0f32);
    let mut y = rng.random_range(18.0..26.0f32);
    // Sender and recipient both on the left, date on the right.
    let name = c.name_segs(rng, true);
    l.line(lm, y, bold, size, &name);
    y += lead;
    let a = &ctx.member.address;
    if rng.random_bool(0.5) {
        l.text(
            lm,
            y,
            font,
            size,
            &format!("{}, {} {}", a.street, a.postal_code, a.city),
        );
        y += lead;
    } else {
        for s in address_lines(ctx, false) {
            l.text(lm, y, font, size, &s);
            y += lead;
        }
    }
    let member = rng.random_bool(0.75);
    if member {
        let s = c.member_line(rng);
        l.line(lm, y, font, size, &s);
        y += lead;
    }
    y += lead * 2.0;
    let ds = *pick(rng, &[DateStyle::Long, DateStyle::Slash]);
    let date = c.date_segs(rng, ds);
    let w = fonts::width_mm(font, size, &concat(&date));
    l.line(rm - w, y, font, size, &date);
    y += lead * 1.5;
    l.text(
        lm,
        y,
        font,
        size,
        &format!(
            "{} {}",
            pk(rng, &["À l'attention de", "Destinataire :", "À :"]),
            ctx.mutuelle.name
        ),
    );
    y += lead;
    l.text(
        lm,
        y,
        font,
        size,
        &format!("{} - {}", ctx.mutuelle.address, ctx.mutuelle.city_line),
    );
    y += lead * 2.5;
    let sv = {
        let mut v = Vars::default();
        v.text("e", c.e());
        v
    };
    let subj = fill(pk(rng, REQ_SUBJ), &sv);
    let sb = l.subject_line(lm, y, bold, bold, size, "Objet :", &subj);
    if !hand && rng.random_bool(0.5) {
        l.b.line(sb[0], y + 1.0, sb[2], y + 1.0, 0.25);
    }
    y += lead * 2.5;
    l.text(
        lm,
        y,
        font,
        size,
        pk(rng, &["Madame, Monsieur,", "Bonjour,", "Madame, Monsieur,"]),
    );
    y += lead * 1.8;
    let mut paras: Vec<Vec<Seg>> = vec![c.pick_fill(rng, REQ_PARA)];
    let mut comp = vec![
        c.pick_fill(rng, EMBED_OPEN),
        c.facts(rng),
        c.grief(rng),
        c.demand(rng),
    ];
    if c.escalation {
        comp.push(c.esc(rng));
    }
    paras.push(join(comp));
    c.ensure_cited(rng, &mut paras, 1);
    paras.push(c.pick_fill(rng, EMBED_END));
    let formal = rng.random_bool(0.7);
    paras.push(c.close(rng, formal));
    let flow = Flow {
        x: lm,
        width: rm - lm,
        font,
        size,
        leading: lead,
        indent: 0.0,
        gap: lead * 0.8,
        jitter: if hand { 1.2 } else { 0.0 },
        top: 25.0,
        bottom: 272.0,
    };
    for p in &paras {
        y = l.para(rng, &flow, y, p);
    }
    if y > 252.0 {
        y = l.next_page(&flow);
    }
    let sx = if rng.random_bool(0.5) {
        lm
    } else {
        rng.random_range(110.0..130.0f32)
    };
    sign(rng, &mut l, &c, sx, y + 2.0, font, size, false);
    l.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testkit;
    use super::*;
    use crate::values::euros;
    use std::path::Path;

    fn dispute(rng: &mut Rng, received: Date) -> DisputeRef {
        let date = values::date_before(rng, received, 3, 60);
        let (printed, reference) = values::reference(rng, "FA", date.year());
        let total = euros(rng, 40.0, 900.0);
        let disputed = Amount::from_cents(rng.random_range(100..=total.cents()));
        DisputeRef {
            reference,
            printed_reference: printed,
            date,
            provider_name: (pk(
                rng,
                &[
                    "Optique du Centre",
                    "Cabinet dentaire Dr Martin",
                    "Pharmacie de la Gare",
                    "Audition Santé",
                ],
            ))
            .to_string(),
            total,
            disputed,
            care_type: pk(rng, &["optical", "dental", "pharmacy", "hearing"]),
        }
    }

    const MENTIONS: [&str; 7] = [
        "mediateur",
        "acpr",
        "avocat",
        "tribunal",
        "en demeure",
        "juridiction",
        "controle prudentiel",
    ];

    fn printed_text(doc: &Doc) -> String {
        let all: Vec<&str> = doc
            .pages
            .iter()
            .flat_map(|p| p.text_runs().map(|(t, _)| t))
            .collect();
        normalize::fold_text(&all.join(" "))
    }

    fn check(doc: &Doc, received: Date, d: Option<&DisputeRef>) {
        testkit::assert_sound(doc, received);
        assert_eq!(doc.class, Class::Complaint);
        let text = printed_text(doc);
        let esc = doc.fields.get("escalation").and_then(Value::as_bool);
        let mentioned = MENTIONS.iter().any(|m| text.contains(m));
        assert_eq!(
            esc,
            Some(mentioned),
            "{}: escalation {esc:?} but mention printed = {mentioned}: {text}",
            doc.layout
        );
        for key in ["first_name", "last_name", "letter_date"] {
            assert!(
                doc.fields.contains_key(key),
                "{}: {key} missing",
                doc.layout
            );
        }
        let letter = doc.fields["letter_date"].as_str().unwrap();
        let ld = mailroom_domain::check::parse_date(letter).unwrap();
        assert!(
            ld <= received && received - ld <= Duration::days(10),
            "{}: letter date {ld}",
            doc.layout
        );
        if let Some(d) = d {
            let refs = doc.fields["references"].as_array().expect("references");
            assert!(
                refs.iter()
                    .any(|r| r.as_str() == Some(d.reference.as_str())),
                "{}: {refs:?}",
                doc.layout
            );
            assert_eq!(
                doc.fields["disputed_amount"].as_str(),
                Some(d.disputed.to_normalized().as_str())
            );
        }
        if let Some(refs) = doc.fields.get("references").and_then(Value::as_array) {
            for r in refs {
                let r = r.as_str().unwrap();
                assert!(
                    !r.contains(' ') && r.to_uppercase() == r,
                    "{}: reference {r:?} not normalised",
                    doc.layout
                );
            }
        }
        // Everything stays on the sheet, inside the margins.
        for (i, p) in doc.pages.iter().enumerate() {
            for (t, b) in p.text_runs() {
                assert!(
                    b[0] >= 11.0 && b[2] <= 199.0 && b[1] >= 8.0 && b[3] <= 292.0,
                    "{}: page {} text off margins {b:?}: {t}",
                    doc.layout,
                    i + 1
                );
            }
        }
        assert!(
            doc.pages.len() <= 2,
            "{}: {} pages",
            doc.layout,
            doc.pages.len()
        );
    }

    #[test]
    fn every_variant_is_sound() {
        for v in VARIANTS {
            let mut n_esc = 0;
            for seed in 0..200u64 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                let d = if seed % 2 == 0 {
                    Some(dispute(&mut rng, received))
                } else {
                    None
                };
                let doc = render_variant(&mut rng, &ctx, d.as_ref(), v);
                check(&doc, received, d.as_ref());
                if doc.fields["escalation"] == Value::Bool(true) {
                    n_esc += 1;
                }
            }
            if v == Variant::Registered {
                assert_eq!(n_esc, 200);
            } else {
                assert!(
                    n_esc > 5 && n_esc < 120,
                    "{v:?}: {n_esc} escalations out of 200"
                );
            }
        }
    }

    #[test]
    fn mixture_fields_and_rates() {
        let (mut esc, mut member, mut subject, n) = (0, 0, 0, 600);
        let mut layouts = std::collections::BTreeSet::new();
        for seed in 0..n {
            let (mut rng, m, mutuelle, received) = testkit::setup(1000 + seed);
            let ctx = testkit::ctx(&m, mutuelle, received);
            let d = if seed % 3 == 0 {
                Some(dispute(&mut rng, received))
            } else {
                None
            };
            let doc = render(&mut rng, &ctx, d.as_ref());
            check(&doc, received, d.as_ref());
            layouts.insert(doc.layout.clone());
            esc += usize::from(doc.fields["escalation"] == Value::Bool(true));
            member += usize::from(doc.fields.contains_key("member_number"));
            subject += usize::from(doc.fields.contains_key("subject"));
        }
        let n = n as usize;
        assert!(layouts.len() >= 6, "{layouts:?}");
        assert!(
            (n * 20 / 100..n * 42 / 100).contains(&esc),
            "escalation rate {esc}/{n}"
        );
        assert!(
            (n * 55 / 100..n * 85 / 100).contains(&member),
            "member number rate {member}/{n}"
        );
        assert!(subject > n / 2, "subject rate {subject}/{n}");
    }

    #[test]
    fn wrapping_keeps_tagged_values_whole() {
        let segs = vec![
            plain("Je vous demande le remboursement de la somme de "),
            tagged("1 234,56 €", Tag::Amount(Amount::from_cents(123456))),
            plain(", facture n° "),
            tagged("FA 2025 00123", Tag::Ref("FA202500123".into())),
            plain("."),
        ];
        for width in [30.0, 45.0, 60.0, 90.0, 200.0] {
            let lines = wrap_segs(&segs, Font::Serif, 11.0, width, 0.0);
            let text: Vec<String> = lines.iter().map(|l| concat(l)).collect();
            assert_eq!(text.join(" "), concat(&segs), "width {width}");
            assert!(text.iter().any(|t| t.contains("1 234,56 €,")), "{text:?}");
            assert!(
                text.iter().any(|t| t.contains("FA 2025 00123.")),
                "{text:?}"
            );
        }
    }

    #[test]
    #[ignore]
    fn preview() {
        let dir = Path::new("/tmp/preview/complaint");
        for v in VARIANTS {
            for seed in 0..4u64 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                let d = if seed % 2 == 0 {
                    Some(dispute(&mut rng, received))
                } else {
                    None
                };
                let doc = render_variant(&mut rng, &ctx, d.as_ref(), v);
                let name = format!("{v:?}-{seed}").to_lowercase();
                crate::preview(&doc, dir, &name, 100).unwrap();
                println!("{name}: {} {:?}", doc.layout, doc.fields);
            }
        }
    }
}
