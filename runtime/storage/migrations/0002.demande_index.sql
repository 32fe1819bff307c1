-- The staff summary index of transmitted demandes as SQL (runtime/storage/pg_index.py)
-- depends: 0001.documents

CREATE TABLE portail_demande_index (
    id text PRIMARY KEY,
    numero text,
    teleservice text NOT NULL,
    tiers_id text,
    statut text NOT NULL,
    transmitted_at text NOT NULL,
    search text NOT NULL DEFAULT '',
    row jsonb NOT NULL
);

CREATE UNIQUE INDEX portail_demande_index_numero ON portail_demande_index (numero) WHERE numero IS NOT NULL;
CREATE INDEX portail_demande_index_listing ON portail_demande_index (transmitted_at DESC, id DESC);
CREATE INDEX portail_demande_index_teleservice ON portail_demande_index (teleservice, transmitted_at DESC, id DESC);
CREATE INDEX portail_demande_index_teleservice_statut
    ON portail_demande_index (teleservice, statut, transmitted_at DESC, id DESC);
CREATE INDEX portail_demande_index_statut ON portail_demande_index (statut, transmitted_at DESC, id DESC);
CREATE INDEX portail_demande_index_tiers ON portail_demande_index (tiers_id, transmitted_at DESC);

-- Exact counters per téléservice and status, kept by a trigger in the same transaction as the rows.
CREATE TABLE portail_demande_counts (
    teleservice text NOT NULL,
    statut text NOT NULL,
    n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (teleservice, statut)
);

CREATE FUNCTION portail_demande_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE portail_demande_counts SET n = n - 1
            WHERE teleservice = OLD.teleservice AND statut = OLD.statut;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO portail_demande_counts (teleservice, statut, n) VALUES (NEW.teleservice, NEW.statut, 1)
            ON CONFLICT (teleservice, statut) DO UPDATE SET n = portail_demande_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER portail_demande_count AFTER INSERT OR DELETE OR UPDATE OF teleservice, statut
    ON portail_demande_index FOR EACH ROW EXECUTE FUNCTION portail_demande_count();

-- Text search: words folded in Python (accents, case) into "search"; a trigram index makes
-- LIKE '%mot%' an index scan when pg_trgm can be installed, else a sequential filter.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm indisponible : recherche textuelle sans index trigramme';
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX portail_demande_index_search ON portail_demande_index '
                'USING gin (search gin_trgm_ops)';
    END IF;
END $$;
