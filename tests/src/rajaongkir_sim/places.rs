//! The simulator's fixed places: a small table of real Indonesian subdistricts, with the
//! province → city → district → subdistrict hierarchy derived from it (the couriers are in
//! `couriers`).
//!
//! Ids are the simulator's own (RajaOngkir's real numbering is not published), except
//! SINDUHARJO = 31555, which the reference quotes. Subdistrict ids are ≥ 10000 and district
//! ids < 10000, so `calculate/district/domestic-cost` can accept either without ambiguity.
//! Coordinates are approximate and only feed the distance used by the tariff.

/// One subdistrict (kelurahan/desa), the level the search endpoint returns and the cost
/// endpoint takes.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub id: u32,
    pub subdistrict: &'static str,
    pub zip: &'static str,
    pub district_id: u32,
    pub district: &'static str,
    pub city_id: u32,
    pub city: &'static str,
    pub city_zip: &'static str,
    pub province_id: u32,
    pub province: &'static str,
    pub lat: f64,
    pub lon: f64,
}

impl Place {
    /// `SUBDISTRICT, DISTRICT, CITY, PROVINCE, ZIP`, as the search endpoint labels rows.
    pub fn label(&self) -> String {
        format!(
            "{}, {}, {}, {}, {}",
            self.subdistrict, self.district, self.city, self.province, self.zip
        )
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a table row constructor, one value per column"
)]
const fn place(
    id: u32,
    subdistrict: &'static str,
    zip: &'static str,
    (district_id, district): (u32, &'static str),
    (city_id, city, city_zip): (u32, &'static str, &'static str),
    (province_id, province): (u32, &'static str),
    lat: f64,
    lon: f64,
) -> Place {
    Place {
        id,
        subdistrict,
        zip,
        district_id,
        district,
        city_id,
        city,
        city_zip,
        province_id,
        province,
        lat,
        lon,
    }
}

const DKI: (u32, &str) = (11, "DKI JAKARTA");
const JABAR: (u32, &str) = (6, "JAWA BARAT");
const JATENG: (u32, &str) = (10, "JAWA TENGAH");
const DIY: (u32, &str) = (5, "DI YOGYAKARTA");
const JATIM: (u32, &str) = (18, "JAWA TIMUR");
const BALI: (u32, &str) = (1, "BALI");
const SUMUT: (u32, &str) = (34, "SUMATERA UTARA");
const SULSEL: (u32, &str) = (28, "SULAWESI SELATAN");
const KALTIM: (u32, &str) = (15, "KALIMANTAN TIMUR");
const PAPUA: (u32, &str) = (24, "PAPUA");

const JAKPUS: (u32, &str, &str) = (152, "JAKARTA PUSAT", "10540");
const JAKSEL: (u32, &str, &str) = (153, "JAKARTA SELATAN", "12230");
const BANDUNG: (u32, &str, &str) = (23, "BANDUNG", "40111");
const SEMARANG: (u32, &str, &str) = (399, "SEMARANG", "50135");
const YOGYA: (u32, &str, &str) = (501, "YOGYAKARTA", "55111");
const SLEMAN: (u32, &str, &str) = (419, "SLEMAN", "0");
const SURABAYA: (u32, &str, &str) = (444, "SURABAYA", "60119");
const DENPASAR: (u32, &str, &str) = (114, "DENPASAR", "80227");
const MEDAN: (u32, &str, &str) = (278, "MEDAN", "20228");
const MAKASSAR: (u32, &str, &str) = (254, "MAKASSAR", "90111");
const BALIKPAPAN: (u32, &str, &str) = (19, "BALIKPAPAN", "76111");
const JAYAPURA: (u32, &str, &str) = (157, "JAYAPURA", "99114");

/// Every place the simulator knows, in search order.
pub const PLACES: &[Place] = &[
    place(
        17373,
        "GAMBIR",
        "10110",
        (2096, "GAMBIR"),
        JAKPUS,
        DKI,
        -6.1754,
        106.8272,
    ),
    place(
        17401,
        "KEBON KELAPA",
        "10120",
        (2096, "GAMBIR"),
        JAKPUS,
        DKI,
        -6.1700,
        106.8150,
    ),
    place(
        17547,
        "SENAYAN",
        "12190",
        (2110, "KEBAYORAN BARU"),
        JAKSEL,
        DKI,
        -6.2270,
        106.8000,
    ),
    place(
        17737,
        "TEBET BARAT",
        "12810",
        (2117, "TEBET"),
        JAKSEL,
        DKI,
        -6.2260,
        106.8480,
    ),
    place(
        12045,
        "DAGO",
        "40135",
        (1520, "COBLONG"),
        BANDUNG,
        JABAR,
        -6.8850,
        107.6130,
    ),
    place(
        12077,
        "BRAGA",
        "40111",
        (1527, "SUMUR BANDUNG"),
        BANDUNG,
        JABAR,
        -6.9175,
        107.6090,
    ),
    place(
        26361,
        "PEKUNDEN",
        "50134",
        (5190, "SEMARANG TENGAH"),
        SEMARANG,
        JATENG,
        -6.9830,
        110.4150,
    ),
    place(
        31290,
        "TERBAN",
        "55223",
        (5780, "GONDOKUSUMAN"),
        YOGYA,
        DIY,
        -7.7790,
        110.3750,
    ),
    place(
        31555,
        "SINDUHARJO",
        "55581",
        (5796, "NGAGLIK"),
        SLEMAN,
        DIY,
        -7.7100,
        110.4000,
    ),
    place(
        35190,
        "GUBENG",
        "60281",
        (6146, "GUBENG"),
        SURABAYA,
        JATIM,
        -7.2650,
        112.7520,
    ),
    place(
        35241,
        "DR. SUTOMO",
        "60264",
        (6155, "TEGALSARI"),
        SURABAYA,
        JATIM,
        -7.2850,
        112.7380,
    ),
    place(
        10562,
        "DAUH PURI",
        "80113",
        (1402, "DENPASAR BARAT"),
        DENPASAR,
        BALI,
        -8.6560,
        115.2100,
    ),
    place(
        55408,
        "PADANG BULAN",
        "20155",
        (8771, "MEDAN BARU"),
        MEDAN,
        SUMUT,
        3.5650,
        98.6560,
    ),
    place(
        48312,
        "PANDANG",
        "90231",
        (7402, "PANAKKUKANG"),
        MAKASSAR,
        SULSEL,
        -5.1480,
        119.4450,
    ),
    place(
        40127,
        "KLANDASAN ILIR",
        "76113",
        (6610, "BALIKPAPAN KOTA"),
        BALIKPAPAN,
        KALTIM,
        -1.2750,
        116.8300,
    ),
    place(
        46833,
        "GURABESI",
        "99113",
        (7281, "JAYAPURA UTARA"),
        JAYAPURA,
        PAPUA,
        -2.5330,
        140.7170,
    ),
];

/// The place with this subdistrict id.
pub fn place_by_id(id: u32) -> Option<&'static Place> {
    PLACES.iter().find(|p| p.id == id)
}
