//! Subtitle renderings of a transcript: SRT and WebVTT.

use super::Segment;

fn stamp(ms: i64, sep: char) -> String {
    let ms = ms.max(0);
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}

/// SubRip: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`.
pub fn srt(segments: &[Segment]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            stamp(s.start_ms, ','),
            stamp(s.end_ms, ','),
            s.text.trim()
        ));
    }
    out
}

/// WebVTT: `WEBVTT` header, `HH:MM:SS.mmm --> HH:MM:SS.mmm` cues.
pub fn vtt(segments: &[Segment]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for s in segments {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            stamp(s.start_ms, '.'),
            stamp(s.end_ms, '.'),
            s.text.trim()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs() -> Vec<Segment> {
        vec![
            Segment {
                start_ms: 0,
                end_ms: 1500,
                text: " Hola.".into(),
                ..Default::default()
            },
            Segment {
                start_ms: 3_723_004,
                end_ms: 3_725_000,
                text: "deploy".into(),
                ..Default::default()
            },
        ]
    }

    #[test]
    fn srt_numbers_cues_and_uses_commas() {
        assert_eq!(
            srt(&segs()),
            "1\n00:00:00,000 --> 00:00:01,500\nHola.\n\n2\n01:02:03,004 --> 01:02:05,000\ndeploy\n\n"
        );
    }

    #[test]
    fn vtt_has_header_and_dots() {
        let v = vtt(&segs());
        assert!(v.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHola.\n"));
    }
}
