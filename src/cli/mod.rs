//! The `susurro` command line: `serve` (the default), `transcribe`,
//! `decode`, `models`. Every setting is also a flag of every command (see
//! `susurro serve --help`).

mod models;
mod transcribe;

use crate::config::{Settings, SettingsArgs};
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
    #[command(flatten)]
    pub settings: SettingsArgs,
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
        /// Threads (default: WHISPER_THREADS when set, else every core).
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
        command: models::ModelsCommand,
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
pub async fn run(command: Option<Command>, settings: Settings) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve) {
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
            let args = transcribe::Args {
                file,
                model,
                language,
                threads,
                format,
                prompt,
            };
            transcribe::run(args, settings).await
        }
        Command::Decode { file } => transcribe::decode(file, &settings).await,
        Command::Models { command } => models::run(command, &settings).await,
    }
}
