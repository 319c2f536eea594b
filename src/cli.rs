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
    /// Import a CTranslate2 (faster-whisper) model directory, or Silero VAD
    /// weights (`silero_vad_16k.safetensors` from the `silero-vad` wheel).
    Import {
        dir: PathBuf,
        /// Name of the imported model (default: from its size, e.g. base or
        /// tiny.en; silero-v<version> for VAD weights).
        #[arg(long)]
        name: Option<String>,
        /// Quantize weight matrices (q8_0).
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
            // One file: every core, unless WHISPER_THREADS or --threads says otherwise.
            let threads = threads.unwrap_or(if std::env::var_os("WHISPER_THREADS").is_some() {
                settings.threads
            } else {
                crate::config::available_cores()
            });
            let engine = std::sync::Arc::new(
                crate::stt::Engine::new(settings.models_dir.clone())
                    .with_flash_attn(settings.flash_attn),
            );
            let progress = std::sync::Arc::new(crate::progress::Progress::default());
            let work = {
                let (engine, progress) = (engine.clone(), progress.clone());
                tokio::task::spawn_blocking(move || {
                    let req = crate::jobs::FileRequest {
                        path: &file,
                        model: &name,
                        language,
                        prompt: prompt.as_deref(),
                        translate: false,
                        threads,
                    };
                    let never = std::sync::atomic::AtomicBool::new(false);
                    crate::jobs::transcribe_file(&engine, &settings, &req, &never, &progress)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", req.path.display()))
                })
            };
            let t = show_progress(work, &progress).await??.0;
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
                silero_version,
            } => {
                let dest = settings.models_dir.clone();
                if dir.extension().is_some_and(|e| e == "safetensors") {
                    let version = crate::models::import::silero::parse_version(&silero_version)
                        .map_err(anyhow::Error::msg)?;
                    let name = name.unwrap_or_else(|| format!("silero-v{silero_version}"));
                    let report = tokio::task::spawn_blocking(move || {
                        crate::models::import::silero::import_silero(
                            &dir, &dest, &name, version, force,
                        )
                    })
                    .await??;
                    println!(
                        "imported VAD model {} → {} ({} tensors, {:.1} KB)",
                        report.name,
                        report.path.display(),
                        report.tensors,
                        report.bytes as f64 / 1e3
                    );
                    return Ok(());
                }
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

/// Waits for `work`, showing chunks done on stderr when there are several.
async fn show_progress<T>(
    mut work: tokio::task::JoinHandle<T>,
    progress: &crate::progress::Progress,
) -> Result<T, tokio::task::JoinError> {
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    loop {
        tokio::select! {
            r = &mut work => {
                if tty && progress.steps().1 > 1 {
                    eprintln!();
                }
                return r;
            }
            _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                let (done, total) = progress.steps();
                if tty && total > 1 {
                    eprint!("\rtranscribing: chunk {done} of {total}   ");
                }
            }
        }
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
