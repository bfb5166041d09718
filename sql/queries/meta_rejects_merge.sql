-- Merge the staged rejects (stg_rejects) of one load into meta.rejects, inside the load's
-- transaction. Identity: (vendor, endpoint, shop_id, payload_sha256, reason): the same bytes
-- from two shops (e.g. `"json": null`) are two rejects. Parameters: $1 load_id,
-- $2 seen_at. A record seen again updates last_*; a new one is inserted once.
UPDATE meta.rejects AS r
SET last_load_id = $1, last_seen_at = $2, times_seen = r.times_seen + 1
FROM (SELECT DISTINCT vendor, endpoint, shop_id, payload_sha256, reason FROM stg_rejects) AS s
WHERE r.vendor = s.vendor AND r.endpoint = s.endpoint AND r.shop_id IS NOT DISTINCT FROM s.shop_id
  AND r.payload_sha256 = s.payload_sha256 AND r.reason = s.reason;

INSERT INTO meta.rejects
SELECT s.vendor, s.endpoint, s.record_key, s.shop_id, s.reason, s.raw_payload, s.payload_sha256,
       $1, $1, $2, $2, 1
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY vendor, endpoint, shop_id, payload_sha256, reason ORDER BY record_key) AS n
    FROM stg_rejects
) AS s
WHERE s.n = 1 AND NOT EXISTS (
    SELECT 1 FROM meta.rejects r
    WHERE r.vendor = s.vendor AND r.endpoint = s.endpoint AND r.shop_id IS NOT DISTINCT FROM s.shop_id
      AND r.payload_sha256 = s.payload_sha256 AND r.reason = s.reason
);
