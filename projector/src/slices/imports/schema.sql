-- Tables of one version of the `imports` projection, created in its schema (`rm_imports_v<n>`).
-- One row per CSV import with its progress, and one row per reported line.

CREATE TABLE imports (
    id             uuid PRIMARY KEY,
    owner_id       uuid NOT NULL,
    status         text NOT NULL CHECK (status IN ('queued', 'running', 'done')),
    total_rows     integer NOT NULL,
    processed      integer NOT NULL DEFAULT 0,
    created        integer NOT NULL DEFAULT 0,
    updated        integer NOT NULL DEFAULT 0,
    unchanged      integer NOT NULL DEFAULT 0,
    rejected       integer NOT NULL DEFAULT 0,
    requested_at   timestamptz NOT NULL,
    started_at     timestamptz,
    completed_at   timestamptz,
    -- Events are applied only when they advance this (delivery is at least once).
    stream_version bigint NOT NULL
);

CREATE TABLE import_lines (
    import_id  uuid NOT NULL,
    line       integer NOT NULL,
    sku        text NOT NULL,
    outcome    text NOT NULL CHECK (outcome IN ('created', 'updated', 'unchanged', 'rejected')),
    product_id uuid,
    reasons    jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (import_id, line)
);
