-- Generic partitioned document store (runtime/storage/postgres_store.py)
-- depends:

CREATE TABLE portail_partitions (
    name text PRIMARY KEY
);

CREATE TABLE portail_documents (
    partition text NOT NULL,
    tbl text NOT NULL,
    id text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    doc jsonb NOT NULL,
    PRIMARY KEY (partition, tbl, id)
);

-- One Tiers per SIRET (the registry partition claims it first; this holds whatever the code does).
-- Demande numbers are unique in portail_demande_index (one row per demande): a demande document
-- may exist in two partitions for a moment while it moves (a Tiers-creation demande leaving
-- drafts/<account>), so the documents table cannot hold that constraint.
CREATE UNIQUE INDEX portail_documents_tiers_siret ON portail_documents ((doc->>'siret'))
    WHERE tbl = 'tiers' AND partition LIKE 'tiers/%' AND doc->>'siret' IS NOT NULL;

-- Uploaded files, in chunks (runtime/storage/pg_files.py)
CREATE TABLE portail_files (
    id text PRIMARY KEY,
    filename text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,
    sha256 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portail_file_chunks (
    file_id text NOT NULL REFERENCES portail_files (id) ON DELETE CASCADE,
    n integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (file_id, n)
);
