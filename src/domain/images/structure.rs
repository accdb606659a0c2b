//! Where an image file ends, read from its own structure (PNG's IEND chunk, JPEG's EOI
//! marker, GIF's trailer, the RIFF length of WebP), so that bytes after the end are
//! refused: a valid picture followed by HTML, a script or a ZIP archive is a polyglot,
//! made to be read as something else by whatever ignores the picture. We serve only
//! re-encoded variants, never the upload, so this is a second line; it also tells the
//! uploader plainly what is wrong with their file.

use super::Format;

/// The length of the image at the start of `data`, or `None` when the structure is cut
/// short or broken (the decoder then says what is wrong).
pub fn image_length(format: Format, data: &[u8]) -> Option<usize> {
    match format {
        Format::Png => png_length(data),
        Format::Jpeg => jpeg_length(data),
        Format::Gif => gif_length(data),
        Format::Webp => webp_length(data),
    }
}

fn be_u32(data: &[u8], at: usize) -> Option<usize> {
    let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(bytes)).ok()
}

/// Signature, then chunks (length, type, data, CRC) up to and including `IEND`.
fn png_length(data: &[u8]) -> Option<usize> {
    let mut at = 8;
    loop {
        let length = be_u32(data, at)?;
        let kind = data.get(at + 4..at + 8)?;
        let end = at.checked_add(12)?.checked_add(length)?;
        if end > data.len() {
            return None;
        }
        if kind == b"IEND" {
            return Some(end);
        }
        at = end;
    }
}

/// Markers with lengths; after each start of scan, entropy-coded data up to the next
/// marker that is neither a stuffed `FF 00` nor a restart; `EOI` ends the file.
fn jpeg_length(data: &[u8]) -> Option<usize> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        // Fill bytes (FF FF …) may precede a marker.
        while data.get(at)? == &0xFF && data.get(at + 1)? == &0xFF {
            at += 1;
        }
        if data.get(at)? != &0xFF {
            return None;
        }
        let marker = *data.get(at + 1)?;
        at += 2;
        match marker {
            0xD9 => return Some(at),
            // Standalone markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]));
        if length < 2 {
            return None;
        }
        at = at.checked_add(length)?;
        if at > data.len() {
            return None;
        }
        if marker == 0xDA {
            at = after_entropy_data(data, at)?;
        }
    }
}

/// The position of the first real marker after entropy-coded data starting at `at`.
fn after_entropy_data(data: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let offset = data.get(at..)?.iter().position(|&b| b == 0xFF)?;
        at += offset;
        match *data.get(at + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => at += 1,
            _ => return Some(at),
        }
    }
}

/// Header, screen descriptor and global colour table, then blocks up to the `;` trailer.
fn gif_length(data: &[u8]) -> Option<usize> {
    let flags = *data.get(10)?;
    let mut at = 13 + color_table_len(flags);
    loop {
        match *data.get(at)? {
            0x3B => return Some(at + 1),
            0x21 => at = skip_sub_blocks(data, at + 2)?,
            0x2C => {
                let flags = *data.get(at + 9)?;
                // Descriptor (10), local colour table, LZW code size (1), then data.
                at = skip_sub_blocks(data, at + 10 + color_table_len(flags) + 1)?;
            }
            _ => return None,
        }
    }
}

fn color_table_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 * (1 << ((flags & 0x07) + 1))
    }
}

fn skip_sub_blocks(data: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let size = usize::from(*data.get(at)?);
        at += 1;
        if size == 0 {
            return Some(at);
        }
        at += size;
    }
}

/// `RIFF`, a little-endian size of what follows it, then the chunks (padded to even).
fn webp_length(data: &[u8]) -> Option<usize> {
    let bytes: [u8; 4] = data.get(4..8)?.try_into().ok()?;
    let size = usize::try_from(u32::from_le_bytes(bytes)).ok()?;
    let end = size.checked_add(8)?.checked_add(size % 2)?;
    (end <= data.len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gif_and_jpeg_ends_are_found() {
        // The smallest GIF: 1x1, no colour table, one image, trailer.
        let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
        assert_eq!(image_length(Format::Gif, gif), Some(gif.len()));
        let jpeg: &[u8] = &[
            0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9,
        ];
        assert_eq!(image_length(Format::Jpeg, jpeg), Some(jpeg.len()));
        assert_eq!(image_length(Format::Jpeg, &jpeg[..6]), None);
    }
}
