//! Cutting speech into chunks for whisper: speech regions (from the VAD) are
//! laid end to end, without the pauses between them, into chunks no longer
//! than the chunk length; a region longer than that (the VAD already splits
//! long speech at short pauses) is cut at its quietest 20 ms. Each chunk
//! remembers where its pieces came from, so times whisper gives on the
//! chunk map back to the recording's timeline. Chunks never overlap, so no
//! text is transcribed twice, and every piece of speech is in one.

use std::ops::Range;

/// Pieces of the recording, concatenated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Source ranges, in order.
    pub pieces: Vec<Range<usize>>,
}

impl Chunk {
    /// Samples in the chunk.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum()
    }

    /// Whether the chunk has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunk's audio.
    pub fn samples(&self, src: &[f32]) -> Vec<f32> {
        let mut v = Vec::with_capacity(self.len());
        for p in &self.pieces {
            v.extend_from_slice(&src[p.clone()]);
        }
        v
    }

    /// The index of the piece holding a position in the chunk (samples).
    pub fn piece_at(&self, at: usize) -> usize {
        let mut offset = 0;
        for (i, p) in self.pieces.iter().enumerate() {
            offset += p.len();
            if at < offset {
                return i;
            }
        }
        self.pieces.len().saturating_sub(1)
    }

    /// A position in the chunk (samples) on the recording's timeline. At a
    /// boundary between pieces, `start` positions map to the later piece
    /// (where speech resumes), end positions to the earlier one.
    pub fn to_source(&self, at: usize, start: bool) -> usize {
        let mut offset = 0;
        for (i, p) in self.pieces.iter().enumerate() {
            let end = offset + p.len();
            let last = i + 1 == self.pieces.len();
            if at < end || (at == end && (!start || last)) {
                return p.start + (at - offset);
            }
            offset = end;
        }
        self.pieces.last().map_or(at, |p| p.end)
    }
}

/// The middle of the quietest 20 ms window in `src[range]`, for cutting;
/// of equally quiet ones, the one nearest `prefer`.
fn quietest(src: &[f32], range: Range<usize>, prefer: usize) -> usize {
    const W: usize = 320;
    let mut best = (f32::MAX, usize::MAX, range.start + range.len() / 2);
    let mut at = range.start;
    while at + W <= range.end {
        let e: f32 = src[at..at + W].iter().map(|v| v * v).sum();
        let mid = at + W / 2;
        let distance = mid.abs_diff(prefer);
        if e < best.0 * 0.999 || (e <= best.0 * 1.001 && distance < best.1) {
            best = (e, distance, mid);
        }
        at += W / 2;
    }
    best.2
}

/// Splits regions longer than `target` at their quietest point within a
/// third of `target` of each cut, never leaving a piece over `max`.
fn split_long(
    src: &[f32],
    regions: &[Range<usize>],
    target: usize,
    max: usize,
) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(regions.len());
    for r in regions {
        let mut start = r.start;
        while r.end - start > max.min(target * 4 / 3) {
            let window = start + target * 2 / 3..(start + (target * 4 / 3).min(max)).min(r.end);
            let cut = quietest(src, window, start + target);
            out.push(start..cut);
            start = cut;
        }
        if r.end > start {
            out.push(start..r.end);
        }
    }
    out
}

/// Lays `regions` (sorted, disjoint) end to end into chunks of at most `max`
/// samples, of about equal length and, when there is more than one and they
/// run `workers` at a time, as many as keeps every worker busy to the end.
pub fn plan(src: &[f32], regions: &[Range<usize>], max: usize, workers: usize) -> Vec<Chunk> {
    let max = max.max(16_000);
    let speech: usize = regions.iter().map(|r| r.len()).sum();
    let workers = workers.max(1);
    let n = speech.div_ceil(max).max(1);
    // One chunk stays whole (a short clip is not split); more are made a
    // multiple of the workers.
    let n = if n > 1 {
        n.div_ceil(workers) * workers
    } else {
        n
    };
    let target = speech.div_ceil(n).clamp(16_000.min(max), max);
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current = Chunk { pieces: Vec::new() };
    for r in split_long(src, regions, target, max) {
        if !current.is_empty() && current.len() + r.len() > target {
            chunks.push(std::mem::replace(
                &mut current,
                Chunk { pieces: Vec::new() },
            ));
        }
        current.pieces.push(r);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_fill_chunks_without_overlap_or_loss() {
        let src = vec![0.1f32; 16_000 * 100];
        let regions = vec![
            0..80_000,
            100_000..200_000,
            300_000..700_000,
            800_000..816_000,
        ];
        let chunks = plan(&src, &regions, 320_000, 2);
        assert!(chunks.iter().all(|c| c.len() <= 320_000));
        let mut covered: Vec<Range<usize>> = chunks.iter().flat_map(|c| c.pieces.clone()).collect();
        covered.sort_by_key(|r| r.start);
        let total: usize = covered.iter().map(|r| r.len()).sum();
        assert_eq!(total, regions.iter().map(|r| r.len()).sum::<usize>());
        for w in covered.windows(2) {
            assert!(w[0].end <= w[1].start, "{covered:?}");
        }
    }

    #[test]
    fn chunks_come_in_multiples_of_the_workers() {
        let src = vec![0.1f32; 16_000 * 40];
        let speech = std::iter::once(0..16_000 * 35).collect::<Vec<_>>();
        let chunks = plan(&src, &speech, 16_000 * 12, 2);
        assert_eq!(chunks.len(), 4, "{chunks:?}");
        assert!(chunks.iter().all(|c| c.len() <= 16_000 * 12));
    }

    #[test]
    fn times_map_back_to_the_recording() {
        let c = Chunk {
            pieces: vec![1_000..2_000, 5_000..5_500],
        };
        assert_eq!(c.to_source(0, true), 1_000);
        assert_eq!(c.to_source(999, false), 1_999);
        assert_eq!(c.to_source(1_000, true), 5_000);
        assert_eq!(c.to_source(1_000, false), 2_000);
        assert_eq!(c.to_source(1_500, false), 5_500);
        assert_eq!(c.to_source(1_500, true), 5_500);
    }

    #[test]
    fn long_speech_is_cut_at_its_quietest_point() {
        let mut src: Vec<f32> = (0..16_000 * 50)
            .map(|i| (i as f32 * 0.1).sin() * 0.5)
            .collect();
        let quiet = 16_000 * 17;
        src[quiet..quiet + 640].iter_mut().for_each(|v| *v = 0.0);
        let all = std::iter::once(0..src.len()).collect::<Vec<_>>();
        let chunks = plan(&src, &all, 16_000 * 20, 1);
        assert!(chunks[0].len() <= 16_000 * 20);
        assert!(
            chunks[0].pieces[0].end.abs_diff(quiet + 320) <= 320,
            "{chunks:?}"
        );
    }
}
