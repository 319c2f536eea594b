//! `susurro transcribe` and `susurro decode`: the service's own decode and
//! transcription path on one file, no server.

use super::Format;
use crate::config::Settings;
use crate::models::name::ModelName;
use crate::progress::Progress;
use crate::stt::{Engine, Language};
use std::path::PathBuf;
use std::sync::Arc;

/// `susurro transcribe`'s arguments.
pub struct Args {
    pub file: PathBuf,
    pub model: Option<String>,
    pub language: Option<String>,
    pub threads: Option<usize>,
    pub format: Format,
    pub prompt: Option<String>,
}

pub async fn run(a: Args, settings: Settings) -> anyhow::Result<()> {
    let model = match a.model {
        Some(m) => ModelName::parse(&m)?,
        None => settings.models.active.clone(),
    };
    let language = match a.language {
        Some(l) => Language::parse(&l).map_err(anyhow::Error::msg)?,
        None => settings.language.clone(),
    };
    // One file: every core, unless WHISPER_THREADS or --threads says otherwise.
    let threads = a
        .threads
        .or(settings.worker.threads)
        .unwrap_or_else(crate::config::available_cores);
    let engine = Arc::new(
        Engine::new(settings.models.dir.clone()).with_flash_attn(settings.models.flash_attn),
    );
    let progress = Arc::new(Progress::default());
    let work = {
        let progress = progress.clone();
        let (file, prompt) = (a.file, a.prompt);
        tokio::task::spawn_blocking(move || {
            let req = crate::jobs::FileRequest {
                path: &file,
                model: &model,
                language,
                prompt: prompt.as_deref(),
                translate: false,
                threads,
                deadline: None,
            };
            let never = std::sync::atomic::AtomicBool::new(false);
            crate::jobs::transcribe_file(&engine, &settings.transcribe, &req, &never, &progress)
                .map_err(|e| anyhow::anyhow!("{}: {e}", req.path.display()))
        })
    };
    let t = show_chunks(work, &progress).await??.0;
    match a.format {
        Format::Text => println!("{}", t.text),
        Format::Json => println!("{}", serde_json::to_string_pretty(&t)?),
        Format::Srt => print!("{}", crate::stt::format::srt(&t.segments)),
        Format::Vtt => print!("{}", crate::stt::format::vtt(&t.segments)),
    }
    Ok(())
}

/// Waits for `work`, with a progress bar of chunks on stderr when there are
/// several (hidden when stderr is not a terminal).
async fn show_chunks<T>(
    mut work: tokio::task::JoinHandle<T>,
    progress: &Progress,
) -> Result<T, tokio::task::JoinError> {
    let bar = indicatif::ProgressBar::hidden();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "transcribing {bar:30} chunk {pos}/{len} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    loop {
        tokio::select! {
            r = &mut work => {
                bar.finish_and_clear();
                return r;
            }
            _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {
                let (done, total) = progress.steps();
                if total > 1 && bar.is_hidden() {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                }
                bar.set_length(u64::from(total));
                bar.set_position(u64::from(done));
            }
        }
    }
}

pub async fn decode(file: PathBuf, settings: &Settings) -> anyhow::Result<()> {
    let max = settings.transcribe.max_audio_seconds;
    let started = std::time::Instant::now();
    let d = tokio::task::spawn_blocking(move || crate::audio::decode_file(&file, max)).await??;
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
