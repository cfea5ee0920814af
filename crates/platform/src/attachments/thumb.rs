//! Thumbnails of PNG, JPEG and WebP images, made at upload on the blocking pool.
//!
//! Made at upload rather than by a durable job: a thumbnail of a micrograph takes tens of
//! milliseconds, the upload is already holding the bytes in memory, and the thumbnail is
//! then committed together with its file, so a listed image always has one. A job would
//! need the bytes read back from the object store, and a page would show images without
//! thumbnails until a worker got to them.
//!
//! Decoding is bounded (dimensions and memory), so a small file that claims to be a huge
//! image cannot exhaust the server; such an image is stored without a thumbnail.

use std::io::Cursor;

use image::{ImageError, ImageFormat, ImageReader, Limits};

use super::Kind;

/// The longest edge of a thumbnail, in pixels.
pub const EDGE: u32 = 256;

/// The largest width or height decoded for a thumbnail.
const MAX_DIMENSION: u32 = 20_000;

/// The most memory the decoder may allocate.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// What became of the thumbnail.
#[derive(Debug)]
pub enum Thumbnail {
    /// A PNG of at most [`EDGE`] pixels on each side.
    Made(Vec<u8>),
    /// Not an image type with thumbnails, or larger than the decoding limits.
    None,
    /// The bytes carry an image signature but do not decode: a broken file.
    Broken(String),
}

/// Makes the thumbnail of an image of `kind`. CPU-bound: call it on the blocking pool.
pub fn make(kind: Kind, bytes: &[u8]) -> Thumbnail {
    let format = match kind {
        Kind::Png => ImageFormat::Png,
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Webp => ImageFormat::WebP,
        _ => return Thumbnail::None,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = match reader.decode() {
        Ok(i) => i,
        Err(ImageError::Limits(e)) => {
            tracing::info!(attachment.kind = %kind, reason = %e, "image too large for a thumbnail");
            return Thumbnail::None;
        }
        Err(e) => return Thumbnail::Broken(e.to_string()),
    };
    let small = image.thumbnail(EDGE, EDGE);
    let mut out = Cursor::new(Vec::new());
    match small.write_to(&mut out, ImageFormat::Png) {
        Ok(()) => Thumbnail::Made(out.into_inner()),
        // Some pixel formats (e.g. floating point) have no PNG form; the file itself is fine.
        Err(e) => {
            tracing::warn!(attachment.kind = %kind, error = %e, "thumbnail could not be encoded");
            Thumbnail::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 128]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_thumbnail_keeps_the_aspect_and_fits_the_edge() {
        let Thumbnail::Made(t) = make(Kind::Png, &png(600, 300)) else {
            panic!("no thumbnail")
        };
        let img = image::load_from_memory_with_format(&t, ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (256, 128));
    }

    #[test]
    fn broken_images_and_other_kinds() {
        assert!(matches!(
            make(Kind::Png, b"\x89PNG\r\n\x1a\nnot really"),
            Thumbnail::Broken(_)
        ));
        assert!(matches!(make(Kind::Pdf, b"%PDF-1.7"), Thumbnail::None));
        assert!(matches!(make(Kind::Gif, b"GIF89a"), Thumbnail::None));
    }
}
