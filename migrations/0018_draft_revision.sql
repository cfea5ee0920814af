-- A proposal's content revision: every save of its clauses and metadata bumps it, and a
-- save made against an older revision is refused (409) instead of silently overwriting
-- what another person of the applicant saved in between.
ALTER TABLE standard_drafts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
