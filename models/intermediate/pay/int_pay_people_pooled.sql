-- The pay-gap population under every geography it counts in: each council's people under its Local
-- authority row, and again under its Region and the Alliance (pool_people), so pooled means, medians and
-- quartiles are computed over the pooled people (metrics.md: never from council means or medians).
{{ pool_people(ref('int_pay_people')) }}
