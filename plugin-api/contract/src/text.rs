//! Text helpers every adapter needs, written once: ERPs answer with HTML in messages,
//! punctuated documents, long error pages and Portuguese "not found" phrasings.
//!
//! Rhai scripts get them as host functions (`clean`, `shorten`, `document_key`,
//! `says_not_found`; see `docs/plugin-authors.md`); Rust plugins call them from here through
//! the PDK.

/// Named entities ERPs put in text: the markup ones and the Latin-1 letters of Portuguese.
const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("aacute", 'á'),
    ("Aacute", 'Á'),
    ("agrave", 'à'),
    ("Agrave", 'À'),
    ("acirc", 'â'),
    ("Acirc", 'Â'),
    ("atilde", 'ã'),
    ("Atilde", 'Ã'),
    ("eacute", 'é'),
    ("Eacute", 'É'),
    ("ecirc", 'ê'),
    ("Ecirc", 'Ê'),
    ("iacute", 'í'),
    ("Iacute", 'Í'),
    ("oacute", 'ó'),
    ("Oacute", 'Ó'),
    ("ocirc", 'ô'),
    ("Ocirc", 'Ô'),
    ("otilde", 'õ'),
    ("Otilde", 'Õ'),
    ("uacute", 'ú'),
    ("Uacute", 'Ú'),
    ("uuml", 'ü'),
    ("ccedil", 'ç'),
    ("Ccedil", 'Ç'),
    ("ordm", 'º'),
    ("ordf", 'ª'),
];

/// Text without HTML: tags become spaces, entities (named, `&#39;`, `&#x27;`) are decoded, and
/// runs of whitespace collapse to one space, trimmed. Text without markup only has its
/// whitespace collapsed. A `<` that opens no tag (`a < b`) is kept.
///
/// ```
/// use ponte_contract::text::clean;
///
/// assert_eq!(clean("<p>Cliente&nbsp;n&atilde;o   encontrado</p>\n"), "Cliente não encontrado");
/// assert_eq!(clean("Erro: valor &lt; 0 &amp; &#39;x&#39;"), "Erro: valor < 0 & 'x'");
/// assert_eq!(clean("1 < 2"), "1 < 2");
/// ```
pub fn clean(input: &str) -> String {
    collapse_whitespace(&decode_entities(&strip_tags(input)))
}

/// `text` with every tag replaced by a space; a `<` that opens none is kept.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let opens_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>') {
            Some(end) if opens_tag => {
                out.push(' ');
                rest = &after[end + 1..];
            }
            Some(_) => {
                out.push('<');
                rest = after;
            }
            None => {
                // No `>` anywhere after: no later `<` opens a tag either (one scan, not one
                // per `<`).
                out.push('<');
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` with its entities decoded and nothing else touched.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match entity(tail) {
            Some((decoded, length)) => {
                out.push(decoded);
                rest = &tail[length..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The entity at the start of `text` (which starts with `&`) and its length, if it is one.
fn entity(text: &str) -> Option<(char, usize)> {
    let end = text[1..].char_indices().take(11).find(|&(_, c)| c == ';')?.0 + 1;
    let name = &text[1..end];
    let decoded = if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())?
    } else {
        ENTITIES.iter().find(|(n, _)| *n == name)?.1
    };
    Some((decoded, end + 1))
}

/// Whitespace runs (spaces, tabs, newlines, non-breaking spaces) as one space, trimmed.
///
/// ```
/// assert_eq!(ponte_contract::text::collapse_whitespace("  a \t\n b\u{a0}c "), "a b c");
/// ```
pub fn collapse_whitespace(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for word in input.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// At most `max_chars` characters: longer text is cut on a character boundary and ends with
/// `…` (which counts as one of them).
///
/// ```
/// use ponte_contract::text::shorten;
///
/// assert_eq!(shorten("Não há faturas", 100), "Não há faturas");
/// assert_eq!(shorten("Não há faturas", 5), "Não …");
/// assert_eq!(shorten("abc", 0), "");
/// ```
pub fn shorten(input: &str, max_chars: usize) -> String {
    if input.chars().count() <= max_chars {
        return input.to_owned();
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut out: String = input.chars().take(max_chars - 1).collect();
    out.push('…');
    out
}

/// A CPF, CNPJ (numeric or alphanumeric) or access key as a key: only its letters and digits,
/// letters upper-cased. Punctuation and spaces go; nothing is checked (see
/// [`normalize::document`](crate::normalize::document) for that).
///
/// ```
/// use ponte_contract::text::document_key;
///
/// assert_eq!(document_key(" 714.602.380-01 "), "71460238001");
/// assert_eq!(document_key("12.abc.345/01de-35"), "12ABC34501DE35");
/// ```
pub fn document_key(input: &str) -> String {
    input.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Phrases ERPs use to say a record does not exist, without accents, lower-case.
const NOT_FOUND_PHRASES: &[&str] = &[
    "nao encontrad",
    "nao foi encontrad",
    "nao localizad",
    "nao existe",
    "inexistente",
    "nenhum",
    "sem registros",
    "not found",
    "no records",
    "does not exist",
];

/// Whether an ERP's message says a record does not exist ("Cliente não encontrado",
/// "Registro inexistente", "Nenhum registro", "Not Found"), ignoring case, accents and markup.
/// Adapters use it to tell `not_found` from an upstream error when the ERP answers both with
/// the same status.
///
/// ```
/// use ponte_contract::text::says_not_found;
///
/// assert!(says_not_found("<b>Cliente NÃO encontrado</b>"));
/// assert!(says_not_found("Contrato inexistente"));
/// assert!(!says_not_found("Token inválido"));
/// ```
pub fn says_not_found(message: &str) -> bool {
    let folded = fold(&clean(message));
    NOT_FOUND_PHRASES.iter().any(|phrase| folded.contains(phrase))
}

/// `text` percent-encoded for one piece of a URL, a path segment or a query value: every byte
/// but the unreserved ones (RFC 3986: letters, digits, `-`, `.`, `_`, `~`) as `%XX`, so a space
/// is `%20` and a `/` is `%2F` (`"5001/a b"` → `"5001%2Fa%20b"`). The Rhai prelude's
/// `url_encode` and the PDK's `helpers::url_encode`.
pub fn url_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
    out
}

/// Text lower-cased and without the accents of Portuguese letters, to compare an ERP's words
/// however it wrote them.
///
/// ```
/// assert_eq!(ponte_contract::text::fold("Indicação de AMIGO"), "indicacao de amigo");
/// ```
pub fn fold(text: &str) -> String {
    text.to_lowercase().chars().map(fold_char).collect()
}

/// A lower-case character without its accent.
fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        lower => lower,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn markup_and_entities_go_and_plain_text_stays() {
        for (input, expected) in [
            ("", ""),
            ("plain", "plain"),
            ("<br/>linha 1<br>linha 2", "linha 1 linha 2"),
            ("<!-- c --><div class=\"x\">A &amp; B</div>", "A & B"),
            ("a &unknown; b &", "a &unknown; b &"),
            ("&#x41;&#66;&#0;", "AB&#0;"),
            ("Pre&ccedil;o: R$ 10,00", "Preço: R$ 10,00"),
            ("x <unclosed", "x <unclosed"),
            ("a <b &amp; <c", "a <b & <c"),
        ] {
            assert_eq!(clean(input), expected, "{input:?}");
        }
    }

    #[test]
    fn not_found_phrasings_of_the_bundled_erps_are_recognized() {
        for said in
            ["Registro não encontrado!", "CLIENTE NAO LOCALIZADO", "Nenhum registro encontrado", "404 Not Found"]
        {
            assert!(says_not_found(said), "{said}");
        }
        for said in ["", "Erro interno", "Usuário sem permissão", "encontrado"] {
            assert!(!says_not_found(said), "{said}");
        }
    }

    /// 200,000 `<` with no `>`: one scan (a scan per `<` would read 40 billion bytes).
    #[test]
    fn many_unclosed_tags_are_kept_as_text() {
        let text = "<a ".repeat(200_000);
        assert_eq!(clean(&text), text.trim_end());
    }

    proptest! {
        #[test]
        fn cleaning_never_panics_and_is_idempotent_on_its_output(input in ".{0,200}") {
            let once = clean(&input);
            prop_assert_eq!(collapse_whitespace(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
        }

        #[test]
        fn shortened_text_fits(input in ".{0,80}", max in 0usize..90) {
            let short = shorten(&input, max);
            prop_assert!(short.chars().count() <= max);
            if input.chars().count() <= max { prop_assert_eq!(short, input); }
        }
    }

    #[test]
    fn url_encode_keeps_only_the_unreserved_bytes() {
        assert_eq!(url_encode("5001/a b&c=ç+*"), "5001%2Fa%20b%26c%3D%C3%A7%2B%2A");
        assert_eq!(url_encode("A-z_0.9~"), "A-z_0.9~");
        assert_eq!(url_encode(""), "");
    }
}
