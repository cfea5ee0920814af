//! Removing what an image says about where, when and with what it was taken.
//!
//! A photo of a failed tube bundle carries, besides its pixels, the camera's EXIF block
//! (maker, serial number, date, often GPS position), XMP packets (the editing software,
//! the author), IPTC records and free comments. Before a file leaves its organisation those
//! are removed here by walking the container's own structure (JPEG segments, PNG chunks,
//! WebP RIFF chunks) and dropping the metadata parts, so the pixels are kept bit for bit:
//! no re-encoding, no loss of a micrograph's detail. Colour profiles and the parts a decoder
//! needs are kept. Bytes after the image's end marker (where some devices append a second
//! image or a vendor trailer) are dropped too.
//!
//! Formats whose metadata is not separable this way (TIFF, whose tags are the image's own
//! structure; GIF; documents) are [`Stripped::Unsupported`]: a caller that must not
//! publish metadata withholds such files.

use super::Kind;

/// What stripping made of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stripped {
    /// The image without its metadata, and the names of the parts removed (`exif`, `xmp`,
    /// `iptc`, `comment`, `text`, `time`, `app3` …, `trailing_data`), each named once.
    Clean {
        bytes: Vec<u8>,
        removed: Vec<String>,
    },
    /// No metadata-free form can be made of this type.
    Unsupported,
    /// The bytes do not follow their format's structure.
    Malformed(String),
}

/// Strips the metadata of an image of `kind`.
pub fn strip(kind: Kind, bytes: &[u8]) -> Stripped {
    let result = match kind {
        Kind::Jpeg => jpeg(bytes),
        Kind::Png => png(bytes),
        Kind::Webp => webp(bytes),
        _ => return Stripped::Unsupported,
    };
    match result {
        Ok((bytes, removed)) => {
            let mut names: Vec<String> = Vec::new();
            for r in removed {
                if !names.iter().any(|n| n == &r) {
                    names.push(r);
                }
            }
            Stripped::Clean {
                bytes,
                removed: names,
            }
        }
        Err(reason) => Stripped::Malformed(reason),
    }
}

type Outcome = Result<(Vec<u8>, Vec<String>), String>;

fn jpeg(b: &[u8]) -> Outcome {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err("not a JPEG stream".into());
    }
    let mut out = vec![0xFF, 0xD8];
    let mut removed = Vec::new();
    let mut i = 2;
    loop {
        // Markers may be preceded by fill bytes (0xFF).
        if i >= b.len() || b[i] != 0xFF {
            return Err(format!("expected a marker at byte {i}"));
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = b.get(i) else {
            return Err("the stream ends inside a marker".into());
        };
        i += 1;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                if i < b.len() {
                    removed.push("trailing_data".to_owned());
                }
                return Ok((out, removed));
            }
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let Some(len) = b
            .get(i..i + 2)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        else {
            return Err("the stream ends inside a segment length".into());
        };
        if len < 2 || i + len > b.len() {
            return Err(format!("segment 0xFF{marker:02X} runs past the end"));
        }
        let segment = &b[i - 2..i + len];
        let payload = &b[i + 2..i + len];
        i += len;
        match jpeg_metadata(marker, payload) {
            Some(name) => removed.push(name),
            None => out.extend_from_slice(segment),
        }
        if marker == 0xDA {
            // Entropy-coded data up to the next marker that is not a stuffed 0xFF00 or a
            // restart marker.
            let start = i;
            while i + 1 < b.len() {
                if b[i] == 0xFF && b[i + 1] != 0x00 && !(0xD0..=0xD7).contains(&b[i + 1]) {
                    break;
                }
                i += 1;
            }
            if i + 1 >= b.len() {
                return Err("the scan has no end marker".into());
            }
            out.extend_from_slice(&b[start..i]);
        }
    }
}

/// The name of a JPEG segment that carries metadata, or `None` for one to keep.
fn jpeg_metadata(marker: u8, payload: &[u8]) -> Option<String> {
    match marker {
        0xFE => Some("comment".into()),
        0xE1 if payload.starts_with(b"Exif\0") => Some("exif".into()),
        0xE1 if payload.starts_with(b"http://ns.adobe.com/") => Some("xmp".into()),
        0xE1 => Some("app1".into()),
        // Colour profiles are kept: a decoder needs them to show the colours right.
        0xE2 if payload.starts_with(b"ICC_PROFILE\0") => None,
        0xED => Some("iptc".into()),
        // JFIF (APP0) and Adobe's colour transform (APP14) are kept for decoders.
        0xE0 | 0xEE => None,
        0xE2..=0xEF => Some(format!("app{}", marker - 0xE0)),
        _ => None,
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn png(b: &[u8]) -> Outcome {
    if !b.starts_with(PNG_SIGNATURE) {
        return Err("not a PNG stream".into());
    }
    let mut out = PNG_SIGNATURE.to_vec();
    let mut removed = Vec::new();
    let mut i = PNG_SIGNATURE.len();
    loop {
        let Some(head) = b.get(i..i + 8) else {
            return Err("the stream ends before its IEND chunk".into());
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        let end = i
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|&e| e <= b.len())
            .ok_or_else(|| format!("chunk {} runs past the end", String::from_utf8_lossy(&kind)))?;
        match &kind {
            b"tEXt" | b"zTXt" | b"iTXt" => removed.push("text".to_owned()),
            b"eXIf" => removed.push("exif".to_owned()),
            b"tIME" => removed.push("time".to_owned()),
            _ => out.extend_from_slice(&b[i..end]),
        }
        i = end;
        if &kind == b"IEND" {
            if i < b.len() {
                removed.push("trailing_data".to_owned());
            }
            return Ok((out, removed));
        }
    }
}

/// The VP8X flags of the metadata chunks.
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

fn webp(b: &[u8]) -> Outcome {
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return Err("not a WebP stream".into());
    }
    let riff_end = (u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize)
        .checked_add(8)
        .filter(|&e| e <= b.len())
        .ok_or("the RIFF size runs past the end")?;
    let mut removed = Vec::new();
    if riff_end < b.len() {
        removed.push("trailing_data".to_owned());
    }
    let mut body = Vec::new();
    let mut i = 12;
    while i < riff_end {
        let Some(head) = b.get(i..i + 8) else {
            return Err("the stream ends inside a chunk header".into());
        };
        let fourcc = [head[0], head[1], head[2], head[3]];
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let end = i
            .checked_add(8 + len + (len & 1))
            .filter(|&e| e <= riff_end)
            .ok_or_else(|| {
                format!(
                    "chunk {} runs past the end",
                    String::from_utf8_lossy(&fourcc)
                )
            })?;
        match &fourcc {
            b"EXIF" => removed.push("exif".to_owned()),
            b"XMP " => removed.push("xmp".to_owned()),
            _ => body.extend_from_slice(&b[i..end]),
        }
        i = end;
    }
    // The extended header announces which optional chunks follow; it must not promise
    // the removed ones.
    if body.starts_with(b"VP8X") && body.len() > 8 {
        body[8] &= !(VP8X_EXIF | VP8X_XMP);
    }
    let size = u32::try_from(body.len() + 4).map_err(|_| "the image is too large")?;
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    Ok((out, removed))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::ImageFormat;

    use super::*;

    fn encoded(format: ImageFormat) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(24, 16, |x, y| image::Rgb([x as u8 * 9, y as u8 * 13, 90]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn pixels(bytes: &[u8]) -> Vec<u8> {
        image::load_from_memory(bytes).unwrap().to_rgb8().into_raw()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    #[test]
    fn a_photo_loses_its_camera_position_and_comment_but_not_a_pixel() {
        let plain = encoded(ImageFormat::Jpeg);
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(b"MM\0*GPSLatitude 31.2304N Make Nikon SerialNumber 4711");
        let mut tagged = plain[..2].to_vec();
        tagged.extend(jpeg_segment(0xE1, &exif));
        tagged.extend(jpeg_segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:creator>Zhang San</x:creator>",
        ));
        tagged.extend(jpeg_segment(0xED, b"Photoshop 3.0\0IPTC city"));
        tagged.extend(jpeg_segment(0xFE, b"shot at plant gate 3"));
        tagged.extend_from_slice(&plain[2..]);
        tagged.extend_from_slice(b"vendor trailer");
        assert_eq!(pixels(&tagged), pixels(&plain));

        let Stripped::Clean { bytes, removed } = strip(Kind::Jpeg, &tagged) else {
            panic!("a well-formed JPEG is stripped");
        };
        assert_eq!(
            removed,
            ["exif", "xmp", "iptc", "comment", "trailing_data"].map(String::from)
        );
        for secret in [
            &b"GPSLatitude"[..],
            b"Zhang San",
            b"IPTC",
            b"plant gate",
            b"trailer",
        ] {
            assert!(
                !contains(&bytes, secret),
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
        assert_eq!(bytes, plain, "only the metadata segments go");
        assert_eq!(pixels(&bytes), pixels(&plain));
    }

    #[test]
    fn a_png_loses_its_text_time_and_exif_chunks() {
        let plain = encoded(ImageFormat::Png);
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        // After the signature and the IHDR chunk (8 + 25 bytes).
        let mut tagged = plain[..33].to_vec();
        tagged.extend(chunk(b"tEXt", b"Author\0Li Si, Baoji Titanium Works"));
        tagged.extend(chunk(b"eXIf", b"MM\0*GPS"));
        tagged.extend(chunk(b"tIME", &[7, 234, 11, 28, 9, 0, 0]));
        tagged.extend_from_slice(&plain[33..]);
        let Stripped::Clean { bytes, removed } = strip(Kind::Png, &tagged) else {
            panic!("a well-formed PNG is stripped");
        };
        assert_eq!(removed, ["text", "exif", "time"].map(String::from));
        assert_eq!(bytes, plain);
        assert!(!contains(&bytes, b"Li Si"));
    }

    #[test]
    fn a_webp_loses_its_exif_and_xmp_chunks_and_stays_valid() {
        let plain = encoded(ImageFormat::WebP);
        let mut tagged = plain.clone();
        for (fourcc, data) in [
            (b"EXIF", &b"MM\0*GPS 31N"[..]),
            (b"XMP ", b"<x:creator>Wang</x:creator>"),
        ] {
            tagged.extend_from_slice(fourcc);
            tagged.extend_from_slice(&(data.len() as u32).to_le_bytes());
            tagged.extend_from_slice(data);
            if data.len() % 2 == 1 {
                tagged.push(0);
            }
        }
        let size = (tagged.len() - 8) as u32;
        tagged[4..8].copy_from_slice(&size.to_le_bytes());
        let Stripped::Clean { bytes, removed } = strip(Kind::Webp, &tagged) else {
            panic!("a well-formed WebP is stripped");
        };
        assert_eq!(removed, ["exif", "xmp"].map(String::from));
        assert_eq!(bytes, plain);
        assert_eq!(pixels(&bytes), pixels(&plain));
    }

    #[test]
    fn a_clean_image_comes_back_unchanged() {
        for (kind, format) in [
            (Kind::Jpeg, ImageFormat::Jpeg),
            (Kind::Png, ImageFormat::Png),
            (Kind::Webp, ImageFormat::WebP),
        ] {
            let plain = encoded(format);
            assert_eq!(
                strip(kind, &plain),
                Stripped::Clean {
                    bytes: plain.clone(),
                    removed: vec![]
                },
                "{kind:?}"
            );
        }
    }

    #[test]
    fn documents_and_broken_images_are_not_passed_on() {
        assert_eq!(strip(Kind::Pdf, b"%PDF-1.7"), Stripped::Unsupported);
        assert_eq!(strip(Kind::Tiff, b"II*\0"), Stripped::Unsupported);
        let plain = encoded(ImageFormat::Jpeg);
        assert!(matches!(
            strip(Kind::Jpeg, &plain[..plain.len() / 2]),
            Stripped::Malformed(_)
        ));
        assert!(matches!(
            strip(Kind::Png, &encoded(ImageFormat::Png)[..40]),
            Stripped::Malformed(_)
        ));
        assert!(matches!(
            strip(Kind::Webp, b"RIFF\xff\xff\xff\xffWEBP"),
            Stripped::Malformed(_)
        ));
    }
}
