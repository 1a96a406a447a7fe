//! Contacts: phone numbers to E.164, e-mail addresses trimmed and lower-cased.
//!
//! # Phones ([`normalize_phone`])
//!
//! The result is E.164: `+`, the country code, the national number, digits only.
//!
//! | input                        | E.164             | reading                                    |
//! |------------------------------|-------------------|--------------------------------------------|
//! | `(11) 98765-4321`            | `+5511987654321`  | Brazilian mobile: area code + 9 digits     |
//! | `11987654321`                | `+5511987654321`  |                                            |
//! | `011 98765-4321`             | `+5511987654321`  | trunk prefix `0` dropped                   |
//! | `0 15 11 98765-4321`         | `+5511987654321`  | trunk `0` and carrier code `15` dropped    |
//! | `(0xx11) 98765-4321`         | `+5511987654321`  | old written form: `xx` is the carrier      |
//! | `55 11 98765-4321`           | `+5511987654321`  | country code without `+`                   |
//! | `0055 11 98765-4321`         | `+5511987654321`  | international prefix `00` dropped          |
//! | `+55 (11) 98765-4321`        | `+5511987654321`  |                                            |
//! | `(11) 3456-7890`             | `+551134567890`   | Brazilian landline: area code + 8 digits   |
//! | `tel:+55-11-3456-7890`       | `+551134567890`   | `tel:` URI prefix                          |
//! | `+1 415 555 2671`            | `+14155552671`    | foreign: only the E.164 shape is checked   |
//! | `98765-4321`                 | error             | [`PhoneError::MissingAreaCode`]            |
//! | `(11) 8765-4321`             | error             | [`PhoneError::MobileWithoutNine`]          |
//!
//! **With a leading `+`** the number is international: punctuation (spaces, `(`, `)`, `-`, `.`,
//! `/`) is dropped, 8 to 15 digits must remain, and the country code can't start with `0`. A
//! `+55` number is then validated as Brazilian; other countries only for shape.
//!
//! **Without `+`** the number is Brazilian as dialled in Brazil. Letters are an error, except the
//! `xx` of the old written form `0xx11`, a placeholder for the carrier code. After dropping
//! punctuation:
//!
//! 1. 13 or 14 digits starting with a single `0` are a long-distance call with a carrier
//!    selection code (`0 XX AA NNNNNNNN[N]`, "código de operadora"): the `0` and the two-digit
//!    carrier code are dropped. (`0 55 11 ...` reads the same either way: carrier 55 or country
//!    code 55 both leave `11 ...`.)
//! 2. Otherwise leading zeros are dropped: the trunk prefix (`0 11 ...`) or the international
//!    prefix (`00 55 11 ...`).
//! 3. 12 or 13 digits starting with `55` carry the country code; 10 or 11 digits are national and
//!    get `55`; 8 or 9 digits lack the area code ([`PhoneError::MissingAreaCode`]); anything else
//!    is [`PhoneError::BadLength`].
//!
//! **Brazilian validation** of the national number (area code + subscriber):
//!
//! - the area code ("DDD") must be one of the 67 Anatel assigns (11-19, 21, 22, 24, 27, 28, 31-35,
//!   37, 38, 41-49, 51, 53-55, 61-69, 71, 73-75, 77, 79, 81-89, 91-99);
//! - 11 digits is a mobile, whose subscriber number starts with `9`;
//! - 10 digits is a landline, whose subscriber number starts with `2` to `5`. A 10-digit number
//!   starting with `6` to `9` is a mobile written before 2016, when Brazil added the leading `9`
//!   to every mobile: it can't be dialled today, and adding the `9` would be a guess, so it is
//!   [`PhoneError::MobileWithoutNine`]. Subscriber numbers starting with `0` or `1` are not
//!   subscriber lines.
//!
//! Non-geographic numbers (`0800`, `0300`, `4004`) are not personal contacts and are rejected.
//!
//! # E-mails ([`normalize_email`])
//!
//! Trimmed, a leading `mailto:` dropped, lower-cased, and checked for a plausible shape:
//! `  Foo.Bar@Example.COM ` is `foo.bar@example.com`.
//!
//! - exactly one `@`;
//! - the local part: 1 to 64 bytes, no whitespace or control characters, none of the characters
//!   that would need quoting (`"(),:;<>[\]`), no leading, trailing or doubled dot;
//! - the domain: at most 253 characters, at least two labels, each 1 to 63 characters of
//!   `[a-z0-9-]` not starting or ending with `-`; the top-level domain is letters (at least two)
//!   or punycode (`xn--...`). Internationalized domains must arrive in punycode.
//!
//! Nothing is looked up: a well-formed address may still not exist.

/// Why a text is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Empty.
    #[error("phone is empty")]
    Empty,
    /// Not a phone number: letters, symbols, or a `+` other than at the start.
    #[error("not a phone number")]
    Invalid,
    /// Too few or too many digits.
    #[error("phone has {0} digits, which is no valid length")]
    BadLength(usize),
    /// An international number whose country code starts with `0`.
    #[error("country code can't start with 0")]
    InvalidCountryCode,
    /// A Brazilian number of 8 or 9 digits: the area code (DDD) is missing.
    #[error("phone has no area code (DDD)")]
    MissingAreaCode,
    /// A Brazilian area code (DDD) that Anatel does not assign.
    #[error("{0} is not a Brazilian area code (DDD)")]
    InvalidAreaCode(String),
    /// A 10-digit Brazilian number whose subscriber starts with 6-9: a mobile written without the
    /// leading 9 Brazil added to every mobile by 2016; it can't be dialled as written.
    #[error("mobile number without the leading 9 (8-digit mobile numbers ended in 2016)")]
    MobileWithoutNine,
    /// A Brazilian subscriber number that starts with a digit no subscriber line starts with
    /// (an 11-digit number not starting with 9 after the DDD, a 10-digit one starting with 0 or 1).
    #[error("not a Brazilian subscriber number")]
    InvalidSubscriber,
}

/// Why a text is not an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty.
    #[error("email is empty")]
    Empty,
    /// Not an address: no `@`, or more than one.
    #[error("not an email address")]
    Invalid,
    /// The part before the `@` is empty, too long or has forbidden characters.
    #[error("email local part (before @) is not valid")]
    InvalidLocalPart,
    /// The part after the `@` is not a plausible domain name.
    #[error("email domain is not valid")]
    InvalidDomain,
}

/// Brazil's country calling code.
const BRAZIL: &str = "55";

/// The area codes (DDD) Anatel assigns.
const AREA_CODES: [u8; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, // São Paulo
    21, 22, 24, // Rio de Janeiro
    27, 28, // Espírito Santo
    31, 32, 33, 34, 35, 37, 38, // Minas Gerais
    41, 42, 43, 44, 45, 46, // Paraná
    47, 48, 49, // Santa Catarina
    51, 53, 54, 55, // Rio Grande do Sul
    61, // Distrito Federal
    62, 64, // Goiás
    63, // Tocantins
    65, 66, // Mato Grosso
    67, // Mato Grosso do Sul
    68, // Acre
    69, // Rondônia
    71, 73, 74, 75, 77, // Bahia
    79, // Sergipe
    81, 87, // Pernambuco
    82, // Alagoas
    83, // Paraíba
    84, // Rio Grande do Norte
    85, 88, // Ceará
    86, 89, // Piauí
    91, 93, 94, // Pará
    92, 97, // Amazonas
    95, // Roraima
    96, // Amapá
    98, 99, // Maranhão
];

/// Normalizes a phone number to E.164 (see the [module documentation](self) for the rules).
///
/// ```
/// use ponte_contract::normalize::contact::{normalize_phone, PhoneError};
///
/// assert_eq!(normalize_phone("(11) 98765-4321").as_deref(), Ok("+5511987654321"));
/// assert_eq!(normalize_phone("+1 415 555 2671").as_deref(), Ok("+14155552671"));
/// assert_eq!(normalize_phone("98765-4321"), Err(PhoneError::MissingAreaCode));
/// ```
pub fn normalize_phone(input: &str) -> Result<String, PhoneError> {
    let mut text = input.trim();
    if text.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("tel:")) {
        text = text[4..].trim_start();
    }
    if text.is_empty() {
        return Err(PhoneError::Empty);
    }
    let (international, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut digits = String::with_capacity(rest.len());
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => digits.push(c),
            // `(0xx11)`: the old written form of the trunk prefix, `xx` standing for the carrier.
            'x' | 'X' if !international && digits == "0" && chars.next_if(|n| *n == 'x' || *n == 'X').is_some() => {}
            ' ' | '(' | ')' | '-' | '.' | '/' => {}
            c if c.is_whitespace() => {}
            _ => return Err(PhoneError::Invalid),
        }
    }
    if digits.is_empty() {
        return Err(if international { PhoneError::Invalid } else { PhoneError::Empty });
    }
    if international {
        if !(8..=15).contains(&digits.len()) {
            return Err(PhoneError::BadLength(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(PhoneError::InvalidCountryCode);
        }
        return match digits.strip_prefix(BRAZIL) {
            Some(national) => brazilian(national),
            None => Ok(format!("+{digits}")),
        };
    }
    let national = strip_dialling_prefixes(&digits);
    match national.len() {
        12 | 13 if national.starts_with(BRAZIL) => brazilian(&national[2..]),
        10 | 11 => brazilian(national),
        8 | 9 => Err(PhoneError::MissingAreaCode),
        n => Err(PhoneError::BadLength(n)),
    }
}

/// Drops what is dialled before a number inside Brazil: a trunk `0` with a two-digit carrier
/// code (13 or 14 digits starting with a single `0`), or any leading zeros.
fn strip_dialling_prefixes(digits: &str) -> &str {
    let single_zero = digits.starts_with('0') && !digits.starts_with("00");
    if single_zero && matches!(digits.len(), 13 | 14) { &digits[3..] } else { digits.trim_start_matches('0') }
}

/// Validates a Brazilian national number (DDD + subscriber, digits only) and returns E.164.
fn brazilian(national: &str) -> Result<String, PhoneError> {
    let bytes = national.as_bytes();
    match bytes.len() {
        10 | 11 => {}
        8 | 9 => return Err(PhoneError::MissingAreaCode),
        _ => return Err(PhoneError::BadLength(bytes.len() + BRAZIL.len())),
    }
    let area = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
    if !AREA_CODES.contains(&area) {
        return Err(PhoneError::InvalidAreaCode(national[..2].to_owned()));
    }
    match (bytes.len(), bytes[2]) {
        (11, b'9') | (10, b'2'..=b'5') => Ok(format!("+{BRAZIL}{national}")),
        (10, b'6'..=b'9') => Err(PhoneError::MobileWithoutNine),
        _ => Err(PhoneError::InvalidSubscriber),
    }
}

/// The longest local part, in bytes (RFC 5321).
const MAX_LOCAL: usize = 64;
/// The longest domain, in characters (RFC 1035, without the trailing dot).
const MAX_DOMAIN: usize = 253;
/// The longest domain label.
const MAX_LABEL: usize = 63;

/// Trims and lower-cases an e-mail address after checking its shape (see the
/// [module documentation](self)).
///
/// ```
/// use ponte_contract::normalize::contact::{normalize_email, EmailError};
///
/// assert_eq!(normalize_email("  Foo.Bar@Example.COM ").as_deref(), Ok("foo.bar@example.com"));
/// assert_eq!(normalize_email("mailto:ana@example.com.br").as_deref(), Ok("ana@example.com.br"));
/// assert_eq!(normalize_email("ana@localhost"), Err(EmailError::InvalidDomain));
/// ```
pub fn normalize_email(input: &str) -> Result<String, EmailError> {
    let mut text = input.trim();
    if text.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("mailto:")) {
        text = text[7..].trim_start();
    }
    if text.is_empty() {
        return Err(EmailError::Empty);
    }
    let address = text.to_lowercase();
    let mut parts = address.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(EmailError::Invalid);
    };
    if !valid_local_part(local) {
        return Err(EmailError::InvalidLocalPart);
    }
    if !valid_domain(domain) {
        return Err(EmailError::InvalidDomain);
    }
    Ok(address)
}

/// A dot-atom local part: 1 to 64 bytes, no whitespace, control or specials, dots only between
/// other characters.
fn valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "\"(),:;<>[\\]";
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !SPECIALS.contains(c))
}

/// An ASCII host name with at least two labels and a plausible top-level domain.
fn valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > MAX_DOMAIN {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let Some(tld) = labels.last() else {
        return false;
    };
    let tld_ok =
        (tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_lowercase())) || (tld.starts_with("xn--") && tld.len() > 4);
    labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in a test, a panic is the failure report
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn brazilian_mobiles_in_every_usual_form_normalize() {
        for input in [
            "(11) 98765-4321",
            "11 98765-4321",
            "11987654321",
            "11 9 8765 4321",
            "011 98765-4321",
            "(011) 98765-4321",
            "0 15 11 98765-4321",
            "(0xx11) 98765-4321",
            "0XX11 98765-4321",
            "55 11 98765-4321",
            "5511987654321",
            "0055 11 98765-4321",
            "+55 11 98765-4321",
            "+55 (11) 98765-4321",
            "+5511987654321",
            "  +55.11.98765.4321  ",
            "tel:+55-11-98765-4321",
            "TEL:11987654321",
            "11\u{a0}98765-4321",
        ] {
            assert_eq!(normalize_phone(input).as_deref(), Ok("+5511987654321"), "{input:?}");
        }
    }

    #[test]
    fn brazilian_landlines_normalize() {
        for input in
            ["(11) 3456-7890", "1134567890", "011 3456-7890", "0 21 11 3456-7890", "551134567890", "+55 11 3456-7890"]
        {
            assert_eq!(normalize_phone(input).as_deref(), Ok("+551134567890"), "{input:?}");
        }
        assert_eq!(normalize_phone("(55) 2101-1234").as_deref(), Ok("+555521011234"));
        assert_eq!(normalize_phone("(99) 5432-1098").as_deref(), Ok("+559954321098"));
    }

    #[test]
    fn foreign_numbers_keep_their_country_code() {
        for (input, expected) in [
            ("+1 415 555 2671", "+14155552671"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+351 912 345 678", "+351912345678"),
            ("+1 (415) 555-2671", "+14155552671"),
        ] {
            assert_eq!(normalize_phone(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn empty_phones_are_empty() {
        for input in ["", "   ", "()-", "tel:"] {
            assert_eq!(normalize_phone(input), Err(PhoneError::Empty), "{input:?}");
        }
    }

    #[test]
    fn invalid_phones_say_why() {
        use PhoneError::*;
        for (input, error) in [
            ("11 98765-4321 ramal 12", Invalid),
            ("(11) 9876S-4321", Invalid),
            ("11 98765+4321", Invalid),
            ("+", Invalid),
            ("++5511987654321", Invalid),
            ("11#987654321", Invalid),
            ("0x11 98765-4321", Invalid),
            ("(11) xx98765-4321", Invalid),
            ("+0xx11 98765-4321", Invalid),
            ("+123456", BadLength(6)),
            ("+1234567890123456", BadLength(16)),
            ("+0 415 555 2671", InvalidCountryCode),
            ("98765-4321", MissingAreaCode),
            ("3456-7890", MissingAreaCode),
            ("+55 98765-4321", MissingAreaCode),
            ("123", BadLength(3)),
            ("119876543210", BadLength(12)),
            ("+55 11 98765-43210", BadLength(14)),
            ("(20) 98765-4321", InvalidAreaCode("20".into())),
            ("(10) 3456-7890", InvalidAreaCode("10".into())),
            ("(23) 98765-4321", InvalidAreaCode("23".into())),
            ("+55 (90) 98765-4321", InvalidAreaCode("90".into())),
            ("0800 123 4567", InvalidAreaCode("80".into())),
            ("(11) 8765-4321", MobileWithoutNine),
            ("(11) 6543-2109", MobileWithoutNine),
            ("+55 11 8765-4321", MobileWithoutNine),
            ("(11) 88765-4321", InvalidSubscriber),
            ("(11) 1234-5678", InvalidSubscriber),
            ("(11) 0234-5678", InvalidSubscriber),
        ] {
            assert_eq!(normalize_phone(input), Err(error), "{input:?}");
        }
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        for (input, expected) in [
            ("  Foo.Bar@Example.COM ", "foo.bar@example.com"),
            ("ana@provedor.com.br", "ana@provedor.com.br"),
            ("mailto:Ana@Provedor.com.br", "ana@provedor.com.br"),
            ("MAILTO: ana@provedor.net", "ana@provedor.net"),
            ("ana+boletos@sub-domain.example.org", "ana+boletos@sub-domain.example.org"),
            ("o'neil_99@x1.io", "o'neil_99@x1.io"),
            ("joão@example.com", "joão@example.com"),
            ("ana@xn--80ak6aa92e.xn--p1ai", "ana@xn--80ak6aa92e.xn--p1ai"),
            ("ANA@123.example.com", "ana@123.example.com"),
        ] {
            assert_eq!(normalize_email(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn malformed_emails_are_rejected() {
        use EmailError::*;
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_label = format!("ana@{}.com", "a".repeat(64));
        let long_domain = format!("ana@{}com", "abcdefghi.".repeat(26));
        for (input, error) in [
            ("", Empty),
            ("   ", Empty),
            ("mailto:", Empty),
            ("ana.example.com", Invalid),
            ("ana@@example.com", Invalid),
            ("ana@x@example.com", Invalid),
            ("@example.com", InvalidLocalPart),
            ("ana maria@example.com", InvalidLocalPart),
            ("ana\u{7}@example.com", InvalidLocalPart),
            (".ana@example.com", InvalidLocalPart),
            ("ana.@example.com", InvalidLocalPart),
            ("ana..maria@example.com", InvalidLocalPart),
            ("\"ana\"@example.com", InvalidLocalPart),
            ("<ana@example.com>", InvalidLocalPart),
            (long_local.as_str(), InvalidLocalPart),
            ("ana@", InvalidDomain),
            ("ana@localhost", InvalidDomain),
            ("ana@example", InvalidDomain),
            ("ana@example.c", InvalidDomain),
            ("ana@example.com.", InvalidDomain),
            ("ana@.example.com", InvalidDomain),
            ("ana@example..com", InvalidDomain),
            ("ana@-example.com", InvalidDomain),
            ("ana@example-.com", InvalidDomain),
            ("ana@exa_mple.com", InvalidDomain),
            ("ana@exam ple.com", InvalidDomain),
            ("ana@example.c0m", InvalidDomain),
            ("ana@example.123", InvalidDomain),
            ("ana@[192.168.0.1]", InvalidDomain),
            ("ana@provedor.com.br>", InvalidDomain),
            ("ana@exámple.com", InvalidDomain),
            (long_label.as_str(), InvalidDomain),
            (long_domain.as_str(), InvalidDomain),
        ] {
            assert_eq!(normalize_email(input), Err(error), "{input:?}");
        }
    }

    /// A valid Brazilian mobile: DDD and 8 digits after the 9.
    fn mobile() -> impl Strategy<Value = (u8, String)> {
        (proptest::sample::select(&AREA_CODES[..]), "[0-9]{8}")
    }

    proptest! {
        #[test]
        fn any_mobile_in_any_usual_format_gives_the_same_e164(
            (ddd, rest) in mobile(),
            format in 0usize..9,
            carrier in 10u8..=99,
        ) {
            let expected = format!("+55{ddd}9{rest}");
            let (a, b) = rest.split_at(4);
            let text = match format {
                0 => format!("({ddd}) 9{a}-{b}"),
                1 => format!("{ddd}9{rest}"),
                2 => format!("0{ddd} 9{a} {b}"),
                3 => format!("0 {carrier} {ddd} 9{a}-{b}"),
                4 => format!("55{ddd}9{rest}"),
                5 => format!("+55 ({ddd}) 9{a}-{b}"),
                6 => format!("+55.{ddd}.9{a}.{b}"),
                7 => format!("0055 {ddd} 9 {a} {b}"),
                _ => format!("tel:+55-{ddd}-9{a}-{b}"),
            };
            prop_assert_eq!(normalize_phone(&text), Ok(expected), "{}", text);
        }

        #[test]
        fn normalize_phone_is_idempotent(input in "[+]?[0-9 ()./-]{0,20}") {
            if let Ok(e164) = normalize_phone(&input) {
                prop_assert_eq!(normalize_phone(&e164), Ok(e164.clone()));
            }
        }

        #[test]
        fn normalize_email_is_idempotent(input in "[ ]?(mailto:)?[A-Za-z0-9._+-]{1,10}@[A-Za-z0-9-]{1,8}(\\.[A-Za-z0-9-]{1,5}){1,3}[ ]?") {
            if let Ok(address) = normalize_email(&input) {
                prop_assert_eq!(normalize_email(&address), Ok(address.clone()));
            }
        }

        #[test]
        fn contact_normalizers_never_panic(input in "\\PC{0,40}") {
            let _ = normalize_phone(&input);
            let _ = normalize_email(&input);
        }
    }
}
