//! Files the image tests upload: real JPEG, PNG and WebP images made here with the `image`
//! crate, a JPEG carrying an EXIF GPS block, and the files that must be refused.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A `width` × `height` picture (a gradient, so encoders have something to do).
pub fn picture(width: u32, height: u32, seed: u8) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8 ^ seed,
            (y * 255 / height.max(1)) as u8,
            ((x + y) % 256) as u8,
        ])
    }))
}

pub fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

pub fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    encoded(&picture(width, height, seed), ImageFormat::Jpeg)
}

pub fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    encoded(&picture(width, height, seed), ImageFormat::Png)
}

/// A WebP with transparency (its thumbnails are WebP too).
pub fn webp_with_alpha(width: u32, height: u32) -> Vec<u8> {
    let image = DynamicImage::ImageRgba8(RgbaImage::from_fn(width, height, |x, _| {
        Rgba([10, 120, 200, (x % 256) as u8])
    }));
    encoded(&image, ImageFormat::WebP)
}

/// The place name written into the EXIF block: it must not survive.
pub const GPS_MARK: &[u8] = b"Jl. Rahasia 7, Jakarta";

/// A JPEG with an APP1 EXIF block holding a GPS IFD (latitude reference, longitude
/// reference, and a processing-method text naming a place).
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height, 3);
    let mut tiff: Vec<u8> = b"II\x2a\x00".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0: one entry, GPSInfo (0x8825, LONG) → the GPS IFD at 26.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: LatitudeRef "S", LongitudeRef "E", AreaInformation (0x001C, UNDEFINED) → text.
    let text_at = 26 + 2 + 3 * 12 + 4;
    tiff.extend_from_slice(&3u16.to_le_bytes());
    for (tag, value) in [(1u16, b"S\0\0\0"), (3u16, b"E\0\0\0")] {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&2u32.to_le_bytes());
        tiff.extend_from_slice(value);
    }
    tiff.extend_from_slice(&0x001Cu16.to_le_bytes());
    tiff.extend_from_slice(&7u16.to_le_bytes());
    tiff.extend_from_slice(&(GPS_MARK.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&(text_at as u32).to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(GPS_MARK);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG whose header claims 60,000 × 60,000 pixels (3.6 billion: a decompression bomb's
/// promise), with a valid header checksum.
pub fn bomb() -> Vec<u8> {
    let mut png = png(8, 8, 0);
    png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// Whether `bytes` hold an EXIF block or the GPS text.
pub fn has_exif(bytes: &[u8]) -> bool {
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    contains(b"Exif\0\0") || contains(GPS_MARK)
}
