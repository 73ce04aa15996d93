//! Operators' search synonyms (`SEARCH_SYNONYMS_FILE`): read at start, applied again when the
//! file changes, with no rebuild; a broken edit is refused and the last good list stays.

use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::search::list;

/// The ids `/v1/search?q=<q>` finds.
async fn found(stack: &Stack, q: &str) -> Vec<String> {
    let (_, body) = stack.query(&format!("/v1/search?q={q}"), None, None).await;
    body["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| h["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits (up to 20 s) until the query API's synonym reload counter for `outcome` reaches `n`.
async fn until_reloads(stack: &Stack, outcome: &str, n: u64) {
    let line = format!("pasar_search_synonyms_reloads_total{{outcome=\"{outcome}\"}} ");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = stack
            .http
            .get(format!("{}/metrics", stack.query_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let count = text
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if count >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{outcome} reloads stayed at {count}, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn operators_change_the_synonyms_without_a_rebuild_and_a_broken_edit_changes_nothing() {
    // Arrange: "sepeda" and "bike" are synonyms in the operators' file.
    let dir = std::env::temp_dir().join(format!("pasar-synonyms-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("synonyms.txt");
    std::fs::write(&file, "# operators' list\nsepeda, bike\n").unwrap();
    let path = file.to_string_lossy().into_owned();
    let stack = Stack::start_with(&[("SEARCH_SYNONYMS_FILE", &path)])
        .await
        .unwrap();
    let (_, seller) = stack.register("seller").await;
    let bike: Value = json!({"name": "Sepeda Gunung 27.5 Inci", "description": "Rangka aluminium", "price": 2_500_000});
    let (id, token) = list(&stack, &seller, bike).await;
    let id = id.to_string();
    let (_, body) = stack.query("/v1/search?q=bike", None, Some(&token)).await;
    assert_eq!(
        body["hits"][0]["id"],
        json!(id),
        "the file's synonym at start: {body}"
    );
    assert!(found(&stack, "onthel").await.is_empty());

    // Act: the operator edits the file.
    std::fs::write(&file, "sepeda, onthel, gowes\n").unwrap();
    until_reloads(&stack, "applied", 2).await;

    // Assert: the new group applies at once, the old one is gone; the index was not rebuilt.
    assert_eq!(found(&stack, "onthel").await, vec![id.clone()]);
    assert_eq!(found(&stack, "gowes").await, vec![id.clone()]);
    assert!(
        found(&stack, "bike").await.is_empty(),
        "the old group is gone"
    );

    // Act: a broken edit (a member that is two words).
    std::fs::write(&file, "sepeda, sepeda motor, ontel\n").unwrap();
    until_reloads(&stack, "rejected", 1).await;

    // Assert: refused; the last good list stays in use.
    assert_eq!(found(&stack, "onthel").await, vec![id]);
    assert!(found(&stack, "ontel").await.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
