-- What an admin changed about an account that its access tokens cannot know (suspension,
-- role), read by every service's `pasar_service::access::AccessList` and checked on each
-- request. Written by the admin use cases right after their events (app/access.rs) and again
-- by the `account-access` processor from the log, each time with the customer stream's
-- version, so a late or repeated write never undoes a newer one. A row exists only for an
-- account an admin acted on (or a promoted first admin); `role` is its current role.
CREATE TABLE account_access (
    customer_id    uuid PRIMARY KEY,
    suspended      boolean NOT NULL,
    role           text NOT NULL,
    stream_version bigint NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now()
);
