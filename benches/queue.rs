//! Queue throughput on a real SQLite file, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set (`scripts/with-pg-s3 cargo bench --bench
//! queue`): enqueue, and claim + complete, in batches of 100 (one statement
//! claims a batch, one transaction completes it) and one job at a time.
//! Reported as jobs per second. Then, outside criterion, claim + complete
//! one at a time by one and by two worker processes (this binary started
//! again as a worker), printed as jobs per second for each backend.

use criterion::{criterion_group, Criterion, Throughput};
use std::time::Duration;
use susurro::queue::{EnqueueOptions, JobKind, Queue};

const BATCH: usize = 100;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn queue(url: &str) -> Queue {
    let pool = susurro::store::connect(url).await.unwrap();
    Queue::new(pool, Duration::from_secs(30))
}

/// The backends to measure: SQLite in `dir`, and PostgreSQL when set up.
fn backends(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut v = vec![(
        "sqlite",
        format!("sqlite://{}", dir.join("bench.db").display()),
    )];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        v.push(("postgres", url));
    }
    v
}

async fn enqueue_batch(q: &Queue) {
    let mut tx = q.pool().begin().await.unwrap();
    for i in 0..BATCH {
        q.enqueue_in(
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
    let dir = tempfile::tempdir().unwrap();
    for (name, url) in backends(dir.path()) {
        bench_on(c, name, &url);
    }
}

fn bench_on(c: &mut Criterion, backend: &str, url: &str) {
    let rt = rt();
    let q = rt.block_on(queue(url));
    rt.block_on(async {
        sqlx::query("delete from jobs")
            .execute(q.pool())
            .await
            .unwrap()
    });
    let mut g = c.benchmark_group(format!("queue_{backend}"));
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
    let mut g = c.benchmark_group(format!("queue_unbatched_{backend}"));
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

/// Worker-process mode: claims and completes one job at a time on
/// `WORKERS` tasks once told to start (a line on stdin), until the queue
/// is empty.
fn worker(url: &str) {
    use std::io::BufRead;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let q = rt.block_on(queue(url));
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..WORKERS)
            .map(|_| {
                let q = q.clone();
                tokio::spawn(async move {
                    let owner = format!("bench-{}", std::process::id());
                    while let Some(job) =
                        q.claim(&owner, &[JobKind::Extract], 1).await.unwrap().pop()
                    {
                        q.complete(&job.lease).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Claiming tasks per worker process.
const WORKERS: usize = 4;
/// Jobs per process run.
const JOBS: usize = 4000;

/// Jobs per second claimed and completed by `procs` worker processes.
fn processes(url: &str, procs: usize) -> f64 {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let rt = rt();
    let q = rt.block_on(queue(url));
    let mut children: Vec<_> = (0..procs)
        .map(|_| {
            let mut c = Command::new(std::env::current_exe().unwrap())
                .env("SUSURRO_BENCH_WORKER", url)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut ready = String::new();
            BufReader::new(c.stdout.as_mut().unwrap())
                .read_line(&mut ready)
                .unwrap();
            assert_eq!(ready.trim(), "ready");
            c
        })
        .collect();
    rt.block_on(async {
        sqlx::query("delete from jobs")
            .execute(q.pool())
            .await
            .unwrap();
        for _ in 0..JOBS / BATCH {
            enqueue_batch(&q).await;
        }
    });
    let start = std::time::Instant::now();
    for c in &mut children {
        writeln!(c.stdin.as_mut().unwrap(), "go").unwrap();
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let secs = start.elapsed().as_secs_f64();
    let done: i64 = rt.block_on(async {
        sqlx::query_scalar("select count(*) from jobs where state = 'completed'")
            .fetch_one(q.pool())
            .await
            .unwrap()
    });
    assert_eq!(done, JOBS as i64, "every job completed once");
    JOBS as f64 / secs
}

fn process_report() {
    let dir = tempfile::tempdir().unwrap();
    println!(
        "\nclaim + complete, one job at a time, {WORKERS} claiming tasks per worker process, {JOBS} jobs:"
    );
    for (name, url) in backends(dir.path()) {
        for procs in [1, 2] {
            let rate = processes(&url, procs);
            println!("  {name:<8} {procs} worker process(es): {rate:>8.0} jobs/s");
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(url) = std::env::var("SUSURRO_BENCH_WORKER") {
        return worker(&url);
    }
    println!("CPU: {}", susurro::stt::cpu::describe());
    benches();
    // `cargo test --benches` runs this binary in test mode: no process runs then.
    if !std::env::args().any(|a| a == "--test") {
        process_report();
    }
    Criterion::default().configure_from_args().final_summary();
}
