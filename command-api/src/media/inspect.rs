//! Whether uploaded bytes are an image we accept, judged only by the bytes (never a file
//! name or a declared type): JPEG, PNG or WebP by their signature, complete (a truncated file
//! is refused), fully decoded within [`limits`] (a decompression bomb is refused before its
//! pixels are allocated), then re-encoded in its own format, which drops every metadata block
//! (EXIF with its GPS position, XMP, comments) after applying the EXIF orientation.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::Encoded;

/// Largest upload accepted, per file.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 8_000;
/// Most pixels accepted (about a 6,500 × 4,900 photo).
pub const MAX_PIXELS: u64 = 32_000_000;
/// Most memory one decode may allocate.
pub const MAX_ALLOC: u64 = 160 * 1024 * 1024;
/// Quality of re-encoded JPEGs.
const JPEG_QUALITY: u8 = 90;

/// Why an upload is not an image we store. `file` names it as the request did (`files[2]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefusal {
    /// 415: not a JPEG, PNG or WebP, whatever its name or declared type says.
    #[error("{file} is not a JPEG, PNG or WebP image")]
    Unsupported { file: String },
    /// 422: it claims to be one but is truncated, corrupt or too large to decode.
    #[error("{file} is not a usable image: {reason}")]
    Invalid { file: String, reason: String },
    /// 413: more than [`MAX_IMAGE_BYTES`].
    #[error("{file} is larger than {MAX_IMAGE_BYTES} bytes")]
    TooLarge { file: String },
}

/// The format the bytes' signature names, if one we accept.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// The content type stored objects of `format` are served with.
pub fn content_type(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "image/png",
        ImageFormat::WebP => "image/webp",
        _ => "image/jpeg",
    }
}

/// The decoding limits: dimensions and memory.
pub fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

/// Checks `bytes` and answers the image to store: re-encoded in its own format, without
/// metadata, keyed by the hash of the re-encoded bytes.
pub fn prepare(file: &str, bytes: &[u8]) -> Result<Encoded, ImageRefusal> {
    let invalid = |reason: &str| ImageRefusal::Invalid {
        file: file.to_owned(),
        reason: reason.to_owned(),
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageRefusal::TooLarge {
            file: file.to_owned(),
        });
    }
    let format = sniff(bytes).ok_or_else(|| ImageRefusal::Unsupported {
        file: file.to_owned(),
    })?;
    if !complete(format, bytes) {
        return Err(invalid("the file is truncated"));
    }
    let image = decode(format, bytes).map_err(|reason| invalid(&reason))?;
    let encoded = encode(format, &image).map_err(|e| invalid(&e.to_string()))?;
    let size = (image.width(), image.height());
    Ok(Encoded::new("images", encoded, content_type(format), size))
}

/// Whether the file ends where its format says it does (decoders may fill a truncated
/// image in silently).
fn complete(format: ImageFormat, bytes: &[u8]) -> bool {
    match format {
        ImageFormat::Jpeg => {
            let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
            bytes[..end].ends_with(&[0xFF, 0xD9])
        }
        ImageFormat::Png => bytes
            .windows(8)
            .rev()
            .take(64)
            .any(|w| w == b"IEND\xAE\x42\x60\x82"),
        _ => {
            let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            usize::try_from(declared).is_ok_and(|d| d.saturating_add(8) <= bytes.len())
        }
    }
}

/// Decodes the whole image within [`limits`], upright. Errors are for a human.
pub fn decode(format: ImageFormat, bytes: &[u8]) -> Result<DynamicImage, String> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err("the image is empty".into());
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "{width} × {height} pixels is more than the {MAX_SIDE} px a side and {MAX_PIXELS} pixels accepted"
        ));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// `image` encoded as `format` (JPEG quality 90, lossless PNG and WebP). Encoders here
/// write pixels only: no EXIF, XMP or ICC block.
pub fn encode(format: ImageFormat, image: &DynamicImage) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        ImageFormat::Png => image.write_with_encoder(PngEncoder::new(&mut out))?,
        ImageFormat::WebP => {
            let pixels = if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8())
            };
            pixels.write_with_encoder(WebPEncoder::new_lossless(&mut out))?;
        }
        _ => {
            let pixels = DynamicImage::ImageRgb8(image.to_rgb8());
            pixels.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(format: ImageFormat) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
        }));
        encode(format, &image).unwrap()
    }

    #[test]
    fn jpeg_png_and_webp_are_accepted_by_their_bytes() {
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let stored = prepare("files[0]", &sample(format)).unwrap();
            assert_eq!((stored.width, stored.height), (64, 48));
            assert_eq!(stored.content_type, content_type(format));
            assert!(
                pasar_service::media::valid_key(&stored.key),
                "{}",
                stored.key
            );
        }
    }

    #[test]
    fn other_content_is_unsupported_whatever_it_is_called() {
        for bytes in [
            &b"<!doctype html><script>alert(1)</script>"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"#!/bin/sh\nrm -rf /\n",
            b"",
        ] {
            assert!(matches!(
                prepare("files[0]", bytes),
                Err(ImageRefusal::Unsupported { .. })
            ));
        }
    }

    #[test]
    fn a_truncated_image_is_invalid() {
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let bytes = sample(format);
            let cut = &bytes[..bytes.len() * 2 / 3];
            assert!(
                matches!(prepare("files[0]", cut), Err(ImageRefusal::Invalid { .. })),
                "{format:?}"
            );
        }
    }

    #[test]
    fn an_image_claiming_huge_dimensions_is_refused_before_decoding() {
        let mut png = sample(ImageFormat::Png);
        // IHDR's width and height (bytes 16..24), then its CRC (29..33) recomputed.
        png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            prepare("files[0]", &png),
            Err(ImageRefusal::Invalid { .. })
        ));
    }
}
