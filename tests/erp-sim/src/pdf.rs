//! A minimal but real PDF writer: A4 pages of Helvetica text lines, with a correct
//! cross-reference table, so any PDF reader opens what the simulators hand out as boletos or
//! fiscal notes.

use std::fmt::Write as _;

/// Renders one A4 page per entry of `pages`, each a list of text lines from the top.
///
/// Text is encoded in WinAnsi (Latin-1 for the characters Portuguese needs); characters outside
/// it print as `?`.
pub(crate) fn render(title: &str, pages: &[Vec<String>]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(1024 + 512 * pages.len());
    let mut offsets: Vec<usize> = Vec::new();
    // The binary comment line tells transfer tools the file is binary.
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");

    let page_count = pages.len().max(1);
    let page_ids: Vec<usize> = (0..page_count).map(|i| 5 + 2 * i).collect();
    let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();

    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        let id = offsets.len();
        out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };

    object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    object(&mut out, format!("<< /Type /Pages /Kids [{}] /Count {page_count} >>", kids.join(" ")).as_bytes());
    object(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    let mut info = b"<< /Title ".to_vec();
    info.extend(pdf_string(title));
    info.extend_from_slice(b" /Producer (ponte-erp-sim) >>");
    object(&mut out, &info);

    let empty = Vec::new();
    for (i, page_id) in page_ids.iter().enumerate() {
        let lines = pages.get(i).unwrap_or(&empty);
        let content_id = page_id + 1;
        object(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> \
                 /Contents {content_id} 0 R >>"
            )
            .as_bytes(),
        );
        let mut stream = b"BT\n/F1 11 Tf\n14 TL\n50 790 Td\n".to_vec();
        for line in lines {
            stream.extend(pdf_string(line));
            stream.extend_from_slice(b" Tj T*\n");
        }
        stream.extend_from_slice(b"ET");
        let mut body = format!("<< /Length {} >>\nstream\n", stream.len()).into_bytes();
        body.extend(stream);
        body.extend_from_slice(b"\nendstream");
        object(&mut out, &body);
    }

    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for offset in &offsets {
        // Each entry is exactly 20 bytes, end of line included.
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        offsets.len() + 1
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

/// A PDF literal string `( ... )` in WinAnsi, with `\`, `(` and `)` escaped and non-ASCII
/// characters as octal escapes.
fn pdf_string(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            ' '..='~' => out.push(c as u8),
            // Latin-1 maps one to one onto WinAnsi for the accented letters.
            '\u{a0}'..='\u{ff}' => out.extend_from_slice(format!("\\{:03o}", c as u32).as_bytes()),
            _ => out.push(b'?'),
        }
    }
    out.push(b')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_has_header_trailer_and_a_correct_xref() {
        let pdf = render("Boleto 1001", &[vec!["Fatura 1001 (vencida)".into(), "Sacado: João".into()]]);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref offset");
        assert!(pdf[startxref..].starts_with(b"xref"));
        // Every xref entry points at "N 0 obj".
        let xref = String::from_utf8_lossy(&pdf[startxref..]);
        let entries: Vec<usize> =
            xref.lines().skip(3).take_while(|l| l.ends_with(" n ")).map(|l| l[..10].parse().expect("offset")).collect();
        assert_eq!(entries.len(), 6);
        for (i, offset) in entries.iter().enumerate() {
            assert!(pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
        assert!(text.contains("(Fatura 1001 \\(vencida\\)) Tj"));
        assert!(text.contains("Jo\\343o"));
    }
}
