//! Images made in code for the tests (no binary fixtures): real files of each format,
//! and the hostile ones (a decompression bomb, a polyglot, a JPEG with GPS EXIF).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};

/// A `width` × `height` gradient, opaque.
pub fn picture(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    }))
}

/// `picture` encoded as `format` (WebP lossless, the encoder the crate has).
pub fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let picture = match format {
        // A GIF or WebP with an alpha channel, to see it kept as PNG.
        ImageFormat::WebP | ImageFormat::Gif => {
            DynamicImage::ImageRgba8(RgbaImage::from_fn(width, height, |x, y| {
                image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
            }))
        }
        _ => picture(width, height),
    };
    picture.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encoded(width, height, ImageFormat::Png)
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encoded(width, height, ImageFormat::Jpeg)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG of about a kilobyte that declares 50000 × 50000 pixels (10 GB as RGBA): its
/// compressed data is a run of zeros that would inflate to all of that.
pub fn png_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&50_000u32.to_be_bytes());
    header.extend_from_slice(&50_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    // A zlib stream of stored nothing-much: the decoder must not get this far.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    chunk(&mut out, b"tEXt", &[b'x'; 900]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG with an APP1 EXIF segment right after SOI holding a GPS IFD (latitude 48° N).
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    // TIFF header (big-endian), IFD0 with one entry: GPSInfo (0x8825) -> offset 26.
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&[0x00, 0x01]); // one entry
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend_from_slice(&26u32.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    // GPS IFD at 26: GPSLatitudeRef "N", GPSLatitude 48/1 0/1 0/1 at offset 56.
    tiff.extend_from_slice(&[0x00, 0x02]);
    tiff.extend_from_slice(&[
        0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, b'N', 0, 0, 0,
    ]);
    tiff.extend_from_slice(&[0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03]);
    tiff.extend_from_slice(&56u32.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    for (num, den) in [(48u32, 1u32), (0, 1), (0, 1)] {
        tiff.extend_from_slice(&num.to_be_bytes());
        tiff.extend_from_slice(&den.to_be_bytes());
    }
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// Whether `bytes` hold an EXIF APP1 segment or a GPS IFD tag.
pub fn has_exif(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == b"Exif\x00\x00")
        || bytes.windows(4).any(|w| w == [0x88, 0x25, 0x00, 0x04])
}
