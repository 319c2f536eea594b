-- Events: one uploaded recording and where it is in the pipeline.
create table events (
    id          text primary key,
    status      text not null
                check (status in ('queued', 'transcribing', 'transcribed', 'failed', 'expired')),
    audio_path  text,
    audio_bytes integer,
    language    text,
    prompt      text,
    model       text,
    duration_ms integer,
    container   text,
    codec       text,
    error       text,
    created_at  integer not null,
    updated_at  integer not null
);
create index events_by_created on events (created_at desc, id desc);
create index events_by_status on events (status, created_at desc, id desc);

-- Transcripts: at most one per event; removed when expired.
create table transcripts (
    id           text primary key,
    event_id     text not null unique references events (id) on delete cascade,
    text         text not null,
    language     text,
    model        text not null,
    segments     text not null,
    inference_ms integer not null,
    created_at   integer not null,
    expires_at   integer not null
);
create index transcripts_by_expiry on transcripts (expires_at);

-- Jobs: the durable queue (see src/queue/).
create table jobs (
    id               integer primary key,
    kind             text not null check (kind in ('stt', 'extract')),
    state            text not null
                     check (state in ('available', 'running', 'completed', 'discarded', 'cancelled')),
    payload          text not null,
    priority         integer not null default 100,
    run_at           integer not null,
    attempts         integer not null default 0,
    max_attempts     integer not null check (max_attempts > 0),
    last_error       text,
    lease_owner      text,
    lease_expires_at integer,
    unique_key       text,
    created_at       integer not null,
    started_at       integer,
    finished_at      integer
);
-- The claim query: available jobs of some kinds, by priority, then due time.
create index jobs_claim on jobs (state, priority, run_at, id);
create index jobs_lease on jobs (lease_expires_at) where state = 'running';
create index jobs_finished on jobs (state, finished_at) where finished_at is not null;
create unique index jobs_unique_key on jobs (kind, unique_key)
    where unique_key is not null and state in ('available', 'running');
