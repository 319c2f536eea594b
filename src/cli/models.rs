//! `susurro models`: list, pull (with a progress bar), rm, import.

use crate::config::Settings;
use crate::jobs::ModelManager;
use crate::models::import::silero::{import_silero, parse_version};
use crate::models::import::{import, ImportOptions, Quantize};
use crate::models::name::ModelName;
use clap::Subcommand;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// List catalog and installed models.
    List,
    /// Download a catalog model (verified, resumable).
    Pull { name: String },
    /// Delete an installed model.
    Rm { name: String },
    /// Import a CTranslate2 (faster-whisper) model directory, or Silero VAD
    /// weights (`silero_vad_16k.safetensors` from the `silero-vad` wheel).
    Import {
        dir: PathBuf,
        /// Name of the imported model (default: from its size, e.g. base or
        /// tiny.en; silero-v<version> for VAD weights).
        #[arg(long)]
        name: Option<String>,
        /// Quantize weight matrices (q8_0, q5_0, q4_0).
        #[arg(long)]
        quantize: Option<Quantize>,
        /// Overwrite an existing model of that name.
        #[arg(long)]
        force: bool,
        /// Version of the silero-vad wheel the weights came from: recorded in
        /// the header and the default name (silero-v<version>).
        #[arg(long, default_value = "6.2.3")]
        silero_version: String,
    },
}

pub async fn run(command: ModelsCommand, settings: &Settings) -> anyhow::Result<()> {
    match command {
        ModelsCommand::List => list(settings),
        ModelsCommand::Pull { name } => pull(settings, &ModelName::parse(&name)?).await,
        ModelsCommand::Rm { name } => {
            let name = ModelName::parse(&name)?;
            manager(settings)?.delete(&name, false).await?;
            println!("deleted {name}");
            Ok(())
        }
        ModelsCommand::Import {
            dir,
            name,
            quantize,
            force,
            silero_version,
        } => {
            let dest = settings.models.dir.clone();
            if dir.extension().is_some_and(|e| e == "safetensors") {
                let version = parse_version(&silero_version).map_err(anyhow::Error::msg)?;
                let name = name.unwrap_or_else(|| format!("silero-v{silero_version}"));
                let import = move || import_silero(&dir, &dest, &name, version, force);
                let r = with_spinner("importing VAD weights", import).await?;
                println!(
                    "imported VAD model {} → {} ({} tensors, {:.1} KB)",
                    r.name,
                    r.path.display(),
                    r.tensors,
                    r.bytes as f64 / 1e3
                );
                return Ok(());
            }
            let opts = ImportOptions {
                name,
                quantize,
                force,
            };
            let r = with_spinner("importing", move || import(&dir, &dest, &opts)).await?;
            println!(
                "imported {} → {} ({} tensors, {:.1} MB)",
                r.name,
                r.path.display(),
                r.tensors,
                r.bytes as f64 / 1e6
            );
            Ok(())
        }
    }
}

fn list(settings: &Settings) -> anyhow::Result<()> {
    let m = manager(settings)?;
    println!("{:<22} {:>10}  STATUS", "NAME", "SIZE");
    for v in m.list() {
        let size = match (v.size_on_disk, v.approx_mb) {
            (Some(b), _) => format!("{:.1} MB", b as f64 / 1e6),
            (None, Some(mb)) => format!("~{mb} MB"),
            (None, None) => "-".into(),
        };
        let flags = [
            (v.imported, "imported"),
            (v.sha1_verified, "verified"),
            (v.active, "active"),
        ];
        let mut status = vec![if v.downloaded {
            "installed"
        } else {
            "available"
        }];
        status.extend(flags.iter().filter(|(on, _)| *on).map(|(_, s)| *s));
        println!("{:<22} {:>10}  {}", v.name, size, status.join(", "));
    }
    Ok(())
}

/// Downloads with a byte progress bar on stderr.
async fn pull(settings: &Settings, name: &ModelName) -> anyhow::Result<()> {
    let m = Arc::new(manager(settings)?);
    let task = {
        let (m, name) = (m.clone(), name.clone());
        tokio::spawn(async move { m.pull(&name).await })
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(name.to_string());
    while !task.is_finished() {
        if let Some(p) = m.downloads.progress_of(name) {
            bar.set_length(p.bytes_total.unwrap_or(p.bytes_done));
            bar.set_position(p.bytes_done);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    bar.finish_and_clear();
    let path = task.await??;
    println!("downloaded and verified {name} → {}", path.display());
    Ok(())
}

/// Runs blocking `work` with a spinner on stderr.
async fn with_spinner<T: Send + 'static, E: Send + 'static + Into<anyhow::Error>>(
    message: &'static str,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> anyhow::Result<T> {
    let spinner = indicatif::ProgressBar::new_spinner().with_message(message);
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let r = tokio::task::spawn_blocking(work).await?;
    spinner.finish_and_clear();
    r.map_err(Into::into)
}

fn manager(settings: &Settings) -> anyhow::Result<ModelManager> {
    let catalog = crate::models::catalog::Catalog::load(
        &settings.models.base_url,
        settings.models.catalog.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!("WHISPER_MODELS_CATALOG: {e}"))?;
    let engine = Arc::new(crate::stt::Engine::with_active(
        settings.models.dir.clone(),
        &settings.models.active,
        1,
    ));
    Ok(ModelManager::new(
        catalog,
        engine,
        settings.models.dir.clone(),
        settings.models.auto_download,
    ))
}
