//! What the demo shop is made of: product nouns with their prices, weights and categories,
//! brands, variants, cities and names, and the product a seller lists from them.

use serde_json::{Value, json};

/// Name, base price, weight in grams, and the index of its category in [`super::categories::LEAVES`].
pub(super) const NOUNS: &[(&str, i64, i32, usize)] = &[
    ("Kopi Arabika", 85_000, 250, 0),
    ("Kaos Polos Katun", 59_000, 200, 6),
    ("Sepatu Lari Pria", 450_000, 900, 12),
    ("Kemeja Batik Lengan Panjang", 175_000, 300, 9),
    ("HP Samsung A15 128GB", 2_199_000, 400, 16),
    ("Tas Ransel Kanvas", 189_000, 700, 14),
    ("Kue Nastar Keju", 95_000, 500, 2),
    ("Madu Hutan Asli", 120_000, 650, 4),
    ("Sambal Roa Botol", 45_000, 300, 5),
    ("Jaket Hoodie Fleece", 210_000, 600, 8),
    ("Kerudung Segi Empat Voal", 65_000, 150, 10),
    ("Sandal Jepit Karet", 25_000, 250, 13),
    ("Teh Melati Celup", 18_000, 100, 1),
    ("Celana Chino Slim Fit", 199_000, 450, 7),
    ("Earphone Bluetooth TWS", 149_000, 120, 17),
    ("Rice Cooker 1.8 Liter", 349_000, 2_500, 18),
    ("Minyak Kayu Putih 60 ml", 28_000, 90, 19),
    ("Dompet Kulit Asli", 135_000, 150, 15),
    ("Keripik Singkong Balado", 22_000, 200, 3),
    ("Mukena Katun Rayon", 230_000, 500, 11),
];
pub(super) const BRANDS: &[&str] = &[
    "Gayo",
    "Nusantara",
    "Batik Keris",
    "Samsung",
    "Eiger",
    "Kapal Api",
    "Sariwangi",
    "Miniso Lokal",
    "Bandung Craft",
    "Toba",
];
pub(super) const VARIANTS: &[&str] = &[
    "Hitam",
    "Putih",
    "Merah",
    "Biru Navy",
    "Hijau Army",
    "Abu-abu",
    "Coklat",
    "Krem",
    "Ukuran M",
    "Ukuran L",
    "Ukuran XL",
    "Edisi Terbatas",
    "Kemasan Hemat",
    "Original",
];
/// City, postal code, and the RajaOngkir location search that finds a place in it.
pub(super) const CITIES: &[(&str, &str, &str)] = &[
    ("Jakarta Selatan", "12190", "senayan"),
    ("Bandung", "40115", "dago"),
    ("Surabaya", "60271", "gubeng"),
    ("Medan", "20112", "padang bulan"),
    ("Yogyakarta", "55281", "terban"),
    ("Makassar", "90111", "pandang"),
    ("Denpasar", "80113", "dauh puri"),
];
pub(super) const FIRST_NAMES: &[&str] = &[
    "Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Rina", "Joko", "Wulan",
];

pub(super) fn product(
    seller: usize,
    n: usize,
    index: usize,
    category_id: &str,
) -> (String, Value, i64) {
    let (noun, base_price, weight, _) = NOUNS[index % NOUNS.len()];
    let brand = BRANDS[(index / NOUNS.len() + seller) % BRANDS.len()];
    let variant = VARIANTS[(index * 7 + seller) % VARIANTS.len()];
    let sku = format!("DEMO-{seller:02}-{n:04}");
    // Prices vary by a few percent around the base, rounded to 500 rupiah.
    let spread = i64::try_from(index % 21).unwrap_or(0) - 10;
    let price = ((base_price + base_price * spread / 100) / 500).max(1) * 500;
    let condition = if index.is_multiple_of(17) {
        "used"
    } else {
        "new"
    };
    let body = json!({
        "sku": sku,
        "name": format!("{noun} {brand} {variant}"),
        "description": format!("{noun} merek {brand}, varian {variant}. Dikirim dari gudang penjual dalam 1x24 jam."),
        "price": price,
        "weight_grams": weight,
        "brand": brand,
        "condition": condition,
        "category_id": category_id,
    });
    let stock = 5 + i64::try_from(index * 37 % 200).unwrap_or(0);
    (sku, body, stock)
}
