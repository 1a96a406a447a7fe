//! Problem documents for the errors hyper answers by itself.
//!
//! When a request head can't be parsed (a malformed request line, too many or too large
//! headers, a URI too long), hyper answers on its own, before any of Ponte's code runs, with a
//! bare status line (`HTTP/1.1 431 Request Header Fields Too Large`, `content-length: 0`) and
//! closes the connection. Callers are promised `application/problem+json` for every error, so
//! [`ProblemIo`] wraps each connection's socket and, when hyper writes such an automatic answer
//! (one of those statuses with an empty body: Ponte's own errors always have a body), writes the
//! problem document in its place. hyper closes the connection after it either way.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::problem::{Problem, ProblemCode};

/// The statuses hyper answers by itself, and the problem each becomes.
const AUTOMATIC: [(&[u8], ProblemCode, &str); 3] = [
    (b"HTTP/1.1 400 ", ProblemCode::BadRequest, "the request's head could not be parsed as HTTP/1.1"),
    (b"HTTP/1.1 414 ", ProblemCode::BadRequest, "the request's URI is too long"),
    (
        b"HTTP/1.1 431 ",
        ProblemCode::HeadersTooLarge,
        "the request's headers are too large or too many (32 KiB and 100 headers at most)",
    ),
];

/// A whole HTTP/1.1 response carrying `code`'s problem, closing the connection.
pub(crate) fn canned_problem(code: ProblemCode, detail: &str) -> Vec<u8> {
    let body = Problem::new(code, detail).with_invocation(&crate::api::invocation_id()).body().to_string();
    let status = code.status();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes()
}

/// Which problem replaces `written`, when it is one of hyper's automatic answers.
fn automatic_answer(written: &[u8]) -> Option<Vec<u8>> {
    let (_, code, detail) = AUTOMATIC.iter().find(|(start, _, _)| written.starts_with(start))?;
    let head_end = written.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = written[..head_end].to_ascii_lowercase();
    let empty = head.windows(19).any(|w| w == b"\r\ncontent-length: 0");
    let typed = head.windows(14).any(|w| w == b"\r\ncontent-type");
    (empty && !typed).then(|| canned_problem(*code, detail))
}

/// A connection's socket that swaps hyper's bare error answers for problem documents.
pub(crate) struct ProblemIo<S> {
    inner: S,
    /// A replacement being written, and how much of it is out.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> ProblemIo<S> {
    pub(crate) fn new(inner: S) -> Self {
        ProblemIo { inner, pending: None }
    }
}

impl<S: AsyncWrite + Unpin> ProblemIo<S> {
    /// Writes what is left of the replacement; ready when all of it is out.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, sent)) = &mut self.pending {
            if *sent >= bytes.len() {
                self.pending = None;
                break;
            }
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *sent += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemIo<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        // An automatic answer is written whole, from its status line, by one write; nothing else
        // Ponte sends starts with one of those status lines and has an empty, untyped body.
        if let Some(replacement) = automatic_answer(buf) {
            // hyper's answer is taken as written; the problem goes out in its place.
            this.pending = Some((replacement, 0));
            let _ = this.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bare_answers_become_problems_and_ponte_answers_pass() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let replaced = String::from_utf8(automatic_answer(bare).expect("replaced")).expect("text");
        assert!(replaced.starts_with("HTTP/1.1 431 "), "{replaced}");
        assert!(replaced.contains("content-type: application/problem+json"), "{replaced}");
        assert!(replaced.contains("\"code\":\"headers_too_large\""), "{replaced}");
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 2\r\n\r\n{}";
        assert!(automatic_answer(ours).is_none());
        assert!(automatic_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
