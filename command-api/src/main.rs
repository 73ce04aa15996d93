use pasar_command_api::{Config, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    pasar_service::runtime::init_tracing();
    let config = Config::from_env()?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    run(config, listener, pasar_service::shutdown_signal()).await
}
