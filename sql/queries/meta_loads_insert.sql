-- One row of the load log. Parameters in column order of meta.loads.
INSERT INTO meta.loads VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17);
