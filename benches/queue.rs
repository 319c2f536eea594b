//! Queue throughput on a real SQLite file: enqueue, and claim + complete,
//! in batches of 100 (one statement claims a batch, one transaction
//! completes it). Reported as jobs per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use susurro::queue::{EnqueueOptions, JobKind, Queue};

const BATCH: usize = 100;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn queue(dir: &std::path::Path) -> Queue {
    let pool = susurro::store::connect(&format!("sqlite://{}", dir.join("bench.db").display()))
        .await
        .unwrap();
    Queue::new(pool, Duration::from_secs(30))
}

async fn enqueue_batch(q: &Queue) {
    let mut tx = q.pool().begin().await.unwrap();
    for i in 0..BATCH {
        Queue::enqueue_in(
            &mut tx,
            JobKind::Extract,
            &serde_json::json!({ "i": i }),
            &EnqueueOptions::default(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

fn bench(c: &mut Criterion) {
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let q = rt.block_on(queue(dir.path()));
    let mut g = c.benchmark_group("queue");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function("enqueue_batch_100", |b| {
        b.iter(|| rt.block_on(enqueue_batch(&q)))
    });
    g.bench_function("claim_complete_batch_100", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                for _ in 0..iters {
                    enqueue_batch(&q).await;
                }
                let start = std::time::Instant::now();
                for _ in 0..iters {
                    let jobs = q.claim("bench", &[JobKind::Extract], BATCH).await.unwrap();
                    let leases: Vec<_> = jobs.into_iter().map(|j| j.lease).collect();
                    assert!(q.complete_many(&leases).await.unwrap().is_empty());
                }
                start.elapsed()
            })
        })
    });
    g.finish();
    let mut g = c.benchmark_group("queue_unbatched");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function("claim_complete_single", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                for _ in 0..iters.div_ceil(BATCH as u64) {
                    enqueue_batch(&q).await;
                }
                let start = std::time::Instant::now();
                for _ in 0..iters {
                    let job = q
                        .claim("bench", &[JobKind::Extract], 1)
                        .await
                        .unwrap()
                        .remove(0);
                    q.complete(&job.lease).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
