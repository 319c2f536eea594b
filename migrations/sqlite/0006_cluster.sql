-- Nodes: every running service process, with its heartbeat (GET /api/admin/nodes).
create table nodes (
    id           text primary key,
    address      text not null,
    started_at   integer not null,
    heartbeat_at integer not null,
    slots        integer not null,
    -- What the node's workers should be doing; the node follows it.
    workers      text not null default 'running' check (workers in ('running', 'stopped')),
    -- The model it transcribes new jobs with.
    model        text not null
);
create index nodes_by_heartbeat on nodes (heartbeat_at);

-- Settings every node follows (the active model).
create table cluster_settings (
    key        text primary key check (key in ('active_model')),
    value      text not null,
    updated_at integer not null
);
