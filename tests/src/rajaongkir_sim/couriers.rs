//! The couriers the simulator knows, their services and the tariff numbers behind them
//! (`tariff` turns them into prices). Codes and names follow the reference's courier table and
//! examples, including its oddities (POS's description `"240"`, J&T's empty `etd`).

/// How an `etd` is written: couriers differ, which is why clients must treat it as free text.
#[derive(Debug, Clone, Copy)]
pub enum EtdStyle {
    /// `"2-3 day"` (or `"1 day"`).
    Days,
    /// `"2-3"` (no unit).
    Bare,
    /// Always `""`.
    Empty,
}

/// One service of a courier and its tariff: `per_kg = base + per_1000km × km / 1000`.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub code: &'static str,
    pub description: &'static str,
    /// Rupiah per kg at zero distance.
    pub base: u64,
    /// Rupiah per kg added per 1000 km.
    pub per_1000km: u64,
    /// Fastest delivery in days (before distance is added).
    pub min_days: u32,
    /// Days added per 1000 km.
    pub days_per_1000km: u32,
    /// Farthest distance served, in km (`None` = everywhere).
    pub max_km: Option<u32>,
}

/// A courier: its code (as in `courier=jne:pos`), display name and services.
#[derive(Debug, Clone, Copy)]
pub struct Courier {
    pub code: &'static str,
    pub name: &'static str,
    pub etd: EtdStyle,
    pub services: &'static [Service],
}

const fn svc(
    code: &'static str,
    description: &'static str,
    (base, per_1000km): (u64, u64),
    (min_days, days_per_1000km): (u32, u32),
    max_km: Option<u32>,
) -> Service {
    Service {
        code,
        description,
        base,
        per_1000km,
        min_days,
        days_per_1000km,
        max_km,
    }
}

/// Every courier the simulator knows; other codes are refused with 422.
pub const COURIERS: &[Courier] = &[
    Courier {
        code: "jne",
        name: "Jalur Nugraha Ekakurir (JNE)",
        etd: EtdStyle::Days,
        services: &[
            svc("OKE", "Ongkos Kirim Ekonomis", (8000, 22000), (2, 2), None),
            svc("REG", "Layanan Reguler", (10000, 26000), (1, 2), None),
            svc(
                "YES",
                "Yakin Esok Sampai",
                (18000, 40000),
                (1, 0),
                Some(1500),
            ),
        ],
    },
    Courier {
        code: "sicepat",
        name: "SiCepat Express",
        etd: EtdStyle::Bare,
        services: &[
            svc("REG", "Reguler", (9000, 24000), (1, 2), None),
            svc(
                "BEST",
                "Besok Sampai Tujuan",
                (17000, 38000),
                (1, 0),
                Some(1200),
            ),
        ],
    },
    Courier {
        code: "jnt",
        name: "J&T Express",
        etd: EtdStyle::Empty,
        services: &[svc("EZ", "Reguler", (9500, 25000), (1, 2), None)],
    },
    Courier {
        code: "pos",
        name: "POS Indonesia (POS)",
        etd: EtdStyle::Days,
        services: &[
            svc("Pos Reguler", "240", (7500, 21000), (2, 3), None),
            svc(
                "Pos Nextday",
                "Pos Nextday",
                (16000, 36000),
                (1, 0),
                Some(1000),
            ),
        ],
    },
    Courier {
        code: "tiki",
        name: "Citra Van Titipan Kilat (TIKI)",
        etd: EtdStyle::Days,
        services: &[
            svc("ECO", "Economy Service", (7000, 20000), (3, 2), None),
            svc("REG", "Regular Service", (9500, 25000), (2, 2), None),
            svc(
                "ONS",
                "Over Night Service",
                (19000, 42000),
                (1, 0),
                Some(1500),
            ),
        ],
    },
    Courier {
        code: "anteraja",
        name: "AnterAja",
        etd: EtdStyle::Days,
        services: &[
            svc("REG", "Regular", (9000, 24000), (1, 2), None),
            svc("ND", "Next Day", (16500, 37000), (1, 0), Some(1000)),
        ],
    },
    Courier {
        code: "ninja",
        name: "Ninja Xpress",
        etd: EtdStyle::Days,
        services: &[svc(
            "STANDARD",
            "Standard Service",
            (9000, 25000),
            (2, 2),
            None,
        )],
    },
    Courier {
        code: "lion",
        name: "Lion Parcel",
        etd: EtdStyle::Days,
        services: &[
            svc("JAGOPACK", "Economy Parcel", (6500, 19000), (3, 3), None),
            svc("REGPACK", "Regular Parcel", (8500, 23000), (2, 2), None),
        ],
    },
];

/// The courier with this (lower-case) code.
pub fn courier(code: &str) -> Option<&'static Courier> {
    COURIERS.iter().find(|c| c.code == code)
}
