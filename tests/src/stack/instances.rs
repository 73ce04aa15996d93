//! More instances of a service on the same database and NATS (scale-out tests): each on its
//! own address, a query API with its own search index.

use uuid::Uuid;

use super::{Stack, free_port};

impl Stack {
    /// Starts another instance of the service binary `name` (`command-api`, `query-api`,
    /// `projector`) as the child called `label`, and returns its base URL once it is ready.
    /// [`Stack::kill`] and [`Stack::pid`] take the label.
    pub async fn start_instance(&mut self, name: &str, label: &str) -> anyhow::Result<String> {
        self.start_instance_with(name, label, &[]).await
    }

    /// Like [`Stack::start_instance`] with extra environment (e.g. `QUERY_DATABASE_URL`).
    pub async fn start_instance_with(
        &mut self,
        name: &str,
        label: &str,
        extra_env: &[(&'static str, String)],
    ) -> anyhow::Result<String> {
        let port = free_port();
        let addr_key = match name {
            "command-api" => "COMMAND_API_ADDR",
            "query-api" => "QUERY_API_ADDR",
            _ => "PROJECTOR_ADDR",
        };
        let mut env = self.env.clone();
        env.push((addr_key, format!("127.0.0.1:{port}")));
        if name == "query-api" {
            let index = std::env::temp_dir().join(format!(
                "pasar-e2e-search-{label}-{}",
                Uuid::new_v4().simple()
            ));
            env.push(("SEARCH_INDEX_DIR", index.to_string_lossy().into_owned()));
            self.scratch.push(index);
        }
        env.extend_from_slice(extra_env);
        self.spawn_as(label, name, &env)?;
        let url = format!("http://127.0.0.1:{port}");
        self.wait_ready(&url).await?;
        Ok(url)
    }

    /// The `pasar_processor_active` gauges a service reports on `/metrics`: (processor, active).
    pub async fn active_processors(&self, base_url: &str) -> Vec<(String, bool)> {
        let Ok(response) = self.http.get(format!("{base_url}/metrics")).send().await else {
            return Vec::new();
        };
        let text = response.text().await.unwrap_or_default();
        text.lines()
            .filter_map(|line| line.strip_prefix("pasar_processor_active{"))
            .filter_map(|rest| {
                let (labels, value) = rest.split_once("} ")?;
                let name = labels.split("processor=\"").nth(1)?.split('"').next()?;
                Some((name.to_owned(), value.trim() == "1"))
            })
            .collect()
    }
}
