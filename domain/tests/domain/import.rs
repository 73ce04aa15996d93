use pasar_domain::import::{
    CHUNK_BYTES, Import, ImportCommand, ImportError, MAX_ROWS, ROWS_PER_CHUNK,
};
use pasar_events::types::{ImportEvent, ImportRow, LineOutcome, LineReport, Role};

use crate::support::{at, given, id};

fn row(line: u32) -> ImportRow {
    ImportRow {
        line,
        sku: format!("SKU-{line}"),
        name: "Kopi".into(),
        description: String::new(),
        price: "75000".into(),
        weight_grams: "250".into(),
        brand: String::new(),
        condition: String::new(),
        category_id: String::new(),
        stock: String::new(),
    }
}

fn rows(n: u32) -> Vec<ImportRow> {
    (2..n + 2).map(row).collect()
}

fn request(rows: Vec<ImportRow>) -> ImportCommand {
    ImportCommand::Request {
        import_id: id(1),
        owner_id: id(2),
        owner_role: Role::Seller,
        rows,
        now: at(0),
    }
}

fn report(line: u32, outcome: LineOutcome) -> LineReport {
    LineReport {
        line,
        sku: format!("SKU-{line}"),
        outcome,
        product_id: Some(id(100 + u128::from(line))),
        reasons: Vec::new(),
    }
}

/// An import of `n` rows, requested and started.
fn started(n: u32) -> Vec<ImportEvent> {
    let mut history = given::<Import>([]).when(request(rows(n))).events();
    history.push(ImportEvent::ImportStarted { started_at: at(1) });
    history
}

#[test]
fn requesting_an_import_records_its_rows_in_chunks() {
    let events = given::<Import>([]).when(request(rows(1_201))).events();
    assert_eq!(
        events.len(),
        1 + 3,
        "the request and ⌈1201/{ROWS_PER_CHUNK}⌉ chunks"
    );
    assert!(matches!(
        events[0],
        ImportEvent::ImportRequested {
            rows: 1_201,
            chunks: 3,
            owner_role: Role::Seller,
            ..
        }
    ));
    let state: Import = pasar_domain::replay(&events);
    assert_eq!(state.rows, rows(1_201));
    assert!(state.rows_complete());
}

#[test]
fn rows_with_long_cells_are_chunked_by_size() {
    let long: Vec<ImportRow> = (2..122)
        .map(|line| ImportRow {
            description: "x".repeat(5_000),
            ..row(line)
        })
        .collect();
    let events = given::<Import>([]).when(request(long.clone())).events();
    let mut received = Vec::new();
    for event in &events[1..] {
        let ImportEvent::ImportRowsReceived { rows, .. } = event else {
            panic!("{event:?}");
        };
        let json = serde_json::to_vec(rows).unwrap().len();
        assert!(json < CHUNK_BYTES + 6_000, "{json} bytes");
        received.extend(rows.iter().cloned());
    }
    assert!(events.len() > 2, "120 rows of 5 kB are more than one chunk");
    assert_eq!(received, long, "every row once, in order");
}

#[test]
fn requesting_the_same_import_again_records_nothing() {
    let history = given::<Import>([]).when(request(rows(3))).events();
    given::<Import>(history)
        .when(request(rows(3)))
        .then_nothing();
}

#[test]
fn an_empty_or_oversized_file_is_refused() {
    given::<Import>([])
        .when(request(Vec::new()))
        .then_rejected(ImportError::NoRows);
    let too_many = u32::try_from(MAX_ROWS).unwrap() + 1;
    given::<Import>([])
        .when(request(rows(too_many)))
        .then_rejected(ImportError::TooManyRows { rows: MAX_ROWS + 1 });
}

#[test]
fn a_buyer_cannot_import() {
    given::<Import>([])
        .when(ImportCommand::Request {
            import_id: id(1),
            owner_id: id(2),
            owner_role: Role::Buyer,
            rows: rows(1),
            now: at(0),
        })
        .then_rejected(ImportError::NotASellerOrAdmin);
}

#[test]
fn starting_twice_records_one_start() {
    given::<Import>(started(2))
        .when(ImportCommand::Start { now: at(2) })
        .then_nothing();
}

#[test]
fn lines_are_reported_once() {
    let mut history = started(3);
    history.push(ImportEvent::ImportLinesProcessed {
        lines: vec![report(2, LineOutcome::Created)],
    });
    given::<Import>(history)
        .when(ImportCommand::Report {
            lines: vec![
                report(2, LineOutcome::Unchanged),
                report(3, LineOutcome::Rejected),
            ],
        })
        .then([ImportEvent::ImportLinesProcessed {
            lines: vec![report(3, LineOutcome::Rejected)],
        }]);
}

#[test]
fn a_report_of_a_line_not_in_the_file_is_refused() {
    given::<Import>(started(2))
        .when(ImportCommand::Report {
            lines: vec![report(40, LineOutcome::Created)],
        })
        .then_rejected(ImportError::UnknownLine { line: 40 });
}

#[test]
fn reporting_before_the_start_is_refused() {
    let history = given::<Import>([]).when(request(rows(1))).events();
    given::<Import>(history)
        .when(ImportCommand::Report {
            lines: vec![report(2, LineOutcome::Created)],
        })
        .then_rejected(ImportError::NotStarted);
}

#[test]
fn completing_counts_the_outcomes_once_every_line_is_reported() {
    let mut history = started(3);
    history.push(ImportEvent::ImportLinesProcessed {
        lines: vec![
            report(2, LineOutcome::Created),
            report(3, LineOutcome::Rejected),
        ],
    });
    given::<Import>(history.clone())
        .when(ImportCommand::Complete { now: at(5) })
        .then_rejected(ImportError::LinesPending { pending: 1 });
    history.push(ImportEvent::ImportLinesProcessed {
        lines: vec![report(4, LineOutcome::Unchanged)],
    });
    let done = given::<Import>(history.clone())
        .when(ImportCommand::Complete { now: at(5) })
        .then([ImportEvent::ImportCompleted {
            created: 1,
            updated: 0,
            unchanged: 1,
            rejected: 1,
            completed_at: at(5),
        }]);
    assert!(done.completed);
    history.push(ImportEvent::ImportCompleted {
        created: 1,
        updated: 0,
        unchanged: 1,
        rejected: 1,
        completed_at: at(5),
    });
    given::<Import>(history.clone())
        .when(ImportCommand::Complete { now: at(6) })
        .then_nothing();
    given::<Import>(history)
        .when(ImportCommand::Report {
            lines: vec![report(2, LineOutcome::Created)],
        })
        .then_rejected(ImportError::AlreadyCompleted);
}
