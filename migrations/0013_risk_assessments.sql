-- Corrosion risk of equipment items.
--
-- The rest of the risk model's inputs (hydrofluoric acid, HCl normality, chlorine gas,
-- methanol service …) are kept as one JSON object by the model's input names, checked
-- by the risk engine; the consequence of a failure is said either as a category A-E or
-- by the medium's hazard, the people nearby and the cost of a failure
-- (refdata/risk_consequence.json).
ALTER TABLE equipment ADD COLUMN service_conditions TEXT;
ALTER TABLE equipment ADD COLUMN medium_hazard TEXT;
ALTER TABLE equipment ADD COLUMN people_nearby TEXT;
ALTER TABLE equipment ADD COLUMN failure_cost_usd DOUBLE PRECISION;
ALTER TABLE equipment ADD COLUMN consequence_category TEXT;

-- Every assessment an item ever had, the current one flagged. A row is written when an
-- item is registered, when a change of its conditions changes its result, and when a new
-- rule set changes it. `risk_grade` is null while the consequence of a failure is not
-- known (the probability side is still assessed). `result` is the engine's whole answer.
CREATE TABLE risk_assessments (
    id TEXT PRIMARY KEY,
    equipment_id TEXT NOT NULL REFERENCES equipment (id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    assessed_at TEXT NOT NULL,
    assessed_by TEXT,
    reason TEXT NOT NULL,
    changes TEXT,
    equipment_version BIGINT NOT NULL,
    rule_set_version TEXT NOT NULL,
    rule_set_sha256 TEXT NOT NULL,
    consequence_sha256 TEXT NOT NULL,
    risk_grade TEXT,
    pof_category BIGINT NOT NULL,
    cof_category TEXT,
    worst_mechanism TEXT,
    worst_susceptibility TEXT NOT NULL,
    mechanisms TEXT NOT NULL,
    incomplete BIGINT NOT NULL CHECK (incomplete IN (0, 1)),
    result TEXT NOT NULL,
    is_current BIGINT NOT NULL CHECK (is_current IN (0, 1))
);
CREATE INDEX risk_assessments_item_idx ON risk_assessments (equipment_id, assessed_at);
-- One current assessment per item: two writers racing on an item cannot both win.
CREATE UNIQUE INDEX risk_assessments_current_key ON risk_assessments (equipment_id) WHERE is_current = 1;
CREATE INDEX risk_assessments_org_idx ON risk_assessments (org_id, is_current);
