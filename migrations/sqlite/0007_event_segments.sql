-- Segments of an event being transcribed, in timeline order (seq from 1), as
-- soon as they and everything before them are done: what
-- GET /api/events/{id}/stream sends, from any node. Removed when the
-- transcript is stored (it holds the same segments).
create table event_segments (
    event_id text not null references events (id) on delete cascade,
    seq      integer not null check (seq > 0),
    start_ms integer not null,
    end_ms   integer not null,
    text     text not null,
    primary key (event_id, seq)
);
