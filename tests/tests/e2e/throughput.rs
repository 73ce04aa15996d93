//! The short forms of `pasar-bench queries` and `pasar-bench commands`: the same code paths
//! over a small catalog for a second, with no error allowed.

use std::sync::Arc;
use std::time::Duration;

use pasar_tests::bench::{commands, list, load};
use pasar_tests::stack::Stack;

fn quiet() -> [(&'static str, &'static str); 2] {
    [("RAJAONGKIR_URL", ""), ("RAJAONGKIR_API_KEY", "")]
}

#[tokio::test]
async fn the_product_list_benchmark_runs_in_its_short_form() {
    let stack = Arc::new(Stack::start_with(&quiet()).await.unwrap());
    let catalog = list::seed(&stack, 60).await.unwrap();
    assert_eq!(catalog.products.len(), 60);
    let run = list::run(&stack, &catalog, 4, Duration::from_secs(1)).await;
    load::print("product list, short form", &run);
    for class in &run.classes {
        assert!(class.requests > 0, "no {} page was answered", class.name);
        assert_eq!(class.errors, 0, "{}: {:?}", class.name, class.first_error);
    }
    let rss = load::rss(&stack);
    assert!(rss.iter().all(|(_, mb)| *mb > 0.0), "{rss:?}");
}

#[tokio::test]
async fn the_command_benchmark_runs_in_its_short_form() {
    let stack = Arc::new(Stack::start_with(&quiet()).await.unwrap());
    let loads = commands::run(&stack, 4, Duration::from_secs(1))
        .await
        .unwrap();
    commands::print(&loads);
    assert_eq!(loads.len(), commands::KINDS.len());
    for (kind, load) in loads.iter().enumerate() {
        let class = &load.classes[kind];
        assert!(class.requests > 0, "no {} was answered", class.name);
        assert_eq!(load.errors(), 0, "{}: {:?}", class.name, class.first_error);
    }
}
