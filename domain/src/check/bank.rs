//! Bank identifiers: RIB key, IBAN (ISO 13616) and BIC (ISO 9362).

use super::CheckError;

/// Mod-97 accumulator over a stream of decimal digits, so that arbitrarily long numbers
/// (an IBAN is up to 34 characters, 60+ digits once letters are expanded) never overflow.
#[derive(Default)]
struct Mod97(u32);

impl Mod97 {
    fn push_digit(&mut self, d: u32) {
        self.0 = (self.0 * 10 + d) % 97;
    }

    /// Pushes an IBAN character: digits as themselves, letters as two digits A=10 … Z=35.
    /// Anything else is ignored (callers validate the alphabet first when it matters).
    fn push_iban_char(&mut self, c: char) {
        let c = c.to_ascii_uppercase();
        if let Some(d) = c.to_digit(10) {
            self.push_digit(d);
        } else if c.is_ascii_uppercase() {
            let v = u32::from(c as u8 - b'A') + 10;
            self.push_digit(v / 10);
            self.push_digit(v % 10);
        }
    }
}

/// The RIB digit of a character: digits as themselves, letters by the RIB table
/// (A,J=1 B,K,S=2 C,L,T=3 D,M,U=4 E,N,V=5 F,O,W=6 G,P,X=7 H,Q,Y=8 I,R,Z=9).
fn rib_digit(c: char) -> Option<u32> {
    const TABLE: &[u8; 26] = b"12345678912345678923456789";
    let c = c.to_ascii_uppercase();
    if let Some(d) = c.to_digit(10) {
        Some(d)
    } else if c.is_ascii_uppercase() {
        Some(u32::from(TABLE[usize::from(c as u8 - b'A')] - b'0'))
    } else {
        None
    }
}

fn rib_mod97(s: &str) -> u32 {
    let mut m = Mod97::default();
    s.chars()
        .filter_map(rib_digit)
        .for_each(|d| m.push_digit(d));
    m.0
}

/// The French RIB key (clé RIB) of a bank code, branch code (code guichet) and account
/// number: `97 − ((89·bank + 15·branch + 3·account) mod 97)`, letters of the account
/// converted by the RIB table. Characters that are neither digits nor letters are ignored.
/// The result lies in 1..=97.
pub fn rib_key(bank: &str, branch: &str, account: &str) -> u32 {
    let sum = 89 * rib_mod97(bank) + 15 * rib_mod97(branch) + 3 * rib_mod97(account);
    97 - sum % 97
}

/// The two ISO 13616 check digits of an IBAN for `country` (2 letters) and `bban`:
/// `98 − (bban ‖ country ‖ "00" mod 97)`, letters counted A=10 … Z=35, case ignored,
/// other characters ignored.
pub fn iban_check_digits(country: &str, bban: &str) -> String {
    let mut m = Mod97::default();
    bban.chars()
        .chain(country.chars())
        .chain("00".chars())
        .for_each(|c| m.push_iban_char(c));
    format!("{:02}", 98 - m.0)
}

/// The French IBAN of a bank account: `FR` + check digits + bank (5) + branch (5) +
/// account (11) + RIB key (2), 27 characters when the parts have their usual lengths
/// (the caller's job: this helper builds test data, it does not pad). The account is
/// upper-cased.
pub fn iban_fr(bank: &str, branch: &str, account: &str) -> String {
    let account = account.to_ascii_uppercase();
    let bban = format!(
        "{bank}{branch}{account}{:02}",
        rib_key(bank, branch, &account)
    );
    format!("FR{}{bban}", iban_check_digits("FR", &bban))
}

/// The IBAN length of a country, for the countries a French mutual's members bank in.
/// `None` for countries not in the table (their IBANs are then checked by mod 97 only).
pub fn iban_length(country: &str) -> Option<usize> {
    let len = match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FO" | "GL" | "NL" => 18,
        "SI" => 19,
        "AT" | "EE" | "LT" | "LU" | "XK" | "KZ" => 20,
        "CH" | "HR" | "LI" | "LV" => 21,
        "BG" | "DE" | "GB" | "IE" | "ME" | "RS" | "BH" => 22,
        "GI" | "IL" | "AE" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "PT" | "ST" => 25,
        "IS" | "TR" => 26,
        // France and the French overseas territories that use French IBANs, Monaco, Italy…
        "FR" | "MC" | "IT" | "SM" | "GR" | "GF" | "GP" | "MQ" | "RE" | "YT" | "NC" | "PF"
        | "PM" | "TF" | "WF" | "BL" | "MF" | "MR" => 27,
        "AL" | "AZ" | "CY" | "DO" | "GT" | "HU" | "LB" | "PL" => 28,
        "BR" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" => 30,
        "MT" => 31,
        _ => return None,
    };
    Some(len)
}

/// Checks a normalised IBAN (upper case, no spaces): alphabet and layout, the country's
/// length when known, and ISO 13616 mod 97 = 1.
///
/// # Errors
///
/// [`CheckError::IbanFormat`] for a wrong alphabet or layout, [`CheckError::IbanLength`]
/// for a length that does not fit the country, [`CheckError::IbanKey`] when mod 97 ≠ 1.
pub fn check_iban(iban: &str) -> Result<(), CheckError> {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
    {
        return Err(CheckError::IbanFormat);
    }
    if let Some(len) = iban_length(&iban[..2])
        && len != b.len()
    {
        return Err(CheckError::IbanLength);
    }
    let mut m = Mod97::default();
    iban[4..]
        .chars()
        .chain(iban[..4].chars())
        .for_each(|c| m.push_iban_char(c));
    if m.0 == 1 {
        Ok(())
    } else {
        Err(CheckError::IbanKey)
    }
}

/// Checks a normalised BIC: 4 letters (bank), 2 letters (country), 2 letters or digits
/// (location), optionally 3 letters or digits (branch); upper case.
///
/// # Errors
///
/// [`CheckError::BicFormat`] when the layout does not match.
pub fn check_bic(bic: &str) -> Result<(), CheckError> {
    let b = bic.as_bytes();
    let alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let ok = matches!(b.len(), 8 | 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(alnum);
    if ok {
        Ok(())
    } else {
        Err(CheckError::BicFormat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ibans_are_valid() {
        for iban in [
            "FR1420041010050500013M02606",
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "BE68539007547034",
            "NL91ABNA0417164300",
            "CH9300762011623852957",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "LU280019400644750000",
            "AT611904300234573201",
            "PL61109010140000071219812874",
            "PT50000201231234567890154",
            "MC5811222000010123456789030",
        ] {
            assert_eq!(check_iban(iban), Ok(()), "{iban}");
        }
    }

    #[test]
    fn corrupted_ibans_are_invalid() {
        assert_eq!(
            check_iban("FR1420041010050500013M02607"),
            Err(CheckError::IbanKey)
        );
        assert_eq!(
            check_iban("DE89370400440532013001"),
            Err(CheckError::IbanKey)
        );
        // Two swapped digits.
        assert_eq!(
            check_iban("GB82WEST12345698765423"),
            Err(CheckError::IbanKey)
        );
        assert_eq!(
            check_iban("FR142004101005050013M02606"),
            Err(CheckError::IbanLength)
        );
        assert_eq!(
            check_iban("fr1420041010050500013M02606"),
            Err(CheckError::IbanFormat)
        );
        assert_eq!(
            check_iban("FR14 2004 1010 0505 0001 3M02 606"),
            Err(CheckError::IbanFormat)
        );
        assert_eq!(check_iban(""), Err(CheckError::IbanFormat));
        assert_eq!(
            check_iban("FRXX20041010050500013M02606"),
            Err(CheckError::IbanFormat)
        );
        assert_eq!(
            check_iban("FR14200410100505€0013M02606"),
            Err(CheckError::IbanFormat)
        );
    }

    #[test]
    fn check_digits_and_rib_keys() {
        assert_eq!(iban_check_digits("DE", "370400440532013000"), "89");
        assert_eq!(iban_check_digits("GB", "WEST12345698765432"), "82");
        // The RIB key of the La Banque Postale example account is 06.
        assert_eq!(rib_key("20041", "01005", "0500013M026"), 6);
        assert_eq!(
            iban_fr("20041", "01005", "0500013M026"),
            "FR1420041010050500013M02606"
        );
        assert_eq!(
            iban_fr("20041", "01005", "0500013m026"),
            "FR1420041010050500013M02606"
        );
    }

    #[test]
    fn generated_french_ibans_pass() {
        let accounts = ["00000000001", "12345678901", "0004008932A", "ZZZZZZZZZZZ"];
        for (i, account) in accounts.iter().enumerate() {
            let bank = format!("{:05}", 10_000 + i * 3_331);
            let branch = format!("{:05}", 40 + i * 997);
            let iban = iban_fr(&bank, &branch, account);
            assert_eq!(iban.len(), 27);
            assert_eq!(check_iban(&iban), Ok(()), "{iban}");
            let key = rib_key(&bank, &branch, account);
            assert!((1..=97).contains(&key));
            assert!(iban.ends_with(&format!("{key:02}")));
        }
    }

    #[test]
    fn rib_key_ignores_garbage() {
        assert_eq!(rib_key("", "", ""), 97);
        assert_eq!(rib_key("2 0 0 4 1", "01005", "0500013M026"), 6);
        let _ = rib_key("€€", "ééé", "\u{0}");
        assert_eq!(iban_check_digits("", "").len(), 2);
    }

    #[test]
    fn bics() {
        assert_eq!(check_bic("CEPAFRPP333"), Ok(()));
        assert_eq!(check_bic("BNPAFRPP"), Ok(()));
        assert_eq!(check_bic("DEUTDEFF500"), Ok(()));
        assert_eq!(check_bic("CEPAFRPP33"), Err(CheckError::BicFormat));
        assert_eq!(check_bic("cepafrpp"), Err(CheckError::BicFormat));
        assert_eq!(check_bic("CEP4FRPP"), Err(CheckError::BicFormat));
        assert_eq!(check_bic("CEPAF1PP"), Err(CheckError::BicFormat));
        assert_eq!(check_bic("CEPAFRPP-33"), Err(CheckError::BicFormat));
        assert_eq!(check_bic(""), Err(CheckError::BicFormat));
    }
}
