//! The `susurro` command line: `serve` (default), `transcribe`, `models`.

use crate::config::{Language, Settings};
use crate::models::import::{import, ImportOptions, Quantize};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "susurro",
    version,
    about = "Self-hosted speech-to-text job service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP API and workers (the default).
    Serve,
    /// Transcribe one file and print the result (no server).
    Transcribe {
        file: PathBuf,
        /// Model name (file ggml-<name>.bin in WHISPER_MODELS_DIR).
        #[arg(long)]
        model: Option<String>,
        /// es, en, … or auto.
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        threads: Option<usize>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Initial prompt (terms, context).
        #[arg(long)]
        prompt: Option<String>,
    },
    /// Decode and resample a file to 16 kHz mono (no transcription); prints
    /// what was found and how long it took, as JSON.
    Decode { file: PathBuf },
    /// Manage whisper models.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
}

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// List catalog and installed models.
    List,
    /// Download a catalog model (verified, resumable).
    Pull { name: String },
    /// Delete an installed model.
    Rm { name: String },
    /// Import a CTranslate2 (faster-whisper) model directory.
    Import {
        dir: PathBuf,
        /// Name of the imported model (default: from its size, e.g. base or tiny.en).
        #[arg(long)]
        name: Option<String>,
        /// Quantize weight matrices (q8_0).
        #[arg(long)]
        quantize: Option<Quantize>,
        /// Overwrite an existing model of that name.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Srt,
    Vtt,
}

/// Runs the parsed command.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = crate::app::App::build(settings).await?;
            app.run_until_stopped(crate::app::shutdown_signal()).await
        }
        Command::Transcribe {
            file,
            model,
            language,
            threads,
            format,
            prompt,
        } => {
            let name = model.unwrap_or_else(|| settings.model.clone());
            let language = match language {
                Some(l) => Language::parse(&l).map_err(anyhow::Error::msg)?,
                None => settings.language.clone(),
            };
            let opts = crate::stt::TranscribeOptions {
                language,
                prompt,
                threads: threads.unwrap_or(settings.threads),
                translate: false,
                window: settings.window,
                trim_silence: settings.trim_silence,
            };
            let max = settings.max_audio_seconds;
            let dir = settings.models_dir.clone();
            let (glossary, initial) = (settings.glossary.clone(), settings.initial_prompt.clone());
            let flash = settings.flash_attn;
            let t = tokio::task::spawn_blocking(
                move || -> anyhow::Result<crate::stt::Transcription> {
                    let audio = crate::audio::decode_file(&file, max)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    let engine = crate::stt::Engine::new(dir).with_flash_attn(flash);
                    let model = engine.model(&name)?;
                    let mut opts = opts;
                    opts.prompt = crate::stt::prompt::build(
                        &glossary,
                        initial.as_deref(),
                        opts.prompt.as_deref(),
                        |p| model.fits_prompt(p),
                    );
                    let never = std::sync::atomic::AtomicBool::new(false);
                    let progress = std::sync::atomic::AtomicI32::new(0);
                    Ok(crate::stt::engine_transcribe(
                        &model,
                        &audio.samples,
                        &opts,
                        &never,
                        &progress,
                    )?)
                },
            )
            .await??;
            match format {
                Format::Text => println!("{}", t.text),
                Format::Json => println!("{}", serde_json::to_string_pretty(&t)?),
                Format::Srt => print!("{}", crate::stt::format::srt(&t.segments)),
                Format::Vtt => print!("{}", crate::stt::format::vtt(&t.segments)),
            }
            Ok(())
        }
        Command::Decode { file } => {
            let max = settings.max_audio_seconds;
            let started = std::time::Instant::now();
            let d = tokio::task::spawn_blocking(move || crate::audio::decode_file(&file, max))
                .await??;
            let decode_ms = started.elapsed().as_secs_f64() * 1000.0;
            let report = serde_json::json!({
                "container": d.info.container,
                "codec": d.info.codec,
                "sample_rate": d.info.sample_rate,
                "channels": d.info.channels,
                "duration_ms": d.duration_ms,
                "samples_16k": d.samples.len(),
                "corrupt_packets": d.corrupt_packets,
                "decode_ms": decode_ms,
                "x_real_time": d.duration_ms as f64 / decode_ms.max(1e-6),
            });
            println!("{report}");
            Ok(())
        }
        Command::Models { command } => match command {
            ModelsCommand::List => {
                let m = manager(&settings)?;
                println!("{:<22} {:>10}  STATUS", "NAME", "SIZE");
                for v in m.list() {
                    let size = match (v.size_on_disk, v.approx_mb) {
                        (Some(b), _) => format!("{:.1} MB", b as f64 / 1e6),
                        (None, Some(mb)) => format!("~{mb} MB"),
                        (None, None) => "-".into(),
                    };
                    let mut status = vec![if v.downloaded {
                        "installed"
                    } else {
                        "available"
                    }];
                    if v.imported {
                        status.push("imported");
                    }
                    if v.sha1_verified {
                        status.push("verified");
                    }
                    if v.active {
                        status.push("active");
                    }
                    println!("{:<22} {:>10}  {}", v.name, size, status.join(", "));
                }
                Ok(())
            }
            ModelsCommand::Pull { name } => {
                let m = std::sync::Arc::new(manager(&settings)?);
                let task = {
                    let (m, name) = (m.clone(), name.clone());
                    tokio::spawn(async move { m.pull(&name).await })
                };
                while !task.is_finished() {
                    if let Some(p) = m.downloads.progress_of(&name) {
                        let total = p
                            .bytes_total
                            .map_or("?".into(), |t| format!("{:.1}", t as f64 / 1e6));
                        eprint!(
                            "\r{name}: {:.1} / {total} MB at {:.1} MB/s   ",
                            p.bytes_done as f64 / 1e6,
                            p.bytes_per_second as f64 / 1e6
                        );
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                }
                eprintln!();
                let path = task.await??;
                println!("downloaded and verified {name} → {}", path.display());
                Ok(())
            }
            ModelsCommand::Rm { name } => {
                manager(&settings)?.delete(&name, false).await?;
                println!("deleted {name}");
                Ok(())
            }
            ModelsCommand::Import {
                dir,
                name,
                quantize,
                force,
            } => {
                let dest = settings.models_dir.clone();
                let opts = ImportOptions {
                    name,
                    quantize,
                    force,
                };
                let report =
                    tokio::task::spawn_blocking(move || import(&dir, &dest, &opts)).await??;
                println!(
                    "imported {} → {} ({} tensors, {:.1} MB)",
                    report.name,
                    report.path.display(),
                    report.tensors,
                    report.bytes as f64 / 1e6
                );
                Ok(())
            }
        },
    }
}

fn manager(settings: &Settings) -> anyhow::Result<crate::models::ModelManager> {
    let catalog = crate::models::catalog::Catalog::load(
        &settings.models_base_url,
        settings.models_catalog.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!("WHISPER_MODELS_CATALOG: {e}"))?;
    let engine = std::sync::Arc::new(crate::stt::Engine::with_active(
        settings.models_dir.clone(),
        &settings.model,
        1,
    ));
    Ok(crate::models::ModelManager::new(
        catalog,
        engine,
        settings.models_dir.clone(),
        settings.auto_download,
    ))
}
