//! The demo's product pictures, drawn here (no stock photos to license): a soft gradient in
//! the product kind's colour with a disc in the variant's, as a small JPEG. The same product
//! always gets the same bytes, so a second run's keyed upload is answered from the first.

use std::io::Cursor;

use anyhow::Context as _;
use image::codecs::jpeg::JpegEncoder;
use image::{ImageBuffer, Rgb};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use super::api::Api;

/// Side of the square picture, in pixels.
const SIDE: u32 = 320;

/// A hue (0–360) → an RGB colour of full saturation and the given lightness (0–1).
fn colour(hue: u32, lightness: f32) -> [f32; 3] {
    let h = (hue % 360) as f32 / 60.0;
    let x = 1.0 - (h % 2.0 - 1.0).abs();
    let (r, g, b) = match h as u32 {
        0 => (1.0, x, 0.0),
        1 => (x, 1.0, 0.0),
        2 => (0.0, 1.0, x),
        3 => (0.0, x, 1.0),
        4 => (x, 0.0, 1.0),
        _ => (1.0, 0.0, x),
    };
    // Mix with white (light) or black (dark) around the pure colour.
    let mix = |c: f32| {
        if lightness >= 0.5 {
            c + (1.0 - c) * (lightness - 0.5) * 2.0
        } else {
            c * lightness * 2.0
        }
    };
    [mix(r) * 255.0, mix(g) * 255.0, mix(b) * 255.0]
}

/// The JPEG of product kind `kind` (its noun) in variant `variant`.
pub(super) fn picture(kind: usize, variant: usize) -> anyhow::Result<Vec<u8>> {
    let background = colour(kind as u32 * 47, 0.8);
    let disc = colour(variant as u32 * 83 + 20, 0.45);
    let centre = SIDE as f32 / 2.0;
    let pixels = ImageBuffer::from_fn(SIDE, SIDE, |x, y| {
        let (dx, dy) = (x as f32 - centre, y as f32 - centre);
        let shade = 1.0 - y as f32 / SIDE as f32 * 0.25;
        let rgb = if dx * dx + dy * dy < (centre * 0.55).powi(2) {
            disc
        } else {
            background.map(|c| c * shade)
        };
        Rgb(rgb.map(|c| c.clamp(0.0, 255.0) as u8))
    });
    let mut bytes = Cursor::new(Vec::new());
    JpegEncoder::new_with_quality(&mut bytes, 80)
        .encode_image(&pixels)
        .context("encoding a demo picture")?;
    Ok(bytes.into_inner())
}

/// Uploads `jpeg` as the product's picture, keyed by `key`.
pub(super) async fn upload(
    api: &Api<'_>,
    token: &str,
    product_id: &str,
    key: &str,
    jpeg: Vec<u8>,
) -> anyhow::Result<()> {
    let part = Part::bytes(jpeg)
        .file_name("produk.jpg")
        .mime_str("image/jpeg")?;
    let response = api
        .http
        .post(format!("{}/v1/products/{product_id}/images", api.base))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .multipart(Form::new().part("files", part))
        .send()
        .await
        .context("POST /v1/products/{id}/images")?;
    let status = response.status();
    if status != StatusCode::CREATED {
        let body = response.text().await.unwrap_or_default();
        anyhow::bail!("uploading {product_id}'s picture answered {status}: {body}");
    }
    Ok(())
}
