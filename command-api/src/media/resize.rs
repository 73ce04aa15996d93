//! Thumbnails of a stored image: [`SIZES`] px on the long side (never enlarged), JPEG for
//! opaque images and lossless WebP for those with transparency. Deterministic: the same
//! original always gives the same bytes, hence the same content-addressed keys.

use image::DynamicImage;
use image::imageops::FilterType;
use pasar_events::types::ImageThumbnail;

use super::Encoded;
use super::inspect::{decode, sniff};

/// Long sides of the thumbnails, in pixels.
pub const SIZES: [u32; 3] = [160, 480, 1200];
const JPEG_QUALITY: u8 = 82;

/// One thumbnail: the size asked for and the encoded image.
#[derive(Debug, Clone)]
pub struct Made {
    pub size: u32,
    pub image: Encoded,
}

impl Made {
    /// What the event records of this thumbnail (its bytes live in the object store).
    pub fn recorded(&self) -> ImageThumbnail {
        ImageThumbnail {
            size: self.size,
            key: self.image.key.clone(),
            content_type: self.image.content_type.to_owned(),
            width: self.image.width,
            height: self.image.height,
        }
    }
}

/// The thumbnails of `original` (bytes this shop stored), smallest first.
pub fn thumbnails(original: &[u8]) -> Result<Vec<Made>, String> {
    let format = sniff(original).ok_or("the stored image is not a JPEG, PNG or WebP")?;
    let image = decode(format, original)?;
    let alpha = image.color().has_alpha();
    let mut made = Vec::with_capacity(SIZES.len());
    // Largest first, each from the one before: cheaper than from the original each time.
    let mut source = image;
    for size in SIZES.into_iter().rev() {
        if source.width().max(source.height()) > size {
            source = source.resize(size, size, FilterType::Triangle);
        }
        made.push(Made {
            size,
            image: encode(&source, alpha).map_err(|e| e.to_string())?,
        });
    }
    made.reverse();
    Ok(made)
}

/// The side of an avatar's square thumbnail, in pixels.
pub const AVATAR_SIZE: u32 = 256;

/// A square thumbnail of `original`: its centre cropped to a square, scaled to `side` px
/// (never enlarged: a smaller image keeps its shorter side). Encoded as [`thumbnails`] are.
pub fn square(original: &[u8], side: u32) -> Result<Made, String> {
    let format = sniff(original).ok_or("the stored image is not a JPEG, PNG or WebP")?;
    let image = decode(format, original)?;
    let alpha = image.color().has_alpha();
    let short = image.width().min(image.height());
    let (x, y) = ((image.width() - short) / 2, (image.height() - short) / 2);
    let mut cropped = image.crop_imm(x, y, short, short);
    if short > side {
        cropped = cropped.resize_exact(side, side, FilterType::Triangle);
    }
    Ok(Made {
        size: side,
        image: encode(&cropped, alpha).map_err(|e| e.to_string())?,
    })
}

fn encode(image: &DynamicImage, alpha: bool) -> image::ImageResult<Encoded> {
    let mut out = Vec::new();
    let size = (image.width(), image.height());
    if alpha {
        DynamicImage::ImageRgba8(image.to_rgba8())
            .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut out))?;
        Ok(Encoded::new("thumbs", out, "image/webp", size))
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY),
        )?;
        Ok(Encoded::new("thumbs", out, "image/jpeg", size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageFormat;

    #[test]
    fn an_avatar_thumbnail_is_the_centre_square_scaled_down() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(900, 600, |x, _| {
            image::Rgb([(x % 256) as u8, 3, 7])
        }));
        let original = super::super::inspect::encode(ImageFormat::Png, &image).unwrap();
        let made = square(&original, AVATAR_SIZE).unwrap();
        assert_eq!((made.image.width, made.image.height), (256, 256));
        assert_eq!(made.image.content_type, "image/jpeg");
        let small = super::super::inspect::encode(
            ImageFormat::Png,
            &DynamicImage::ImageRgb8(image::RgbImage::new(100, 40)),
        )
        .unwrap();
        let made = square(&small, AVATAR_SIZE).unwrap();
        assert_eq!((made.image.width, made.image.height), (40, 40));
    }

    #[test]
    fn thumbnails_keep_the_aspect_ratio_never_enlarge_and_are_deterministic() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(1000, 500, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 7])
        }));
        let original = super::super::inspect::encode(ImageFormat::Jpeg, &image).unwrap();
        let made = thumbnails(&original).unwrap();
        let sizes: Vec<(u32, u32, u32)> = made
            .iter()
            .map(|m| (m.size, m.image.width, m.image.height))
            .collect();
        assert_eq!(sizes, [(160, 160, 80), (480, 480, 240), (1200, 1000, 500)]);
        let again = thumbnails(&original).unwrap();
        let keys = |m: &[Made]| m.iter().map(|t| t.image.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&made), keys(&again));
        assert!(made.iter().all(|m| m.image.content_type == "image/jpeg"));
    }
}
