-- DfE published headline indicators, long format (one row per time period, geography and measure).
-- Both column vocabularies were renamed to the newer one by the loader; symbols sit in value_note.
{{ dfe_geography(source('raw', 'dfe_headline')) }}
