//! The relevance suite: queries over the fixture catalog, each naming products that must be
//! in the top 3, products that must not be in the top 3, and products that must not match.

use pasar_search::{SearchRequest, SortOrder};

use crate::fixtures::{catalog, catalog_index, category, slugs};

struct Case {
    request: SearchRequest,
    top3: &'static [&'static str],
    not_top3: &'static [&'static str],
    absent: &'static [&'static str],
}

fn q(text: &str) -> SearchRequest {
    SearchRequest {
        limit: 100,
        ..SearchRequest::text(text)
    }
}

fn case(
    request: SearchRequest,
    top3: &'static [&'static str],
    absent: &'static [&'static str],
) -> Case {
    Case {
        request,
        top3,
        not_top3: &[],
        absent,
    }
}

fn text_cases() -> Vec<Case> {
    vec![
        // Plain words and Indonesian word order.
        case(
            q("sepatu lari"),
            &[
                "sepatu-lari-pria",
                "sepatu-lari-wanita",
                "sepatu-lari-bekas",
            ],
            &["kemeja-batik", "sepatu-lari-anak"],
        ),
        case(
            q("pria sepatu lari"),
            &["sepatu-lari-pria"],
            &["gamis-wanita"],
        ),
        case(
            q("kemeja batik lengan panjang"),
            &["kemeja-batik"],
            &["sepatu-lari-pria"],
        ),
        case(
            q("batik kemeja"),
            &["kemeja-batik", "kemeja-batik-pendek"],
            &["sneakers-putih"],
        ),
        case(
            q("lengan panjang kemeja batik"),
            &["kemeja-batik"],
            &["kopi-bubuk"],
        ),
        case(
            q("celana pria"),
            &["celana-jeans", "celana-chino", "celana-training"],
            &["rok-plisket"],
        ),
        case(
            q("tas"),
            &["tas-ransel", "tas-selempang", "tas-wanita"],
            &["topi"],
        ),
        case(
            q("jaket"),
            &["jaket-hoodie", "jaket-kulit", "jaket-parasut"],
            &["kemeja-flanel"],
        ),
        case(q("bola"), &["bola-basket", "sepatu-bola"], &["raket"]),
        case(q("ransel"), &["tas-ransel"], &["koper"]),
        case(
            q("HP Samsung A15 128GB"),
            &["hp-samsung-a15"],
            &["hp-iphone-15"],
        ),
        case(q("kémeja bátik"), &["kemeja-batik"], &["sepatu-futsal"]),
        // Prefix on the last word.
        case(
            q("sepatu la"),
            &[
                "sepatu-lari-pria",
                "sepatu-lari-wanita",
                "sepatu-lari-bekas",
            ],
            &["kemeja-batik"],
        ),
        // The first word is required: "bantalan" (ba…) alone does not bring a shoe in.
        case(
            q("kemeja ba"),
            &["kemeja-batik", "kemeja-batik-pendek"],
            &["sepatu-lari-pria"],
        ),
        case(q("kemeja fla"), &["kemeja-flanel"], &["sepatu-sekolah"]),
        case(q("jaket kul"), &["jaket-kulit"], &["kopi-bubuk"]),
        case(q("sepatu fut"), &["sepatu-futsal"], &["kemeja-putih"]),
        case(
            q("iphon"),
            &["hp-iphone-13", "hp-iphone-15", "casing-iphone"],
            &["hp-samsung-a15"],
        ),
        case(q("niacin"), &["skincare-serum"], &["sunscreen"]),
        // Typos: 1 from 5 letters, 2 from 9.
        case(
            q("sepatu larri"),
            &["sepatu-lari-pria", "sepatu-lari-wanita"],
            &["kemeja-batik"],
        ),
        case(
            q("kemaja batik"),
            &["kemeja-batik", "kemeja-batik-pendek"],
            &["sepatu-lari-pria"],
        ),
        case(q("sepatu sekolha"), &["sepatu-sekolah"], &["kopi-bubuk"]),
        case(
            q("samsumg galaxy s24"),
            &["hp-samsung-s24"],
            &["hp-iphone-15"],
        ),
        case(q("tempred glas"), &["tempered-glass"], &["sapu-ijuk"]),
        case(q("serum niasinamyde"), &["skincare-serum"], &["lipstik"]),
        case(q("kacamata polarizd"), &["kacamata"], &["topi"]),
        // Units written together or apart.
        case(
            q("kopi 250g"),
            &["kopi-bubuk", "kopi-arabika"],
            &["teh-celup"],
        ),
        case(
            q("kopi 250 gram"),
            &["kopi-bubuk", "kopi-arabika"],
            &["teh-celup"],
        ),
        case(q("kerupuk 250 g"), &["kerupuk"], &["beras"]),
        case(q("samsung 128 gb"), &["hp-samsung-a15"], &["lipstik"]),
        case(q("realme 128gb"), &["hp-realme"], &["hp-samsung-s24"]),
        case(
            q("minyak goreng 2 liter"),
            &["minyak-goreng"],
            &["sabun-mandi"],
        ),
        case(q("air mineral 600 ml"), &["air-mineral"], &["kopi-bubuk"]),
        case(q("susu 1l"), &["susu-uht"], &["kerupuk"]),
        case(q("beras 5 kg"), &["beras"], &["gula-pasir"]),
        // Hyphenated words and reduplication.
        case(q("kue"), &["kue-kering", "kue-lapis"], &["kopi-bubuk"]),
        case(q("kue-kue lebaran"), &["kue-kering"], &["kopi-bubuk"]),
        case(q("kemeja kotak-kotak"), &["kemeja-flanel"], &["kopi-bubuk"]),
        // Synonyms at query time.
        case(
            q("handphone samsung"),
            &["hp-samsung-a15"],
            &["sepatu-lari-pria"],
        ),
        case(
            q("hp"),
            &["hp-samsung-a15", "hp-oppo", "hp-realme"],
            &["kemeja-batik"],
        ),
        case(
            q("kaos"),
            &["kaos-polos", "kaos-oversize", "tshirt-band"],
            &["celana-jeans"],
        ),
        case(
            q("t-shirt"),
            &["tshirt-band", "kaos-polos", "kaos-oversize"],
            &["celana-jeans"],
        ),
        case(q("notebook acer"), &["laptop-acer"], &["sepatu-lari-pria"]),
        // Query syntax characters are text.
        case(
            q("\"sepatu\" lari* (pria) -~:"),
            &["sepatu-lari-pria"],
            &["kopi-bubuk"],
        ),
    ]
}

fn filtered(text: &str, edit: impl FnOnce(&mut SearchRequest)) -> SearchRequest {
    let mut r = q(text);
    edit(&mut r);
    r
}

fn filter_cases() -> Vec<Case> {
    vec![
        case(
            filtered("sepatu", |r| r.brand = Some("NIKE".into())),
            &["sepatu-lari-wanita", "sepatu-lari-bekas"],
            &["sepatu-lari-pria", "sepatu-lari-anak"],
        ),
        case(
            filtered("sepatu", |r| r.max_price = Some(200_000)),
            &["sepatu-sekolah"],
            &["sepatu-lari-pria", "sepatu-futsal"],
        ),
        case(
            filtered("sepatu", |r| r.condition = Some("used".into())),
            &["sepatu-lari-bekas"],
            &["sepatu-lari-pria"],
        ),
        case(
            filtered("sepatu", |r| r.in_stock = true),
            &[],
            &["sepatu-bola"],
        ),
        case(
            filtered("hp", |r| r.category_ids = vec![category("handphone")]),
            &["hp-samsung-a15"],
            &["charger-samsung", "tempered-glass"],
        ),
        case(
            filtered("samsung", |r| {
                r.category_ids = vec![category("aksesoris-hp")]
            }),
            &["charger-samsung", "tempered-glass"],
            &["hp-samsung-a15"],
        ),
        case(
            filtered("laptop", |r| r.min_price = Some(5_000_000)),
            &["laptop-asus"],
            &["laptop-lenovo", "tas-ransel", "mouse-logitech"],
        ),
        case(
            filtered("kopi", |r| r.sort = SortOrder::PriceAsc),
            &["kopi-sachet", "kopi-bubuk"],
            &["teh-celup"],
        ),
    ]
}

fn ranking_cases() -> Vec<Case> {
    vec![
        // Name before description.
        Case {
            request: q("kulit"),
            top3: &[],
            not_top3: &["sepatu-sekolah", "skincare-serum", "bola-basket"],
            absent: &["kopi-bubuk"],
        },
        // All words before some.
        Case {
            request: q("sepatu lari wanita"),
            top3: &["sepatu-lari-wanita"],
            not_top3: &["sepatu-sekolah", "gamis-wanita"],
            absent: &["kopi-bubuk"],
        },
        // Exact before typo.
        Case {
            request: q("lari"),
            top3: &["sepatu-lari-pria"],
            not_top3: &["celana-training"],
            absent: &["kemeja-batik"],
        },
    ]
}

#[test]
fn the_relevance_suite_passes() {
    let index = catalog_index();
    let known: Vec<String> = catalog().into_iter().map(|p| p.slug).collect();
    let cases: Vec<Case> = text_cases()
        .into_iter()
        .chain(filter_cases())
        .chain(ranking_cases())
        .collect();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let hits = slugs(&index, &case.request);
        let top3 = &hits[..hits.len().min(3)];
        for slug in case.top3.iter().chain(case.not_top3).chain(case.absent) {
            assert!(known.iter().any(|k| k == slug), "unknown fixture {slug}");
        }
        let missing: Vec<_> = case
            .top3
            .iter()
            .filter(|s| !top3.iter().any(|h| h == *s))
            .collect();
        let intruders: Vec<_> = case
            .not_top3
            .iter()
            .filter(|s| top3.iter().any(|h| h == *s))
            .collect();
        let present: Vec<_> = case
            .absent
            .iter()
            .filter(|s| hits.iter().any(|h| h == *s))
            .collect();
        if !(missing.is_empty() && intruders.is_empty() && present.is_empty()) {
            failures.push(format!(
                "{:?}: top3 {top3:?}; missing {missing:?}, intruders {intruders:?}, should be absent {present:?}",
                case.request.q
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_word_under_five_letters_gets_no_typo_as_in_meilisearch() {
    // "lsri" has 4 letters: no typo, so it cannot become "lari"; only "sepatu" matches.
    let index = catalog_index();
    let hits = slugs(&index, &q("sepatu lsri"));
    let with_sepatu: Vec<String> = crate::fixtures::active()
        .into_iter()
        .filter(|p| {
            format!("{} {}", p.name, p.description)
                .to_lowercase()
                .contains("sepatu")
        })
        .map(|p| p.slug)
        .collect();
    let mut sorted = hits.clone();
    sorted.sort();
    let mut expected = with_sepatu;
    expected.sort();
    assert_eq!(sorted, expected);
    // A typo on the first letter counts as two: "vemeja" (6 letters, 1 allowed) finds nothing.
    assert!(slugs(&index, &q("vemeja")).is_empty());
    // Words with digits get no typo: "a16" is not "a15".
    assert!(slugs(&index, &q("a16")).is_empty());
}
