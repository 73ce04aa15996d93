-- Each Idempotency-Key a client sent with a command, bound to the first request it came with
-- (a fingerprint of the request, never a secret): the same key with another request is refused
-- instead of being answered with the first one's outcome. The key also names the command's
-- event ids, so a retry with the same request lands once (see app/idempotency.rs).
CREATE TABLE idempotency_keys (
    action      text NOT NULL,
    owner_id    uuid NOT NULL,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (action, owner_id, key)
);
