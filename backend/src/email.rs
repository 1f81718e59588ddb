//! Email syntax, checked the way pydantic's `EmailStr` (python-email-validator, with deliverability
//! checks off) checks it, so what the seed refused with 422 we refuse too, with its wording.
//! Quoted local parts and `[ip]` domain literals are refused, as there; internationalised addresses
//! (UTF-8 local parts, IDNA domains) are accepted, as there.
//!
//! One mailbox has one spelling here, so look-alikes cannot become separate accounts: the local part is
//! NFC-normalised (a decomposed é is the precomposed one) and lower-cased; the domain is mapped by
//! UTS-46 (fullwidth letters, the ideographic full stop, a soft hyphen, punycode or Unicode spellings
//! all give one domain) and stored in its Unicode form, as python-email-validator normalises it.
//! Invisible and unassigned characters (format Cf, private-use Co, unassigned Cn, which include every
//! bidi control) are refused in the local part, and in the domain unless UTS-46 maps them away.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Special-use names (RFC 6761 and friends) that email-validator refuses as a domain or its suffix.
const SPECIAL_USE_DOMAINS: &[&str] = &["arpa", "invalid", "local", "localhost", "onion", "test"];

const LOCAL_MAX: usize = 64;
const ADDRESS_MAX: usize = 254;

/// Returns the normalised address (trimmed; NFC, lower-cased local part; UTS-46 domain in Unicode form)
/// or the reason it is not an email address.
pub fn normalize(input: &str) -> Result<String, String> {
    let email = input.trim();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("An email address must have an @-sign.".into());
    };
    if local.is_empty() {
        return Err("There must be something before the @-sign.".into());
    }
    if domain.is_empty() {
        return Err("There must be something after the @-sign.".into());
    }
    check_unsafe(local, |_| false)?;
    // A soft hyphen in a domain is mapped to nothing by UTS-46 (it still names the same domain).
    check_unsafe(domain, |c| c == '\u{ad}')?;
    let local: String = local.nfc().collect::<String>().to_lowercase().nfc().collect();
    let local = local.as_str();
    check_local(local)?;
    let ascii_domain = check_domain(domain)?;
    let local_len = local.chars().count();
    if local_len > LOCAL_MAX {
        return Err(format!(
            "The email address is too long before the @-sign ({} characters too many).",
            local_len - LOCAL_MAX
        ));
    }
    let total = local_len + 1 + ascii_domain.len();
    if total > ADDRESS_MAX {
        return Err(format!("The email address is too long ({} characters too many).", total - ADDRESS_MAX));
    }
    let domain = if ascii_domain.split('.').any(|label| label.starts_with("xn--")) {
        let (unicode, result) = idna::domain_to_unicode(&ascii_domain);
        result.map_err(|_| "The part after the @-sign is not a valid internationalized domain name.".to_string())?;
        unicode
    } else {
        ascii_domain
    };
    Ok(format!("{local}@{domain}"))
}

/// Invisible, private-use and unassigned characters (and so every bidi control, all of them Cf) are
/// refused, each listed once, in order of code point.
fn check_unsafe(part: &str, allowed: impl Fn(char) -> bool) -> Result<(), String> {
    let mut bad: Vec<char> = part
        .chars()
        .filter(|&c| !allowed(c))
        .filter(|c| {
            matches!(
                c.general_category(),
                GeneralCategory::Format | GeneralCategory::PrivateUse | GeneralCategory::Unassigned
            )
        })
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    bad.sort_unstable();
    bad.dedup();
    let names: Vec<String> = bad.iter().map(|&c| format!("U+{:04X}", c as u32)).collect();
    Err(format!("The email address contains unsafe characters: {}.", names.join(", ")))
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn check_local(local: &str) -> Result<(), String> {
    if local.starts_with('"') {
        return Err("Quoting the part before the @-sign is not allowed here.".into());
    }
    let bad =
        local.chars().filter(|&c| c != '.' && !is_atext(c) && (c.is_ascii() || c.is_control() || c.is_whitespace()));
    if let Some(list) = invalid_characters(bad) {
        return Err(format!("The email address contains invalid characters before the @-sign: {list}."));
    }
    if local.starts_with('.') {
        return Err("An email address cannot start with a period.".into());
    }
    if local.ends_with('.') {
        return Err("An email address cannot have a period immediately before the @-sign.".into());
    }
    if local.contains("..") {
        return Err("An email address cannot have two periods in a row.".into());
    }
    Ok(())
}

/// The "invalid characters" list of both halves, as python-email-validator writes it: each character once,
/// in code point order; invisible ones by code point. `None` when there is none.
fn invalid_characters(bad: impl Iterator<Item = char>) -> Option<String> {
    let bad: std::collections::BTreeSet<char> = bad.collect();
    let shown: Vec<String> = bad
        .into_iter()
        .map(|c| if c.is_control() || c.is_whitespace() { format!("U+{:04X}", c as u32) } else { c.to_string() })
        .collect();
    (!shown.is_empty()).then(|| shown.join(", "))
}

/// Checks the domain and returns its ASCII (IDNA) form.
fn check_domain(domain: &str) -> Result<String, String> {
    if domain.starts_with('[') {
        return Err("A bracketed IP address after the @-sign is not allowed here.".into());
    }
    if domain.starts_with('.') {
        return Err("An email address cannot have a period immediately after the @-sign.".into());
    }
    if domain.ends_with('.') {
        return Err("An email address cannot end with a period.".into());
    }
    if domain.contains("..") {
        return Err("An email address cannot have two periods in a row.".into());
    }
    let bad = domain.chars().filter(|&c| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '-' || c == '.')
        } else {
            c.is_control() || c.is_whitespace()
        }
    });
    if let Some(list) = invalid_characters(bad) {
        return Err(format!("The part after the @-sign contains invalid characters: {list}."));
    }
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(domain)
            .map_err(|_| "The part after the @-sign is not a valid internationalized domain name.".to_string())?
    };
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err("An email address cannot have two periods in a row.".into());
        }
        if label.len() > 63 {
            return Err("After the @-sign, periods cannot be separated by so many characters.".into());
        }
        if label.starts_with('-') {
            return Err("An email address cannot have a hyphen immediately after the @-sign or a period.".into());
        }
        if label.ends_with('-') {
            return Err("An email address cannot have a hyphen immediately before a period.".into());
        }
    }
    if ascii.len() > 253 {
        return Err("The email address is too long after the @-sign.".into());
    }
    if !ascii.contains('.') {
        return Err("The part after the @-sign is not valid. It should have a period.".into());
    }
    let tld = ascii.rsplit('.').next().unwrap_or_default();
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Err("The part after the @-sign is not valid. It is not within a valid top-level domain.".into());
    }
    if SPECIAL_USE_DOMAINS.iter().any(|s| ascii == *s || ascii.ends_with(&format!(".{s}"))) {
        return Err(
            "The part after the @-sign is a special-use or reserved name that cannot be used with email.".into()
        );
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn accepts_what_email_str_accepts_and_normalises() {
        for (input, out) in [
            ("ada@example.com", "ada@example.com"),
            ("  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"),
            ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("用户@例子.广告", "用户@例子.广告"),
            ("x@b\u{fc}cher.de", "x@b\u{fc}cher.de"),
            // One domain, however it is spelled.
            ("x@xn--bcher-kva.de", "x@b\u{fc}cher.de"),
            ("X@B\u{dc}CHER.DE", "x@b\u{fc}cher.de"),
            ("ada@\u{ff45}\u{ff58}\u{ff41}\u{ff4d}\u{ff50}\u{ff4c}\u{ff45}.com", "ada@example.com"),
            ("ada@example\u{3002}com", "ada@example.com"),
            ("ada@exam\u{ad}ple.com", "ada@example.com"),
            // One local part: a decomposed é is the precomposed one.
            ("re\u{301}ne@example.com", "r\u{e9}ne@example.com"),
            ("R\u{c9}NE@example.com", "r\u{e9}ne@example.com"),
        ] {
            assert_eq!(normalize(input).as_deref(), Ok(out), "{input}");
        }
    }

    #[test]
    fn refuses_what_email_str_refuses() {
        for (input, why) in [
            ("", "no @"),
            ("plainaddress", "no @"),
            ("@example.com", "nothing before @"),
            ("ada@", "nothing after @"),
            ("ada@localhost", "no period in domain"),
            ("ada@example.test", "special-use domain"),
            ("ada@my.local", "special-use domain"),
            (".ada@example.com", "leading dot"),
            ("ada.@example.com", "dot before @"),
            ("a..da@example.com", "two dots"),
            ("ada@example..com", "two dots in domain"),
            ("ada@-example.com", "label starts with hyphen"),
            ("ada@example.com.", "trailing dot"),
            ("ada@1.2.3.4", "numeric tld"),
            ("ada@[127.0.0.1]", "domain literal"),
            ("\"ada\"@example.com", "quoted local part"),
            ("a da@example.com", "space"),
            ("ada@exa mple.com", "space in domain"),
            ("ada@exam_ple.com", "underscore in domain"),
            ("a\u{0}@example.com", "NUL"),
            ("a(b)@example.com", "parenthesis"),
            ("ad\u{200b}a@example.com", "zero-width space"),
            ("ad\u{200d}a@example.com", "zero-width joiner"),
            ("ad\u{2060}a@example.com", "word joiner"),
            ("ad\u{feff}a@example.com", "BOM"),
            ("ad\u{ad}a@example.com", "soft hyphen in the local part"),
            ("\u{202e}ada@example.com", "right-to-left override"),
            ("ada\u{2066}@example.com", "bidi isolate"),
            ("ada\u{e0041}@example.com", "tag character"),
            ("ada\u{e000}@example.com", "private use"),
            ("ada\u{378}@example.com", "unassigned"),
            ("ada@exa\u{200b}mple.com", "zero-width space in the domain"),
            ("ada@exa\u{202e}mple.com", "bidi control in the domain"),
        ] {
            assert!(normalize(input).is_err(), "{input:?} should be refused ({why})");
        }
        assert_eq!(
            normalize("a\u{200b}d\u{200b}a\u{200d}@example.com").unwrap_err(),
            "The email address contains unsafe characters: U+200B, U+200D."
        );
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(normalize(&long_local).unwrap_err().contains("too long before the @-sign"));
        let long_domain = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        assert!(normalize(&long_domain).is_err());
    }

    #[test]
    fn invalid_characters_are_listed_once_each_in_code_point_order_on_both_sides_of_the_at() {
        for (input, message) in [
            ("a)b(c)d(@example.com", "The email address contains invalid characters before the @-sign: (, )."),
            (
                "a b\tc d@example.com",
                "The email address contains invalid characters before the @-sign: U+0009, U+0020.",
            ),
            ("ada@ex_am_p!le.com", "The part after the @-sign contains invalid characters: !, _."),
            ("ada@e x a_m p_le.com", "The part after the @-sign contains invalid characters: U+0020, _."),
        ] {
            assert_eq!(normalize(input).unwrap_err(), message, "{input:?}");
        }
    }
}
