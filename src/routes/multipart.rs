//! Reads a `multipart/form-data` upload as it streams in: a few small text fields, and
//! one file whose bytes are counted as they arrive, so that no more than the limit plus
//! one chunk is ever held, whatever the client sends. Pages and the API both use it.

use actix_multipart::Multipart;
use futures_util::StreamExt;

use crate::domain::images::process::Upload;

/// Uploads read and held at once, process-wide. Each holds up to the byte limit until
/// it is stored, and all but one or two wait for a decode anyway: the others wait their
/// turn before their body is read (their bytes stay in the network buffers), so that 20
/// uploads of 5 MB at once hold 40 MB, not 100.
const UPLOAD_SLOTS: usize = 8;

/// Waits for one of the [`UPLOAD_SLOTS`]; hold it until the upload is stored or refused.
pub async fn upload_slot() -> Option<tokio::sync::SemaphorePermit<'static>> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS
        .get_or_init(|| tokio::sync::Semaphore::new(UPLOAD_SLOTS))
        .acquire()
        .await
        .ok()
}

/// Longest text field kept (the CSRF token, an alt text).
const TEXT_MAX: usize = 4096;
/// Most text fields read.
const FIELDS_MAX: usize = 16;

/// A read upload: the text fields seen, and the file if one came.
#[derive(Debug, Default)]
pub struct Received {
    /// Text fields, in order.
    pub fields: Vec<(String, String)>,
    /// The file field.
    pub file: Option<Upload>,
}

impl Received {
    /// The first text field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why an upload could not be read.
#[derive(Debug)]
pub enum UploadError {
    /// Not multipart, or a broken body.
    Unreadable(String),
    /// The file is over the limit (reading stopped there).
    TooLarge,
    /// The gate refused the fields seen before the file (a bad CSRF token).
    Refused,
}

/// The most an over-limit upload is read on (and thrown away) so that the client,
/// still sending, reads our answer instead of a reset connection.
const DRAIN_MAX: usize = 64 * 1024 * 1024;

async fn drain(part: actix_multipart::Field, mut parts: Multipart) {
    let mut seen = 0usize;
    let mut current = Some(part);
    while let Some(mut field) = current.take() {
        while let Some(Ok(chunk)) = field.next().await {
            seen += chunk.len();
            if seen > DRAIN_MAX {
                return;
            }
        }
        // The stream waits for the field to be dropped before it yields the next one.
        drop(field);
        current = match parts.next().await {
            Some(Ok(next)) => Some(next),
            _ => None,
        };
    }
}

/// Reads `parts`, keeping the file field `file_field` up to `max_bytes`. `gate` sees
/// the text fields that came before the file, before a byte of it is read (and at the
/// end when no file came); when it says no, reading stops with [`UploadError::Refused`].
///
/// A body that takes longer than [`READ_TIMEOUT`] is refused, so that a client trickling
/// bytes cannot hold one of the [`UPLOAD_SLOTS`] for long.
pub async fn read_upload(
    parts: Multipart,
    file_field: &str,
    max_bytes: usize,
    gate: impl Fn(&[(String, String)]) -> bool,
) -> Result<Received, UploadError> {
    actix_web::rt::time::timeout(READ_TIMEOUT, read_parts(parts, file_field, max_bytes, gate))
        .await
        .unwrap_or_else(|_| Err(UploadError::Unreadable("the upload took too long".into())))
}

/// Longest an upload may take to arrive (5 MB at about 85 KB/s).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

async fn read_parts(
    mut parts: Multipart,
    file_field: &str,
    max_bytes: usize,
    gate: impl Fn(&[(String, String)]) -> bool,
) -> Result<Received, UploadError> {
    let mut received = Received::default();
    let mut gate_passed = false;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|e| UploadError::Unreadable(e.to_string()))?;
        let name = part.name().unwrap_or_default().to_owned();
        let filename = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        if name == file_field && received.file.is_none() {
            if !gate_passed && !gate(&received.fields) {
                return Err(UploadError::Refused);
            }
            gate_passed = true;
            let content_type = part.content_type().map(|m| m.essence_str().to_owned());
            let mut bytes: Vec<u8> = Vec::new();
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(|e| UploadError::Unreadable(e.to_string()))?;
                if bytes.len() + chunk.len() > max_bytes {
                    drop(bytes);
                    drain(part, parts).await;
                    return Err(UploadError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            received.file = Some(Upload {
                bytes,
                filename,
                content_type,
            });
            continue;
        }
        // A text field (or a file we do not want): keep up to TEXT_MAX bytes of it.
        let mut value: Vec<u8> = Vec::new();
        let mut over = false;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| UploadError::Unreadable(e.to_string()))?;
            if value.len() + chunk.len() > TEXT_MAX {
                over = true;
                break;
            }
            value.extend_from_slice(&chunk);
        }
        if over {
            return Err(UploadError::Unreadable(format!(
                "field `{name}` is too long"
            )));
        }
        if filename.is_none() && received.fields.len() < FIELDS_MAX {
            received
                .fields
                .push((name, String::from_utf8_lossy(&value).into_owned()));
        }
    }
    if !gate_passed && !gate(&received.fields) {
        return Err(UploadError::Refused);
    }
    Ok(received)
}
