-- Equipment registry. Operating-condition columns carry the risk model's input names and
-- units (refdata/risk_model.json): temperature_c, ph, chloride_mg_l, fluoride_mg_l,
-- velocity_m_s, galvanic_partner, cp_potential_v_sce, crevice_present, deposits_present.

CREATE TABLE equipment (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    level TEXT NOT NULL,
    park_id TEXT REFERENCES organizations (id),
    tag TEXT NOT NULL,
    name TEXT NOT NULL,
    equipment_type TEXT NOT NULL,
    grade TEXT NOT NULL,
    manufacturer_org_id TEXT REFERENCES organizations (id),
    manufacturer_name TEXT,
    commissioned_on TEXT,
    process_medium TEXT,
    location TEXT,
    temperature_c DOUBLE PRECISION,
    pressure_mpa DOUBLE PRECISION,
    chloride_mg_l DOUBLE PRECISION,
    fluoride_mg_l DOUBLE PRECISION,
    ph DOUBLE PRECISION,
    velocity_m_s DOUBLE PRECISION,
    galvanic_partner TEXT,
    cathodic_protection BIGINT CHECK (cathodic_protection IN (0, 1)),
    cp_potential_v_sce DOUBLE PRECISION,
    crevice_present BIGINT CHECK (crevice_present IN (0, 1)),
    deposits_present BIGINT CHECK (deposits_present IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    version BIGINT NOT NULL,
    CONSTRAINT equipment_org_tag_key UNIQUE (org_id, tag)
);
CREATE INDEX equipment_org_idx ON equipment (org_id, tag, id);
CREATE INDEX equipment_park_idx ON equipment (park_id, level, tag, id);
CREATE INDEX equipment_level_idx ON equipment (level, tag, id);
