//! From uploaded bytes to the variants we store: the format is read from the bytes
//! (never from the name), the name and declared type must agree with it, nothing may
//! follow the image's end, the size is checked from the header before any pixel is
//! decoded, and what is stored is encoded anew from the pixels (so no metadata, EXIF
//! or GPS, and nothing smuggled beside the pixels survives).

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use sha2::{Digest, Sha256};

use super::{Format, structure};
use crate::error::{AppError, AppResult, FieldErrors};

/// Most pixels decoded (width × height): 16 megapixels, 64 MB as RGBA. Uploads are
/// decoded one or two at a time (see `app::images`), so this bounds the memory of
/// image work whatever the number of uploads in flight.
pub const MAX_PIXELS: u64 = 16_000_000;
/// Longest side, for panoramas within the pixel budget.
pub const MAX_SIDE: u32 = 12_000;
/// Most bytes the decoded picture may take (16-bit images count double).
const MAX_DECODED_BYTES: u64 = 4 * MAX_PIXELS;
/// Widths served for `srcset`, never larger than the upload (the largest variant is the
/// upload's own width, capped at the last of these).
pub const WIDTHS: [u32; 4] = [320, 640, 1280, 2048];
/// The side of an avatar (a centred square).
pub const AVATAR_SIDE: u32 = 256;
/// JPEG quality of what we store.
const JPEG_QUALITY: u8 = 85;

/// The field every upload message is reported under.
pub const FIELD: &str = "image";

/// An uploaded file as received.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The bytes (already bounded by the byte limit while they were read).
    pub bytes: Vec<u8>,
    /// The name the client gave the file.
    pub filename: Option<String>,
    /// The content type the client declared for it.
    pub content_type: Option<String>,
}

/// What the picture is for: an article (several widths) or an avatar (one square).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Widths for `srcset`.
    Article,
    /// A centred square of [`AVATAR_SIDE`] pixels (or less, never upscaled).
    Avatar,
}

/// One encoded width.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// The file.
    pub data: Vec<u8>,
}

/// An upload that passed every check, re-encoded.
#[derive(Debug, Clone)]
pub struct Processed {
    /// SHA-256 (hex) of the uploaded bytes.
    pub sha256: String,
    /// The stored format.
    pub format: Format,
    /// Size of the picture as stored (after orientation, and cropping for an avatar).
    pub width: u32,
    /// See `width`.
    pub height: u32,
    /// Largest first.
    pub variants: Vec<Encoded>,
}

impl Processed {
    /// Bytes of every variant together: what counts toward the quota.
    pub fn stored_bytes(&self) -> usize {
        self.variants.iter().map(|v| v.data.len()).sum()
    }
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::Validation(FieldErrors::single(FIELD, message))
}

const ACCEPTED: &str = "upload a PNG, JPEG, WebP or GIF image";

/// Checks, decodes and re-encodes `upload` (blocking: run it off the async workers).
pub fn process(upload: &Upload, max_bytes: usize, purpose: Purpose) -> AppResult<Processed> {
    let bytes = upload.bytes.as_slice();
    if bytes.is_empty() {
        return Err(refused(format!("is empty: {ACCEPTED}")));
    }
    if bytes.len() > max_bytes {
        return Err(refused(too_big(max_bytes)));
    }
    let format = detect(bytes)?;
    check_claims(upload, format)?;
    match structure::image_length(format, bytes) {
        Some(end) if end == bytes.len() => {}
        Some(end) => {
            return Err(refused(format!(
                "has {} bytes after the end of the {} image (a file hidden behind a picture is not accepted)",
                bytes.len() - end,
                format.name()
            )));
        }
        None => {
            return Err(refused(format!(
                "is a damaged or incomplete {} file",
                format.name()
            )));
        }
    }
    let picture = decode(bytes, format)?;
    let stored = stored_format(format, &picture);
    let picture = match purpose {
        Purpose::Article => picture,
        Purpose::Avatar => square(picture),
    };
    let (width, height) = (picture.width(), picture.height());
    // Each width is made from the one before (largest first): the full picture is read
    // once, and is dropped as soon as the largest width exists.
    let mut variants = Vec::new();
    let mut source = picture;
    for (w, h) in variant_sizes(width, height, purpose) {
        source = scaled(source, w, h);
        variants.push(encode(&source, stored)?);
    }
    Ok(Processed {
        sha256: hex::encode(Sha256::digest(bytes)),
        format: stored,
        width,
        height,
        variants,
    })
}

/// The message for an upload over the byte limit.
pub fn too_big(max_bytes: usize) -> String {
    format!(
        "is larger than the {} limit for an image",
        super::human_size(max_bytes as u64)
    )
}

fn detect(bytes: &[u8]) -> AppResult<Format> {
    match image::guess_format(bytes) {
        Ok(found) => Format::of(found).ok_or_else(|| {
            refused(format!(
                "is a {} image, which is not accepted: {ACCEPTED}",
                found
                    .extensions_str()
                    .first()
                    .unwrap_or(&"other")
                    .to_uppercase()
            ))
        }),
        Err(_) if looks_like_svg(bytes) => Err(refused(format!(
            "is an SVG image, which is not accepted (it can carry scripts): {ACCEPTED}"
        ))),
        Err(_) => Err(refused(format!("is not an image we can read: {ACCEPTED}"))),
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    head.contains("<svg")
}

/// The file's name and declared type must agree with what the bytes are.
fn check_claims(upload: &Upload, format: Format) -> AppResult<()> {
    if let Some(ext) = upload
        .filename
        .as_deref()
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        && Format::from_extension(&ext) != Some(format)
    {
        return Err(refused(format!(
            "says .{} in its name but is a {} file: the extension must match the contents",
            ext.chars().take(10).collect::<String>(),
            format.name()
        )));
    }
    if let Some(declared) = upload.content_type.as_deref().map(str::to_ascii_lowercase)
        && declared != "application/octet-stream"
        && Format::from_content_type(&declared) != Some(format)
    {
        return Err(refused(format!(
            "is declared as {} but is a {} file",
            declared.chars().take(60).collect::<String>(),
            format.name()
        )));
    }
    Ok(())
}

fn decode(bytes: &[u8], format: Format) -> AppResult<DynamicImage> {
    let too_large = || {
        refused(format!(
            "is too large: at most {} megapixels and {MAX_SIDE} pixels a side",
            MAX_PIXELS / 1_000_000
        ))
    };
    let unreadable = |e: image::ImageError| {
        log::debug!("image decode refused: {e}");
        refused(format!(
            "could not be read as a {} image (it is damaged or not what it claims)",
            format.name()
        ))
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.codec());
    reader.limits(limits);
    // The header alone is read here; the limits refuse a huge declared size before any
    // pixel buffer exists.
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(),
        other => unreadable(other),
    })?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS
        || decoder.total_bytes() > MAX_DECODED_BYTES
    {
        return Err(too_large());
    }
    if width == 0 || height == 0 {
        return Err(refused("has no pixels"));
    }
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(),
        other => unreadable(other),
    })?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    Ok(picture)
}

/// JPEG stays JPEG; an opaque WebP becomes JPEG too (a photo, most likely); PNG, GIF
/// (its first frame) and WebP with transparency become PNG.
fn stored_format(source: Format, picture: &DynamicImage) -> Format {
    match source {
        Format::Jpeg => Format::Jpeg,
        Format::Webp if !picture.color().has_alpha() => Format::Jpeg,
        _ => Format::Png,
    }
}

fn square(picture: DynamicImage) -> DynamicImage {
    let side = picture.width().min(picture.height());
    let x = (picture.width() - side) / 2;
    let y = (picture.height() - side) / 2;
    picture.crop_imm(x, y, side, side)
}

/// The sizes to store, largest first, never upscaled.
fn variant_sizes(width: u32, height: u32, purpose: Purpose) -> Vec<(u32, u32)> {
    let scaled = |w: u32| {
        let h = (u64::from(height) * u64::from(w)).div_ceil(u64::from(width));
        (w, u32::try_from(h).unwrap_or(u32::MAX).max(1))
    };
    match purpose {
        Purpose::Avatar => vec![scaled(width.min(AVATAR_SIDE))],
        Purpose::Article => {
            let largest = width.min(WIDTHS[WIDTHS.len() - 1]);
            let mut sizes = vec![scaled(largest)];
            sizes.extend(
                WIDTHS
                    .iter()
                    .rev()
                    .filter(|&&w| w < largest)
                    .map(|&w| scaled(w)),
            );
            sizes
        }
    }
}

/// `picture` at `width` × `height` (never larger: see [`variant_sizes`]). The Triangle filter when its float
/// intermediate (source width × new height × 16 bytes) is small; otherwise area
/// averaging, which is integer arithmetic and allocates only its output (Triangle from a
/// 16-megapixel photo to 2048 pixels would take some 130 MB more).
fn scaled(picture: DynamicImage, width: u32, height: u32) -> DynamicImage {
    if width == picture.width() && height == picture.height() {
        return picture;
    }
    let intermediate = u64::from(picture.width()) * u64::from(height) * 16;
    if intermediate <= TRIANGLE_BUFFER_MAX {
        picture.resize_exact(width, height, FilterType::Triangle)
    } else {
        picture.thumbnail_exact(width, height)
    }
}

/// The most the Triangle filter may allocate for its intermediate.
const TRIANGLE_BUFFER_MAX: u64 = 16 * 1024 * 1024;

fn encode(picture: &DynamicImage, format: Format) -> AppResult<Encoded> {
    let (width, height) = (picture.width(), picture.height());
    let mut data = Vec::new();
    let written = match format {
        Format::Jpeg => {
            let rgb = match picture {
                DynamicImage::ImageRgb8(_) | DynamicImage::ImageLuma8(_) => None,
                other => Some(DynamicImage::ImageRgb8(other.to_rgb8())),
            };
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut data, JPEG_QUALITY);
            rgb.as_ref().unwrap_or(picture).write_with_encoder(encoder)
        }
        _ => {
            let eight_bit = match picture {
                DynamicImage::ImageRgb8(_)
                | DynamicImage::ImageRgba8(_)
                | DynamicImage::ImageLuma8(_)
                | DynamicImage::ImageLumaA8(_) => None,
                other if other.color().has_alpha() => {
                    Some(DynamicImage::ImageRgba8(other.to_rgba8()))
                }
                other => Some(DynamicImage::ImageRgb8(other.to_rgb8())),
            };
            let encoder = image::codecs::png::PngEncoder::new(&mut data);
            eight_bit
                .as_ref()
                .unwrap_or(picture)
                .write_with_encoder(encoder)
        }
    };
    written.map_err(|e| AppError::Internal(format!("image encoding: {e}")))?;
    Ok(Encoded {
        width,
        height,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thin_picture_gets_every_width_once() {
        let mut png = std::io::Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(image::RgbImage::new(1000, 1))
            .write_to(&mut png, image::ImageFormat::Png)
            .expect("encodes");
        let upload = Upload {
            bytes: png.into_inner(),
            filename: Some("line.png".into()),
            content_type: None,
        };
        let done = process(&upload, 1 << 20, Purpose::Article).expect("accepted");
        let widths: Vec<u32> = done.variants.iter().map(|v| v.width).collect();
        assert_eq!(widths, vec![1000, 640, 320]);
        for variant in &done.variants {
            let decoded = image::load_from_memory(&variant.data).expect("decodes");
            assert_eq!((decoded.width(), decoded.height()), (variant.width, 1));
        }
    }

    #[test]
    fn variants_are_never_upscaled() {
        assert_eq!(
            variant_sizes(1000, 500, Purpose::Article),
            vec![(1000, 500), (640, 320), (320, 160)]
        );
        assert_eq!(
            variant_sizes(4000, 2000, Purpose::Article),
            vec![(2048, 1024), (1280, 640), (640, 320), (320, 160)]
        );
        assert_eq!(variant_sizes(100, 50, Purpose::Article), vec![(100, 50)]);
        assert_eq!(variant_sizes(100, 100, Purpose::Avatar), vec![(100, 100)]);
        assert_eq!(variant_sizes(900, 900, Purpose::Avatar), vec![(256, 256)]);
    }
}
