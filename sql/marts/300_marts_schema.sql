-- marts: the analysts' layer over both vendors. Views, so a figure is never staler than the
-- tables it reads; one file per view, re-created (with its comments) every time the DDL applies.
CREATE SCHEMA IF NOT EXISTS marts;
