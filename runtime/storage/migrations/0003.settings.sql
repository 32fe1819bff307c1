-- Settings shared by every app server (the session secret key when none is configured)
-- depends: 0002.demande_index

CREATE TABLE portail_settings (
    key text PRIMARY KEY,
    value text NOT NULL
);
