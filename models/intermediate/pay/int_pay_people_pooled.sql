{{ config(materialized='view') }}
-- A view, not a table (issue 22): each council's people three times over (about 3.4
-- million rows at 153 councils); writing it cost more than the models
-- that read it computing it as they go, with the same figures.
-- The pay-gap population under every geography it counts in: each council's people under its Local
-- authority row, and again under its Region and the Alliance (pool_people), so pooled means, medians and
-- quartiles are computed over the pooled people (metrics.md: never from council means or medians).
{{ pool_people(ref('int_pay_people')) }}
